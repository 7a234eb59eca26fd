//! Many images for one network: the files a run takes (folders, list files, single files) and
//! a decode pipeline that reads, decodes and fits the next images on their own threads while
//! the network runs, handing them back in order with bounded memory.

use super::image::{self, Image};
use super::{InputSize, input_tensor};
use crate::tensor::Tensor;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::{Duration, Instant};

/// Largest image file read (the pixel cap is checked from the header after this).
pub const MAX_IMAGE_BYTES: u64 = 512 << 20;

/// The extensions a folder's images are taken by (case-insensitive).
pub const IMAGE_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "bmp"];

/// Whether `path` has an image extension.
pub fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The images a run takes and what was skipped.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// The images, in run order.
    pub images: Vec<PathBuf>,
    /// One sentence per file skipped or path that could not be read.
    pub warnings: Vec<String>,
}

/// Every image of `paths` (a folder gives its JPEG/PNG/BMP files sorted by name, other files
/// skipped with a warning; a file is taken as given) followed by the lines of `list` (one
/// path per line, as darknet reads `< list.txt`; blank lines skipped).
pub fn collect(paths: &[PathBuf], list: Option<&Path>) -> Inputs {
    let mut out = Inputs::default();
    for p in paths {
        if p.is_dir() {
            folder(p, &mut out);
        } else {
            out.images.push(p.clone());
        }
    }
    if let Some(list) = list {
        match std::fs::read_to_string(list) {
            Ok(text) => out.images.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(PathBuf::from),
            ),
            Err(e) => out
                .warnings
                .push(format!("cannot read the list {}: {e}", list.display())),
        }
    }
    out
}

fn folder(dir: &Path, out: &mut Inputs) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.warnings
                .push(format!("cannot read the folder {}: {e}", dir.display()));
            return;
        }
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for f in files {
        if is_image(&f) {
            out.images.push(f);
        } else {
            out.warnings.push(format!(
                "skipping {}: not a JPEG, PNG or BMP image",
                f.display()
            ));
        }
    }
}

/// One image read, decoded and fitted to the network (or why not).
#[derive(Debug)]
pub struct Prepared {
    /// Its position in the run.
    pub index: usize,
    /// The file.
    pub path: PathBuf,
    /// The decoded image and the network input, or the sentence saying why it failed.
    pub result: Result<(Image, Tensor), String>,
    /// Time spent reading, decoding and resizing it.
    pub took: Duration,
}

/// Reads, decodes and fits one image.
pub fn prepare(path: &Path, size: InputSize, max_pixels: u64) -> Result<(Image, Tensor), String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if len > MAX_IMAGE_BYTES {
        return Err(format!(
            "the file is {len} bytes, above the limit of {MAX_IMAGE_BYTES} bytes"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let im = image::decode_limited(&bytes, max_pixels).map_err(|e| e.to_string())?;
    let t = input_tensor(&im, size);
    Ok((im, t))
}

/// The images of a run, prepared on `threads` named threads ahead of the caller and handed
/// back in run order. At most `threads + ahead` images are held at a time.
pub struct Pipeline {
    rx: Receiver<Prepared>,
    waiting: BTreeMap<usize, Prepared>,
    next: usize,
    total: usize,
}

impl Pipeline {
    /// Starts preparing `paths` for a network of `size`.
    pub fn start(
        paths: Vec<PathBuf>,
        size: InputSize,
        max_pixels: u64,
        threads: usize,
        ahead: usize,
    ) -> Self {
        let total = paths.len();
        let (tx, rx) = sync_channel(ahead.max(1));
        let paths = Arc::new(paths);
        let claim = Arc::new(AtomicUsize::new(0));
        for k in 0..threads.clamp(1, total.max(1)) {
            let (tx, paths, claim) = (tx.clone(), paths.clone(), claim.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("csplens-decode-{k}"))
                .spawn(move || {
                    loop {
                        let index = claim.fetch_add(1, Ordering::SeqCst);
                        let Some(path) = paths.get(index) else { break };
                        let started = Instant::now();
                        let result = prepare(path, size, max_pixels);
                        let p = Prepared {
                            index,
                            path: path.clone(),
                            result,
                            took: started.elapsed(),
                        };
                        if tx.send(p).is_err() {
                            break; // the run stopped
                        }
                    }
                });
            if spawned.is_err() {
                // no thread: the images are prepared by the threads that did start (or, with
                // none, reported as failed when asked for)
                continue;
            }
        }
        Self {
            rx,
            waiting: BTreeMap::new(),
            next: 0,
            total,
        }
    }
}

impl Iterator for Pipeline {
    type Item = Prepared;

    fn next(&mut self) -> Option<Prepared> {
        if self.next >= self.total {
            return None;
        }
        while !self.waiting.contains_key(&self.next) {
            match self.rx.recv() {
                Ok(p) => {
                    self.waiting.insert(p.index, p);
                }
                Err(_) => {
                    // every preparing thread is gone without this image: say so, go on
                    let index = self.next;
                    self.next += 1;
                    return Some(Prepared {
                        index,
                        path: PathBuf::new(),
                        result: Err("internal error: no thread prepared this image".into()),
                        took: Duration::ZERO,
                    });
                }
            }
        }
        let p = self.waiting.remove(&self.next);
        self.next += 1;
        p
    }
}
