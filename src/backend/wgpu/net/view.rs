//! What a recorded inference is made of: buffer ranges ([`View`]), the recorded steps
//! ([`Command`]), and the helpers that create the buffers they live in.

use super::super::context::GpuContext;
use super::super::kernels::Precision;
use super::plan::{self, Plan};
use std::borrow::Cow;
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
            // storage bindings are whole 4-byte words (an odd count of f16 values rounds up
            // into the buffer's slack)
            size: wgpu::BufferSize::new(self.bytes.next_multiple_of(4).max(4)),
        })
    }
}

/// A storage buffer of `bytes` (rounded up to whole 4-byte words, at least one) that copies
/// may read and write.
pub(super) fn storage(ctx: &GpuContext, label: &str, bytes: u64) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: bytes.next_multiple_of(4).max(4),
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
        .map(|(k, &bytes)| storage(ctx, &format!("activations {k}"), bytes))
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

/// `values` as the GPU stores them at `precision`, zero-padded to whole 4-byte words (what
/// buffer writes and copies take).
pub(super) fn stored(values: &[f32], precision: Precision) -> Cow<'_, [u8]> {
    match precision {
        Precision::F32 => Cow::Borrowed(bytemuck::cast_slice(values)),
        Precision::F16 => {
            let mut bytes: Vec<u8> = values
                .iter()
                .flat_map(|&v| half::f16::from_f32(v).to_bits().to_le_bytes())
                .collect();
            bytes.resize(bytes.len().next_multiple_of(4), 0);
            Cow::Owned(bytes)
        }
    }
}

/// The values `bytes` hold at `precision`, as f32.
pub(super) fn loaded(bytes: &[u8], precision: Precision) -> Cow<'_, [f32]> {
    match precision {
        Precision::F32 => Cow::Borrowed(bytemuck::cast_slice(bytes)),
        Precision::F16 => Cow::Owned(
            bytes
                .chunks_exact(2)
                .map(|b| half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32())
                .collect(),
        ),
    }
}
