//! Sections → a typed network: one [`Layer`] per section after `[net]`, references made
//! absolute, and the DAG (inputs, consumers, order) ready for later stages.

mod layer;
mod net_keys;

pub use layer::Layer;
pub use net_keys::NET_KEYS;

use crate::cfg::{CfgFile, Entry, Section};
use crate::diag::{Span, Warning};
use crate::kinds::{LayerKind, PJREDDIE_ONLY, Src};
use crate::vocab::error::{NetworkError, NetworkErrorKind};
use crate::vocab::keys::{MAX_DIM, ParseCx};
use crate::vocab::options::Opts;

/// The `[net]` section's facts that shape and run the network.
#[derive(Debug, Clone, PartialEq)]
pub struct NetInfo {
    /// Input width (0 for flat-input networks).
    pub width: usize,
    /// Input height.
    pub height: usize,
    /// Input channels.
    pub channels: usize,
    /// Flat input size (`inputs=`, default width·height·channels).
    pub inputs: usize,
    /// `letter_box=1`: detection letterboxes the image instead of stretching it.
    pub letter_box: bool,
    /// `show_receptive_field=1`: darknet prints each layer's receptive field after its line
    /// (read as a float and truncated, as darknet does).
    pub show_receptive_field: bool,
    /// Where `[net]` is.
    pub span: Span,
}

/// A typed network.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// The `[net]` facts.
    pub net: NetInfo,
    /// The layers in darknet order.
    pub layers: Vec<Layer>,
    /// Parse and typing warnings, in file order.
    pub warnings: Vec<Warning>,
}

impl Network {
    /// For each layer, the layers that read its output.
    pub fn consumers(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.layers.len()];
        for layer in &self.layers {
            for src in &layer.inputs {
                if let Src::Layer(i) = src
                    && let Some(list) = out.get_mut(*i)
                    && !list.contains(&layer.index)
                {
                    list.push(layer.index);
                }
            }
        }
        out
    }

    /// For each layer, the last layer that reads its output; `None` when the output is a result
    /// for the caller (a detection head, or a layer nothing reads).
    pub fn last_readers(&self) -> Vec<Option<usize>> {
        self.consumers()
            .iter()
            .zip(&self.layers)
            .map(|(readers, layer)| {
                if layer.kind.is_head() {
                    None
                } else {
                    readers.iter().copied().max()
                }
            })
            .collect()
    }

    /// A topological order of the DAG. Darknet only reads earlier layers, so file order is one.
    pub fn topological_order(&self) -> Vec<usize> {
        (0..self.layers.len()).collect()
    }
}

/// What darknet's parser reads of one layer section.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionKeys<'a> {
    /// Every key the kind's parser (and darknet's common per-layer keys) asked for.
    pub asked: Vec<String>,
    /// The entries it left unread (darknet's "Unused field").
    pub unused: Vec<&'a Entry>,
}

/// The keys darknet reads of layer section `section` (layer `index`; `previous` the kinds
/// before it), whether or not the section parses; `None` for a section darknet does not know.
pub fn section_keys<'a>(
    section: &'a Section,
    index: usize,
    previous: &[&'static str],
) -> Option<SectionKeys<'a>> {
    let name = LayerKind::canonical(&section.name)?;
    let o = Opts::recording(section);
    let mut scratch = Vec::new();
    let mut cx = ParseCx {
        index,
        previous,
        warnings: &mut scratch,
    };
    let _ = LayerKind::parse(name, &o, &mut cx);
    let _ = o.flag("dontload");
    let _ = o.flag("dontloadscales");
    o.touch_common();
    Some(SectionKeys {
        asked: o.asked(),
        unused: o.unused_entries(),
    })
}

/// Types a parsed cfg file.
pub fn build(cfg: &CfgFile) -> Result<Network, NetworkError> {
    let mut warnings = cfg.warnings.clone();
    let (first, rest) = cfg.sections.split_first().ok_or_else(|| {
        NetworkError::new(
            NetworkErrorKind::MissingNet,
            Span::new(1, 1),
            "the cfg has no sections".into(),
        )
    })?;
    let net = net_info(first)?;
    let mut layers: Vec<Layer> = Vec::with_capacity(rest.len());
    let mut kinds: Vec<&'static str> = Vec::with_capacity(rest.len());
    for (index, section) in rest.iter().enumerate() {
        let layer = build_layer(section, index, &kinds, &mut warnings)?;
        kinds.push(layer.kind.type_name());
        layers.push(layer);
    }
    if layers.is_empty() {
        warnings.push(Warning::at(
            first.span,
            "the network has no layers after [net]",
        ));
    }
    warnings.sort_by_key(|w| (w.line, w.col));
    Ok(Network {
        net,
        layers,
        warnings,
    })
}

