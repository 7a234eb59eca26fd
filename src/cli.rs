//! `csplens profile`: the core stages printed as darknet's table, JSON, CSV or Markdown.

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use csplens::limits::Limits;
use csplens::report::{self, Format};
use csplens::shape::InputOverride;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[derive(Parser)]
#[command(
    name = "csplens",
    version,
    about = "See, count and compare Darknet networks",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Files to open in the app (.cfg, .weights, .names, images); with none and no command,
    /// the app opens its default (yolov4-tiny beside yolov3-tiny).
    files: Vec<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Resource caps, checked before anything of that size is allocated.
#[derive(clap::Args, Clone, Copy)]
struct LimitArgs {
    /// Most layers a cfg may have.
    #[arg(long, global = true, default_value_t = Limits::default().max_layers)]
    max_layers: usize,
    /// Most input values (width × height × channels).
    #[arg(long, global = true, default_value_t = Limits::default().max_input_values)]
    max_input_values: u64,
    /// Most activation memory in GiB (all layer outputs together).
    #[arg(long, global = true, default_value_t = (Limits::default().max_activation_bytes >> 30) as f64)]
    max_activation_gib: f64,
    /// Largest .weights size in GiB.
    #[arg(long, global = true, default_value_t = (Limits::default().max_weights_bytes >> 30) as f64)]
    max_weights_gib: f64,
    /// Most pixels of an image (read from its header before decoding).
    #[arg(long, global = true, default_value_t = Limits::default().max_image_pixels)]
    max_image_pixels: u64,
}

impl From<LimitArgs> for Limits {
    fn from(l: LimitArgs) -> Self {
        let gib = |g: f64| (g.max(0.0) * (1u64 << 30) as f64) as u64;
        Self {
            max_layers: l.max_layers,
            max_input_values: l.max_input_values,
            max_activation_bytes: gib(l.max_activation_gib),
            max_weights_bytes: gib(l.max_weights_gib),
            max_image_pixels: l.max_image_pixels,
        }
    }
}

/// The caps of this run (set once from the command line).
static LIMITS: OnceLock<Limits> = OnceLock::new();

/// The caps of this run.
pub(crate) fn limits() -> Limits {
    LIMITS.get().copied().unwrap_or_default()
}

#[derive(Subcommand)]
enum Command {
    /// Per-layer shapes, BFLOPs, parameters and .weights size, as darknet counts them.
    Profile {
        /// The Darknet .cfg file.
        cfg: PathBuf,
        /// Input width (overrides [net] width).
        #[arg(long)]
        width: Option<usize>,
        /// Input height (overrides [net] height).
        #[arg(long)]
        height: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
    },
    /// YOLO detection on one image, as `darknet detector test` reports it.
    Detect(DetectArgs),
    /// Times the forward pass (network only) and the end-to-end detection, medians of N runs.
    Bench(crate::detect_cmd::BenchArgs),
    /// GPU kernel throughput: the blocked convolution against the naive kernel, optionally a
    /// whole network's kernel time.
    #[cfg(feature = "gpu")]
    GpuBench(crate::gpu_bench::GpuBenchArgs),
    /// Two networks side by side (B's change against A), with stages aligned by resolution.
    Compare {
        /// The baseline cfg.
        a: PathBuf,
        /// The cfg compared with it.
        b: PathBuf,
        /// Input width for both (overrides [net] width).
        #[arg(long)]
        width: Option<usize>,
        /// Input height for both.
        #[arg(long)]
        height: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
    },
}

/// Options of `csplens detect`.
#[derive(clap::Args)]
pub(crate) struct DetectArgs {
    /// The Darknet .cfg file.
    #[arg(long)]
    pub(crate) cfg: PathBuf,
    /// The .weights file.
    #[arg(long)]
    pub(crate) weights: PathBuf,
    /// The image (JPEG, PNG or BMP).
    #[arg(long)]
    pub(crate) image: PathBuf,
    /// Class names, one per line (coco.names).
    #[arg(long)]
    pub(crate) names: Option<PathBuf>,
    /// Detection threshold.
    #[arg(long, default_value_t = 0.25)]
    pub(crate) thresh: f32,
    /// Backend: cpu, wgpu, or auto (wgpu on a real GPU, else cpu).
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub(crate) backend: BackendArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    pub(crate) format: DetectFormat,
    /// Write the image with boxes and labels drawn to this PNG.
    #[arg(long)]
    pub(crate) save: Option<PathBuf>,
    /// CPU threads (default: all cores).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BackendArg {
    Cpu,
    Wgpu,
    Auto,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DetectFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Table,
    Json,
    Csv,
    Md,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
            FormatArg::Md => Format::Md,
        }
    }
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
        Command::Profile {
            cfg,
            width,
            height,
            format,
        } => load(&cfg, InputOverride { width, height }).map(|a| report::render(&a, format.into())),
        Command::Detect(args) => crate::detect_cmd::run(&args),
        Command::Bench(args) => crate::detect_cmd::bench(&args),
        #[cfg(feature = "gpu")]
        Command::GpuBench(args) => crate::gpu_bench::run(&args),
        Command::Compare {
            a,
            b,
            width,
            height,
            format,
        } => {
            let over = InputOverride { width, height };
            load(&a, over)
                .and_then(|a| load(&b, over).map(|b| report::render_compare(&a, &b, format.into())))
        }
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
