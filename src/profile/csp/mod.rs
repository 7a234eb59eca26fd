//! CSP stages: every cross-stage partial stage of a network, in every idiom the real cfgs use
//! (a `groups` slice, two convolutions reading the base, a route back to the base), with its
//! parts, the block inside part 2, the fusion and the stage's own totals; plus the partial
//! residuals (`[shortcut]`s adding a layer with fewer channels).
//!
//! The definition: a CSP stage is a two-input concatenating `[route]` R (`groups` = 1) whose
//! inputs meet at a base D, the latest layer both descend from or are. The layers strictly
//! after D on the way to each input are that input's branch. For one assignment of R's inputs
//! to part 1 and part 2: the branches share no layer; part 2 holds at least two weighted
//! layers, one a convolution with size > 1; part 1 is D, a `groups` slice of D or one
//! convolution reading D; part 2 enters from D through a `groups` slice, a convolution reading
//! D, or a one-input route re-reading D that feeds only convolutions (a slice when part 1 is
//! D itself). Fusion: a 1×1 stride-1 convolution not reading D as part 2's input to R is the
//! transition before; layer R+1 as a 1×1 stride-1 convolution reading only R is the
//! transition after.

mod find;

use super::{Gradient, Memory, Profile, traffic::layer_traffic};
use crate::kinds::LayerKind;
use crate::network::Network;
use crate::shape::Shapes;
use find::{Ancestry, Found};
use serde::Serialize;

/// Where the transitions of a stage sit (the CSPNet write-up's fusion strategies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fusion {
    /// Transitions before and after the concatenation.
    Csp,
    /// Only after: the parts are concatenated first, then one transition (fusion first).
    First,
    /// Only before: part 2 ends in a transition, then the concatenation (fusion last).
    Last,
    /// No transition.
    None,
}

impl Fusion {
    /// The fusion given whether there is a transition before and one after the concatenation.
    pub fn from_transitions(before: bool, after: bool) -> Self {
        match (before, after) {
            (true, true) => Self::Csp,
            (false, true) => Self::First,
            (true, false) => Self::Last,
            (false, false) => Self::None,
        }
    }

    /// The word used in the CLI, the JSON and `cspify --fusion`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Csp => "csp",
            Self::First => "first",
            Self::Last => "last",
            Self::None => "none",
        }
    }
}

/// What part 1 is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part1Kind {
    /// The base itself.
    Identity,
    /// A `groups` slice of the base.
    Slice,
    /// One convolution reading the base.
    Conv,
}

/// How part 2 enters from the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Entry {
    /// A `groups` slice of the base.
    #[serde(rename = "slice")]
    Slice,
    /// A convolution reading the base.
    #[serde(rename = "conv")]
    Conv,
    /// A one-input route re-reading the base, feeding convolutions.
    #[serde(rename = "route+conv")]
    RouteConv,
}

/// The kind of block inside part 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Units joined by `[shortcut]`.
    Residual,
    /// Units joined by concatenation.
    Dense,
    /// Neither.
    Plain,
}

/// Part 1: the part that crosses the stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part1 {
    /// The layer the merge reads for part 1.
    pub input: usize,
    /// What it is.
    pub kind: Part1Kind,
    /// Its channels.
    pub channels: usize,
    /// Its layers (empty when part 1 is the base itself).
    #[serde(skip)]
    pub layers: Vec<usize>,
}

/// Part 2: the part that goes through the partial block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part2 {
    /// The layer the merge reads for part 2.
    pub input: usize,
    /// How it enters from the base.
    pub entry: Entry,
    /// The layer that reads the base.
    pub entry_layer: usize,
    /// Channels it gives the merge.
    pub channels: usize,
    /// Its layers, in order.
    pub layers: Vec<usize>,
}

/// The block inside part 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Block {
    /// Residual, dense or plain (residual when it has any `[shortcut]`).
    pub kind: BlockKind,
    /// Units of that kind: shortcuts (residual), concatenations (dense), weighted layers
    /// (plain).
    pub units: usize,
    /// `[shortcut]` layers in part 2.
    pub residual_units: usize,
    /// Concatenating routes in part 2.
    pub dense_units: usize,
    /// Convolutional and connected layers in part 2.
    pub weighted_layers: usize,
}

/// Output width and height.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// Width.
    pub width: usize,
    /// Height.
    pub height: usize,
}

