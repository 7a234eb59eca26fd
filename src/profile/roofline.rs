//! The roofline of a run: each layer at its arithmetic intensity (FLOPs per byte it moves)
//! and the rate it achieved (FLOPs over its measured time), under the device's ceilings (a
//! compute peak and a memory bandwidth): which layers are compute-bound, which memory-bound,
//! and how far each is from what the device allows at its intensity.

use crate::Analysis;
use serde::Serialize;

/// What a device allows: a compute peak and a memory bandwidth, measured on it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ceilings {
    /// FLOP/s.
    pub peak_flops: f64,
    /// Bytes per second.
    pub bandwidth: f64,
}

impl Ceilings {
    /// The rate the device allows at `intensity` FLOP/byte: `min(peak, bandwidth · I)`.
    pub fn at(&self, intensity: f64) -> f64 {
        self.peak_flops.min(self.bandwidth * intensity)
    }

    /// The intensity where the bandwidth roof meets the compute peak.
    pub fn ridge(&self) -> f64 {
        self.peak_flops / self.bandwidth.max(f64::MIN_POSITIVE)
    }
}

/// One layer on the roofline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// The layer.
    pub layer: usize,
    /// FLOPs (darknet's BFLOPs × 10⁹).
    pub flops: f64,
    /// Bytes moved: its inputs, its output and its parameters, as f32.
    pub bytes: f64,
    /// FLOP per byte.
    pub intensity: f64,
    /// FLOP/s achieved.
    pub rate: f64,
    /// The device's ceiling at this intensity.
    pub ceiling: f64,
    /// `rate / ceiling`.
    pub share: f64,
}

/// Bytes layer `i` moves: 4 · (input values + output values + parameters).
pub fn bytes_moved(a: &Analysis, i: usize) -> f64 {
    let (Some(s), Some(c)) = (a.shapes.layers.get(i), a.profile.layers.get(i)) else {
        return 0.0;
    };
    4.0 * (s.inputs as f64 + s.outputs as f64 + c.params as f64)
}

/// Every layer that computes (FLOPs > 0) and took time, with `layer_ms` the measured per-layer
/// times of a run and `ceilings` the device's.
pub fn roofline(a: &Analysis, layer_ms: &[f64], ceilings: Ceilings) -> Vec<Point> {
    (a.profile.layers.iter().enumerate())
        .filter_map(|(i, c)| {
            let flops = f64::from(c.bflops) * 1e9;
            let secs = layer_ms.get(i).copied()? / 1e3;
            let bytes = bytes_moved(a, i);
            if flops <= 0.0 || secs <= 0.0 || bytes <= 0.0 {
                return None;
            }
            let intensity = flops / bytes;
            let rate = flops / secs;
            let ceiling = ceilings.at(intensity);
            Some(Point {
                layer: i,
                flops,
                bytes,
                intensity,
                rate,
                ceiling,
                share: rate / ceiling,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// One 3×3 convolution, 8×8×3 → 8×8×4 (pad 1), taking 1 µs on a device of 100 GFLOP/s and
    /// 10 GB/s: FLOPs = 2 · 4 · (3·3·3) · 64 = 13 824; bytes = 4 · (192 in + 256 out + 112
    /// parameters (4·27 weights + 4 biases)) = 2 240; intensity 13 824 / 2 240 = 6.171 FLOP/B;
    /// rate 13 824 / 1e-6 = 13.824 GFLOP/s; ceiling min(100, 10 · 6.171) = 61.71 GFLOP/s;
    /// share 13.824 / 61.71 = 0.224.
    #[test]
    fn one_convolution_by_hand() {
        let cfg = "[net]\nwidth=8\nheight=8\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=linear\n";
        let a = crate::analyze("t.cfg", cfg.as_bytes(), Default::default()).unwrap();
        let c = Ceilings {
            peak_flops: 100e9,
            bandwidth: 10e9,
        };
        let p = roofline(&a, &[1e-3], c);
        assert_eq!(p.len(), 1);
        let p = p[0];
        // darknet's BFLOPs are an f32: the FLOPs come back within its precision
        let close = |x: f64, want: f64| ((x - want) / want).abs() < 1e-6;
        assert!(close(p.flops, 13_824.0), "{}", p.flops);
        assert_eq!(p.bytes, 2_240.0);
        assert!(close(p.intensity, 13_824.0 / 2_240.0), "{}", p.intensity);
        assert!(close(p.rate, 13.824e9), "{}", p.rate);
        assert!(close(p.ceiling, 10e9 * 13_824.0 / 2_240.0), "{}", p.ceiling);
        assert!((p.share - 0.224).abs() < 1e-3, "{}", p.share);
        // the ridge: 100 / 10 = 10 FLOP/B; above it the compute peak is the ceiling
        assert_eq!(c.ridge(), 10.0);
        assert_eq!(c.at(20.0), 100e9);
    }
}
