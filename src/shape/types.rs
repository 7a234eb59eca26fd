//! The shapes every stage reads: a tensor's W×H×C, one layer's input and output, the whole
//! network's, and the error of a layer that has none.

use crate::diag::{Span, Warning};
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