/// A stage's own totals, over its layers (both parts, the merge and a transition after).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct StageTotals {
    /// darknet BFLOPs.
    pub bflops: f64,
    /// Trainable parameters.
    pub params: u64,
    /// Convolution kernel weights.
    pub conv_weights: u64,
    /// Largest live activation set while one of the stage's layers runs.
    pub peak_memory_bytes: u64,
    /// Gradient duplication D/T of the stage's layers, `copy` variant.
    pub dup_ratio_copy: f64,
    /// The same, `channelwise` variant.
    pub dup_ratio_channelwise: f64,
    /// CIO of its weighted layers, in values.
    pub cio: u64,
    /// MAC of its weighted layers, in values.
    pub mac: u64,
    /// Concatenation copies, in values.
    pub concat_copy_volume: u64,
}

/// One CSP stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CspStage {
    /// 1-based, in the order of the merges.
    pub index: usize,
    /// The base D.
    pub base: usize,
    /// The concatenating route R.
    pub merge: usize,
    /// Where the transitions are.
    pub fusion: Fusion,
    /// Channels of the base.
    pub base_channels: usize,
    /// Part 1.
    pub part1: Part1,
    /// Part 2.
    pub part2: Part2,
    /// Part 2's share of the merge's channels: part2 / (part1 + part2).
    pub ratio: f64,
    /// The merge's output size.
    pub resolution: Resolution,
    /// The block inside part 2.
    pub block: Block,
    /// The transition before the merge (part 2's input), if any.
    pub transition_before: Option<usize>,
    /// The transition after the merge (R+1), if any.
    pub transition_after: Option<usize>,
    /// The stage's layers: both parts, the merge and the transition after, in order.
    pub layers: Vec<usize>,
    /// Totals over those layers.
    pub totals: StageTotals,
}

impl CspStage {
    /// "CSP stage 3 · 64×64 · 128 → 64+64 · 8 residual units · fusion csp".
    pub fn label(&self) -> String {
        let units = match self.block.kind {
            BlockKind::Residual => "residual unit",
            BlockKind::Dense => "dense unit",
            BlockKind::Plain => "weighted layer",
        };
        let plural = if self.block.units == 1 { "" } else { "s" };
        format!(
            "CSP stage {} · {}×{} · {} → {}+{} · {} {units}{plural} · fusion {}",
            self.index,
            self.resolution.width,
            self.resolution.height,
            self.base_channels,
            self.part1.channels,
            self.part2.channels,
            self.block.units,
            self.fusion.name()
        )
    }
}

/// A `[shortcut]` adding a layer with fewer channels than its own (darknet adds the common
/// channels and passes the rest through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PartialResidual {
    /// The shortcut.
    pub layer: usize,
    /// The layer it adds.
    pub from: usize,
    /// The shortcut's channels.
    pub channels: usize,
    /// The added layer's channels.
    pub from_channels: usize,
}

/// The CSP structure of a network.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CspStages {
    /// Every stage, in the order of the merges.
    pub stages: Vec<CspStage>,
    /// Every partial residual.
    pub partial_residuals: Vec<PartialResidual>,
    /// Per layer: the position in `stages` of the innermost stage holding it.
    #[serde(skip)]
    pub layer_stage: Vec<Option<usize>>,
}

impl CspStages {
    /// The 1-based index of the innermost stage holding layer `i`.
    pub fn stage_of(&self, i: usize) -> Option<usize> {
        self.layer_stage
            .get(i)
            .copied()
            .flatten()
            .and_then(|k| self.stages.get(k))
            .map(|s| s.index)
    }
}

/// The structure alone: stages without totals, and the partial residuals.
pub fn structure(net: &Network, shapes: &Shapes) -> CspStages {
    let anc = Ancestry::build(net);
    let consumers = net.consumers();
    let channels = |i: usize| shapes.layers.get(i).map_or(0, |s| s.output.c);
    let stages: Vec<CspStage> = (0..net.layers.len())
        .filter_map(|r| find::stage_at(net, &anc, &consumers, r))
        .enumerate()
        .map(|(k, f)| stage(k + 1, f, shapes, &channels))
        .collect();
    let mut layer_stage = vec![None; net.layers.len()];
    let mut by_size: Vec<usize> = (0..stages.len()).collect();
    by_size.sort_by_key(|&k| std::cmp::Reverse(stages[k].layers.len()));
    for k in by_size {
        for &l in &stages[k].layers {
            layer_stage[l] = Some(k);
        }
    }
    CspStages {
        stages,
        partial_residuals: partial_residuals(net, &channels),
        layer_stage,
    }
}

