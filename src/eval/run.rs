//! An evaluation run: the `.data` file's validation images through the one detection path
//! (`detect::run`, decoded beside the network, in batches), each image's NMS boxes matched to
//! its labels as darknet's `validate_detector_map` does, then ranked.

use super::coco::{self, CocoImage, CocoStats, label_box, valid_box};
use super::data::{self, DataError, DataFile};
use super::map::{self, ImageMatches, MapParams, MapResult, Matches};
use super::misses::{Geometry, Miss, explain};
use crate::Analysis;
use crate::backend::Runner;
use crate::detect::Params;
use crate::detect::run::{Detector, FilesOptions};
use std::time::{Duration, Instant};

/// How an evaluation runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalOptions {
    /// `-points`: 0 (area under the curve), 11 (VOC2007) or 101 (COCO).
    pub points: usize,
    /// `-iou_thresh`.
    pub iou_thresh: f32,
    /// `-thresh`.
    pub thresh: f32,
    /// Images per forward pass.
    pub batch: usize,
    /// Threads decoding beside the network.
    pub decoders: usize,
    /// The largest image (pixels).
    pub max_pixels: u64,
    /// Only every `n`-th image from the `i`-th (`(i, n)`), for a run split over processes.
    pub shard: Option<(usize, usize)>,
}

/// darknet's thresholds of `validate_detector_map`: every detection above 0.005, NMS 0.45.
pub const DETECTIONS: Params = Params {
    thresh: 0.005,
    hier_thresh: 0.5,
    nms: 0.45,
};

/// An evaluation's result and how it went.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The numbers.
    pub result: MapResult,
    /// Images without a label file, images that failed, a `.data` that disagrees.
    pub warnings: Vec<String>,
    /// COCO's box figures on the detections darknet's `detector valid` writes.
    pub coco: CocoStats,
    /// Each image's labels and `detector valid` detections, in pixels (what a shard writes).
    pub coco_images: Vec<(usize, CocoImage)>,
    /// Every label no detection above `-thresh` found, with why (and its image's position).
    pub misses: Vec<(usize, Miss)>,
    /// Each image's matches, in list order (what a shard's raw file holds).
    pub records: Vec<ImageMatches>,
    /// The thresholds it ran with.
    pub params: MapParams,
    /// The class names.
    pub names: Vec<String>,
    /// Images in the whole list (a shard runs some of them).
    pub images_total: usize,
    /// Wall time of the whole run.
    pub wall: Duration,
    /// Where the images' time went, summed.
    pub timings: crate::detect::run::Timings,
}

