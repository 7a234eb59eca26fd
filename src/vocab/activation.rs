//! Darknet's activation functions, named as in cfg files.

use serde::Serialize;

/// An activation as darknet's `get_activation` knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Activation {
    Logistic,
    Swish,
    Mish,
    HardMish,
    NormalizeChannels,
    NormalizeChannelsSoftmax,
    NormalizeChannelsSoftmaxMaxval,
    Loggy,
    Relu,
    Relu6,
    Elu,
    Selu,
    Gelu,
    Relie,
    Plse,
    Hardtan,
    Lhtan,
    Linear,
    Ramp,
    Revleaky,
    Leaky,
    Tanh,
    Stair,
    /// `hardswish` (not in darknet's list; darknet would fall back to relu).
    Hardswish,
}

const NAMES: [(&str, Activation); 24] = [
    ("logistic", Activation::Logistic),
    ("swish", Activation::Swish),
    ("mish", Activation::Mish),
    ("hard_mish", Activation::HardMish),
    ("normalize_channels", Activation::NormalizeChannels),
    (
        "normalize_channels_softmax",
        Activation::NormalizeChannelsSoftmax,
    ),
    (
        "normalize_channels_softmax_maxval",
        Activation::NormalizeChannelsSoftmaxMaxval,
    ),
    ("loggy", Activation::Loggy),
    ("relu", Activation::Relu),
    ("relu6", Activation::Relu6),
    ("elu", Activation::Elu),
    ("selu", Activation::Selu),
    ("gelu", Activation::Gelu),
    ("relie", Activation::Relie),
    ("plse", Activation::Plse),
    ("hardtan", Activation::Hardtan),
    ("lhtan", Activation::Lhtan),
    ("linear", Activation::Linear),
    ("ramp", Activation::Ramp),
    ("revleaky", Activation::Revleaky),
    ("leaky", Activation::Leaky),
    ("tanh", Activation::Tanh),
    ("stair", Activation::Stair),
    ("hardswish", Activation::Hardswish),
];

impl Activation {
    /// Looks a name up; `None` when darknet would not know it.
    pub fn from_name(name: &str) -> Option<Self> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    /// For the activations that normalise each position across channels, whether with a
    /// softmax; `None` for the element-wise ones.
    pub fn across_channels(self) -> Option<bool> {
        match self {
            Self::NormalizeChannels => Some(false),
            Self::NormalizeChannelsSoftmax | Self::NormalizeChannelsSoftmaxMaxval => Some(true),
            Self::Logistic
            | Self::Swish
            | Self::Mish
            | Self::HardMish
            | Self::Loggy
            | Self::Relu
            | Self::Relu6
            | Self::Elu
            | Self::Selu
            | Self::Gelu
            | Self::Relie
            | Self::Plse
            | Self::Hardtan
            | Self::Lhtan
            | Self::Linear
            | Self::Ramp
            | Self::Revleaky
            | Self::Leaky
            | Self::Tanh
            | Self::Stair
            | Self::Hardswish => None,
        }
    }

    /// The cfg name.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, a)| *a == self)
            .map_or("?", |(n, _)| *n)
    }
}
