//! `--save`: the image with detection boxes drawn, written as PNG.

use anyhow::{Context as _, Result};
use csplens::detect::{Detection, image::Image};
use std::path::Path;

/// Writes `im` with a rectangle per detection to `path` (atomically: temp file + rename).
pub fn save_annotated(im: &Image, dets: &[Detection], path: &Path) -> Result<()> {
    let mut rgb = image::RgbImage::new(im.w as u32, im.h as u32);
    let plane = im.w * im.h;
    for (i, px) in rgb.pixels_mut().enumerate() {
        for k in 0..3 {
            px.0[k] = (im.data[k * plane + i] * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    for d in dets {
        csplens::detect::paint::draw_detection(&mut rgb, d);
    }
    let tmp = path.with_extension("png.part");
    rgb.save_with_format(&tmp, image::ImageFormat::Png)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
