//! The cfg doctor's checks on yolov4-tiny (the corpus's darknet cfg) with one mistake put in
//! at a time, each expected finding worked out by hand from darknet's rule in the test.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use csplens::doctor::{Finding, LintOptions, Severity, lint, lint_json};
use csplens::weights::Header;

fn tiny() -> String {
    std::fs::read_to_string(common::corpus_dir().join("darknet/yolov4-tiny.cfg")).unwrap()
}

fn findings(text: &str, opts: &LintOptions) -> Vec<Finding> {
    lint("t.cfg", text, opts).findings
}

fn with_code<'a>(f: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    f.iter().filter(|f| f.code == code).collect()
}

/// The 1-based line of the `n`th line equal to `text` (trimmed).
fn line_of(cfg: &str, text: &str, n: usize) -> usize {
    cfg.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == text)
        .nth(n)
        .map(|(i, _)| i + 1)
        .unwrap()
}

#[test]
fn yolov4_tiny_as_released_has_no_error() {
    let f = findings(&tiny(), &LintOptions::default());
    assert!(f.iter().all(|f| f.severity != Severity::Error), "{f:#?}");
    // 80 classes: max_batches 2000200 ≥ 80·2000; steps 1600000,1800000 are within 2% of
    // 80% and 90% of 2000200 (1600160, 1800180)
    assert!(with_code(&f, "max-batches").is_empty() && with_code(&f, "steps").is_empty());
}

#[test]
fn yolo_filters_for_three_classes() {
    let cfg = tiny().replace("classes=80", "classes=3");
    let f = findings(&cfg, &LintOptions::default());
    let yf = with_code(&f, "yolo-filters");
    // (3 classes + 5) × 3 masks = 24, at each head's convolution (layers 29 and 36)
    assert_eq!(yf.len(), 2, "{f:#?}");
    assert_eq!(yf[0].layer, Some(29));
    assert_eq!(yf[1].layer, Some(36));
    for (k, y) in yf.iter().enumerate() {
        assert_eq!(y.severity, Severity::Error);
        assert_eq!(y.line, Some(line_of(&cfg, "filters=255", k)));
        assert!(y.message.contains("= 24"), "{}", y.message);
        let e = &y.fix.as_ref().unwrap().edits[0];
        assert_eq!(
            (e.old.as_str(), e.new.as_str()),
            ("filters=255", "filters=24")
        );
    }
}

#[test]
fn heads_that_disagree_masks_and_anchors() {
    let cfg = tiny()
        .replacen("classes=80", "classes=3", 1)
        .replacen("mask = 1,2,3", "mask = 1,2,7", 1)
        .replacen(
            "anchors = 10,14,  23,27,  37,58,  81,82,  135,169,  344,319",
            "anchors = 10,14,  23,27,  37,58,  81,82,  135,169",
            1,
        );
    let f = findings(&cfg, &LintOptions::default());
    let cd = with_code(&f, "classes-differ");
    assert_eq!(cd.len(), 1, "{f:#?}");
    assert_eq!(cd[0].layer, Some(37));
    // the fix makes the second head 3 classes and its convolution (3 + 5) × 3 = 24 filters
    let edits = &cd[0].fix.as_ref().unwrap().edits;
    assert_eq!(edits[0].new, "classes=3");
    assert_eq!(edits[1].new, "filters=24");
    let mr = with_code(&f, "mask-range");
    assert_eq!(mr.len(), 1);
    assert!(mr[0].message.contains("mask entry 7") && mr[0].message.contains("num=6"));
    let ac = with_code(&f, "anchors-count");
    assert_eq!(ac.len(), 1);
    // 10 values listed, num=6 needs 12
    assert!(ac[0].message.contains("lists 10 values") && ac[0].message.contains("needs 12"));
    assert_eq!(
        ac[0].line,
        Some(line_of(
            &cfg,
            "anchors = 10,14,  23,27,  37,58,  81,82,  135,169",
            0
        ))
    );
}

