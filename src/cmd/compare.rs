//! `csplens compare`: two networks side by side (a CSP network against its baseline).

use csplens::args::ViewArgs;
use csplens::args::render_load;
use csplens::limits::Limits;
use csplens::report;
use std::path::Path;

/// Compares two cfgs; the error is the text to print.
pub fn run(a: &Path, b: &Path, view: &ViewArgs, caps: &Limits) -> Result<String, String> {
    let a = csplens::analyze_file(a, view.input(), caps).map_err(|e| render_load(&e))?;
    let b = csplens::analyze_file(b, view.input(), caps).map_err(|e| render_load(&e))?;
    Ok(report::render_compare(&a, &b, view.format.into()))
}
