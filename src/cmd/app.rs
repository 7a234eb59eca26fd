//! `csplens [FILES…]` without a subcommand: the desktop app.

use csplens::args::EXIT_BAD_INPUT;
use std::path::PathBuf;

/// Opens the desktop app with `files`; returns the exit code.
#[cfg(feature = "gui")]
pub fn run(files: Vec<PathBuf>) -> i32 {
    if let Some(missing) = files.iter().find(|f| !f.exists()) {
        eprintln!("error: {} does not exist", missing.display());
        return EXIT_BAD_INPUT;
    }
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
pub fn run(_files: Vec<PathBuf>) -> i32 {
    eprintln!("this build has no app (feature `gui`); run `csplens --help` for the commands");
    EXIT_BAD_INPUT
}
