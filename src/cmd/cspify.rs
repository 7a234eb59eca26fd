//! `csplens cspify`: a plain cfg rewritten as a CSP network.

use csplens::args::{CspifyArgs, cspify_option, render_load};
use csplens::limits::Limits;
use csplens::report;
use csplens::shape::InputOverride;

/// `csplens cspify`: converts, checks that the result loads, writes it atomically and says
/// what changed.
pub fn run(args: &CspifyArgs, caps: &Limits) -> Result<String, String> {
    let opts = args.options().map_err(|e| format!("error: {e}"))?;
    let plain = csplens::analyze_file(&args.cfg, InputOverride::default(), caps)
        .map_err(|e| render_load(&e))?;
    let made = csplens::cspify::cspify(&plain, &opts).map_err(|e| match cspify_option(&e) {
        Some(flag) => format!("error: {flag}: {e}"),
        None => format!("error: {e}"),
    })?;
    let csp = csplens::analyze(
        &args.output.display().to_string(),
        made.text.as_bytes(),
        InputOverride::default(),
    )
    .map_err(|f| f.render())?;
    csplens::files::write_atomic(&args.output, made.text.as_bytes())
        .map_err(|e| format!("error: {e}"))?;
    let rows = report::compare::compare_rows(&plain, &csp);
    let mut out = format!(
        "wrote {}: {} CSP stage{} (fusion {}, ratio {})\n",
        args.output.display(),
        made.converted.len(),
        if made.converted.len() == 1 { "" } else { "s" },
        opts.fusion.name(),
        opts.ratio
    );
    for r in rows.iter().take(3) {
        out += &format!("  {}: {} → {} {}\n", r[0], r[1], r[2], r[3]);
    }
    Ok(out)
}
