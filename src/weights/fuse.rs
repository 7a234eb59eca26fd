//! Batch norm folded into the convolution, as darknet's `fuse_conv_batchnorm` does for
//! inference: `w *= scale/sqrt(var+1e-5)`, `b -= scale·mean/sqrt(var+1e-5)`.

use super::Weights;

/// A convolution's weights ready for inference.
#[derive(Debug, Clone, PartialEq)]
pub struct FusedConv {
    /// `filters × (c/groups) × size × size`, darknet's layout.
    pub weights: Vec<f32>,
    /// One per filter.
    pub biases: Vec<f32>,
}

/// Folds layer `i`'s batch norm (if any) into its kernel and bias.
pub fn fused_conv(w: &Weights, i: usize) -> Option<FusedConv> {
    let lw = w.layers.get(i)?;
    let mut weights = w.slice(&lw.weights)?.to_vec();
    let mut biases = w.slice(&lw.biases)?.to_vec();
    let filters = biases.len();
    if filters == 0 {
        return None;
    }
    let per = weights.len() / filters;
    if let Some([scales, mean, var]) = &lw.bn {
        let (scales, mean, var) = (w.slice(scales)?, w.slice(mean)?, w.slice(var)?);
        for f in 0..filters {
            let denom = (var[f] + 0.00001f32).sqrt();
            let k = scales[f] / denom;
            for x in &mut weights[f * per..(f + 1) * per] {
                *x *= k;
            }
            biases[f] -= scales[f] * mean[f] / denom;
        }
    }
    Some(FusedConv { weights, biases })
}

/// A connected layer's `outputs × inputs` matrix (un-transposed when the file stores it
/// transposed) with its batch norm folded in, as darknet's inference computes
/// `scale·(W·x − mean)/sqrt(var + 1e-6) + bias`.
pub fn fused_connected(w: &Weights, i: usize, inputs: usize) -> Option<FusedConv> {
    let lw = w.layers.get(i)?;
    let mut weights = w.slice(&lw.weights)?.to_vec();
    let mut biases = w.slice(&lw.biases)?.to_vec();
    let outputs = biases.len();
    if outputs == 0 || weights.len() != outputs * inputs {
        return None;
    }
    if w.header.transposed {
        let mut t = vec![0f32; weights.len()];
        for o in 0..outputs {
            for k in 0..inputs {
                t[o * inputs + k] = weights[k * outputs + o];
            }
        }
        weights = t;
    }
    if let Some([sc, mean, var]) = &lw.bn {
        let (sc, mean, var) = (w.slice(sc)?, w.slice(mean)?, w.slice(var)?);
        for o in 0..outputs {
            let k = sc[o] / (var[o] + 0.000001).sqrt();
            weights[o * inputs..(o + 1) * inputs]
                .iter_mut()
                .for_each(|x| *x *= k);
            biases[o] -= mean[o] * k;
        }
    }
    Some(FusedConv { weights, biases })
}

/// A `[batchnorm]` layer as a per-channel affine map (a depthwise 1×1 convolution):
/// `x·scale/sqrt(var+1e-6) + bias − mean·scale/sqrt(var+1e-6)`.
pub fn fused_batchnorm(w: &Weights, i: usize) -> Option<FusedConv> {
    let lw = w.layers.get(i)?;
    let [sc, mean, var] = lw.bn.as_ref()?;
    let (sc, mean, var) = (w.slice(sc)?, w.slice(mean)?, w.slice(var)?);
    let biases = w.slice(&lw.biases)?;
    let k: Vec<f32> = (0..biases.len())
        .map(|c| sc[c] / (var[c] + 0.000001).sqrt())
        .collect();
    Some(FusedConv {
        biases: (0..biases.len())
            .map(|c| biases[c] - mean[c] * k[c])
            .collect(),
        weights: k,
    })
}

/// darknet's antialiasing blur as a depthwise convolution over `channels`: (size, padding,
/// weights and zero biases). `antialiasing=1`: 3×3 [1 2 1]ᵀ[1 2 1]/16 with padding 1;
/// `antialiasing=2`: 2×2 of 1/4 without padding. Its weights are fixed, not in the file.
pub fn blur(kind: usize, channels: usize) -> (usize, usize, FusedConv) {
    let (size, pad, taps): (usize, usize, &[f32]) = if kind == 2 {
        (2, 0, &[4.0; 4])
    } else {
        (3, 1, &[1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0])
    };
    let conv = FusedConv {
        weights: (0..channels)
            .flat_map(|_| taps.iter().map(|t| t / 16.0))
            .collect(),
        biases: vec![0.0; channels],
    };
    (size, pad, conv)
}
