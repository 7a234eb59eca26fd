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

/// yolov4-tiny's heads as the detection view draws them, and where each bus.jpg detection
/// came from. Anchors (cfg): 10,14 23,27 37,58 81,82 135,169 344,319; the 13×13 head masks
/// 3,4,5 and the 26×26 head 1,2,3; strides 416/13 = 32 and 416/26 = 16; receptive fields 331
/// and 299 (worked out in tests/profiler.rs).
#[test]
fn heads_cells_anchors_and_each_detections_origin() {
    use csplens::detect::overlay;
    let a = models::analysis("yolov4-tiny");
    let heads = overlay::heads(&a);
    assert_eq!(heads.len(), 2);
    let h0 = &heads[0];
    assert_eq!(
        (h0.layer, h0.grid, h0.stride, h0.receptive),
        (30, (13, 13), 32, 331)
    );
    assert_eq!(
        h0.anchors,
        vec![(3, 81.0, 82.0), (4, 135.0, 169.0), (5, 344.0, 319.0)]
    );
    let h1 = &heads[1];
    assert_eq!(
        (h1.layer, h1.grid, h1.stride, h1.receptive),
        (37, (26, 26), 16, 299)
    );
    assert_eq!(
        h1.anchors,
        vec![(1, 23.0, 27.0), (2, 37.0, 58.0), (3, 81.0, 82.0)]
    );
    // bus.jpg is stretched to 416²: cell (6, 6) of 13 is centred at (6.5/13, 6.5/13) = (0.5,
    // 0.5) of the image, anchor 81×82 spans 81/416 × 82/416 of it, the receptive field 331/416
    let geo = detect::geometry(&a, 810, 1080);
    let v = overlay::cell_view(h0, &geo, 6, 6);
    let near = |a: f32, b: f32| (a - b).abs() < 1e-5;
    assert!(near(v.cell.x, 0.5) && near(v.cell.y, 0.5) && near(v.cell.w, 1.0 / 13.0));
    assert_eq!(v.anchors[0].0, 3);
    assert!(near(v.anchors[0].1.w, 81.0 / 416.0) && near(v.anchors[0].1.h, 82.0 / 416.0));
    assert!(near(v.receptive.w, 331.0 / 416.0) && near(v.receptive.x, 0.5));
    assert_eq!(overlay::cell_at(h0, &geo, 0.5, 0.5), Some((6, 6)));
    assert_eq!(overlay::cell_at(h1, &geo, 0.999, 0.0), Some((25, 0)));
    let (xs, ys) = overlay::grid_lines(h0, &geo);
    assert_eq!((xs.len(), ys.len()), (14, 14));
    assert!(near(xs[0], 0.0) && near(xs[13], 1.0));
    // letterboxed (letter_box=1): 810×1080 fits 416² as 312×416 (810·416/1080 = 312), bars of
    // 52 px; network-relative 0 lies at image-relative −52/312 = −1/6, 1 at 7/6
    let text = std::fs::read_to_string(models::file("yolov4-tiny", "cfg"))
        .unwrap()
        .replacen("[net]", "[net]\nletter_box=1", 1);
    let boxed = csplens::analyze("lb.cfg", text.as_bytes(), Default::default()).unwrap();
    let lb = detect::geometry(&boxed, 810, 1080);
    let (xs, _) = overlay::grid_lines(&overlay::heads(&boxed)[0], &lb);
    assert!(near(xs[0], -1.0 / 6.0) && near(xs[13], 7.0 / 6.0), "{xs:?}");
    // the image's left edge is network-relative 52/416 = 1/8: column ⌊13/8⌋ = 1
    assert_eq!(overlay::cell_at(h0, &lb, 0.0, 0.5), Some((1, 6)));
    // every bus detection names its head, cell and anchor; its centre lies in that cell, or
    // within yolov4-tiny's scale_x_y = 1.05 margin of it
    let (dets, w, h) = run("yolov4-tiny", "bus.jpg");
    for d in &dets {
        let head = heads
            .iter()
            .find(|x| x.layer == d.origin.layer)
            .expect("a head");
        assert!(
            head.anchors.iter().any(|&(i, _, _)| i == d.origin.anchor),
            "{d:?}"
        );
        let cx = (d.bbox.left + d.bbox.width / 2.0) / w as f32 * head.grid.0 as f32;
        let cy = (d.bbox.top + d.bbox.height / 2.0) / h as f32 * head.grid.1 as f32;
        assert!((cx - (d.origin.col as f32 + 0.5)).abs() <= 0.53, "{d:?}");
        assert!((cy - (d.origin.row as f32 + 0.5)).abs() <= 0.53, "{d:?}");
    }
}
