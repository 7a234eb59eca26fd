//! Network → the output W×H×C of every layer, by darknet's rules
//! (see `docs/darknet-rules.md`; citations are to AlexeyAB darknet's src/).

mod rules;

use crate::diag::{Span, Warning};
use crate::network::{LayerKind, Network};
use serde::Serialize;
use thiserror::Error;

/// Width × height × channels of a tensor. Darknet leaves all three at 0 for layers whose
/// output is a flat vector (softmax, cost, detection, rnn …); their size is then only in
/// [`LayerShape::outputs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Shape {
    /// Width.
    pub w: usize,
    /// Height.
    pub h: usize,
    /// Channels.
    pub c: usize,
}

impl Shape {
    /// A shape.
    pub fn new(w: usize, h: usize, c: usize) -> Self {
        Self { w, h, c }
    }

    /// True when all three sides are non-zero, i.e. darknet's "outputs an image".
    pub fn is_image(&self) -> bool {
        self.w > 0 && self.h > 0 && self.c > 0
    }

    /// w·h·c, or `None` on overflow.
    pub fn volume(&self) -> Option<usize> {
        self.w.checked_mul(self.h)?.checked_mul(self.c)
    }

    /// `w×h×c`, as messages print it.
    pub fn text(&self) -> String {
        format!("{}×{}×{}", self.w, self.h, self.c)
    }
}

/// Input and output of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LayerShape {
    /// Shape of the (first) input.
    pub input: Shape,
    /// Shape of the output (0×0×0 for flat outputs, as darknet).
    pub output: Shape,
    /// Number of input values (darknet's `l.inputs`).
    pub inputs: usize,
    /// Number of output values (darknet's `l.outputs`).
    pub outputs: usize,
    /// Output of the convolution/pool before an antialiasing blur, where there is one:
    /// darknet counts the layer's FLOPs on it.
    pub pre_blur: Option<Shape>,
}

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

/// A layer whose output has no shape under any darknet rule.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{message}")]
pub struct ShapeError {
    /// The layer, when the error is about one.
    pub layer: Option<usize>,
    /// Where to point.
    pub span: Span,
    /// The sentence shown to the user.
    pub message: String,
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
    rules::share_mismatch((c, c_in(i)), (shared, c_in(s)), s)
}

/// Infers every layer's shape.
pub fn infer(net: &Network, over: InputOverride) -> Result<Shapes, ShapeError> {
    let width = over.width.unwrap_or(net.net.width);
    let height = over.height.unwrap_or(net.net.height);
    for (key, v) in [("width", over.width), ("height", over.height)] {
        if v == Some(0) || v.is_some_and(|v| v > crate::network::MAX_DIM as usize) {
            return Err(ShapeError {
                layer: None,
                span: net.net.span,
                message: format!("--{key} must be between 1 and {}", crate::network::MAX_DIM),
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
        let mut cx = rules::Ctx {
            layer,
            layers: &net.layers,
            done: &layers,
            prev,
            prev_flat,
            warnings: &mut warnings,
        };
        let shape = rules::layer_shape(&mut cx)?;
        layers.push(shape);
    }
    Ok(Shapes {
        input,
        layers,
        warnings,
    })
}
