//! Memory, gradient duplication, path counts and traffic on cfgs whose values can be worked
//! out by hand, the specification's sanity count, and the CSP-vs-baseline pairs.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use csplens::Analysis;

const HW: u64 = 64 * 64;

fn run(text: &str) -> Analysis {
    csplens::analyze("t.cfg", text.as_bytes(), Default::default())
        .unwrap_or_else(|f| panic!("{}", f.render()))
}

#[test]
fn liveness_peak_views_and_workspace_by_hand() {
    let a = run(
        "[net]\nwidth=4\nheight=4\nchannels=1\n\n[convolutional]\nfilters=2\nsize=1\n\n[convolutional]\nfilters=2\nsize=1\n\n[route]\nlayers=-1,-2\n\n[convolutional]\nfilters=1\nsize=1\n",
    );
    let m = &a.memory;
    let live: Vec<u64> = m.layers.iter().map(|l| l.live_bytes_after).collect();
    assert_eq!(live, vec![128, 256, 256, 64]);
    // while each layer runs: its output and everything not yet freed (the image until
    // layer 0 is done, both convolutions while the route copies them)
    let during: Vec<u64> = m.layers.iter().map(|l| l.live_bytes_during).collect();
    assert_eq!(during, vec![192, 256, 512, 320]);
    assert_eq!((m.peak_activation_bytes, m.peak_layer), (512, Some(2)));
    assert_eq!(m.naive_activation_bytes, 576);
    assert_eq!(
        (m.max_workspace_bytes, m.max_workspace_layer),
        (256, Some(3))
    );
    assert_eq!(m.training_bytes_per_image, 2 * 576 + 3 * 15 * 4);
    assert_eq!(m.inference_bytes, m.weights_bytes + 512 + 256);
}

#[test]
fn single_input_routes_are_views_that_keep_their_source_alive() {
    let a = run(
        "[net]\nwidth=4\nheight=4\nchannels=1\n\n[convolutional]\nfilters=4\nsize=1\n\n[route]\nlayers=-1\ngroups=2\ngroup_id=1\n\n[convolutional]\nfilters=1\nsize=1\n\n[convolutional]\nfilters=1\nsize=1\n",
    );
    let m = &a.memory;
    assert!(m.layers[1].view && !m.layers[0].view);
    assert_eq!(m.naive_activation_bytes, 256 + 64 + 64);
    // conv0 (256 B) must live until layer 2 reads its slice through the view.
    assert_eq!(m.layers[1].live_bytes_after, 256);
    assert_eq!(m.layers[2].live_bytes_after, 64);
    assert_eq!(
        a.traffic.concat_copy_volume, 32,
        "a grouped route is a copy in darknet"
    );
}

#[test]
fn densenet201_block1_sanity_count() {
    let a = common::analyze_corpus("darknet/densenet201.cfg");
    for (name, s) in [
        ("copy", a.gradient.stages[1].copy),
        ("channelwise", a.gradient.stages[1].channelwise),
    ] {
        assert_eq!(s.dup_volume.round() as u64, 3_538_944, "{name}");
        assert_eq!(s.total_volume, 1888 * 4096, "{name}");
    }
    assert_eq!(a.gradient.stages[1].width, 64);
    assert_eq!(
        a.gradient.log2_paths_to_input,
        Some(98.0),
        "6+12+48+32 dense layers double the paths"
    );
}

#[test]
fn toy_dense_fanouts_by_hand() {
    let a = common::analyze_corpus("synthetic/toy_dense.cfg");
    for v in [&a.gradient.copy, &a.gradient.channelwise] {
        // base 128 channels read by 6 dense layers + the transition, growth 32 per dense layer.
        assert_eq!(v.dup_channel_uses, 128 * 6 + 32 * (5 + 4 + 3 + 2 + 1));
        assert_eq!(v.dup_volume, (128 * 6 + 32 * 15) * HW);
        assert_eq!(v.max_fanout, 7);
        assert_eq!(v.fanout_histogram.get(&7), Some(&128));
        for m in 2..=6 {
            assert_eq!(v.fanout_histogram.get(&m), Some(&32), "fan-out {m}");
        }
    }
}

#[test]
fn csp_toys_and_fusion_first_equals_fusion_last() {
    let d = |rel: &str| {
        let a = common::analyze_corpus(rel);
        (
            a.gradient.copy.dup_volume,
            a.gradient.channelwise.dup_volume,
        )
    };
    let first = d("synthetic/toy_fusion_first.cfg");
    let last = d("synthetic/toy_fusion_last.cfg");
    assert_eq!(
        first, last,
        "the spec predicts identical D for fusion-first and fusion-last"
    );
    // half the base (64 channels) enters the partial dense block of 6 layers of growth 32
    assert_eq!(first.0, (64 * 6 + 32 * 15) * HW);
    assert_eq!(d("synthetic/toy_cspdense.cfg").0, (64 * 6 + 32 * 15) * HW);
    assert!(d("synthetic/toy_dense.cfg").0 > first.0);
}

