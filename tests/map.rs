//! `csplens map` reproduces darknet's `detector map` on the shared dev labels
//! (`../shared/refs/map-dev`: bus.jpg and zidane.jpg, 13 labels, yolov4-tiny and yolov3-tiny,
//! `-points` 0, 11 and 101): every class's AP, TP and FP, P/R/F1, TP/FP/FN, the average IoU and
//! the mAP, as numbers against `reference.json` and as the lines darknet printed in `logs/`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::models;
use csplens::backend::{BackendChoice, Precision, RunOptions, Runner};
use csplens::eval::DataFile;
use csplens::eval::misses::Reason;
use csplens::eval::run::{EvalOptions, evaluate};
use csplens::eval::{report, shard};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn map_dev() -> PathBuf {
    common::refs_dir().join("map-dev")
}

/// The two images with their labels side by side and an obj.data listing them, as the
/// reference was made (classes=80, valid = the list, names = coco.names).
fn dataset(dir: &Path) -> PathBuf {
    dataset_of(dir, &["bus", "zidane"])
}

/// As [`dataset`], the images listed as `names` (each bus* a copy of bus.jpg with its labels,
/// each zidane* of zidane.jpg).
fn dataset_of(dir: &Path, names: &[&str]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let mut list = String::new();
    for &name in names {
        let from = if name.starts_with("bus") {
            "bus"
        } else {
            "zidane"
        };
        let image = dir.join(format!("{name}.jpg"));
        std::fs::copy(models::image(&format!("{from}.jpg")), &image).unwrap();
        std::fs::copy(
            map_dev().join(format!("{from}.txt")),
            dir.join(format!("{name}.txt")),
        )
        .unwrap();
        list += &format!("{}\n", image.display());
    }
    std::fs::write(dir.join("valid.txt"), list).unwrap();
    let names = models::dir().join("yolov4-tiny/coco.names");
    let data = dir.join("obj.data");
    std::fs::write(
        &data,
        format!(
            "classes=80\ntrain={0}\nvalid={0}\nnames={1}\n",
            dir.join("valid.txt").display(),
            names.display()
        ),
    )
    .unwrap();
    data
}

/// darknet's printed lines from a class line to the mAP line, the progress and timing text
/// that stderr interleaved taken out.
fn darknet_lines(model: &str, points: usize) -> Vec<String> {
    let log =
        std::fs::read_to_string(map_dev().join(format!("logs/map-{model}-p{points}.log"))).unwrap();
    let mut text = String::new();
    for line in log.lines() {
        let line = line.rsplit('\r').next().unwrap_or(line);
        text += line;
        text.push('\n');
    }
    let text = regex_free_strip(&text);
    let start = text.find("class_id = 0,").unwrap();
    let end = text.find(" mean average precision (mAP@").unwrap();
    let end = end + text[end..].find('\n').unwrap();
    text[start..end].lines().map(str::to_string).collect()
}

/// Removes darknet's "Total Detection Time: N Seconds\n" (stderr, interleaved in the log).
fn regex_free_strip(text: &str) -> String {
    let mut out = text.to_string();
    while let Some(at) = out.find("Total Detection Time: ") {
        let end = at + out[at..].find('\n').unwrap() + 1;
        out.replace_range(at..end, "");
    }
    out
}

fn pct(v: f64) -> String {
    format!("{:.2}", v * 100.0)
}

