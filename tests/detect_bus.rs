//! bus.jpg through yolov4-tiny and yolov3-tiny on the CPU backend gives darknet's detections
//! (`../shared/refs/darknet-detections-bus.json`): same classes, confidence within 0.01,
//! boxes within 2 px.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::models;
use csplens::backend::cpu::CpuNet;
use csplens::detect::{self, Detection, Params, image};
use serde_json::Value;

fn run(model: &str, img: &str) -> (Vec<Detection>, usize, usize) {
    let a = models::analysis(model);
    let w = csplens::weights::read(&models::file(model, "weights"), &a.network, &a.shapes)
        .expect("weights");
    let net = CpuNet::new(&a, &w, rayon::current_num_threads()).expect("cpu net");
    let im = image::decode(&std::fs::read(models::image(img)).unwrap()).expect("image");
    let names = detect::parse_names(
        &std::fs::read_to_string(models::dir().join(model).join("coco.names")).unwrap(),
    );
    let fwd = net
        .forward(&detect::network_input(&a, &im))
        .expect("forward");
    (
        detect::detect(&a, &fwd, im.w, im.h, &Params::default(), &names),
        im.w,
        im.h,
    )
}

#[test]
fn bus_matches_darknet_for_both_models() {
    let refs: Value = serde_json::from_slice(
        &std::fs::read(common::refs_dir().join("darknet-detections-bus.json")).unwrap(),
    )
    .unwrap();
    for entry in refs["entries"].as_array().unwrap() {
        let model = entry["model"].as_str().unwrap();
        let (ours, w, h) = run(model, "bus.jpg");
        assert_eq!([w, h], [810, 1080]);
        let want = entry["out_json"].as_array().unwrap();
        assert_eq!(ours.len(), want.len(), "{model}: {ours:#?}");
        for d in want {
            let class = d["class_id"].as_u64().unwrap() as usize;
            let (l, t) = (
                d["left_x_px"].as_f64().unwrap() as f32,
                d["top_y_px"].as_f64().unwrap() as f32,
            );
            let m = ours
                .iter()
                .filter(|o| o.class_id == class)
                .min_by(|a, b| {
                    ((a.bbox.left - l).abs() + (a.bbox.top - t).abs())
                        .total_cmp(&((b.bbox.left - l).abs() + (b.bbox.top - t).abs()))
                })
                .unwrap_or_else(|| panic!("{model}: no {class} detection"));
            assert_eq!(m.class, d["class"].as_str().unwrap());
            let conf = d["confidence"].as_f64().unwrap() as f32;
            assert!(
                (m.confidence - conf).abs() <= 0.01,
                "{model} {}: confidence {} vs {conf}",
                m.class,
                m.confidence
            );
            for (ours, theirs) in [
                (m.bbox.left, l),
                (m.bbox.top, t),
                (m.bbox.width, d["width_px"].as_f64().unwrap() as f32),
                (m.bbox.height, d["height_px"].as_f64().unwrap() as f32),
            ] {
                assert!(
                    (ours - theirs).abs() <= 2.0,
                    "{model} {}: box {:?} vs {d}",
                    m.class,
                    m.bbox
                );
            }
        }
    }
}

#[test]
fn zidane_finds_zidane_and_his_tie() {
    let (dets, w, h) = run("yolov4-tiny", "zidane.jpg");
    assert_eq!([w, h], [1280, 720]);
    // Zidane (right half) and his tie; yolov4-tiny at 416² does not find the man on the left.
    let zidane = dets
        .iter()
        .find(|d| d.class == "person" && d.confidence > 0.5)
        .expect("a person");
    assert!(
        zidane.bbox.left + zidane.bbox.width / 2.0 > 640.0,
        "{dets:#?}"
    );
    assert!(dets.iter().any(|d| d.class == "tie"), "{dets:#?}");
}
