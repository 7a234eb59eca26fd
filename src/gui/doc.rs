//! An open network and what belongs to it: its analysis, the laid-out graph with channel ranges
//! and CSP splits, attached weights and class names, and the last detection run. Everything
//! here is built by background jobs; the UI only reads it.

use crate::Analysis;
use crate::backend::{Forward, Runner};
use crate::detect::{self, Detection, Params};
use crate::graph::csp::{EdgeInfo, Split};
use crate::graph::{self, Layout};
use crate::gui::editor::SourceBuffer;
use crate::gui::slot::Slot;
use crate::weights::Weights;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A document's prepared backend: what it was made for (backend, precision) and the network
/// on it; reused between runs until the user asks for another.
pub type Prepared = Option<(
    crate::backend::BackendChoice,
    crate::backend::Precision,
    Runner,
)>;

/// What a file is, by its extension (and for extension-less files, by its first bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A darknet `.cfg`.
    Cfg,
    /// A darknet `.weights`.
    Weights,
    /// Class names, one per line.
    Names,
    /// An image to run detection on.
    Image,
    /// A darknet `.data` file: the Evaluate tab's dataset.
    Data,
}

impl FileKind {
    /// Classifies a path by its extension; `None` when the extension says nothing.
    pub fn of(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "cfg" => Self::Cfg,
            "weights" => Self::Weights,
            "names" | "txt" => Self::Names,
            "jpg" | "jpeg" | "png" | "bmp" => Self::Image,
            "data" => Self::Data,
            _ => return None,
        })
    }
}

/// A detection run: the image, the kept head outputs (so a new threshold re-runs only
/// decoding and NMS), the boxes and how long each layer took.
#[derive(Debug, Clone)]
pub struct DetectionRun {
    /// The image file.
    pub path: PathBuf,
    /// The decoded image (RGB planes, 0..1).
    pub image: Arc<detect::image::Image>,
    /// The head outputs.
    pub forward: Arc<Forward>,
    /// The thresholds the boxes were made with.
    pub params: Params,
    /// Boxes after NMS.
    pub detections: Vec<Detection>,
    /// "backend: … on …".
    pub backend: String,
    /// The backend that ran it (`cpu`, `wgpu`): whose ceilings its roofline is under.
    pub engine: &'static str,
    /// Each layer on the roofline, once the engine's ceilings are measured.
    pub roofline: Option<Arc<Vec<crate::profile::roofline::Point>>>,
    /// Forward wall time in milliseconds.
    pub total_ms: f64,
}

impl DetectionRun {
    /// Re-decodes the kept outputs with new thresholds (cheap: no forward pass).
    pub fn rethreshold(&mut self, a: &Analysis, names: &[String], params: Params) {
        self.params = params;
        self.detections =
            detect::detect(a, &self.forward, self.image.w, self.image.h, &params, names);
    }
}

/// One open network.
#[derive(Debug)]
pub struct Document {
    /// The cfg file.
    pub path: PathBuf,
    /// Shapes, costs, memory, gradients.
    pub analysis: Arc<Analysis>,
    /// The layered layout of its DAG.
    pub layout: Arc<Layout>,
    /// Every edge with its channel range, in layout order.
    pub edges: Arc<Vec<EdgeInfo>>,
    /// The `groups` splits and where they rejoin.
    pub splits: Arc<Vec<Split>>,
    /// CSP stages and runs of plain layers, each collapsible into one node.
    pub groups: Arc<Vec<graph::view::Group>>,
    /// Which groups the graph opens collapsed (all when the whole graph is too tall to read).
    pub collapsed: Vec<bool>,
    /// The graph's opening view.
    pub view: Arc<graph::view::ViewLayout>,
    /// Attached weights.
    pub weights: Option<(PathBuf, Arc<Weights>)>,
    /// Class names.
    pub names: Option<(PathBuf, Arc<Vec<String>>)>,
    /// The last detection.
    pub detection: Option<DetectionRun>,
    /// The last run of many images.
    pub gallery: Option<crate::gui::gallery::Gallery>,
    /// The last evaluation on labelled images (kept across edits, marked stale by its
    /// generation).
    pub evaluation: Option<Arc<crate::gui::evaluation::EvalRun>>,
    /// The prepared backend, reused while weights and backend choice stay the same.
    pub runner: Arc<Mutex<Prepared>>,
    /// The detection heads with their grids, anchors and receptive fields.
    pub heads: Arc<Vec<crate::detect::overlay::Head>>,
    /// Each layer's `key=value` entries as darknet's `read_cfg` reads them (whitespace removed,
    /// comment lines skipped, a repeat marked `shadowed`), for the inspector.
    pub keys: Arc<Vec<Vec<crate::cfg::Entry>>>,
    /// The cfg doctor's findings on the current text (the Source tab).
    pub lint: Arc<crate::doctor::LintReport>,
    /// The text as edited, with its history and how it stands against the file.
    pub source: SourceBuffer,
    /// The generation of the text the analysis (graph, table, charts) was built from; jobs
    /// carry it, and a result for another generation is dropped.
    pub generation: u64,
    /// The generation of the text `lint` was made from (a finding's fix applies to it only).
    pub lint_generation: u64,
    /// Why the current text does not build, while the views show the last text that did.
    pub build_error: Option<String>,
}

