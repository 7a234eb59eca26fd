//! Image files → darknet's RGB planar 0..1 image, refusing corrupt and oversized files before
//! any large allocation; darknet's bilinear `resize_image` and `letterbox_image`.

use rayon::prelude::*;
use std::io::Cursor;
use thiserror::Error;

/// The largest image accepted, in pixels (about 16k × 16k), unless the caller raises it.
pub const MAX_PIXELS: u64 = 1 << 28;
/// The largest side accepted.
pub const MAX_SIDE: u32 = 65_535;

/// An RGB image, planar, values in 0..1 (darknet's `image`).
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Width.
    pub w: usize,
    /// Height.
    pub h: usize,
    /// Channels (3).
    pub c: usize,
    /// `c·h·w` values.
    pub data: Vec<f32>,
}

/// Why an image was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImageError {
    /// Zero bytes.
    #[error("the image file is empty")]
    Empty,
    /// Not a format the decoder knows.
    #[error("not an image (no known format: JPEG, PNG or BMP)")]
    UnknownFormat,
    /// The header claims a size beyond the limits.
    #[error(
        "the image claims {w}×{h} pixels; images larger than {max} pixels or {side} per side are refused"
    )]
    TooLarge {
        /// Claimed width.
        w: u32,
        /// Claimed height.
        h: u32,
        /// The pixel limit.
        max: u64,
        /// The side limit.
        side: u32,
    },
    /// The decoder failed.
    #[error("the image is corrupt: {0}")]
    Corrupt(String),
}

/// Decodes an image file held in memory.
pub fn decode(bytes: &[u8]) -> Result<Image, ImageError> {
    decode_limited(bytes, MAX_PIXELS)
}

/// Decodes with an explicit pixel limit, checked against the header before decoding.
pub fn decode_limited(bytes: &[u8], max_pixels: u64) -> Result<Image, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    let reader = || {
        image::ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| ImageError::Corrupt(e.to_string()))
    };
    if reader()?.format().is_none() {
        return Err(ImageError::UnknownFormat);
    }
    let (w, h) = reader()?
        .into_dimensions()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    if w == 0 || h == 0 {
        return Err(ImageError::Corrupt(format!("the image is {w}×{h}")));
    }
    if w as u64 * h as u64 > max_pixels || w > MAX_SIDE || h > MAX_SIDE {
        return Err(ImageError::TooLarge {
            w,
            h,
            max: max_pixels,
            side: MAX_SIDE,
        });
    }
    if reader()?.format() == Some(image::ImageFormat::Jpeg) {
        return decode_jpeg(bytes);
    }
    let mut r = reader()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(w as u64 * h as u64 * 16 + (1 << 20));
    r.limits(limits);
    let rgb = r
        .decode()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?
        .to_rgb8();
    Ok(from_rgb8(
        rgb.width() as usize,
        rgb.height() as usize,
        rgb.as_raw(),
    ))
}

/// JPEG through `jpeg-decoder`, whose IDCT and chroma upsampling follow stb_image, the
/// decoder of darknet's CPU build (so pixels, and confidences, match darknet's).
fn decode_jpeg(bytes: &[u8]) -> Result<Image, ImageError> {
    let mut d = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    // large images are decoded on the decoder's worker threads, which report their own failure
    // by panicking the caller: make that an error like any other corrupt file
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| d.decode()))
        .map_err(|_| ImageError::Corrupt("the JPEG decoder failed on this file".into()))?;
    let pixels = decoded.map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let info = d
        .info()
        .ok_or_else(|| ImageError::Corrupt("no JPEG header".into()))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let rgb: Vec<u8> = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&v| [v, v, v]).collect(),
        jpeg_decoder::PixelFormat::L16 => pixels
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0]])
            .collect(),
        jpeg_decoder::PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|c| {
                let k = 255 - c[3] as u32;
                [c[0], c[1], c[2]].map(|v| ((255 - v as u32) * k / 255) as u8)
            })
            .collect(),
    };
    if rgb.len() != w * h * 3 {
        return Err(ImageError::Corrupt(format!(
            "decoded {} bytes for {w}×{h}",
            rgb.len()
        )));
    }
    Ok(from_rgb8(w, h, &rgb))
}

