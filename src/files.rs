//! Writing user files: whole or not at all.

use std::path::{Path, PathBuf};

/// Writes `data` to a temporary file beside `path`, then renames it over `path`, so a reader
/// never sees half a file and a failed write leaves the old one as it was.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, data).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}
