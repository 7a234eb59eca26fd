//! The CPU backend's roofline ceilings, measured on this machine: the GEMM peak (the `gemm`
//! crate on a 512³ product, the kernel our convolutions end in) and the memory bandwidth (a
//! 64 MiB copy, bytes read plus written). Best of a few runs, about half a second; on a
//! loaded machine the peak comes out low and layers can show above 100% of it.

use super::gemm::matmul;
use crate::backend::BackendError;
use crate::profile::roofline::Ceilings;
use std::time::{Duration, Instant};

/// Side of the GEMM measured.
const N: usize = 512;
/// Floats copied for the bandwidth.
const COPY: usize = 16 << 20;

/// The best of `runs` timings of `f`, stopping early once `budget` is spent.
fn best(
    runs: usize,
    budget: Duration,
    mut f: impl FnMut() -> Result<(), BackendError>,
) -> Result<f64, BackendError> {
    let (start, mut best) = (Instant::now(), f64::INFINITY);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
        if start.elapsed() > budget {
            break;
        }
    }
    Ok(best.max(1e-9))
}

/// Measures the ceilings with `threads` threads.
pub fn measure(threads: usize) -> Result<Ceilings, BackendError> {
    let a = vec![1.0f32; N * N];
    let b = vec![0.5f32; N * N];
    let mut c = vec![0.0f32; N * N];
    let gemm = best(16, Duration::from_millis(400), || {
        matmul(N, N, N, &a, N, &b, N, &mut c, N, threads)
    })?;
    let src = vec![1.0f32; COPY];
    let mut dst = vec![0.0f32; COPY];
    let copy = best(6, Duration::from_millis(150), || {
        dst.copy_from_slice(&src);
        std::hint::black_box(&dst);
        Ok(())
    })?;
    Ok(Ceilings {
        peak_flops: 2.0 * (N * N * N) as f64 / gemm,
        bandwidth: 2.0 * (COPY * 4) as f64 / copy,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn ceilings_are_positive_and_finite() {
        let c = super::measure(1).unwrap();
        assert!(c.peak_flops.is_finite() && c.peak_flops > 1e6, "{c:?}");
        assert!(c.bandwidth.is_finite() && c.bandwidth > 1e6, "{c:?}");
    }
}
