//! One layer of a network: where it is in the cfg, its kind's typed parameters
//! ([`crate::kinds`]) and what it reads.

use crate::diag::Span;
use crate::kinds::{LayerKind, Src};

/// One layer of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Position in the network (darknet's layer index).
    pub index: usize,
    /// Where the section header is.
    pub span: Span,
    /// The section name as written (`conv`, `convolutional` …).
    pub section_name: String,
    /// Typed parameters.
    pub kind: LayerKind,
    /// What the layer reads, absolute (the previous layer first where darknet does).
    pub inputs: Vec<Src>,
    /// `dontload=1`: darknet reads no weights for this layer.
    pub dontload: bool,
    /// `dontloadscales=1`: darknet skips the batch-norm triplet of this layer.
    pub dontloadscales: bool,
    /// Spans of the layer's keys, to point errors found in later stages at the right place.
    pub key_spans: Vec<(String, Span)>,
}

impl Layer {
    /// Where `key` is written, or the section header when it is not.
    pub fn span_of(&self, key: &str) -> Span {
        self.key_spans
            .iter()
            .find(|(k, _)| k == key)
            .map_or(self.span, |(_, s)| *s)
    }
}
