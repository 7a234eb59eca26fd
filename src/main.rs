//! The `csplens` command line.

mod cli;
mod detect_cmd;
mod draw;

fn main() {
    std::process::exit(cli::main());
}
