//! Darknet's own output formats for `detector test`: the `-out` JSON (`detection_to_json`, one
//! entry per image, one object per class above the threshold, boxes in the order NMS left
//! them) and the `-ext_output` lines (`draw_detections_v3`: boxes left to right, each box's
//! best class first, then its other classes above the threshold in class order).

use super::boxes::Candidate;

/// darknet's floor in `detection_to_json` (boxes were already thresholded).
const JSON_THRESH: f32 = 0.005;

/// Class `j`'s name as darknet prints it (the index when the names file has no line for it).
fn name(names: &[String], j: usize) -> String {
    names.get(j).cloned().unwrap_or_else(|| j.to_string())
}

/// darknet skips classes whose name starts with `dont_show` in every output.
fn shown(names: &[String], j: usize) -> bool {
    !name(names, j).starts_with("dont_show")
}

/// A string as a JSON string literal (darknet writes the file name raw; we escape it so the
/// file stays valid JSON for any name).
fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// One image's entry of darknet's `-out` file, byte for byte as `detection_to_json` writes it
/// (six decimals, its spacing and line breaks); `frame_id` counts images from 1.
pub fn json_entry(
    frame_id: usize,
    filename: &str,
    boxes: &[Candidate],
    names: &[String],
) -> String {
    let mut out = format!(
        "{{\n \"frame_id\":{frame_id}, \n \"filename\":{}, \n \"objects\": [ \n",
        quoted(filename)
    );
    let mut first = true;
    for b in boxes {
        for (j, &p) in b.prob.iter().enumerate() {
            if p > JSON_THRESH && shown(names, j) {
                if !first {
                    out += ", \n";
                }
                first = false;
                let r = b.bbox;
                out += &format!(
                    "  {{\"class_id\":{j}, \"name\":{}, \"relative_coordinates\":{{\"center_x\":{:.6}, \"center_y\":{:.6}, \"width\":{:.6}, \"height\":{:.6}}}, \"confidence\":{p:.6}}}",
                    quoted(&name(names, j)),
                    r.x,
                    r.y,
                    r.w,
                    r.h
                );
            }
        }
    }
    out + "\n ] \n}"
}

/// The whole `-out` file from its entries: `[`, the entries separated by `, `, `]`.
pub fn json_file(entries: &[String]) -> String {
    format!("[\n{}\n]", entries.join(", \n"))
}

/// The lines darknet prints for one image of `img_w × img_h` pixels: `class: NN%`, with
/// `-ext_output` (`coords`) followed by `(left_x: … top_y: … width: … height: …)`, the
/// coordinates rounded half away from zero.
pub fn printed(
    boxes: &[Candidate],
    names: &[String],
    thresh: f32,
    img_w: usize,
    img_h: usize,
    coords: bool,
) -> String {
    let best = |b: &Candidate| {
        (b.prob.iter().enumerate())
            .filter(|&(j, &p)| p > thresh && shown(names, j))
            .fold(None::<(usize, f32)>, |m, (j, &p)| match m {
                Some((_, q)) if q >= p => m,
                _ => Some((j, p)),
            })
    };
    let mut selected: Vec<(&Candidate, usize)> = (boxes.iter())
        .filter_map(|b| best(b).map(|(j, _)| (b, j)))
        .collect();
    // left edges ascending (a stable sort keeps NMS's order for equal edges)
    selected.sort_by(|(a, _), (b, _)| {
        let left = |c: &Candidate| c.bbox.x - c.bbox.w / 2.0;
        left(a).total_cmp(&left(b))
    });
    let (w, h) = (img_w as f32, img_h as f32);
    let mut out = String::new();
    for (b, best) in selected {
        let r = b.bbox;
        let place = if coords {
            format!(
                "\t(left_x: {:4.0}   top_y: {:4.0}   width: {:4.0}   height: {:4.0})\n",
                ((r.x - r.w / 2.0) * w).round(),
                ((r.y - r.h / 2.0) * h).round(),
                (r.w * w).round(),
                (r.h * h).round()
            )
        } else {
            "\n".to_string()
        };
        let others =
            (0..b.prob.len()).filter(|&j| j != best && b.prob[j] > thresh && shown(names, j));
        for j in std::iter::once(best).chain(others) {
            out += &format!("{}: {:.0}%{place}", name(names, j), b.prob[j] * 100.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::detect::boxes::RelBox;

    fn cand(x: f32, probs: &[f32]) -> Candidate {
        Candidate {
            bbox: RelBox {
                x,
                y: 0.5,
                w: 0.2,
                h: 0.4,
            },
            objectness: 0.9,
            prob: probs.to_vec(),
            origin: Default::default(),
        }
    }

    #[test]
    fn json_is_darknets_text_and_parses() {
        let names = vec![
            "person".to_string(),
            "dont_show_me".to_string(),
            "bus".into(),
        ];
        let boxes = [cand(0.7, &[0.9, 0.8, 0.0]), cand(0.2, &[0.0, 0.0, 0.004])];
        let e = json_entry(1, "data/a.jpg", &boxes, &names);
        assert_eq!(
            e,
            "{\n \"frame_id\":1, \n \"filename\":\"data/a.jpg\", \n \"objects\": [ \n  {\"class_id\":0, \"name\":\"person\", \"relative_coordinates\":{\"center_x\":0.700000, \"center_y\":0.500000, \"width\":0.200000, \"height\":0.400000}, \"confidence\":0.900000}\n ] \n}"
        );
        let file = json_file(&[e.clone(), e]);
        let v: serde_json::Value = serde_json::from_str(&file).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2);
    }

    #[test]
    fn printed_lines_go_left_to_right_best_class_first() {
        let names = vec!["person".to_string(), "bus".into(), "truck".into()];
        let boxes = [cand(0.7, &[0.95, 0.0, 0.0]), cand(0.3, &[0.0, 0.42, 0.73])];
        let lines = printed(&boxes, &names, 0.25, 1000, 500, true);
        // box 2 (left 0.2·1000 = 200) before box 1 (600); truck 73% is its best class
        assert_eq!(
            lines,
            "truck: 73%\t(left_x:  200   top_y:  150   width:  200   height:  200)\n\
             bus: 42%\t(left_x:  200   top_y:  150   width:  200   height:  200)\n\
             person: 95%\t(left_x:  600   top_y:  150   width:  200   height:  200)\n"
        );
        let short = printed(&boxes, &names, 0.25, 1000, 500, false);
        assert_eq!(short, "truck: 73%\nbus: 42%\nperson: 95%\n");
    }
}
