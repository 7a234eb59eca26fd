//! `csplens check-data`: a dataset's lists, images and labels checked before training finds
//! the mistakes (darknet reports most of them only as a training that goes wrong). Findings in
//! the doctor's shape: a code, a severity, the file and line, one sentence.

use super::data::{self, DataFile};
use crate::doctor::Severity;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One finding about the data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataFinding {
    /// `label-missing`, `label-format`, `label-class`, `label-range`, `label-duplicate`,
    /// `image-unreadable`, `list-missing`, `image-duplicate`, `tiny-object`.
    pub code: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// The file it is about.
    pub file: String,
    /// The line, when it is about one.
    pub line: Option<usize>,
    /// The sentence shown.
    pub message: String,
    /// What to do, where one thing does it.
    pub fix: Option<String>,
}

/// What was checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Images listed (train and valid, each once).
    pub images: usize,
    /// Label lines read.
    pub labels: usize,
    /// Labels per class.
    pub labels_per_class: Vec<usize>,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataReport {
    /// The `.data` file.
    pub data: String,
    /// Every finding, by file and line.
    pub findings: Vec<DataFinding>,
    /// What was checked.
    pub counts: Counts,
}

impl DataReport {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

fn finding(
    code: &'static str,
    severity: Severity,
    file: &Path,
    line: Option<usize>,
    message: String,
) -> DataFinding {
    DataFinding {
        code,
        severity,
        file: file.display().to_string(),
        line,
        message,
        fix: None,
    }
}

/// The smallest stride of a network's heads at its input, for `tiny-object`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finest {
    /// Input width.
    pub net_w: usize,
    /// Input height.
    pub net_h: usize,
    /// The finest head's stride (input pixels per cell).
    pub stride: usize,
}

/// Checks the `train` and `valid` lists of `data`; with `finest`, counts labels smaller
/// than the finest head's stride.
pub fn check(data: &DataFile, finest: Option<Finest>, max_pixels: u64) -> DataReport {
    let mut out = Vec::new();
    let mut counts = Counts {
        labels_per_class: vec![0; data.classes],
        ..Counts::default()
    };
    let images = match &data.given {
        Some(given) => given.clone(),
        None => listed_images(data, &mut out),
    };
    counts.images = images.len();
    let mut tiny = 0usize;
    let mut by_hash: HashMap<u64, PathBuf> = HashMap::new();
    for img in &images {
        image_findings(img, max_pixels, &mut by_hash, &mut out);
        let Some(labels) = data::find_labels(img) else {
            let m = format!(
                "no label file ({} nor beside the image): training takes it for an image with no objects",
                data::label_path(img).display()
            );
            out.push(finding("label-missing", Severity::Warning, img, None, m));
            continue;
        };
        label_findings(
            &labels,
            data.classes,
            finest,
            &mut counts,
            &mut tiny,
            &mut out,
        );
    }
    if let (Some(f), true) = (finest, tiny > 0) {
        out.push(finding(
            "tiny-object",
            Severity::Note,
            &data.path,
            None,
            format!(
                "{tiny} of {} labels are smaller than {} px on both sides at the network's {}×{} input, the stride of its finest head: one cell holds several of them",
                counts.labels, f.stride, f.net_w, f.net_h
            ),
        ));
    }
    out.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    DataReport {
        data: data.path.display().to_string(),
        findings: out,
        counts,
    }
}

/// The images of the `train` and `valid` lists, each once; `list-missing` for a list or a
/// listed file that does not exist.
fn listed_images(data: &DataFile, out: &mut Vec<DataFinding>) -> Vec<PathBuf> {
    let mut lists: Vec<PathBuf> = data.train.iter().cloned().collect();
    if !lists.contains(&data.valid) {
        lists.push(data.valid.clone());
    }
    let mut images: Vec<PathBuf> = Vec::new();
    // an image in both lists is checked once (a set: lists run to 100k images)
    let mut listed: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    for list in &lists {
        match data::read_list(list) {
            Ok(paths) => {
                for (i, p) in paths.into_iter().enumerate() {
                    if !p.is_file() {
                        let m =
                            format!("{} does not exist (listed at line {})", p.display(), i + 1);
                        out.push(finding(
                            "list-missing",
                            Severity::Error,
                            list,
                            Some(i + 1),
                            m,
                        ));
                    } else if listed.insert(p.clone()) {
                        images.push(p);
                    }
                }
            }
            Err(e) => out.push(finding(
                "list-missing",
                Severity::Error,
                list,
                None,
                e.to_string(),
            )),
        }
    }
    images
}

/// [`check`] with a cfg's heads (`tiny-object` at their finest stride, then `anchors-fit`),
/// or without one.
pub fn check_with(
    data: &DataFile,
    geometry: Option<&super::misses::Geometry>,
    max_pixels: u64,
) -> DataReport {
    let finest = geometry.map(|g| Finest {
        net_w: g.net_w,
        net_h: g.net_h,
        stride: g.heads.iter().map(|h| h.1).min().unwrap_or(1),
    });
    let mut r = check(data, finest, max_pixels);
    if let Some(g) = geometry
        && let Some(f) = anchors_fit(data, (g.net_w, g.net_h), &g.anchors)
    {
        r.findings.push(f);
    }
    r
}

