//! `training-memory` (what one mini-batch needs at the largest size darknet trains at, and the
//! smallest `subdivisions` that fits the GPU) and `partial-cut` (the layer count for
//! `darknet partial` that keeps everything before the class-dependent layers).

use super::sections::{Layers, entry, int};
use super::{Finding, Fix, LintOptions, Severity};
use crate::kinds::LayerKind;
use crate::network::Network;
use crate::shape::InputOverride;

use crate::units;

const GIB: f64 = (1u64 << 30) as f64;

/// The shapes, costs and memory an analysis already has at the cfg's own size.
#[derive(Clone, Copy)]
pub(super) struct AtCfgSize<'a> {
    pub shapes: &'a crate::shape::Shapes,
    pub profile: &'a crate::profile::Profile,
    pub memory: &'a crate::profile::Memory,
}

pub(super) fn check(
    layers: &Layers,
    network: &Network,
    own: Option<AtCfgSize>,
    opts: &LintOptions,
    out: &mut Vec<Finding>,
) {
    training_memory(layers, network, own, opts, out);
    partial_cut(layers, network, out);
}

/// A float key as darknet's `atof` reads it.
fn float(section: &crate::cfg::Section, key: &str, default: f64) -> f64 {
    entry(section, key)
        .and_then(|e| e.value.split('#').next()?.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(default)
}

/// darknet's `train_detector`: with `random` set on the last head, training first allocates
/// at `roundl(coef·init / resize_step + 1)·resize_step`, coef 1.4 for `random=1`.
fn largest_size(layers: &Layers, w: usize, h: usize) -> (usize, usize, Option<f64>) {
    let Some(net) = layers.net else {
        return (w, h, None);
    };
    let random = layers
        .of_kind(&super::sections::HEADS)
        .last()
        .map_or(0.0, |l| float(l.section, "random", 0.0));
    if random == 0.0 {
        return (w, h, None);
    }
    let coef = if random == 1.0 { 1.4 } else { random };
    let step = float(net, "resize_step", 32.0).max(1.0);
    let side = |init: usize| ((coef * init as f64 / step + 1.0).round() * step) as usize;
    (side(w), side(h), Some(coef))
}

/// What training memory is made of at `w × h`: parameters, every output of one image (darknet's
/// allocation) and the largest convolution workspace; the analysis's own where it has them,
/// else computed.
fn at_size(
    network: &Network,
    own: Option<AtCfgSize>,
    (w, h): (usize, usize),
) -> Option<(u64, u64, u64)> {
    let parts = |params: u64, m: &crate::profile::Memory| {
        (params, m.naive_activation_bytes, m.max_workspace_bytes)
    };
    // a flat-input network (no width) has no image size to train at
    if w == 0 || h == 0 {
        return None;
    }
    if let Some(own) = own.filter(|o| (o.shapes.input.w, o.shapes.input.h) == (w, h)) {
        return Some(parts(own.profile.params, own.memory));
    }
    let over = InputOverride {
        width: Some(w),
        height: Some(h),
    };
    let shapes = crate::shape::infer(network, over).ok()?;
    let profile = crate::profile::profile(network, &shapes).ok()?;
    let m = crate::profile::memory(network, &shapes, &profile);
    Some(parts(profile.params, &m))
}

fn training_memory(
    layers: &Layers,
    network: &Network,
    own: Option<AtCfgSize>,
    opts: &LintOptions,
    out: &mut Vec<Finding>,
) {
    let Some(net) = layers.net else { return };
    let (w, h) = (network.net.width, network.net.height);
    let (tw, th, coef) = largest_size(layers, w, h);
    let Some((params, outputs, workspace)) = at_size(network, own, (tw, th)) else {
        return;
    };
    // per image: every output and its gradient; once: weights, their gradients and momentum,
    // and the largest convolution workspace
    let per_image = 2.0 * outputs as f64;
    let fixed = 3.0 * 4.0 * params as f64 + workspace as f64;
    let batch = int(net, "batch", 1).max(1);
    let subdivisions = int(net, "subdivisions", 1).max(1);
    let mini = (batch / subdivisions).max(1);
    let bytes = |mini: i64| fixed + per_image * mini as f64;
    let size = match coef {
        Some(c) => format!(
            "{tw}×{th}, the largest size random resizes to ({c} × {w}×{h}, where darknet first allocates)"
        ),
        None => format!("{tw}×{th}"),
    };
    let mut message = format!(
        "training at {size} needs about {} for a mini-batch of {mini} (batch={batch} / subdivisions={subdivisions}): {} per image for the outputs and their gradients, {} for the weights, their gradients and momentum and the workspace",
        units::bytes(bytes(mini) as u64),
        units::bytes(per_image as u64),
        units::bytes(fixed as u64)
    );
    let mut severity = Severity::Note;
    let mut fix = None;
    if let Some(gib) = opts.gpu_memory_gib {
        let budget = gib * GIB;
        // darknet divides batch by subdivisions: the divisors keep batch images per iteration
        let fits = (1..=batch).find(|&s| batch % s == 0 && bytes(batch / s) <= budget);
        match fits {
            Some(s) if s > subdivisions => {
                severity = Severity::Warning;
                message += &format!(
                    "; that is more than {gib} GiB: subdivisions={s} (a mini-batch of {}) is the smallest that fits",
                    batch / s
                );
                fix = entry(net, "subdivisions").map(|e| Fix {
                    description: format!("set subdivisions={s}"),
                    edits: vec![layers.set(e, &s.to_string())],
                });
            }
            Some(s) => {
                message += &format!("; it fits {gib} GiB (subdivisions={s} would too)");
            }
            None => {
                severity = Severity::Warning;
                message += &format!(
                    "; not even one image per mini-batch fits {gib} GiB: lower width/height or random"
                );
            }
        }
    }
    let span = entry(net, "subdivisions").map_or(net.span, |e| e.value_span);
    out.push(Finding {
        code: "training-memory",
        severity,
        layer: None,
        line: Some(span.line),
        col: span.col,
        message,
        fix,
    });
}

/// The first layer whose weights depend on the class count: the convolution feeding the first
/// head. `darknet partial` with that count keeps every layer before it.
fn partial_cut(layers: &Layers, network: &Network, out: &mut Vec<Finding>) {
    let Some(head) = network.layers.iter().position(|l| l.kind.is_head()) else {
        return;
    };
    let Some(cut) = head.checked_sub(1).filter(|&c| c > 0) else {
        return;
    };
    if !matches!(network.layers[cut].kind, LayerKind::Convolutional(_)) {
        return;
    }
    let Some(section) = layers.layers.get(cut).map(|l| l.section) else {
        return;
    };
    let span = entry(section, "filters").map_or(section.span, |e| e.value_span);
    out.push(Finding {
        code: "partial-cut",
        severity: Severity::Note,
        layer: Some(cut),
        line: Some(span.line),
        col: span.col,
        message: format!(
            "`darknet partial CFG WEIGHTS OUT.conv.{cut} {cut}` keeps layers 0–{}, everything before layer {cut}, the first whose weights depend on classes (its filters feed the [{}] at layer {head}): the pretrained start for training on other classes",
            cut - 1,
            network.layers[head].section_name
        ),
        fix: None,
    });
}
