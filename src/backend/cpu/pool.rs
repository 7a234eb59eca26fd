//! Pooling as darknet computes it (src/maxpool_layer.c, src/avgpool_layer.c): windowed max
//! and local average, `maxpool_depth`, global average.

use crate::kinds::Pool;
use crate::tensor::Tensor;
use rayon::prelude::*;

/// Max or average pooling with darknet's padding (total `padding`, offset `-padding/2`); the
/// window is clamped to the image once per output, channels run in parallel.
pub fn pool(x: &Tensor, p: &Pool, avg: bool, oh: usize, ow: usize) -> Tensor {
    if p.maxpool_depth {
        return max_depth(x, p.out_channels);
    }
    let mut out = Tensor::zeros(x.c, oh, ow);
    let off = (p.padding / 2) as isize;
    let clamp = |o: usize, stride: usize, n: usize| {
        let start = (o * stride) as isize - off;
        (
            start.max(0) as usize,
            ((start + p.size as isize).max(0) as usize).min(n),
        )
    };
    let rows: Vec<(usize, usize)> = (0..oh).map(|i| clamp(i, p.stride_y, x.h)).collect();
    let cols: Vec<(usize, usize)> = (0..ow).map(|j| clamp(j, p.stride_x, x.w)).collect();
    let plane = x.plane();
    // 2 × 2 windows at stride 2, all inside the input: no clamping per output
    let pairs = !avg
        && (p.size, p.stride_x, p.stride_y, off) == (2, 2, 2, 0)
        && 2 * oh <= x.h
        && 2 * ow <= x.w;
    out.data
        .par_chunks_mut((oh * ow).max(1))
        .enumerate()
        .for_each(|(k, dst)| {
            let src = &x.data[k * plane..(k + 1) * plane];
            if pairs {
                return max_2x2(src, x.w, dst, ow);
            }
            for (i, &(y0, y1)) in rows.iter().enumerate() {
                for (j, &(x0, x1)) in cols.iter().enumerate() {
                    let (mut best, mut sum) = (f32::MIN, 0f32);
                    for y in y0..y1 {
                        for &v in &src[y * x.w + x0..y * x.w + x1] {
                            best = best.max(v);
                            sum += v;
                        }
                    }
                    let count = (y1 - y0) * (x1 - x0);
                    dst[i * ow + j] = if avg { sum / count.max(1) as f32 } else { best };
                }
            }
        });
    out
}

/// `maxpool_depth=1`: the maximum over channel groups at each position.
fn max_depth(x: &Tensor, out_c: usize) -> Tensor {
    let mut out = Tensor::zeros(out_c, x.h, x.w);
    let plane = x.plane();
    for g in 0..out_c {
        for i in 0..plane {
            let mut best = f32::MIN;
            let mut k = g;
            while k < x.c {
                best = best.max(x.data[k * plane + i]);
                k += out_c;
            }
            out.data[g * plane + i] = best;
        }
    }
    out
}

/// Global average pooling.
pub fn avgpool(x: &Tensor) -> Tensor {
    let plane = x.plane().max(1) as f32;
    let data = (0..x.c)
        .map(|k| x.channel(k).iter().sum::<f32>() / plane)
        .collect();
    Tensor {
        c: x.c,
        h: 1,
        w: 1,
        data,
    }
}

/// Max over 2 × 2 windows at stride 2 of one plane `w` wide into `dst` (`ow` wide), every
/// window inside the plane: two input rows make one output row, pairs taken in order.
fn max_2x2(src: &[f32], w: usize, dst: &mut [f32], ow: usize) {
    for (i, out) in dst.chunks_exact_mut(ow.max(1)).enumerate() {
        let top = &src[2 * i * w..2 * i * w + 2 * ow];
        let bottom = &src[(2 * i + 1) * w..(2 * i + 1) * w + 2 * ow];
        for ((o, a), b) in out
            .iter_mut()
            .zip(top.chunks_exact(2))
            .zip(bottom.chunks_exact(2))
        {
            // the general path's order: f32::MIN, then the window row by row
            *o = f32::MIN.max(a[0]).max(a[1]).max(b[0]).max(b[1]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// darknet's max pool written out: every tap of every window, bounds checked.
    fn windowed(x: &Tensor, p: &Pool, oh: usize, ow: usize) -> Tensor {
        let off = (p.padding / 2) as isize;
        let mut out = Tensor::zeros(x.c, oh, ow);
        for k in 0..x.c {
            for i in 0..oh {
                for j in 0..ow {
                    let mut best = f32::MIN;
                    for dy in 0..p.size as isize {
                        for dx in 0..p.size as isize {
                            let (y, xx) = (
                                (i * p.stride_y) as isize + dy - off,
                                (j * p.stride_x) as isize + dx - off,
                            );
                            if y >= 0 && xx >= 0 && (y as usize) < x.h && (xx as usize) < x.w {
                                best = best.max(x.data[(k * x.h + y as usize) * x.w + xx as usize]);
                            }
                        }
                    }
                    out.data[(k * oh + i) * ow + j] = best;
                }
            }
        }
        out
    }

    #[test]
    fn two_by_two_max_pools_equal_the_windowed_definition() {
        // even and odd sides (an odd side's last window is clamped: the general path runs)
        for (c, h, w) in [(3, 8, 10), (2, 7, 9), (1, 2, 2), (4, 13, 6)] {
            let x = Tensor {
                c,
                h,
                w,
                data: (0..c * h * w)
                    .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.1)
                    .collect(),
            };
            let p = Pool {
                size: 2,
                stride_x: 2,
                stride_y: 2,
                padding: 1,
                maxpool_depth: false,
                out_channels: c,
                antialiasing: 0,
            };
            let (oh, ow) = ((h + 1 - 2) / 2 + 1, (w + 1 - 2) / 2 + 1);
            assert_eq!(
                pool(&x, &p, false, oh, ow).data,
                windowed(&x, &p, oh, ow).data,
                "{c}×{h}×{w}"
            );
        }
    }
}
