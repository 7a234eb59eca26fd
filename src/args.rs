//! The command line's grammar (clap): subcommands, their options and the resource-cap flags.
//! In the library so that the argument parser can be fuzzed with paths and numbers; the
//! binary runs what it parses.
#![allow(missing_docs)]

use crate::backend::{BackendChoice, Precision};
use crate::cspify::CspifyError;
use crate::limits::{Cap, Limits};
use crate::report::Format;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The exit code for input the tool refuses (a bad cfg, an unreadable file).
pub const EXIT_BAD_INPUT: i32 = 2;

/// The exit code of a many-image run that completed with some images failed.
pub const EXIT_SOME_FAILED: i32 = 1;

/// The option that raises `cap`.
pub fn cap_option(cap: Cap) -> &'static str {
    match cap {
        Cap::Layers => "--max-layers",
        Cap::InputValues => "--max-input-values",
        Cap::ActivationBytes => "--max-activation-gib",
        Cap::WeightsBytes => "--max-weights-gib",
    }
}

/// A cfg that did not load, as the command line prints it: the library's diagnostic, and for a
/// cap the option that raises it.
pub fn render_load(e: &crate::LoadError) -> String {
    let text = e.render();
    match e.cap() {
        Some(cap) => format!("{text} ({} raises it)", cap_option(cap)),
        None => text,
    }
}

/// The `cspify` option an error is about.
pub fn cspify_option(e: &CspifyError) -> Option<&'static str> {
    match e {
        CspifyError::Ratio(_) => Some("--ratio"),
        CspifyError::NoFusion => Some("--fusion"),
        CspifyError::NoSuchStage { .. } => Some("--stages"),
        CspifyError::NothingToConvert { .. }
        | CspifyError::ReadFromOutside { .. }
        | CspifyError::Rewrite(_) => None,
    }
}

