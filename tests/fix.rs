//! `csplens fix` on real cfgs: classes in every head, the filters before each, the input size
//! and the schedule, with every other byte kept; the result analyses and lints clean.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use csplens::doctor::{FixOptions, LintOptions, Severity, fix, lint};
use csplens::kinds::LayerKind;
use std::process::Command;

const REAL: [&str; 4] = [
    "darknet/yolov4-tiny.cfg",
    "darknet/yolov4.cfg",
    "darknet/yolov3.cfg",
    "darknet/yolov4-csp.cfg",
];

fn comments(text: &str) -> usize {
    text.lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .count()
}

#[test]
fn real_cfgs_retargeted_to_three_and_one_classes() {
    for rel in REAL {
        let text = std::fs::read_to_string(common::corpus_dir().join(rel)).unwrap();
        for classes in [3usize, 1] {
            let fixed = fix(
                &text,
                &FixOptions {
                    classes: Some(classes),
                    ..FixOptions::default()
                },
            )
            .unwrap()
            .text;
            // only value edits: same line count, same comments, every unchanged line identical
            assert_eq!(fixed.lines().count(), text.lines().count(), "{rel}");
            assert_eq!(comments(&fixed), comments(&text), "{rel}");
            let changed: Vec<(&str, &str)> = (text.lines().zip(fixed.lines()))
                .filter(|(a, b)| a != b)
                .collect();
            for (a, b) in &changed {
                let key = |l: &str| l.split('=').next().unwrap().trim().to_string();
                assert_eq!(key(a), key(b), "{rel}: {a} → {b}");
            }
            let a = csplens::analyze(rel, fixed.as_bytes(), Default::default())
                .unwrap_or_else(|f| panic!("{}", f.render()));
            for (i, l) in a.network.layers.iter().enumerate() {
                if let LayerKind::Yolo(y) = &l.kind {
                    assert_eq!(y.classes, classes, "{rel} layer {i}");
                    // (classes + 5) · masks filters in the convolution before
                    let LayerKind::Convolutional(c) = &a.network.layers[i - 1].kind else {
                        panic!("{rel}: no conv before layer {i}");
                    };
                    assert_eq!(c.filters, (classes + 5) * y.mask.len(), "{rel} layer {i}");
                }
            }
            let r = lint(rel, &fixed, &LintOptions::default());
            assert!(!r.has_errors(), "{rel}: {:#?}", r.findings);
            // the schedule by darknet's rule: max(2000·classes, 6000) = 6000
            assert!(
                r.findings
                    .iter()
                    .all(|f| f.code != "max-batches" && f.code != "steps"),
                "{rel}: {:#?}",
                r.findings
            );
            assert!(fixed.contains("max_batches = 6000") || fixed.contains("max_batches=6000"));
        }
    }
}

#[test]
fn sizes_snap_to_the_largest_stride_and_images_raise_max_batches() {
    let text =
        std::fs::read_to_string(common::corpus_dir().join("darknet/yolov4-tiny.cfg")).unwrap();
    let o = FixOptions {
        classes: Some(4),
        width: Some(500),
        height: Some(300),
        images: Some(12_000),
    };
    let fixed = fix(&text, &o).unwrap().text;
    // multiples of 32 nearest 500 (512: 500 is 20 above 480, 12 below 512) and 300 (288)
    assert!(fixed.contains("\nwidth=512\n") && fixed.contains("\nheight=288\n"));
    // max(4·2000, 6000, 12000 images) = 12000; steps at 80% and 90%
    assert!(fixed.contains("max_batches = 12000") && fixed.contains("steps=9600,10800"));
    let r = lint("t.cfg", &fixed, &LintOptions::default());
    assert!(
        r.findings.iter().all(|f| f.severity != Severity::Error),
        "{:#?}",
        r.findings
    );
}

#[test]
fn windows_line_endings_and_missing_keys() {
    let text = "[net]\r\nwidth=416\r\nheight=416\r\nchannels=3\r\n\r\n\
                [convolutional]\r\nfilters=8\r\nsize=3\r\nstride=2\r\npad=1\r\n\r\n\
                [convolutional]\r\nfilters=255\r\nsize=1\r\nactivation=linear\r\n\r\n\
                [yolo]\r\nmask=0,1,2\r\nanchors=10,14, 23,27, 37,58\r\nnum=3\r\n";
    let fixed = fix(
        text,
        &FixOptions {
            classes: Some(2),
            ..FixOptions::default()
        },
    )
    .unwrap()
    .text;
    // every line still ends in \r\n; classes added under [yolo]; (2 + 5) · 3 = 21 filters;
    // max_batches added under [net]
    assert!(!fixed.replace("\r\n", "").contains('\n'), "{fixed:?}");
    assert!(fixed.contains("[yolo]\r\nclasses=2\r\n"), "{fixed:?}");
    assert!(fixed.contains("filters=21\r\n"));
    assert!(fixed.contains("[net]\r\nmax_batches=6000\r\n"), "{fixed:?}");
}

#[test]
fn the_command_writes_in_place_with_a_backup_or_only_shows_the_diff() {
    let dir = std::env::temp_dir().join(format!("csplens-fix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("tiny.cfg");
    let original =
        std::fs::read_to_string(common::corpus_dir().join("darknet/yolov4-tiny.cfg")).unwrap();
    std::fs::write(&cfg, &original).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_csplens"))
            .arg("fix")
            .arg(&cfg)
            .args(args)
            .output()
            .unwrap()
    };
    let dry = run(&["--classes", "3", "--dry-run"]);
    assert!(dry.status.success());
    let diff = String::from_utf8(dry.stdout).unwrap();
    assert!(diff.contains("-filters=255\n+filters=24\n"), "{diff}");
    assert_eq!(
        std::fs::read_to_string(&cfg).unwrap(),
        original,
        "dry run wrote"
    );
    let nowhere = run(&["--classes", "3"]);
    assert_eq!(nowhere.status.code(), Some(2));
    let inplace = run(&["--classes", "3", "--in-place"]);
    assert!(
        inplace.status.success(),
        "{}",
        String::from_utf8_lossy(&inplace.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("tiny.cfg.bak")).unwrap(),
        original
    );
    assert!(std::fs::read_to_string(&cfg).unwrap().contains("classes=3"));
    let _ = std::fs::remove_dir_all(&dir);
}
