//! `csplens lint`: the cfg doctor's findings as `file:line:col` diagnostics or JSON; the exit
//! code is 0 without errors, 1 with errors, 2 when a file cannot be read.

use anyhow::{Context as _, Result};
use csplens::args::{DetectFormat, EXIT_BAD_INPUT, LintArgs};
use csplens::doctor::{self, LintOptions};

/// Exit code when the cfg has errors.
const EXIT_ERRORS: i32 = 1;

/// Lints, prints the report and returns the exit code.
pub fn run(args: &LintArgs) -> i32 {
    match report(args) {
        Ok((text, errors)) => {
            print!("{text}");
            if errors { EXIT_ERRORS } else { 0 }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_BAD_INPUT
        }
    }
}

fn report(args: &LintArgs) -> Result<(String, bool)> {
    let bytes =
        std::fs::read(&args.cfg).with_context(|| format!("cannot read {}", args.cfg.display()))?;
    let names = match &args.names {
        Some(p) => Some(csplens::detect::parse_names(
            &std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        )),
        None => None,
    };
    let weights = match &args.weights {
        Some(p) => {
            let mut head = [0u8; 20];
            let n = read_prefix(p, &mut head)?;
            Some(csplens::weights::header(&head[..n]).with_context(|| p.display().to_string())?)
        }
        None => None,
    };
    let opts = LintOptions {
        names,
        weights,
        gpu_memory_gib: args.gpu_memory,
    };
    let r = doctor::lint_bytes(&args.cfg.display().to_string(), &bytes, &opts)
        .with_context(|| args.cfg.display().to_string())?;
    let out = match args.format {
        DetectFormat::Table => doctor::lint_table(&r),
        DetectFormat::Json => serde_json::to_string_pretty(&doctor::lint_json(&r))? + "\n",
    };
    Ok((out, r.has_errors()))
}

/// The first bytes of a file (a .weights header), without reading the rest.
fn read_prefix(path: &std::path::Path, buf: &mut [u8]) -> Result<usize> {
    use std::io::Read as _;
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut n = 0;
    while n < buf.len() {
        let k = f.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(n)
}
