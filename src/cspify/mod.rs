//! `cspify`: rewrite the residual or dense stages of a plain network into CSP stages the way
//! the CSPNet authors did (Darknet-53 → CSPDarknet-53, ResNet-50 → CSPResNet-50, ResNeXt-50
//! → CSPResNeXt-50), as darknet cfg text.
//!
//! Each stage of units at one resolution, after its base (the downsampling layer; for a
//! ResNet downsampling unit, its strided convolution), becomes: part 1, a 1×1 convolution of
//! the base; a route back to the base and a 1×1 entry convolution (part 2); the units, whose
//! closing convolution narrows to part 2's width; a 1×1 transition before (fusion `csp` and
//! `last`; for dense units it halves part 2's concatenation, as DenseNet's own transitions
//! do); the concatenation of part 2 and part 1; and a 1×1 transition after (fusion `csp` and
//! `first`). Where the plain network already follows the stage with a 1×1 convolution
//! reading only its output (the pointwise convolution opening the next ResNet stage, or a
//! classifier), that convolution is the transition after. A residual stage's output keeps its
//! channels, so the rest of the network is unchanged.

mod emit;
mod find;

pub use find::{Candidate, Unit, UnitKind, candidates};

use crate::Analysis;
use crate::kinds::LayerKind;
use crate::profile::csp::Fusion;
use emit::{Item, Render, Target};
use thiserror::Error;

/// Which stages to convert.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StageSelect {
    /// Every convertible stage.
    #[default]
    All,
    /// These convertible stages (1-based, in network order).
    Some(Vec<usize>),
}

/// How to convert.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Where the transitions go (`none` is refused: a CSP stage has at least one).
    pub fusion: Fusion,
    /// Part 2's share of the stage's channels.
    pub ratio: f64,
    /// Which stages.
    pub stages: StageSelect,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            fusion: Fusion::Csp,
            ratio: 0.5,
            stages: StageSelect::All,
        }
    }
}

/// Why a network could not be converted.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CspifyError {
    /// The network has no stage to convert.
    #[error("{cfg} has no stage to convert: {}", if skipped.is_empty() { NO_STAGE.to_string() } else { skipped.join("; ") })]
    NothingToConvert {
        /// The cfg's name.
        cfg: String,
        /// Why each residual or dense run found was not convertible.
        skipped: Vec<String>,
    },
    /// Part 2's share of the channels is not strictly between 0 and 1.
    #[error(
        "the ratio must lie strictly between 0 and 1 (part 2's share of the channels), not {0}"
    )]
    Ratio(f64),
    /// No transition asked for.
    #[error("the fusion must be csp, first or last: a CSP stage has at least one transition")]
    NoFusion,
    /// A stage number past the convertible ones.
    #[error("{cfg} has {found} convertible stage{} (1 to {found}), not {stage}", if *found == 1 { "" } else { "s" })]
    NoSuchStage {
        /// The stage asked for (1-based).
        stage: usize,
        /// The cfg's name.
        cfg: String,
        /// How many there are.
        found: usize,
    },
    /// A layer outside a stage reads a layer inside it.
    #[error("the stage at {}×{} (layers {first}–{last}) cannot be converted: layer {reader} reads layer {read} inside it", resolution.0, resolution.1)]
    ReadFromOutside {
        /// The stage's W×H.
        resolution: (usize, usize),
        /// Its first and last layer.
        first: usize,
        /// Its last layer.
        last: usize,
        /// The reading layer.
        reader: usize,
        /// The layer it reads.
        read: usize,
    },
    /// The rewrite failed: a csplens fault.
    #[error("the rewritten network does not load (a csplens fault, please report it): {0}")]
    Rewrite(String),
}

/// Why a network without residual or dense runs has nothing to convert.
const NO_STAGE: &str = "cspify converts runs of residual units (a [shortcut] adding a unit's input) or dense units (a [route] concatenating a unit's output with its input) at one resolution, and this network has none";

/// A converted stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// The plain stage.
    pub candidate: Candidate,
    /// Part 1's and part 2's channels.
    pub parts: (usize, usize),
}

/// The written network.
#[derive(Debug, Clone, PartialEq)]
pub struct Cspified {
    /// The cfg text.
    pub text: String,
    /// The stages converted.
    pub converted: Vec<Converted>,
}

fn channels(a: &Analysis, i: usize) -> usize {
    a.shapes.layers.get(i).map_or(0, |s| s.output.c)
}