#[test]
fn names_count_sets_classes_and_filters_everywhere() {
    let opts = LintOptions {
        names: Some(vec!["cat".into(), "dog".into()]),
        ..LintOptions::default()
    };
    let f = findings(&tiny(), &opts);
    let nc = with_code(&f, "names-count");
    assert_eq!(nc.len(), 1, "{f:#?}");
    assert!(nc[0].message.contains("2 lines but classes=80"));
    // per head: classes=2 and filters (2 + 5) × 3 = 21
    let news: Vec<&str> = (nc[0].fix.as_ref().unwrap().edits.iter())
        .map(|e| e.new.as_str())
        .collect();
    assert_eq!(news, ["classes=2", "filters=21", "classes=2", "filters=21"]);
}

#[test]
fn input_stride_names_the_sizes_and_is_the_routes_cause() {
    let cfg = tiny().replace("width=416", "width=420");
    let f = findings(&cfg, &LintOptions::default());
    let is = with_code(&f, "input-stride");
    assert_eq!(is.len(), 1, "{f:#?}");
    // yolov4-tiny's largest stride is 32 (five stride-2 steps): 420 = 13·32 + 4
    assert!(
        is[0].message.contains("not a multiple of 32"),
        "{}",
        is[0].message
    );
    assert!(is[0].message.contains("416 or 448"), "{}", is[0].message);
    assert_eq!(is[0].fix.as_ref().unwrap().edits[0].new, "width=416");
    // the size breaks a route further on: its own error names the cause
    let shape = with_code(&f, "shape");
    assert_eq!(shape.len(), 1, "{f:#?}");
    assert!(
        shape[0]
            .message
            .contains("the cause: width=420 is not a multiple of 32"),
        "{}",
        shape[0].message
    );
}

#[test]
fn misspelt_keys_are_unused_with_the_nearest_real_one() {
    let cfg = tiny()
        .replacen("batch_normalize=1", "batch_normalise=1", 1)
        .replacen("width=416", "width=416\nmomentun=0.9", 1);
    let f = findings(&cfg, &LintOptions::default());
    let uk = with_code(&f, "unused-key");
    assert_eq!(uk.len(), 2, "{f:#?}");
    assert!(
        uk[0].message.contains("did you mean momentum?"),
        "{}",
        uk[0].message
    );
    // darknet lists a layer's unread keys ("Unused field") but not [net]'s
    assert!(
        uk[0].message.contains("darknet says nothing"),
        "{}",
        uk[0].message
    );
    assert!(
        uk[1]
            .message
            .contains("\"Unused field: 'batch_normalise = 1'\""),
        "{}",
        uk[1].message
    );
    assert!(
        uk[1].message.contains("did you mean batch_normalize?"),
        "{}",
        uk[1].message
    );
    assert_eq!(uk[1].layer, Some(0));
    let e = &uk[1].fix.as_ref().unwrap().edits[0];
    assert_eq!(
        (e.old.as_str(), e.new.as_str()),
        ("batch_normalise=1", "batch_normalize=1")
    );
    // a key far from every real one gets no suggestion and no fix
    let f = findings(
        &tiny().replacen("width=416", "width=416\nzzz=1", 1),
        &LintOptions::default(),
    );
    let uk = with_code(&f, "unused-key");
    assert_eq!(uk.len(), 1);
    assert!(uk[0].fix.is_none() && !uk[0].message.contains("did you mean"));
}

#[test]
fn training_schedule_by_darknets_readme() {
    let cfg = tiny().replace("max_batches = 2000200", "max_batches = 4000");
    let f = findings(&cfg, &LintOptions::default());
    let mb = with_code(&f, "max-batches");
    // 80 classes × 2000 = 160000 (> 6000)
    assert_eq!(mb.len(), 1, "{f:#?}");
    assert_eq!(
        mb[0].fix.as_ref().unwrap().edits[0].new,
        "max_batches = 160000"
    );
    let st = with_code(&f, "steps");
    // 80% and 90% of 4000
    assert_eq!(st[0].fix.as_ref().unwrap().edits[0].new, "steps=3200,3600");
}

