//! `csplens stages`: a network's CSP stages as a table or JSON.

use csplens::args::DetectFormat;
use csplens::args::render_load;
use csplens::limits::Limits;
use csplens::report;
use csplens::shape::InputOverride;
use std::path::Path;

/// Lists the CSP stages of one cfg; the error is the text to print.
pub fn run(
    cfg: &Path,
    over: InputOverride,
    format: DetectFormat,
    caps: &Limits,
) -> Result<String, String> {
    let a = csplens::analyze_file(cfg, over, caps).map_err(|e| render_load(&e))?;
    Ok(match format {
        DetectFormat::Table => report::stages_table(&a),
        DetectFormat::Json => {
            serde_json::to_string_pretty(&report::stages_json(&a)).unwrap_or_default() + "\n"
        }
    })
}
