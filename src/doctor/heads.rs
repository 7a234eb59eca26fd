//! The detection heads: `yolo-filters`, `mask-range`, `anchors-count`, `classes-differ`,
//! `names-count`.

use super::sections::{HEADS, LayerSection, Layers, entry, float_count, int, ints};
use super::{Edit, Finding, Fix, LintOptions, Severity};
use crate::kinds::{HeadFilters, KindTag};

/// darknet's `parse_yolo` message when the convolution before a head has the wrong filters.
const DARKNET_FILTERS: &str =
    "filters= in the [convolutional]-layer doesn't correspond to classes= or mask= in [yolo]-layer";

/// A head as its section says: classes, num, mask, coords (region).
pub(super) struct Head<'s, 'a> {
    pub layer: &'s LayerSection<'a>,
    pub classes: i64,
    num: i64,
    mask: Vec<i64>,
}

impl Head<'_, '_> {
    /// Filters the convolution before it must have, and how that number is made (the kinds'
    /// rule, [`HeadFilters`]); `None` for counts no rule makes sense of (negative, overflowing).
    fn filters(&self, classes: i64) -> Option<(i64, String)> {
        let kind = self.layer.kind?;
        let s = self.layer.section;
        let anchors = if kind == KindTag::Region {
            self.num
        } else {
            self.mask.len() as i64
        };
        let count = |v: i64| usize::try_from(v).ok();
        let rule = HeadFilters::of(
            kind,
            count(classes)?,
            count(anchors)?,
            count(int(s, "coords", 4))?,
        )?;
        Some((i64::try_from(rule.filters()?).ok()?, rule.formula()))
    }
}

pub(super) fn heads<'s, 'a>(layers: &'s Layers<'a>) -> Vec<Head<'s, 'a>> {
    layers
        .of_kind(&HEADS)
        .map(|layer| {
            let s = layer.section;
            let num = int(s, "num", 1);
            Head {
                layer,
                classes: int(s, "classes", 20),
                num,
                mask: ints(s, "mask").unwrap_or_else(|| (0..num).collect()),
            }
        })
        .collect()
}

pub(super) fn check(layers: &Layers, opts: &LintOptions, out: &mut Vec<Finding>) {
    let heads = heads(layers);
    for h in &heads {
        filters(layers, h, h.classes, out);
        mask_and_anchors(h, out);
    }
    classes_differ(layers, &heads, out);
    if let Some(names) = &opts.names {
        names_count(layers, &heads, names.len(), out);
    }
}

/// The convolution right before a head, with its `filters` entry.
fn conv_before<'a>(layers: &Layers<'a>, h: &Head) -> Option<&'a crate::cfg::Section> {
    let prev = layers.layers.get(h.layer.index.checked_sub(1)?)?;
    (prev.kind == Some(KindTag::Convolutional)).then_some(prev.section)
}

/// Edits that make the convolution before `h` produce `classes` classes.
pub(super) fn filters_edit(layers: &Layers, h: &Head, classes: i64) -> Option<Edit> {
    let conv = conv_before(layers, h)?;
    let (want, _) = h.filters(classes)?;
    let have = int(conv, "filters", 1);
    (have != want).then(|| match entry(conv, "filters") {
        Some(e) => layers.set(e, &want.to_string()),
        None => layers.add(conv, "filters", &want.to_string()),
    })
}

fn filters(layers: &Layers, h: &Head, classes: i64, out: &mut Vec<Finding>) {
    let Some(conv) = conv_before(layers, h) else {
        return;
    };
    let Some((want, how)) = h.filters(classes) else {
        return;
    };
    let have = int(conv, "filters", 1);
    if have == want {
        return;
    }
    let at = entry(conv, "filters").map_or(conv.span, |e| e.value_span);
    out.push(Finding {
        code: "yolo-filters",
        severity: Severity::Error,
        layer: Some(h.layer.index - 1),
        line: Some(at.line),
        col: at.col,
        message: format!(
            "filters={have} in the [convolutional] before the [{}] at line {} must be {how} = {want}; darknet stops with \"{DARKNET_FILTERS}\" without saying the number",
            h.layer.section.name, h.layer.section.span.line
        ),
        fix: filters_edit(layers, h, classes).map(|e| Fix {
            description: format!("set filters={want}"),
            edits: vec![e],
        }),
    });
}