fn select(a: &Analysis, opts: &Options) -> Result<Vec<Candidate>, CspifyError> {
    if !(opts.ratio > 0.0 && opts.ratio < 1.0) {
        return Err(CspifyError::Ratio(opts.ratio));
    }
    if opts.fusion == Fusion::None {
        return Err(CspifyError::NoFusion);
    }
    let (found, skipped) = candidates(a);
    if found.is_empty() {
        return Err(CspifyError::NothingToConvert {
            cfg: a.path.clone(),
            skipped,
        });
    }
    match &opts.stages {
        StageSelect::All => Ok(found),
        StageSelect::Some(list) => list
            .iter()
            .map(|&k| {
                found
                    .get(k.wrapping_sub(1))
                    .cloned()
                    .ok_or_else(|| CspifyError::NoSuchStage {
                        stage: k,
                        cfg: a.path.clone(),
                        found: found.len(),
                    })
            })
            .collect(),
    }
}

/// Converts the selected stages of `a` into CSP stages.
pub fn cspify(a: &Analysis, opts: &Options) -> Result<Cspified, CspifyError> {
    let chosen = select(a, opts)?;
    let consumers = a.network.consumers();
    let dropped: Vec<usize> = chosen.iter().flat_map(|c| c.dropped.clone()).collect();
    for c in &chosen {
        let inside = c.replaced();
        let internal = consumers.iter().enumerate().take(c.last()).skip(c.base + 1);
        for (l, readers) in internal {
            if let Some(r) = readers.iter().find(|r| !inside.contains(r)) {
                return Err(CspifyError::ReadFromOutside {
                    resolution: c.resolution,
                    first: c.base + 1,
                    last: c.last(),
                    reader: *r,
                    read: l,
                });
            }
        }
    }
    let mut b = Builder {
        a,
        opts,
        items: Vec::new(),
        map: vec![None; a.network.layers.len()],
        converted: Vec::new(),
    };
    let mut i = 0;
    while i < a.network.layers.len() {
        if let Some(c) = chosen.iter().find(|c| c.base + 1 == i) {
            let reuse = reusable_after(a, &consumers, &dropped, c);
            b.stage(c, reuse);
            i = c.last() + 1;
        } else {
            b.copy(i, None, None);
            i += 1;
        }
    }
    let text = b.render()?;
    let over = crate::shape::InputOverride {
        width: Some(a.shapes.input.w),
        height: Some(a.shapes.input.h),
    };
    crate::analyze(&a.path, text.as_bytes(), over).map_err(|f| CspifyError::Rewrite(f.render()))?;
    Ok(Cspified {
        text,
        converted: b.converted,
    })
}

/// Whether the layer after the stage is a 1×1 stride-1 convolution and its only reader.
fn reusable_after(
    a: &Analysis,
    consumers: &[Vec<usize>],
    dropped: &[usize],
    c: &Candidate,
) -> bool {
    let next = c.last() + 1;
    let pointwise = matches!(a.network.layers.get(next).map(|l| &l.kind),
        Some(LayerKind::Convolutional(k)) if k.size == 1 && k.stride_x == 1 && k.stride_y == 1);
    let readers: Vec<usize> = consumers[c.last()]
        .iter()
        .copied()
        .filter(|r| !dropped.contains(r))
        .collect();
    pointwise && readers == [next]
}

struct Builder<'a> {
    a: &'a Analysis,
    opts: &'a Options,
    items: Vec<Item>,
    map: Vec<Option<usize>>,
    converted: Vec<Converted>,
}

