//! An evaluation as darknet prints it (its lines, so users can diff them) with csplens's
//! additions, and as JSON (every rate a fraction, 0..1).

use super::map::MapResult;
use super::run::Evaluation;
use serde_json::{Value, json};

/// A float as C's `printf` writes a NaN (glibc: `-nan` for 0/0).
fn c_float(v: f64, decimals: usize) -> String {
    if v.is_nan() {
        "-nan".into()
    } else {
        format!("{v:.decimals$}")
    }
}

/// darknet's `detector map` lines, then the mean over labelled classes and why it differs.
pub fn table(r: &MapResult, iou_thresh: f32, thresh: f32) -> String {
    let mut out = String::new();
    for c in &r.classes {
        out += &format!(
            "class_id = {}, name = {}, ap = {:.2}%   \t (TP = {}, FP = {}) \n",
            c.class_id,
            c.name,
            c.ap * 100.0,
            c.tp,
            c.fp
        );
    }
    let f = |v: f32| c_float(f64::from(v), 2);
    out += &format!(
        "\n for conf_thresh = {thresh:.2}, precision = {}, recall = {}, F1-score = {} \n",
        f(r.precision),
        f(r.recall),
        f(r.f1)
    );
    out += &format!(
        " for conf_thresh = {thresh:.2}, TP = {}, FP = {}, FN = {}, average IoU = {:.2} % \n",
        r.tp,
        r.fp,
        r.fn_,
        r.average_iou * 100.0
    );
    let how = if r.points > 0 {
        format!("used {} Recall-points", r.points)
    } else {
        "used Area-Under-Curve for each unique Recall".to_string()
    };
    out += &format!(
        "\n IoU threshold = {:.0} %, {how} \n mean average precision (mAP@{iou_thresh:.2}) = {:.6}, or {:.2} % \n",
        iou_thresh * 100.0,
        r.map,
        r.map * 100.0
    );
    out += &labelled_line(r);
    out
}

/// COCO's figures as pycocotools' `summarize` prints the first six.
pub fn coco_table(c: &super::coco::CocoStats) -> String {
    let line = |iou: &str, area: &str, v: f64| {
        format!(
            " Average Precision  (AP) @[ IoU={iou:<9} | area={area:>6} | maxDets=100 ] = {v:.3}\n"
        )
    };
    let mut out =
        String::from("\n COCO (pycocotools' COCOeval on darknet's `detector valid` detections):\n");
    out += &line("0.50:0.95", "all", c.ap);
    out += &line("0.50", "all", c.ap50);
    out += &line("0.75", "all", c.ap75);
    out += &line("0.50:0.95", "small", c.ap_small);
    out += &line("0.50:0.95", "medium", c.ap_medium);
    out += &line("0.50:0.95", "large", c.ap_large);
    out
}

/// The mean over labelled classes, and one sentence on why it differs from darknet's.
fn labelled_line(r: &MapResult) -> String {
    let labelled = r.classes.iter().filter(|c| c.truths > 0).count();
    let Some(m) = r.map_labelled else {
        return "\n no image has a label: there is no mean over labelled classes\n".into();
    };
    let mut line = format!(
        "\n mean average precision over the {labelled} labelled classes = {m:.6}, or {:.2} % \n",
        m * 100.0
    );
    if let Some(why) = why_means_differ(r) {
        line += &format!(" ({why})\n");
    }
    line
}

/// Why darknet's mAP differs from the mean over labelled classes; `None` when every class
/// has a label.
pub fn why_means_differ(r: &MapResult) -> Option<String> {
    let labelled = r.classes.iter().filter(|c| c.truths > 0).count();
    (labelled < r.classes.len()).then(|| {
        format!(
            "darknet's mAP divides by all {} classes; {} of them have no label in these images, so they add 0 to its sum",
            r.classes.len(),
            r.classes.len() - labelled
        )
    })
}

/// The JSON document of an evaluation.
pub fn json(e: &Evaluation, cfg: &str, weights: &str, iou_thresh: f32, thresh: f32) -> Value {
    let r = &e.result;
    let num = |v: f32| {
        if v.is_finite() {
            json!(f64::from(v))
        } else {
            Value::Null
        }
    };
    json!({
        "cfg": cfg,
        "weights": weights,
        "images": r.images,
        "truths": r.truths,
        "points": r.points,
        "iou_thresh": iou_thresh,
        "thresh": thresh,
        "map": r.map,
        "map_labelled": r.map_labelled,
        "classes": r.classes.iter().map(|c| json!({
            "class_id": c.class_id,
            "name": c.name,
            "ap": c.ap,
            "tp": c.tp,
            "fp": c.fp,
            "truths": c.truths,
        })).collect::<Vec<_>>(),
        "at_thresh": {
            "precision": num(r.precision),
            "recall": num(r.recall),
            "f1": num(r.f1),
            "tp": r.tp,
            "fp": r.fp,
            "fn": r.fn_,
            "average_iou": num(r.average_iou),
        },
        "coco": e.coco,
        "misses": e.misses.iter().map(|(_, m)| m).collect::<Vec<_>>(),
        "timing": {
            "images_per_s": e.images_per_s(),
            "seconds": e.wall.as_secs_f64(),
            "prepare_s": e.timings.prepare.as_secs_f64(),
            "forward_s": e.timings.forward.as_secs_f64(),
            "boxes_s": e.timings.boxes.as_secs_f64(),
        },
    })
}
