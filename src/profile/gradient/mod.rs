//! Gradient-path metrics of `../shared/docs/gradient-paths.md`: sources and duplicated
//! gradient volume of every weighted layer under both transparency variants, exact path
//! counts (reported as log2), and the same per stage.

mod dup;
mod model;
mod paths;

pub use model::Variant;
pub use paths::log2;

use super::flops::Profile;
use crate::network::Network;
use crate::shape::Shapes;
use dup::DupResult;
use model::ChannelGraph;
use serde::Serialize;
use std::collections::BTreeMap;

/// Network-wide duplication figures of one variant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantSummary {
    /// T: total gradient-use volume.
    pub total_volume: u64,
    /// D: duplicated volume.
    pub dup_volume: u64,
    /// D/T.
    pub ratio: f64,
    /// Σ m over source channels.
    pub total_channel_uses: u64,
    /// Σ (m−1).
    pub dup_channel_uses: u64,
    /// Σ(m−1)/Σm.
    pub ratio_channels: f64,
    /// Number of distinct source channels read by weighted layers.
    pub source_channels: u64,
    /// Largest fan-out m of a source channel.
    pub max_fanout: u64,
    /// Source channels by fan-out.
    pub fanout_histogram: BTreeMap<u64, u64>,
}

/// Per-channel path counts of a segment of a layer's output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathSegment {
    /// First channel.
    pub lo: u64,
    /// One past the last channel.
    pub hi: u64,
    /// log2 N(v, {lo}).
    pub log2_first: Option<f64>,
    /// log2 N(v, {hi−1}).
    pub log2_last: Option<f64>,
}

/// Gradient facts of one layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerGradient {
    /// |S(L)| in the `copy` variant (weighted layers only).
    pub sources_copy: Option<u64>,
    /// |S(L)| in the `channelwise` variant.
    pub sources_channelwise: Option<u64>,
    /// Sources shared with another weighted layer (`copy`).
    pub shared_sources_copy: Option<u64>,
    /// Sources shared with another weighted layer (`channelwise`).
    pub shared_sources_channelwise: Option<u64>,
    /// Attributed duplicated volume (`copy`).
    pub dup_copy: Option<f64>,
    /// Attributed duplicated volume (`channelwise`).
    pub dup_channelwise: Option<f64>,
    /// Duplicated volume of this layer's own output channels as a source (`copy`).
    pub dup_as_source_copy: u64,
    /// The same for `channelwise`.
    pub dup_as_source_channelwise: u64,
    /// This layer's share of T, Σ over its sources of their volume (`copy`; 0 unless weighted).
    pub volume_copy: u64,
    /// The same for `channelwise`.
    pub volume_channelwise: u64,
    /// log2 of the channel-aware path count to the outputs.
    pub log2_paths: Option<f64>,
    /// log2 of the plain path count, when it differs.
    pub log2_paths_plain: Option<f64>,
    /// Per-channel segments, when the layer's consumers take different channel ranges.
    pub log2_paths_per_channel: Vec<PathSegment>,
}

/// D and T of a stage in one variant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StageDup {
    /// D of the stage.
    pub dup_volume: f64,
    /// T of the stage.
    pub total_volume: u64,
    /// D/T.
    pub ratio: f64,
}

/// A maximal run of consecutive layers with the same output W×H.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    /// 1-based stage number.
    pub index: usize,
    /// First layer of the run.
    pub first_layer: usize,
    /// Last layer of the run.
    pub last_layer: usize,
    /// Output width of the run.
    pub width: usize,
    /// Output height of the run.
    pub height: usize,
    /// BFLOPs of the run's layers.
    pub bflops: f64,
    /// Trainable parameters of the run's layers.
    pub params: u64,
    /// Duplication in the `copy` variant.
    pub copy: StageDup,
    /// Duplication in the `channelwise` variant.
    pub channelwise: StageDup,
}

/// All gradient metrics of a network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gradient {
    /// `copy` variant (only routes are traced through).
    pub copy: VariantSummary,
    /// `channelwise` variant.
    pub channelwise: VariantSummary,
    /// log2 of the number of gradient paths that reach the image.
    pub log2_paths_to_input: Option<f64>,
    /// Largest log2 path count of a weighted layer.
    pub log2_max_paths_weighted: Option<f64>,
    /// Per layer.
    pub layers: Vec<LayerGradient>,
    /// Per stage.
    pub stages: Vec<Stage>,
}