/// Interleaved RGB bytes → planar 0..1 floats.
pub fn from_rgb8(w: usize, h: usize, rgb: &[u8]) -> Image {
    let plane = w * h;
    let mut data = vec![0f32; 3 * plane];
    for (i, px) in rgb.chunks_exact(3).enumerate() {
        for k in 0..3 {
            data[k * plane + i] = px[k] as f32 / 255.0;
        }
    }
    Image { w, h, c: 3, data }
}

impl Image {
    fn at(&self, x: usize, y: usize, k: usize) -> f32 {
        self.data[(k * self.h + y) * self.w + x]
    }
}

/// Darknet's `resize_image`: bilinear, first along x, then along y. The same arithmetic as
/// darknet's loops (so the same floats), with each column's source taps found once and the
/// rows of each pass computed in parallel.
pub fn resize(im: &Image, w: usize, h: usize) -> Image {
    if im.w == w && im.h == h {
        return im.clone();
    }
    let c = im.c;
    // darknet divides by zero for 1-pixel targets; such a target samples the first pixel
    let scale = |from: usize, to: usize| {
        if to > 1 {
            (from as f32 - 1.0) / (to as f32 - 1.0)
        } else {
            0.0
        }
    };
    let (w_scale, h_scale) = (scale(im.w, w), scale(im.h, h));
    // per output column: the left source pixel and its right neighbour's weight (None: the
    // last column, or a 1-pixel-wide source, copies the source's last pixel)
    let cols: Vec<Option<(usize, f32)>> = (0..w)
        .map(|col| {
            if col == w - 1 || im.w == 1 {
                None
            } else {
                let sx = col as f32 * w_scale;
                let ix = sx as usize;
                Some((ix, sx - ix as f32))
            }
        })
        .collect();
    let mut part = vec![0f32; c * im.h * w];
    part.par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(row, dst)| {
            let src = &im.data[row * im.w..(row + 1) * im.w];
            for (d, tap) in dst.iter_mut().zip(&cols) {
                *d = match *tap {
                    None => src[im.w - 1],
                    Some((ix, dx)) => (1.0 - dx) * src[ix] + dx * src[ix + 1],
                };
            }
        });
    let mut out = vec![0f32; c * h * w];
    out.par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(row, dst)| {
            let (k, r) = (row / h, row % h);
            let sy = r as f32 * h_scale;
            let iy = sy as usize;
            let dy = sy - iy as f32;
            let top = &part[(k * im.h + iy) * w..(k * im.h + iy + 1) * w];
            for (d, t) in dst.iter_mut().zip(top) {
                *d = (1.0 - dy) * t;
            }
            if r == h - 1 || im.h == 1 {
                return;
            }
            let below = &part[(k * im.h + iy + 1) * w..(k * im.h + iy + 2) * w];
            for (d, b) in dst.iter_mut().zip(below) {
                *d += dy * b;
            }
        });
    Image { w, h, c, data: out }
}

/// Darknet's `letterbox_image`: resize keeping the aspect ratio, centred on grey (0.5).
pub fn letterbox(im: &Image, w: usize, h: usize) -> Image {
    let (new_w, new_h) = if (w as f32 / im.w as f32) < (h as f32 / im.h as f32) {
        (w, (im.h * w) / im.w)
    } else {
        ((im.w * h) / im.h, h)
    };
    let resized = resize(im, new_w.max(1), new_h.max(1));
    let mut out = Image {
        w,
        h,
        c: im.c,
        data: vec![0.5; im.c * w * h],
    };
    let (dx, dy) = ((w - resized.w) / 2, (h - resized.h) / 2);
    for k in 0..im.c {
        for y in 0..resized.h {
            for x in 0..resized.w {
                out.data[(k * h + y + dy) * w + x + dx] = resized.at(x, y, k);
            }
        }
    }
    out
}
