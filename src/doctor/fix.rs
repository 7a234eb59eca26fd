//! `csplens fix`: a cfg retargeted to N classes (every head's classes and the filters before
//! it), a valid input size and darknet's training schedule for that class count, by line
//! edits that keep every other byte of the file.

use super::Edit;
use super::heads::{filters_edit, heads};
use super::input::largest_stride;
use super::sections::{Layers, entry, int};
use super::training::schedule_edits;
use crate::cfg::CfgError;
use crate::vocab::error::NetworkError;
use thiserror::Error;

/// What `fix` sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FixOptions {
    /// Classes the network is to detect; `None` keeps the heads' own.
    pub classes: Option<usize>,
    /// Input width (snapped to the network's largest stride); `None` snaps the cfg's own.
    pub width: Option<usize>,
    /// Input height, likewise.
    pub height: Option<usize>,
    /// Training images (max_batches is at least this many).
    pub images: Option<usize>,
}

/// The fixed text and what changed, one sentence per change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    /// The whole cfg.
    pub text: String,
    /// What was set.
    pub changes: Vec<String>,
}

/// Why a cfg cannot be fixed.
#[derive(Debug, Error)]
pub enum FixError {
    /// The text is not a cfg.
    #[error("{0}")]
    Syntax(#[from] CfgError),
    /// The sections do not make a network.
    #[error("{0}")]
    Build(#[from] NetworkError),
    /// Nothing to set classes in.
    #[error("the cfg has no [yolo], [Gaussian_yolo] or [region] head to set classes in")]
    NoHead,
    /// Zero classes.
    #[error("a network detects at least 1 class")]
    NoClasses,
}

/// Retargets `text` as [`FixOptions`] says; a UTF-8 byte-order mark (on which darknet
/// crashes) is always removed.
pub fn fix(text: &str, o: &FixOptions) -> Result<Fixed, FixError> {
    if o.classes == Some(0) {
        return Err(FixError::NoClasses);
    }
    let mut changes = Vec::new();
    let text = match text.strip_prefix(crate::cfg::BOM) {
        Some(rest) => {
            changes.push("removed the UTF-8 byte-order mark".to_string());
            rest
        }
        None => text,
    };
    let text = match o.classes {
        Some(classes) => set_classes(text, classes as i64, &mut changes)?,
        None => text.to_string(),
    };
    let text = set_size(&text, o, &mut changes)?;
    let text = match o.classes {
        Some(classes) => set_schedule(&text, classes, o.images, &mut changes)?,
        None => text,
    };
    Ok(Fixed { text, changes })
}

fn set_classes(text: &str, classes: i64, changes: &mut Vec<String>) -> Result<String, FixError> {
    let cfg = crate::cfg::parse(text)?;
    let layers = Layers::new(&cfg, text);
    let heads = heads(&layers);
    if heads.is_empty() {
        return Err(FixError::NoHead);
    }
    let mut edits = Vec::new();
    for h in &heads {
        let s = h.layer.section;
        if h.classes != classes || entry(s, "classes").is_none() {
            edits.push(match entry(s, "classes") {
                Some(e) => layers.set(e, &classes.to_string()),
                None => layers.add(s, "classes", &classes.to_string()),
            });
        }
        if let Some(e) = filters_edit(&layers, h, classes) {
            changes.push(format!("layer {}: {}", h.layer.index - 1, e.new.trim()));
            edits.push(e);
        }
    }
    changes.insert(0, format!("classes={classes} in {} heads", heads.len()));
    Ok(apply(text, &edits))
}

/// The multiple of `stride` nearest `side` (halves up), at least `stride`.
fn snap(side: usize, stride: usize) -> usize {
    ((side + stride / 2) / stride).max(1) * stride
}

/// Writes `anchors` (sorted by area) into every `[yolo]` head with its mask from `masks` (heads
/// in cfg order), `num`, and the filters each new mask needs; every other byte kept.
pub fn set_anchors(
    text: &str,
    anchors: &[(f32, f32)],
    masks: &[Vec<usize>],
) -> Result<Fixed, FixError> {
    let cfg = crate::cfg::parse(text)?;
    let layers = Layers::new(&cfg, text);
    let written = (anchors.iter())
        .map(|(w, h)| format!("{w},{h}"))
        .collect::<Vec<_>>()
        .join(",  ");
    let edits = super::heads::anchor_edits(&layers, &written, anchors.len(), masks)
        .ok_or(FixError::NoHead)?;
    let changes = vec![format!("anchors = {written}"), {
        let m: Vec<String> = masks
            .iter()
            .map(|m| m.iter().map(usize::to_string).collect::<Vec<_>>().join(","))
            .collect();
        format!("masks {}", m.join(" / "))
    }];
    Ok(Fixed {
        text: apply(text, &edits),
        changes,
    })
}

fn set_size(text: &str, o: &FixOptions, changes: &mut Vec<String>) -> Result<String, FixError> {
    let cfg = crate::cfg::parse(text)?;
    let layers = Layers::new(&cfg, text);
    let network = crate::network::build(&cfg)?;
    let (Some(net), Some(stride)) = (layers.net, largest_stride(&network)) else {
        return Ok(text.to_string());
    };
    let mut edits = Vec::new();
    for (key, asked, now) in [
        ("width", o.width, network.net.width),
        ("height", o.height, network.net.height),
    ] {
        let want = snap(asked.unwrap_or(now), stride);
        if want == now {
            continue;
        }
        changes.push(format!("{key}={want} (a multiple of {stride})"));
        edits.push(match entry(net, key) {
            Some(e) => layers.set(e, &want.to_string()),
            None => layers.add(net, key, &want.to_string()),
        });
    }
    Ok(apply(text, &edits))
}

fn set_schedule(
    text: &str,
    classes: usize,
    images: Option<usize>,
    changes: &mut Vec<String>,
) -> Result<String, FixError> {
    let cfg = crate::cfg::parse(text)?;
    let layers = Layers::new(&cfg, text);
    let Some(net) = layers.net else {
        return Ok(text.to_string());
    };
    // darknet's README: classes·2000, at least 6000 and at least the number of images
    let max_batches = (classes * 2000).max(6000).max(images.unwrap_or(0)) as i64;
    let mut edits = Vec::new();
    if int(net, "max_batches", 0) != max_batches {
        edits.push(match entry(net, "max_batches") {
            Some(e) => layers.set(e, &max_batches.to_string()),
            None => layers.add(net, "max_batches", &max_batches.to_string()),
        });
    }
    changes.push(format!("max_batches={max_batches}"));
    if entry(net, "policy").is_some_and(|e| e.value.trim() == "steps") {
        edits.extend(schedule_edits(&layers, net, max_batches));
        changes.push(format!(
            "steps={},{}",
            max_batches * 8 / 10,
            max_batches * 9 / 10
        ));
    }
    Ok(apply(text, &edits))
}

/// `text` with the edits applied line by line: an edit whose `old` is the line replaces it;
/// one that adds lines after a header (its `new` starts with `old`) appends to it, so several
/// additions to one section stack. Line endings (`\n` or `\r\n`) are kept.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for (i, piece) in text.split_inclusive('\n').enumerate() {
        let body = piece.trim_end_matches(['\n', '\r']);
        let ending = &piece[body.len()..];
        let mut line = body.to_string();
        for e in edits.iter().filter(|e| e.line == i + 1) {
            if e.old == line {
                line = e.new.clone();
            } else if let Some(added) = e.new.strip_prefix(e.old.as_str()) {
                line += added;
            }
        }
        if ending == "\r\n" || (ending.is_empty() && text.contains("\r\n")) {
            line = line.replace('\n', "\r\n");
        }
        out += &line;
        out += ending;
    }
    out
}

/// A unified diff of `old` → `new` (`--dry-run`).
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
