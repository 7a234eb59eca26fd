//! What the Evaluate tab holds: the dataset it evaluates on, the options, each network's last
//! evaluation (the library's [`Evaluation`], the dataset's check-data report and the misses'
//! picture regions), and the view state (the class shown, the reason shown, the anchors
//! proposed). The job that fills it is jobs/eval_job.rs; the views are panels/evaluate_view.rs
//! and panels/accuracy_view.rs, which send the [`Action`]s defined here.

use crate::detect::image::Image;
use crate::eval::check::DataReport;
use crate::eval::map::Scored;
use crate::eval::misses::{Geometry, Miss, Reason, nearest};
use crate::eval::propose::Proposal;
use crate::eval::run::Evaluation;
use crate::eval::{DataError, DataFile};
use crate::gui::gallery::{Thumb, region_thumbnail};
use crate::gui::slot::Slot;
use std::path::{Path, PathBuf};

/// Misses pictured per reason (the rest are listed by the counts).
pub const CROPS_PER_REASON: usize = 12;

/// The longest side of a miss's picture, in pixels.
pub const CROP: usize = 150;

/// Where the labelled images come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// A darknet `.data` file (`classes`, `train`, `valid`, `names`).
    File(PathBuf),
    /// A folder of images with their label files (classes and names from the network).
    Folder(PathBuf),
}

impl DataSource {
    /// The file or folder.
    pub fn path(&self) -> &Path {
        match self {
            Self::File(p) | Self::Folder(p) => p,
        }
    }

    /// The dataset; a folder takes the network's `classes` and `names`.
    pub fn read(&self, classes: usize, names: Option<PathBuf>) -> Result<DataFile, DataError> {
        match self {
            Self::File(p) => DataFile::read(p),
            Self::Folder(p) => DataFile::folder(p, classes, names),
        }
    }
}

/// How an evaluation runs (the `csplens map` flags the tab offers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalSettings {
    /// `-points`: 0, 11 or 101.
    pub points: usize,
    /// `-iou_thresh`.
    pub iou_thresh: f32,
    /// `-thresh`.
    pub thresh: f32,
}

impl Default for EvalSettings {
    /// darknet's `detector map` defaults.
    fn default() -> Self {
        Self {
            points: 0,
            iou_thresh: 0.5,
            thresh: 0.25,
        }
    }
}

/// A box in image pixels: `[left, top, width, height]`.
pub type PxBox = [f32; 4];

/// One miss pictured: the image region around it and what is drawn on it, in image pixels.
#[derive(Debug, Clone)]
pub struct Crop {
    /// The miss's position in the evaluation's `misses`.
    pub miss: usize,
    /// The region's picture.
    pub thumb: Thumb,
    /// The region of the image it shows.
    pub region: PxBox,
    /// The label.
    pub label: PxBox,
    /// The cell of the label's head that holds the label's centre.
    pub cell: Option<PxBox>,
    /// The label's best anchor, centred on the label.
    pub anchor: Option<PxBox>,
    /// The detection overlapping the label most: its box, class, confidence and IoU.
    pub nearest: Option<(PxBox, usize, f32, f32)>,
}

/// One network's evaluation on the tab's dataset.
#[derive(Debug, Clone)]
pub struct EvalRun {
    /// The dataset.
    pub source: DataSource,
    /// The settings it ran with.
    pub settings: EvalSettings,
    /// The document generation evaluated (an edit since makes it stale).
    pub generation: u64,
    /// The numbers, the misses and the time.
    pub evaluation: Evaluation,
    /// check-data's findings on the dataset (with this network's heads).
    pub report: DataReport,
    /// The backend and device it ran on.
    pub backend: String,
    /// Pictures of the first misses of each reason.
    pub crops: Vec<Crop>,
}

impl EvalRun {
    /// Measured forward time per image, milliseconds.
    pub fn ms_per_image(&self) -> f64 {
        let n = self.evaluation.result.images.max(1) as f64;
        self.evaluation.timings.forward.as_secs_f64() * 1e3 / n
    }
}

/// The anchors proposed for a network from the dataset's labels.
#[derive(Debug, Clone)]
pub struct AnchorsState {
    /// The network.
    pub slot: Slot,
    /// Its text version when they were computed (Apply needs the same one).
    pub text_generation: u64,
    /// The proposal, or why there is none.
    pub proposal: Result<Proposal, String>,
}

/// Which cost the accuracy view plots accuracy against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CostAxis {
    /// Billions of operations per image (darknet's BFLOPs).
    #[default]
    Bflops,
    /// Parameters (millions).
    Params,
    /// Measured milliseconds per image.
    Ms,
}

/// The Evaluate tab's state.
#[derive(Debug, Clone, Default)]
pub struct EvalView {
    /// The dataset chosen.
    pub source: Option<DataSource>,
    /// The options of the next run.
    pub settings: EvalSettings,
    /// The running evaluation job.
    pub job: Option<u64>,
    /// Each network's progress (images done, images) while it runs.
    pub progress: [Option<(usize, usize)>; 2],
    /// The class whose PR curve is drawn.
    pub class: Option<usize>,
    /// The reason whose misses the gallery shows (all when `None`).
    pub reason: Option<Reason>,
    /// The anchors proposed.
    pub anchors: Option<AnchorsState>,
    /// The accuracy view's x axis.
    pub axis: CostAxis,
}

