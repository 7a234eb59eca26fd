//! The `csplens` command line: this file parses and dispatches; each subcommand is one file,
//! a function from its arguments and the run's caps (passed as a value) to the text it prints
//! or the error text. Loading goes through the library ([`csplens::analyze_file`]).

mod anchors;
mod app;
mod bench;
mod check_data;
mod compare;
mod cspify;
mod detect;
mod detect_many;
mod doctor_fix;
mod draw;
mod export;
#[cfg(feature = "gpu")]
mod gpu_bench;
mod lint;
mod map;
mod model;
mod profile;
mod stages;

use clap::Parser;
use csplens::args::{Cli, Command, EXIT_BAD_INPUT};
use csplens::limits::Limits;
use csplens::shape::InputOverride;

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let caps: Limits = cli.limits.into();
    let Some(command) = cli.command else {
        return app::run(cli.files);
    };
    if let Command::Lint(args) = &command {
        return lint::run(args);
    }
    if let Command::CheckData(args) = &command {
        return check_data::run(args, &caps);
    }
    if let Command::Detect(args) = &command
        && args.many()
    {
        return detect_many::run(args, &caps);
    }
    let result = match command {
        Command::Profile { cfg, view } => profile::run(&cfg, &view, &caps),
        Command::Stages {
            cfg,
            width,
            height,
            format,
        } => stages::run(&cfg, InputOverride { width, height }, format, &caps),
        Command::Lint(_) | Command::CheckData(_) => Ok(String::new()),
        Command::Fix(args) => doctor_fix::run(&args),
        Command::Cspify(args) => cspify::run(&args, &caps),
        Command::Detect(args) => detect::run(&args, &caps),
        Command::Bench(args) => bench::run(&args, &caps),
        Command::Map(args) => map::run(&args, &caps),
        Command::Anchors(args) => anchors::run(&args, &caps),
        Command::Export(args) => export::run(&args, &caps),
        #[cfg(feature = "gpu")]
        Command::GpuBench(args) => gpu_bench::run(&args, &caps),
        Command::Compare { a, b, view } => compare::run(&a, &b, &view, &caps),
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
