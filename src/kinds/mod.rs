//! Darknet's layer kinds, each owning its rules in one file: the section names that select it,
//! its parameters with darknet's defaults (`src/parser.c parse_*`), the layers it reads, its
//! output shape, its costs (BFLOPs, parameters, `.weights` floats), the line darknet prints
//! for it, its JSON fields (its parameters, serialised) and its `.weights` layout.
//!
//! A kind is a type implementing [`Kind`]; [`registry!`] lists every kind once and writes the
//! enum [`LayerKind`] and the dispatch from it. No method of [`Kind`] has a default, so a new
//! kind states every rule, and no match over [`LayerKind`] has a wildcard arm (the crate
//! denies `clippy::wildcard_enum_match_arm`), so the compiler names every other place.

mod connected;
mod conv;
pub(crate) mod forks;
mod head_rule;
mod heads;
mod implicit;
mod local;
mod passthrough;
mod pool;
mod recurrent;
mod reshape;
mod route;
mod scale;
mod shortcut;
mod softmax;

pub use connected::{Connected, ConnectedKind};
pub(crate) use conv::share_mismatch;
pub use conv::{Conv, ConvolutionalKind};
pub use head_rule::{Fixed, HeadFilters};
pub use heads::{
    Detection, DetectionKind, GaussianYoloKind, NmsKind, Region, RegionKind, Yolo, YoloKind,
    YoloPoint,
};
pub use implicit::{Implicit, ImplicitKind};
pub use local::{DeconvolutionalKind, LocalKind, Spatial};
pub use passthrough::{
    ActivationKind, ActivationParams, BatchnormKind, Dropout, DropoutKind, EmptyKind, L2normKind,
    Normalization, NormalizationKind,
};
pub use pool::{AvgpoolKind, LocalAvgpoolKind, MaxpoolKind, Pool};
pub use recurrent::{ConvLstmKind, ConvRecurrent, CrnnKind, GruKind, LstmKind, Recurrent, RnnKind};
pub use reshape::{Crop, CropKind, Reorg, Reorg3dKind, ReorgKind, Upsample, UpsampleKind};
pub use route::{Route, RouteKind};
pub use scale::{SamKind, Scale, ScaleChannelsKind};
pub use shortcut::{Shortcut, ShortcutKind, WeightsNormalization, WeightsType};
pub use softmax::{Contrastive, ContrastiveKind, Cost, CostKind, CostType, Softmax, SoftmaxKind};

/// The kinds AlexeyAB's darknet does not know (it prints "Type not recognized"), whose rules
/// csplens takes from pjreddie's darknet.
pub const PJREDDIE_ONLY: [&str; 2] = [
    <DeconvolutionalKind as Kind>::NAME,
    <L2normKind as Kind>::NAME,
];

use crate::vocab::cost::LayerCost;
use crate::vocab::error::NetworkError;
use crate::vocab::keys::ParseCx;
use crate::vocab::options::Opts;
use crate::vocab::shape::{LayerShape, Shape, ShapeError};
use crate::vocab::shape_cx::ShapeCx;
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

/// Parameters of a kind that has none (serialised as `{}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct NoParams {}

/// One block of floats a layer reads from a `.weights` file, in file order: biases, then the
/// batch-norm triplet (scales, rolling mean, rolling variance) when `bn`, then `weights`
/// kernel or matrix floats, except for connected layers (`bn_after_weights`), whose
/// triplet follows the matrix. Layers without biases of their own (a weighted shortcut,
/// implicit, recurrent) read one block of `weights` floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightBlock {
    /// Bias floats (one per output channel or value).
    pub biases: usize,
    /// A batch-norm triplet of `biases` floats each follows.
    pub bn: bool,
    /// Kernel or matrix floats.
    pub weights: usize,
    /// The triplet comes after the weights (darknet's connected layer).
    pub bn_after_weights: bool,
}

impl WeightBlock {
    /// Biases, the triplet when `bn`, then `weights` (a convolution's order).
    pub fn conv(biases: usize, bn: bool, weights: usize) -> Self {
        Self {
            biases,
            bn,
            weights,
            bn_after_weights: false,
        }
    }

    /// A block of plain floats, read as they come.
    pub fn plain(floats: u64) -> Vec<Self> {
        if floats == 0 {
            return Vec::new();
        }
        vec![Self::conv(0, false, floats as usize)]
    }

