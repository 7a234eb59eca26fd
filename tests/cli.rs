//! The `csplens profile` command: formats, the JSON contract, and errors on stderr with exit 2.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn csplens(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_csplens"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run csplens")
}

#[test]
fn json_has_the_documented_keys_and_values() {
    let out = csplens(&["profile", "assets/yolov4-tiny.cfg", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for key in [
        "cfg",
        "input",
        "layers",
        "total_bflops",
        "bflops_conv",
        "params",
        "conv_weights",
        "weight_floats",
        "weights_file_bytes",
        "warnings",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(
        v["input"],
        serde_json::json!({"width": 416, "height": 416, "channels": 3})
    );
    let want = darknet_ref("darknet__yolov4-tiny");
    assert_eq!(v["weights_file_bytes"], want["weights_file_bytes_expected"]);
    let l3 = &v["layers"][3];
    for key in [
        "index",
        "type",
        "line",
        "inputs",
        "input_shape",
        "output_shape",
        "bflops",
        "params",
        "weight_floats",
    ] {
        assert!(l3.get(key).is_some(), "layer missing {key}");
    }
    assert_eq!(l3["type"], "route");
    assert_eq!(l3["inputs"], serde_json::json!([2]));
    assert_eq!(l3["output_shape"], want["layers"][3]["out"]);
    assert_eq!(l3["groups"], 2);
    assert_eq!(l3["group_id"], 1);
    assert_eq!(v["layers"][0]["inputs"], serde_json::json!([-1]));
}

#[test]
fn table_csv_and_markdown_render() {
    let table =
        String::from_utf8(csplens(&["profile", "assets/yolov4-tiny.cfg"]).stdout).expect("utf8");
    assert!(
        table.contains("   3 route  2 \t\t                       1/2 ->  104 x 104 x  32"),
        "{table}"
    );
    let want = darknet_ref("darknet__yolov4-tiny");
    let total = want["total_bflops_printed"].as_f64().unwrap();
    assert!(
        table.contains(&format!("Total BFLOPS {total:.3}")),
        "{table}"
    );
    let csv = String::from_utf8(
        csplens(&["profile", "assets/yolov4-tiny.cfg", "--format", "csv"]).stdout,
    )
    .expect("utf8");
    // a header, then one row per layer
    assert_eq!(
        csv.lines().count() as u64,
        want["n_layers"].as_u64().unwrap() + 1
    );
    let md =
        String::from_utf8(csplens(&["profile", "assets/yolov4-tiny.cfg", "--format", "md"]).stdout)
            .expect("utf8");
    assert!(md.lines().nth(1).is_some_and(|l| l.starts_with("| --- |")));
}

#[test]
fn width_and_height_override_the_cfg() {
    let out = csplens(&[
        "profile",
        "assets/yolov4-tiny.cfg",
        "--width",
        "608",
        "--height",
        "608",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v["layers"][30]["output_shape"],
        serde_json::json!([19, 19, 255])
    );
}

#[test]
fn errors_go_to_stderr_with_location_and_exit_2() {
    let bad = Path::new("tests/fixtures/bad/route_future.cfg");
    let out = csplens(&["profile", bad.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("tests/fixtures/bad/route_future.cfg:12:8: "),
        "{err}"
    );
    assert!(err.contains("^"), "{err}");
    let missing = csplens(&["profile", "no/such.cfg"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such.cfg"));
}

#[test]
fn compare_prints_deltas_and_json() {
    let out = csplens(&[
        "compare",
        "assets/yolov3-tiny.cfg",
        "assets/yolov4-tiny.cfg",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.contains("BFLOPs") && text.contains("(+24%)"), "{text}");
    let out = csplens(&[
        "compare",
        "assets/yolov3-tiny.cfg",
        "assets/yolov4-tiny.cfg",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let (a, b) = (
        darknet_ref("darknet__yolov3-tiny")["total_params"]
            .as_f64()
            .unwrap(),
        darknet_ref("darknet__yolov4-tiny")["total_params"]
            .as_f64()
            .unwrap(),
    );
    assert_eq!(v["a"]["params"].as_f64(), Some(a));
    assert_eq!(v["b"]["params"].as_f64(), Some(b));
    let pct = v["delta"]["params_pct"].as_f64().expect("pct");
    assert!((pct - (b / a - 1.0) * 100.0).abs() < 1e-9);
    for fmt in ["md", "csv"] {
        let out = csplens(&[
            "compare",
            "assets/yolov3-tiny.cfg",
            "assets/yolov4-tiny.cfg",
            "--format",
            fmt,
        ]);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("Parameters"));
    }
}

#[test]
fn profile_json_carries_memory_gradient_and_traffic() {
    let out = csplens(&["profile", "assets/yolov4-tiny.cfg", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for key in [
        "naive_activation_bytes",
        "peak_activation_bytes",
        "peak_layer",
        "max_workspace_bytes",
        "training_bytes_per_image",
    ] {
        assert!(v["memory"].get(key).is_some(), "memory.{key}");
    }
    for variant in ["copy", "channelwise"] {
        for key in [
            "total_volume",
            "dup_volume",
            "ratio",
            "total_channel_uses",
            "dup_channel_uses",
            "ratio_channels",
            "source_channels",
            "max_fanout",
            "fanout_histogram",
        ] {
            assert!(
                v["gradient"][variant].get(key).is_some(),
                "gradient.{variant}.{key}"
            );
        }
    }
    for key in ["log2_paths_to_input", "log2_max_paths_weighted", "stages"] {
        assert!(v["gradient"].get(key).is_some(), "gradient.{key}");
    }
    for key in ["cio", "mac", "concat_copy_volume"] {
        assert!(v["traffic"].get(key).is_some(), "traffic.{key}");
    }
    let l = &v["layers"][2];
    for key in [
        "log2_paths",
        "sources_copy",
        "sources_channelwise",
        "activation_bytes",
        "live_bytes_during",
        "live_bytes_after",
    ] {
        assert!(l.get(key).is_some(), "layer.{key}");
    }
    assert_eq!(l["activation_bytes"], 104 * 104 * 64 * 4);
}

fn model(m: &str, ext: &str) -> String {
    let dir = std::env::var("CSPLENS_MODELS")
        .unwrap_or_else(|_| format!("{}/.cache/models", env!("CARGO_MANIFEST_DIR")));
    if ext == "jpg" {
        format!("{dir}/images/{m}.jpg")
    } else {
        format!("{dir}/{m}/{m}.{ext}")
    }
}

#[test]
fn detect_json_and_saved_picture() {
    let out_png = std::env::temp_dir().join(format!("csplens-cli-{}.png", std::process::id()));
    let names = format!(
        "{}/coco.names",
        std::path::Path::new(&model("yolov4-tiny", "cfg"))
            .parent()
            .unwrap()
            .display()
    );
    let out = csplens(&[
        "detect",
        "--cfg",
        &model("yolov4-tiny", "cfg"),
        "--weights",
        &model("yolov4-tiny", "weights"),
        "--image",
        &model("bus", "jpg"),
        "--names",
        &names,
        "--backend",
        "cpu",
        "--format",
        "json",
        "--save",
        out_png.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v["image"],
        serde_json::json!({"width": 810, "height": 1080})
    );
    let dets = v["detections"].as_array().unwrap();
    assert_eq!(dets.len(), 6);
    for d in dets {
        for key in ["class_id", "class", "confidence"] {
            assert!(d.get(key).is_some(), "{key}");
        }
        for key in ["left", "top", "width", "height"] {
            assert!(d["box"][key].is_number(), "box.{key}");
        }
    }
    assert_eq!(dets[0]["class"], "person");
    let saved = image::open(&out_png).expect("saved png decodes");
    assert_eq!((saved.width(), saved.height()), (810, 1080));
    let _ = std::fs::remove_file(&out_png);
}

#[test]
fn detect_refuses_bad_inputs_with_exit_2() {
    let dir = std::env::temp_dir().join(format!("csplens-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let truncated = dir.join("cut.weights");
    let bytes = std::fs::read(model("yolov4-tiny", "weights")).unwrap();
    std::fs::write(&truncated, &bytes[..1_000_000]).unwrap();
    let cases = [
        (
            model("yolov4-tiny", "cfg"),
            truncated.display().to_string(),
            model("bus", "jpg"),
            "needs 37,120 floats",
        ),
        (
            model("yolov4-tiny", "cfg"),
            model("yolov4-tiny", "weights"),
            model("yolov4-tiny", "cfg"),
            "not an image",
        ),
        (
            model("yolov4-tiny", "cfg"),
            model("yolov3-tiny", "weights"),
            model("bus", "jpg"),
            "written for another network",
        ),
    ];
    for (cfg, weights, img, needle) in cases {
        let out = csplens(&[
            "detect",
            "--cfg",
            &cfg,
            "--weights",
            &weights,
            "--image",
            &img,
            "--backend",
            "cpu",
        ]);
        assert_eq!(out.status.code(), Some(2), "{needle}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_reports_medians_and_per_layer_times() {
    let out = csplens(&[
        "bench",
        "--cfg",
        &model("yolov3-tiny", "cfg"),
        "--weights",
        &model("yolov3-tiny", "weights"),
        "--image",
        &model("bus", "jpg"),
        "--backend",
        "cpu",
        "--runs",
        "2",
        "--batch",
        "3",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["backend"], "cpu");
    // images/s: 1000 / the median forward at batch 1, and 3 images over a batch's median
    let single = 1e3 / v["forward_ms"]["median"].as_f64().unwrap();
    assert!((v["images_per_s"].as_f64().unwrap() - single).abs() < 1e-9);
    let b = &v["batch"];
    assert_eq!(b["size"], 3);
    let per_batch = b["ms"]["median"].as_f64().unwrap();
    assert!((b["images_per_s"].as_f64().unwrap() - 3e3 / per_batch).abs() < 1e-9);
    assert!(v["device"].as_str().unwrap().contains("threads"));
    for key in ["forward_ms", "end_to_end_ms"] {
        let s = &v[key];
        let (lo, med, hi) = (
            s["min"].as_f64().unwrap(),
            s["median"].as_f64().unwrap(),
            s["max"].as_f64().unwrap(),
        );
        assert!(0.0 < lo && lo <= med && med <= hi, "{key}: {s}");
    }
    let layers = darknet_ref("darknet__yolov3-tiny")["n_layers"]
        .as_u64()
        .unwrap();
    assert_eq!(v["per_layer_ms"].as_array().unwrap().len() as u64, layers);
}

/// `$var`, else `../shared/<dir>` beside the repository.
fn shared(var: &str, dir: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared")
            .join(dir)
    })
}

/// Darknet's own table for a network (`$CSPLENS_REFS_DIR`, else `../shared/refs`).
fn darknet_ref(name: &str) -> serde_json::Value {
    let path = shared("CSPLENS_REFS_DIR", "refs")
        .join("darknet-layers")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("reference json")
}

/// A corpus cfg's path: under `$CSPLENS_CFG_DIR`, else `../shared/cfg`.
fn corpus_cfg(rel: &str) -> String {
    shared("CSPLENS_CFG_DIR", "cfg")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn stages_table_json_and_input_size() {
    let out = csplens(&["stages", "assets/yolov4-tiny.cfg"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("3 CSP stages in assets/yolov4-tiny.cfg"),
        "{text}"
    );
    assert!(text.contains("2→8"), "{text}");
    let out = csplens(&[
        "stages",
        "assets/yolov4-tiny.cfg",
        "--width",
        "320",
        "--height",
        "320",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["cfg"], "assets/yolov4-tiny.cfg");
    // 320 / 4 = 80: the first stage merges after the two stride-2 convolutions
    assert_eq!(v["stages"][0]["resolution"]["width"], 80);
    for key in [
        "base",
        "merge",
        "fusion",
        "part1",
        "part2",
        "resolution",
        "block",
        "totals",
    ] {
        assert!(v["stages"][0].get(key).is_some(), "missing {key}");
    }
    assert!(v["partial_residuals"].is_array());
    let out = csplens(&["stages", "no-such.cfg"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cspify_writes_a_cfg_that_stages_finds() {
    let dir = std::env::temp_dir().join(format!("csplens-cspify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_cfg = dir.join("csdarknet53-made.cfg");
    let corpus = PathBuf::from(corpus_cfg("cspnet/darknet53.cfg"));
    let run = |extra: &[&str]| {
        let mut args = vec![
            "cspify",
            corpus.to_str().unwrap(),
            "-o",
            out_cfg.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        csplens(&args)
    };
    let out = run(&["--fusion", "last", "--ratio", "0.5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.contains("5 CSP stages (fusion last"), "{said}");
    assert!(said.contains("BFLOPs: 18.576 →"), "{said}");
    let out = csplens(&["stages", out_cfg.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["stages"].as_array().unwrap().len(), 5);
    assert_eq!(v["stages"][0]["fusion"], "last");
    // a bad option leaves the written file as it was and exits 2
    let before = std::fs::read(&out_cfg).unwrap();
    let out = run(&["--stages", "1,x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--stages"));
    assert_eq!(std::fs::read(&out_cfg).unwrap(), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compare_puts_the_csp_network_on_the_compared_side_in_either_slot() {
    let (plain, csp) = (
        corpus_cfg("cspnet/darknet53.cfg"),
        corpus_cfg("cspnet/csdarknet53.cfg"),
    );
    for (a, b, baseline, side) in [(&plain, &csp, "a", "b"), (&csp, &plain, "b", "a")] {
        let out = csplens(&["compare", a, b, "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            (v["baseline"].as_str(), v["csp_side"].as_str()),
            (Some(baseline), Some(side))
        );
        // the CSPNet README: 41.57M → 27.61M conv weights (−34%), 18.57 → 13.07 BFLOPs (−30%)
        let w = v["delta"]["conv_weights_pct"].as_f64().unwrap();
        assert!(
            (w - (27_605_856.0 / 41_573_216.0 - 1.0) * 100.0).abs() < 1e-9,
            "{w}"
        );
        assert_eq!(v["csp_stages"].as_array().unwrap().len(), 5);
        assert_eq!(v["csp_stages"][2]["width"], 32);
        assert!(v["csp_stages"][2]["baseline"]["bflops"].as_f64().unwrap() > 5.9);
        let text = String::from_utf8(csplens(&["compare", a, b]).stdout).unwrap();
        assert!(
            text.starts_with(&format!(
                "CSP side: {csp} (5 CSP stages); baseline: {plain}"
            )),
            "{text}"
        );
        assert!(text.contains("13.071 (−30%)"), "{text}");
    }
}

#[test]
fn lint_exit_codes_and_diagnostics() {
    let clean = csplens(&["lint", "assets/yolov4-tiny.cfg"]);
    assert_eq!(clean.status.code(), Some(0));
    let text = String::from_utf8(clean.stdout).unwrap();
    assert!(text.contains("0 errors"), "{text}");
    // three classes left with filters=255: an error with its line, caret and fix
    let dir = std::env::temp_dir().join(format!("csplens-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("three.cfg");
    let cfg = std::fs::read_to_string("assets/yolov4-tiny.cfg")
        .unwrap()
        .replace("classes=80", "classes=3");
    std::fs::write(&bad, &cfg).unwrap();
    let out = csplens(&["lint", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = cfg.lines().position(|l| l.trim() == "filters=255").unwrap() + 1;
    assert!(
        text.contains(&format!("three.cfg:{line}:9: error[yolo-filters]:")),
        "{text}"
    );
    assert!(text.contains("= fix: set filters=24"), "{text}");
    let json = csplens(&["lint", bad.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["findings"][0]["code"], "yolo-filters");
    let missing = csplens(&["lint", "no/such.cfg"]);
    assert_eq!(missing.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn detect_with_f16_storage_on_the_gpu_and_refused_on_the_cpu() {
    let args = |backend: &'static str| {
        vec![
            "detect".to_string(),
            "--cfg".into(),
            model("yolov4-tiny", "cfg"),
            "--weights".into(),
            model("yolov4-tiny", "weights"),
            "--image".into(),
            model("bus", "jpg"),
            "--backend".into(),
            backend.into(),
            "--precision".into(),
            "f16".into(),
            "--format".into(),
            "json".into(),
        ]
    };
    let run = |a: Vec<String>| csplens(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let refused = run(args("cpu"));
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("f16") && err.contains("use f32"), "{err}");
    if std::env::var_os("CSPLENS_SKIP_GPU").is_some() {
        eprintln!("SKIPPED the wgpu half: CSPLENS_SKIP_GPU is set");
        return;
    }
    // lavapipe stores f16 (SHADER_F16): the run says so and finds bus.jpg's six objects
    let out = run(args("wgpu"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("f16 storage"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["detections"].as_array().unwrap().len(), 6);
}
