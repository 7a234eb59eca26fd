//! Network → the output W×H×C of every layer, by darknet's rules
//! (see `docs/darknet-rules.md`; citations are to AlexeyAB darknet's src/).

use crate::diag::Warning;
use crate::vocab::shape::{LayerShape, Shape, ShapeError, ShapeErrorKind};
use crate::vocab::shape_cx::ShapeCx;
use serde::Serialize;

use crate::kinds::LayerKind;
use crate::network::Network;

/// The shapes of a whole network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shapes {
    /// The network input.
    pub input: Shape,
    /// Per layer, in layer order.
    pub layers: Vec<LayerShape>,
    /// Findings that do not stop shape inference (e.g. shortcuts that current darknet rejects).
    pub warnings: Vec<Warning>,
}

/// Input size overrides (`--width`, `--height`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputOverride {
    /// Replaces `[net] width`.
    pub width: Option<usize>,
    /// Replaces `[net] height`.
    pub height: Option<usize>,
}

/// Why convolution `i` cannot use the weights of the layer it shares them with
/// (`share_index`), or `None` when it can (or shares nothing). Darknet requires the same size,
/// filters, input channels and weight count; otherwise it prints "Layer size, nweights,
/// channels or filters don't match for the share_layer", waits for a key, and then reads the
/// shared layer's weights with the wrong layout.
pub fn share_mismatch(net: &Network, shapes: &Shapes, i: usize) -> Option<String> {
    let LayerKind::Convolutional(c) = &net.layers.get(i)?.kind else {
        return None;
    };
    let s = c.share_index?;
    let LayerKind::Convolutional(shared) = &net.layers.get(s)?.kind else {
        return None;
    };
    let c_in = |j: usize| shapes.layers.get(j).map_or(0, |l| l.input.c);
    crate::kinds::share_mismatch((c, c_in(i)), (shared, c_in(s)), s)
}

/// Infers every layer's shape.
pub fn infer(net: &Network, over: InputOverride) -> Result<Shapes, ShapeError> {
    let width = over.width.unwrap_or(net.net.width);
    let height = over.height.unwrap_or(net.net.height);
    for (key, v) in [("width", over.width), ("height", over.height)] {
        if v == Some(0) || v.is_some_and(|v| v > crate::vocab::keys::MAX_DIM as usize) {
            return Err(ShapeError {
                kind: ShapeErrorKind::InputSize,
                layer: None,
                span: net.net.span,
                message: format!(
                    "the input {key} must be between 1 and {}",
                    crate::vocab::keys::MAX_DIM
                ),
            });
        }
    }
    let input = Shape::new(width, height, net.net.channels);
    let overridden = over.width.is_some() || over.height.is_some();
    let input_flat = if overridden || input.is_image() {
        input.volume()
    } else {
        Some(net.net.inputs)
    }
    .ok_or_else(|| ShapeError {
        kind: ShapeErrorKind::Overflow,
        layer: None,
        span: net.net.span,
        message: format!("the input {} overflows the address space", input.text()),
    })?;
    let mut layers: Vec<LayerShape> = Vec::with_capacity(net.layers.len());
    let mut warnings = Vec::new();
    for layer in &net.layers {
        let (prev, prev_flat) = match layers.last() {
            Some(p) => (p.output, p.outputs),
            None => (input, input_flat),
        };
        let mut cx = ShapeCx {
            index: layer.index,
            name: layer.kind.type_name(),
            span: layer.span,
            key_spans: &layer.key_spans,
            done: &layers,
            prev,
            prev_flat,
            warnings: &mut warnings,
        };
        let shape = layer.kind.shape(&mut cx)?;
        if let LayerKind::Convolutional(c) = &layer.kind
            && let Some(s) = c.share_index
            && let Some(LayerKind::Convolutional(shared)) = net.layers.get(s).map(|l| &l.kind)
            && let Some(message) =
                crate::kinds::share_mismatch((c, shape.input.c), (shared, cx.source(s)?.input.c), s)
        {
            cx.warn(message);
        }
        layers.push(shape);
    }
    Ok(Shapes {
        input,
        layers,
        warnings,
    })
}
