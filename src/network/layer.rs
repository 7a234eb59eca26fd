//! One Rust type per darknet layer kind, holding the parameters darknet's parser reads.

use super::Activation;
use crate::diag::Span;
use serde::Serialize;

/// Where a layer reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Src {
    /// The network input image.
    Image,
    /// The output of the layer with this absolute index.
    Layer(usize),
}

impl Src {
    /// The index as darknet prints it: `-1` for the image.
    pub fn as_i64(self) -> i64 {
        match self {
            Self::Image => -1,
            Self::Layer(i) => i as i64,
        }
    }
}

/// `[convolutional]` / `[conv]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conv {
    pub filters: usize,
    pub size: usize,
    pub stride_x: usize,
    pub stride_y: usize,
    pub dilation: usize,
    /// Padding in pixels on each side (`pad=1` means `size/2`).
    pub padding: usize,
    /// Groups as darknet uses them (forced to 1 for XNOR layers).
    pub groups: usize,
    pub batch_normalize: bool,
    pub activation: Activation,
    pub xnor: bool,
    pub binary: bool,
    pub bin_output: bool,
    /// Absolute index of the layer whose weights this one shares.
    pub share_index: Option<usize>,
    /// 0 none, 1 3×3 blur, 2 2×2 blur after the stride-1 convolution.
    pub antialiasing: usize,
    pub assisted_excitation: bool,
}

/// `[route]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub layers: Vec<usize>,
    pub groups: usize,
    pub group_id: usize,
}

/// Weighting of a `[shortcut]`'s inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum WeightsType {
    None,
    PerFeature,
    PerChannel,
}

/// `[shortcut]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shortcut {
    pub from: Vec<usize>,
    pub activation: Activation,
    pub weights_type: WeightsType,
    pub weights_normalization: String,
}

/// `[maxpool]` / `[local_avgpool]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pool {
    pub size: usize,
    pub stride_x: usize,
    pub stride_y: usize,
    /// Total padding (darknet's default is `size-1`).
    pub padding: usize,
    pub maxpool_depth: bool,
    pub out_channels: usize,
    pub antialiasing: usize,
}

/// `[upsample]` (a negative stride downsamples).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Upsample {
    pub stride: i64,
    pub scale: f32,
}

/// `[reorg]` (darknet's old reorg) and `[reorg3d]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reorg {
    pub stride: usize,
    pub reverse: bool,
}

/// `[yolo]` and `[Gaussian_yolo]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Yolo {
    pub classes: usize,
    /// `num`: the number of anchors listed.
    pub total: usize,
    pub mask: Vec<usize>,
    pub anchors: Vec<f32>,
    pub scale_x_y: f32,
    pub new_coords: bool,
    pub nms_kind: String,
    pub beta_nms: f32,
}

/// `[region]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Region {
    pub classes: usize,
    pub coords: usize,
    pub num: usize,
    pub anchors: Vec<f32>,
    pub softmax: bool,
}

/// `[detection]` (YOLOv1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    pub classes: usize,
    pub coords: usize,
    pub num: usize,
    pub side: usize,
    pub softmax: bool,
    pub sqrt: bool,
    pub rescore: bool,
}

/// `[connected]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Connected {
    pub output: usize,
    pub activation: Activation,
    pub batch_normalize: bool,
}

/// `[crop]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Crop {
    pub crop_width: usize,
    pub crop_height: usize,
}

/// `[sam]` and `[scale_channels]`: the previous layer applied to layer `from`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scale {
    pub from: usize,
    pub activation: Activation,
    pub scale_wh: bool,
}

/// `[rnn]`, `[lstm]`, `[gru]` (fully connected recurrent layers).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recurrent {
    pub output: usize,
    /// Hidden size (only `[rnn]` has one).
    pub hidden: usize,
    pub activation: Activation,
    pub batch_normalize: bool,
}

/// `[crnn]` and `[conv_lstm]` (convolutional recurrent layers).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConvRecurrent {
    pub output: usize,
    pub hidden: usize,
    pub size: usize,
    pub stride: usize,
    pub padding: usize,
    pub groups: usize,
    pub activation: Activation,
    pub batch_normalize: bool,
    pub peephole: bool,
    pub bottleneck: bool,
}

