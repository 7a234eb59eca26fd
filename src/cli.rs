//! `csplens profile`: the core stages printed as darknet's table, JSON, CSV or Markdown.

use anyhow::Context as _;
use clap::Parser;
use csplens::args::{Cli, Command, DetectFormat};
use csplens::limits::Limits;
use csplens::report;
use csplens::shape::InputOverride;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The caps of this run (set once from the command line).
static LIMITS: OnceLock<Limits> = OnceLock::new();

/// The caps of this run.
pub(crate) fn limits() -> Limits {
    LIMITS.get().copied().unwrap_or_default()
}

/// Exit code for input the tool refuses (bad cfg, unreadable file).
const EXIT_BAD_INPUT: i32 = 2;

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let _ = LIMITS.set(cli.limits.into());
    let Some(command) = cli.command else {
        return app(cli.files);
    };
    let result = match command {
        Command::Profile { cfg, view } => {
            load(&cfg, view.input()).map(|a| report::render(&a, view.format.into()))
        }
        Command::Stages {
            cfg,
            width,
            height,
            format,
        } => load(&cfg, InputOverride { width, height }).map(|a| match format {
            DetectFormat::Table => report::stages_table(&a),
            DetectFormat::Json => {
                serde_json::to_string_pretty(&report::stages_json(&a)).unwrap_or_default() + "\n"
            }
        }),
        Command::Cspify(args) => cspify(&args),
        Command::Detect(args) => crate::detect_cmd::run(&args),
        Command::Bench(args) => crate::detect_cmd::bench(&args),
        #[cfg(feature = "gpu")]
        Command::GpuBench(args) => crate::gpu_bench::run(&args),
        Command::Compare { a, b, view } => load(&a, view.input()).and_then(|a| {
            load(&b, view.input()).map(|b| report::render_compare(&a, &b, view.format.into()))
        }),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(message) => {
            eprintln!("{message}");
            EXIT_BAD_INPUT
        }
    }
}

/// Opens the desktop app.
#[cfg(feature = "gui")]
fn app(files: Vec<PathBuf>) -> i32 {
    let mut files = files;
    if let Some(missing) = files.iter().find(|f| !f.exists()) {
        eprintln!("error: {} does not exist", missing.display());
        return EXIT_BAD_INPUT;
    }
    files.retain(|f| f.exists());
    match csplens::gui::run(files) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: cannot open the app window: {e}");
            1
        }
    }
}

/// Without the `gui` feature there is no app.
#[cfg(not(feature = "gui"))]
fn app(_files: Vec<PathBuf>) -> i32 {
    eprintln!("this build has no app (feature `gui`); run `csplens --help` for the commands");
    EXIT_BAD_INPUT
}

/// Reads and analyzes one cfg; the error is the text to print.
pub(crate) fn load(path: &Path, over: InputOverride) -> Result<csplens::Analysis, String> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read {}", path.display()))
        .map_err(|e| format!("error: {e:#}"))?;
    let caps = limits();
    csplens::analyze_with(&path.display().to_string(), &bytes, over, &caps).map_err(|f| f.render())
}

/// `csplens cspify`: converts, checks that the result loads, writes it atomically and says
/// what changed.
fn cspify(args: &csplens::args::CspifyArgs) -> Result<String, String> {
    let opts = args.options().map_err(|e| format!("error: {e}"))?;
    let plain = load(&args.cfg, InputOverride::default())?;
    let made = csplens::cspify::cspify(&plain, &opts).map_err(|e| format!("error: {e}"))?;
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