fn net_info(section: &Section) -> Result<NetInfo, NetworkError> {
    if !matches!(section.name.as_str(), "net" | "network") {
        return Err(NetworkError::new(
            NetworkErrorKind::MissingNet,
            section.span,
            format!(
                "the first section must be [net] (or [network]), found [{}]",
                section.name
            ),
        ));
    }
    net_options(&Opts::new(section), section)
}

/// The keys darknet reads of the `[net]` section, and the entries it does not read.
pub fn net_keys(section: &Section) -> SectionKeys<'_> {
    let o = Opts::recording(section);
    let _ = net_options(&o, section);
    SectionKeys {
        asked: o.asked(),
        unused: o.unused_entries(),
    }
}

fn net_options(o: &Opts, section: &Section) -> Result<NetInfo, NetworkError> {
    // every key parse_net_options reads counts as read; the input size and the two flags
    // below are what csplens uses
    for key in NET_KEYS {
        o.touch(key);
    }
    // read below, after checks that may stop the parse: asked for here too
    o.touch("show_receptive_field");
    let height = o.int_in("height", 0, 0, MAX_DIM)? as usize;
    let width = o.int_in("width", 0, 0, MAX_DIM)? as usize;
    let channels = o.int_in("channels", 0, 0, MAX_DIM)? as usize;
    let image = width
        .checked_mul(height)
        .and_then(|v| v.checked_mul(channels))
        .ok_or_else(|| {
            NetworkError::new(
                NetworkErrorKind::OutOfRange,
                section.span,
                format!("the input {width}×{height}×{channels} overflows the address space"),
            )
        })?;
    let inputs = o.int_in("inputs", image as i64, 0, i64::MAX)? as usize;
    if inputs == 0 && (width == 0 || height == 0 || channels == 0) {
        return Err(NetworkError::new(
            NetworkErrorKind::MissingKey,
            section.span,
            "[net] must give the input size: width, height and channels (or inputs)".into(),
        ));
    }
    let letter_box = o.flag("letter_box")?;
    let show_receptive_field = o.float("show_receptive_field", 0.0)?.trunc() != 0.0;
    Ok(NetInfo {
        width,
        height,
        channels,
        inputs,
        letter_box,
        show_receptive_field,
        span: section.span,
    })
}

fn build_layer(
    section: &Section,
    index: usize,
    previous: &[&'static str],
    warnings: &mut Vec<Warning>,
) -> Result<Layer, NetworkError> {
    let Some(name) = LayerKind::canonical(&section.name) else {
        let message = if matches!(section.name.as_str(), "net" | "network") {
            format!(
                "[{}] may only be the first section; darknet stops with 'Type not recognized'",
                section.name
            )
        } else {
            format!(
                "unknown section [{}]; darknet stops with 'Type not recognized'",
                section.name
            )
        };
        return Err(NetworkError::new(
            NetworkErrorKind::UnknownSection,
            section.span,
            message,
        ));
    };
    let o = Opts::new(section);
    let mut cx = ParseCx {
        index,
        previous,
        warnings,
    };
    let kind = LayerKind::parse(name, &o, &mut cx).ok_or_else(|| {
        NetworkError::new(
            NetworkErrorKind::UnknownSection,
            section.span,
            format!("[{}] names no registered kind", section.name),
        )
    })??;
    if PJREDDIE_ONLY.contains(&name) {
        warnings.push(Warning::at(
            section.span,
            format!("AlexeyAB darknet does not know [{}] (it stops with 'Type not recognized'); layer {index} follows pjreddie darknet's rules", section.name),
        ));
    }
    let dontload = o.flag("dontload")?;
    let dontloadscales = o.flag("dontloadscales")?;
    o.touch_common();
    warnings.extend(o.unused());
    let prev = if index == 0 {
        Src::Image
    } else {
        Src::Layer(index - 1)
    };
    let inputs = kind.sources(prev);
    let key_spans = section
        .entries
        .iter()
        .filter(|e| !e.shadowed)
        .map(|e| (e.key.clone(), e.value_span))
        .collect();
    Ok(Layer {
        index,
        span: section.span,
        section_name: section.name.clone(),
        kind,
        inputs,
        dontload,
        dontloadscales,
        key_spans,
    })
}