#[test]
fn weights_that_have_seen_max_batches_stop_training_at_once() {
    let header = |seen| Header {
        major: 0,
        minor: 2,
        revision: 5,
        seen,
        transposed: false,
        bytes: 20,
    };
    // batch=64, max_batches=2000200: training stops at once from 64·2000200 = 128012800 seen
    let cfg = tiny();
    let at = |seen| {
        let opts = LintOptions {
            weights: Some(header(seen)),
            ..LintOptions::default()
        };
        findings(&cfg, &opts)
            .into_iter()
            .find(|f| f.code == "weights-seen")
            .unwrap()
    };
    let done = at(128_012_800);
    assert_eq!(done.severity, Severity::Error);
    assert!(done.message.contains("-clear"), "{}", done.message);
    let resume = at(128_012_799);
    assert_eq!(resume.severity, Severity::Note);
    assert!(
        resume.message.contains("header 0.2.5"),
        "{}",
        resume.message
    );
    // iteration 128012799 / 64 = 2000199
    assert!(
        resume.message.contains("iteration 2000199 of 2000200"),
        "{}",
        resume.message
    );
}

#[test]
fn json_has_the_documented_shape_and_a_broken_cfg_still_gets_findings() {
    let cfg = tiny().replace("classes=80", "classes=3").replacen(
        "[route]\nlayers=-1\ngroups=2",
        "[route]\nlayers=-1\ngroups=0",
        1,
    );
    let r = lint("t.cfg", &cfg, &LintOptions::default());
    let v = lint_json(&r);
    let keys = |o: &serde_json::Value| {
        let mut k: Vec<String> = o.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&v), ["cfg", "findings"]);
    for f in v["findings"].as_array().unwrap() {
        assert_eq!(
            keys(f),
            ["code", "fix", "layer", "line", "message", "severity"]
        );
        assert!(["error", "warning", "note"].contains(&f["severity"].as_str().unwrap()));
        if !f["fix"].is_null() {
            for e in f["fix"]["edits"].as_array().unwrap() {
                assert_eq!(keys(e), ["line", "new", "old"]);
            }
        }
    }
    // the network does not build (groups=0), yet the heads are checked
    let codes: Vec<&str> = r.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&"build"), "{codes:?}");
    assert!(codes.contains(&"yolo-filters"), "{codes:?}");
}

#[test]
fn the_corpus_lints_without_panicking() {
    for path in common::cfgs_under(&common::corpus_dir()) {
        let text = std::fs::read_to_string(&path).unwrap();
        let r = lint(&path.display().to_string(), &text, &LintOptions::default());
        for f in &r.findings {
            assert!(f.line.is_some(), "{}: {f:?}", path.display());
        }
    }
}

#[test]
fn real_cfgs_lint_clean_of_errors() {
    for rel in [
        "darknet/yolov4.cfg",
        "darknet/yolov4-tiny.cfg",
        "darknet/yolov3.cfg",
        "cspnet/csdarknet53.cfg",
        "darknet/yolov4-csp.cfg",
    ] {
        let text = std::fs::read_to_string(common::corpus_dir().join(rel)).unwrap();
        let r = lint(rel, &text, &LintOptions::default());
        assert!(!r.has_errors(), "{rel}: {:#?}", r.findings);
    }
}