    /// All floats of the block.
    pub fn floats(&self) -> usize {
        self.biases * if self.bn { 4 } else { 1 } + self.weights
    }
}

/// How a kind's input channels reach its output channels in the backward pass (what the
/// gradient-path model follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelFlow {
    /// A convolution in this many groups: input group g feeds output group g.
    Groups(usize),
    /// darknet's reorg: channel c goes to c + m·c_in.
    Reorg,
    /// A route: each input's channels placed at their offset (or a group of them).
    Route,
    /// Weightless and channel-wise: channel c's gradient reaches channel c only.
    ChannelWise,
    /// Every input channel reaches every output channel.
    Mixing,
}

/// How a layer changes the receptive field darknet computes for `[net] show_receptive_field=1`
/// (`parse_network_cfg_custom`): a running field and scale, both starting at 1, updated
/// layer by layer in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receptive {
    /// The window rule, with the `size`, `stride` and `dilation` darknet's layer struct holds
    /// (0 where the kind sets none; each counts as at least 1): the field grows by
    /// `(size + 2·(dilation − 1) − 1)·scale` (never less than 0), then `scale ×= stride`.
    Window {
        /// `l.size`.
        size: usize,
        /// `l.stride` (the x stride).
        stride: usize,
        /// `l.dilation`.
        dilation: usize,
    },
    /// `[upsample]` and `[reorg3d]` (darknet's UPSAMPLE and REORG): the field stays and the
    /// scale is divided by the stride (integer division).
    Divide(usize),
    /// `[route]`: the largest field and the largest scale of the layers it reads.
    Inputs,
}

impl Receptive {
    /// A layer whose struct sets no size, stride or dilation: nothing changes.
    pub const NONE: Self = Self::Window {
        size: 0,
        stride: 0,
        dilation: 0,
    };

    /// The window rule with size and stride, dilation unset.
    pub fn window(size: usize, stride: usize) -> Self {
        Self::Window {
            size,
            stride,
            dilation: 0,
        }
    }
}

/// What a kind's table line is printed from.
pub struct LineCx<'a> {
    /// The layer's shapes.
    pub shape: &'a LayerShape,
    /// The layer's costs.
    pub cost: &'a LayerCost,
    /// Output shapes of the layers it reads besides the previous one.
    pub others: &'a [Shape],
}

/// `   W x   H x   C` as darknet prints a shape.
pub(crate) fn dims(s: Shape) -> String {
    format!("{:4} x{:4} x{:4}", s.w, s.h, s.c)
}

/// `0.123 BF` as darknet prints a layer's BFLOPs.
pub(crate) fn bf(c: &LayerCost) -> String {
    format!("{:5.3} BF", c.bflops as f64)
}

/// The line darknet prints for kinds without a format of their own: the name, the input and
/// the output (a value count when flat), and the BFLOPs when there are any.
pub(crate) fn plain_line(name: &str, cx: &LineCx) -> String {
    let (i, o) = (cx.shape.input, cx.shape.output);
    let out = if o.is_image() {
        dims(o)
    } else {
        format!("{:4}", cx.shape.outputs)
    };
    let flops = if cx.cost.bflops > 0.0 {
        format!(" {}", bf(cx.cost))
    } else {
        String::new()
    };
    format!("{name:<15}{:14}{} -> {out}{flops}", "", dims(i))
}

/// `name` and the value count, darknet's line for flat-output kinds (detection, rnn …).
pub(crate) fn count_line(name: &str, cx: &LineCx) -> String {
    format!("{name:<15}{:32}{:4}", "", cx.shape.outputs)
}

/// The previous layer alone, what most kinds read.
pub(crate) fn previous(prev: Src) -> Vec<Src> {
    vec![prev]
}

