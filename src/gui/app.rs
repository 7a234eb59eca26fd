//! The app's state and its frame: a top bar (open, compare, recent, network A/B, tabs, running
//! jobs), the inspector on the right, diagnostics at the bottom and the chosen view in the
//! centre. Nothing here computes: files, analyses and inference go to background jobs.

use crate::backend::{BackendChoice, Precision};
use crate::gui::command::{Command, Tab};
use crate::gui::diagnostics::{self, Diagnostic};
use crate::gui::doc::Document;
use crate::gui::graph::Pick;
use crate::gui::graph::{ColorBy, GraphState};
use crate::gui::jobs::Jobs;
use crate::gui::panels::table::TableState;
use crate::gui::slot::Slot;
use crate::gui::{
    panels::compare_view, panels::detect_view, panels::inspector, panels::stage_inspector,
    panels::table,
};
use crate::limits::Limits;
use std::path::PathBuf;

const TABS: [(Tab, &str); 9] = [
    (Tab::Graph, "Graph"),
    (Tab::Table, "Layers"),
    (Tab::Charts, "Charts"),
    (Tab::Compare, "Compare"),
    (Tab::Accuracy, "Accuracy"),
    (Tab::Evaluate, "Evaluate"),
    (Tab::Detection, "Detection"),
    (Tab::Gallery, "Images"),
    (Tab::Source, "Source"),
];

/// One network's state (A or B): the document and what waits on it.
#[derive(Default)]
pub struct SlotState {
    /// The open network.
    pub doc: Option<Document>,
    /// Its graph view state.
    pub graph: Option<GraphState>,
    /// The shown detection's image texture.
    pub(in crate::gui) texture: Option<egui::TextureHandle>,
    /// An image waiting for the network's weights.
    pub(in crate::gui) pending_image: Option<PathBuf>,
    /// The job reading the network's weights, while one runs.
    pub(in crate::gui) weights_job: Option<u64>,
    /// Files waiting for the network's cfg.
    pub(in crate::gui) pending_files: Vec<PathBuf>,
    /// The latest open request (a document answering an older one is dropped).
    pub(in crate::gui) open_ticket: u64,
    /// When the edited text is due for re-analysis (typing paused).
    pub(in crate::gui) edit_due: Option<std::time::Instant>,
    /// A recovered text waiting for its cfg to open.
    pub(in crate::gui) pending_recovery: Option<String>,
    /// What to do once the text is saved (an open that waited on it).
    pub(in crate::gui) after_save: Option<crate::gui::command::Command>,
}