#[test]
fn training_memory_at_the_largest_random_size_and_the_subdivisions_that_fit() {
    // yolov4.cfg: width=height=608, random=1 on its last head: darknet first allocates at
    // roundl(1.4·608/32 + 1)·32 = roundl(27.6)·32 = 28·32 = 896
    let text = std::fs::read_to_string(common::corpus_dir().join("darknet/yolov4.cfg")).unwrap();
    let at = |gib: Option<f64>| {
        let opts = LintOptions {
            gpu_memory_gib: gib,
            ..LintOptions::default()
        };
        findings(&text, &opts)
            .into_iter()
            .find(|f| f.code == "training-memory")
            .unwrap()
    };
    let note = at(None);
    assert_eq!(note.severity, Severity::Note);
    assert!(
        note.message.contains("training at 896×896"),
        "{}",
        note.message
    );
    // the analysis at 896² gives the per-image and fixed parts the message states
    let a = csplens::analyze(
        "yolov4.cfg",
        text.as_bytes(),
        csplens::shape::InputOverride {
            width: Some(896),
            height: Some(896),
        },
    )
    .unwrap();
    let per_image = 2.0 * a.memory.naive_activation_bytes as f64;
    let fixed = 12.0 * a.profile.params as f64 + a.memory.max_workspace_bytes as f64;
    let need = |mini: f64| (fixed + per_image * mini) / (1u64 << 30) as f64;
    // batch=64, subdivisions=8: a mini-batch of 8, in the one byte format of csplens
    let written = csplens::units::bytes((fixed + per_image * 8.0) as u64);
    assert!(written.ends_with(" GiB"), "{written}");
    assert!(
        note.message
            .contains(&format!("needs about {written} for a mini-batch of 8")),
        "{}",
        note.message
    );
    // with a GPU of exactly what a mini-batch of 4 needs: subdivisions 16 (64/16 = 4) fits
    let gib = need(4.0) + 1e-6;
    let warn = at(Some(gib));
    assert_eq!(warn.severity, Severity::Warning);
    assert!(warn.message.contains("subdivisions=16"), "{}", warn.message);
    assert_eq!(warn.fix.as_ref().unwrap().edits[0].new, "subdivisions=16");
}

#[test]
fn partial_cut_is_the_first_class_dependent_layer() {
    // yolov4-tiny: layer 29 (filters=255, before the [yolo] at 30) is the first whose weights
    // depend on classes: darknet's README uses yolov4-tiny.conv.29
    let f = findings(&tiny(), &LintOptions::default());
    let pc = with_code(&f, "partial-cut");
    assert_eq!(pc.len(), 1);
    assert_eq!(pc[0].layer, Some(29));
    assert!(
        pc[0].message.contains("OUT.conv.29 29"),
        "{}",
        pc[0].message
    );
}

#[test]
fn every_key_of_the_corpus_is_read_by_its_kind_or_reported() {
    for path in common::cfgs_under(&common::corpus_dir()) {
        let text = std::fs::read_to_string(&path).unwrap();
        let cfg = csplens::cfg::parse(&text).unwrap();
        let r = lint("c.cfg", &text, &LintOptions::default());
        let reported: Vec<usize> = (r.findings.iter())
            .filter(|f| f.code == "unused-key")
            .filter_map(|f| f.line)
            .collect();
        let mut kinds: Vec<&'static str> = Vec::new();
        for (i, s) in cfg.sections.iter().skip(1).enumerate() {
            let Some(keys) = csplens::network::section_keys(s, i, &kinds) else {
                kinds.push("");
                continue;
            };
            kinds.push(csplens::kinds::LayerKind::canonical(&s.name).unwrap());
            for e in s.entries.iter().filter(|e| !e.shadowed) {
                assert!(
                    keys.asked.contains(&e.key) || reported.contains(&e.key_span.line),
                    "{}: `{}` at line {} is neither read by [{}] nor reported",
                    path.display(),
                    e.key,
                    e.key_span.line,
                    s.name
                );
            }
        }
    }
}