impl Builder<'_> {
    fn push(&mut self, item: Item) -> usize {
        self.items.push(item);
        self.items.len() - 1
    }

    fn copy(&mut self, old: usize, filters: Option<usize>, refs: Option<Vec<Target>>) -> usize {
        let k = self.push(Item::Copy { old, filters, refs });
        self.map[old] = Some(k);
        k
    }

    fn conv(&mut self, filters: usize, activation: &'static str, comment: String) -> usize {
        self.push(Item::Conv {
            filters,
            activation,
            comment,
        })
    }

    /// Emits stage `c` as a CSP stage.
    fn stage(&mut self, c: &Candidate, reuse_after: bool) {
        let a = self.a;
        let n = self.converted.len() + 1;
        let activation = match a.network.layers.get(c.units[0].first).map(|l| &l.kind) {
            Some(LayerKind::Convolutional(k)) => k.activation.name(),
            _ => "leaky",
        };
        let out = channels(a, c.last());
        let width = match c.kind {
            UnitKind::Residual => out,
            UnitKind::Dense => channels(a, c.base),
        };
        let w2 = ((width as f64 * self.opts.ratio).round() as usize).clamp(1, width.max(2) - 1);
        let w1 = width - w2;
        let part1 = self.conv(w1, activation, format!("CSP stage {n} (cspify): part 1"));
        self.push(Item::Route {
            layers: vec![Target::Old(c.base)],
            comment: format!("CSP stage {n}: part 2 re-reads the base"),
        });
        let mut prev = self.conv(w2, activation, format!("CSP stage {n}: part 2 entry"));
        for u in &c.units {
            for l in u.first..u.last {
                let narrow = c.kind == UnitKind::Residual && l + 1 == u.last;
                self.copy(l, narrow.then_some(w2), None);
            }
            // a dense unit's route reads the unit's input and its body; a residual unit's
            // shortcut reads the previous layer
            let refs = if let LayerKind::Route(r) = &a.network.layers[u.last].kind {
                r.layers
                    .iter()
                    .map(|&j| {
                        if j == u.input {
                            Target::Item(prev)
                        } else {
                            Target::Old(j)
                        }
                    })
                    .collect()
            } else {
                vec![Target::Item(prev)]
            };
            prev = self.copy(u.last, None, Some(refs));
        }
        let mut part2 = out - w1;
        if matches!(self.opts.fusion, Fusion::Csp | Fusion::Last) {
            if c.kind == UnitKind::Dense {
                // DenseNet's own transitions halve the concatenation (compression 0.5)
                part2 = part2.div_ceil(2);
            }
            let comment = format!("CSP stage {n}: transition before the merge");
            prev = self.conv(part2, activation, comment);
        }
        let merge = self.push(Item::Route {
            layers: vec![Target::Item(prev), Target::Item(part1)],
            comment: format!("CSP stage {n}: merge part 2 and part 1"),
        });
        let mut output = merge;
        if matches!(self.opts.fusion, Fusion::Csp | Fusion::First) && !reuse_after {
            let comment = format!("CSP stage {n}: transition after the merge");
            output = self.conv(out, activation, comment);
        }
        self.map[c.last()] = Some(output);
        self.converted.push(Converted {
            candidate: c.clone(),
            parts: (w1, part2),
        });
    }

    fn header(&self) -> String {
        let stages = match &self.opts.stages {
            StageSelect::All => "all".to_string(),
            StageSelect::Some(v) => v
                .iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(","),
        };
        let mut out = format!(
            "# Made by csplens cspify from {}: fusion={}, ratio={}, stages={stages}\n",
            self.a.path,
            self.opts.fusion.name(),
            self.opts.ratio
        );
        for (k, c) in self.converted.iter().enumerate() {
            let cand = &c.candidate;
            out += &format!(
                "# CSP stage {}: {}×{}, {} {} unit{} (plain layers {}–{}), part 1 {} + part 2 {} channels\n",
                k + 1,
                cand.resolution.0,
                cand.resolution.1,
                cand.units.len(),
                match cand.kind {
                    UnitKind::Residual => "residual",
                    UnitKind::Dense => "dense",
                },
                if cand.units.len() == 1 { "" } else { "s" },
                cand.base + 1,
                cand.last(),
                c.parts.0,
                c.parts.1
            );
        }
        out
    }

    fn render(&self) -> Result<String, CspifyError> {
        let lines: Vec<&str> = self.a.source.lines().collect();
        let parsed =
            crate::cfg::parse(&self.a.source).map_err(|e| CspifyError::Rewrite(e.to_string()))?;
        let mut starts: Vec<usize> = parsed
            .sections
            .iter()
            .map(|s| s.span.line.saturating_sub(1))
            .collect();
        starts.push(lines.len());
        let r = Render {
            net: &self.a.network,
            lines: lines.clone(),
            starts: starts.clone(),
            map: &self.map,
        };
        let mut out = self.header();
        for line in &lines[..starts[1]] {
            out += line;
            out.push('\n');
        }
        for (k, item) in self.items.iter().enumerate() {
            out += &r.section(k, item).map_err(CspifyError::Rewrite)?;
        }
        Ok(out)
    }
}
