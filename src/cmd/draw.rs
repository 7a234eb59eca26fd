//! `--save`: the image with detection boxes drawn, written as PNG.

use anyhow::Result;
use csplens::detect::{Detection, image::Image, paint};
use std::path::Path;

/// Writes `im` with a rectangle per detection to `path` (atomically: temp file + rename).
pub fn save_annotated(im: &Image, dets: &[Detection], path: &Path) -> Result<()> {
    paint::save_png(&paint::annotated(im, dets), path).map_err(anyhow::Error::msg)
}
