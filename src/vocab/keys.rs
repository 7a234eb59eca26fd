//! What every section parser shares: its context, darknet's bounds, typed keys with the
//! checks darknet makes (or should make) on them, and layer references made absolute.

use super::activation::Activation;
use super::error::{NetworkError, NetworkErrorKind};
use super::options::Opts;
use crate::diag::Warning;

/// The largest channel count, kernel size, stride or class count accepted from a cfg.
pub const MAX_DIM: i64 = 1 << 24;

/// What a section parser needs besides the section.
pub(crate) struct ParseCx<'w> {
    /// Index of the layer being parsed.
    pub index: usize,
    /// Type names of the layers parsed so far (`convolutional`, `yolo` …).
    pub previous: &'w [&'static str],
    /// Warnings collected while parsing.
    pub warnings: &'w mut Vec<Warning>,
}

pub(crate) fn dim(o: &Opts, key: &str, default: i64) -> Result<usize, NetworkError> {
    Ok(o.int_in(key, default, 1, MAX_DIM)? as usize)
}

pub(crate) fn count(o: &Opts, key: &str, default: i64) -> Result<usize, NetworkError> {
    Ok(o.int_in(key, default, 0, MAX_DIM)? as usize)
}

pub(crate) fn activation(o: &Opts, cx: &mut ParseCx, key: &str, default: &str) -> Activation {
    let name = o.string(key, default);
    Activation::from_name(&name).unwrap_or_else(|| {
        cx.warnings.push(Warning::at(
            o.span_of(key),
            format!(
                "unknown activation `{name}` in layer {}; darknet falls back to relu",
                cx.index
            ),
        ));
        Activation::Relu
    })
}

/// Resolves a layer reference as darknet does (negative = relative) and checks it points
/// at an earlier layer.
pub(crate) fn reference(
    o: &Opts,
    cx: &ParseCx,
    key: &str,
    value: i64,
) -> Result<usize, NetworkError> {
    let abs = if value < 0 {
        cx.index as i64 + value
    } else {
        value
    };
    let span = o.span_of(key);
    let what = format!("layer {} ([{}]) `{key}={value}`", cx.index, o.name());
    if abs == cx.index as i64 {
        return Err(NetworkError::new(
            NetworkErrorKind::BadReference,
            span,
            format!("{what} refers to the layer itself"),
        ));
    }
    if abs < 0 {
        return Err(NetworkError::new(
            NetworkErrorKind::BadReference,
            span,
            format!("{what} refers to layer {abs}, before the first layer (0)"),
        ));
    }
    if abs > cx.index as i64 {
        return Err(NetworkError::new(
            NetworkErrorKind::BadReference,
            span,
            format!(
                "{what} refers to layer {abs}, which comes later; a layer can only read earlier layers"
            ),
        ));
    }
    Ok(abs as usize)
}

pub(crate) fn references(o: &Opts, cx: &ParseCx, key: &str) -> Result<Vec<usize>, NetworkError> {
    let Some(values) = o.ints(key)? else {
        return Err(NetworkError::new(
            NetworkErrorKind::MissingKey,
            o.span(),
            format!(
                "layer {} ([{}]) must say which layers it reads: `{key}=` is missing",
                cx.index,
                o.name()
            ),
        ));
    };
    values
        .into_iter()
        .map(|v| reference(o, cx, key, v))
        .collect()
}
