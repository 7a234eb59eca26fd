//! A CHW f32 tensor (batch 1), the currency of the backends.

/// Channels × height × width values, channel-major as darknet stores them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tensor {
    /// Channels (or the flat length for 1×1 vectors).
    pub c: usize,
    /// Height.
    pub h: usize,
    /// Width.
    pub w: usize,
    /// `c·h·w` values.
    pub data: Vec<f32>,
}

impl Tensor {
    /// A zero tensor.
    pub fn zeros(c: usize, h: usize, w: usize) -> Self {
        Self {
            c,
            h,
            w,
            data: vec![0.0; c * h * w],
        }
    }

    /// A tensor over existing data (`data.len()` must be `c·h·w`).
    pub fn from_vec(c: usize, h: usize, w: usize, data: Vec<f32>) -> Option<Self> {
        (data.len() == c * h * w).then_some(Self { c, h, w, data })
    }

    /// Values per channel.
    pub fn plane(&self) -> usize {
        self.h * self.w
    }

    /// Channel `k` as a slice.
    pub fn channel(&self, k: usize) -> &[f32] {
        let p = self.plane();
        &self.data[k * p..(k + 1) * p]
    }
}