impl Evaluation {
    /// Images evaluated per second, decoding and matching included.
    pub fn images_per_s(&self) -> f64 {
        self.result.images as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Evaluates `runner` (prepared from `analysis`) on `data`'s `valid` list. `progress` hears
/// `(done, total)` after each image; when it answers false the run stops there, and the
/// result covers the images done.
pub fn evaluate(
    analysis: &Analysis,
    runner: &Runner,
    data: &DataFile,
    o: &EvalOptions,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Result<Evaluation, DataError> {
    let images = data.valid_images()?;
    let names = data.class_names()?;
    let mut warnings = data.warnings.clone();
    // darknet counts the classes of the network's last layer
    let classes = head_classes(analysis).unwrap_or(data.classes);
    if classes != data.classes {
        warnings.push(format!(
            "{} says classes={} but the network's heads detect {classes}: darknet evaluates {classes}",
            data.path.display(),
            data.classes
        ));
    }
    let p = MapParams {
        classes,
        iou_thresh: o.iou_thresh,
        thresh: o.thresh,
    };
    let mut matches = Matches::new(classes);
    let mut timings = crate::detect::run::Timings::default();
    let started = Instant::now();
    let files = FilesOptions {
        batch: o.batch.max(1),
        decoders: o.decoders.max(1),
        ahead: 4,
        max_pixels: o.max_pixels,
    };
    let images_total = images.len();
    let (index, paths): (Vec<usize>, Vec<_>) = (images.into_iter().enumerate())
        .filter(|(i, _)| o.shard.is_none_or(|(k, n)| i % n.max(1) == k))
        .unzip();
    let labels = read_all_labels(&paths, classes, &mut warnings)?;
    let total = paths.len();
    let geo = Geometry::of(analysis);
    let mut misses = Vec::new();
    let mut records = Vec::with_capacity(total);
    let mut coco_images = Vec::with_capacity(total);
    let detector = Detector::new(analysis, runner, DETECTIONS, &names);
    detector.files(paths, &files, |k, path, found| {
        let i = index[k];
        let labels = labels.get(k).map_or(&[][..], Vec::as_slice);
        let shown = path.display().to_string();
        let (boxes, size) = match &found {
            Ok(d) => {
                timings += d.timings;
                (&d.boxes[..], (d.image.w, d.image.h))
            }
            Err(e) => {
                // darknet goes on with an empty image: the labels stay, unfound
                warnings.push(format!("{shown}: {e}; its labels count as missed"));
                (&[][..], (0, 0))
            }
        };
        let coco = match &found {
            Ok(d) => coco_image(analysis, d, labels),
            Err(_) => CocoImage::default(),
        };
        coco_images.push((i, coco));
        let image = ImageMatches::new(i, boxes, labels, &p);
        matches.add(&image);
        if let Some(geo) = &geo {
            let explained = explain(&shown, size, labels, &image.found, boxes, geo, &p, &names);
            misses.extend(explained.into_iter().map(|m| (i, m)));
        }
        records.push(image);
        progress(k + 1, total)
    });
    Ok(Evaluation {
        result: map::finish(&matches, &p, o.points, &names),
        coco: coco::evaluate(&coco_images.iter().map(|c| c.1.clone()).collect::<Vec<_>>()),
        coco_images,
        warnings,
        misses,
        records,
        params: p,
        names,
        images_total,
        wall: started.elapsed(),
        timings,
    })
}

/// The classes of the network's last head (`None` without one).
pub fn head_classes(a: &Analysis) -> Option<usize> {
    a.network.layers.iter().rev().find_map(|l| {
        if let crate::kinds::LayerKind::Region(r) = &l.kind {
            return Some(r.classes);
        }
        l.kind.yolo().map(|y| y.classes)
    })
}

/// Every image's labels, read before the run (a label darknet would crash on stops it
/// before any image is decoded); an image without a label file has none, with a warning.
fn read_all_labels(
    images: &[std::path::PathBuf],
    classes: usize,
    warnings: &mut Vec<String>,
) -> Result<Vec<Vec<data::Label>>, DataError> {
    images
        .iter()
        .map(|img| match data::find_labels(img) {
            Some(path) => data::read_labels(&path, classes),
            None => {
                warnings.push(format!(
                    "{}: no label file ({} nor beside the image): counted as an image with no objects",
                    img.display(),
                    data::label_path(img).display()
                ));
                Ok(Vec::new())
            }
        })
        .collect()
}

/// darknet's `detector valid` thresholds: every detection above 0.001, NMS 0.6.
pub const VALID: Params = Params {
    thresh: 0.001,
    hier_thresh: 0.5,
    nms: 0.6,
};

/// One image for COCO's evaluation: the same forward pass decoded at `detector valid`'s
/// thresholds, every class above 0 a detection, in the image's pixels, and its labels.
fn coco_image(a: &Analysis, d: &crate::detect::run::Detected, labels: &[data::Label]) -> CocoImage {
    let (w, h) = (d.image.w, d.image.h);
    let boxes = crate::detect::nms_boxes(a, &d.forward, w, h, &VALID);
    let mut detections = Vec::new();
    for b in &boxes {
        let r = valid_box(b.bbox.x, b.bbox.y, b.bbox.w, b.bbox.h, w, h);
        for (c, &p) in b.prob.iter().enumerate() {
            if p > 0.0 {
                detections.push((c, f64::from(p), r));
            }
        }
    }
    CocoImage {
        truths: (labels.iter())
            .map(|l| (l.class_id, label_box(l.x, l.y, l.w, l.h, w, h)))
            .collect(),
        detections,
    }
}
