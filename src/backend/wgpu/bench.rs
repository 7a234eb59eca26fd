//! What only `gpu-bench` and the parity tests use, kept out of the production network type:
//! networks built with a baseline convolution kernel ([`Baseline`]), and the timers that split
//! one inference's latency into kernels, transfers and command recording.

use super::context::GpuContext;
use super::net::{Encode, GpuNet};
use crate::backend::BackendError;
use crate::backend::Model;
use crate::tensor::Tensor;
use crate::weights::Weights;

pub use super::net::Baseline;

/// The network with every ungrouped convolution on `baseline` (`shared`: buffers shared by
/// liveness, else each layer its own).
pub fn baseline<'m>(
    ctx: &GpuContext,
    a: impl Into<Model<'m>>,
    w: &Weights,
    baseline: Baseline,
    shared: bool,
) -> Result<GpuNet, BackendError> {
    GpuNet::with_baseline(ctx, a.into(), w, baseline, shared)
}

/// Timers over one built network.
#[derive(Debug, Clone, Copy)]
pub struct Timers<'n>(pub &'n GpuNet);

impl Timers<'_> {
    /// Milliseconds per inference of `iters` inferences recorded into one submission,
    /// without upload or readback: the kernels' own time as the CPU sees it.
    pub fn kernels_ms(self, input: &Tensor, iters: usize) -> Result<f64, BackendError> {
        self.0.time_encoded(input, iters)
    }

    /// Median milliseconds of `runs` inferences' transfers alone: the input's upload and the
    /// kept outputs' readback with their waits, no kernel (`forward` minus this is the
    /// kernels and the gaps between them).
    pub fn transfer_ms(self, input: &Tensor, runs: usize) -> Result<f64, BackendError> {
        let net = self.0;
        net.run(input, net.kept(), Encode::Nothing)?;
        super::net::median_ms(runs, || {
            net.run(input, net.kept(), Encode::Nothing).map(drop)
        })
    }

    /// Median milliseconds of recording one inference's commands on the CPU (not submitted):
    /// the part of every inference's latency that the GPU waits for.
    pub fn encode_ms(self, runs: usize) -> Result<f64, BackendError> {
        let net = self.0;
        super::net::median_ms(runs, || {
            let mut enc = net
                .context()
                .device
                .create_command_encoder(&Default::default());
            net.encode(&mut enc, 0..net.layer_count());
            drop(enc.finish());
            Ok(())
        })
    }
}
