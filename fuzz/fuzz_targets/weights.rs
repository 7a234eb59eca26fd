//! `.weights` bytes against a fixed small network with every weighted kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const CFG: &str = "[net]\nwidth=8\nheight=8\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\npad=1\nbatch_normalize=1\n\n\
[shortcut]\nfrom=-1\nweights_type=per_channel\n\n[batchnorm]\n\n[connected]\noutput=5\nbatch_normalize=1\n";

fn analysis() -> &'static csplens::Analysis {
    static A: OnceLock<csplens::Analysis> = OnceLock::new();
    A.get_or_init(|| {
        csplens::analyze("net.cfg", CFG.as_bytes(), Default::default()).expect("fixed cfg")
    })
}

fuzz_target!(|data: &[u8]| {
    let a = analysis();
    if let Ok(w) = csplens::weights::parse(data, &a.network, &a.shapes) {
        let _ = csplens::weights::fused_conv(&w, 0);
        let _ = csplens::weights::fused_connected(&w, 3, a.shapes.layers[3].inputs);
    }
});
