//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// The cfg corpus: `$CSPLENS_CFG_DIR`, else `../shared/cfg` beside the repository.
pub fn corpus_dir() -> PathBuf {
    match std::env::var_os("CSPLENS_CFG_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/cfg"),
    }
}

/// The darknet reference tables: `$CSPLENS_REFS_DIR`, else `../shared/refs`.
pub fn refs_dir() -> PathBuf {
    match std::env::var_os("CSPLENS_REFS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/refs"),
    }
}

/// Every `.cfg` under `dir`, sorted.
pub fn cfgs_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot read {}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "cfg") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Values the property and mutation tests write into cfg keys: zero, signs, the edges of
/// 32-bit and of the parser's bound (2²⁴), overflowing integers and floats, NaN, empty and
/// malformed lists, a trailing comment.
pub const EXTREMES: [&str; 18] = [
    "0",
    "-1",
    "-2",
    "1",
    "3.7",
    "-99999",
    "2147483647",
    "-2147483648",
    "16777216",
    "4294967296",
    "99999999999999999999",
    "1e30",
    "1e308",
    "-0",
    "nan",
    "",
    ",,",
    "3#x",
];

/// The corpus cfgs for which no darknet rule gives a shape: a route joins 13×13 and 14×14.
pub const UNSHAPEABLE: [&str; 2] = [
    "cspnet/inprogress__csresnet50-elastic-panet-spp.cfg",
    "cspnet/inprogress__csresnext50-elastic-panet-spp.cfg",
];

/// How many corpus cfgs analyse: every `.cfg` under the corpus but the [`UNSHAPEABLE`] ones
/// (counted from the corpus, so a corpus that grows needs no edit here).
pub fn shapeable_count() -> usize {
    let all = cfgs_under(&corpus_dir());
    assert!(
        all.len() > UNSHAPEABLE.len(),
        "no corpus at {}",
        corpus_dir().display()
    );
    all.len() - UNSHAPEABLE.len()
}

/// Analyzes a corpus cfg by its path relative to the corpus.
pub fn analyze_corpus(rel: &str) -> csplens::Analysis {
    let path = corpus_dir().join(rel);
    let bytes =
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    csplens::analyze(rel, &bytes, Default::default()).unwrap_or_else(|f| panic!("{}", f.render()))
}
/// Input side of the corpus runs: large enough for nearly every corpus cfg (those it is too
/// small for are left out), small enough that the layers cost little.
pub const RUN_SIDE: usize = 64;

/// Weight floats up to which a corpus cfg is run through a backend in tests: a debug build
/// spends about 0.1 µs per weight reading, folding and transforming them, so the corpus'
/// large networks (up to 159 M weights, the same layer kinds as the small ones) would take
/// minutes.
pub const RUN_MAX_WEIGHTS: u64 = 12_000_000;

/// The corpus cfgs that shape at [`RUN_SIDE`] × [`RUN_SIDE`] and have at most
/// [`RUN_MAX_WEIGHTS`] weights, plus those named in `always` whatever their size: (path
/// relative to the corpus, text), sorted.
pub fn runnable_corpus(always: &[&str]) -> Vec<(String, String)> {
    let dir = corpus_dir();
    let over = run_size();
    cfgs_under(&dir)
        .into_iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(&dir)
                .expect("under corpus")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).expect("read cfg");
            let a = csplens::analyze(&rel, text.as_bytes(), over).ok()?;
            (a.profile.weight_floats <= RUN_MAX_WEIGHTS || always.contains(&rel.as_str()))
                .then_some((rel, text))
        })
        .collect()
}

/// The input size override of the corpus runs.
pub fn run_size() -> csplens::shape::InputOverride {
    csplens::shape::InputOverride {
        width: Some(RUN_SIDE),
        height: Some(RUN_SIDE),
    }
}

pub mod models;
pub mod random;

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `w × h` pixels, followed by a tiny (wrong) data chunk.
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], body: &[u8]| {
        out.extend((body.len() as u32).to_be_bytes());
        let mut c = kind.to_vec();
        c.extend(body);
        out.extend(&c);
        out.extend(crc32(&c).to_be_bytes());
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}
