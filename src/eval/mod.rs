//! Evaluation: a network's accuracy on labelled images, as darknet's `detector map` gives it
//! (`map.rs`), from a `.data` file's lists and the labels beside the images (`data.rs`), the
//! images run through the one detection path (`detect::run`), reported in darknet's lines and
//! as JSON (`report.rs`).

pub mod anchors;
pub mod check;
pub mod coco;
pub mod data;
pub mod map;
pub mod misses;
pub mod propose;
pub mod report;
pub mod run;
pub mod shard;

pub use data::{DataError, DataFile, Label};
pub use map::{ImageMatches, MapParams, MapResult, Matches};