/// One broken variant of yolov4-tiny per code: (code, the edit, the line the finding names).
/// Lines are those of the corpus file (each edit keeps the line count).
#[test]
fn golden_broken_variants_one_per_code() {
    let cases: [(&str, &str, &str, usize); 11] = [
        ("yolo-filters", "classes=80", "classes=2", 221),
        ("mask-range", "mask = 3,4,5", "mask = 3,4,6", 227),
        ("anchors-count", "344,319", "344", 228),
        ("input-stride", "width=416", "width=400", 8),
        ("unused-key", "\nsubdivisions=1\n", "\nsubdivision=1\n", 7),
        (
            "max-batches",
            "max_batches = 2000200",
            "max_batches = 100",
            21,
        ),
        ("steps", "steps=1600000,1800000", "steps=1000,2000", 23),
        ("syntax", "[net]", "[net", 1),
        // the testing batch uncommented: the training batch=64 (line 6) is the repeat
        ("duplicate-key", "#batch=1", "batch=1", 6),
        ("fork-compat", "#subdivisions=1", "max_crop=448", 4),
        // the last route joins 26×26 and layer 15's 52×52: its layers key
        ("shape", "layers = -1, 23", "layers = -1, 15", 260),
    ];
    let tiny = tiny();
    for (code, from, to, line) in cases {
        let cfg = tiny.replacen(from, to, 1);
        let f = findings(&cfg, &LintOptions::default());
        let hit: Vec<&Finding> = f.iter().filter(|f| f.code == code).collect();
        assert!(!hit.is_empty(), "{code}: {f:#?}");
        assert_eq!(hit[0].line, Some(line), "{code}: {:#?}", hit[0]);
    }
    // classes-differ: the second head's classes line
    let second = line_of(&tiny, "classes=80", 1);
    let cfg: String = (tiny.lines().enumerate())
        .map(|(i, l)| if i + 1 == second { "classes=3" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    let f = findings(&cfg, &LintOptions::default());
    assert_eq!(with_code(&f, "classes-differ")[0].line, Some(second));
    // weights-seen and training-memory at max_batches (21) and subdivisions (7); partial-cut
    // at the filters of layer 29 (221)
    let opts = LintOptions {
        weights: Some(Header {
            major: 0,
            minor: 2,
            revision: 5,
            seen: 1 << 40,
            transposed: false,
            bytes: 20,
        }),
        ..LintOptions::default()
    };
    let f = findings(&tiny, &opts);
    assert_eq!(with_code(&f, "weights-seen")[0].line, Some(21));
    assert_eq!(with_code(&f, "training-memory")[0].line, Some(7));
    assert_eq!(with_code(&f, "partial-cut")[0].line, Some(221));
}

#[test]
fn keys_only_newer_forks_read_are_notes() {
    // hsv_h and warmup_iterations: read by the YOLOv9 port of Darknet V3 (Denizzje/darknet,
    // parse_net_section), not by AlexeyAB's parse_net_options
    let cfg = tiny().replacen(
        "width=416",
        "width=416\nhsv_h=0.015\nwarmup_iterations=1000",
        1,
    );
    let f = findings(&cfg, &LintOptions::default());
    let uk = with_code(&f, "unused-key");
    assert_eq!(uk.len(), 2, "{f:#?}");
    for (u, line) in uk.iter().zip(["hsv_h=0.015", "warmup_iterations=1000"]) {
        assert_eq!(u.severity, Severity::Note, "{u:#?}");
        assert_eq!(u.line, Some(line_of(&cfg, line, 0)));
        assert!(u.message.contains("Denizzje/darknet"), "{}", u.message);
        assert!(u.fix.is_none());
    }
    assert!(f.iter().all(|f| f.severity != Severity::Error));
    // a key no parser reads stays a warning, and says Darknet V3 stops on it
    let cfg = tiny().replacen("width=416", "width=416\nhsv_hh=0.015", 1);
    let uk = with_code(&findings(&cfg, &LintOptions::default()), "unused-key")[0].clone();
    assert_eq!(uk.severity, Severity::Warning);
    assert!(
        uk.message
            .contains("Darknet V3 (hank-ai/darknet) stops on it"),
        "{}",
        uk.message
    );
}

#[test]
fn what_darknet_v3_stops_on_is_a_fork_compat_note() {
    // AlexeyAB's darknet reads [net] max_crop and [yolo] show_details; Darknet V3 does not
    let cfg = tiny()
        .replacen("width=416", "width=416\nmax_crop=448", 1)
        .replacen("classes=80", "classes=80\nshow_details=1", 1);
    let f = findings(&cfg, &LintOptions::default());
    let fc = with_code(&f, "fork-compat");
    assert_eq!(fc.len(), 2, "{f:#?}");
    let max_crop = line_of(&cfg, "max_crop=448", 0);
    assert_eq!(fc[0].line, Some(max_crop));
    assert_eq!(fc[0].layer, None);
    assert!(
        fc[0].message.contains(&format!(
            "\"config line #{max_crop} from section [net] is unused or invalid\""
        )),
        "{}",
        fc[0].message
    );
    assert_eq!(fc[1].line, Some(line_of(&cfg, "show_details=1", 0)));
    assert_eq!(fc[1].layer, Some(30));
    assert!(
        fc.iter()
            .all(|f| f.severity == Severity::Note && f.fix.is_none())
    );
    assert!(with_code(&f, "unused-key").is_empty());
    // V3 builds [reorg3d] but not the old [reorg] (yolov2.cfg line 219)
    let v2 = std::fs::read_to_string(common::corpus_dir().join("darknet/yolov2.cfg")).unwrap();
    let f = findings(&v2, &LintOptions::default());
    let fc = with_code(&f, "fork-compat");
    assert_eq!(fc.len(), 1, "{f:#?}");
    assert_eq!(fc[0].line, Some(line_of(&v2, "[reorg]", 0)));
    assert!(fc[0].message.contains("[reorg]"), "{}", fc[0].message);
    // a YOLO network at 400 (not a multiple of 32): V3's own check, quoted, at width
    let cfg = tiny().replacen("width=416", "width=400", 1);
    let f = findings(&cfg, &LintOptions::default());
    let fc = with_code(&f, "fork-compat");
    assert_eq!(fc.len(), 1, "{f:#?}");
    assert_eq!(fc[0].line, Some(8));
    assert!(
        fc[0].message.contains(
            "\"width=400 and height=416 in cfg file must be divisible by 32 for YOLO networks\""
        ),
        "{}",
        fc[0].message
    );
    // the released cfg has none
    assert!(with_code(&findings(&tiny(), &LintOptions::default()), "fork-compat").is_empty());
    // a section only pjreddie's darknet builds: AlexeyAB's does not know it either, a warning
    let cfg = format!("{}\n[l2norm]\n", tiny());
    let f = findings(&cfg, &LintOptions::default());
    let fc = with_code(&f, "fork-compat");
    assert_eq!(fc.len(), 1, "{f:#?}");
    assert_eq!(fc[0].severity, Severity::Warning);
    assert_eq!(fc[0].line, Some(cfg.lines().count()));
    assert!(
        fc[0].message.contains("\"Type not recognized\""),
        "{}",
        fc[0].message
    );
}

#[test]
fn a_repeated_key_is_read_once_and_the_fix_keeps_the_last() {
    // the classic: the testing batch=1 uncommented above the training batch=64; darknet
    // reads the first, so training would run with batch=1
    let cfg = tiny().replacen("#batch=1", "batch=1", 1);
    let f = findings(&cfg, &LintOptions::default());
    let dk = with_code(&f, "duplicate-key");
    assert_eq!(dk.len(), 1, "{f:#?}");
    assert_eq!(dk[0].severity, Severity::Warning);
    assert_eq!(dk[0].line, Some(6));
    assert!(
        dk[0]
            .message
            .contains("darknet reads the first, batch=1 at line 3, and ignores this batch=64"),
        "{}",
        dk[0].message
    );
    let fix = dk[0].fix.as_ref().unwrap();
    assert_eq!(fix.edits.len(), 1);
    assert_eq!(
        (fix.edits[0].line, fix.edits[0].new.as_str()),
        (3, "#batch=1")
    );
    let fixed = csplens::doctor::apply(&cfg, &fix.edits);
    assert_eq!(fixed, tiny());
    // the same value twice (yolo9000.cfg's batch=1 at lines 3 and 8) changes nothing for
    // darknet: a note, for Darknet V3's sake
    let y9k = std::fs::read_to_string(common::corpus_dir().join("darknet/yolo9000.cfg")).unwrap();
    let f = findings(&y9k, &LintOptions::default());
    let dk = with_code(&f, "duplicate-key");
    assert_eq!(
        dk.iter().map(|d| d.line).collect::<Vec<_>>(),
        [Some(8), Some(9)]
    );
    assert!(dk.iter().all(|d| d.severity == Severity::Note));
}

/// The keys AlexeyAB's parser.c reads for the kinds Darknet V3 does not build (the V3 kinds
/// are checked against V3's parser in `doctor::forks`), as its `parse_*` functions list
/// them, plus the keys `parse_network_cfg_custom` reads of every layer.
#[test]
fn key_tables_of_the_kinds_darknet_v3_lacks_are_alexeyabs() {
    let common = [
        "clip",
        "onlyforward",
        "dont_update",
        "burnin_update",
        "stopbackward",
        "train_only_bn",
        "dontload",
        "dontloadscales",
        "learning_rate",
    ];
    let cases: [(&str, &[&str]); 11] = [
        ("local", &["filters", "size", "stride", "pad", "activation"]),
        ("gru", &["output", "batch_normalize"]),
        (
            "conv_lstm",
            &[
                "size",
                "stride",
                "dilation",
                "pad",
                "padding",
                "output",
                "groups",
                "activation",
                "batch_normalize",
                "xnor",
                "peephole",
                "bottleneck",
                "state_constrain",
                "shortcut",
                "lstm_activation",
                "time_normalizer",
            ],
        ),
        (
            "detection",
            &[
                "coords",
                "classes",
                "rescore",
                "num",
                "side",
                "softmax",
                "sqrt",
                "max",
                "coord_scale",
                "forced",
                "object_scale",
                "noobject_scale",
                "class_scale",
                "jitter",
                "resize",
                "random",
                "reorg",
            ],
        ),
        (
            "crop",
            &[
                "crop_height",
                "crop_width",
                "flip",
                "angle",
                "saturation",
                "exposure",
                "noadjust",
                "shift",
            ],
        ),
        ("reorg", &["stride", "reverse"]),
        ("lrn", &["alpha", "beta", "kappa", "size"]),
        ("batchnorm", &[]),
        ("implicit", &["mean", "std", "filters", "atoms"]),
        ("activation", &["activation"]),
        ("empty", &[]),
    ];
    for (kind, keys) in cases {
        let cfg = csplens::cfg::parse(&format!("[{kind}]\n")).unwrap();
        let got = csplens::network::section_keys(&cfg.sections[0], 1, &["convolutional"]).unwrap();
        let mut got: Vec<&str> = got.asked.iter().map(String::as_str).collect();
        let mut want: Vec<&str> = keys.iter().chain(&common).copied().collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "[{kind}]");
    }
}

#[test]
fn the_doctor_on_an_analysis_finds_what_it_finds_on_the_text() {
    // the app lints the analysis it already has; `csplens lint` builds from the text: the
    // same findings, for every corpus cfg that analyses
    let root = common::corpus_dir();
    let mut compared = 0;
    for path in common::cfgs_under(&root) {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let Ok(a) = csplens::analyze(&name, &bytes, Default::default()) else {
            continue;
        };
        let from_text = lint(&name, &a.source, &LintOptions::default());
        let from_analysis = csplens::doctor::lint_analysis(&a, &LintOptions::default());
        assert_eq!(from_analysis, from_text, "{name}");
        compared += 1;
    }
    assert!(compared > 100, "only {compared} cfgs analysed");
}
