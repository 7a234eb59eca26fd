//! The desktop app (eframe on wgpu). The only module that names egui; it draws what the core
//! computed and runs every load, analysis and inference as a named background job.
//!
//! Start-up: files given on the command line are opened; with none, the previous session's
//! files are reopened; on a first start the fetched models open (yolov4-tiny beside its
//! baseline yolov3-tiny, bus.jpg detected), fetching them once if absent; offline, the demo cfgs
//! shipped in `assets/` open with a hint.

mod actions;
mod app;
mod apply;
pub mod command;
pub mod diagnostics;
pub mod doc;
pub mod editor;
pub mod evaluation;
pub mod gallery;
pub mod graph;
pub mod jobs;
pub mod message;
pub mod panels;
pub mod slot;

pub use actions::write_atomic;
pub use app::{App, SlotState};
pub use command::Tab;

use diagnostics::Diagnostic;
use jobs::Outcome;
use slot::Slot;
use std::path::{Path, PathBuf};

/// The demo cfgs compiled into the binary, opened when the models cannot be fetched.
pub const DEMO: [(&str, &str); 2] = [
    (
        "assets/yolov4-tiny.cfg",
        include_str!("../../assets/yolov4-tiny.cfg"),
    ),
    (
        "assets/yolov3-tiny.cfg",
        include_str!("../../assets/yolov3-tiny.cfg"),
    ),
];

/// What is restored on the next start.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// The cfg, weights, names and last image of A and B.
    pub files: [Vec<PathBuf>; 2],
    /// Recent files.
    pub recent: Vec<PathBuf>,
    /// The view.
    pub tab: Option<Tab>,
    /// The active network.
    pub active: Option<Slot>,
    /// The selected layer.
    pub selected: Option<usize>,
    /// The Evaluate tab's dataset (a `.data` file or a folder).
    #[serde(default)]
    pub dataset: Option<PathBuf>,
}

/// Key of the session in eframe's storage.
const SESSION_KEY: &str = "csplens-session";

/// The models folder: `$CSPLENS_MODELS`, else `.cache/models`.
pub fn models_dir() -> PathBuf {
    std::env::var_os("CSPLENS_MODELS").map_or_else(|| PathBuf::from(".cache/models"), PathBuf::from)
}

fn models_present(dir: &Path) -> bool {
    [
        "yolov4-tiny/yolov4-tiny.weights",
        "yolov3-tiny/yolov3-tiny.weights",
        "images/bus.jpg",
    ]
    .iter()
    .all(|f| dir.join(f).is_file())
}

impl App {
    /// The session to save.
    pub fn session(&self) -> Session {
        let files = [0, 1].map(|k| {
            self.slots[k].doc.as_ref().map_or_else(Vec::new, |d| {
                let mut v = vec![d.path.clone()];
                v.extend(d.weights.as_ref().map(|(p, _)| p.clone()));
                v.extend(d.names.as_ref().map(|(p, _)| p.clone()));
                v.extend(d.detection.as_ref().map(|r| r.path.clone()));
                v
            })
        });
        Session {
            files,
            recent: self.recent.clone(),
            tab: Some(self.tab),
            active: Some(self.active),
            selected: self.selected,
            dataset: self.eval.source.as_ref().map(|s| s.path().to_path_buf()),
        }
    }

    /// Reopens a saved session's files (those still present); false when none is.
    pub fn restore(&mut self, s: &Session) -> bool {
        self.recent = s.recent.clone();
        let mut any = false;
        for (k, slot) in [Slot::A, Slot::B].into_iter().enumerate() {
            let present: Vec<&PathBuf> = s.files[k].iter().filter(|p| p.is_file()).collect();
            for p in present {
                any = true;
                if doc::FileKind::of(p) == Some(doc::FileKind::Image) {
                    self.slots[k].pending_image = Some(p.clone());
                } else {
                    self.load(p.clone(), Some(slot));
                }
            }
        }
        self.eval.source = (s.dataset.clone()).and_then(|p| {
            use evaluation::DataSource;
            match () {
                () if p.is_dir() => Some(DataSource::Folder(p)),
                () if p.is_file() => Some(DataSource::File(p)),
                () => None,
            }
        });
        self.tab = s.tab.unwrap_or(Tab::Graph);
        self.active = s.active.unwrap_or(Slot::A);
        self.pending_select = s.selected;
        any
    }

    /// The first start: the models if present, else fetch them while the demo cfgs show.
    pub fn start_default(&mut self) {
        self.start_with(&models_dir(), Path::new("scripts/fetch-models.sh"));
    }

