//! The cfg doctor: the mistakes darknet users make in their cfgs, each named by a code with
//! darknet's own rule, where it is (layer and line) and, where one exists, the textual edit
//! that fixes it. Every check runs that can: a cfg that does not build still gets the
//! findings its sections allow, as a compiler keeps going past its first error.

mod fix;
mod forks;
mod heads;
mod input;
mod keys;
mod memory;
mod render;
mod sections;
mod training;

pub use fix::{FixError, FixOptions, Fixed, apply, fix, unified_diff};
pub use render::{lint_json, lint_table};

use crate::cfg::CfgFile;
use crate::weights::Header;
use sections::Layers;
use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// darknet stops, or trains or detects wrongly.
    Error,
    /// Likely a mistake; darknet goes on.
    Warning,
    /// Worth knowing.
    Note,
}

impl Severity {
    /// `error`, `warning` or `note`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }
}

/// One line's text replaced: `old` is the whole line as written, `new` its replacement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// 1-based line.
    pub line: usize,
    /// The line as it is.
    pub old: String,
    /// The line as the fix writes it.
    pub new: String,
}

/// The edits that fix a finding, and what they do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// One sentence.
    pub description: String,
    /// The line replacements.
    pub edits: Vec<Edit>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The check's code (`yolo-filters` …).
    pub code: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// The layer it is about, when it is about one.
    pub layer: Option<usize>,
    /// The line of the offending key (the section header when the key is absent).
    pub line: Option<usize>,
    /// Column on that line (for the caret; not in the JSON).
    #[serde(skip)]
    pub col: usize,
    /// The sentence shown to the user.
    pub message: String,
    /// The edits that fix it, where there is one fix.
    pub fix: Option<Fix>,
}

/// What the checks may use besides the cfg.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// The class names (`--names`), one per line.
    pub names: Option<Vec<String>>,
    /// The header of the weights to train from (`--weights`).
    pub weights: Option<Header>,
    /// The GPU's memory in GiB (`--gpu-memory`).
    pub gpu_memory_gib: Option<f64>,
}

/// A cfg's findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LintReport {
    /// The name the cfg was opened under.
    pub cfg: String,
    /// The cfg text (for carets; not in the JSON).
    #[serde(skip)]
    pub source: String,
    /// Every finding, in line order.
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Lints a cfg's text.
pub fn lint(path: &str, text: &str, opts: &LintOptions) -> LintReport {
    let mut findings = Vec::new();
    match crate::cfg::parse(text) {
        Ok(cfg) => check(&cfg, text, opts, &mut findings),
        Err(e) => findings.push(Finding {
            code: "syntax",
            severity: Severity::Error,
            layer: None,
            line: e.span().map(|s| s.line),
            col: e.span().map_or(0, |s| s.col),
            message: e.to_string(),
            fix: None,
        }),
    }
    findings.sort_by_key(|f| (f.line.unwrap_or(0), f.severity));
    LintReport {
        cfg: path.to_string(),
        source: text.to_string(),
        findings,
    }
}

fn check(cfg: &CfgFile, text: &str, opts: &LintOptions, out: &mut Vec<Finding>) {
    let layers = Layers::new(cfg, text);
    heads::check(&layers, opts, out);
    keys::check(&layers, out);
    let network = input::check(cfg, &layers, out);
    training::check(&layers, opts, out);
    if let Some(network) = network {
        memory::check(&layers, &network, opts, out);
    }
}
