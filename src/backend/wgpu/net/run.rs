//! Running a recorded network: one submission per inference, outputs read back through one
//! mappable buffer, per-layer times from timestamp queries, and the kernels-only timing.

use super::super::context::GpuContext;
use super::GpuNet;
use super::view::{Command, View, loaded, stored};
use crate::backend::{BackendError, Forward};
use crate::tensor::Tensor;
use std::time::Instant;

/// A mappable buffer holding the outputs of `layers` at `offsets` (bytes).
#[derive(Debug)]
pub(super) struct Readback {
    buffer: wgpu::Buffer,
    layers: Vec<usize>,
    offsets: Vec<u64>,
}

impl Readback {
    fn new(ctx: &GpuContext, layers: &[usize], outputs: &[View]) -> Self {
        let mut offsets = Vec::with_capacity(layers.len());
        let mut size = 0u64;
        for &i in layers {
            offsets.push(size);
            size += outputs[i].bytes.next_multiple_of(8);
        }
        let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: size.max(8),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Self {
            buffer,
            layers: layers.to_vec(),
            offsets,
        }
    }
}

/// What a run records between the input's upload and the outputs' readback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::backend::wgpu) enum Encode {
    /// Every layer, in one submission.
    All,
    /// One submission per layer, timed on the CPU.
    PerLayer,
    /// No layer: the transfers alone.
    Nothing,
}

