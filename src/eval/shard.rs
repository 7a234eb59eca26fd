//! An evaluation split over processes or machines: each shard (`--shard i/N`: every N-th image
//! from the i-th) writes its images' matches (`--raw OUT`); the merge replays them in list
//! order, exactly as one run over all images would have counted them.

use super::coco::{self, CocoImage};
use super::map::{self, ImageMatches, MapParams, Matches};
use super::misses::Miss;
use super::run::Evaluation;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use thiserror::Error;

/// The version of the raw format.
const VERSION: u32 = 2;

/// What a shard writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Raw {
    /// The format's version.
    pub csplens_raw: u32,
    /// The thresholds the shard ran with.
    pub params: MapParams,
    /// The class names.
    pub names: Vec<String>,
    /// Images in the whole list.
    pub images_total: usize,
    /// `(i, n)`: this shard's images are every n-th from the i-th.
    pub shard: (usize, usize),
    /// Each image's matches.
    pub records: Vec<ImageMatches>,
    /// Its misses, with their image's position.
    pub misses: Vec<(usize, Miss)>,
    /// Its images for COCO's evaluation, with their positions.
    pub coco_images: Vec<(usize, CocoImage)>,
    /// Its warnings.
    pub warnings: Vec<String>,
}

/// Why shards cannot be merged.
#[derive(Debug, Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no raw file to merge")]
    Empty,
    /// Not a raw file of this version.
    #[error("{0}: not a csplens map --raw file of version {VERSION}")]
    Format(String),
    /// Shards of different runs.
    #[error("{file} was made with other settings or another image list than {first} ({what})")]
    Mismatch {
        /// The shard that differs.
        file: String,
        /// The first shard.
        first: String,
        /// What differs.
        what: &'static str,
    },
    /// One image in two shards.
    #[error("image {0} of the list is in two shards")]
    Twice(usize),
}

/// A shard's raw record of an evaluation.
pub fn raw(e: &Evaluation, shard: (usize, usize)) -> Raw {
    Raw {
        csplens_raw: VERSION,
        params: e.params,
        names: e.names.clone(),
        images_total: e.images_total,
        shard,
        records: e.records.clone(),
        misses: e.misses.clone(),
        coco_images: e.coco_images.clone(),
        warnings: e.warnings.clone(),
    }
}

/// Reads a raw file's text.
pub fn parse(name: &str, text: &str) -> Result<Raw, MergeError> {
    serde_json::from_str::<Raw>(text)
        .ok()
        .filter(|r| r.csplens_raw == VERSION)
        .ok_or_else(|| MergeError::Format(name.to_string()))
}

/// The evaluation of all the shards' images together, by the `points` rule.
pub fn merge(raws: &[(String, Raw)], points: usize) -> Result<Evaluation, MergeError> {
    let (first_name, first) = raws.first().ok_or(MergeError::Empty)?;
    for (name, r) in raws {
        let what = if r.params != first.params {
            Some("classes, -iou_thresh or -thresh")
        } else if r.images_total != first.images_total {
            Some("the number of images")
        } else if r.names != first.names {
            Some("the class names")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(MergeError::Mismatch {
                file: name.clone(),
                first: first_name.clone(),
                what,
            });
        }
    }
    let mut records: Vec<&ImageMatches> = raws.iter().flat_map(|(_, r)| &r.records).collect();
    records.sort_by_key(|r| r.image);
    if let Some(w) = records.windows(2).find(|w| w[0].image == w[1].image) {
        return Err(MergeError::Twice(w[0].image));
    }
    let mut warnings: Vec<String> = raws.iter().flat_map(|(_, r)| r.warnings.clone()).collect();
    if records.len() < first.images_total {
        warnings.push(format!(
            "the shards hold {} of the list's {} images: the numbers are those of these images",
            records.len(),
            first.images_total
        ));
    }
    let mut matches = Matches::new(first.params.classes);
    for r in &records {
        matches.add(r);
    }
    let mut misses: Vec<(usize, Miss)> = raws.iter().flat_map(|(_, r)| r.misses.clone()).collect();
    misses.sort_by_key(|(i, _)| *i);
    let mut coco_images: Vec<(usize, CocoImage)> = raws
        .iter()
        .flat_map(|(_, r)| r.coco_images.clone())
        .collect();
    coco_images.sort_by_key(|(i, _)| *i);
    Ok(Evaluation {
        result: map::finish(&matches, &first.params, points, &first.names),
        coco: coco::evaluate(&coco_images.iter().map(|c| c.1.clone()).collect::<Vec<_>>()),
        coco_images,
        warnings,
        misses,
        records: records.into_iter().cloned().collect(),
        params: first.params,
        names: first.names.clone(),
        images_total: first.images_total,
        wall: Duration::ZERO,
        timings: Default::default(),
    })
}
