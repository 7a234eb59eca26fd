//! csplens: read Darknet cfgs, infer shapes, count FLOPs, parameters and memory exactly as
//! AlexeyAB darknet does, and compare CSP networks with their baselines.
//!
//! Data flows one way, each stage a pure function with its own error type:
//! text → [`cfg`] → [`network`] → [`shape`] → [`profile`] → [`report`]; each layer kind's
//! rules live in one file under [`kinds`], which speaks only [`vocab`] (options, keys, shapes,
//! costs) and is driven by `network`, `shape` and `profile`, never the reverse.
//!
//! No `match` in the crate has a wildcard arm over an enum (`clippy::wildcard_enum_match_arm`
//! is denied with CI's `-D warnings`), so adding a layer kind is a compile error at every place
//! that must handle it.
#![warn(clippy::wildcard_enum_match_arm)]

pub mod args;
pub mod backend;
pub mod cfg;
pub mod cspify;
pub mod detect;
pub mod diag;
pub mod doctor;
pub mod eval;
pub mod export;
pub mod files;
pub mod graph;
#[cfg(feature = "gui")]
pub mod gui;
pub mod kinds;
pub mod limits;
pub mod network;
pub mod profile;
pub mod report;
pub mod shape;
pub mod tensor;
pub mod units;
pub mod vocab;
pub mod weights;

use diag::{Span, Warning};
use thiserror::Error;

/// Everything the core knows about one cfg.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The name the file was opened under.
    pub path: String,
    /// The cfg text.
    pub source: String,
    /// The typed network.
    pub network: network::Network,
    /// Every layer's shapes.
    pub shapes: shape::Shapes,
    /// Every layer's costs.
    pub profile: profile::Profile,
    /// Memory per layer and in total.
    pub memory: profile::Memory,
    /// Gradient-path metrics.
    pub gradient: profile::Gradient,
    /// Forward memory traffic.
    pub traffic: profile::Traffic,
    /// CSP stages and partial residuals.
    pub csp: profile::CspStages,
}

impl Analysis {
    /// All warnings of all stages, in line order.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut all = self.network.warnings.clone();
        all.extend(self.shapes.warnings.iter().cloned());
        all.sort_by_key(|w| (w.line, w.col));
        all
    }
}

/// The stage error that stopped an analysis.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StageError {
    /// The text is not a cfg.
    #[error(transparent)]
    Cfg(#[from] cfg::CfgError),
    /// The sections do not make a network.
    #[error(transparent)]
    Network(#[from] vocab::error::NetworkError),
    /// A layer has no shape.
    #[error(transparent)]
    Shape(#[from] vocab::shape::ShapeError),
    /// A count overflows.
    #[error(transparent)]
    Profile(#[from] profile::ProfileError),
    /// A resource cap is exceeded.
    #[error(transparent)]
    Limit(#[from] limits::LimitError),
}

impl StageError {
    /// The resource cap it exceeds, when that is what stopped the analysis.
    pub fn cap(&self) -> Option<limits::Cap> {
        match self {
            Self::Limit(e) => Some(e.cap),
            Self::Cfg(_) | Self::Network(_) | Self::Shape(_) | Self::Profile(_) => None,
        }
    }

    /// Where the error points.
    pub fn span(&self) -> Option<Span> {
        match self {
            Self::Cfg(e) => e.span(),
            Self::Network(e) => Some(e.span),
            Self::Shape(e) => Some(e.span),
            Self::Profile(_) | Self::Limit(_) => None,
        }
    }
}

/// A failed analysis, with what is needed to print it as `file:line:col`.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{}", self.render())]
pub struct Failure {
    /// The name the file was opened under.
    pub path: String,
    /// The cfg text (empty when it was not text).
    pub text: String,
    /// What went wrong.
    pub error: StageError,
}

impl Failure {
    /// `file:line:col: message`, the source line and a caret.
    pub fn render(&self) -> String {
        diag::render(
            &self.path,
            &self.text,
            self.error.span(),
            &self.error.to_string(),
        )
    }
}

/// A cfg file that could not be read or analysed.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The text did not analyse.
    #[error("{}", .0.render())]
    Analysis(Box<Failure>),
}

impl LoadError {
    /// The resource cap it exceeds, when that is what stopped the analysis.
    pub fn cap(&self) -> Option<limits::Cap> {
        match self {
            Self::Read { .. } => None,
            Self::Analysis(f) => f.error.cap(),
        }
    }

    /// The text a command line prints: `error: …` for a file it cannot read, the
    /// `file:line:col` diagnostic with its caret for one that does not analyse.
    pub fn render(&self) -> String {
        match self {
            Self::Read { .. } => format!("error: {self}"),
            Self::Analysis(f) => f.render(),
        }
    }
}

/// Reads and analyses one cfg file under `caps`.
pub fn analyze_file(
    path: &std::path::Path,
    over: shape::InputOverride,
    caps: &limits::Limits,
) -> Result<Analysis, LoadError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: name.clone(),
        source,
    })?;
    analyze_with(&name, &bytes, over, caps).map_err(LoadError::Analysis)
}