#[derive(Parser)]
#[command(
    name = "csplens",
    version,
    about = "See, count and compare Darknet networks",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Files to open in the app (.cfg, .weights, .names, images); with none and no command,
    /// the app opens its default (yolov4-tiny beside yolov3-tiny).
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Resource caps, checked before anything of that size is allocated.
#[derive(clap::Args, Clone, Copy)]
pub struct LimitArgs {
    /// Most layers a cfg may have.
    #[arg(long, global = true, default_value_t = Limits::default().max_layers)]
    pub max_layers: usize,
    /// Most input values (width × height × channels).
    #[arg(long, global = true, default_value_t = Limits::default().max_input_values)]
    pub max_input_values: u64,
    /// Most activation memory in GiB (all layer outputs together).
    #[arg(long, global = true, default_value_t = (Limits::default().max_activation_bytes >> 30) as f64)]
    pub max_activation_gib: f64,
    /// Largest .weights size in GiB.
    #[arg(long, global = true, default_value_t = (Limits::default().max_weights_bytes >> 30) as f64)]
    pub max_weights_gib: f64,
    /// Most pixels of an image (read from its header before decoding).
    #[arg(long, global = true, default_value_t = Limits::default().max_image_pixels)]
    pub max_image_pixels: u64,
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

#[derive(Subcommand)]
pub enum Command {
    /// Per-layer shapes, BFLOPs, parameters and .weights size, as darknet counts them.
    Profile {
        /// The Darknet .cfg file.
        cfg: PathBuf,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// CSP stages: every cross-stage partial stage (base, both parts, block, fusion, totals)
    /// and every partial residual.
    Stages {
        /// The Darknet .cfg file.
        cfg: PathBuf,
        /// Input width (overrides [net] width).
        #[arg(long)]
        width: Option<usize>,
        /// Input height (overrides [net] height).
        #[arg(long)]
        height: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
        format: DetectFormat,
    },
    /// The cfg doctor: darknet users' cfg mistakes (head filters, masks, anchors, classes,
    /// input size, misspelt keys, training schedule), each with its line and fix.
    Lint(LintArgs),
    /// Retargets a cfg: classes in every head and the filters before each, a valid input
    /// size, darknet's max_batches and steps; every other byte of the file kept.
    Fix(FixArgs),
    /// Make a CSP network from a plain one: each residual or dense stage becomes a CSP stage.
    Cspify(CspifyArgs),
    /// YOLO detection on one image, as `darknet detector test` reports it.
    Detect(DetectArgs),
    /// Accuracy on labelled images, as `darknet detector map` reports it: every class's AP,
    /// TP/FP/FN, precision, recall, F1 and average IoU at the threshold, darknet's mAP over
    /// all classes and the mean over labelled ones.
    Map(MapArgs),
    /// A dataset checked before training: the `.data` file's train and valid lists, every
    /// image (readable, not duplicated) and label line (five numbers, class, range, repeats);
    /// with --cfg, labels smaller than the finest head's stride.
    CheckData(CheckDataArgs),
    /// Anchors from labels: darknet's calc_anchors (k-means with the IoU distance over the
    /// training labels at the network size), seeded and from several starts; with --cfg the
    /// masks by head stride and the current anchors' avg IoU beside, --apply writes them.
    Anchors(AnchorsArgs),
    /// The network with its weights as an ONNX model: the image as darknet feeds it in, every
    /// head decoded (boxes, scores) or the heads' tensors out.
    Export(ExportArgs),
    /// Times the forward pass (network only) and the end-to-end detection, medians of N runs.
    Bench(BenchArgs),
    /// GPU kernel throughput: the blocked convolution against the naive kernel, optionally a
    /// whole network's kernel time.
    #[cfg(feature = "gpu")]
    GpuBench(GpuBenchArgs),
    /// Two networks side by side (B's change against A), with stages aligned by resolution.
    Compare {
        /// The baseline cfg.
        a: PathBuf,
        /// The cfg compared with it.
        b: PathBuf,
        #[command(flatten)]
        view: ViewArgs,
    },
}

/// Input size and output format of `profile` and `compare`.
#[derive(clap::Args, Clone, Copy)]
pub struct ViewArgs {
    /// Input width (overrides [net] width).
    #[arg(long)]
    pub width: Option<usize>,
    /// Input height (overrides [net] height).
    #[arg(long)]
    pub height: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
}

impl ViewArgs {
    /// The input size override.
    pub fn input(&self) -> crate::shape::InputOverride {
        crate::shape::InputOverride {
            width: self.width,
            height: self.height,
        }
    }
}

/// The network, its weights and the image of `detect` and `bench`.
#[derive(clap::Args)]
pub struct ModelArgs {
    /// The Darknet .cfg file.
    #[arg(long)]
    pub cfg: PathBuf,
    /// The .weights file.
    #[arg(long)]
    pub weights: PathBuf,
    /// The image (JPEG, PNG or BMP).
    #[arg(long)]
    pub image: Option<PathBuf>,
}

/// Options of `csplens detect`.
#[derive(clap::Args)]
pub struct DetectArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Class names, one per line (coco.names).
    #[arg(long)]
    pub names: Option<PathBuf>,
    /// Detection threshold.
    #[arg(long, default_value_t = 0.25)]
    pub thresh: f32,
    /// Backend: cpu, wgpu, or auto (wgpu on a real GPU, else cpu).
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
    /// How the GPU stores activations and weights: f16 halves memory and traffic (wgpu on an
    /// adapter with SHADER_F16; auto falls back to f32).
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    pub precision: PrecisionArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    pub format: DetectFormat,
    /// Write the image with boxes and labels drawn to this PNG.
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// CPU threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Many images: folders (their JPEG, PNG and BMP files, sorted) or image files.
    #[arg(long, num_args = 1.., value_name = "DIR|FILE", conflicts_with = "image")]
    pub images: Vec<PathBuf>,
    /// Many images from a list file, one path per line (darknet's `< list.txt`).
    #[arg(long, conflicts_with = "image")]
    pub list: Option<PathBuf>,
    /// Write darknet's `-out` JSON for every image to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print darknet's `-ext_output` lines (each box's place in pixels).
    #[arg(long)]
    pub ext_output: bool,
    /// Write each image with its boxes drawn into this folder (`<name>.png`).
    #[arg(long)]
    pub save_dir: Option<PathBuf>,
    /// Images per forward pass (`--images` / `--list`): side by side on the CPU, one
    /// submission on the GPU.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
}

/// Options of `csplens map`.
#[derive(clap::Args)]
pub struct MapArgs {
    /// darknet's .data file (`classes`, `valid` = the image list, `names`).
    #[arg(long, required_unless_present = "merge")]
    pub data: Option<PathBuf>,
    /// The Darknet .cfg file.
    #[arg(long, required_unless_present = "merge")]
    pub cfg: Option<PathBuf>,
    /// The .weights file.
    #[arg(long, required_unless_present = "merge")]
    pub weights: Option<PathBuf>,
    /// Evaluate every N-th image from the i-th only (`i/N`, i from 0): one shard of a run
    /// split over processes or machines; write its matches with --raw.
    #[arg(long, value_name = "i/N", value_parser = parse_shard, requires = "raw")]
    pub shard: Option<(usize, usize)>,
    /// Write this run's raw matches (JSON) for `--merge`.
    #[arg(long, value_name = "OUT")]
    pub raw: Option<PathBuf>,
    /// Merge the raw files of the shards of one run: the numbers of one run over all their
    /// images.
    #[arg(long, num_args = 1.., value_name = "RAW", conflicts_with_all = ["data", "cfg", "weights", "shard", "raw"])]
    pub merge: Vec<PathBuf>,
    /// AP rule: 0 (area under the curve, darknet's default), 11 (VOC2007), 101 (COCO points).
    #[arg(long, default_value_t = 0)]
    pub points: usize,
    /// A detection matches a label above this IoU.
    #[arg(long, default_value_t = 0.5)]
    pub iou_thresh: f32,
    /// TP, FP, FN and average IoU are counted above this confidence.
    #[arg(long, default_value_t = 0.25)]
    pub thresh: f32,
    /// Backend: cpu, wgpu, or auto (wgpu on a real GPU, else cpu).
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
    /// How the GPU stores activations and weights.
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    pub precision: PrecisionArg,
    /// Images per forward pass.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// CPU threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    pub format: DetectFormat,
}

/// Options of `csplens check-data`.
#[derive(clap::Args)]
pub struct CheckDataArgs {
    /// darknet's .data file (`classes`, `train`, `valid`).
    #[arg(long)]
    pub data: PathBuf,
    /// The network the data is for (its input size and head strides).
    #[arg(long)]
    pub cfg: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    pub format: DetectFormat,
}

/// Options of `csplens anchors`.
#[derive(clap::Args)]
pub struct AnchorsArgs {
    /// darknet's .data file (its `train` list's labels).
    #[arg(long)]
    pub data: PathBuf,
    /// How many anchors (default: the cfg's num, else 9).
    #[arg(long)]
    pub num: Option<usize>,
    /// Network input width (default: the cfg's, else 416).
    #[arg(long)]
    pub width: Option<usize>,
    /// Network input height (default: the cfg's, else 416).
    #[arg(long)]
    pub height: Option<usize>,
    /// The cfg the anchors are for: masks by head stride, its current anchors' avg IoU.
    #[arg(long)]
    pub cfg: Option<PathBuf>,
    /// Write the anchors, masks, num and filters into the cfg (with -o or --in-place).
    #[arg(long, requires = "cfg")]
    pub apply: bool,
    /// Where --apply writes the cfg (written whole, then renamed into place).
    #[arg(short, long, requires = "apply", conflicts_with = "in_place")]
    pub output: Option<PathBuf>,
    /// --apply replaces the cfg (its old text kept as CFG.bak).
    #[arg(long, requires = "apply")]
    pub in_place: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    pub format: DetectFormat,
}

/// `csplens export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The Darknet .cfg file.
    #[arg(long)]
    pub cfg: PathBuf,
    /// Its .weights file.
    #[arg(long)]
    pub weights: PathBuf,
    /// Where the ONNX model goes (written whole, then renamed into place).
    #[arg(short, long)]
    pub output: PathBuf,
    /// The outputs: `boxes` (boxes [N,K,4] and scores [N,K,C], every head decoded) or `raw`
    /// (yolo_<layer>: the tensor each head reads).
    #[arg(long, value_enum, default_value_t = ExportDecode::Boxes)]
    pub decode: ExportDecode,
    /// Images per run: a number, or `dynamic` (any number, given at run time).
    #[arg(long, default_value = "1", value_parser = parse_batch)]
    pub batch: crate::export::Batch,
    /// The ONNX opset (11 to 21).
    #[arg(long, default_value_t = crate::export::DEFAULT_OPSET)]
    pub opset: i64,
    /// Runs the written file (tract) on this image and prints, per head, its largest
    /// difference from csplens's CPU backend.
    #[arg(long, value_name = "IMAGE")]
    pub check: Option<PathBuf>,
}