/// The csplens app.
pub struct App {
    /// Network A's and network B's state.
    pub slots: [SlotState; 2],
    /// Which network the graph, table, charts and detection views show.
    pub active: Slot,
    /// The central view.
    pub tab: Tab,
    /// The selected layer of the active network.
    pub selected: Option<usize>,
    /// The open "Make CSP" form.
    pub(in crate::gui) make_csp: Option<crate::gui::panels::make_csp::MakeCspForm>,
    /// The selected CSP stage of the active network (position in `csp.stages`), shown by the
    /// inspector while no layer is selected.
    pub selected_stage: Option<usize>,
    pub(in crate::gui) scroll_table: bool,
    /// Table sort.
    pub table: TableState,
    pub(in crate::gui) table_rows: table::RowCache,
    /// Node colours.
    pub color_by: ColorBy,
    /// Detection threshold.
    pub thresh: f32,
    /// Each backend's measured roofline ceilings (measured once, after its first run).
    pub ceilings: std::collections::HashMap<&'static str, crate::profile::roofline::Ceilings>,
    /// Backends whose ceilings are being measured.
    pub(in crate::gui) measuring: std::collections::HashSet<&'static str>,
    /// Thumbnail textures of the gallery, by (run, image).
    pub(in crate::gui) thumbs: std::collections::HashMap<(u64, usize), egui::TextureHandle>,
    /// The detection view's head overlay.
    pub overlay: detect_view::HeadOverlay,
    /// The Evaluate tab's dataset, options, job and view state.
    pub eval: crate::gui::evaluation::EvalView,
    /// Pictures of each network's misses, by (network, crop).
    pub(in crate::gui) miss_textures:
        std::collections::HashMap<(usize, usize), egui::TextureHandle>,
    /// Backend asked for.
    pub backend: BackendChoice,
    /// How the GPU stores values (the detection view's f32 / f16).
    pub precision: Precision,
    /// Errors, warnings and notes, oldest first.
    pub diagnostics: Vec<Diagnostic>,
    /// Background jobs.
    pub jobs: Jobs,
    /// Resource caps.
    pub caps: Limits,
    /// Recently opened files, newest first.
    pub recent: Vec<PathBuf>,
    /// A restored selection, applied when the active network arrives.
    pub(in crate::gui) pending_select: Option<usize>,
    /// Messages sent by the panels and polled from the jobs, applied before the next frame.
    pub(in crate::gui) messages: Vec<crate::gui::message::Message>,
    /// The egui context of the last frame (textures of job results are made on it).
    pub(in crate::gui) ctx: egui::Context,
    /// The question the app waits on (a modal dialog).
    pub question: Option<crate::gui::command::Question>,
    /// The open fix form (classes, input size).
    pub fix_form: Option<crate::gui::panels::fix_form::FixForm>,
    /// Where unsaved edits are kept against a crash (`None`: not kept).
    pub recovery_dir: Option<PathBuf>,
    /// Close once every text is saved.
    pub(in crate::gui) close_after_save: bool,
    /// The user let unsaved edits go (or there were none): the window may close.
    pub(in crate::gui) close_allowed: bool,
    /// Close the window at the next frame.
    pub(in crate::gui) close_now: bool,
    /// The renderer's GPU device, shared with the wgpu backend.
    #[cfg(feature = "gpu")]
    pub(in crate::gui) device: Option<crate::backend::wgpu::GpuContext>,
}

impl Default for App {
    fn default() -> Self {
        Self {
            slots: Default::default(),
            active: Slot::A,
            tab: Tab::Graph,
            selected: None,
            selected_stage: None,
            make_csp: None,
            scroll_table: false,
            table: TableState::default(),
            table_rows: table::RowCache::default(),
            color_by: ColorBy::Bflops,
            thresh: 0.25,
            overlay: detect_view::HeadOverlay::default(),
            eval: Default::default(),
            miss_textures: std::collections::HashMap::new(),
            thumbs: std::collections::HashMap::new(),
            ceilings: std::collections::HashMap::new(),
            measuring: std::collections::HashSet::new(),
            backend: BackendChoice::Auto,
            precision: Precision::F32,
            diagnostics: Vec::new(),
            jobs: Jobs::default(),
            caps: Limits::default(),
            recent: Vec::new(),
            pending_select: None,
            messages: Vec::new(),
            ctx: egui::Context::default(),
            question: None,
            fix_form: None,
            recovery_dir: None,
            close_after_save: false,
            close_allowed: false,
            close_now: false,
            #[cfg(feature = "gpu")]
            device: None,
        }
    }
}

impl App {
    /// The open documents (A, then B).
    pub fn docs(&self) -> impl Iterator<Item = &Document> {
        self.slots.iter().filter_map(|s| s.doc.as_ref())
    }

    /// The active network's document.
    pub fn doc(&self) -> Option<&Document> {
        self.slots[self.active.index()].doc.as_ref()
    }

    /// Selects a layer of the active network everywhere (graph, table, inspector).
    pub fn select(&mut self, layer: Option<usize>) {
        self.selected = layer;
        self.selected_stage = None;
        self.scroll_table = true;
        let k = self.active.index();
        if let (Some(doc), Some(g)) = (&self.slots[k].doc, &mut self.slots[k].graph) {
            g.selected_stage = None;
            match layer {
                Some(i) => g.go_to(doc, i),
                None => g.select(None),
            }
        }
    }

