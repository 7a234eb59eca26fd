//! Why a cfg cannot become a network.

use crate::diag::Span;
use thiserror::Error;

/// What went wrong while typing the sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkErrorKind {
    /// The first section is not `[net]`.
    MissingNet,
    /// A section name darknet does not know.
    UnknownSection,
    /// A value of the wrong type.
    BadValue,
    /// A value outside what darknet can work with.
    OutOfRange,
    /// A required key is absent.
    MissingKey,
    /// A layer reference that points nowhere valid.
    BadReference,
}

/// A cfg that cannot become a network, with where and why.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{message}")]
pub struct NetworkError {
    /// The class of problem.
    pub kind: NetworkErrorKind,
    /// Where it is.
    pub span: Span,
    /// The sentence shown to the user.
    pub message: String,
}

impl NetworkError {
    pub(crate) fn new(kind: NetworkErrorKind, span: Span, message: String) -> Self {
        Self {
            kind,
            span,
            message,
        }
    }
}
