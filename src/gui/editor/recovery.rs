//! Recovery files: the text of a cfg with unsaved edits, written (atomically) into the app's
//! data directory after every re-analysis of an edit and removed once the edits are saved or
//! discarded. A file still there when the app starts means it did not close normally: the
//! app offers the text back.

use std::path::{Path, PathBuf};

/// Largest recovery file read back (a cfg is far smaller).
const MAX_BYTES: u64 = 64 << 20;

/// Unsaved edits of one cfg.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recovered {
    /// The cfg the edits belong to.
    pub path: PathBuf,
    /// The edited text.
    pub text: String,
}

/// The recovery file of `cfg` in `dir` (one per cfg path).
pub fn file_for(dir: &Path, cfg: &Path) -> PathBuf {
    let abs = std::path::absolute(cfg).unwrap_or_else(|_| cfg.to_path_buf());
    let key = crate::gui::editor::stamp(abs.as_os_str().as_encoded_bytes());
    dir.join(format!("{key:016x}.json"))
}

/// Writes the edited `text` of `cfg` into `dir`.
pub fn write(dir: &Path, cfg: &Path, text: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let r = Recovered {
        path: cfg.to_path_buf(),
        text: text.to_string(),
    };
    let json = serde_json::to_vec(&r).map_err(|e| e.to_string())?;
    crate::files::write_atomic(&file_for(dir, cfg), &json)
}

/// Removes the recovery file of `cfg` (edits saved or discarded); none there is fine.
pub fn remove(dir: &Path, cfg: &Path) {
    // a file already gone is what was wanted
    let _ = std::fs::remove_file(file_for(dir, cfg));
}

/// Every recovery file in `dir` that reads back, oldest cfg path first.
pub fn scan(dir: &Path) -> Vec<Recovered> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<Recovered> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= MAX_BYTES))
        .filter_map(|p| serde_json::from_slice(&std::fs::read(p).ok()?).ok())
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_written_text_scans_back_until_removed() {
        let dir =
            std::env::temp_dir().join(format!("csplens-recovery-unit-{}", std::process::id()));
        let cfg = Path::new("/tmp/some/yolov4.cfg");
        write(&dir, cfg, "[net]\nwidth=416\n").unwrap();
        // a stray file that is not a recovery is skipped
        std::fs::write(dir.join("junk.json"), "not json").unwrap();
        let found = scan(&dir);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, cfg);
        assert_eq!(found[0].text, "[net]\nwidth=416\n");
        remove(&dir, cfg);
        assert!(scan(&dir).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