    /// Selects layer `i` as a click on its node does: the graph keeps its view.
    pub(in crate::gui) fn pick_node(&mut self, i: usize) {
        self.selected = Some(i);
        self.selected_stage = None;
        self.scroll_table = true;
        if let Some(g) = &mut self.slots[self.active.index()].graph {
            g.selected_stage = None;
            g.select(Some(i));
        }
    }

    /// Selects CSP stage `stage` of the active network: the inspector shows its analysis and
    /// its frame is drawn selected.
    pub fn select_stage(&mut self, stage: Option<usize>) {
        self.selected = None;
        self.selected_stage = stage;
        if let Some(g) = &mut self.slots[self.active.index()].graph {
            g.select(None);
            g.selected_stage = stage;
        }
    }

    /// Collapses or expands the group of stage `stage` in the active graph.
    pub fn set_stage_collapsed(&mut self, stage: usize, collapsed: bool) {
        let k = self.active.index();
        if let (Some(doc), Some(g)) = (&self.slots[k].doc, &mut self.slots[k].graph)
            && let Some(group) = GraphState::stage_group(doc, stage)
        {
            g.set_collapsed(doc, Some(group), collapsed);
        }
    }

    /// Collapses or expands every group of the active graph.
    pub(in crate::gui) fn collapse_all(&mut self, collapsed: bool) {
        let k = self.active.index();
        if let (Some(doc), Some(g)) = (&self.slots[k].doc, &mut self.slots[k].graph) {
            g.set_collapsed(doc, None, collapsed);
        }
    }

    /// Colours the active graph's nodes by `by`.
    pub(in crate::gui) fn color_graph(&mut self, by: ColorBy) {
        let k = self.active.index();
        if let (Some(doc), Some(g)) = (&self.slots[k].doc, &mut self.slots[k].graph) {
            g.recolor(doc, by);
        }
        self.color_by = by;
    }

    /// Waits for every job (and the jobs their results start) and applies the results; for
    /// scripts, tests and benchmarks, never called from a frame.
    pub fn settle(&mut self, ctx: &egui::Context) {
        self.ctx = ctx.clone();
        self.apply_queued();
        self.start_due_edits(true);
        while !self.jobs.running().is_empty() {
            for out in self.jobs.wait_all(crate::gui::jobs::WAIT) {
                self.send(out);
            }
            self.apply_queued();
            self.start_due_edits(true);
        }
    }

    /// The active network's graph view state.
    pub fn graph(&self) -> Option<&GraphState> {
        self.slots[self.active.index()].graph.as_ref()
    }

    /// Where the title of stage `stage`'s frame in the active graph is on screen (after a
    /// frame was drawn).
    pub fn frame_screen_pos(&self, ctx: &egui::Context, stage: usize) -> Option<egui::Pos2> {
        self.graph()?.frame_screen_pos(ctx, stage)
    }

    /// Where layer `i`'s node of the active network is on screen (after a frame was drawn).
    pub fn node_screen_pos(&self, ctx: &egui::Context, i: usize) -> Option<egui::Pos2> {
        self.slots[self.active.index()]
            .graph
            .as_ref()?
            .screen_pos(ctx, i)
    }

