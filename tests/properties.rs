//! Property tests: mutated corpus cfgs and generated cfgs never panic anywhere in
//! cfg → network → shapes → flops → report; they load or fail with a located error.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::EXTREMES;
use proptest::prelude::*;

const SEEDS: [&str; 8] = [
    "darknet/yolov4-tiny.cfg",
    "darknet/yolov3-tiny.cfg",
    "darknet/yolov4-csp.cfg",
    "cspnet/csresnext50.cfg",
    "darknet/densenet201.cfg",
    "darknet/rnn.cfg",
    "darknet/yolov4-sam-mish-csp-reorg-bfm.cfg",
    "synthetic/toy_cspdense.cfg",
];

const KEYS: [&str; 16] = [
    "filters",
    "size",
    "stride",
    "pad",
    "groups",
    "group_id",
    "layers",
    "from",
    "classes",
    "mask",
    "num",
    "stride_x",
    "dilation",
    "padding",
    "width",
    "antialiasing",
];

const SECTIONS: [&str; 16] = [
    "[convolutional]",
    "[route]",
    "[shortcut]",
    "[maxpool]",
    "[yolo]",
    "[upsample]",
    "[avgpool]",
    "[softmax]",
    "[connected]",
    "[reorg]",
    "[sam]",
    "[scale_channels]",
    "[local_avgpool]",
    "[crnn]",
    "[dropout]",
    "[net]",
];

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    SwapLines(usize, usize),
    SetNumber(usize, usize),
    InsertBytes(usize, Vec<u8>),
    Truncate(usize),
    InsertLine(usize, usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), 0..EXTREMES.len()).prop_map(|(a, b)| Mutation::SetNumber(a, b)),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(a, b)| Mutation::InsertBytes(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            0..SECTIONS.len(),
            0..KEYS.len(),
            0..EXTREMES.len()
        )
            .prop_map(|(a, s, k, v)| Mutation::InsertLine(a, s, k, v)),
    ]
}

fn apply(text: &str, muts: &[Mutation]) -> Vec<u8> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut tail: Vec<u8> = Vec::new();
    for m in muts {
        let n = lines.len().max(1);
        match m {
            Mutation::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            Mutation::SwapLines(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
            Mutation::SetNumber(i, v) if !lines.is_empty() => {
                let line = &mut lines[i % n];
                if let Some(eq) = line.find('=') {
                    line.truncate(eq + 1);
                    line.push_str(EXTREMES[*v]);
                }
            }
            Mutation::InsertBytes(i, bytes) => {
                let idx = i % n;
                if idx < lines.len() {
                    lines[idx].push_str(&String::from_utf8_lossy(bytes));
                } else {
                    tail.extend(bytes);
                }
            }
            Mutation::Truncate(i) if !lines.is_empty() => lines.truncate(i % n),
            Mutation::InsertLine(i, s, k, v) => {
                let idx = (i % n).min(lines.len());
                lines.insert(idx, format!("{}={}", KEYS[*k], EXTREMES[*v]));
                lines.insert(idx, SECTIONS[*s].to_string());
            }
            _ => {}
        }
    }
    let mut out = lines.join("\n").into_bytes();
    out.extend(tail);
    out
}

fn exercise(bytes: &[u8]) {
    match csplens::analyze("mutant.cfg", bytes, Default::default()) {
        Ok(a) => {
            for f in [
                csplens::report::Format::Table,
                csplens::report::Format::Json,
                csplens::report::Format::Csv,
            ] {
                assert!(!csplens::report::render(&a, f).is_empty());
            }
            assert_eq!(a.shapes.layers.len(), a.network.layers.len());
        }
        Err(f) => {
            let text = f.render();
            assert!(text.starts_with("mutant.cfg:"), "{text}");
        }
    }
}

fn seeds() -> Vec<String> {
    SEEDS
        .iter()
        .map(|rel| std::fs::read_to_string(common::corpus_dir().join(rel)).expect("seed cfg"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_corpus_cfgs_never_panic(seed in 0..SEEDS.len(), muts in proptest::collection::vec(mutation(), 1..6)) {
        let texts = seeds();
        exercise(&apply(&texts[seed], &muts));
    }

    #[test]
    fn generated_cfgs_never_panic(
        w in 0usize..700, h in 0usize..700, c in 0usize..5,
        body in proptest::collection::vec((0..SECTIONS.len(), proptest::collection::vec((0..KEYS.len(), -8i64..300), 0..5)), 0..24)
    ) {
        let mut text = format!("[net]\nwidth={w}\nheight={h}\nchannels={c}\n");
        for (s, kvs) in body {
            text += SECTIONS[s];
            text.push('\n');
            for (k, v) in kvs {
                text += &format!("{}={v}\n", KEYS[k]);
            }
        }
        exercise(text.as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }
}
