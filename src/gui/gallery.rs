//! Many images through the open network, as the gallery holds them: per image a small
//! thumbnail, its detection count and the boxes darknet's JSON lists (full images are not
//! kept: a tile's click runs that image again in the detection view), so memory stays
//! bounded for thousands of images. The job that fills it is gallery_job.rs.

use crate::detect;
use crate::detect::boxes::Candidate;
use crate::detect::image::Image;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The longest side of a thumbnail, in pixels.
pub const THUMB: usize = 96;

/// A small RGBA picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumb {
    /// Width.
    pub w: usize,
    /// Height.
    pub h: usize,
    /// `w·h` RGBA pixels.
    pub rgba: Vec<u8>,
}

/// What one image gave.
#[derive(Debug, Clone)]
pub struct Shot {
    /// Its thumbnail.
    pub thumb: Arc<Thumb>,
    /// Image width.
    pub w: usize,
    /// Image height.
    pub h: usize,
    /// Detections above the threshold.
    pub count: usize,
    /// The boxes NMS kept with a class above darknet's JSON floor, in NMS order.
    pub boxes: Vec<Candidate>,
}

/// The images of one run and what each gave so far.
#[derive(Debug, Clone)]
pub struct Gallery {
    /// This run (a result of another run is dropped).
    pub run: u64,
    /// The images, in run order.
    pub paths: Vec<PathBuf>,
    /// Each image's result once it arrived: what it gave, or why it failed.
    pub items: Vec<Option<Result<Shot, String>>>,
    /// When the run started.
    pub started: Instant,
    /// Seconds the whole run took, once it ended.
    pub seconds: Option<f64>,
}

impl Gallery {
    /// A run of `paths` about to start.
    pub fn new(run: u64, paths: Vec<PathBuf>) -> Self {
        Self {
            run,
            items: vec![None; paths.len()],
            paths,
            started: Instant::now(),
            seconds: None,
        }
    }

    /// Images done (failed ones included).
    pub fn done(&self) -> usize {
        self.items.iter().filter(|i| i.is_some()).count()
    }

    /// Images that failed.
    pub fn failed(&self) -> usize {
        (self.items.iter())
            .filter(|i| matches!(i, Some(Err(_))))
            .count()
    }

    /// Images per second so far (or over the whole run once it ended).
    pub fn rate(&self) -> f64 {
        let secs = self
            .seconds
            .unwrap_or_else(|| self.started.elapsed().as_secs_f64());
        self.done() as f64 / secs.max(1e-9)
    }

    /// darknet's `-out` JSON of the images that ran, frame ids from 1 in run order.
    pub fn darknet_json(&self, names: &[String]) -> String {
        let entries: Vec<String> = (self.paths.iter().zip(&self.items))
            .filter_map(|(p, i)| Some((p, i.as_ref()?.as_ref().ok()?)))
            .enumerate()
            .map(|(k, (p, s))| {
                detect::darknet_out::json_entry(k + 1, &p.display().to_string(), &s.boxes, names)
            })
            .collect();
        detect::darknet_out::json_file(&entries)
    }
}

/// `im` scaled down (box average) so its longer side is at most `max` pixels.
pub fn thumbnail(im: &Image, max: usize) -> Thumb {
    region_thumbnail(im, [0, 0, im.w, im.h], max)
}

/// The region `[x, y, w, h]` of `im` (clamped to the image) scaled down (box average) so its
/// longer side is at most `max` pixels.
pub fn region_thumbnail(im: &Image, region: [usize; 4], max: usize) -> Thumb {
    if im.w == 0 || im.h == 0 {
        return Thumb {
            w: 1,
            h: 1,
            rgba: vec![0, 0, 0, 255],
        };
    }
    let rx = region[0].min(im.w.saturating_sub(1));
    let ry = region[1].min(im.h.saturating_sub(1));
    let rw = region[2].min(im.w - rx).max(1);
    let rh = region[3].min(im.h - ry).max(1);
    let scale = (rw.max(rh) as f32 / max as f32).max(1.0);
    let (w, h) = (
        ((rw as f32 / scale).round() as usize).max(1),
        ((rh as f32 / scale).round() as usize).max(1),
    );
    let plane = im.w * im.h;
    let mut rgba = Vec::with_capacity(w * h * 4);
    for ty in 0..h {
        let y0 = ry + ty * rh / h;
        let y1 = (ry + (ty + 1) * rh / h).max(y0 + 1);
        for tx in 0..w {
            let x0 = rx + tx * rw / w;
            let x1 = (rx + (tx + 1) * rw / w).max(x0 + 1);
            let n = ((y1 - y0) * (x1 - x0)) as f32;
            for k in 0..3 {
                let sum: f32 = (y0..y1)
                    .flat_map(|y| (x0..x1).map(move |x| y * im.w + x))
                    .map(|i| im.data[k * plane + i])
                    .sum();
                rgba.push((sum / n * 255.0).round().clamp(0.0, 255.0) as u8);
            }
            rgba.push(255);
        }
    }
    Thumb { w, h, rgba }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thumbnail_keeps_the_aspect_and_averages() {
        // 4×2, left half black, right half white
        let mut data = vec![0.0; 3 * 8];
        for k in 0..3 {
            for y in 0..2 {
                for x in 2..4 {
                    data[k * 8 + y * 4 + x] = 1.0;
                }
            }
        }
        let im = Image {
            w: 4,
            h: 2,
            c: 3,
            data,
        };
        let t = thumbnail(&im, 2);
        assert_eq!((t.w, t.h), (2, 1));
        assert_eq!(t.rgba, vec![0, 0, 0, 255, 255, 255, 255, 255]);
        // the right half alone is white; a region past the edge is clamped to it
        let r = region_thumbnail(&im, [2, 0, 5, 2], 8);
        assert_eq!((r.w, r.h), (2, 2));
        assert!(r.rgba.chunks(4).all(|p| p == [255, 255, 255, 255]));
    }
}