    /// One frame as eframe runs it: [`App::logic`], then [`App::draw`] (scripts, tests and
    /// benchmarks draw through this).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.logic(&ctx);
        self.draw(ui);
    }

    /// eframe's `logic` hook, before each frame: finished jobs, dropped files, shortcuts and
    /// the window's close button become messages, and every queued message is applied. The
    /// only place (with the handlers it dispatches to) where the app's state changes.
    pub fn logic(&mut self, ctx: &egui::Context) {
        self.ctx = ctx.clone();
        self.jobs.set_repaint(ctx.clone());
        for out in self.jobs.poll() {
            self.send(out);
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        self.dropped(dropped);
        self.shortcuts(ctx);
        self.apply_queued();
        // what the views read, recomputed only when the state changed
        if let Some(doc) = &self.slots[self.active.index()].doc {
            self.table_rows.refresh(doc, &self.table);
        }
        if let Some(wait) = self.start_due_edits(false) {
            ctx.request_repaint_after(wait);
        }
        self.window_close(ctx);
    }

    /// eframe's `ui` hook: draws the state; panels send what the user does as messages
    /// (applied by the next [`App::logic`]). Only view state (pan, zoom, scroll, hover, a
    /// text field being typed in) changes while drawing.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.top_bar(ui);
        egui::Panel::bottom("diagnostics")
            .resizable(true)
            .default_size(110.0)
            .show(ui, |ui| {
                ui.strong("Diagnostics");
                if let Some(layer) = diagnostics::show(ui, &self.diagnostics) {
                    self.send(Command::ShowTab(Tab::Graph));
                    self.send(Command::Select(Some(layer)));
                }
            });
        let mut stage_action = None;
        egui::Panel::right("inspector")
            .resizable(true)
            .default_size(340.0)
            .show(ui, |ui| {
                // no horizontal shrink: the panel keeps its width whatever the first frame
                // shows (a document still loading would otherwise narrow it for good)
                egui::ScrollArea::vertical()
                    .id_salt("inspector")
                    .auto_shrink([false, true])
                    .show(ui, |ui| {
                        match (self.doc(), self.selected, self.selected_stage) {
                            (Some(doc), Some(i), _) => {
                                inspector::show(ui, doc, i, &self.diagnostics)
                            }
                            (Some(doc), None, Some(s)) => {
                                let collapsed = self.slots[self.active.index()]
                                    .graph
                                    .as_ref()
                                    .zip(GraphState::stage_group(doc, s))
                                    .is_some_and(|(g, k)| g.collapsed.get(k) == Some(&true));
                                stage_action = stage_inspector::show(ui, doc, s, collapsed);
                            }
                            (Some(doc), None, None) => summary(ui, doc),
                            _ => {
                                ui.weak("Open a .cfg (File → Open, or drop it here).");
                            }
                        }
                    });
            });
        match stage_action {
            Some(stage_inspector::Action::Collapse(stage, collapsed)) => {
                self.send(Command::CollapseStage { stage, collapsed });
            }
            Some(stage_inspector::Action::Select(l)) => self.send(Command::Select(Some(l))),
            None => {}
        }
        egui::CentralPanel::default().show(ui, |ui| self.central(ui));
        if let Some(form) = &mut self.make_csp
            && let Some(action) = crate::gui::panels::make_csp::show(&ctx, form)
        {
            self.send(Command::MakeCsp(action));
        }
        if let Some(form) = &mut self.fix_form
            && let Some(cmd) = crate::gui::panels::fix_form::show(&ctx, form)
        {
            self.send(cmd);
        }
        if let Some(q) = &self.question
            && let Some(a) = crate::gui::panels::questions::show(&ctx, q)
        {
            self.send(Command::Answer(a));
        }
        if !self.messages.is_empty() {
            // the next frame's logic applies them
            ctx.request_repaint();
        }
    }

    /// Dropped files: on the Evaluate tab a folder is the dataset; elsewhere folders and
    /// several images at once go to the gallery; the rest open by kind.
    fn dropped(&mut self, paths: Vec<PathBuf>) {
        if self.tab == Tab::Evaluate
            && let [dir] = &paths[..]
            && dir.is_dir()
        {
            let source = crate::gui::evaluation::DataSource::Folder(dir.clone());
            self.send(Command::Evaluate(crate::gui::evaluation::Action::Source(
                source,
            )));
            return;
        }
        let is_many = |p: &PathBuf| p.is_dir() || crate::detect::inputs::is_image(p);
        let images = paths.iter().filter(|p| is_many(p)).count();
        if images > 1 || paths.iter().any(|p| p.is_dir()) {
            let (many, rest): (Vec<PathBuf>, Vec<PathBuf>) = paths.into_iter().partition(is_many);
            for path in rest {
                self.send(Command::Open { path, slot: None });
            }
            self.send(Command::OpenImages(many));
        } else {
            for path in paths {
                self.send(Command::Open { path, slot: None });
            }
        }
    }

    /// Ctrl+S saves the active text, Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo and redo it: taken
    /// before the editor sees them, so its own undo never competes with the document's.
    fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let slot = self.active;
        let keys = [
            (
                KeyboardShortcut::new(Modifiers::COMMAND, Key::S),
                Command::Save(slot),
            ),
            (
                KeyboardShortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z),
                Command::Redo(slot),
            ),
            (
                KeyboardShortcut::new(Modifiers::COMMAND, Key::Y),
                Command::Redo(slot),
            ),
            (
                KeyboardShortcut::new(Modifiers::COMMAND, Key::Z),
                Command::Undo(slot),
            ),
        ];
        for (shortcut, cmd) in keys {
            if self.slots[slot.index()].doc.is_some()
                && ctx.input_mut(|i| i.consume_shortcut(&shortcut))
            {
                self.send(cmd);
            }
        }
    }

    /// The window's close button: refused while unsaved edits wait on the user's answer.
    fn window_close(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested()) && !self.may_close() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.apply(Command::CloseRequested);
        }
        if std::mem::take(&mut self.close_now) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("top").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                if ui.button("Open…").clicked() {
                    self.send(Command::OpenDialog(Some(self.active)));
                }
                if ui.button("Compare with…").clicked() {
                    self.send(Command::OpenDialog(Some(Slot::B)));
                }
                ui.menu_button("Recent", |ui| {
                    for p in self.recent.clone() {
                        if ui.button(p.display().to_string()).clicked() {
                            self.send(Command::Open {
                                path: p,
                                slot: None,
                            });
                            ui.close();
                        }
                    }
                });
                ui.separator();
                for slot in [Slot::A, Slot::B] {
                    let name = self.slots[slot.index()]
                        .doc
                        .as_ref()
                        .map_or_else(|| "—".into(), |d| d.tab_title());
                    let label = format!("{slot:?}: {name}");
                    if ui.selectable_label(self.active == slot, label).clicked() {
                        self.send(Command::Activate(slot));
                    }
                }
                ui.separator();
                for (tab, name) in TABS {
                    if ui.selectable_label(self.tab == tab, name).clicked() {
                        self.send(Command::ShowTab(tab));
                    }
                }
                ui.separator();
                self.job_status(ui);
            });
        });
    }

    fn job_status(&mut self, ui: &mut egui::Ui) {
        let running: Vec<_> = self.jobs.running().to_vec();
        for job in running {
            ui.spinner();
            ui.label(format!(
                "{} ({:.1} s)",
                job.name,
                job.started.elapsed().as_secs_f32()
            ));
            if ui.small_button("✖").on_hover_text("cancel").clicked() {
                self.send(Command::CancelJob(job.id));
            }
        }
    }

    fn central(&mut self, ui: &mut egui::Ui) {
        let k = self.active.index();
        if self.slots[k].doc.is_none() {
            ui.centered_and_justified(|ui| {
                ui.heading("Drop a .cfg, .weights, .names or an image here, or use Open…");
            });
            return;
        }
        match self.tab {
            Tab::Graph => self.graph_tab(ui),
            Tab::Table => self.table_tab(ui),
            Tab::Charts => {
                if let Some(doc) = &self.slots[k].doc {
                    self.charts_tab(ui, doc);
                }
            }
            Tab::Compare => match (&self.slots[0].doc, &self.slots[1].doc) {
                (Some(a), Some(b)) => compare_view::show(ui, a, b),
                _ => {
                    ui.weak("Open a second network with “Compare with…”.");
                }
            },
            Tab::Accuracy => {
                let docs = [self.slots[0].doc.as_ref(), self.slots[1].doc.as_ref()];
                let axis = self.eval.axis;
                for a in crate::gui::panels::accuracy_view::show(ui, docs, axis) {
                    self.send(Command::Evaluate(a));
                }
            }
            Tab::Evaluate => self.evaluate_tab(ui),
            Tab::Detection => self.detection_tab(ui),
            Tab::Gallery => {
                let k = self.active.index();
                if let Some(doc) = &self.slots[k].doc {
                    let cmds = crate::gui::panels::gallery_view::show(ui, doc, &self.thumbs);
                    for c in cmds {
                        self.send(c);
                    }
                }
            }
            Tab::Source => {
                let cmds = self.slots[k].doc.as_ref().map_or_else(Vec::new, |doc| {
                    crate::gui::panels::source_view::show(ui, doc, self.active, self.selected)
                });
                for c in cmds {
                    self.send(c);
                }
            }
        }
    }

    fn graph_tab(&mut self, ui: &mut egui::Ui) {
        let k = self.active.index();
        let (Some(doc), Some(g)) = (&self.slots[k].doc, &mut self.slots[k].graph) else {
            return;
        };
        let mut clicked = None;
        let mut make_csp = false;
        let mut sent = Vec::new();
        ui.horizontal(|ui| {
            if ui
                .button("Make CSP…")
                .on_hover_text("rewrite this network's residual or dense stages as CSP stages")
                .clicked()
            {
                make_csp = true;
            }
            ui.label("colour by");
            let mut by = g.color_by;
            ui.selectable_value(&mut by, ColorBy::Bflops, "BFLOPs");
            ui.selectable_value(&mut by, ColorBy::Memory, "memory");
            if by != g.color_by {
                sent.push(Command::ColorBy(by));
            }
            if ui.button("Fit").clicked() {
                g.fit();
            }
            if !doc.groups.is_empty() {
                if ui
                    .button("Expand all")
                    .on_hover_text("show every layer of every stage and run")
                    .clicked()
                {
                    sent.push(Command::CollapseAll(false));
                }
                if ui
                    .button("Collapse all")
                    .on_hover_text("one node per CSP stage and per run of plain layers")
                    .clicked()
                {
                    sent.push(Command::CollapseAll(true));
                }
            }
            let mut search = g.search.clone();
            let r = ui.add(
                egui::TextEdit::singleline(&mut search)
                    .hint_text("find: index or type")
                    .desired_width(150.0),
            );
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if search != g.search {
                sent.push(Command::GraphSearch(search.clone()));
            }
            if (enter || ui.button("Find next").clicked())
                && let Some(i) = g.find_text(doc, &search, self.selected.map_or(0, |s| s + 1))
            {
                clicked = Some(i);
            }
            if doc.build_error.is_some() {
                ui.colored_label(
                    egui::Color32::from_rgb(240, 80, 70),
                    "the edited text does not build (Source tab): showing the last one that did",
                );
            }
            ui.weak(format!(
                "{} layers, {} CSP stages, {:.3} BFLOPs",
                doc.analysis.network.layers.len(),
                doc.analysis.csp.stages.len(),
                doc.analysis.profile.total_bflops
            ));
        });
        match g.show(ui, doc) {
            Some(Pick::Layer(i)) => self.send(Command::PickNode(i)),
            Some(Pick::Stage(s)) => self.send(Command::SelectStage(Some(s))),
            None => {}
        }
        if clicked.is_some() {
            self.send(Command::Select(clicked));
        }
        if make_csp {
            self.send(Command::OpenMakeCsp);
        }
        for c in sent {
            self.send(c);
        }
    }

    /// The profile charts, and the last run's roofline under them once its backend's
    /// ceilings are measured.
    fn charts_tab(&self, ui: &mut egui::Ui, doc: &crate::gui::doc::Document) {
        let run = doc.detection.as_ref();
        let roof = run.and_then(|r| Some((r, r.roofline.clone()?, *self.ceilings.get(r.engine)?)));
        let Some((run, points, c)) = roof else {
            crate::gui::panels::charts::show(ui, &[doc], "charts");
            return;
        };
        let size = ui.available_size();
        ui.allocate_ui(egui::vec2(size.x, size.y * 0.62), |ui| {
            crate::gui::panels::charts::show(ui, &[doc], "charts");
        });
        let h = (ui.available_height() - 30.0).max(120.0);
        crate::gui::panels::roofline_view::show(ui, run, &points, c, "charts", h);
    }

    fn table_tab(&mut self, ui: &mut egui::Ui) {
        let k = self.active.index();
        let Some(doc) = &self.slots[k].doc else {
            return;
        };
        let mut export = None;
        let mut onnx = false;
        ui.horizontal(|ui| {
            ui.label("Export:");
            for (name, f) in [
                ("CSV", crate::report::Format::Csv),
                ("JSON", crate::report::Format::Json),
                ("Markdown", crate::report::Format::Md),
            ] {
                if ui.button(name).clicked() {
                    export = Some(f);
                }
            }
            onnx = ui
                .add_enabled(doc.weights.is_some(), egui::Button::new("ONNX…"))
                .on_hover_text("the network with its weights as an ONNX model: boxes and scores decoded as darknet does (csplens export)")
                .on_disabled_hover_text("drop the network's .weights file first")
                .clicked();
        });
        let scroll = std::mem::take(&mut self.scroll_table);
        let (clicked, sort) = table::show(
            ui,
            doc,
            &self.table,
            self.table_rows.current(),
            self.selected,
            scroll,
        );
        if let Some(f) = export {
            self.send(Command::Export(f));
        }
        if onnx {
            self.send(Command::ExportOnnx(None));
        }
        if let Some(by) = sort {
            self.send(Command::SortTable(by));
        }
        if clicked.is_some() {
            self.send(Command::Select(clicked));
        }
    }

    fn evaluate_tab(&mut self, ui: &mut egui::Ui) {
        let k = self.active.index();
        let Some(doc) = &self.slots[k].doc else {
            return;
        };
        let shown = crate::gui::panels::evaluate_view::Shown {
            doc,
            slot: self.active,
            other: self.slots[1 - k].doc.as_ref(),
            running: self.eval.job.is_some_and(|id| self.jobs.is_running(id)),
            textures: &self.miss_textures,
        };
        let actions = crate::gui::panels::evaluate_view::show(ui, &self.eval, &shown);
        for a in actions {
            self.send(Command::Evaluate(a));
        }
    }

    fn detection_tab(&mut self, ui: &mut egui::Ui) {
        let k = self.active.index();
        let Some(doc) = &self.slots[k].doc else {
            return;
        };
        let action = detect_view::show(
            ui,
            doc,
            self.slots[k].texture.as_ref(),
            self.thresh,
            (self.backend, self.precision),
            self.overlay,
        );
        if let Some(a) = action {
            self.send(Command::Detection(a));
        }
    }
}

