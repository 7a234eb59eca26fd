//! The doctor's `encoding`, `mask-overlap` and `anchors-unused` rules: made cases, each
//! expected finding worked out by hand from the cfg's lines, then the whole corpus.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use csplens::doctor::{Finding, FixOptions, LintOptions, Severity, apply, fix, lint, lint_bytes};
use std::process::Command;

fn tiny() -> String {
    std::fs::read_to_string(common::corpus_dir().join("darknet/yolov4-tiny.cfg")).unwrap()
}

fn with_code<'a>(f: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    f.iter().filter(|f| f.code == code).collect()
}

/// The 1-based line of the `n`th line equal to `text` (trimmed).
fn line_of(cfg: &str, text: &str, n: usize) -> usize {
    let mut hits = cfg.lines().enumerate().filter(|(_, l)| l.trim() == text);
    hits.nth(n).map(|(i, _)| i + 1).unwrap()
}

#[test]
fn a_utf8_byte_order_mark_is_an_encoding_error_that_fix_removes() {
    let tiny = tiny();
    let with_bom = format!("\u{feff}{tiny}");
    let plain = lint("t.cfg", &tiny, &LintOptions::default()).findings;
    let f = lint("t.cfg", &with_bom, &LintOptions::default()).findings;
    let enc = with_code(&f, "encoding");
    assert_eq!(enc.len(), 1, "{f:#?}");
    assert_eq!((enc[0].severity, enc[0].line), (Severity::Error, Some(1)));
    assert!(
        enc[0]
            .message
            .contains("byte-order mark (the bytes EF BB BF")
    );
    // every other check still runs, on the text after the mark
    assert_eq!(f.len(), plain.len() + 1);
    // the one-click fix gives the released file back, byte for byte
    let edits = &enc[0].fix.as_ref().expect("a fix").edits;
    assert_eq!(apply(&with_bom, edits), tiny);
    // `csplens fix` removes it too, with nothing else asked
    let fixed = fix(&with_bom, &FixOptions::default()).unwrap();
    assert_eq!(fixed.text, tiny);
    assert_eq!(fixed.changes, ["removed the UTF-8 byte-order mark"]);
    // the analysis refuses it with the same sentence instead of "comes before any section"
    let err = csplens::analyze("t.cfg", with_bom.as_bytes(), Default::default()).unwrap_err();
    assert_eq!(
        err.render().lines().next().unwrap(),
        format!("t.cfg:1:1: {}", enc[0].message)
    );
}