#[test]
fn yolov4_tiny_layer2_per_channel_paths() {
    let a = common::analyze_corpus("darknet/yolov4-tiny.cfg");
    let segs = &a.gradient.layers[2].log2_paths_per_channel;
    assert_eq!(segs.len(), 2);
    let count = |x: Option<f64>| x.map(|v| 2f64.powf(v).round() as u64);
    assert_eq!(
        (
            segs[0].lo,
            segs[0].hi,
            count(segs[0].log2_first),
            count(segs[0].log2_last)
        ),
        (0, 32, Some(24), Some(24))
    );
    assert_eq!(
        (
            segs[1].lo,
            segs[1].hi,
            count(segs[1].log2_first),
            count(segs[1].log2_last)
        ),
        (32, 64, Some(72), Some(72))
    );
    // A `groups=2` split is not duplication; yolov3-tiny has none of it either.
    assert_eq!(a.gradient.layers[4].shared_sources_copy, Some(0));
}

#[test]
fn path_counts_are_finite_on_every_corpus_cfg() {
    let dir = common::corpus_dir();
    for path in common::cfgs_under(&dir) {
        let bytes = std::fs::read(&path).expect("read");
        let Ok(a) = csplens::analyze("c.cfg", &bytes, Default::default()) else {
            continue;
        };
        let g = &a.gradient;
        for v in [g.log2_paths_to_input, g.log2_max_paths_weighted]
            .into_iter()
            .flatten()
        {
            assert!(
                v.is_finite() && (0.0..10_000.0).contains(&v),
                "{}: {v}",
                path.display()
            );
        }
        for (name, s) in [("copy", &g.copy), ("channelwise", &g.channelwise)] {
            assert!(
                (0.0..1.0).contains(&s.ratio),
                "{} {name} ratio {}",
                path.display(),
                s.ratio
            );
            assert!(s.dup_volume <= s.total_volume);
        }
        let attributed: f64 = g.layers.iter().filter_map(|l| l.dup_copy).sum();
        let d = g.copy.dup_volume as f64;
        assert!(
            (attributed - d).abs() <= 1e-6 * d.max(1.0),
            "{}: attributed {attributed} vs D {d}",
            path.display()
        );
    }
}

fn compare(a: &str, b: &str, size: Option<usize>) -> serde_json::Value {
    let over = csplens::shape::InputOverride {
        width: size,
        height: size,
    };
    let load = |rel: &str| {
        let bytes = std::fs::read(common::corpus_dir().join(rel)).expect("read");
        csplens::analyze(rel, &bytes, over).expect("analyze")
    };
    csplens::report::compare_json(&load(a), &load(b))
}

#[test]
fn csp_pairs_compare_like_the_cspnet_readme() {
    // README: CSPDarkNet-53 −34% params, −30% BFLOPs; CSPResNet-50 −5%; CSPResNeXt-50 −8%, −22%.
    let cases = [
        (
            "cspnet/darknet53.cfg",
            "cspnet/csdarknet53.cfg",
            -34.0,
            Some(-30.0),
        ),
        ("cspnet/resnet50.cfg", "cspnet/csresnet50.cfg", -5.0, None),
        (
            "cspnet/resnext50.cfg",
            "cspnet/csresnext50.cfg",
            -8.0,
            Some(-22.0),
        ),
    ];
    for (a, b, params, bflops) in cases {
        let c = compare(a, b, None);
        let d = &c["delta"];
        assert_eq!(
            d["conv_weights_pct"].as_f64().unwrap().round(),
            params,
            "{b}"
        );
        if let Some(bf) = bflops {
            assert_eq!(d["total_bflops_pct"].as_f64().unwrap().round(), bf, "{b}");
        }
        assert!(!c["stages"].as_array().unwrap().is_empty());
    }
}

#[test]
fn every_requested_pair_compares() {
    let pairs = [
        (
            "darknet/densenet201.cfg",
            "synthetic/csdensenet201_synthetic.cfg",
            None,
        ),
        ("darknet/yolov3-tiny.cfg", "darknet/yolov4-tiny.cfg", None),
        ("darknet/yolov3.cfg", "darknet/yolov4.cfg", Some(416)),
        (
            "synthetic/toy_dense.cfg",
            "synthetic/toy_cspdense.cfg",
            None,
        ),
        (
            "synthetic/toy_fusion_first.cfg",
            "synthetic/toy_fusion_last.cfg",
            None,
        ),
    ];
    for (a, b, size) in pairs {
        let c = compare(a, b, size);
        for key in ["a", "b", "delta", "stages"] {
            assert!(c.get(key).is_some(), "{a} vs {b}: no {key}");
        }
        let rows = c["stages"].as_array().unwrap();
        let aligned = rows
            .iter()
            .filter(|r| !r["a"].is_null() && !r["b"].is_null())
            .count();
        assert!(aligned >= 2, "{a} vs {b}: stages not aligned by resolution");
        if size == Some(416) {
            assert_eq!(c["a"]["cfg"], "darknet/yolov3.cfg");
            assert!(rows.iter().any(|r| r["width"] == 13));
        }
    }
}

