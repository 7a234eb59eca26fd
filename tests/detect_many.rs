//! `csplens detect --images / --list` on the fetched models: a folder run equals the
//! single-image runs, writes darknet's `-out` JSON (checked against the bus.jpg reference) and
//! `-ext_output` lines, names and skips a corrupt and a huge image, and never overwrites an
//! input image.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::models;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn csplens(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_csplens"))
        .args(args)
        .output()
        .expect("run csplens")
}

fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("csplens-many-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// `detect` with yolov4-tiny on the CPU backend, coco names, and `extra` arguments.
fn detect(extra: &[&str]) -> Output {
    let (cfg, weights) = (
        models::file("yolov4-tiny", "cfg"),
        models::file("yolov4-tiny", "weights"),
    );
    let names = models::dir().join("yolov4-tiny/coco.names");
    let mut args = vec!["detect", "--backend", "cpu"];
    let (c, w, n) = (s(&cfg), s(&weights), s(&names));
    args.extend(["--cfg", &c, "--weights", &w, "--names", &n]);
    args.extend(extra);
    csplens(&args)
}

fn bus_reference() -> Value {
    let refs: Value = serde_json::from_slice(
        &std::fs::read(common::refs_dir().join("darknet-detections-bus.json")).unwrap(),
    )
    .unwrap();
    refs["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["model"] == "yolov4-tiny")
        .unwrap()
        .clone()
}

#[test]
fn a_folder_run_is_darknets_output_and_skips_bad_images_by_name() {
    let dir = workdir("folder");
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    for name in ["bus.jpg", "zidane.jpg"] {
        std::fs::copy(models::image(name), images.join(name)).unwrap();
    }
    std::fs::write(
        images.join("broken.jpg"),
        b"\xff\xd8\xff\xe0 not really a jpeg",
    )
    .unwrap();
    std::fs::write(
        images.join("huge.png"),
        common::png_claiming(100_000, 100_000),
    )
    .unwrap();
    std::fs::write(images.join("notes.txt"), "not an image").unwrap();
    let (json, saved) = (dir.join("result.json"), dir.join("saved"));
    let out = detect(&[
        "--images",
        &s(&images),
        "--out",
        &s(&json),
        "--ext-output",
        "--save-dir",
        &s(&saved),
    ]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    // the run completes; the exit code says images failed, each named with its reason
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("broken.jpg") && stderr.contains("huge.png"),
        "{stderr}"
    );
    assert!(
        stderr.contains("100000×100000") || stderr.contains("100000"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipping") && stderr.contains("notes.txt"),
        "{stderr}"
    );
    assert!(stderr.contains("2 of 4 images"), "{stderr}");
    // darknet's -out: an array, one entry per image that ran, frame ids from 1
    let v: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).expect("valid JSON");
    let entries = v.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["frame_id"], 1);
    assert_eq!(entries[1]["frame_id"], 2);
    assert!(
        entries[0]["filename"]
            .as_str()
            .unwrap()
            .ends_with("bus.jpg")
    );
    assert!(
        entries[1]["filename"]
            .as_str()
            .unwrap()
            .ends_with("zidane.jpg")
    );
    // bus.jpg's objects as darknet wrote them: same classes in the same order, coordinates
    // and confidences within darknet's printing and our 2 px box agreement
    let want = bus_reference();
    let want = want["out_json"].as_array().unwrap();
    let got = entries[0]["objects"].as_array().unwrap();
    let ids = |v: &[Value], k: &str| v.iter().map(|o| o[k].as_u64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(got, "class_id"), ids(want, "class_id"), "{got:#?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g["name"], w["class"]);
        let close = |a: &Value, b: &Value, tol: f64| {
            (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() <= tol
        };
        assert!(
            close(&g["confidence"], &w["confidence"], 0.01),
            "{g} vs {w}"
        );
        let rc = &g["relative_coordinates"];
        for (ours, theirs) in [
            ("center_x", "rel_center_x"),
            ("center_y", "rel_center_y"),
            ("width", "rel_width"),
            ("height", "rel_height"),
        ] {
            assert!(close(&rc[ours], &w[theirs], 0.003), "{ours}: {rc} vs {w}");
        }
    }
    // -ext_output lines: darknet's order (left to right, a box's best class first) and format
    let bus: Vec<&str> = stdout
        .split("Predicted in")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .take_while(|l| l.contains("left_x"))
        .collect();
    let printed = want_printed();
    assert_eq!(bus.len(), printed.len(), "{stdout}");
    for (line, (class, pct, left)) in bus.iter().zip(&printed) {
        assert!(
            line.starts_with(&format!("{class}: {pct}%\t(left_x: ")),
            "{line}"
        );
        let x: f64 = line
            .split("left_x:")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((x - left).abs() <= 2.0, "{line} vs {left}");
    }
    // the annotated pictures, named after their images
    for (name, wh) in [("bus.png", (810, 1080)), ("zidane.png", (1280, 720))] {
        let im = image::open(saved.join(name)).expect("saved picture");
        assert_eq!((im.width(), im.height()), wh);
    }
    // the folder run equals the single-image run
    let single = detect(&["--image", &s(&images.join("bus.jpg")), "--format", "json"]);
    let one: Value = serde_json::from_slice(&single.stdout).unwrap();
    let one = one["detections"].as_array().unwrap();
    assert_eq!(one.len(), got.len());
    for d in one {
        assert!(got.iter().any(|g| g["class_id"] == d["class_id"]
            && (g["confidence"].as_f64().unwrap() - d["confidence"].as_f64().unwrap()).abs()
                < 1e-5));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// (class, percent, left_x) of darknet's printed lines for bus.jpg.
fn want_printed() -> Vec<(String, u64, f64)> {
    bus_reference()["printed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["class"].as_str().unwrap().to_string(),
                p["prob_pct"].as_u64().unwrap(),
                p["left_x"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_list_file_runs_in_its_order_and_inputs_are_never_overwritten() {
    let dir = workdir("list");
    // a PNG input whose annotated picture would have its own name in the same folder
    let png = dir.join("bus.png");
    image::open(models::image("bus.jpg"))
        .unwrap()
        .save(&png)
        .unwrap();
    let before = std::fs::read(&png).unwrap();
    let list = dir.join("list.txt");
    std::fs::write(
        &list,
        format!("{}\n\n{}\n", s(&models::image("zidane.jpg")), s(&png)),
    )
    .unwrap();
    let json = dir.join("out.json");
    let out = detect(&[
        "--list",
        &s(&list),
        "--out",
        &s(&json),
        "--save-dir",
        &s(&dir),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("one of the input images"), "{stderr}");
    assert_eq!(
        std::fs::read(&png).unwrap(),
        before,
        "the input PNG is untouched"
    );
    assert!(dir.join("zidane.png").is_file());
    let v: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["filename"].as_str().unwrap())
        .collect();
    // zidane first, as listed; bus.png ran (its picture was refused, its entry written)
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].ends_with("zidane.jpg") && names[1].ends_with("bus.png"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn batches_write_what_single_images_write() {
    let dir = workdir("batch");
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    for (from, to) in [
        ("bus.jpg", "a.jpg"),
        ("zidane.jpg", "b.jpg"),
        ("bus.jpg", "c.jpg"),
    ] {
        std::fs::copy(models::image(from), images.join(to)).unwrap();
    }
    let run = |batch: &str| {
        let json = dir.join(format!("out-{batch}.json"));
        let out = detect(&[
            "--images",
            &s(&images),
            "--out",
            &s(&json),
            "--batch",
            batch,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&json).unwrap()
    };
    // three images in one batch of 2 and a last batch of 1, and in one batch of 3
    let single = run("1");
    assert_eq!(run("2"), single);
    assert_eq!(run("3"), single);
    let _ = std::fs::remove_dir_all(&dir);
}
