//! The one detection path: images through a prepared network to detections, with what each
//! step took. Every front end runs images through it: `detect` (one image), `detect --images`
//! (a folder, decoded beside the network, in batches), `bench`, the app's detection view and
//! its Images tab; `map` will too.

use super::boxes::Candidate;
use super::image::{self, Image, ImageError};
use super::inputs::Pipeline;
use super::{Detection, InputSize, Params};
use crate::Analysis;
use crate::backend::{BackendError, Forward, Runner};
use crate::tensor::Tensor;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Why an image gave no detections.
#[derive(Debug, Error)]
pub enum DetectError {
    /// The bytes are not an image csplens decodes.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The network did not run.
    #[error("running the network: {0}")]
    Backend(#[from] BackendError),
}

/// Where one image's time went.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Reading, decoding and fitting it to the network input.
    pub prepare: Duration,
    /// Its share of the forward pass (a batch's time divided over its images).
    pub forward: Duration,
    /// Decoding the heads, thresholds and NMS.
    pub boxes: Duration,
}

impl std::ops::AddAssign for Timings {
    fn add_assign(&mut self, o: Self) {
        self.prepare += o.prepare;
        self.forward += o.forward;
        self.boxes += o.boxes;
    }
}

/// What one image gave.
#[derive(Debug, Clone)]
pub struct Detected {
    /// The image as decoded.
    pub image: Image,
    /// The forward pass: the heads' outputs, and every layer's time when the detector times
    /// layers.
    pub forward: Forward,
    /// The boxes NMS kept, in the order darknet's NMS leaves them (its `-out` JSON and
    /// printed lines), each with its per-class probabilities.
    pub boxes: Vec<Candidate>,
    /// One per box and class above the threshold, most confident first.
    pub detections: Vec<Detection>,
    /// Where the time went.
    pub timings: Timings,
}

/// A decoded image with its network input, ready for a forward pass.
pub type Ready = (Image, Tensor);

/// How [`Detector::files`] reads ahead.
#[derive(Debug, Clone, Copy)]
pub struct FilesOptions {
    /// Images per forward pass (1: one at a time).
    pub batch: usize,
    /// Threads reading and decoding beside the network.
    pub decoders: usize,
    /// Images decoded ahead of the network beyond one per decoder.
    pub ahead: usize,
    /// The largest image (pixels) decoded.
    pub max_pixels: u64,
}

/// A prepared network with its thresholds and class names.
#[derive(Debug, Clone, Copy)]
pub struct Detector<'a> {
    analysis: &'a Analysis,
    runner: &'a Runner,
    params: Params,
    names: &'a [String],
    timed: bool,
}

impl<'a> Detector<'a> {
    /// `runner` (prepared from `analysis`) detecting with `params`, classes named by `names`
    /// (their indices where it is shorter).
    pub fn new(
        analysis: &'a Analysis,
        runner: &'a Runner,
        params: Params,
        names: &'a [String],
    ) -> Self {
        Self {
            analysis,
            runner,
            params,
            names,
            timed: false,
        }
    }

    /// The same, each forward pass timed layer by layer (on the GPU one submission per layer:
    /// slower, for the roofline and `bench`'s per-layer table).
    pub fn timing_layers(self) -> Self {
        Self {
            timed: true,
            ..self
        }
    }

    /// The network input of an image, as darknet fits it (stretch, or letterbox).
    pub fn input(&self, im: &Image) -> Tensor {
        super::network_input(self.analysis, im)
    }

    /// Decodes `bytes` (at most `max_pixels`) and detects.
    pub fn bytes(&self, bytes: &[u8], max_pixels: u64) -> Result<Detected, DetectError> {
        let t = Instant::now();
        let im = image::decode_limited(bytes, max_pixels)?;
        let input = self.input(&im);
        let prepare = t.elapsed();
        let mut d = self.one((im, input))?;
        d.timings.prepare = prepare;
        Ok(d)
    }

