//! The roofline's side of the app: a backend's ceilings measured once, in a job, after its
//! first run; each run's points computed when its run or its ceilings arrive (not per frame).

use crate::gui::app::App;
use crate::gui::diagnostics::Diagnostic;
use crate::gui::jobs::{Outcome, outcome};
use std::sync::Arc;

impl App {
    /// Puts every run of `engine` on its roofline, or measures its ceilings first.
    pub fn roofline_for(&mut self, engine: &'static str) {
        let Some(&c) = self.ceilings.get(engine) else {
            self.measure_ceilings(engine);
            return;
        };
        for doc in self.slots.iter_mut().filter_map(|s| s.doc.as_mut()) {
            let a = doc.analysis.clone();
            if let Some(run) = doc.detection.as_mut().filter(|r| r.engine == engine) {
                let points = crate::profile::roofline::roofline(&a, &run.forward.layer_ms, c);
                run.roofline = Some(Arc::new(points));
            }
        }
    }

    fn measure_ceilings(&mut self, engine: &'static str) {
        if !self.measuring.insert(engine) {
            return;
        }
        #[cfg(feature = "gpu")]
        let device = self.device.clone();
        self.jobs
            .spawn(format!("measure {engine} ceilings"), move |_| {
                outcome(|| {
                    let fail = |e: crate::backend::BackendError| {
                        Diagnostic::error("roofline", e.to_string())
                    };
                    let ceilings = if engine == "cpu" {
                        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
                        crate::backend::cpu::ceilings::measure(threads).map_err(fail)?
                    } else {
                        gpu_ceilings(
                            #[cfg(feature = "gpu")]
                            device,
                        )
                        .map_err(fail)?
                    };
                    Ok(Outcome::Ceilings { engine, ceilings })
                })
            });
    }
}

#[cfg(feature = "gpu")]
fn gpu_ceilings(
    device: Option<crate::backend::wgpu::GpuContext>,
) -> Result<crate::profile::roofline::Ceilings, crate::backend::BackendError> {
    let ctx = match device {
        Some(c) => c,
        None => crate::backend::wgpu::GpuContext::new()?,
    };
    crate::backend::wgpu::ceilings::measure(&ctx)
}

#[cfg(not(feature = "gpu"))]
fn gpu_ceilings() -> Result<crate::profile::roofline::Ceilings, crate::backend::BackendError> {
    Err(crate::backend::BackendError::Internal(
        "built without the gpu feature".into(),
    ))
}
