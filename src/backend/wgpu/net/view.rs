//! What a recorded inference is made of: buffer ranges ([`View`]), the recorded steps
//! ([`Command`]), and the helpers that create the buffers they live in.

use super::super::context::GpuContext;
use super::plan::{self, Plan};
use wgpu::util::DeviceExt;

/// Threads per workgroup along x (the kernels' `WG` override).
pub(super) const WG: u32 = 64;

/// One recorded step of an inference.
#[derive(Debug)]
pub(super) enum Command {
    Dispatch {
        pipeline: wgpu::ComputePipeline,
        bind: wgpu::BindGroup,
        groups: [u32; 3],
    },
    Copy {
        src: View,
        dst: View,
    },
    /// Zero a layer's output (for kernels that write only part of it).
    Clear {
        dst: View,
    },
}

/// A range of a buffer: a layer's output (maybe inside another layer's region) or a whole
/// constant buffer.
#[derive(Debug, Clone)]
pub(super) struct View {
    pub(super) buffer: wgpu::Buffer,
    pub(super) offset: u64,
    pub(super) bytes: u64,
}

impl View {
    pub(super) fn whole(buffer: wgpu::Buffer) -> Self {
        Self {
            bytes: buffer.size(),
            buffer,
            offset: 0,
        }
    }

    /// The first `bytes` of this view.
    pub(super) fn prefix(&self, bytes: u64) -> Self {
        Self {
            bytes: bytes.min(self.bytes),
            ..self.clone()
        }
    }

    /// `bytes` at `offset` inside this view.
    pub(super) fn slice(&self, offset: u64, bytes: u64) -> Self {
        Self {
            buffer: self.buffer.clone(),
            offset: self.offset + offset,
            bytes,
        }
    }

    pub(super) fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: self.offset,
            size: wgpu::BufferSize::new(self.bytes.max(4)),
        })
    }
}

/// A storage buffer of `floats` values (at least one) that copies may read and write.
pub(super) fn storage(ctx: &GpuContext, label: &str, floats: usize) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (floats.max(1) * 4) as u64,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// A buffer holding `data`, whole.
pub(super) fn upload(
    ctx: &GpuContext,
    label: &str,
    data: &[u8],
    usage: wgpu::BufferUsages,
) -> View {
    View::whole(
        ctx.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: data,
                usage,
            }),
    )
}

/// Groups for `n` invocations along x (split over y past the 65 535 limit).
pub(super) fn linear_groups(n: usize) -> [u32; 3] {
    let groups = (n as u32).div_ceil(WG).max(1);
    [groups.min(65_535), groups.div_ceil(65_535), 1]
}

/// Buffers for the plan's regions (shared by liveness with `shared`) and each layer's view.
pub(super) fn allocate(ctx: &GpuContext, plan: &Plan, shared: bool) -> Vec<View> {
    let (slot_of, sizes) = plan::share(&plan.regions, shared);
    let buffers: Vec<wgpu::Buffer> = sizes
        .iter()
        .enumerate()
        .map(|(k, &bytes)| storage(ctx, &format!("activations {k}"), (bytes / 4) as usize))
        .collect();
    plan.places
        .iter()
        .map(|p| View {
            buffer: buffers[slot_of[p.region]].clone(),
            offset: p.offset,
            bytes: p.bytes,
        })
        .collect()
}
