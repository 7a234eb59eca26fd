//! The Evaluate and Accuracy tabs: a dropped `.data` file evaluated on both networks gives
//! darknet's own `detector map` numbers (`../shared/refs/map-dev/reference.json`), the misses
//! pictured with their geometry, A and B beside their cost; a dropped folder of labelled
//! images is a dataset too, and a cancelled evaluation leaves nothing behind; anchors from the
//! labels applied to the cfg in one undo step.

use super::{common, drop_file, settle};
use csplens::eval::misses::{Geometry, Reason};
use csplens::eval::propose::{Ask, propose};
use csplens::gui::command::Command;
use csplens::gui::evaluation::Action;
use csplens::gui::evaluation::{CROPS_PER_REASON, DataSource};
use csplens::gui::slot::Slot;
use csplens::gui::{App, Tab};
use egui_kittest::Harness;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn map_dev() -> PathBuf {
    common::refs_dir().join("map-dev")
}

/// bus.jpg and zidane.jpg with their dev labels beside them, in a fresh folder (a fixed
/// path: the tab prints it, and the snapshot must not change).
fn labelled_folder(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("csplens-eval-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for n in ["bus", "zidane"] {
        std::fs::copy(
            common::models::image(&format!("{n}.jpg")),
            d.join(format!("{n}.jpg")),
        )
        .unwrap();
        std::fs::copy(
            map_dev().join(format!("{n}.txt")),
            d.join(format!("{n}.txt")),
        )
        .unwrap();
    }
    d
}

/// The folder with an obj.data listing its images (classes=80, coco.names), as darknet's
/// reference run was made.
fn data_file(dir: &Path) -> PathBuf {
    let list = dir.join("valid.txt");
    let images: Vec<String> = ["bus", "zidane"]
        .iter()
        .map(|n| format!("{}\n", dir.join(format!("{n}.jpg")).display()))
        .collect();
    std::fs::write(&list, images.concat()).unwrap();
    let names = common::models::dir().join("yolov4-tiny/coco.names");
    let data = dir.join("obj.data");
    let text = format!(
        "classes=80\ntrain={0}\nvalid={0}\nnames={1}\n",
        list.display(),
        names.display()
    );
    std::fs::write(&data, text).unwrap();
    data
}

