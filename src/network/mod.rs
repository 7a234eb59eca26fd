//! Sections → a typed network: one [`Layer`] per section after `[net]`, references made
//! absolute, and the DAG (inputs, consumers, order) ready for later stages.

mod activation;
mod layer;
mod options;
mod parse;

pub use activation::Activation;
pub use layer::*;
pub use parse::MAX_DIM;

use crate::cfg::{CfgFile, Section};
use crate::diag::{Span, Warning};
use options::Opts;
use parse::Ctx;
use thiserror::Error;

/// What went wrong while typing the sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkErrorKind {
    /// The first section is not `[net]`.
    MissingNet,
    /// A section name darknet does not know.
    UnknownSection,
    /// A value of the wrong type.
    BadValue,
    /// A value outside what darknet can work with.
    OutOfRange,
    /// A required key is absent.
    MissingKey,
    /// A layer reference that points nowhere valid.
    BadReference,
}

/// A cfg that cannot become a network, with where and why.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{message}")]
pub struct NetworkError {
    /// The class of problem.
    pub kind: NetworkErrorKind,
    /// Where it is.
    pub span: Span,
    /// The sentence shown to the user.
    pub message: String,
}

impl NetworkError {
    pub(crate) fn new(kind: NetworkErrorKind, span: Span, message: String) -> Self {
        Self {
            kind,
            span,
            message,
        }
    }
}

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
    let mut kinds: Vec<LayerKind> = Vec::with_capacity(rest.len());
    for (index, section) in rest.iter().enumerate() {
        let layer = build_layer(section, index, &kinds, &mut warnings)?;
        kinds.push(layer.kind.clone());
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
    let o = Opts::new(section);
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
    Ok(NetInfo {
        width,
        height,
        channels,
        inputs,
        letter_box,
        span: section.span,
    })
}

fn build_layer(
    section: &Section,
    index: usize,
    previous: &[LayerKind],
    warnings: &mut Vec<Warning>,
) -> Result<Layer, NetworkError> {
    let Some(name) = parse::canonical(&section.name) else {
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
    let mut cx = Ctx {
        index,
        previous,
        warnings,
    };
    let kind = match name {
        "convolutional" => parse::conv(&o, &mut cx)?,
        "route" => parse::route(&o, &mut cx)?,
        "shortcut" => parse::shortcut(&o, &mut cx)?,
        "maxpool" => parse::pool(&o, false)?,
        "local_avgpool" => parse::pool(&o, true)?,
        "yolo" => parse::yolo(&o, &mut cx, false)?,
        "gaussian_yolo" => parse::yolo(&o, &mut cx, true)?,
        "region" => parse::region(&o)?,
        "detection" => parse::detection(&o)?,
        "sam" => parse::scale(&o, &mut cx, true)?,
        "scale_channels" => parse::scale(&o, &mut cx, false)?,
        "rnn" | "lstm" | "gru" => parse::recurrent(&o, &mut cx, name)?,
        "crnn" => parse::conv_recurrent(&o, &mut cx, false)?,
        "conv_lstm" => parse::conv_recurrent(&o, &mut cx, true)?,
        "deconvolutional" => parse::spatial(&o, &mut cx, false)?,
        "local" => parse::spatial(&o, &mut cx, true)?,
        "contrastive" => parse::contrastive(&o, &mut cx)?,
        _ => parse::simple(&o, &mut cx, name)?,
    };
    if matches!(name, "deconvolutional" | "l2norm") {
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
    let inputs = match &kind {
        LayerKind::Route(r) => r.layers.iter().map(|&i| Src::Layer(i)).collect(),
        LayerKind::Shortcut(s) => std::iter::once(prev)
            .chain(s.from.iter().map(|&i| Src::Layer(i)))
            .collect(),
        LayerKind::Sam(s) | LayerKind::ScaleChannels(s) => vec![prev, Src::Layer(s.from)],
        LayerKind::Implicit { .. } => Vec::new(),
        _ => vec![prev],
    };
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