#[test]
fn darknets_map_on_the_dev_labels_for_both_models_and_every_points_rule() {
    let dir = std::env::temp_dir().join(format!("csplens-map-{}", std::process::id()));
    let data = DataFile::read(&dataset(&dir)).unwrap();
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(map_dev().join("reference.json")).unwrap())
            .unwrap();
    for run in reference["runs"].as_array().unwrap() {
        let model = run["model"].as_str().unwrap();
        let points = run["points"].as_u64().unwrap() as usize;
        let on = models::analysis(model);
        let w = csplens::weights::read(&models::file(model, "weights"), &on.network, &on.shapes)
            .unwrap();
        let runner = Runner::new(
            &RunOptions::new(BackendChoice::Cpu, Precision::F32, 2),
            &on,
            &w,
        )
        .unwrap()
        .0;
        let o = EvalOptions {
            points,
            iou_thresh: 0.5,
            thresh: 0.25,
            batch: 1,
            decoders: 1,
            max_pixels: 1 << 28,
            shard: None,
        };
        let e = evaluate(&on, &runner, &data, &o, |_, _| true).unwrap();
        let r = &e.result;
        let what = format!("{model} -points {points}");
        assert!(e.warnings.is_empty(), "{what}: {:?}", e.warnings);
        // darknet prints mAP with %f, every rate with %1.2f and the APs in percent with %2.2f
        assert_eq!(
            format!("{:.6}", r.map),
            format!("{:.6}", run["map"].as_f64().unwrap()),
            "{what}"
        );
        let refs = run["classes"].as_array().unwrap();
        assert_eq!(r.classes.len(), 80);
        for c in &r.classes {
            let rc = refs.iter().find(|x| x["class_id"] == c.class_id);
            let (ap, tp, fp) = rc.map_or((0.0, 0, 0), |x| {
                (
                    x["ap"].as_f64().unwrap(),
                    x["tp"].as_u64().unwrap() as usize,
                    x["fp"].as_u64().unwrap() as usize,
                )
            });
            assert_eq!(
                (pct(c.ap), c.tp, c.fp),
                (pct(ap), tp, fp),
                "{what} class {}",
                c.class_id
            );
        }
        let two = |v: f32| format!("{v:.2}");
        let rf = |k: &str| run[k].as_f64().unwrap() as f32;
        assert_eq!(
            (two(r.precision), two(r.recall), two(r.f1)),
            (two(rf("precision")), two(rf("recall")), two(rf("f1"))),
            "{what}"
        );
        let count = |k: &str| run[k].as_u64().unwrap() as usize;
        assert_eq!(
            (r.tp, r.fp, r.fn_, r.truths),
            (count("tp"), count("fp"), count("fn"), count("truths")),
            "{what}"
        );
        // average IoU: csplens's boxes are within ~4e-4 of darknet's (its yolov3-tiny boxes
        // on bus.jpg, darknet-detections-bus.json), and the labels are darknet's own boxes
        // for the unmoved persons (IoU 1.0 there): the mean may differ by that much
        assert!(
            (r.average_iou - rf("average_iou")).abs() < 1e-3,
            "{what}: average IoU {} against {}",
            r.average_iou,
            rf("average_iou")
        );
        // the printed lines, as darknet printed them (the average IoU line as above)
        let ours = report::table(r, 0.5, 0.25);
        let theirs = darknet_lines(model, points);
        for line in &theirs {
            if line.contains("average IoU") {
                continue;
            }
            assert!(
                ours.lines().any(|l| l == line),
                "{what}: darknet's line not printed: {line:?}"
            );
        }
        assert_eq!(
            ours.lines().filter(|l| l.starts_with("class_id")).count(),
            80
        );
        // COCO in the same pass, on csplens's own `detector valid` detections: within 0.005 of
        // pycocotools' figures on darknet's (the boxes differ by ~2e-5 of the image)
        let c = &reference["coco"][model];
        for (ours, key) in [
            (e.coco.ap, "ap"),
            (e.coco.ap50, "ap50"),
            (e.coco.ap75, "ap75"),
            (e.coco.ap_small, "ap_small"),
            (e.coco.ap_medium, "ap_medium"),
            (e.coco.ap_large, "ap_large"),
        ] {
            let theirs = c[key].as_f64().unwrap();
            assert!(
                (ours - theirs).abs() < 0.005,
                "{what} coco {key}: {ours} against {theirs}"
            );
        }
        // the JSON shape
        let doc = report::json(&e, "c", "w", 0.5, 0.25);
        let mut keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "at_thresh",
                "cfg",
                "classes",
                "coco",
                "images",
                "iou_thresh",
                "map",
                "map_labelled",
                "misses",
                "points",
                "thresh",
                "timing",
                "truths",
                "weights"
            ]
        );
        // every miss explained: one per label no detection above the threshold found
        assert_eq!(e.misses.len(), r.fn_, "{what}");
        if model == "yolov4-tiny" {
            // the labels whose best anchor is yolov4-tiny's unused anchor 0 (10×14): the car
            // and the small person on bus.jpg, the small tie on zidane.jpg
            let no_anchor: Vec<_> = (e.misses.iter())
                .filter(|(_, m)| m.reason == Reason::NoAnchor)
                .map(|(_, m)| (m.class_id, m.anchor, m.head))
                .collect();
            assert_eq!(
                no_anchor,
                [(2, Some(0), None), (0, Some(0), None), (27, Some(0), None)]
            );
        }
        // the mean over the labelled classes (person, car, bus, tie)
        let labelled: Vec<f64> = r
            .classes
            .iter()
            .filter(|c| c.truths > 0)
            .map(|c| c.ap)
            .collect();
        assert_eq!(labelled.len(), 4);
        let mean = labelled.iter().sum::<f64>() / 4.0;
        assert!((r.map_labelled.unwrap() - mean).abs() < 1e-12);
        assert!((r.map - labelled.iter().sum::<f64>() / 80.0).abs() < 1e-12);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn three_shards_merged_give_the_numbers_of_one_run() {
    let dir = std::env::temp_dir().join(format!("csplens-shards-{}", std::process::id()));
    let names = ["bus", "zidane", "bus2", "zidane2", "bus3"];
    let data = DataFile::read(&dataset_of(&dir, &names)).unwrap();
    let a = models::analysis("yolov4-tiny");
    let w = csplens::weights::read(
        &models::file("yolov4-tiny", "weights"),
        &a.network,
        &a.shapes,
    )
    .unwrap();
    let runner = Runner::new(
        &RunOptions::new(BackendChoice::Cpu, Precision::F32, 2),
        &a,
        &w,
    )
    .unwrap()
    .0;
    let options = |points, shard| EvalOptions {
        points,
        iou_thresh: 0.5,
        thresh: 0.25,
        batch: 2,
        decoders: 1,
        max_pixels: 1 << 28,
        shard,
    };
    let one = evaluate(&a, &runner, &data, &options(0, None), |_, _| true).unwrap();
    // 3 bus.jpg copies (8 labels each) and 2 zidane.jpg copies (5 each)
    assert_eq!((one.result.images, one.result.truths), (5, 3 * 8 + 2 * 5));
    // each shard through its raw file's text, merged in another order
    let mut raws = Vec::new();
    for k in [2, 0, 1] {
        let part = evaluate(&a, &runner, &data, &options(0, Some((k, 3))), |_, _| true).unwrap();
        assert_eq!(part.result.images, if k == 2 { 1 } else { 2 });
        let text = serde_json::to_string(&shard::raw(&part, (k, 3))).unwrap();
        raws.push((format!("shard{k}"), shard::parse("raw", &text).unwrap()));
    }
    let merged = shard::merge(&raws, 0).unwrap();
    assert_eq!(merged.result, one.result);
    assert_eq!(merged.misses, one.misses);
    assert_eq!(merged.coco, one.coco);
    // and by the other rules, from the same shards
    for points in [11, 101] {
        let again = evaluate(&a, &runner, &data, &options(points, None), |_, _| true).unwrap();
        assert_eq!(shard::merge(&raws, points).unwrap().result, again.result);
    }
    // a shard twice is refused
    let twice = [raws[0].clone(), raws[0].clone()];
    assert!(shard::merge(&twice, 0).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn anchors_from_the_dev_labels_reach_darknets_avg_iou_and_apply_to_the_cfg() {
    use csplens::eval::anchors::{anchors, avg_iou, label_sizes};
    let dir = std::env::temp_dir().join(format!("csplens-anchors-{}", std::process::id()));
    let data_path = dataset(&dir);
    let data = DataFile::read(&data_path).unwrap();
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(map_dev().join("reference.json")).unwrap())
            .unwrap();
    let calc = &reference["calc_anchors"];
    // darknet's calc_anchors -num_of_clusters 6 -width 416 -height 416 on the same 13 labels
    let sizes = label_sizes(&data, 416, 416).unwrap();
    assert_eq!(sizes.len(), 13);
    let found = anchors(&sizes, 6, 20, 1);
    assert_eq!(found.len(), 6);
    let ours = avg_iou(&sizes, &found);
    let darknets = calc["avg_iou"].as_f64().unwrap() as f32;
    assert!(
        ours >= darknets,
        "avg IoU {ours} below darknet's {darknets}"
    );
    // sorted by area, whole pixels as written into a cfg
    assert!(found.windows(2).all(|w| w[0].0 * w[0].1 <= w[1].0 * w[1].1));
    assert!(
        found
            .iter()
            .all(|(w, h)| w.fract() == 0.0 && h.fract() == 0.0)
    );
    // darknet's own anchors score what darknet printed (its figure is of its unrounded
    // centres; the rounded ones it writes are within a point of it)
    let listed: Vec<f32> = (calc["anchors"].as_array().unwrap().iter())
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    let theirs: Vec<(f32, f32)> = listed.chunks(2).map(|c| (c[0], c[1])).collect();
    assert!((avg_iou(&sizes, &theirs) - darknets).abs() < 0.01);

    // check-data's anchors-fit: yolov4-tiny's anchors against k-means' on the same labels
    let v4 = models::analysis("yolov4-tiny");
    let geo = csplens::eval::misses::Geometry::of(&v4).unwrap();
    let fit = csplens::eval::check::anchors_fit(&data, (416, 416), &geo.anchors).unwrap();
    assert_eq!(fit.code, "anchors-fit");
    let current = avg_iou(&sizes, &geo.anchors);
    assert!(current < ours);
    assert!(
        fit.message.contains(&format!(
            "avg IoU {:.2} %; k-means' reach {:.2} %",
            current * 100.0,
            ours * 100.0
        )),
        "{}",
        fit.message
    );
    assert!(fit.fix.is_some());
    // --apply on yolov4-tiny: anchors, the masks by stride (the 13×13 head the largest
    // three), filters unchanged (3 per head), every other byte kept, and the doctor's
    // anchor findings gone
    let cfg = models::file("yolov4-tiny", "cfg");
    let out = dir.join("tuned.cfg");
    let run = Command::new(env!("CARGO_BIN_EXE_csplens"))
        .args(["anchors", "--data", data_path.to_str().unwrap(), "--cfg"])
        .arg(&cfg)
        .args(["--apply", "-o"])
        .arg(&out)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // the JSON shape, the last two with --cfg
    let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
    let mut keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["anchors", "avg_iou", "current_avg_iou", "masks"]);
    assert_eq!(doc["masks"], serde_json::json!([[3, 4, 5], [0, 1, 2]]));
    let text = std::fs::read_to_string(&out).unwrap();
    let before = std::fs::read_to_string(&cfg).unwrap();
    let changed: Vec<(&str, &str)> = (before.lines().zip(text.lines()))
        .filter(|(a, b)| a != b)
        .collect();
    // two anchors lines and one mask line (the first head's 3,4,5 stays)
    assert_eq!(changed.len(), 3, "{changed:?}");
    assert!(
        changed
            .iter()
            .any(|(a, b)| *a == "mask = 1,2,3" && *b == "mask = 0,1,2")
    );
    let a = csplens::analyze("tuned.cfg", text.as_bytes(), Default::default()).unwrap();
    let y = a.network.layers[30].kind.yolo().unwrap();
    assert_eq!(y.mask, [3, 4, 5]);
    let lint = csplens::doctor::lint("tuned.cfg", &text, &Default::default());
    assert!(
        lint.findings
            .iter()
            .all(|f| f.code != "mask-overlap" && f.code != "anchors-unused")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// darknet's `detector valid` files (`comp4_det_test_CLASS.txt`: image, score, VOC corners
/// 1-based) of `model` on the dev images, as COCO images with the dev labels.
fn darknet_valid(model: &str, shift: f64) -> Vec<csplens::eval::coco::CocoImage> {
    use csplens::eval::coco::{CocoImage, PixelRect, label_box};
    let names = csplens::detect::parse_names(
        &std::fs::read_to_string(models::dir().join("yolov4-tiny/coco.names")).unwrap(),
    );
    let mut out = Vec::new();
    for name in ["bus", "zidane"] {
        let im = csplens::detect::image::decode(
            &std::fs::read(models::image(&format!("{name}.jpg"))).unwrap(),
        )
        .unwrap();
        let labels =
            csplens::eval::data::read_labels(&map_dev().join(format!("{name}.txt")), 80).unwrap();
        let mut image = CocoImage {
            truths: labels
                .iter()
                .map(|l| (l.class_id, label_box(l.x, l.y, l.w, l.h, im.w, im.h)))
                .collect(),
            detections: Vec::new(),
        };
        for (c, class) in names.iter().enumerate() {
            let file = map_dev().join(format!("valid-{model}/comp4_det_test_{class}.txt"));
            for line in std::fs::read_to_string(file).unwrap().lines() {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f[0] != name {
                    continue;
                }
                let v: Vec<f64> = f[1..].iter().map(|x| x.parse().unwrap()).collect();
                let r = PixelRect {
                    x: v[1] - shift,
                    y: v[2] - shift,
                    w: v[3] - v[1],
                    h: v[4] - v[2],
                };
                image.detections.push((c, v[0], r));
            }
        }
        out.push(image);
    }
    out
}

#[test]
fn coco_eval_on_darknets_valid_files_is_pycocotools() {
    // the reference's COCO figures are pycocotools' on these files (the VOC corners made
    // 0-based again): the port gives them to the last bits
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(map_dev().join("reference.json")).unwrap())
            .unwrap();
    for model in ["yolov4-tiny", "yolov3-tiny"] {
        let s = csplens::eval::coco::evaluate(&darknet_valid(model, 1.0));
        let r = &reference["coco"][model];
        for (ours, key) in [
            (s.ap, "ap"),
            (s.ap50, "ap50"),
            (s.ap75, "ap75"),
            (s.ap_small, "ap_small"),
            (s.ap_medium, "ap_medium"),
            (s.ap_large, "ap_large"),
        ] {
            let theirs = r[key].as_f64().unwrap();
            assert!(
                (ours - theirs).abs() < 1e-12,
                "{model} {key}: {ours} against {theirs}"
            );
        }
    }
}
