//! Resource caps checked before anything large is allocated: the input size, the layer count,
//! the activation memory a network would need and the size of its weights. Defaults let the
//! largest corpus networks (yolov4-p6 at 1280², cspx-p7) through; every cap can be raised.

use thiserror::Error;

/// The caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Layers (sections after `[net]`).
    pub max_layers: usize,
    /// Values of the network input (W·H·C).
    pub max_input_values: u64,
    /// Bytes of all layer outputs together (darknet's allocation; f32).
    pub max_activation_bytes: u64,
    /// Bytes of the `.weights` file the network reads.
    pub max_weights_bytes: u64,
    /// Pixels of an image, checked from its header before decoding.
    pub max_image_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_layers: 10_000,
            max_input_values: 1 << 28,
            max_activation_bytes: 32 << 30,
            max_weights_bytes: 8 << 30,
            max_image_pixels: crate::detect::image::MAX_PIXELS,
        }
    }
}

/// Which cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// [`Limits::max_layers`].
    Layers,
    /// [`Limits::max_input_values`].
    InputValues,
    /// [`Limits::max_activation_bytes`].
    ActivationBytes,
    /// [`Limits::max_weights_bytes`].
    WeightsBytes,
}

/// A cap that was exceeded, with the value that exceeded it. The message names no way to
/// raise it: the command line adds its option ([`crate::args::cap_option`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{what} is {}, above the limit of {}", show(*value, *bytes), show(*limit, *bytes))]
pub struct LimitError {
    /// What was measured.
    pub what: &'static str,
    /// Its value.
    pub value: u64,
    /// The cap.
    pub limit: u64,
    /// Which cap.
    pub cap: Cap,
    /// Whether the values are bytes (shown in GiB/MiB).
    pub bytes: bool,
}

fn show(v: u64, bytes: bool) -> String {
    if !bytes {
        return v.to_string();
    }
    crate::units::bytes(v)
}

impl Limits {
    pub(crate) fn check(
        &self,
        what: &'static str,
        value: u64,
        limit: u64,
        cap: Cap,
        bytes: bool,
    ) -> Result<(), LimitError> {
        if value > limit {
            Err(LimitError {
                what,
                value,
                limit,
                cap,
                bytes,
            })
        } else {
            Ok(())
        }
    }
}
