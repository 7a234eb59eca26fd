//! `csplens profile`: the core stages printed as darknet's table, JSON, CSV or Markdown.

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use csplens::report::{self, Format};
use csplens::shape::InputOverride;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "csplens",
    version,
    about = "See, count and compare Darknet networks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    match cli.command {
        Command::Profile {
            cfg,
            width,
            height,
            format,
        } => {
            let bytes = match std::fs::read(&cfg)
                .with_context(|| format!("cannot read {}", cfg.display()))
            {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    return EXIT_BAD_INPUT;
                }
            };
            let name = cfg.display().to_string();
            match csplens::analyze(&name, &bytes, InputOverride { width, height }) {
                Ok(a) => {
                    print!("{}", report::render(&a, format.into()));
                    0
                }
                Err(failure) => {
                    eprintln!("{}", failure.render());
                    EXIT_BAD_INPUT
                }
            }
        }
    }
}