/// yolov4-tiny's receptive fields by darknet's rule (field and scale start at 1; a window
/// layer adds (size + 2·(dilation − 1) − 1)·scale, then scale ×= stride; a route takes the
/// largest of its inputs; an upsample divides the scale):
/// conv0 3×3/2: 1 + 2·1 = 3 (scale 2); conv1 3×3/2: 3 + 2·2 = 7 (4); conv2: 7 + 2·4 = 15;
/// conv4, conv5: 23, 31; max9 2×2/2: 31 + 1·4 = 35 (8); conv10: 35 + 2·8 = 51; conv12, 13:
/// 67, 83; max17: 83 + 8 = 91 (16); conv18: 91 + 32 = 123; conv20, 21: 155, 187; max25:
/// 187 + 16 = 203 (32); conv26: 203 + 64 = 267; conv28: 267 + 64 = 331, the first head's.
/// route31 (27): 267 (32); upsample33: scale 16; route34 (33, 23): max(267, 187) = 267;
/// conv35: 267 + 2·16 = 299, the second head's.
#[test]
fn receptive_fields_of_yolov4_tiny_by_hand() {
    let text = std::fs::read_to_string(common::corpus_dir().join("darknet/yolov4-tiny.cfg"))
        .expect("corpus cfg");
    let a = run(&text);
    let rf = &a.profile.receptive_fields;
    let at = |i: usize| rf[i];
    assert_eq!((at(0), at(1), at(2), at(5), at(9)), (3, 7, 15, 31, 35));
    assert_eq!(
        (at(17), at(25), at(26), at(29), at(30)),
        (91, 203, 267, 331, 331)
    );
    assert_eq!(
        (at(31), at(33), at(34), at(35), at(37)),
        (267, 267, 267, 299, 299)
    );
    // the profile JSON carries it as [w, h]
    let json = csplens::report::profile_json(&a);
    assert_eq!(
        json["layers"][30]["receptive_field"],
        serde_json::json!([331, 331])
    );
    // darknet prints each after the layer's line when [net] asks for it
    assert!(!csplens::report::render(&a, csplens::report::Format::Table).contains("receptive"));
    let shown = run(&text.replacen("[net]", "[net]\nshow_receptive_field=1", 1));
    let table = csplens::report::render(&shown, csplens::report::Format::Table);
    assert!(
        table.contains("\n  30 - receptive field: 331 x 331 \n"),
        "{table}"
    );
    assert!(
        table.contains("\n  37 - receptive field: 299 x 299 \n"),
        "{table}"
    );
}

/// Dilation, [reorg] (darknet's REORG_OLD: the window rule, scale × stride) and [reorg3d]
/// (REORG: the scale divided), and a shortcut, which keeps the running values.
#[test]
fn receptive_field_rules_for_dilation_and_the_two_reorgs() {
    let net = "[net]\nwidth=32\nheight=32\nchannels=3\n\n";
    let conv = |size: usize, stride: usize, dil: usize| {
        format!(
            "[convolutional]\nfilters=4\nsize={size}\nstride={stride}\ndilation={dil}\npad=1\n\n"
        )
    };
    // 3×3 dilation 2: 1 + (3 + 2 − 1)·1 = 5; 3×3/2: 5 + 2 = 7 (scale 2); reorg stride 2:
    // 7 + 0 (scale 4); 3×3: 7 + 2·4 = 15; shortcut: 15
    let old = run(&format!(
        "{net}{}{}[reorg]\nstride=2\n\n{}[shortcut]\nfrom=-2\n",
        conv(3, 1, 2),
        conv(3, 2, 1),
        conv(3, 1, 1)
    ));
    assert_eq!(old.profile.receptive_fields, vec![5, 7, 7, 15, 15]);
    // [reorg3d] divides the scale: 2 / 2 = 1, so the last 3×3 adds 2·1
    let new = run(&format!(
        "{net}{}{}[reorg3d]\nstride=2\n\n{}",
        conv(3, 1, 2),
        conv(3, 2, 1),
        conv(3, 1, 1)
    ));
    assert_eq!(new.profile.receptive_fields, vec![5, 7, 7, 9]);
}