fn mask_and_anchors(h: &Head, out: &mut Vec<Finding>) {
    let s = h.layer.section;
    let at = |key: &str| entry(s, key).map_or(s.span, |e| e.value_span);
    if let Some(&bad) = h.mask.iter().find(|&&m| m < 0 || m >= h.num) {
        let span = at("mask");
        out.push(Finding {
            code: "mask-range",
            severity: Severity::Error,
            layer: Some(h.layer.index),
            line: Some(span.line),
            col: span.col,
            message: format!(
                "mask entry {bad} is not an anchor index below num={}: darknet does not check and reads an anchor past the list",
                h.num
            ),
            fix: None,
        });
    }
    let Some(count) = float_count(s, "anchors") else {
        return;
    };
    let want = 2 * h.num as usize;
    if count != want {
        let span = at("anchors");
        let (severity, effect) = if count < want {
            (Severity::Error, "the missing anchors are read as 0")
        } else {
            (
                Severity::Warning,
                "darknet writes the extra values past its list",
            )
        };
        out.push(Finding {
            code: "anchors-count",
            severity,
            layer: Some(h.layer.index),
            line: Some(span.line),
            col: span.col,
            message: format!(
                "anchors= lists {count} values but num={} needs {want} (a width and a height per anchor): {effect}",
                h.num
            ),
            fix: None,
        });
    }
}

fn classes_differ(layers: &Layers, heads: &[Head], out: &mut Vec<Finding>) {
    let Some(first) = heads.first() else { return };
    for h in heads.iter().skip(1).filter(|h| h.classes != first.classes) {
        let s = h.layer.section;
        let span = entry(s, "classes").map_or(s.span, |e| e.value_span);
        let mut edits: Vec<Edit> = entry(s, "classes")
            .map(|e| layers.set(e, &first.classes.to_string()))
            .into_iter()
            .collect();
        edits.extend(filters_edit(layers, h, first.classes));
        out.push(Finding {
            code: "classes-differ",
            severity: Severity::Error,
            layer: Some(h.layer.index),
            line: Some(span.line),
            col: span.col,
            message: format!(
                "classes={} here but classes={} in the [{}] at line {}: every head of a network detects the same classes",
                h.classes,
                first.classes,
                first.layer.section.name,
                first.layer.section.span.line
            ),
            fix: Some(Fix {
                description: format!("set classes={} (and the filters before it)", first.classes),
                edits,
            }),
        });
    }
}

fn names_count(layers: &Layers, heads: &[Head], names: usize, out: &mut Vec<Finding>) {
    let Some(first) = heads.first() else { return };
    if first.classes == names as i64 {
        return;
    }
    let s = first.layer.section;
    let span = entry(s, "classes").map_or(s.span, |e| e.value_span);
    let classes = names as i64;
    let mut edits = Vec::new();
    for h in heads {
        let hs = h.layer.section;
        edits.push(match entry(hs, "classes") {
            Some(e) => layers.set(e, &classes.to_string()),
            None => layers.add(hs, "classes", &classes.to_string()),
        });
        edits.extend(filters_edit(layers, h, classes));
    }
    out.push(Finding {
        code: "names-count",
        severity: Severity::Error,
        layer: Some(first.layer.index),
        line: Some(span.line),
        col: span.col,
        message: format!(
            "the names file has {names} lines but classes={}: detections would be labelled with the wrong names (or none)",
            first.classes
        ),
        fix: Some(Fix {
            description: format!("set classes={names} in every head and the filters before each"),
            edits,
        }),
    });
}

/// Edits that give every `[yolo]` / `[Gaussian_yolo]` head `anchors` (written as `anchors=`),
/// its mask from `masks` (heads in cfg order), `num` the anchor count, and the convolution
/// before it the filters its new mask needs; `None` when the heads are not `masks.len()`.
pub(super) fn anchor_edits(
    layers: &Layers,
    anchors: &str,
    count: usize,
    masks: &[Vec<usize>],
) -> Option<Vec<Edit>> {
    let heads: Vec<Head> = (heads(layers).into_iter())
        .filter(|h| h.layer.kind != Some(KindTag::Region))
        .collect();
    if heads.len() != masks.len() {
        return None;
    }
    let mut edits = Vec::new();
    for (h, mask) in heads.iter().zip(masks) {
        let s = h.layer.section;
        let mask_text = mask
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",");
        for (key, value) in [
            ("anchors", anchors.to_string()),
            ("mask", mask_text),
            ("num", count.to_string()),
        ] {
            edits.push(match entry(s, key) {
                Some(e) => layers.set(e, &value),
                None => layers.add(s, key, &value),
            });
        }
        let kind = h.layer.kind?;
        let classes = usize::try_from(h.classes).ok()?;
        let want = HeadFilters::of(kind, classes, mask.len(), 0)?.filters()?;
        if let Some(conv) = conv_before(layers, h)
            && int(conv, "filters", 1) != want as i64
        {
            edits.push(match entry(conv, "filters") {
                Some(e) => layers.set(e, &want.to_string()),
                None => layers.add(conv, "filters", &want.to_string()),
            });
        }
    }
    Some(edits)
}
