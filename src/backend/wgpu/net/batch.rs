//! Batches on the GPU: N inferences recorded into one command encoder and one submission.
//! The N inputs are uploaded into one staging buffer; for each image the encoder copies its
//! input into the network's input, records every layer, and copies the kept outputs into that
//! image's region of one readback buffer. One upload, one submission, one wait and one
//! mapping for the whole batch instead of N of each.

use super::GpuNet;
use super::view::{View, loaded, storage, stored};
use crate::backend::{BackendError, Forward};
use crate::tensor::Tensor;

impl GpuNet {
    /// Runs the network on every input of `inputs` in one submission; the results are in input
    /// order, each with the outputs `forward` reads back (no per-layer times).
    pub fn forward_batch(&self, inputs: &[Tensor]) -> Result<Vec<Forward>, BackendError> {
        if self.ctx.is_lost() {
            return Err(BackendError::DeviceLost);
        }
        let want = self.shapes.first().map_or(0, |s| s.inputs);
        if let Some(bad) = inputs.iter().find(|t| t.data.len() != want) {
            return Err(BackendError::InputSize {
                got: (bad.w, bad.h, bad.c),
                want,
            });
        }
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        // each input in whole 4-byte words (an odd count of f16 values is padded)
        let per_input = (want as u64 * self.precision.bytes()).next_multiple_of(4);
        let staging = storage(&self.ctx, "batch inputs", per_input * inputs.len() as u64);
        for (k, t) in inputs.iter().enumerate() {
            let at = k as u64 * per_input;
            let bytes = stored(&t.data, self.precision);
            (self.ctx.queue).write_buffer(&staging, at, &bytes);
        }
        let keep = &self.keep;
        let (offsets, stride) = readback_layout(keep, &self.outputs);
        let readback = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("batch readback"),
            size: (stride * inputs.len() as u64).max(8),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let scope = (self.ctx.device).push_error_scope(wgpu::ErrorFilter::Validation);
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        for k in 0..inputs.len() as u64 {
            let input = &self.input;
            enc.copy_buffer_to_buffer(
                &staging,
                k * per_input,
                &input.buffer,
                input.offset,
                per_input,
            );
            self.encode(&mut enc, 0..self.layers.len());
            for (&i, &at) in keep.iter().zip(&offsets) {
                let out = &self.outputs[i];
                enc.copy_buffer_to_buffer(
                    &out.buffer,
                    out.offset,
                    &readback,
                    k * stride + at,
                    out.bytes.next_multiple_of(4),
                );
            }
        }
        self.ctx.queue.submit([enc.finish()]);
        readback.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        self.wait()?;
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(BackendError::Gpu {
                during: "running a batch",
                detail: e.to_string(),
            });
        }
        let results = {
            let view = readback
                .slice(..)
                .get_mapped_range()
                .map_err(|e| BackendError::Gpu {
                    during: "reading a batch back",
                    detail: e.to_string(),
                })?;
            let values = loaded(&view, self.precision);
            (0..inputs.len())
                .map(|k| Forward {
                    outputs: (keep.iter().zip(&offsets))
                        .map(|(&i, &at)| (i, self.tensor_at(&values, k as u64 * stride + at, i)))
                        .collect(),
                    layer_ms: vec![0.0; self.layers.len()],
                })
                .collect()
        };
        readback.unmap();
        Ok(results)
    }

    /// Layer `i`'s output as a tensor, from the read-back `values` at byte `at`.
    pub(super) fn tensor_at(&self, values: &[f32], at: u64, i: usize) -> Tensor {
        let s = &self.shapes[i];
        let from = (at / self.precision.bytes()) as usize;
        let data = values
            .get(from..from + s.outputs)
            .map_or_else(Vec::new, <[f32]>::to_vec);
        let (c, h, w) = if s.output.is_image() {
            (s.output.c, s.output.h, s.output.w)
        } else {
            (s.outputs, 1, 1)
        };
        Tensor { c, h, w, data }
    }
}

/// Where each kept output goes in one image's readback region, and the region's size.
fn readback_layout(keep: &[usize], outputs: &[View]) -> (Vec<u64>, u64) {
    let mut offsets = Vec::with_capacity(keep.len());
    let mut size = 0u64;
    for &i in keep {
        offsets.push(size);
        size += outputs[i].bytes.next_multiple_of(8);
    }
    (offsets, size.max(8))
}