/// Pictures of the first [`CROPS_PER_REASON`] misses of each reason: each image decoded once
/// (`cancel` is asked between images).
pub fn crops(
    e: &Evaluation,
    geo: &Geometry,
    max_pixels: u64,
    cancel: &dyn Fn() -> bool,
) -> Vec<Crop> {
    let mut per_reason: std::collections::HashMap<Reason, usize> = Default::default();
    let mut chosen: Vec<(usize, &(usize, Miss))> = Vec::new();
    for (k, m) in e.misses.iter().enumerate() {
        let n = per_reason.entry(m.1.reason).or_default();
        if *n < CROPS_PER_REASON {
            *n += 1;
            chosen.push((k, m));
        }
    }
    // by image, so each is decoded once
    chosen.sort_by_key(|(_, (image, _))| *image);
    let mut out = Vec::with_capacity(chosen.len());
    let mut decoded: Option<(usize, Image)> = None;
    for (k, (image, miss)) in chosen {
        if decoded.as_ref().is_none_or(|(i, _)| i != image) {
            if cancel() {
                return out;
            }
            let im = std::fs::read(&miss.image)
                .ok()
                .and_then(|b| crate::detect::image::decode_limited(&b, max_pixels).ok());
            let Some(im) = im else { continue };
            decoded = Some((*image, im));
        }
        let Some((_, im)) = &decoded else { continue };
        let detections = (e.records.iter().find(|r| r.image == *image))
            .map_or(&[][..], |r| r.detections.as_slice());
        out.push(crop(k, miss, im, geo, detections));
    }
    out.sort_by_key(|c| c.miss);
    out
}

/// One miss's picture and the boxes drawn on it.
fn crop(k: usize, m: &Miss, im: &Image, geo: &Geometry, detections: &[Scored]) -> Crop {
    let (iw, ih) = (im.w as f32, im.h as f32);
    let b = &m.bbox;
    let (cx, cy) = (b.center_x * iw, b.center_y * ih);
    let label = [
        cx - b.width * iw / 2.0,
        cy - b.height * ih / 2.0,
        b.width * iw,
        b.height * ih,
    ];
    let place = geo.placement(im.w, im.h);
    let cell = m.head.and_then(|layer| geo.head(layer)).map(|(stride, _)| {
        let s = stride as f32;
        let (x, y) = place.to_input((cx, cy));
        let (col, row) = ((x / s).floor(), (y / s).floor());
        let (x0, y0) = place.to_image((col * s, row * s));
        let (x1, y1) = place.to_image(((col + 1.0) * s, (row + 1.0) * s));
        [x0, y0, x1 - x0, y1 - y0]
    });
    let anchor = m.anchor.and_then(|n| geo.anchors.get(n)).map(|&(aw, ah)| {
        let (w, h) = (aw / place.scale.0, ah / place.scale.1);
        [cx - w / 2.0, cy - h / 2.0, w, h]
    });
    let nearest = nearest(detections, &m.bbox).map(|(d, v)| {
        let r = d.bbox;
        let px = [
            (r.x - r.w / 2.0) * iw,
            (r.y - r.h / 2.0) * ih,
            r.w * iw,
            r.h * ih,
        ];
        (px, d.class_id, d.p, v)
    });
    // everything drawn, a margin around it, at least 48 px a side
    let mut boxes = vec![label];
    boxes.extend(cell);
    boxes.extend(anchor);
    boxes.extend(nearest.map(|n| n.0));
    let x0 = boxes.iter().map(|r| r[0]).fold(f32::MAX, f32::min);
    let y0 = boxes.iter().map(|r| r[1]).fold(f32::MAX, f32::min);
    let x1 = boxes.iter().map(|r| r[0] + r[2]).fold(f32::MIN, f32::max);
    let y1 = boxes.iter().map(|r| r[1] + r[3]).fold(f32::MIN, f32::max);
    let side = ((x1 - x0).max(y1 - y0) * 1.15).max(48.0);
    let (mx, my) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let left = (mx - side / 2.0).clamp(0.0, (iw - 1.0).max(0.0));
    let top = (my - side / 2.0).clamp(0.0, (ih - 1.0).max(0.0));
    let (w, h) = (side.min(iw - left), side.min(ih - top));
    let px = [
        left as usize,
        top as usize,
        w.ceil() as usize,
        h.ceil() as usize,
    ];
    let thumb = region_thumbnail(im, px, CROP);
    let region = [
        px[0] as f32,
        px[1] as f32,
        thumb_extent(px[2], im.w - px[0].min(im.w)),
        thumb_extent(px[3], im.h - px[1].min(im.h)),
    ];
    Crop {
        miss: k,
        thumb,
        region,
        label,
        cell,
        anchor,
        nearest,
    }
}

/// The pixels of a region side `asked` that the image holds (`room` from its start).
fn thumb_extent(asked: usize, room: usize) -> f32 {
    asked.min(room).max(1) as f32
}

/// What the user did in the Evaluate or Accuracy tab.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Pick a `.data` file (the open dialog).
    PickData,
    /// Pick a folder of labelled images.
    PickFolder,
    /// Evaluate on this dataset.
    Source(DataSource),
    /// The options of the next run.
    Settings(EvalSettings),
    /// Evaluate these networks, one after the other.
    Run(Vec<Slot>),
    /// Stop the running evaluation.
    Cancel,
    /// Draw this class's PR curve.
    Class(Option<usize>),
    /// Show the misses of this reason (all when `None`).
    Reason(Option<Reason>),
    /// The accuracy view's x axis.
    Axis(CostAxis),
    /// Propose anchors for this network from the dataset's labels.
    ComputeAnchors(Slot),
    /// Write the proposed anchors into the cfg (one undoable step).
    ApplyAnchors,
}
