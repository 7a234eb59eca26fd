//! The training schedule and the weights to train from: `max-batches`, `steps`,
//! `weights-seen` (darknet's README rules and its `train_detector` loop).

use super::sections::{Layers, entry, int, ints};
use super::{Edit, Finding, Fix, LintOptions, Severity};
use crate::kinds::KindTag;

pub(super) fn check(layers: &Layers, opts: &LintOptions, out: &mut Vec<Finding>) {
    let Some(net) = layers.net else { return };
    let classes = layers
        .of_kind(&[
            KindTag::Yolo,
            KindTag::GaussianYolo,
            KindTag::Region,
            KindTag::Detection,
        ])
        .map(|l| int(l.section, "classes", 20))
        .next();
    let max_batches = int(net, "max_batches", 0);
    if let Some(classes) = classes {
        max_batches_rule(layers, net, classes, max_batches, out);
        steps_rule(layers, net, max_batches, out);
    }
    if let Some(h) = &opts.weights {
        weights_seen(net, h, max_batches, out);
    }
}

/// darknet's README: max_batches = classes·2000, but not less than 6000 (nor than the number
/// of training images).
fn max_batches_rule(
    layers: &Layers,
    net: &crate::cfg::Section,
    classes: i64,
    max_batches: i64,
    out: &mut Vec<Finding>,
) {
    let want = (classes * 2000).max(6000);
    if max_batches >= want {
        return;
    }
    let e = entry(net, "max_batches");
    let span = e.map_or(net.span, |e| e.value_span);
    let edit = match e {
        Some(e) => layers.set(e, &want.to_string()),
        None => layers.add(net, "max_batches", &want.to_string()),
    };
    out.push(Finding {
        code: "max-batches",
        severity: Severity::Warning,
        layer: None,
        line: Some(span.line),
        col: span.col,
        message: format!(
            "max_batches={max_batches} is below darknet's rule for {classes} classes: classes × 2000 and at least 6000 (and at least the number of training images) = {want}"
        ),
        fix: Some(Fix {
            description: format!("set max_batches={want}"),
            edits: vec![edit],
        }),
    });
}

/// darknet's README: steps at 80% and 90% of max_batches (with policy=steps).
fn steps_rule(
    layers: &Layers,
    net: &crate::cfg::Section,
    max_batches: i64,
    out: &mut Vec<Finding>,
) {
    let policy = entry(net, "policy").map(|e| e.value.trim().to_string());
    if policy.as_deref() != Some("steps") || max_batches <= 0 {
        return;
    }
    let want = [max_batches * 8 / 10, max_batches * 9 / 10];
    let have = ints(net, "steps").unwrap_or_default();
    // the last two steps (earlier ones are a warm-up some cfgs keep) within 2% of
    // max_batches of the rule's values
    let near = |a: i64, b: i64| (a - b).abs() * 50 <= max_batches;
    if let [.., a, b] = have[..]
        && near(a, want[0])
        && near(b, want[1])
    {
        return;
    }
    let span = entry(net, "steps").map_or(net.span, |e| e.value_span);
    let text = format!("{},{}", want[0], want[1]);
    let edits = schedule_edits(layers, net, max_batches);
    let written = if have.is_empty() {
        "no steps".to_string()
    } else {
        format!(
            "steps={}",
            have.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    out.push(Finding {
        code: "steps",
        severity: Severity::Warning,
        layer: None,
        line: Some(span.line),
        col: span.col,
        message: format!(
            "{written} with max_batches={max_batches}: darknet's rule puts the two learning-rate steps at 80% and 90% of max_batches, {text}"
        ),
        fix: Some(Fix {
            description: format!("set steps={text} (and scales=.1,.1 when it lists another count)"),
            edits,
        }),
    });
}

/// Edits that set steps to 80% and 90% of `max_batches`, and scales to darknet's .1,.1 when
/// the written scales do not have two values (darknet pairs them with the steps in order).
pub(super) fn schedule_edits(
    layers: &Layers,
    net: &crate::cfg::Section,
    max_batches: i64,
) -> Vec<Edit> {
    let text = format!("{},{}", max_batches * 8 / 10, max_batches * 9 / 10);
    let mut edits = vec![match entry(net, "steps") {
        Some(e) => layers.set(e, &text),
        None => layers.add(net, "steps", &text),
    }];
    let scales =
        entry(net, "scales").map(|e| e.value.split('#').next().unwrap_or("").split(',').count());
    match (entry(net, "scales"), scales) {
        (Some(e), Some(n)) if n != 2 => edits.push(layers.set(e, ".1,.1")),
        (None, _) => edits.push(layers.add(net, "scales", ".1,.1")),
        _ => {}
    }
    edits
}

/// darknet stops training once `iteration = seen / (batch·subdivisions)`… reaches max_batches:
/// weights that have seen max_batches·batch images stop at once.
fn weights_seen(
    net: &crate::cfg::Section,
    h: &crate::weights::Header,
    max_batches: i64,
    out: &mut Vec<Finding>,
) {
    let batch = int(net, "batch", 1).max(1) as u64;
    let limit = (max_batches.max(0) as u64).saturating_mul(batch);
    let span = entry(net, "max_batches").map_or(net.span, |e| e.value_span);
    out.push(Finding {
        code: "weights-seen",
        severity: if h.seen >= limit {
            Severity::Error
        } else {
            Severity::Note
        },
        layer: None,
        line: Some(span.line),
        col: span.col,
        message: if h.seen >= limit {
            format!(
                "the weights have seen {} images, at least max_batches × batch = {max_batches} × {batch} = {limit}: darknet's training would stop at once (its iteration count starts at seen / batch); pass -clear to darknet detector train to restart the count (weights header {}.{}.{})",
                h.seen, h.major, h.minor, h.revision
            )
        } else {
            format!(
                "the weights (header {}.{}.{}, seen stored in {} bytes) have seen {} images: training resumes at iteration {} of {max_batches}",
                h.major,
                h.minor,
                h.revision,
                h.bytes - 12,
                h.seen,
                h.seen / batch
            )
        },
        fix: None,
    });
}
