//! `input-stride` and the network's own errors: the cfg built and shaped as darknet would,
//! each failure a finding, and a route or shortcut that breaks because the input size is not
//! a multiple of the network's largest stride says so.

use super::sections::{Layers, entry};
use super::{Finding, Severity};
use crate::cfg::CfgFile;
use crate::network::Network;
use crate::shape::InputOverride;

/// A side that is a multiple of every stride a darknet network uses (2¹⁰·3²·5), at which the
/// shapes give each layer's total stride exactly.
const PROBE_SIDE: usize = 46_080;

/// The network, when it builds (its shapes may still fail at the cfg's size).
pub(super) fn check(cfg: &CfgFile, layers: &Layers, out: &mut Vec<Finding>) -> Option<Network> {
    let network = match crate::network::build(cfg) {
        Ok(n) => n,
        Err(e) => {
            out.push(error("build", None, e.span, e.to_string()));
            return None;
        }
    };
    let cause = strides(layers, &network, out);
    if let Err(e) = crate::shape::infer(&network, InputOverride::default()) {
        let mut message = e.to_string();
        if let Some(cause) = cause {
            message += &format!(" — the cause: {cause} (input-stride)");
        }
        out.push(error("shape", e.layer, e.span, message));
    }
    Some(network)
}

/// The checks of [`check`] on a network that built and shaped at the cfg's size.
pub(super) fn check_built(layers: &Layers, network: &Network, out: &mut Vec<Finding>) {
    strides(layers, network, out);
}

/// `input-stride` and V3's size note; the sentence of the stride problem, when there is one.
fn strides(layers: &Layers, network: &Network, out: &mut Vec<Finding>) -> Option<String> {
    // darknet's own check ("must be divisible by 32 for default networks Yolo v1/v2/v3") is
    // for detectors: their routes join feature maps of several strides
    let detector = network.layers.iter().any(|l| l.kind.is_head());
    let stride = largest_stride(network).filter(|_| detector);
    let mut cause = None;
    if let (Some(net), Some(stride)) = (layers.net, stride) {
        for (key, side) in [("width", network.net.width), ("height", network.net.height)] {
            if side == 0 || side.is_multiple_of(stride) {
                continue;
            }
            let (lo, hi) = (side / stride * stride, side.div_ceil(stride) * stride);
            let near = if side - lo < hi - side && lo > 0 {
                lo
            } else {
                hi
            };
            let e = entry(net, key);
            let span = e.map_or(net.span, |e| e.value_span);
            let sizes = if lo > 0 {
                format!("{lo} or {hi}")
            } else {
                hi.to_string()
            };
            cause = Some(format!("{key}={side} is not a multiple of {stride}"));
            out.push(Finding {
                code: "input-stride",
                severity: Severity::Warning,
                layer: None,
                line: Some(span.line),
                col: span.col,
                message: format!(
                    "{key}={side} is not a multiple of {stride}, the network's largest total stride: its feature maps do not halve evenly, so a route or shortcut may join maps of different sizes (darknet: \"width and height in cfg-file must be divisible by 32\"); use {sizes}"
                ),
                fix: e.map(|e| super::Fix {
                    description: format!("set {key}={near}"),
                    edits: vec![layers.set(e, &near.to_string())],
                }),
            });
        }
    }
    if let Some(note) = layers
        .net
        .and_then(|net| super::forks::v3_input(net, network))
    {
        out.push(note);
    }
    cause
}

/// The largest ratio of the input side to a layer's output side, from the shapes at a side
/// every stride divides; `None` when the network has no size-independent shapes.
pub(super) fn largest_stride(network: &Network) -> Option<usize> {
    let probe = InputOverride {
        width: Some(PROBE_SIDE),
        height: Some(PROBE_SIDE),
    };
    let shapes = crate::shape::infer(network, probe).ok()?;
    shapes
        .layers
        .iter()
        // a global pool or a connected layer (1 × 1) is a reduction, not a stride; a side that
        // does not divide the probe comes from a window that does not tile it
        .filter(|s| s.output.is_image() && s.output.w > 1 && PROBE_SIDE.is_multiple_of(s.output.w))
        .map(|s| PROBE_SIDE / s.output.w)
        .max()
        .filter(|&s| s > 1)
}

fn error(
    code: &'static str,
    layer: Option<usize>,
    span: crate::diag::Span,
    message: String,
) -> Finding {
    Finding {
        code,
        severity: Severity::Error,
        layer,
        line: Some(span.line),
        col: span.col,
        message,
        fix: None,
    }
}
