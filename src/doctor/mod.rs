//! The cfg doctor: the mistakes darknet users make in their cfgs, each named by a code with
//! darknet's own rule, where it is (layer and line) and, where one exists, the textual edit
//! that fixes it. Every check runs that can: a cfg that does not build still gets the
//! findings its sections allow, as a compiler keeps going past its first error.

mod anchor_groups;
mod anchors_unused;
mod encoding;
mod fix;
mod forks;
mod heads;
mod input;
mod keys;
mod mask_overlap;
mod memory;
mod render;
mod sections;
mod training;

pub use fix::{FixError, FixOptions, Fixed, apply, fix, set_anchors, unified_diff};
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

/// Lints a cfg file's bytes: [`lint`] on its text, or the `encoding` finding for bytes that
/// are UTF-16. Other bytes that are not text are the caller's error to print.
pub fn lint_bytes(
    path: &str,
    bytes: &[u8],
    opts: &LintOptions,
) -> Result<LintReport, crate::cfg::CfgError> {
    match crate::cfg::decode(bytes) {
        Ok(text) => Ok(lint(path, &text, opts)),
        Err(e) => match encoding::utf16(&e) {
            Some(finding) => Ok(LintReport {
                cfg: path.to_string(),
                source: String::new(),
                findings: vec![finding],
            }),
            None => Err(e),
        },
    }
}

/// Lints a cfg's text: everything is built from the text (the path for texts that do not
/// analyse; [`lint_analysis`] for those that did).
pub fn lint(path: &str, text: &str, opts: &LintOptions) -> LintReport {
    lint_with(path, text, opts, None)
}

/// Lints an analysed cfg: the checks read the analysis's network, shapes, costs and memory
/// instead of building them again, and parse only what it cannot give (the text's own spans,
/// comments and repeats). An analysis made at another input size than the cfg's is linted as
/// text.
pub fn lint_analysis(a: &crate::Analysis, opts: &LintOptions) -> LintReport {
    let own_size =
        a.shapes.input.w == a.network.net.width && a.shapes.input.h == a.network.net.height;
    lint_with(&a.path, &a.source, opts, own_size.then_some(a))
}

fn lint_with(
    path: &str,
    text: &str,
    opts: &LintOptions,
    built: Option<&crate::Analysis>,
) -> LintReport {
    let mut findings = Vec::new();
    let checked = match encoding::byte_order_mark(text) {
        Some((finding, rest)) => {
            findings.push(finding);
            rest
        }
        None => text,
    };
    match crate::cfg::parse(checked) {
        Ok(cfg) => check(&cfg, checked, opts, built, &mut findings),
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

fn check(
    cfg: &CfgFile,
    text: &str,
    opts: &LintOptions,
    built: Option<&crate::Analysis>,
    out: &mut Vec<Finding>,
) {
    let layers = Layers::new(cfg, text);
    heads::check(&layers, opts, out);
    keys::check(&layers, out);
    training::check(&layers, opts, out);
    if let Some(a) = built {
        input::check_built(&layers, &a.network, out);
        mask_overlap::check(&layers, &a.network, Some(&a.shapes), out);
        anchors_unused::check(&a.network, out);
        let own = memory::AtCfgSize {
            shapes: &a.shapes,
            profile: &a.profile,
            memory: &a.memory,
        };
        memory::check(&layers, &a.network, Some(own), opts, out);
    } else if let Some(network) = input::check(cfg, &layers, out) {
        let shapes = crate::shape::infer(&network, crate::shape::InputOverride::default()).ok();
        mask_overlap::check(&layers, &network, shapes.as_ref(), out);
        anchors_unused::check(&network, out);
        memory::check(&layers, &network, None, opts, out);
    }
}
