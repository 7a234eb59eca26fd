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
    let mut weights = w.slice(&lw.weights).to_vec();
    let mut biases = w.slice(&lw.biases).to_vec();
    let filters = biases.len();
    if filters == 0 {
        return None;
    }
    let per = weights.len() / filters;
    if let Some([scales, mean, var]) = &lw.bn {
        let (scales, mean, var) = (w.slice(scales), w.slice(mean), w.slice(var));
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
