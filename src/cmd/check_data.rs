//! `csplens check-data`: a dataset's findings as `file:line: severity[code]: message` lines or
//! JSON; the exit code is 0 without errors, 1 with errors, 2 when the `.data` or the cfg cannot
//! be read.

use anyhow::Result;
use csplens::args::{CheckDataArgs, DetectFormat, EXIT_BAD_INPUT, render_load};
use csplens::eval::check::{DataReport, check_with};
use csplens::limits::Limits;

/// Checks, prints the report and returns the exit code.
pub fn run(args: &CheckDataArgs, caps: &Limits) -> i32 {
    match report(args, caps) {
        Ok((text, errors)) => {
            print!("{text}");
            i32::from(errors)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_BAD_INPUT
        }
    }
}

fn report(args: &CheckDataArgs, caps: &Limits) -> Result<(String, bool)> {
    let data = csplens::eval::DataFile::read(&args.data)?;
    for w in &data.warnings {
        eprintln!("warning: {w}");
    }
    let geometry = match &args.cfg {
        Some(cfg) => {
            let a = csplens::analyze_file(cfg, Default::default(), caps)
                .map_err(|e| anyhow::Error::msg(render_load(&e)))?;
            csplens::eval::misses::Geometry::of(&a)
        }
        None => None,
    };
    let r = check_with(&data, geometry.as_ref(), caps.max_image_pixels);
    let text = match args.format {
        DetectFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
        DetectFormat::Table => table(&r),
    };
    Ok((text, r.has_errors()))
}

fn table(r: &DataReport) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let at = f.line.map_or_else(String::new, |l| format!(":{l}"));
        out += &format!(
            "{}{at}: {}[{}]: {}\n",
            f.file,
            f.severity.name(),
            f.code,
            f.message
        );
        if let Some(fix) = &f.fix {
            out += &format!("  = fix: {fix}\n");
        }
    }
    let c = &r.counts;
    let labelled = c.labels_per_class.iter().filter(|&&n| n > 0).count();
    let n = r.findings.len();
    out += &format!(
        "{}: {} images, {} labels in {labelled} of {} classes; {n} finding{}\n",
        r.data,
        c.images,
        c.labels,
        c.labels_per_class.len(),
        if n == 1 { "" } else { "s" }
    );
    out
}
