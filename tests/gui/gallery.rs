//! The gallery: a dropped folder runs through the network (a bad image named, the rest
//! counted), exports darknet's JSON, opens a tile in the detection view, and a run can be
//! cancelled.

use super::{Dropped, detected, drop_file, settle};
use csplens::gui::Tab;
use egui_kittest::kittest::Queryable;
use std::path::PathBuf;
use std::sync::Arc;

fn folder(name: &str, images: &[(&str, &str)]) -> PathBuf {
    let d = std::env::temp_dir().join(format!("csplens-gallery-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for (from, to) in images {
        std::fs::copy(super::common::models::image(from), d.join(to)).unwrap();
    }
    d
}

#[test]
fn a_dropped_folder_fills_the_gallery_exports_json_and_opens_a_tile() {
    let mut h = detected();
    let bus_count = h
        .state()
        .doc()
        .unwrap()
        .detection
        .as_ref()
        .unwrap()
        .detections
        .len();
    let dir = folder(
        "fill",
        &[("bus.jpg", "bus.jpg"), ("zidane.jpg", "zidane.jpg")],
    );
    std::fs::write(dir.join("broken.jpg"), b"\xff\xd8 not a jpeg").unwrap();
    drop_file(&mut h, dir.clone());
    assert_eq!(h.state().tab, Tab::Gallery);
    let g = h.state().doc().unwrap().gallery.clone().unwrap();
    let names: Vec<_> = g
        .paths
        .iter()
        .map(|p| p.file_name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["broken.jpg", "bus.jpg", "zidane.jpg"]);
    assert_eq!((g.done(), g.failed()), (3, 1));
    assert!(g.seconds.is_some(), "the run ended");
    // the folder's bus.jpg counts what the single-image run found
    let bus = g.items[1].as_ref().unwrap().as_ref().unwrap();
    assert_eq!(bus.count, bus_count);
    assert!(
        bus.thumb.w <= 96 && bus.thumb.h == 96,
        "{}×{}",
        bus.thumb.w,
        bus.thumb.h
    );
    // darknet's JSON of the images that ran
    let json: serde_json::Value = serde_json::from_str(&h.state().gallery_json().unwrap()).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["frame_id"], 1);
    assert!(
        entries[0]["filename"]
            .as_str()
            .unwrap()
            .ends_with("bus.jpg")
    );
    assert_eq!(entries[0]["objects"].as_array().unwrap().len(), bus_count);
    // a fixed duration for the picture: 3 images in 2 s
    if let Some(g) = h.state_mut().slots[0]
        .doc
        .as_mut()
        .unwrap()
        .gallery
        .as_mut()
    {
        g.seconds = Some(2.0);
    }
    h.run_steps(3);
    h.get_by_label("3 of 3 images (done) · 1.5 images/s");
    h.snapshot("gallery");
    // a tile opens its image in the detection view
    h.get_by_label("zidane.jpg").click();
    settle(&mut h);
    assert_eq!(h.state().tab, Tab::Detection);
    let run = h.state().doc().unwrap().detection.clone().unwrap();
    assert!(run.path.ends_with("zidane.jpg"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_gallery_run_can_be_cancelled() {
    let mut h = detected();
    let copies: Vec<(&str, String)> = (0..6).map(|i| ("bus.jpg", format!("bus{i}.jpg"))).collect();
    let pairs: Vec<(&str, &str)> = copies.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let dir = folder("cancel", &pairs);
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(dir.clone())));
    h.run_steps(2);
    let job = h
        .state()
        .jobs
        .running()
        .iter()
        .find(|j| j.name == "detect 6 images")
        .cloned();
    let job = job.expect("the gallery job runs");
    h.state_mut().jobs.cancel(job.id);
    settle(&mut h);
    assert!(h.state().jobs.running().is_empty());
    let g = h.state().doc().unwrap().gallery.clone().unwrap();
    assert!(g.done() < 6, "stopped early: {} done", g.done());
    assert!(g.seconds.is_none(), "a cancelled run's end is dropped");
    let _ = std::fs::remove_dir_all(&dir);
}
