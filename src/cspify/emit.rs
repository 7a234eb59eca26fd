//! The rewritten network as a list of sections (copies of the plain cfg's sections, some with
//! new widths or references, and new convolutions and routes), rendered as darknet text that
//! keeps the copied sections' own lines and comments.

use crate::kinds::LayerKind;
use crate::network::Network;

/// A layer a new section refers to: a layer of the plain network or an emitted section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// Layer `i` of the plain network, wherever it now is.
    Old(usize),
    /// The `k`-th emitted section.
    Item(usize),
}

/// One emitted section.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Item {
    /// A section of the plain cfg, with its width or its references replaced where given.
    Copy {
        old: usize,
        filters: Option<usize>,
        refs: Option<Vec<Target>>,
    },
    /// A new 1×1 stride-1 convolution with batch normalisation reading the previous layer.
    Conv {
        filters: usize,
        activation: &'static str,
        comment: String,
    },
    /// A new route.
    Route {
        layers: Vec<Target>,
        comment: String,
    },
}

/// The key that holds a layer's references, and the references (absolute).
pub(super) fn refs_of(kind: &LayerKind) -> Option<(&'static str, Vec<usize>)> {
    kind.references()
}

/// Renders the emitted sections; `map[i]` is where plain layer `i` went.
pub(super) struct Render<'a> {
    pub net: &'a Network,
    pub lines: Vec<&'a str>,
    /// First line (0-based) of each section of the plain cfg, `[net]` first, then the end.
    pub starts: Vec<usize>,
    pub map: &'a [Option<usize>],
}

impl Render<'_> {
    fn resolve(&self, t: Target) -> Result<usize, String> {
        match t {
            Target::Item(k) => Ok(k),
            Target::Old(i) => self.map.get(i).copied().flatten().ok_or_else(|| {
                format!("layer {i} is read from outside the stage that replaces it")
            }),
        }
    }

    /// `key=value` with the targets written relative (`-k`) where `style` says so.
    fn value(&self, at: usize, targets: &[Target], style: &[bool]) -> Result<String, String> {
        let mut out = Vec::with_capacity(targets.len());
        for (n, t) in targets.iter().enumerate() {
            let to = self.resolve(*t)?;
            let relative = style.get(n).copied().unwrap_or(true);
            out.push(if relative {
                format!("-{}", at - to)
            } else {
                to.to_string()
            });
        }
        Ok(out.join(","))
    }

    /// The text of emitted section `at`.
    pub(super) fn section(&self, at: usize, item: &Item) -> Result<String, String> {
        match item {
            Item::Conv {
                filters,
                activation,
                comment,
            } => Ok(format!(
                "\n# {comment}\n[convolutional]\nbatch_normalize=1\nfilters={filters}\nsize=1\nstride=1\npad=1\nactivation={activation}\n"
            )),
            Item::Route { layers, comment } => Ok(format!(
                "\n# {comment}\n[route]\nlayers={}\n",
                self.value(at, layers, &[])?
            )),
            Item::Copy { old, filters, refs } => self.copy(at, *old, *filters, refs.as_deref()),
        }
    }

    fn copy(
        &self,
        at: usize,
        old: usize,
        filters: Option<usize>,
        refs: Option<&[Target]>,
    ) -> Result<String, String> {
        let (lo, hi) = (self.starts[old + 1], self.starts[old + 2]);
        let layer = &self.net.layers[old];
        let own = refs_of(&layer.kind);
        let mut out = String::new();
        for line in &self.lines[lo..hi] {
            let key = line.split('=').next().unwrap_or("").trim();
            let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            let is_entry = !compact.starts_with('#') && !compact.starts_with(';');
            match (&own, is_entry) {
                (Some((ref_key, olds)), true) if key == *ref_key => {
                    let written = compact.split_once('=').map_or("", |(_, v)| v);
                    let style: Vec<bool> = written.split(',').map(|v| v.starts_with('-')).collect();
                    let targets: Vec<Target> = match refs {
                        Some(t) => t.to_vec(),
                        None => olds.iter().map(|&i| Target::Old(i)).collect(),
                    };
                    out += &format!("{ref_key}={}\n", self.value(at, &targets, &style)?);
                }
                (_, true) if key == "filters" && filters.is_some() => {
                    out += &format!("filters={}\n", filters.unwrap_or(0));
                }
                _ => {
                    out += line;
                    out.push('\n');
                }
            }
        }
        Ok(out)
    }
}
