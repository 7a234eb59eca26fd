//! What a kind's output-shape rule sees: its layer (index, name, where its keys are), the
//! shapes of the layers before it, and helpers that turn darknet's formulas into checked
//! arithmetic and sentences that name the layer.

use super::shape::{LayerShape, Shape, ShapeError, ShapeErrorKind as K};
use crate::diag::{Span, Warning};

/// One layer's shape-rule context.
pub struct ShapeCx<'a> {
    /// The layer's index.
    pub index: usize,
    /// Its canonical type name (`convolutional` …).
    pub name: &'static str,
    /// Its section header.
    pub span: Span,
    /// Where its keys are written.
    pub key_spans: &'a [(String, Span)],
    /// The shapes of every earlier layer.
    pub done: &'a [LayerShape],
    /// The previous layer's output (the image for layer 0).
    pub prev: Shape,
    /// The previous layer's value count.
    pub prev_flat: usize,
    /// Findings that do not stop shape inference.
    pub warnings: &'a mut Vec<Warning>,
}

impl ShapeCx<'_> {
    fn span_of(&self, key: &str) -> Span {
        self.key_spans
            .iter()
            .find(|(k, _)| k == key)
            .map_or(self.span, |(_, s)| *s)
    }

    fn located(&self, message: &str) -> String {
        format!(
            "layer {} ({}, line {}): {message}",
            self.index, self.name, self.span.line
        )
    }

    /// An error at the section header.
    pub fn err(&self, kind: K, message: String) -> ShapeError {
        self.err_at(kind, "", message)
    }

    /// An error at `key` (the header when the key is not written).
    pub fn err_at(&self, kind: K, key: &str, message: String) -> ShapeError {
        ShapeError {
            kind,
            layer: Some(self.index),
            span: self.span_of(key),
            message: self.located(&message),
        }
    }

    /// A warning at the section header.
    pub fn warn(&mut self, message: String) {
        let text = self.located(&message);
        self.warnings.push(Warning::at(self.span, text));
    }

    /// The previous output, which must be an image.
    pub fn image(&self) -> Result<Shape, ShapeError> {
        if self.prev.is_image() {
            Ok(self.prev)
        } else {
            Err(self.err(K::NotImage, format!(
                "needs an image input but the layer before it outputs {} (a flat vector of {} values)",
                self.prev.text(),
                self.prev_flat
            )))
        }
    }

    /// An image output, refusing one that has no values or overflows.
    pub fn out(&self, input: Shape, output: Shape) -> Result<LayerShape, ShapeError> {
        let outputs = output.volume().ok_or_else(|| {
            self.err(
                K::Overflow,
                format!("the output {} overflows the address space", output.text()),
            )
        })?;
        if outputs == 0 {
            return Err(self.err(
                K::NoOutput,
                format!("the output would be {}, which has no values", output.text()),
            ));
        }
        Ok(LayerShape {
            input,
            output,
            inputs: self.prev_flat,
            outputs,
            pre_blur: None,
        })
    }

    /// A flat output of `outputs` values (darknet's 0×0×0 shape).
    pub fn flat(&self, input: Shape, outputs: usize) -> LayerShape {
        LayerShape {
            input,
            output: Shape::default(),
            inputs: self.prev_flat,
            outputs,
            pre_blur: None,
        }
    }

    /// The output is the input, value for value.
    pub fn same(&self) -> Result<LayerShape, ShapeError> {
        self.nonzero_input()?;
        Ok(LayerShape {
            input: self.prev,
            output: self.prev,
            inputs: self.prev_flat,
            outputs: self.prev_flat,
            pre_blur: None,
        })
    }

    /// The shape of an earlier layer this one reads.
    pub fn source(&self, index: usize) -> Result<LayerShape, ShapeError> {
        self.done.get(index).copied().ok_or_else(|| {
            self.err(
                K::Reference,
                format!("reads layer {index}, which does not exist yet"),
            )
        })
    }

    /// `(size_in + pad_total − k) / stride + 1`, refusing kernels larger than the padded input.
    pub fn window(
        &self,
        side: usize,
        pad_total: usize,
        k: usize,
        stride: usize,
        what: &str,
    ) -> Result<usize, ShapeError> {
        let padded = side
            .checked_add(pad_total)
            .ok_or_else(|| self.err(K::Overflow, "padding overflows".into()))?;
        if padded < k {
            return Err(self.err_at(
                K::WindowTooLarge,
                "size",
                format!(
                    "the {what} {k} is larger than the padded input ({side} + {pad_total} padding)"
                ),
            ));
        }
        Ok((padded - k) / stride + 1)
    }

    /// The error of sizes that overflow.
    pub fn overflow(&self) -> ShapeError {
        self.err(K::Overflow, "its sizes overflow the address space".into())
    }

    /// The product of `values`, or an error naming the layer when it overflows.
    pub fn prod(&self, values: &[usize]) -> Result<usize, ShapeError> {
        values
            .iter()
            .try_fold(1usize, |acc, &v| acc.checked_mul(v))
            .ok_or_else(|| self.overflow())
    }

    /// Refuses an input without values.
    pub fn nonzero_input(&self) -> Result<(), ShapeError> {
        if self.prev_flat == 0 {
            return Err(self.err(K::NoOutput, "its input has no values".into()));
        }
        Ok(())
    }

    /// Output of a blur (antialiasing) step after a stride-1 convolution or pool.
    pub fn blur(
        &self,
        host: Shape,
        kind: usize,
        sx: usize,
        sy: usize,
    ) -> Result<Shape, ShapeError> {
        let (k, pad) = if kind == 2 { (2, 0) } else { (3, 1) };
        Ok(Shape::new(
            self.window(host.w, 2 * pad, k, sx, "blur")?,
            self.window(host.h, 2 * pad, k, sy, "blur")?,
            host.c,
        ))
    }

    /// `host`, or `host` blurred to the stride when `antialiasing` is set (the shape keeps the
    /// pre-blur size, on which darknet counts the layer's FLOPs).
    pub fn maybe_blurred(
        &self,
        input: Shape,
        host: Shape,
        antialiasing: usize,
        (sx, sy): (usize, usize),
    ) -> Result<LayerShape, ShapeError> {
        if antialiasing == 0 {
            return self.out(input, host);
        }
        let o = self.blur(host, antialiasing, sx, sy)?;
        let mut shape = self.out(input, o)?;
        shape.pre_blur = Some(host);
        Ok(shape)
    }
}