impl GpuNet {
    pub(super) fn wait(&self) -> Result<(), BackendError> {
        if self.ctx.is_lost() {
            return Err(BackendError::DeviceLost);
        }
        self.ctx
            .device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: Some(std::time::Duration::from_secs(60)),
            })
            .map(|_| ())
            .map_err(|e| BackendError::Gpu {
                during: "waiting for the GPU to finish",
                detail: e.to_string(),
            })
    }

    /// Runs the network; reads back the heads and the layers nothing reads.
    pub fn forward(&self, input: &Tensor) -> Result<Forward, BackendError> {
        self.run(input, &self.keep, Encode::All)
    }

    /// The layers [`GpuNet::forward`] reads back.
    pub(in crate::backend::wgpu) fn kept(&self) -> &[usize] {
        &self.keep
    }

    /// Runs the network and reads back every layer (for layer-by-layer comparison).
    pub fn forward_all(&self, input: &Tensor) -> Result<Forward, BackendError> {
        if self.shared {
            return Err(BackendError::Internal(
                "forward_all needs one buffer per layer (BuildOptions::unshared)".into(),
            ));
        }
        let all: Vec<usize> = (0..self.layers.len()).collect();
        self.run(input, &all, Encode::All)
    }

    /// Runs the network with per-layer times: GPU timestamps around each layer's dispatches
    /// where the device has them (copies untimed), else one submission per layer timed on the CPU.
    pub fn forward_timed(&self, input: &Tensor) -> Result<Forward, BackendError> {
        let n = self.layers.len();
        if !self
            .ctx
            .device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
            || n == 0
            || 2 * n > 4096
        {
            return self.run(input, &self.keep, Encode::PerLayer);
        }
        let mut fwd = self.run(input, &self.keep, Encode::All)?;
        fwd.layer_ms = self.timestamps(input)?;
        Ok(fwd)
    }

    /// One inference with a compute pass per layer bracketed by timestamp writes.
    fn timestamps(&self, input: &Tensor) -> Result<Vec<f64>, BackendError> {
        let n = self.layers.len();
        let device = &self.ctx.device;
        let queries = device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("layer times"),
            ty: wgpu::QueryType::Timestamp,
            count: 2 * n as u32,
        });
        let bytes = (2 * n * 8) as u64;
        let resolve = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("timestamps"),
            size: bytes,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let read = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("timestamps read"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.ctx
            .queue
            .write_buffer(&self.input.buffer, 0, &stored(&input.data, self.precision));
        let mut enc = device.create_command_encoder(&Default::default());
        for (i, cmds) in self.layers.iter().enumerate() {
            // copies and clears first (every layer orders them before its dispatches)
            self.encode_commands(
                &mut enc,
                cmds.iter()
                    .filter(|c| !matches!(c, Command::Dispatch { .. })),
            );
            let writes = wgpu::ComputePassTimestampWrites {
                query_set: &queries,
                beginning_of_pass_write_index: Some(2 * i as u32),
                end_of_pass_write_index: Some(2 * i as u32 + 1),
            };
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: None,
                timestamp_writes: Some(writes),
            });
            for cmd in cmds {
                if let Command::Dispatch {
                    pipeline,
                    bind,
                    groups,
                } = cmd
                {
                    pass.set_pipeline(pipeline);
                    pass.set_bind_group(0, bind, &[]);
                    pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
                }
            }
        }
        enc.resolve_query_set(&queries, 0..2 * n as u32, &resolve, 0);
        enc.copy_buffer_to_buffer(&resolve, 0, &read, 0, bytes);
        self.ctx.queue.submit([enc.finish()]);
        read.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        self.wait()?;
        let period = self.ctx.queue.get_timestamp_period() as f64;
        let ticks: Vec<u64> = {
            let view = read
                .slice(..)
                .get_mapped_range()
                .map_err(|e| BackendError::Gpu {
                    during: "reading timestamps",
                    detail: e.to_string(),
                })?;
            bytemuck::cast_slice(&view).to_vec()
        };
        read.unmap();
        Ok((0..n)
            .map(|i| ticks[2 * i + 1].saturating_sub(ticks[2 * i]) as f64 * period / 1e6)
            .collect())
    }

    /// One inference recording `what`, reading back the outputs of `keep`.
    pub(in crate::backend::wgpu) fn run(
        &self,
        input: &Tensor,
        keep: &[usize],
        what: Encode,
    ) -> Result<Forward, BackendError> {
        if self.ctx.is_lost() {
            return Err(BackendError::DeviceLost);
        }
        let want = self.shapes.first().map_or(0, |s| s.inputs);
        if input.data.len() != want {
            return Err(BackendError::InputSize {
                got: (input.w, input.h, input.c),
                want,
            });
        }
        let scope = self
            .ctx
            .device
            .push_error_scope(wgpu::ErrorFilter::Validation);
        self.ctx
            .queue
            .write_buffer(&self.input.buffer, 0, &stored(&input.data, self.precision));
        let mut layer_ms = vec![0.0; self.layers.len()];
        if what == Encode::PerLayer {
            for (i, ms) in layer_ms.iter_mut().enumerate() {
                let t = Instant::now();
                let mut enc = self.ctx.device.create_command_encoder(&Default::default());
                self.encode(&mut enc, i..i + 1);
                self.ctx.queue.submit([enc.finish()]);
                self.wait()?;
                *ms = t.elapsed().as_secs_f64() * 1e3;
            }
        }
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        if what == Encode::All {
            self.encode(&mut enc, 0..self.layers.len());
        }
        // one mappable buffer for every output read back, kept between inferences (the lock
        // also keeps two threads from mapping it at once)
        let mut slot = self
            .readback
            .lock()
            .map_err(|_| BackendError::Internal("the readback buffer's lock is poisoned".into()))?;
        if slot.as_ref().is_none_or(|r| r.layers != keep) {
            *slot = Some(Readback::new(&self.ctx, keep, &self.outputs));
        }
        let rb = slot
            .as_ref()
            .ok_or_else(|| BackendError::Internal("no readback buffer".into()))?;
        for (&i, &at) in keep.iter().zip(&rb.offsets) {
            let out = &self.outputs[i];
            // whole words (an odd count of f16 values reads into the buffer's slack)
            let bytes = out.bytes.next_multiple_of(4);
            enc.copy_buffer_to_buffer(&out.buffer, out.offset, &rb.buffer, at, bytes);
        }
        self.ctx.queue.submit([enc.finish()]);
        rb.buffer.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        let read = self
            .wait()
            .and_then(|()| match pollster::block_on(scope.pop()) {
                Some(e) => Err(BackendError::Gpu {
                    during: "running the network",
                    detail: e.to_string(),
                }),
                None => self.read_mapped(rb, keep),
            });
        match read {
            Ok(outputs) => {
                rb.buffer.unmap();
                Ok(Forward { outputs, layer_ms })
            }
            Err(e) => {
                // its mapping may still be pending: the next inference makes a new one
                *slot = None;
                Err(e)
            }
        }
    }

    /// The outputs in a mapped readback buffer, as tensors.
    fn read_mapped(
        &self,
        rb: &Readback,
        keep: &[usize],
    ) -> Result<Vec<(usize, Tensor)>, BackendError> {
        let view = rb
            .buffer
            .slice(..)
            .get_mapped_range()
            .map_err(|e| BackendError::Gpu {
                during: "reading the outputs back",
                detail: e.to_string(),
            })?;
        let values = loaded(&view, self.precision);
        Ok(keep
            .iter()
            .zip(&rb.offsets)
            .map(|(&i, &at)| (i, self.tensor_at(&values, at, i)))
            .collect())
    }

    /// Milliseconds per inference of `iters` inferences recorded into one submission, without
    /// upload or readback: the kernels' own time as the CPU sees it.
    pub(in crate::backend::wgpu) fn time_encoded(
        &self,
        input: &Tensor,
        iters: usize,
    ) -> Result<f64, BackendError> {
        self.ctx
            .queue
            .write_buffer(&self.input.buffer, 0, &stored(&input.data, self.precision));
        let scope = self
            .ctx
            .device
            .push_error_scope(wgpu::ErrorFilter::Validation);
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        self.encode(&mut enc, 0..self.layers.len());
        self.ctx.queue.submit([enc.finish()]);
        self.wait()?;
        let t = Instant::now();
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        for _ in 0..iters {
            self.encode(&mut enc, 0..self.layers.len());
        }
        self.ctx.queue.submit([enc.finish()]);
        self.wait()?;
        let ms = t.elapsed().as_secs_f64() * 1e3 / iters.max(1) as f64;
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(BackendError::Gpu {
                during: "timing the network",
                detail: e.to_string(),
            });
        }
        Ok(ms)
    }
}

/// Median milliseconds of `runs` (at least one) calls of `f`.
pub(in crate::backend::wgpu) fn median_ms(
    runs: usize,
    mut f: impl FnMut() -> Result<(), BackendError>,
) -> Result<f64, BackendError> {
    let times = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            f().map(|()| t.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(median(times))
}

/// The middle value (the upper one of an even count; 0 when there is none).
pub(super) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
