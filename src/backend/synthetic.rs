//! Small networks with made-up weights, for measuring a device (benchmarks, roofline
//! ceilings): the weights repeat small values, the input is a fixed pattern.

use super::BackendError;
use crate::Analysis;
use crate::tensor::Tensor;
use crate::weights::Weights;

/// `cfg` analysed, with repeating small weights and a patterned input of its size.
pub fn network(cfg: &str) -> Result<(Analysis, Weights, Tensor), BackendError> {
    let a = crate::analyze("synthetic.cfg", cfg.as_bytes(), Default::default())
        .map_err(|f| BackendError::Internal(f.render()))?;
    let w = weights(&a)?;
    let s = a.shapes.input;
    let input = Tensor {
        c: s.c,
        h: s.h,
        w: s.w,
        data: (0..s.c * s.h * s.w)
            .map(|i| (i % 13) as f32 * 0.1)
            .collect(),
    };
    Ok((a, w, input))
}

/// Small repeating values for every float a network's `.weights` holds (header version 0.2).
pub fn weights(a: &Analysis) -> Result<Weights, BackendError> {
    let floats = (0..a.profile.weight_floats).map(|i| ((i % 17) as f32 - 8.0) * 0.01);
    let bytes = crate::weights::file_bytes(0, floats);
    crate::weights::parse(&bytes, &a.network, &a.shapes)
        .map_err(|e| BackendError::Internal(e.to_string()))
}