/// One darknet layer kind and every rule it owns.
pub(crate) trait Kind {
    /// The parameters parsed from its section.
    type Params;
    /// The canonical lowercase name (`convolutional`), what tables and JSON print.
    const NAME: &'static str;
    /// The section names that select it (`conv`, `convolutional`).
    const SECTIONS: &'static [&'static str];
    /// A detection head, whose output the decoder reads.
    const HEAD: bool;
    /// Reads the section with darknet's defaults, marking each key it reads as used.
    fn parse(o: &Opts, cx: &mut ParseCx) -> Result<Self::Params, NetworkError>;
    /// The layers it reads, absolute; `prev` is the previous layer (or the image).
    fn sources(p: &Self::Params, prev: Src) -> Vec<Src>;
    /// Its output shape from its inputs'.
    fn shape(p: &Self::Params, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError>;
    /// BFLOPs, parameters and `.weights` floats (`None` when a count overflows).
    fn cost(p: &Self::Params, s: &LayerShape) -> Option<LayerCost>;
    /// The line darknet prints for it (without the index).
    fn line(p: &Self::Params, cx: &LineCx) -> String;
    /// The blocks it reads from a `.weights` file; `floats` is [`Kind::cost`]'s count.
    fn weights(p: &Self::Params, s: &LayerShape, floats: u64) -> Vec<WeightBlock>;
    /// How its input channels reach its output channels.
    fn flow(p: &Self::Params) -> ChannelFlow;
    /// The input whose buffer its output is (darknet copies nothing: dropout at inference, a
    /// one-layer route), if any; `prev` is the previous layer.
    fn view_of(p: &Self::Params, prev: Src) -> Option<Src>;
    /// The cfg key that names other layers, and the layers it names (absolute), if any.
    fn references(p: &Self::Params) -> Option<(&'static str, Vec<usize>)>;
    /// How it changes darknet's receptive field.
    fn receptive(p: &Self::Params) -> Receptive;
}

/// Writes the items of a kind that reads the previous layer, reads no weights, aliases no
/// input and names no other layer; `$flow` is how its channels reach its outputs. A kind
/// states it by invoking this, so nothing about its weights is left to a default.
macro_rules! plain_wiring {
    ($params:ty, $flow:expr) => {
        fn sources(_: &$params, prev: Src) -> Vec<Src> {
            previous(prev)
        }
        fn weights(_: &$params, _: &LayerShape, _: u64) -> Vec<WeightBlock> {
            Vec::new()
        }
        fn flow(_: &$params) -> ChannelFlow {
            $flow
        }
        fn view_of(_: &$params, _: Src) -> Option<Src> {
            None
        }
        fn references(_: &$params) -> Option<(&'static str, Vec<usize>)> {
            None
        }
    };
}
pub(crate) use plain_wiring;

/// Lists every kind once: `Variant(Params) => KindType`. Writes [`LayerKind`] and its
/// dispatch to each kind's rules.
macro_rules! registry {
    ($( $(#[$doc:meta])* $variant:ident($params:ty) => $kind:ty, )*) => {
        /// The typed parameters of one layer, one variant per darknet kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum LayerKind {
            $( $(#[$doc])* $variant($params), )*
        }

        /// A kind without its parameters: what code outside `kinds/` names a kind by (never
        /// by its name as a string).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum KindTag {
            $( $variant, )*
        }

        impl KindTag {
            /// Every kind, in registry order.
            pub const ALL: &'static [Self] = &[$( Self::$variant, )*];

            /// The kind a section name selects (`conv` and `convolutional` alike).
            pub fn of_section(section: &str) -> Option<Self> {
                $( if <$kind as Kind>::SECTIONS.contains(&section) {
                    return Some(Self::$variant);
                } )*
                None
            }

            /// The canonical lowercase darknet section name.
            pub fn name(self) -> &'static str {
                match self { $( Self::$variant => <$kind as Kind>::NAME, )* }
            }

            /// Detection heads, whose outputs the decoder reads.
            pub fn is_head(self) -> bool {
                match self { $( Self::$variant => <$kind as Kind>::HEAD, )* }
            }
        }

        impl LayerKind {
            /// Every kind's canonical name, in registry order.
            pub const NAMES: &'static [&'static str] = &[$( <$kind as Kind>::NAME, )*];

            /// The canonical lowercase darknet section name.
            pub fn type_name(&self) -> &'static str {
                match self { $( Self::$variant(_) => <$kind as Kind>::NAME, )* }
            }

            /// The kind without its parameters.
            pub fn tag(&self) -> KindTag {
                match self { $( Self::$variant(_) => KindTag::$variant, )* }
            }

            /// Detection heads, whose outputs the decoder reads.
            pub fn is_head(&self) -> bool {
                match self { $( Self::$variant(_) => <$kind as Kind>::HEAD, )* }
            }

            /// The canonical name of the kind a section name selects.
            pub fn canonical(section: &str) -> Option<&'static str> {
                $( if <$kind as Kind>::SECTIONS.contains(&section) {
                    return Some(<$kind as Kind>::NAME);
                } )*
                None
            }

            /// Parses a section of the kind named `name` (canonical).
            pub(crate) fn parse(
                name: &str,
                o: &Opts,
                cx: &mut ParseCx,
            ) -> Option<Result<Self, NetworkError>> {
                $( if name == <$kind as Kind>::NAME {
                    return Some(<$kind as Kind>::parse(o, cx).map(Self::$variant));
                } )*
                None
            }

            /// The layers it reads.
            pub fn sources(&self, prev: Src) -> Vec<Src> {
                match self { $( Self::$variant(p) => <$kind as Kind>::sources(p, prev), )* }
            }

            /// Its output shape.
            pub(crate) fn shape(&self, cx: &mut ShapeCx) -> Result<LayerShape, ShapeError> {
                match self { $( Self::$variant(p) => <$kind as Kind>::shape(p, cx), )* }
            }

            /// Its costs.
            pub fn cost(&self, s: &LayerShape) -> Option<LayerCost> {
                match self { $( Self::$variant(p) => <$kind as Kind>::cost(p, s), )* }
            }

            /// The line darknet prints for it.
            pub fn darknet_line(&self, cx: &LineCx) -> String {
                match self { $( Self::$variant(p) => <$kind as Kind>::line(p, cx), )* }
            }

            /// Its parameters as JSON fields.
            pub fn json_fields(&self) -> serde_json::Value {
                match self { $( Self::$variant(p) => serde_json::json!(p), )* }
            }

            /// How its input channels reach its output channels.
            pub fn flow(&self) -> ChannelFlow {
                match self { $( Self::$variant(p) => <$kind as Kind>::flow(p), )* }
            }

            /// The input whose buffer its output is, if any.
            pub fn view_of(&self, prev: Src) -> Option<Src> {
                match self { $( Self::$variant(p) => <$kind as Kind>::view_of(p, prev), )* }
            }

            /// The cfg key naming other layers and the layers it names, if any.
            pub fn references(&self) -> Option<(&'static str, Vec<usize>)> {
                match self { $( Self::$variant(p) => <$kind as Kind>::references(p), )* }
            }

            /// How it changes darknet's receptive field.
            pub fn receptive(&self) -> Receptive {
                match self { $( Self::$variant(p) => <$kind as Kind>::receptive(p), )* }
            }

            /// Its `.weights` blocks.
            pub fn weight_blocks(&self, s: &LayerShape, floats: u64) -> Vec<WeightBlock> {
                match self { $( Self::$variant(p) => <$kind as Kind>::weights(p, s, floats), )* }
            }
        }
    };
}

