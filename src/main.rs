//! The `csplens` command line.

mod cli;
mod detect_cmd;
mod draw;
#[cfg(feature = "gpu")]
mod gpu_bench;

fn main() {
    std::process::exit(cli::main());
}
