//! Source positions and the `file:line:col` rendering shared by every stage's errors.

use serde::Serialize;
use std::fmt::Write as _;

/// A 1-based line and column in a cfg file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Span {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column (in characters) on that line.
    pub col: usize,
}

impl Span {
    /// A span at `line`, `col`.
    pub fn new(line: usize, col: usize) -> Self {
        Self { line, col }
    }
}

/// A non-fatal finding about the input, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Line of the finding (0 when it concerns the whole file).
    pub line: usize,
    /// Column of the finding (0 when unknown).
    #[serde(skip)]
    pub col: usize,
    /// The sentence shown to the user.
    pub message: String,
}

impl Warning {
    /// A warning at `span`.
    pub fn at(span: Span, message: impl Into<String>) -> Self {
        Self {
            line: span.line,
            col: span.col,
            message: message.into(),
        }
    }
}

/// Renders `path:line:col: message`, followed by the offending source line and a caret
/// under the column, as compilers do. Without a span only `path: message` is printed.
pub fn render(path: &str, source: &str, span: Option<Span>, message: &str) -> String {
    let Some(span) = span else {
        return format!("{path}: {message}");
    };
    let mut out = format!("{path}:{}:{}: {message}", span.line, span.col);
    if let Some(text) = source.lines().nth(span.line.saturating_sub(1)) {
        let text = text.trim_end_matches('\r');
        let gutter = span.line.to_string();
        let pad = " ".repeat(gutter.len());
        let caret_at: String = text
            .chars()
            .take(span.col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = write!(out, "\n{pad} |\n{gutter} | {text}\n{pad} | {caret_at}^");
    }
    out
}