/// darknet's `-points 0` run of `model` from the reference.
fn reference(model: &str) -> Value {
    let text = std::fs::read_to_string(map_dev().join("reference.json")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    all["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["model"] == model && r["points"] == 0)
        .cloned()
        .unwrap()
}

/// Fixed times and device in place of the measured ones (the snapshots must not change):
/// 1 image/s, 100 ms per image on A and 80 on B.
fn fix_times(h: &mut Harness<'static, App>) {
    for (k, ms) in [(0, 100), (1, 80)] {
        let doc = h.state_mut().slots[k].doc.as_mut().unwrap();
        let mut run = (**doc.evaluation.as_ref().unwrap()).clone();
        let images = run.evaluation.result.images as u32;
        run.evaluation.wall = Duration::from_secs(u64::from(images));
        run.evaluation.timings.forward = Duration::from_millis(ms) * images;
        // the thread count is the machine's
        run.backend = "cpu on CPU".into();
        doc.evaluation = Some(Arc::new(run));
    }
}

fn evaluate(h: &mut Harness<'static, App>, slots: Vec<Slot>) {
    h.state_mut().send(Command::Evaluate(Action::Run(slots)));
    settle(h);
}

#[test]
fn a_dropped_data_file_gives_darknets_map_for_a_and_b_with_misses_and_cost() {
    let mut h = super::detected();
    let dir = labelled_folder("data");
    let data = data_file(&dir);
    drop_file(&mut h, data.clone());
    assert_eq!(h.state().tab, Tab::Evaluate);
    assert_eq!(h.state().eval.source, Some(DataSource::File(data)));
    evaluate(&mut h, vec![Slot::A, Slot::B]);
    assert!(h.state().eval.job.is_none(), "the job ended");
    for (k, model) in ["yolov4-tiny", "yolov3-tiny"].into_iter().enumerate() {
        let doc = h.state().slots[k].doc.as_ref().unwrap();
        let run = doc.evaluation.as_ref().expect("evaluated");
        let r = &run.evaluation.result;
        let want = reference(model);
        // darknet prints the mAP with %f
        assert_eq!(
            format!("{:.6}", r.map),
            format!("{:.6}", want["map"].as_f64().unwrap()),
            "{model}"
        );
        assert_eq!(r.tp as u64, want["tp"].as_u64().unwrap(), "{model}");
        assert_eq!(r.fp as u64, want["fp"].as_u64().unwrap(), "{model}");
        assert_eq!(r.fn_ as u64, want["fn"].as_u64().unwrap(), "{model}");
        // every miss explained, the first of each reason pictured
        let misses = &run.evaluation.misses;
        assert_eq!(misses.len(), r.fn_, "{model}");
        let expected_crops: usize = Reason::ALL
            .iter()
            .map(|&why| {
                let n = misses.iter().filter(|m| m.1.reason == why).count();
                n.min(CROPS_PER_REASON)
            })
            .sum();
        assert_eq!(run.crops.len(), expected_crops, "{model}");
        let geo = Geometry::of(&doc.analysis).unwrap();
        for c in &run.crops {
            let m = &misses[c.miss].1;
            // the label's part inside the image lies in the pictured region (to the pixel it
            // was cut at; some dev labels reach past the image's edges)
            let (iw, ih) = image::image_dimensions(&m.image).unwrap();
            let [x, y, w, hh] = c.label;
            let [rx, ry, rw, rh] = c.region;
            assert!(
                x.max(0.0) + 1.0 >= rx && y.max(0.0) + 1.0 >= ry,
                "{model}: {:?} in {:?}",
                c.label,
                c.region
            );
            let (right, bottom) = ((x + w).min(iw as f32), (y + hh).min(ih as f32));
            assert!(
                right <= rx + rw + 1.0 && bottom <= ry + rh + 1.0,
                "{model}: {:?} in {:?}",
                c.label,
                c.region
            );
            // the cell is the head's stride at the input, mapped back to the image
            if let (Some(cell), Some(layer)) = (c.cell, m.head) {
                let (stride, _) = geo.head(layer).unwrap();
                // input pixels per image pixel, from the label's two widths
                let scale = m.size_px[0] / w;
                let expected = stride as f32 / scale;
                assert!(
                    (cell[2] - expected).abs() < 0.01 * expected,
                    "{model}: cell {cell:?}, stride {stride}"
                );
            }
        }
        assert_eq!(run.report.counts.images, 2);
        assert_eq!(run.report.counts.labels, 13);
    }
    // the Evaluate tab on A, the person class's curve, and the accuracy beside the cost
    fix_times(&mut h);
    h.state_mut()
        .send(Command::Evaluate(Action::Class(Some(0))));
    settle(&mut h);
    h.snapshot("evaluate");
    h.state_mut().send(Command::ShowTab(Tab::Accuracy));
    settle(&mut h);
    h.snapshot("accuracy");
}

#[test]
fn a_dropped_folder_is_a_dataset_with_the_networks_classes() {
    let mut h = super::detected();
    let dir = labelled_folder("folder");
    h.state_mut().send(Command::ShowTab(Tab::Evaluate));
    settle(&mut h);
    drop_file(&mut h, dir.clone());
    assert_eq!(h.state().eval.source, Some(DataSource::Folder(dir.clone())));
    assert!(
        h.state().doc().unwrap().gallery.is_none(),
        "not the gallery"
    );
    evaluate(&mut h, vec![Slot::A]);
    let run = h
        .state()
        .doc()
        .unwrap()
        .evaluation
        .clone()
        .expect("evaluated");
    let want = reference("yolov4-tiny");
    // the same images and labels as the .data file, classes=80 from the heads
    assert_eq!(run.evaluation.result.classes.len(), 80);
    assert_eq!(
        format!("{:.6}", run.evaluation.result.map),
        format!("{:.6}", want["map"].as_f64().unwrap())
    );
    assert_eq!(
        run.evaluation.names[0], "person",
        "names from the network's .names"
    );
    // the next start evaluates on the same folder
    let saved = h.state().session();
    assert_eq!(saved.dataset.as_ref(), Some(&dir));
    let mut again = App::default();
    again.restore(&saved);
    assert_eq!(again.eval.source, Some(DataSource::Folder(dir)));
    // an evaluation cancelled at once leaves nothing behind (the last one stays)
    let before = h.state().slots[1]
        .doc
        .as_ref()
        .unwrap()
        .evaluation
        .is_none();
    h.state_mut()
        .send(Command::Evaluate(Action::Run(vec![Slot::A, Slot::B])));
    h.state_mut().send(Command::Evaluate(Action::Cancel));
    settle(&mut h);
    assert!(h.state().eval.job.is_none());
    assert!(h.state().jobs.running().is_empty());
    assert!(
        before
            && h.state().slots[1]
                .doc
                .as_ref()
                .unwrap()
                .evaluation
                .is_none()
    );
    let kept = h.state().doc().unwrap().evaluation.clone().unwrap();
    assert!(
        Arc::ptr_eq(&kept, &run),
        "A's evaluation is the earlier one"
    );
}

#[test]
fn anchors_from_labels_apply_to_the_cfg_as_one_undo_step() {
    let mut h = super::detected();
    let dir = labelled_folder("anchors");
    let data = data_file(&dir);
    drop_file(&mut h, data.clone());
    h.state_mut()
        .send(Command::Evaluate(Action::ComputeAnchors(Slot::A)));
    settle(&mut h);
    let state = h.state().eval.anchors.clone().expect("proposed");
    let got = state.proposal.clone().unwrap();
    // the library's answer on the same labels and heads
    let doc = h.state().doc().unwrap();
    let geo = Geometry::of(&doc.analysis).unwrap();
    let d = csplens::eval::DataFile::read(&data).unwrap();
    let want = propose(&d, Some(&geo), Ask::default()).unwrap();
    assert_eq!(got, want);
    assert_eq!(got.anchors.len(), 6, "yolov4-tiny's count");
    let before = doc.source.text().to_string();
    h.state_mut().send(Command::Evaluate(Action::ApplyAnchors));
    h.state_mut().flush_edits();
    settle(&mut h);
    let doc = h.state().doc().unwrap();
    let (w, hh) = got.anchors[0];
    assert!(
        doc.source.text().contains(&format!("anchors = {w},{hh},")),
        "{}",
        doc.source.text()
    );
    assert!(doc.source.is_dirty(), "edited, not saved");
    let applied = Geometry::of(&doc.analysis).unwrap();
    assert_eq!(
        applied.anchors, got.anchors,
        "re-analysed with the new anchors"
    );
    h.state_mut().send(Command::Undo(Slot::A));
    h.state_mut().flush_edits();
    settle(&mut h);
    assert_eq!(h.state().doc().unwrap().source.text(), before);
}