/// `--decode`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportDecode {
    /// Every head decoded as darknet does: boxes and scores, before threshold and NMS.
    Boxes,
    /// The tensor each head reads, one output per head.
    Raw,
}

/// `N` or `dynamic`.
fn parse_batch(s: &str) -> Result<crate::export::Batch, String> {
    if s.eq_ignore_ascii_case("dynamic") {
        return Ok(crate::export::Batch::Dynamic);
    }
    match s.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(crate::export::Batch::Fixed(n)),
        _ => Err(format!(
            "`{s}` is neither a number of images (1 and more) nor `dynamic`"
        )),
    }
}

/// `i/N` with i < N.
fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not i/N (e.g. 0/3)"))?;
    let (i, n): (usize, usize) = (
        i.trim()
            .parse()
            .map_err(|_| format!("`{i}` is not a whole number"))?,
        n.trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a whole number"))?,
    );
    if n == 0 || i >= n {
        return Err(format!("{i}/{n}: i goes from 0 to N-1"));
    }
    Ok((i, n))
}

impl DetectArgs {
    /// Many images (`--images` or `--list`) rather than one.
    pub fn many(&self) -> bool {
        !self.images.is_empty() || self.list.is_some()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    Cpu,
    Wgpu,
    Auto,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    F32,
    F16,
}

impl From<PrecisionArg> for Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::F32 => Self::F32,
            PrecisionArg::F16 => Self::F16,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DetectFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
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

/// Options of `csplens bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Backend: cpu, wgpu or auto.
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
    /// How the GPU stores activations and weights (f16: wgpu with SHADER_F16).
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    pub precision: PrecisionArg,
    /// Timed runs (after one warm-up run).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// Also time batches of this many images in one pass (images/s).
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// CPU threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    pub format: DetectFormat,
}