registry! {
    Convolutional(Conv) => ConvolutionalKind,
    Route(Route) => RouteKind,
    Shortcut(Shortcut) => ShortcutKind,
    Maxpool(Pool) => MaxpoolKind,
    LocalAvgpool(Pool) => LocalAvgpoolKind,
    Avgpool(NoParams) => AvgpoolKind,
    Upsample(Upsample) => UpsampleKind,
    Reorg(Reorg) => ReorgKind,
    Reorg3d(Reorg) => Reorg3dKind,
    Yolo(Yolo) => YoloKind,
    GaussianYolo(Yolo) => GaussianYoloKind,
    Region(Region) => RegionKind,
    Detection(Detection) => DetectionKind,
    Connected(Connected) => ConnectedKind,
    Softmax(Softmax) => SoftmaxKind,
    Dropout(Dropout) => DropoutKind,
    Cost(Cost) => CostKind,
    Crop(Crop) => CropKind,
    Sam(Scale) => SamKind,
    ScaleChannels(Scale) => ScaleChannelsKind,
    Batchnorm(NoParams) => BatchnormKind,
    Implicit(Implicit) => ImplicitKind,
    Contrastive(Contrastive) => ContrastiveKind,
    Empty(NoParams) => EmptyKind,
    Activation(ActivationParams) => ActivationKind,
    Rnn(Recurrent) => RnnKind,
    Lstm(Recurrent) => LstmKind,
    Gru(Recurrent) => GruKind,
    Crnn(ConvRecurrent) => CrnnKind,
    ConvLstm(ConvRecurrent) => ConvLstmKind,
    Deconvolutional(Spatial) => DeconvolutionalKind,
    Local(Spatial) => LocalKind,
    Normalization(Normalization) => NormalizationKind,
    L2norm(NoParams) => L2normKind,
}
