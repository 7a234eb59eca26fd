//! cfg text → network → shapes → costs, memory, gradient metrics, reports.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = csplens::analyze("fuzz.cfg", data, Default::default()) {
        let _ = csplens::report::render(&a, csplens::report::Format::Json);
        let _ = csplens::graph::layout(&a.network);
    }
});
