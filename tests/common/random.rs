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
    let a = csplens::analyze("t.cfg", cfg.as_bytes(), Default::default())
        .unwrap_or_else(|f| panic!("{}", f.render()));
    let mut rng = Lcg(seed);
    let mut bytes = vec![0u8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for _ in 0..a.profile.weight_floats {
        bytes.extend(rng.next().to_le_bytes());
    }
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