/// The network's totals, shown when no layer is selected.
fn summary(ui: &mut egui::Ui, doc: &Document) {
    let a = &doc.analysis;
    ui.heading(doc.title());
    ui.label(format!(
        "input {}×{}×{}",
        a.shapes.input.w, a.shapes.input.h, a.shapes.input.c
    ));
    ui.label(format!("{} layers", a.network.layers.len()));
    ui.label(format!("{:.3} BFLOPs", a.profile.total_bflops));
    ui.label(format!("{} parameters", a.profile.params));
    ui.label(format!(
        ".weights size {} bytes",
        a.profile.weights_file_bytes
    ));
    ui.label(format!(
        "peak activations {}",
        crate::units::bytes(a.memory.peak_activation_bytes)
    ));
    ui.label(format!("{} CSP stages", a.csp.stages.len()));
    for s in &a.csp.stages {
        ui.weak(crate::gui::graph::style::gui_text(&s.label()));
    }
    if !a.csp.partial_residuals.is_empty() {
        ui.label(format!(
            "{} partial residuals (a [shortcut] adding fewer channels)",
            a.csp.partial_residuals.len()
        ));
    }
    if let Some((p, _)) = &doc.weights {
        let name = p
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        ui.label(format!("weights: {name}"))
            .on_hover_text(p.display().to_string());
    }
    ui.weak("Click a node or a table row to inspect a layer.");
}
