//! The shapes every kind's rule speaks of: a tensor's W×H×C, one layer's input and output,
//! and the error of a layer that has none.

use crate::diag::Span;
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

/// Why a layer has no shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeErrorKind {
    /// The layer needs an image and the one before outputs a flat vector.
    NotImage,
    /// A size overflows the address space.
    Overflow,
    /// The output (or the input) has no values.
    NoOutput,
    /// A kernel, window or crop larger than its (padded) input.
    WindowTooLarge,
    /// The layers it joins (route, shortcut, scale) have sizes that do not fit together.
    SizeMismatch,
    /// Its channel arithmetic does not work on its input (groups, reverse reorg).
    Channels,
    /// A head's input does not carry what its classes, mask or num say.
    HeadInput,
    /// It reads no layer, or one that does not exist yet.
    Reference,
    /// The input size asked for is out of range.
    InputSize,
}

/// A layer whose output has no shape under any darknet rule.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{message}")]
pub struct ShapeError {
    /// What kind of failure.
    pub kind: ShapeErrorKind,
    /// The layer, when the error is about one.
    pub layer: Option<usize>,
    /// Where to point.
    pub span: Span,
    /// The sentence shown to the user.
    pub message: String,
}
