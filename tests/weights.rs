//! The real `.weights` files load with the sizes the profiler predicts; truncated, empty,
//! oversized and mismatched files get their messages, never a panic.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::models;
use csplens::weights::{self, WeightsError};

fn bytes(model: &str) -> Vec<u8> {
    std::fs::read(models::file(model, "weights")).expect("read weights")
}

#[test]
fn real_files_load_and_match_the_expected_size() {
    for (model, header, seen) in [
        ("yolov4-tiny", (0, 2, 5), 0u64),
        ("yolov3-tiny", (0, 2, 0), 32_013_312),
    ] {
        let a = models::analysis(model);
        let path = models::file(model, "weights");
        let w = weights::read(&path, &a.network, &a.shapes).expect("load");
        assert_eq!((w.header.major, w.header.minor, w.header.revision), header);
        assert_eq!(w.header.seen, seen);
        assert!(w.warnings.is_empty(), "{:?}", w.warnings);
        let size = std::fs::metadata(&path).unwrap().len();
        assert_eq!(a.profile.weights_file_bytes, size, "{model}");
        assert_eq!(w.data.len() as u64, a.profile.weight_floats);
        let in_memory = weights::parse(&bytes(model), &a.network, &a.shapes).expect("parse");
        assert_eq!(in_memory.data, w.data);
        // layer 0 of both is a batch-normalised 3×3 conv with 16 or 32 filters
        let l0 = &w.layers[0];
        assert!(l0.bn.is_some() && l0.weights.len() == l0.biases.len() * 27);
    }
}

#[test]
fn truncated_file_names_layer_line_and_offset() {
    let a = models::analysis("yolov4-tiny");
    let cut = &bytes("yolov4-tiny")[..1_000_000];
    let err = weights::parse(cut, &a.network, &a.shapes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layer 12 (convolutional, line 101) needs 37,120 floats, file ends after 22,187 — offset 911,252"
    );
}

#[test]
fn empty_and_headerless_files() {
    let a = models::analysis("yolov4-tiny");
    assert_eq!(
        weights::parse(&[], &a.network, &a.shapes).unwrap_err(),
        WeightsError::Empty
    );
    let err = weights::parse(&[0u8; 10], &a.network, &a.shapes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the .weights file is 10 bytes, shorter than darknet's 16- or 20-byte header"
    );
}

#[test]
fn trailing_bytes_warn_and_far_too_many_are_another_network() {
    let a = models::analysis("yolov4-tiny");
    let mut b = bytes("yolov4-tiny");
    b.extend([0u8; 100]);
    let w = weights::parse(&b, &a.network, &a.shapes).expect("loads with a warning");
    assert_eq!(
        w.warnings,
        vec![
            "100 bytes after the last layer's weights are ignored (darknet ignores them too)"
                .to_string()
        ]
    );
    b.extend(vec![0u8; 4 << 20]);
    assert!(matches!(
        weights::parse(&b, &a.network, &a.shapes),
        Err(WeightsError::WrongNetwork { .. })
    ));
}

#[test]
fn mismatched_network_and_file() {
    let v4 = models::analysis("yolov4-tiny");
    let v3 = models::analysis("yolov3-tiny");
    let err = weights::parse(&bytes("yolov3-tiny"), &v4.network, &v4.shapes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the .weights file holds 8,858,734 floats but this network reads 6,062,814: it was written for another network"
    );
    let err = weights::parse(&bytes("yolov4-tiny"), &v3.network, &v3.shapes).unwrap_err();
    assert!(matches!(err, WeightsError::Truncated { .. }), "{err}");
    assert!(err.to_string().starts_with("layer "), "{err}");
}

#[test]
fn every_prefix_length_is_handled_without_panic() {
    let a = models::analysis("yolov3-tiny");
    let b = bytes("yolov3-tiny");
    for len in (0..64).chain((64..b.len()).step_by(b.len() / 29)) {
        let r = std::panic::catch_unwind(|| weights::parse(&b[..len], &a.network, &a.shapes));
        assert!(r.is_ok(), "panic at length {len}");
    }
}
