//! `cspify`: the CSPNet authors' three pairs reproduced within 15% (conv weights, BFLOPs) with
//! their number of CSP stages, the fusion variants, the written text read back by the parser
//! (no warning, found by `stages`, run by the CPU backend) and the refusals.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::analyze_corpus;
use common::random::{setup_sized, tame};
use csplens::cspify::{CspifyError, Options, StageSelect, cspify};
use csplens::profile::csp::Fusion;

fn reload(text: &str) -> csplens::Analysis {
    csplens::analyze("cspified.cfg", text.as_bytes(), Default::default())
        .unwrap_or_else(|f| panic!("{}\n{text}", f.render()))
}

fn within(ours: f64, theirs: f64, bound: f64) -> bool {
    ((ours - theirs) / theirs).abs() <= bound
}

#[test]
fn the_authors_pairs_are_reproduced_within_fifteen_percent() {
    for (plain, authors) in [
        ("cspnet/darknet53.cfg", "cspnet/csdarknet53.cfg"),
        ("cspnet/resnet50.cfg", "cspnet/csresnet50.cfg"),
        ("cspnet/resnext50.cfg", "cspnet/csresnext50.cfg"),
    ] {
        let made = cspify(&analyze_corpus(plain), &Options::default()).unwrap();
        let ours = reload(&made.text);
        // resnet50's resampling shortcuts warn; the CSP version has none left
        assert!(ours.warnings().is_empty(), "{plain}: {:?}", ours.warnings());
        let theirs = analyze_corpus(authors);
        assert_eq!(ours.csp.stages.len(), theirs.csp.stages.len(), "{plain}");
        assert_eq!(made.converted.len(), theirs.csp.stages.len(), "{plain}");
        let (w, tw) = (
            ours.profile.conv_weights as f64,
            theirs.profile.conv_weights as f64,
        );
        let (f, tf) = (
            ours.profile.total_bflops as f64,
            theirs.profile.total_bflops as f64,
        );
        assert!(
            within(w, tw, 0.15),
            "{plain}: conv weights {w} vs the authors' {tw}"
        );
        assert!(
            within(f, tf, 0.15),
            "{plain}: BFLOPs {f} vs the authors' {tf}"
        );
        // every made stage is a CSP stage by the definition, with both transitions
        assert!(
            ours.csp.stages.iter().all(|s| s.fusion == Fusion::Csp),
            "{plain}"
        );
        // the stages keep the authors' resolutions
        let res = |a: &csplens::Analysis| {
            a.csp
                .stages
                .iter()
                .map(|s| s.resolution.width)
                .collect::<Vec<_>>()
        };
        assert_eq!(res(&ours), res(&theirs), "{plain}");
    }
}

#[test]
fn darknet53_stage_two_is_built_like_csdarknet53() {
    // Darknet-53 at 64×64: base 5 (3×3/2, 128 ch), two units (64 1×1, 128 3×3, shortcut).
    // With ratio 0.5: part 1 = 1×1 conv of 64, route back, entry 1×1 conv of 64, units
    // (64 1×1, 64 3×3), transition 64, merge 128, transition 128: what csdarknet53 has.
    // Output channels of the stage's layers: part 1, the route back (the base's 128), the
    // entry, two units of three layers, the transition, the merge, the transition after.
    let made = cspify(&analyze_corpus("cspnet/darknet53.cfg"), &Options::default()).unwrap();
    let ours = reload(&made.text);
    let theirs = analyze_corpus("cspnet/csdarknet53.cfg");
    let filters = |a: &csplens::Analysis, s: usize| -> Vec<usize> {
        a.csp.stages[s]
            .layers
            .iter()
            .map(|&l| a.shapes.layers[l].output.c)
            .collect()
    };
    assert_eq!(filters(&ours, 1), filters(&theirs, 1));
    assert_eq!(
        filters(&ours, 1),
        vec![64, 128, 64, 64, 64, 64, 64, 64, 64, 64, 128, 128]
    );
}

#[test]
fn fusion_variants_place_the_transitions() {
    let plain = analyze_corpus("cspnet/darknet53.cfg");
    let mut bflops = Vec::new();
    for fusion in [Fusion::Csp, Fusion::First, Fusion::Last] {
        let opts = Options {
            fusion,
            ..Options::default()
        };
        let a = reload(&cspify(&plain, &opts).unwrap().text);
        assert_eq!(a.csp.stages.len(), 5);
        assert!(
            a.csp.stages.iter().all(|s| s.fusion == fusion),
            "{fusion:?}"
        );
        bflops.push(a.profile.total_bflops as f64);
    }
    // csp has both transitions; first drops the one before (W2² per pixel), last the one
    // after (C² per pixel, four times as many at ratio 0.5)
    assert!(bflops[0] > bflops[1] && bflops[1] > bflops[2], "{bflops:?}");
    let none = Options {
        fusion: Fusion::None,
        ..Options::default()
    };
    let err = cspify(&plain, &none).unwrap_err();
    assert_eq!(err, CspifyError::NoFusion);
    // the library names no flag; the CLI adds the one it was asked through
    assert_eq!(csplens::args::cspify_option(&err), Some("--fusion"));
    assert!(!err.to_string().contains("--"), "{err}");
}