fn stage(index: usize, f: Found, shapes: &Shapes, channels: &dyn Fn(usize) -> usize) -> CspStage {
    let (c1, c2) = (channels(f.part1_input), channels(f.part2_input));
    let mut layers: Vec<usize> = f
        .part1_layers
        .iter()
        .chain(&f.part2_layers)
        .copied()
        .chain([f.merge])
        .chain(f.transition_after)
        .collect();
    layers.sort_unstable();
    let out = shapes.layers.get(f.merge).map(|s| s.output);
    let units = match f.block {
        BlockKind::Residual => f.residual_units,
        BlockKind::Dense => f.dense_units,
        BlockKind::Plain => f.weighted_layers,
    };
    CspStage {
        index,
        base: f.base,
        merge: f.merge,
        fusion: f.fusion,
        base_channels: channels(f.base),
        part1: Part1 {
            input: f.part1_input,
            kind: f.part1_kind,
            channels: c1,
            layers: f.part1_layers,
        },
        part2: Part2 {
            input: f.part2_input,
            entry: f.entry,
            entry_layer: f.entry_layer,
            channels: c2,
            layers: f.part2_layers,
        },
        ratio: if c1 + c2 == 0 {
            0.0
        } else {
            c2 as f64 / (c1 + c2) as f64
        },
        resolution: Resolution {
            width: out.map_or(0, |s| s.w),
            height: out.map_or(0, |s| s.h),
        },
        block: Block {
            kind: f.block,
            units,
            residual_units: f.residual_units,
            dense_units: f.dense_units,
            weighted_layers: f.weighted_layers,
        },
        transition_before: f.transition_before,
        transition_after: f.transition_after,
        layers,
        totals: StageTotals::default(),
    }
}

fn partial_residuals(net: &Network, channels: &dyn Fn(usize) -> usize) -> Vec<PartialResidual> {
    let mut out = Vec::new();
    for layer in &net.layers {
        let LayerKind::Shortcut(s) = &layer.kind else {
            continue;
        };
        let own = channels(layer.index);
        for &from in &s.from {
            let theirs = channels(from);
            if theirs < own {
                out.push(PartialResidual {
                    layer: layer.index,
                    from,
                    channels: own,
                    from_channels: theirs,
                });
            }
        }
    }
    out
}

/// Every CSP stage with its totals from the profiler's side tables.
pub fn csp_stages(
    net: &Network,
    shapes: &Shapes,
    profile: &Profile,
    memory: &Memory,
    gradient: &Gradient,
) -> CspStages {
    let mut found = structure(net, shapes);
    for s in &mut found.stages {
        s.totals = totals(&s.layers, net, shapes, profile, memory, gradient);
    }
    found
}

/// Totals over `layers`.
pub fn totals(
    layers: &[usize],
    net: &Network,
    shapes: &Shapes,
    profile: &Profile,
    memory: &Memory,
    gradient: &Gradient,
) -> StageTotals {
    let mut t = StageTotals::default();
    let (mut dup, mut vol) = ([0.0f64; 2], [0u64; 2]);
    let mut traffic = super::Traffic::default();
    for &l in layers {
        if let Some(c) = profile.layers.get(l) {
            t.bflops += c.bflops as f64;
            t.params = t.params.saturating_add(c.params);
            t.conv_weights = t.conv_weights.saturating_add(c.conv_weights);
        }
        if let Some(m) = memory.layers.get(l) {
            t.peak_memory_bytes = t.peak_memory_bytes.max(m.live_bytes_during);
        }
        if let Some(g) = gradient.layers.get(l) {
            dup[0] += g.dup_copy.unwrap_or(0.0);
            dup[1] += g.dup_channelwise.unwrap_or(0.0);
            vol[0] = vol[0].saturating_add(g.volume_copy);
            vol[1] = vol[1].saturating_add(g.volume_channelwise);
        }
        traffic.add(layer_traffic(net, shapes, profile, l));
    }
    let ratio = |d: f64, v: u64| if v == 0 { 0.0 } else { d / v as f64 };
    t.dup_ratio_copy = ratio(dup[0], vol[0]);
    t.dup_ratio_channelwise = ratio(dup[1], vol[1]);
    t.cio = traffic.cio;
    t.mac = traffic.mac;
    t.concat_copy_volume = traffic.concat_copy_volume;
    t
}