/// `[deconvolutional]` (pjreddie darknet) and `[local]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spatial {
    pub filters: usize,
    pub size: usize,
    pub stride: usize,
    /// For `[local]`: the raw `pad` flag; for `[deconvolutional]`: pixels.
    pub pad: usize,
    pub activation: Activation,
    pub batch_normalize: bool,
}

/// The typed parameters of one layer.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum LayerKind {
    Convolutional(Conv),
    Route(Route),
    Shortcut(Shortcut),
    Maxpool(Pool),
    LocalAvgpool(Pool),
    Avgpool,
    Upsample(Upsample),
    Reorg(Reorg),
    Reorg3d(Reorg),
    Yolo(Yolo),
    GaussianYolo(Yolo),
    Region(Region),
    Detection(Detection),
    Connected(Connected),
    Softmax {
        groups: usize,
        temperature: f32,
    },
    Dropout {
        probability: f32,
    },
    Cost {
        cost_type: String,
    },
    Crop(Crop),
    Sam(Scale),
    ScaleChannels(Scale),
    Batchnorm,
    Implicit {
        filters: usize,
        atoms: usize,
    },
    Contrastive {
        classes: usize,
        yolo_layer: Option<usize>,
    },
    Empty,
    Activation(Activation),
    Rnn(Recurrent),
    Lstm(Recurrent),
    Gru(Recurrent),
    Crnn(ConvRecurrent),
    ConvLstm(ConvRecurrent),
    Deconvolutional(Spatial),
    Local(Spatial),
    Normalization {
        size: usize,
    },
    L2norm,
}

impl LayerKind {
    /// Detection heads, whose outputs the decoder reads: yolo, Gaussian_yolo, region, detection.
    pub fn is_head(&self) -> bool {
        matches!(
            self,
            Self::Yolo(_) | Self::GaussianYolo(_) | Self::Region(_) | Self::Detection(_)
        )
    }

    /// The canonical lowercase darknet section name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Convolutional(_) => "convolutional",
            Self::Route(_) => "route",
            Self::Shortcut(_) => "shortcut",
            Self::Maxpool(_) => "maxpool",
            Self::LocalAvgpool(_) => "local_avgpool",
            Self::Avgpool => "avgpool",
            Self::Upsample(_) => "upsample",
            Self::Reorg(_) => "reorg",
            Self::Reorg3d(_) => "reorg3d",
            Self::Yolo(_) => "yolo",
            Self::GaussianYolo(_) => "gaussian_yolo",
            Self::Region(_) => "region",
            Self::Detection(_) => "detection",
            Self::Connected(_) => "connected",
            Self::Softmax { .. } => "softmax",
            Self::Dropout { .. } => "dropout",
            Self::Cost { .. } => "cost",
            Self::Crop(_) => "crop",
            Self::Sam(_) => "sam",
            Self::ScaleChannels(_) => "scale_channels",
            Self::Batchnorm => "batchnorm",
            Self::Implicit { .. } => "implicit",
            Self::Contrastive { .. } => "contrastive",
            Self::Empty => "empty",
            Self::Activation(_) => "activation",
            Self::Rnn(_) => "rnn",
            Self::Lstm(_) => "lstm",
            Self::Gru(_) => "gru",
            Self::Crnn(_) => "crnn",
            Self::ConvLstm(_) => "conv_lstm",
            Self::Deconvolutional(_) => "deconvolutional",
            Self::Local(_) => "local",
            Self::Normalization { .. } => "normalization",
            Self::L2norm => "l2norm",
        }
    }
}

/// One layer of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Position in the network (darknet's layer index).
    pub index: usize,
    /// Where the section header is.
    pub span: Span,
    /// The section name as written (`conv`, `convolutional` …).
    pub section_name: String,
    /// Typed parameters.
    pub kind: LayerKind,
    /// What the layer reads, absolute (the previous layer first where darknet does).
    pub inputs: Vec<Src>,
    /// `dontload=1`: darknet reads no weights for this layer.
    pub dontload: bool,
    /// `dontloadscales=1`: darknet skips the batch-norm triplet of this layer.
    pub dontloadscales: bool,
    /// Spans of the layer's keys, to point errors found in later stages at the right place.
    pub key_spans: Vec<(String, Span)>,
}

impl Layer {
    /// Where `key` is written, or the section header when it is not.
    pub fn span_of(&self, key: &str) -> Span {
        self.key_spans
            .iter()
            .find(|(k, _)| k == key)
            .map_or(self.span, |(_, s)| *s)
    }
}
