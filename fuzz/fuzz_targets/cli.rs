//! The command line: arbitrary arguments (paths and numbers) → clap's parse → the resource caps
//! they set → for `profile`/`compare`, the width/height override applied to a fixed small cfg
//! under those caps. No file is read or written.
#![no_main]

use clap::Parser;
use csplens::args::{Cli, Command};
use csplens::limits::Limits;
use csplens::shape::InputOverride;
use libfuzzer_sys::fuzz_target;

const CFG: &str = "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\n[route]\nlayers=-1\ngroups=2\ngroup_id=1\n[maxpool]\nsize=2\nstride=2\n";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let args = std::iter::once("csplens").chain(text.split('\0'));
    let Ok(cli) = Cli::try_parse_from(args) else {
        return;
    };
    let caps: Limits = cli.limits.into();
    let over = match cli.command {
        Some(Command::Profile { view, .. } | Command::Compare { view, .. }) => view.input(),
        _ => InputOverride::default(),
    };
    let _ = csplens::analyze_with("fuzz.cfg", CFG.as_bytes(), over, &caps);
});
