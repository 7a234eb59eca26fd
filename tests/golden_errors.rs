//! Hand-made bad cfgs: each must fail with exactly the rendered message in its `.txt` twin
//! (`file:line:col: message`, the line and a caret). `UPDATE_SNAPSHOTS=1`, the
//! one switch that also rewrites the app's snapshots, rewrites the twins.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;

fn fixtures() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cfg"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bad_cfg_renders_its_golden_message() {
    let files = fixtures();
    assert!(
        files.len() >= 15,
        "need at least 15 bad cfgs, have {}",
        files.len()
    );
    let bless =
        std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
    let mut mismatches = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        let bytes = std::fs::read(&path).expect("read fixture");
        let result =
            std::panic::catch_unwind(|| csplens::analyze(&name, &bytes, Default::default()));
        let rendered = match result {
            Ok(Err(failure)) => failure.render() + "\n",
            Ok(Ok(_)) => panic!("{name}: loaded, but it must be refused"),
            Err(_) => panic!("{name}: panicked"),
        };
        let golden = path.with_extension("txt");
        if bless {
            std::fs::write(&golden, &rendered).expect("write golden");
            continue;
        }
        let want = std::fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("{name}: missing {}", golden.display()));
        if want != rendered {
            mismatches.push(format!("--- {name}\nwant:\n{want}\ngot:\n{rendered}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
