//! `csplens check-data` on a made dataset: one case per finding code, each at its file and
//! line, the counts, the JSON shape and the exit code.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::models;
use csplens::doctor::Severity;
use csplens::eval::DataFile;
use csplens::eval::check::{Finest, check};
use std::path::Path;
use std::process::Command;

fn write(p: &Path, text: &str) {
    std::fs::write(p, text).unwrap();
}

#[test]
fn each_code_on_a_made_case() {
    let dir = std::env::temp_dir().join(format!("csplens-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bus = models::image("bus.jpg");
    std::fs::copy(&bus, dir.join("good.jpg")).unwrap();
    std::fs::copy(&bus, dir.join("copy.jpg")).unwrap();
    std::fs::copy(models::image("zidane.jpg"), dir.join("unlabelled.jpg")).unwrap();
    write(&dir.join("broken.jpg"), "not a JPEG at all");
    write(&dir.join("broken.txt"), "");
    write(&dir.join("copy.txt"), "");
    write(
        &dir.join("good.txt"),
        "0 0.5 0.5 0.2 0.4\n\
         0 0.5 0.5 0.2 0.4\n\
         0 0.5 0.5 0.2\n\
         99 0.5 0.5 0.1 0.1\n\
         0 1.2 0.5 0.1 0.1\n\
         2 0.3 0.3 0.01 0.01\n",
    );
    let list = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("{}\n", dir.join(n).display()))
            .collect::<String>()
    };
    write(
        &dir.join("train.txt"),
        &list(&["good.jpg", "copy.jpg", "gone.jpg"]),
    );
    write(
        &dir.join("valid.txt"),
        &list(&["broken.jpg", "unlabelled.jpg", "good.jpg"]),
    );
    let data_path = dir.join("obj.data");
    write(
        &data_path,
        &format!(
            "classes=80\ntrain={}\nvalid={}\n",
            dir.join("train.txt").display(),
            dir.join("valid.txt").display()
        ),
    );
    let data = DataFile::read(&data_path).unwrap();
    // yolov4-tiny at 416²: the finest head (26×26) has a stride of 16
    let finest = Finest {
        net_w: 416,
        net_h: 416,
        stride: 16,
    };
    let r = check(&data, Some(finest), 1 << 28);
    let at = |code: &str| -> Vec<(String, Option<usize>, Severity)> {
        (r.findings.iter())
            .filter(|f| f.code == code)
            .map(|f| {
                let name = Path::new(&f.file).file_name().unwrap();
                (name.to_string_lossy().into_owned(), f.line, f.severity)
            })
            .collect()
    };
    let one = |file: &str, line: Option<usize>, s: Severity| vec![(file.to_string(), line, s)];
    assert_eq!(
        at("list-missing"),
        one("train.txt", Some(3), Severity::Error)
    );
    assert_eq!(
        at("image-unreadable"),
        one("broken.jpg", None, Severity::Error)
    );
    assert_eq!(at("image-duplicate"), one("copy.jpg", None, Severity::Note));
    assert_eq!(
        at("label-missing"),
        one("unlabelled.jpg", None, Severity::Warning)
    );
    assert_eq!(
        at("label-duplicate"),
        one("good.txt", Some(2), Severity::Warning)
    );
    assert_eq!(
        at("label-format"),
        one("good.txt", Some(3), Severity::Error)
    );
    assert_eq!(at("label-class"), one("good.txt", Some(4), Severity::Error));
    assert_eq!(at("label-range"), one("good.txt", Some(5), Severity::Error));
    // 0.01 · 416 = 4.2 px on both sides, under 16
    assert_eq!(at("tiny-object"), one("obj.data", None, Severity::Note));
    assert!(r.has_errors());
    // good.jpg is listed twice (train and valid) and counted once; its five lines that are
    // five numbers count as labels, the bad class too
    assert_eq!(r.counts.images, 4);
    assert_eq!(r.counts.labels, 5);
    assert_eq!(r.counts.labels_per_class[0], 3);
    assert_eq!(r.counts.labels_per_class[2], 1);

    // the command line: JSON in lint's shape, exit 1 with errors
    let out = Command::new(env!("CARGO_BIN_EXE_csplens"))
        .args([
            "check-data",
            "--data",
            data_path.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["data"].is_string() && json["counts"]["images"] == 4);
    let f = &json["findings"][0];
    for key in ["code", "severity", "file", "line", "message", "fix"] {
        assert!(f.get(key).is_some(), "{key} in {f}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