impl Document {
    /// Builds the view data of an analysis (pure; runs in a background job).
    pub fn new(path: PathBuf, analysis: Analysis) -> Self {
        let layout = graph::layout(&analysis.network);
        let edges = graph::csp::edges(&analysis.network, &analysis.shapes);
        let splits = graph::csp::splits(&analysis.network, &edges);
        let groups = graph::view::groups(&analysis);
        let collapsed = vec![graph::view::opens_collapsed(&layout); groups.len()];
        let view = graph::view::view_layout(&analysis, &groups, &collapsed);
        // the doctor reads the analysis: nothing is built twice
        let lint = crate::doctor::LintReport {
            cfg: path.display().to_string(),
            ..crate::doctor::lint_analysis(&analysis, &crate::doctor::LintOptions::default())
        };
        let source = SourceBuffer::opened(analysis.source.clone(), None);
        let keys = layer_entries(&analysis.source);
        let heads = crate::detect::overlay::heads(&analysis);
        Self {
            generation: source.generation(),
            lint_generation: source.generation(),
            source,
            build_error: None,
            path,
            analysis: Arc::new(analysis),
            layout: Arc::new(layout),
            edges: Arc::new(edges),
            splits: Arc::new(splits),
            groups: Arc::new(groups),
            collapsed,
            view: Arc::new(view),
            weights: None,
            names: None,
            detection: None,
            gallery: None,
            evaluation: None,
            runner: Arc::new(Mutex::new(None)),
            heads: Arc::new(heads),
            keys: Arc::new(keys),
            lint: Arc::new(lint),
        }
    }

    /// Takes the analysis and its views from `built`, a document made from this one's text of
    /// generation `generation`; the text, its history, weights and names stay.
    pub fn adopt(&mut self, built: Self, generation: u64) {
        self.analysis = built.analysis;
        self.layout = built.layout;
        self.edges = built.edges;
        self.splits = built.splits;
        self.groups = built.groups;
        self.collapsed = built.collapsed;
        self.view = built.view;
        self.heads = built.heads;
        self.keys = built.keys;
        self.generation = generation;
        self.build_error = None;
        self.detection = None;
        self.runner = Arc::new(Mutex::new(None));
    }

    /// The file name, with `*` while it has unsaved edits, for tabs and titles.
    pub fn tab_title(&self) -> String {
        if self.source.is_dirty() {
            format!("{}*", self.title())
        } else {
            self.title()
        }
    }

    /// The file name, for tabs and titles.
    pub fn title(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// The class names, or none.
    pub fn class_names(&self) -> &[String] {
        self.names.as_ref().map_or(&[], |(_, n)| n.as_slice())
    }
}

/// What re-analysing an edited text gives: its findings always, its views when it builds.
#[derive(Debug)]
pub struct Edited {
    /// The cfg doctor's findings on the text.
    pub lint: Arc<crate::doctor::LintReport>,
    /// The analysed text's views, or why it does not build.
    pub built: Result<Box<Document>, crate::gui::diagnostics::Diagnostic>,
    /// Whether the attached weights lie where the edited network reads them.
    pub weights_fit: bool,
}

/// Where a run's results go.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The network.
    pub slot: Slot,
    /// The run.
    pub run: u64,
}

/// Each layer section's entries (the sections after `[net]`) by the cfg parser's rules.
fn layer_entries(source: &str) -> Vec<Vec<crate::cfg::Entry>> {
    crate::cfg::parse(source).map_or_else(
        |_| Vec::new(),
        |cfg| {
            cfg.sections
                .into_iter()
                .skip(1)
                .map(|s| s.entries)
                .collect()
        },
    )
}
