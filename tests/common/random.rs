//! Small cfgs with random weights and inputs, for layer-by-layer backend comparisons.

use csplens::Analysis;
use csplens::tensor::Tensor;
use csplens::weights::Weights;

/// A linear congruential generator: reproducible values in −1..1.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next value in −1..1.
    pub fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// Analyzes `cfg`, writes a `.weights` image of random floats (positive batch-norm
/// variances) and makes a random input.
pub fn setup(cfg: &str, seed: u64) -> (Analysis, Weights, Tensor) {
    setup_sized(cfg, seed, Default::default())
}

/// [`setup`] with the cfg's input size replaced.
pub fn setup_sized(
    cfg: &str,
    seed: u64,
    over: csplens::shape::InputOverride,
) -> (Analysis, Weights, Tensor) {
    let a = csplens::analyze("t.cfg", cfg.as_bytes(), over)
        .unwrap_or_else(|f| panic!("{}", f.render()));
    let mut rng = Lcg(seed);
    let floats: Vec<f32> = (0..a.profile.weight_floats).map(|_| rng.next()).collect();
    let bytes = csplens::weights::file_bytes(0, floats);
    let mut w = csplens::weights::parse(&bytes, &a.network, &a.shapes).expect("weights");
    for lw in w.layers.clone() {
        if let Some([_, _, var]) = lw.bn {
            for v in &mut w.data[var] {
                *v = v.abs() + 0.1;
            }
        }
    }
    let i = a.shapes.input;
    let input = Tensor {
        c: i.c,
        h: i.h,
        w: i.w,
        data: (0..i.c * i.h * i.w).map(|_| rng.next()).collect(),
    };
    (a, w, input)
}

/// The small input every layer-by-layer comparison starts from: odd sizes on purpose.
pub const NET: &str = "[net]\nwidth=13\nheight=11\nchannels=5\n\n";

/// Pools, routes (concatenation and a `groups` split), a multi-input shortcut, upsample and
/// dropout, after the [`NET`] header.
pub const POOLS_ROUTES_SHORTCUTS: &str = "[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n\
         [maxpool]\nsize=3\nstride=2\n\n\
         [maxpool]\nsize=2\nstride=1\n\n\
         [local_avgpool]\nsize=2\nstride=1\n\n\
         [upsample]\nstride=2\n\n\
         [convolutional]\nfilters=6\nsize=1\nactivation=linear\n\n\
         [route]\nlayers=-1,-2\n\n\
         [route]\nlayers=-1\ngroups=2\ngroup_id=1\n\n\
         [convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n\
         [shortcut]\nfrom=-3,-4\nactivation=leaky\n\n\
         [dropout]\nprobability=0.5\n";

/// Rescales [`setup`]'s random weights so that activations keep their scale through a deep
/// network: convolution and connected weights uniform with variance 2/fan-in (He), batch-norm
/// variance 1, scales near 1, small means and biases.
pub fn tame(a: &Analysis, w: &mut Weights) {
    for (i, lw) in w.layers.clone().into_iter().enumerate() {
        let taps = lw.weights.len();
        let outputs = lw.biases.len().max(1);
        let fan_in = match &a.network.layers[i].kind {
            csplens::kinds::LayerKind::Convolutional(_)
            | csplens::kinds::LayerKind::Connected(_) => (taps / outputs).max(1),
            _ => continue,
        };
        let gain = (6.0 / fan_in as f32).sqrt();
        w.data[lw.weights].iter_mut().for_each(|v| *v *= gain);
        w.data[lw.biases].iter_mut().for_each(|v| *v *= 0.1);
        if let Some([scales, mean, var]) = lw.bn {
            w.data[scales].iter_mut().for_each(|v| *v = 1.0 + 0.1 * *v);
            w.data[mean].iter_mut().for_each(|v| *v *= 0.1);
            w.data[var].iter_mut().for_each(|v| *v = 1.0);
        }
    }
}
