//! The `csplens` command line (its subcommands are in `cmd/`).

#![warn(clippy::wildcard_enum_match_arm)]

mod cmd;

fn main() {
    std::process::exit(cmd::main());
}
