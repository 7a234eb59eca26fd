//! The lint report as a table (`file:line:col` diagnostics with their caret and fix) or JSON.

use super::LintReport;
use super::Severity;
use crate::diag::{Span, render};
use serde_json::{Value, json};

/// Every finding as `file:line:col: severity[code]: message`, its line and a caret, its fix,
/// then the counts.
pub fn lint_table(r: &LintReport) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let span = f.line.map(|l| Span::new(l, f.col.max(1)));
        let head = format!("{}[{}]: {}", f.severity.name(), f.code, f.message);
        out += &render(&r.cfg, &r.source, span, &head);
        out.push('\n');
        if let Some(fix) = &f.fix {
            out += &format!("  = fix: {}\n", fix.description);
        }
    }
    let count = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
    let (e, w, n) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note),
    );
    out += &format!(
        "{}: {e} error{}, {w} warning{}, {n} note{}\n",
        r.cfg,
        plural(e),
        plural(w),
        plural(n)
    );
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `{"cfg", "findings": [{"code", "severity", "layer", "line", "message", "fix"}]}`.
pub fn lint_json(r: &LintReport) -> Value {
    json!({"cfg": r.cfg, "findings": r.findings})
}
