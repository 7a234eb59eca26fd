//! The device and queue the backend runs on: injected (the GUI passes eframe's) or created here
//! (CLI, tests), plus the adapter facts `--backend auto` decides on.

use super::super::BackendError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
}

impl GpuContext {
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
        }
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
            required_features: adapter.features() & wgpu::Features::TIMESTAMP_QUERY,
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
