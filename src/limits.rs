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

/// A cap that was exceeded, with the value that exceeded it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{what} is {}, above the limit of {} ({flag} raises it)", show(*value, *bytes), show(*limit, *bytes))]
pub struct LimitError {
    /// What was measured.
    pub what: &'static str,
    /// Its value.
    pub value: u64,
    /// The cap.
    pub limit: u64,
    /// The command-line flag that sets the cap.
    pub flag: &'static str,
    /// Whether the values are bytes (shown in GiB/MiB).
    pub bytes: bool,
}

fn show(v: u64, bytes: bool) -> String {
    if !bytes {
        return v.to_string();
    }
    if v >= 1 << 30 {
        format!("{:.1} GiB", v as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", v as f64 / (1u64 << 20) as f64)
    }
}

impl Limits {
    pub(crate) fn check(
        &self,
        what: &'static str,
        value: u64,
        limit: u64,
        flag: &'static str,
        bytes: bool,
    ) -> Result<(), LimitError> {
        if value > limit {
            Err(LimitError {
                what,
                value,
                limit,
                flag,
                bytes,
            })
        } else {
            Ok(())
        }
    }
}
