//! Draws detection boxes and labels into an RGB image (for `--save` and screenshots), with a
//! built-in 5×7 bitmap font so no font file is needed.

use super::Detection;
use image::{Rgb, RgbImage};

/// 5×7 glyphs, one byte per row, bit 4 the leftmost column.
const GLYPHS: &[(char, [u8; 7])] = &[
    ('A', [14, 17, 17, 31, 17, 17, 17]),
    ('B', [30, 17, 17, 30, 17, 17, 30]),
    ('C', [14, 17, 16, 16, 16, 17, 14]),
    ('D', [30, 17, 17, 17, 17, 17, 30]),
    ('E', [31, 16, 16, 30, 16, 16, 31]),
    ('F', [31, 16, 16, 30, 16, 16, 16]),
    ('G', [14, 17, 16, 23, 17, 17, 15]),
    ('H', [17, 17, 17, 31, 17, 17, 17]),
    ('I', [14, 4, 4, 4, 4, 4, 14]),
    ('J', [7, 2, 2, 2, 2, 18, 12]),
    ('K', [17, 18, 20, 24, 20, 18, 17]),
    ('L', [16, 16, 16, 16, 16, 16, 31]),
    ('M', [17, 27, 21, 21, 17, 17, 17]),
    ('N', [17, 17, 25, 21, 19, 17, 17]),
    ('O', [14, 17, 17, 17, 17, 17, 14]),
    ('P', [30, 17, 17, 30, 16, 16, 16]),
    ('Q', [14, 17, 17, 17, 21, 18, 13]),
    ('R', [30, 17, 17, 30, 20, 18, 17]),
    ('S', [15, 16, 16, 14, 1, 1, 30]),
    ('T', [31, 4, 4, 4, 4, 4, 4]),
    ('U', [17, 17, 17, 17, 17, 17, 14]),
    ('V', [17, 17, 17, 17, 17, 10, 4]),
    ('W', [17, 17, 17, 21, 21, 21, 10]),
    ('X', [17, 17, 10, 4, 10, 17, 17]),
    ('Y', [17, 17, 10, 4, 4, 4, 4]),
    ('Z', [31, 1, 2, 4, 8, 16, 31]),
    ('0', [14, 17, 19, 21, 25, 17, 14]),
    ('1', [4, 12, 4, 4, 4, 4, 14]),
    ('2', [14, 17, 1, 2, 4, 8, 31]),
    ('3', [31, 2, 4, 2, 1, 17, 14]),
    ('4', [2, 6, 10, 18, 31, 2, 2]),
    ('5', [31, 16, 30, 1, 1, 17, 14]),
    ('6', [6, 8, 16, 30, 17, 17, 14]),
    ('7', [31, 1, 2, 4, 8, 8, 8]),
    ('8', [14, 17, 17, 14, 17, 17, 14]),
    ('9', [14, 17, 17, 15, 1, 2, 12]),
    ('%', [24, 25, 2, 4, 8, 19, 3]),
    ('.', [0, 0, 0, 0, 0, 12, 12]),
    ('-', [0, 0, 0, 31, 0, 0, 0]),
];

/// Colour of a class, spread around the hue circle like darknet's `get_color`.
pub fn class_color(class_id: usize) -> [u8; 3] {
    let hue = (class_id as f32 * 0.618_034).fract();
    let f = |n: f32| {
        let k = (n + hue * 6.0) % 6.0;
        let v = 1.0 - (k.min(4.0 - k).clamp(0.0, 1.0));
        (v * 200.0 + 40.0) as u8
    };
    [f(5.0), f(3.0), f(1.0)]
}

fn put(img: &mut RgbImage, x: i64, y: i64, c: [u8; 3]) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, Rgb(c));
    }
}

/// Draws `text` (upper-cased) with its top-left corner at `(x, y)`, each font pixel `scale`².
pub fn draw_text(img: &mut RgbImage, x: i64, y: i64, text: &str, scale: i64, color: [u8; 3]) {
    for (i, ch) in text.chars().enumerate() {
        let up = ch.to_ascii_uppercase();
        let Some((_, rows)) = GLYPHS.iter().find(|(g, _)| *g == up) else {
            continue;
        };
        let gx = x + i as i64 * 6 * scale;
        for (r, bits) in rows.iter().enumerate() {
            for col in 0..5 {
                if bits & (1 << (4 - col)) != 0 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            put(img, gx + col * scale + dx, y + r as i64 * scale + dy, color);
                        }
                    }
                }
            }
        }
    }
}

/// Draws one detection: a 3-pixel box and a filled label bar with the class and confidence.
pub fn draw_detection(img: &mut RgbImage, d: &Detection) {
    let color = class_color(d.class_id);
    let b = d.bbox;
    let (l, t) = (b.left.round() as i64, b.top.round() as i64);
    let (r, bot) = (
        (b.left + b.width).round() as i64,
        (b.top + b.height).round() as i64,
    );
    for k in 0..3 {
        for x in l..=r {
            put(img, x, t + k, color);
            put(img, x, bot - k, color);
        }
        for y in t..=bot {
            put(img, l + k, y, color);
            put(img, r - k, y, color);
        }
    }
    let label = format!("{} {:.0}%", d.class, d.confidence * 100.0);
    let scale = ((img.width().max(img.height()) / 500).max(1)) as i64 * 2;
    let (w, h) = (
        label.chars().count() as i64 * 6 * scale + 2 * scale,
        9 * scale,
    );
    let top = if t - h >= 0 { t - h } else { t };
    for y in top..top + h {
        for x in l..l + w {
            put(img, x, y, color);
        }
    }
    draw_text(img, l + scale, top + scale, &label, scale, [0, 0, 0]);
}

/// The image as 8-bit RGB with every detection drawn on it.
pub fn annotated(im: &super::image::Image, dets: &[Detection]) -> RgbImage {
    let mut rgb = RgbImage::new(im.w as u32, im.h as u32);
    let plane = im.w * im.h;
    for (i, px) in rgb.pixels_mut().enumerate() {
        for k in 0..3 {
            px.0[k] = (im.data[k * plane + i] * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    for d in dets {
        draw_detection(&mut rgb, d);
    }
    rgb
}

/// Writes `rgb` as PNG to `path` atomically: a temporary file beside it, then a rename, so an
/// existing file is either kept whole or replaced whole.
pub fn save_png(rgb: &RgbImage, path: &std::path::Path) -> Result<(), String> {
    let tmp = path.with_extension("png.part");
    rgb.save_with_format(&tmp, image::ImageFormat::Png)
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}