#[test]
fn the_ratio_and_the_stage_selection_are_honoured() {
    let plain = analyze_corpus("cspnet/darknet53.cfg");
    let opts = Options {
        ratio: 0.25,
        stages: StageSelect::Some(vec![3]),
        ..Options::default()
    };
    let made = cspify(&plain, &opts).unwrap();
    let a = reload(&made.text);
    assert_eq!(a.csp.stages.len(), 1);
    let s = &a.csp.stages[0];
    // the 32×32 stage: 256 channels, a quarter through part 2
    assert_eq!(
        (s.resolution.width, s.part1.channels, s.part2.channels),
        (32, 192, 64)
    );
    assert_eq!(s.block.units, 8);
    assert!(made.text.starts_with(
        "# Made by csplens cspify from cspnet/darknet53.cfg: fusion=csp, ratio=0.25, stages=3\n"
    ));
    let bad = Options {
        stages: StageSelect::Some(vec![6]),
        ..Options::default()
    };
    let err = cspify(&plain, &bad).unwrap_err();
    assert_eq!(csplens::args::cspify_option(&err), Some("--stages"));
    let err = err.to_string();
    assert!(
        err.contains("has 5 convertible stages (1 to 5), not 6"),
        "{err}"
    );
    for ratio in [0.0, 1.0, -0.5] {
        let bad = Options {
            ratio,
            ..Options::default()
        };
        let err = cspify(&plain, &bad).unwrap_err();
        assert_eq!(err, CspifyError::Ratio(ratio));
        assert_eq!(csplens::args::cspify_option(&err), Some("--ratio"));
    }
}

#[test]
fn networks_without_a_stage_to_convert_get_a_sentence() {
    let err = cspify(&analyze_corpus("darknet/vgg-16.cfg"), &Options::default()).unwrap_err();
    assert!(matches!(err, CspifyError::NothingToConvert { .. }));
    assert!(err.to_string().contains("has no stage to convert"), "{err}");
    // a CSP network's units are already inside its stages
    let err = cspify(
        &analyze_corpus("cspnet/csdarknet53.cfg"),
        &Options::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("already inside CSP stage 1"),
        "{err}"
    );
}

#[test]
fn written_cfgs_read_back_without_warnings_and_keep_the_rest() {
    // a detector: the backbone's stages change, the routes of its neck follow them
    let plain = analyze_corpus("darknet/yolov3.cfg");
    let made = cspify(&plain, &Options::default()).unwrap();
    let a = reload(&made.text);
    assert!(a.warnings().is_empty(), "{:?}", a.warnings());
    assert_eq!(a.csp.stages.len(), 5);
    // the three heads keep their shapes: every stage keeps its output channels
    let heads = |x: &csplens::Analysis| -> Vec<[usize; 3]> {
        x.network
            .layers
            .iter()
            .filter(|l| l.kind.is_head())
            .map(|l| {
                let s = x.shapes.layers[l.index].output;
                [s.w, s.h, s.c]
            })
            .collect()
    };
    assert_eq!(heads(&a), heads(&plain));
    // the text parses section by section: [net] and one section per layer
    let parsed = csplens::cfg::parse(&made.text).unwrap();
    assert_eq!(parsed.sections.len(), a.network.layers.len() + 1);
    // each converted stage adds part 1, the route back, the entry, the two transitions and
    // the merge (6 sections) to the plain layers, and no unit is dropped; the last stage's
    // transition after is the neck's own 1×1 convolution, which reads only that stage
    assert_eq!(
        a.network.layers.len(),
        plain.network.layers.len() + 4 * 6 + 5
    );
}

#[test]
fn a_cspified_network_runs_on_the_cpu_backend() {
    let made = cspify(&analyze_corpus("cspnet/darknet53.cfg"), &Options::default()).unwrap();
    let over = csplens::shape::InputOverride {
        width: Some(64),
        height: Some(64),
    };
    let (a, mut w, input) = setup_sized(&made.text, 11, over);
    tame(&a, &mut w);
    let net = csplens::backend::cpu::CpuNet::new(&a, &w, 2).unwrap();
    let out = net.forward(&input).unwrap();
    let (_, last) = out.outputs.last().unwrap();
    assert_eq!(last.data.len(), 1000);
    assert!(last.data.iter().all(|v| v.is_finite()));
}
