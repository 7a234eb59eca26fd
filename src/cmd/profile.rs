//! `csplens profile`: the core stages printed as darknet's table, JSON, CSV or Markdown.

use csplens::args::ViewArgs;
use csplens::args::render_load;
use csplens::limits::Limits;
use csplens::report;
use std::path::Path;

/// Profiles one cfg; the error is the text to print.
pub fn run(cfg: &Path, view: &ViewArgs, caps: &Limits) -> Result<String, String> {
    let a = csplens::analyze_file(cfg, view.input(), caps).map_err(|e| render_load(&e))?;
    Ok(report::render(&a, view.format.into()))
}