fn clamp(v: u128) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

fn ratio(a: u128, b: u128) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn summary(r: &DupResult) -> VariantSummary {
    VariantSummary {
        total_volume: clamp(r.total_volume),
        dup_volume: clamp(r.dup_volume),
        ratio: ratio(r.dup_volume, r.total_volume),
        total_channel_uses: clamp(r.total_channel_uses),
        dup_channel_uses: clamp(r.dup_channel_uses),
        ratio_channels: ratio(r.dup_channel_uses, r.total_channel_uses),
        source_channels: clamp(r.source_channels),
        max_fanout: r.max_fanout,
        fanout_histogram: r.histogram.iter().map(|(&k, &v)| (k, clamp(v))).collect(),
    }
}

/// Computes every gradient metric.
pub fn gradient(net: &Network, shapes: &Shapes, profile: &Profile) -> Gradient {
    let g = ChannelGraph::build(net, shapes);
    let copy = dup::duplication(&g, Variant::Copy);
    let chan = dup::duplication(&g, Variant::Channelwise);
    let plain = paths::plain(&g);
    let mut counter = paths::Counter::new(&g);
    let mut layers = Vec::with_capacity(net.layers.len());
    let mut max_weighted: Option<f64> = None;
    for i in 0..net.layers.len() {
        let v = i + 1;
        let aware = counter.all(v);
        let log2_paths = log2(&aware);
        if g.weighted[v] {
            max_weighted = match (max_weighted, log2_paths) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
        let w = g.weighted[v];
        let segments = counter
            .segments(v)
            .into_iter()
            .map(|((lo, hi), a, b)| PathSegment {
                lo,
                hi,
                log2_first: log2(&a),
                log2_last: log2(&b),
            })
            .collect();
        layers.push(LayerGradient {
            sources_copy: w.then_some(copy.sources[v]),
            sources_channelwise: w.then_some(chan.sources[v]),
            shared_sources_copy: w.then_some(copy.shared_sources[v]),
            shared_sources_channelwise: w.then_some(chan.shared_sources[v]),
            dup_copy: w.then_some(copy.attributed[v]),
            dup_channelwise: w.then_some(chan.attributed[v]),
            dup_as_source_copy: clamp(copy.dup_as_source[v]),
            dup_as_source_channelwise: clamp(chan.dup_as_source[v]),
            volume_copy: clamp(copy.volume[v]),
            volume_channelwise: clamp(chan.volume[v]),
            log2_paths,
            log2_paths_plain: (plain[v] != aware).then(|| log2(&plain[v])).flatten(),
            log2_paths_per_channel: segments,
        });
    }
    let log2_paths_to_input = log2(&counter.all(0));
    let stages = stages(shapes, profile, &copy, &chan);
    Gradient {
        copy: summary(&copy),
        channelwise: summary(&chan),
        log2_paths_to_input,
        log2_max_paths_weighted: max_weighted,
        layers,
        stages,
    }
}

fn stages(shapes: &Shapes, profile: &Profile, copy: &DupResult, chan: &DupResult) -> Vec<Stage> {
    let mut out: Vec<Stage> = Vec::new();
    for (i, s) in shapes.layers.iter().enumerate() {
        let (w, h) = (s.output.w, s.output.h);
        let same = out.last().is_some_and(|st| st.width == w && st.height == h);
        if !same {
            let empty = StageDup {
                dup_volume: 0.0,
                total_volume: 0,
                ratio: 0.0,
            };
            out.push(Stage {
                index: out.len() + 1,
                first_layer: i,
                last_layer: i,
                width: w,
                height: h,
                bflops: 0.0,
                params: 0,
                copy: empty,
                channelwise: empty,
            });
        }
        let Some(st) = out.last_mut() else { continue };
        st.last_layer = i;
        st.bflops += profile.layers[i].bflops as f64;
        st.params = st.params.saturating_add(profile.layers[i].params);
        for (d, r) in [(&mut st.copy, copy), (&mut st.channelwise, chan)] {
            d.dup_volume += r.attributed[i + 1];
            d.total_volume = d.total_volume.saturating_add(clamp(r.volume[i + 1]));
        }
    }
    for st in &mut out {
        for d in [&mut st.copy, &mut st.channelwise] {
            d.ratio = if d.total_volume == 0 {
                0.0
            } else {
                d.dup_volume / d.total_volume as f64
            };
        }
    }
    out
}
