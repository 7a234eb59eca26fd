//! `csplens fix`: the cfg retargeted by the doctor's line edits, checked to lint without
//! errors, then shown as a diff (`--dry-run`) or written whole (`-o`, `--in-place` with a
//! `.bak`).

use csplens::args::FixArgs;
use csplens::doctor::{self, FixOptions, LintOptions};
use std::path::{Path, PathBuf};

/// Fixes; the error is the text to print.
pub fn run(args: &FixArgs) -> Result<String, String> {
    let path = args.cfg.display().to_string();
    let bytes = std::fs::read(&args.cfg).map_err(|e| format!("error: cannot read {path}: {e}"))?;
    let text = csplens::cfg::decode(&bytes).map_err(|e| format!("error: {path}: {e}"))?;
    let opts = FixOptions {
        classes: args.classes,
        width: args.width,
        height: args.height,
        images: args.images,
    };
    let fixed = doctor::fix(&text, &opts).map_err(|e| match e {
        doctor::FixError::NoClasses => format!("error: --classes: {e}"),
        doctor::FixError::Syntax(_) | doctor::FixError::Build(_) | doctor::FixError::NoHead => {
            format!("error: {path}: {e}")
        }
    })?;
    let check = doctor::lint(&path, &fixed.text, &LintOptions::default());
    if check.has_errors() {
        return Err(format!(
            "error: the fixed cfg still has errors; nothing written\n{}",
            doctor::lint_table(&check)
        ));
    }
    let summary = fixed.changes.join("; ");
    if args.dry_run {
        return Ok(format!(
            "{}# {summary}\n",
            doctor::unified_diff(&path, &text, &fixed.text)
        ));
    }
    let target: PathBuf = match (&args.output, args.in_place) {
        (Some(out), _) => out.clone(),
        (None, true) => {
            let bak = backup_path(&args.cfg);
            csplens::files::write_atomic(&bak, &bytes)
                .map_err(|e| format!("error: cannot write {}: {e}", bak.display()))?;
            args.cfg.clone()
        }
        (None, false) => {
            return Err(
                "error: say where the fixed cfg goes: -o OUT, --in-place (keeps CFG.bak) or --dry-run"
                    .into(),
            );
        }
    };
    csplens::files::write_atomic(&target, fixed.text.as_bytes())
        .map_err(|e| format!("error: cannot write {}: {e}", target.display()))?;
    Ok(format!("wrote {}: {summary}\n", target.display()))
}

/// `CFG.bak` beside `CFG`.
pub(super) fn backup_path(cfg: &Path) -> PathBuf {
    let mut name = cfg.file_name().unwrap_or_default().to_os_string();
    name.push(".bak");
    cfg.with_file_name(name)
}