#[test]
fn a_utf16_file_is_named_as_such() {
    let tiny = tiny();
    let mut le = vec![0xff, 0xfe];
    le.extend(tiny.encode_utf16().flat_map(u16::to_le_bytes));
    let r = lint_bytes("t.cfg", &le, &LintOptions::default()).unwrap();
    assert_eq!(r.findings.len(), 1);
    let e = &r.findings[0];
    assert_eq!((e.code, e.severity), ("encoding", Severity::Error));
    assert!(
        e.message
            .starts_with("this cfg is UTF-16 (little-endian), with a byte-order mark:"),
        "{}",
        e.message
    );
    // without a mark, by the zero byte after each ASCII one
    let be: Vec<u8> = tiny.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let r = lint_bytes("t.cfg", &be, &LintOptions::default()).unwrap();
    assert!(
        r.findings[0]
            .message
            .starts_with("this cfg is UTF-16 (big-endian):")
    );
    // the command line: the finding, exit 1 (errors), not a refusal (2)
    let dir = std::env::temp_dir().join(format!("csplens-utf16-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("utf16.cfg");
    std::fs::write(&path, &le).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_csplens"))
        .args(["lint", path.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error[encoding]") && text.contains("UTF-16"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn yolov4_tinys_shared_anchor_is_a_mask_overlap_with_the_fix() {
    let tiny = tiny();
    let f = lint("t.cfg", &tiny, &LintOptions::default()).findings;
    let hit = with_code(&f, "mask-overlap");
    assert_eq!(hit.len(), 1, "{f:#?}");
    let m = hit[0];
    // mask = 3,4,5 in layer 30 (13×13), mask = 1,2,3 in layer 37 (26×26): anchor 3 is
    // 81,82; the finding is at the second mask line
    assert_eq!(m.severity, Severity::Warning);
    assert_eq!(
        (m.layer, m.line),
        (Some(37), Some(line_of(&tiny, "mask = 1,2,3", 0)))
    );
    assert!(
        m.message
            .starts_with("anchor 3 (81×82) is in the masks of layers 30 and 37:"),
        "{}",
        m.message
    );
    // anchors by area: 140, 621, 2146, 6642, 22815, 109736 (already in order); the finer head
    // (stride 16, layer 37) takes 0,1,2, the coarser (stride 32, layer 30) keeps 3,4,5
    let fix = m.fix.as_ref().expect("a fix");
    assert_eq!(fix.edits.len(), 1);
    assert_eq!(fix.edits[0].new.trim(), "mask = 0,1,2");
    let fixed = apply(&tiny, &fix.edits);
    let after = lint("t.cfg", &fixed, &LintOptions::default()).findings;
    assert!(with_code(&after, "mask-overlap").is_empty(), "{after:#?}");
    // the fix uses every anchor: anchors-unused goes with it, and filters stay right
    assert!(with_code(&after, "anchors-unused").is_empty());
    assert!(after.iter().all(|f| f.severity != Severity::Error));
}

#[test]
fn overlapping_masks_that_cannot_hold_every_anchor_once_get_no_fix() {
    // a seventh anchor: the masks' 6 entries cannot give each of 7 anchors one head
    let cfg = tiny()
        .replace("num=6", "num=7")
        .replace("344,319", "344,319, 400,400");
    let f = lint("t.cfg", &cfg, &LintOptions::default()).findings;
    let hit = with_code(&f, "mask-overlap");
    assert_eq!(hit.len(), 1, "{f:#?}");
    assert!(hit[0].fix.is_none());
    // anchors 0 and 6 are now in no mask
    let unused = with_code(&f, "anchors-unused");
    assert_eq!(unused.len(), 1);
    assert!(
        unused[0]
            .message
            .starts_with("anchor 0 (10×14), anchor 6 (400×400) are in no head's mask"),
        "{}",
        unused[0].message
    );
}

#[test]
fn yolov4_tinys_anchor_0_is_unused() {
    let tiny = tiny();
    let f = lint("t.cfg", &tiny, &LintOptions::default()).findings;
    let hit = with_code(&f, "anchors-unused");
    assert_eq!(hit.len(), 1, "{f:#?}");
    // masks 3,4,5 and 1,2,3 of num=6: index 0 (10,14) in neither; at the first head's
    // anchors line
    assert_eq!(hit[0].severity, Severity::Note);
    let anchors = "anchors = 10,14,  23,27,  37,58,  81,82,  135,169,  344,319";
    assert_eq!(
        (hit[0].layer, hit[0].line),
        (Some(30), Some(line_of(&tiny, anchors, 0)))
    );
    assert!(
        hit[0]
            .message
            .starts_with("anchor 0 (10×14) is in no head's mask")
    );
    // a [region] head reads all of its anchors: never reported
    let v2 = std::fs::read_to_string(common::corpus_dir().join("darknet/yolov2.cfg")).unwrap();
    let f = lint("t.cfg", &v2, &LintOptions::default()).findings;
    assert!(with_code(&f, "anchors-unused").is_empty() && with_code(&f, "mask-overlap").is_empty());
}

/// The corpus's cfgs with an anchor in two masks or in none, read off their `mask=` and `num=`
/// lines by hand.
const EXPECTED: [(&str, &str); 7] = [
    // masks 0,1 / 1,2,3 / 4,5,6,7 / 8,9,10,11 / 12,13,14,15 of num=16: anchor 1 twice, 17
    // entries for 16 anchors (no fix)
    ("darknet/cspx-p7-mish_hp.cfg", "mask-overlap"),
    // the tiny models' 3,4,5 / 1,2,3 of num=6
    ("darknet/enet-coco.cfg", "anchors-unused"),
    ("darknet/enet-coco.cfg", "mask-overlap"),
    ("darknet/yolov3-tiny-prn.cfg", "anchors-unused"),
    ("darknet/yolov3-tiny-prn.cfg", "mask-overlap"),
    ("darknet/yolov4-tiny.cfg", "anchors-unused"),
    ("darknet/yolov4-tiny.cfg", "mask-overlap"),
];

#[test]
fn the_corpus_findings_of_the_three_rules() {
    let root = common::corpus_dir();
    let mut found = Vec::new();
    for path in common::cfgs_under(&root) {
        let rel = path.strip_prefix(&root).unwrap().display().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let Ok(r) = lint_bytes(&rel, &bytes, &LintOptions::default()) else {
            continue;
        };
        for f in &r.findings {
            if ["encoding", "mask-overlap", "anchors-unused"].contains(&f.code) {
                found.push((rel.clone(), f.code));
            }
        }
    }
    found.sort();
    let expected: Vec<(String, &str)> = EXPECTED.iter().map(|(p, c)| (p.to_string(), *c)).collect();
    assert_eq!(found, expected);
}