/// Runs every core stage on cfg bytes, with the default [`limits::Limits`].
pub fn analyze(
    path: &str,
    bytes: &[u8],
    over: shape::InputOverride,
) -> Result<Analysis, Box<Failure>> {
    analyze_with(path, bytes, over, &limits::Limits::default())
}

/// Runs every core stage on cfg bytes; each cap in `caps` is checked as soon as the value it
/// bounds is known, before anything of that size exists.
pub fn analyze_with(
    path: &str,
    bytes: &[u8],
    over: shape::InputOverride,
    caps: &limits::Limits,
) -> Result<Analysis, Box<Failure>> {
    let fail = |source: &str, error: StageError| {
        Box::new(Failure {
            path: path.to_string(),
            text: source.to_string(),
            error,
        })
    };
    let source = cfg::decode(bytes).map_err(|e| fail("", e.into()))?;
    let parsed = cfg::parse(&source).map_err(|e| fail(&source, e.into()))?;
    let layers = parsed.sections.len().saturating_sub(1) as u64;
    caps.check(
        "the layer count",
        layers,
        caps.max_layers as u64,
        limits::Cap::Layers,
        false,
    )
    .map_err(|e| fail(&source, e.into()))?;
    let network = network::build(&parsed).map_err(|e| fail(&source, e.into()))?;
    let shapes = shape::infer(&network, over).map_err(|e| fail(&source, e.into()))?;
    let input = shapes.input.volume().unwrap_or(usize::MAX) as u64;
    caps.check(
        "the input (width × height × channels)",
        input,
        caps.max_input_values,
        limits::Cap::InputValues,
        false,
    )
    .map_err(|e| fail(&source, e.into()))?;
    let activations = shapes.layers.iter().fold(0u64, |acc, s| {
        acc.saturating_add((s.outputs as u64).saturating_mul(4))
    });
    caps.check(
        "the activation memory (all layer outputs)",
        activations,
        caps.max_activation_bytes,
        limits::Cap::ActivationBytes,
        true,
    )
    .map_err(|e| fail(&source, e.into()))?;
    let costs = profile::profile(&network, &shapes).map_err(|e| fail(&source, e.into()))?;
    caps.check(
        "the .weights size",
        costs.weights_file_bytes,
        caps.max_weights_bytes,
        limits::Cap::WeightsBytes,
        true,
    )
    .map_err(|e| fail(&source, e.into()))?;
    let memory = profile::memory(&network, &shapes, &costs);
    let gradient = profile::gradient(&network, &shapes, &costs);
    let traffic = profile::traffic(&network, &shapes, &costs);
    let csp = profile::csp_stages(&network, &shapes, &costs, &memory, &gradient);
    Ok(Analysis {
        path: path.to_string(),
        source,
        network,
        shapes,
        profile: costs,
        memory,
        gradient,
        traffic,
        csp,
    })
}
