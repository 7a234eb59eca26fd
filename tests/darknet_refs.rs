//! Every layer of darknet's own reference tables: output shape, BFLOPs, params, weight floats,
//! the printed line, and the totals.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use csplens::report::{darknet_line, from_shapes};
use serde_json::Value;

fn check(ref_file: &std::path::Path) -> usize {
    let r: Value =
        serde_json::from_slice(&std::fs::read(ref_file).expect("read ref")).expect("ref json");
    let repo = if r["repo"].as_str().unwrap_or("").contains("CrossStage") {
        "cspnet"
    } else {
        "darknet"
    };
    let name = r["cfg_path"]
        .as_str()
        .expect("cfg_path")
        .rsplit('/')
        .next()
        .expect("name");
    let a = common::analyze_corpus(&format!("{repo}/{name}"));
    let layers = r["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), a.network.layers.len(), "{name}: layer count");
    for (l, want) in layers.iter().enumerate() {
        let s = &a.shapes.layers[l];
        let c = &a.profile.layers[l];
        let out: Vec<usize> = serde_json::from_value(want["out"].clone()).expect("out");
        assert_eq!(
            vec![s.output.w, s.output.h, s.output.c],
            out,
            "{name} layer {l} output"
        );
        let bf = want["bflops"].as_f64().expect("bflops");
        assert!(
            (c.bflops as f64 - bf).abs() <= 1e-5 * bf.abs(),
            "{name} layer {l} bflops {} vs {bf}",
            c.bflops
        );
        assert_eq!(
            c.params,
            want["params"].as_u64().expect("params"),
            "{name} layer {l} params"
        );
        assert_eq!(
            c.weight_floats,
            want["weight_floats"].as_u64().expect("wf"),
            "{name} layer {l} weight_floats"
        );
        if want["type"] != "YOLO" {
            let others = from_shapes(&a, &a.network.layers[l]);
            let printed = darknet_line(&a.network.layers[l], s, c, &others).replace('\n', " | ");
            assert_eq!(
                printed.trim_end(),
                want["printed"].as_str().expect("printed").trim_end(),
                "{name} layer {l} printed line"
            );
        }
    }
    let p = &a.profile;
    let total = r["total_bflops"].as_f64().expect("total");
    assert!(
        (p.total_bflops as f64 - total).abs() <= 1e-5 * total,
        "{name} total {} vs {total}",
        p.total_bflops
    );
    assert_eq!(
        format!("{:.3}", p.total_bflops as f64),
        format!(
            "{:.3}",
            r["total_bflops_printed"].as_f64().expect("printed total")
        )
    );
    assert_eq!(
        p.params,
        r["total_params"].as_u64().expect("params"),
        "{name} params"
    );
    assert_eq!(
        p.weight_floats,
        r["weight_floats_total"].as_u64().expect("wf"),
        "{name} weight floats"
    );
    assert_eq!(
        p.weights_file_bytes,
        r["weights_file_bytes_expected"].as_u64().expect("bytes"),
        "{name} .weights bytes"
    );
    layers.len()
}

#[test]
fn all_reference_tables_match_layer_by_layer() {
    let dir = common::refs_dir().join("darknet-layers");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("refs dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 7,
        "expected the 7 reference tables in {}",
        dir.display()
    );
    let total: usize = files.iter().map(|f| check(f)).sum();
    assert!(total > 800, "only {total} layers compared");
}