    /// The first start with the models expected in `dir` and fetched by `script` into it.
    pub fn start_with(&mut self, dir: &Path, script: &Path) {
        let dir = dir.to_path_buf();
        if models_present(&dir) {
            self.open_models(&dir);
            return;
        }
        self.open_demo();
        let script = script.to_path_buf();
        if !script.is_file() {
            self.report(Diagnostic::info(
                "models",
                format!("no models in {}: run scripts/fetch-models.sh from the csplens checkout to see yolov4-tiny beside yolov3-tiny with detections; showing the demo cfgs", dir.display()),
            ));
            return;
        }
        self.jobs.spawn("fetch models", move |_| {
            let status = std::process::Command::new("bash")
                .arg(&script)
                .env("CSPLENS_MODELS", &dir)
                .output();
            match status {
                Ok(o) if o.status.success() && models_present(&dir) => Outcome::Models(dir),
                Ok(o) => Outcome::Failed(Diagnostic::info(
                    "models",
                    format!(
                        "could not fetch the models (offline?): {}; showing the demo cfgs — run scripts/fetch-models.sh when online",
                        String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("no output")
                    ),
                )),
                Err(e) => Outcome::Failed(Diagnostic::info("models", format!("could not run the fetch script: {e}; showing the demo cfgs"))),
            }
        });
    }

    /// Opens command-line files: the first cfg as A, the second as B; other files go to the
    /// network of the cfg before them.
    pub fn open_many(&mut self, files: Vec<PathBuf>) {
        let (mut slot, mut cfgs) = (Slot::A, 0);
        for f in files {
            if doc::FileKind::of(&f) == Some(doc::FileKind::Cfg) {
                slot = if cfgs == 0 { Slot::A } else { Slot::B };
                cfgs += 1;
            }
            self.open(f, Some(slot));
        }
    }

    /// Opens the demo cfgs compiled into the binary (no file access).
    pub fn open_demo(&mut self) {
        for ((name, text), slot) in DEMO.into_iter().zip([Slot::A, Slot::B]) {
            let caps = self.caps;
            let ticket = self.open_ticket(slot);
            self.jobs.spawn(format!("analyse {name}"), move |_| {
                jobs::outcome(|| {
                    let doc = jobs::load::cfg_document(Path::new(name), text.as_bytes(), &caps)?;
                    Ok(Outcome::Cfg {
                        slot,
                        ticket,
                        doc: Box::new(doc),
                    })
                })
            });
        }
    }
}

/// The eframe wrapper: storage, the renderer's device, the frame.
struct Shell(App);

impl eframe::App for Shell {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.0.logic(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.0.draw(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Ok(text) = serde_json::to_string(&self.0.session()) {
            storage.set_string(SESSION_KEY, text);
        }
    }
}

/// Opens the app window with `files` (none: restore or the default start).
pub fn run(files: Vec<PathBuf>) -> Result<(), eframe::Error> {
    let mut options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("csplens")
            .with_inner_size([1500.0, 950.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    if let eframe::egui_wgpu::WgpuSetup::CreateNew(new) = &mut options.wgpu_options.wgpu_setup {
        // the adapter's own limits, timestamps and f16, so the wgpu backend can share the device
        new.device_descriptor =
            std::sync::Arc::new(|adapter: &wgpu::Adapter| wgpu::DeviceDescriptor {
                label: Some("csplens"),
                required_features: adapter.features() & crate::backend::wgpu::GpuContext::FEATURES,
                required_limits: adapter.limits(),
                ..Default::default()
            });
    }
    eframe::run_native(
        "csplens",
        options,
        Box::new(move |cc| {
            let mut app = App::default();
            app.jobs.set_repaint(cc.egui_ctx.clone());
            // unsaved edits are kept beside eframe's own state, and offered back at start
            app.recovery_dir = eframe::storage_dir("csplens").map(|d| d.join("recovery"));
            if let Some(rs) = &cc.wgpu_render_state {
                app.device = Some(crate::backend::wgpu::GpuContext::from_parts(
                    std::sync::Arc::new(rs.device.clone()),
                    std::sync::Arc::new(rs.queue.clone()),
                    rs.adapter.get_info(),
                ));
            }
            let session: Option<Session> = cc
                .storage
                .and_then(|s| s.get_string(SESSION_KEY))
                .and_then(|t| serde_json::from_str(&t).ok());
            if !files.is_empty() {
                app.recent = session.map(|s| s.recent).unwrap_or_default();
                app.open_many(files);
            } else if !session.is_some_and(|s| app.restore(&s)) {
                app.start_default();
            }
            app.offer_recovery();
            Ok(Box::new(Shell(app)))
        }),
    )
}
