//! The device and queue the backend runs on: injected (the GUI passes eframe's) or created here
//! (CLI, tests), plus the adapter facts `--backend auto` decides on.

use super::super::BackendError;
use super::kernels::{Variant, compile};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Compiled pipelines by variant (kernel, activation, workgroup width, precision).
type PipelineCache = Mutex<HashMap<Variant, wgpu::ComputePipeline>>;

/// A device, its queue and what the adapter is.
#[derive(Debug, Clone)]
pub struct GpuContext {
    /// The device.
    pub device: Arc<wgpu::Device>,
    /// Its queue.
    pub queue: Arc<wgpu::Queue>,
    /// The adapter.
    pub info: wgpu::AdapterInfo,
    /// Set by the device-lost callback.
    lost: Arc<AtomicBool>,
    /// Pipelines compiled on this device, shared by every network built on it (the app
    /// reopening a network, the kernel search building it with each kernel).
    pipelines: Arc<PipelineCache>,
}

impl GpuContext {
    /// The optional features a device is asked for where its adapter has them: timestamps
    /// (per-layer times, the kernel search) and f16 in shaders (`--precision f16`).
    pub const FEATURES: wgpu::Features =
        wgpu::Features::TIMESTAMP_QUERY.union(wgpu::Features::SHADER_F16);

    /// Wraps a device and queue created elsewhere (eframe's, in the app).
    pub fn from_parts(
        device: Arc<wgpu::Device>,
        queue: Arc<wgpu::Queue>,
        info: wgpu::AdapterInfo,
    ) -> Self {
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        device.set_device_lost_callback(move |_, _| flag.store(true, Ordering::SeqCst));
        Self {
            device,
            queue,
            info,
            lost,
            pipelines: Arc::default(),
        }
    }

    /// A pipeline variant, compiled once per device.
    pub(crate) fn pipeline(&self, key: Variant) -> wgpu::ComputePipeline {
        // a poisoned lock only means another thread panicked mid-insert: the map is still valid
        let cached = self
            .pipelines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(p) = cached {
            return p;
        }
        // compiled outside the lock, so that networks built on other threads do not wait
        let compiled = compile(&self.device, key);
        self.pipelines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_insert(compiled)
            .clone()
    }

    /// How many pipelines are compiled and cached on this device.
    pub fn compiled_pipelines(&self) -> usize {
        self.pipelines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Empties the pipeline cache (after a build that reported a validation error).
    pub(crate) fn forget_pipelines(&self) {
        self.pipelines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Whether the device stores f16 in its shaders (`--precision f16`).
    pub fn has_f16(&self) -> bool {
        self.device.features().contains(wgpu::Features::SHADER_F16)
    }

    /// True once the device was lost (driver reset, removal, `destroy`).
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Creates a device on the best adapter (a real GPU before a software one).
    pub fn new() -> Result<Self, BackendError> {
        let options = wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        };
        // Vulkan/Metal/DX12 first; OpenGL only when none of them has an adapter.
        let mut last_error = String::new();
        let mut found = None;
        for backends in [wgpu::Backends::PRIMARY, wgpu::Backends::GL] {
            let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
            desc.backends &= backends;
            if desc.backends.is_empty() {
                continue;
            }
            match pollster::block_on(wgpu::Instance::new(desc).request_adapter(&options)) {
                Ok(a) => {
                    found = Some(a);
                    break;
                }
                Err(e) => last_error = e.to_string(),
            }
        }
        let adapter = found.ok_or_else(|| {
            BackendError::NoDevice(format!("no GPU adapter found ({last_error})"))
        })?;
        let info = adapter.get_info();
        let desc = wgpu::DeviceDescriptor {
            label: Some("csplens"),
            // timestamps, where the adapter has them, give per-layer GPU times
            required_features: adapter.features() & Self::FEATURES,
            required_limits: adapter.limits(),
            experimental_features: Default::default(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: Default::default(),
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc))
            .map_err(|e| BackendError::NoDevice(format!("{}: {e}", info.name)))?;
        Ok(Self::from_parts(Arc::new(device), Arc::new(queue), info))
    }

    /// True for software rasterisers (lavapipe, llvmpipe, WARP): correct but slower than the
    /// CPU backend, so `--backend auto` does not choose them.
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// "name (backend, driver)".
    pub fn describe(&self) -> String {
        format!(
            "{} ({:?}, {} {})",
            self.info.name, self.info.backend, self.info.driver, self.info.driver_info
        )
    }
}