    /// One decoded image.
    pub fn image(&self, im: Image) -> Result<Detected, BackendError> {
        let t = Instant::now();
        let input = self.input(&im);
        let prepare = t.elapsed();
        let mut d = self.one((im, input))?;
        d.timings.prepare = prepare;
        Ok(d)
    }

    fn one(&self, (im, input): Ready) -> Result<Detected, BackendError> {
        let t = Instant::now();
        let fwd = if self.timed {
            self.runner.forward_timed(&input)?
        } else {
            self.runner.forward(&input)?
        };
        Ok(self.boxes(im, fwd, t.elapsed()))
    }

    /// Images already decoded and fitted, in one pass (one forward when alone, timed per
    /// layer when the detector times layers); results in input order.
    pub fn batch(&self, ready: Vec<Ready>) -> Result<Vec<Detected>, BackendError> {
        if ready.len() <= 1 || self.timed {
            return ready.into_iter().map(|r| self.one(r)).collect();
        }
        let t = Instant::now();
        let (images, inputs): (Vec<Image>, Vec<Tensor>) = ready.into_iter().unzip();
        let fwds = self.runner.forward_batch(&inputs)?;
        let share = t.elapsed() / images.len() as u32;
        Ok((images.into_iter().zip(fwds))
            .map(|(im, fwd)| self.boxes(im, fwd, share))
            .collect())
    }

    /// The boxes of a forward pass on `im`.
    fn boxes(&self, image: Image, forward: Forward, took: Duration) -> Detected {
        let t = Instant::now();
        let (a, p) = (self.analysis, &self.params);
        let boxes = super::nms_boxes(a, &forward, image.w, image.h, p);
        let detections = super::detections(&boxes, p, self.names, image.w, image.h);
        Detected {
            image,
            forward,
            boxes,
            detections,
            timings: Timings {
                prepare: Duration::ZERO,
                forward: took,
                boxes: t.elapsed(),
            },
        }
    }

    /// Image files in order: read, decoded and fitted on `o.decoders` threads ahead of the
    /// network, run `o.batch` at a time. `each` gets every file's result in order (a file
    /// that fails is named by its sentence and skipped) and returns `false` to stop.
    pub fn files(
        &self,
        paths: Vec<PathBuf>,
        o: &FilesOptions,
        mut each: impl FnMut(usize, PathBuf, Result<Detected, String>) -> bool,
    ) {
        let size = InputSize::of(self.analysis);
        let pipeline = Pipeline::start(paths, size, o.max_pixels, o.decoders, o.ahead);
        let mut ready: Vec<(usize, PathBuf, Duration, Ready)> = Vec::new();
        for p in pipeline {
            let go_on = match p.result {
                Ok(r) => {
                    ready.push((p.index, p.path, p.took, r));
                    ready.len() < o.batch.max(1) || self.flush(&mut ready, &mut each)
                }
                Err(e) => self.flush(&mut ready, &mut each) && each(p.index, p.path, Err(e)),
            };
            if !go_on {
                return;
            }
        }
        self.flush(&mut ready, &mut each);
    }

    /// Runs what is ready and hands each result over; `false` when `each` asked to stop.
    fn flush(
        &self,
        ready: &mut Vec<(usize, PathBuf, Duration, Ready)>,
        each: &mut impl FnMut(usize, PathBuf, Result<Detected, String>) -> bool,
    ) -> bool {
        if ready.is_empty() {
            return true;
        }
        let taken = std::mem::take(ready);
        let (meta, inputs): (Vec<_>, Vec<_>) = taken
            .into_iter()
            .map(|(i, path, took, r)| ((i, path, took), r))
            .unzip();
        match self.batch(inputs) {
            Ok(done) => meta.into_iter().zip(done).all(|((i, path, took), mut d)| {
                d.timings.prepare = took;
                each(i, path, Ok(d))
            }),
            Err(e) => {
                let said = format!("running the network: {e}");
                (meta.into_iter()).all(|(i, path, _)| each(i, path, Err(said.clone())))
            }
        }
    }
}