/// `anchors-fit`: how well a cfg's anchors fit the `train` list's labels at its input, beside
/// what `csplens anchors` finds (k-means, the same count); `None` without labels.
pub fn anchors_fit(
    data: &DataFile,
    (net_w, net_h): (usize, usize),
    anchors: &[(f32, f32)],
) -> Option<DataFinding> {
    let sizes = super::anchors::label_sizes(data, net_w, net_h).ok()?;
    if sizes.is_empty() || anchors.is_empty() {
        return None;
    }
    let current = super::anchors::avg_iou(&sizes, anchors);
    let found = super::anchors::anchors(&sizes, anchors.len(), super::anchors::RESTARTS, 1);
    let best = super::anchors::avg_iou(&sizes, &found);
    let list: Vec<String> = found.iter().map(|(w, h)| format!("{w},{h}")).collect();
    let mut f = finding(
        "anchors-fit",
        Severity::Note,
        &data.path,
        None,
        format!(
            "the cfg's {} anchors fit the {} training labels at {net_w}×{net_h} with avg IoU {:.2} %; k-means' reach {:.2} %",
            anchors.len(),
            sizes.len(),
            current * 100.0,
            best * 100.0
        ),
    );
    if best > current {
        f.fix = Some(format!(
            "anchors = {} (csplens anchors --cfg CFG --apply writes them with their masks)",
            list.join(",  ")
        ));
    }
    Some(f)
}

/// `image-unreadable` and `image-duplicate` for one image.
fn image_findings(
    img: &Path,
    max_pixels: u64,
    by_hash: &mut HashMap<u64, PathBuf>,
    out: &mut Vec<DataFinding>,
) {
    let bytes = match std::fs::read(img) {
        Ok(b) => b,
        Err(e) => {
            out.push(finding(
                "image-unreadable",
                Severity::Error,
                img,
                None,
                e.to_string(),
            ));
            return;
        }
    };
    if let Err(e) = crate::detect::image::decode_limited(&bytes, max_pixels) {
        let m = format!("{e}: darknet cannot train on it");
        out.push(finding("image-unreadable", Severity::Error, img, None, m));
    }
    let hash = fnv(&bytes);
    match by_hash.get(&hash) {
        Some(first) => {
            let m = format!("the same bytes as {}: it counts twice", first.display());
            out.push(finding("image-duplicate", Severity::Note, img, None, m));
        }
        None => {
            by_hash.insert(hash, img.to_path_buf());
        }
    }
}

/// 64-bit FNV-1a of a file's bytes.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The label file's findings, line by line.
fn label_findings(
    path: &Path,
    classes: usize,
    finest: Option<Finest>,
    counts: &mut Counts,
    tiny: &mut usize,
    out: &mut Vec<DataFinding>,
) {
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            out.push(finding(
                "label-missing",
                Severity::Warning,
                path,
                None,
                e.to_string(),
            ));
            return;
        }
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let class = fields.first().and_then(|f| f.parse::<i64>().ok());
        let values: Vec<f32> = fields
            .iter()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        let (Some(class), &[x, y, w, h], 5) = (class, &values[..], fields.len()) else {
            let m = format!(
                "`{trimmed}` is not five numbers (class x y width height): darknet stops reading the file here"
            );
            out.push(finding("label-format", Severity::Error, path, Some(n), m));
            continue;
        };
        counts.labels += 1;
        match usize::try_from(class).ok().filter(|&c| c < classes) {
            Some(c) => counts.labels_per_class[c] += 1,
            None => {
                let m = format!(
                    "class {class} is not below classes={classes}: darknet writes past its tables (a crash, or a wrong class)"
                );
                out.push(finding("label-class", Severity::Error, path, Some(n), m));
            }
        }
        let inside = |v: f32| (0.0..=1.0).contains(&v);
        let size = |v: f32| v > 0.0 && v <= 1.0;
        if !(inside(x) && inside(y) && size(w) && size(h)) {
            let m = format!(
                "x={x} y={y} width={w} height={h}: the centre must lie in 0..1 and the sides in (0, 1] (darknet: \"Wrong annotation\", the box is dropped)"
            );
            out.push(finding("label-range", Severity::Error, path, Some(n), m));
        }
        if let Some(f) = finest
            && w * (f.net_w as f32) < f.stride as f32
            && h * (f.net_h as f32) < f.stride as f32
        {
            *tiny += 1;
        }
        if let Some(first) = seen.insert(trimmed.to_string(), n) {
            let m = format!("the same label as line {first}: the object is trained twice");
            let mut f = finding("label-duplicate", Severity::Warning, path, Some(n), m);
            f.fix = Some(format!("delete line {n}"));
            out.push(f);
        }
    }
}