/// Options of `csplens gpu-bench`.
#[cfg(feature = "gpu")]
#[derive(clap::Args)]
pub struct GpuBenchArgs {
    /// Input and output channels of the 3×3 convolution.
    #[arg(long, default_value_t = 256)]
    pub channels: usize,
    /// Width and height of the convolution's input.
    #[arg(long, default_value_t = 52)]
    pub size: usize,
    /// Inferences recorded into one submission.
    #[arg(long, default_value_t = 10)]
    pub iters: usize,
    /// Also time this network: its kernels with each convolution kernel, whole inferences and
    /// per-layer GPU times.
    #[arg(long)]
    pub cfg: Option<PathBuf>,
    /// Weights of --cfg (without them, synthetic values of the right count: the times are the
    /// same).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Also time --cfg on batches of this many inputs in one submission (images/s), in f32
    /// and, where the adapter stores f16, in f16.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
}

impl From<BackendArg> for BackendChoice {
    fn from(b: BackendArg) -> Self {
        match b {
            BackendArg::Cpu => Self::Cpu,
            BackendArg::Wgpu => Self::Wgpu,
            BackendArg::Auto => Self::Auto,
        }
    }
}

/// Options of `csplens lint`.
#[derive(clap::Args)]
pub struct LintArgs {
    /// The Darknet .cfg file.
    pub cfg: PathBuf,
    /// The class names file (one per line): checked against classes=.
    #[arg(long)]
    pub names: Option<PathBuf>,
    /// The .weights to train from: its header's images seen against max_batches.
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// The GPU's memory in GiB: the training footprint is checked against it.
    #[arg(long)]
    pub gpu_memory: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    pub format: DetectFormat,
}

/// Options of `csplens fix`.
#[derive(clap::Args)]
pub struct FixArgs {
    /// The Darknet .cfg file.
    pub cfg: PathBuf,
    /// Classes to detect (left as they are when not given).
    #[arg(long)]
    pub classes: Option<usize>,
    /// Input width (snapped to a multiple of the network's largest stride).
    #[arg(long)]
    pub width: Option<usize>,
    /// Input height (snapped likewise).
    #[arg(long)]
    pub height: Option<usize>,
    /// Training images (max_batches is at least this many).
    #[arg(long)]
    pub images: Option<usize>,
    /// Where to write the fixed cfg (written whole, then renamed into place).
    #[arg(short, long, conflicts_with = "in_place")]
    pub output: Option<PathBuf>,
    /// Replace CFG (its old text kept as CFG.bak).
    #[arg(long)]
    pub in_place: bool,
    /// Print the unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Options of `csplens cspify`.
#[derive(clap::Args)]
pub struct CspifyArgs {
    /// The plain Darknet .cfg file.
    pub cfg: PathBuf,
    /// Where to write the CSP cfg (written whole, then renamed into place).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Where the transitions go: csp (before and after the merge), first (after), last
    /// (before).
    #[arg(long, value_enum, default_value_t = FusionArg::Csp)]
    pub fusion: FusionArg,
    /// Part 2's share of each stage's channels.
    #[arg(long, default_value_t = 0.5)]
    pub ratio: f64,
    /// Which stages: all, or a comma list of their numbers (1-based, as cspify lists them).
    #[arg(long, default_value = "all")]
    pub stages: String,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FusionArg {
    Csp,
    First,
    Last,
}

impl From<FusionArg> for crate::profile::csp::Fusion {
    fn from(f: FusionArg) -> Self {
        match f {
            FusionArg::Csp => Self::Csp,
            FusionArg::First => Self::First,
            FusionArg::Last => Self::Last,
        }
    }
}

impl CspifyArgs {
    /// The options, or a sentence saying what is wrong with `--stages`.
    pub fn options(&self) -> Result<crate::cspify::Options, String> {
        use crate::cspify::StageSelect;
        let stages = if self.stages.trim() == "all" {
            StageSelect::All
        } else {
            let list: Result<Vec<usize>, _> = self
                .stages
                .split(',')
                .map(|s| s.trim().parse::<usize>())
                .collect();
            StageSelect::Some(list.map_err(|_| {
                format!(
                    "--stages must be `all` or a comma list of stage numbers such as 1,3, not `{}`",
                    self.stages
                )
            })?)
        };
        Ok(crate::cspify::Options {
            fusion: self.fusion.into(),
            ratio: self.ratio,
            stages,
        })
    }
}
