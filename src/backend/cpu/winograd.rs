//! Winograd F(4×4, 3×3) for 3×3 stride-1 convolutions (Lavin & Gray 2016): 6×6 input tiles,
//! 36 element-wise matrix products of (filters × channels)·(channels × tiles) instead of
//! 9 multiply-adds per output and channel — 4× fewer multiplications. Layers with many tiles
//! run in bands of tile rows, each band's transforms and products within a core's cache.

// The tile transforms index rows and columns of 6×6 arrays; index loops say it plainly.
#![allow(clippy::needless_range_loop)]

use super::BackendError;
use super::gemm::matmul;
use super::scratch::Scratch;
use crate::tensor::Tensor;
use rayon::prelude::*;

/// Layers with at least this many 4 × 4 output tiles run in bands of tile rows.
const BANDED_MIN_TILES: usize = 128;

/// Transformed kernel values made per block while loading: about 1 MB.
const KERNEL_BLOCK_VALUES: usize = 256 * 1024;

/// Transformed input tiles plus products per band: about 1 MB, half a core's L2.
const TILE_VALUES_PER_BAND: usize = 256 * 1024;

/// Kernels transformed once at load: `u[p]` is the filters × channels matrix of tile
/// position `p` (0..36).
#[derive(Debug, Clone)]
pub struct Winograd {
    filters: usize,
    channels: usize,
    pad: usize,
    u: Vec<f32>,
}

/// `G·g` for one 3-vector: the kernel transform of F(4, 3).
fn g3(g: [f32; 3]) -> [f32; 6] {
    [
        g[0] / 4.0,
        -(g[0] + g[1] + g[2]) / 6.0,
        -(g[0] - g[1] + g[2]) / 6.0,
        g[0] / 24.0 + g[1] / 12.0 + g[2] / 6.0,
        g[0] / 24.0 - g[1] / 12.0 + g[2] / 6.0,
        g[2],
    ]
}

/// `Bᵀ·d` for one 6-vector: the input transform.
fn bt(d: [f32; 6]) -> [f32; 6] {
    [
        4.0 * d[0] - 5.0 * d[2] + d[4],
        -4.0 * d[1] - 4.0 * d[2] + d[3] + d[4],
        4.0 * d[1] - 4.0 * d[2] - d[3] + d[4],
        -2.0 * d[1] - d[2] + 2.0 * d[3] + d[4],
        2.0 * d[1] - d[2] - 2.0 * d[3] + d[4],
        4.0 * d[1] - 5.0 * d[3] + d[5],
    ]
}

/// `Aᵀ·m` for one 6-vector: the output transform.
fn at(m: [f32; 6]) -> [f32; 4] {
    [
        m[0] + m[1] + m[2] + m[3] + m[4],
        m[1] - m[2] + 2.0 * m[3] - 2.0 * m[4],
        m[1] + m[2] + 4.0 * m[3] + 4.0 * m[4],
        m[1] - m[2] + 8.0 * m[3] - 8.0 * m[4] + m[5],
    ]
}

/// `G g Gᵀ` of one 3 × 3 kernel (row-major), the 36 values in tile-position order.
fn kernel_tile(g: &[f32]) -> [f32; 36] {
    let cols: [[f32; 6]; 3] = std::array::from_fn(|x| g3([g[x], g[3 + x], g[6 + x]]));
    let mut tile = [0f32; 36];
    for i in 0..6 {
        let row = g3([cols[0][i], cols[1][i], cols[2][i]]);
        tile[i * 6..i * 6 + 6].copy_from_slice(&row);
    }
    tile
}

impl Winograd {
    /// Transforms `filters × channels × 3 × 3` weights: `G g Gᵀ` of every kernel, a block of
    /// filters at a time (their 36 × channels values made in parallel into a block kept in
    /// cache, then copied to their places in each tile position's matrix).
    pub fn new(weights: &[f32], filters: usize, channels: usize, pad: usize) -> Self {
        let per_filter = 36 * channels;
        let block = (KERNEL_BLOCK_VALUES / per_filter.max(1)).max(1);
        let mut u = vec![0f32; 36 * filters * channels];
        let mut made = vec![0f32; block * per_filter];
        for first in (0..filters).step_by(block) {
            let n = block.min(filters - first);
            let kernels = &weights[first * 9 * channels..(first + n) * 9 * channels];
            made[..n * per_filter]
                .par_chunks_mut(per_filter.max(1))
                .zip(kernels.par_chunks((9 * channels).max(1)))
                .for_each(|(dst, g)| {
                    for (c, k) in g.chunks_exact(9).enumerate() {
                        for (p, v) in kernel_tile(k).into_iter().enumerate() {
                            dst[p * channels + c] = v;
                        }
                    }
                });
            // u[p][f][c] = made[f - first][p][c]
            u.par_chunks_mut((filters * channels).max(1))
                .enumerate()
                .for_each(|(p, dst)| {
                    for f in 0..n {
                        let from = &made[f * per_filter + p * channels..][..channels];
                        dst[(first + f) * channels..][..channels].copy_from_slice(from);
                    }
                });
        }
        Self {
            filters,
            channels,
            pad,
            u,
        }
    }

    /// Runs the convolution into `oh × ow` outputs (no bias, no activation): in bands of tile
    /// rows where a layer has enough tiles ([`Winograd::forward_banded`]), else whole.
    ///
    /// The transformed input is laid out `V[c][p][t]` (one contiguous block per channel, written
    /// in parallel); the 36 products read it through a row stride and write `M[p][f][t]`.
    pub fn forward(
        &self,
        x: &Tensor,
        oh: usize,
        ow: usize,
        threads: usize,
        scratch: &Scratch,
    ) -> Result<Tensor, BackendError> {
        let (th, tw) = (oh.div_ceil(4), ow.div_ceil(4));
        if th * tw >= BANDED_MIN_TILES && th >= 4 * threads {
            return self.forward_banded(x, oh, ow);
        }
        let tiles = th * tw;
        let (c, m) = (self.channels, self.filters);
        let mut v = scratch.take(36 * c * tiles);
        let plane = x.plane();
        v.par_chunks_mut(36 * tiles)
            .enumerate()
            .for_each(|(ch, out)| {
                let src = &x.data[ch * plane..(ch + 1) * plane];
                self.input_tiles(src, (x.h, x.w), 0..th, tw, out);
            });
        // M[p][f][t] = Σ_c U[p][f][c] · V[c][p][t]: the 36 products in parallel, each into its
        // own block; V is read through a row stride of 36·t.
        let mut prod = scratch.take(36 * m * tiles);
        let inner = if threads > 1 && m * tiles > 1 << 16 {
            threads
        } else {
            1
        };
        prod.par_chunks_mut(m * tiles)
            .enumerate()
            .try_for_each(|(p, dst)| {
                let u = &self.u[p * m * c..(p + 1) * m * c];
                matmul(
                    m,
                    tiles,
                    c,
                    u,
                    c,
                    &v[p * tiles..],
                    36 * tiles,
                    dst,
                    tiles,
                    inner,
                )
            })?;
        scratch.give(v);
        let mut out = Tensor::zeros(m, oh, ow);
        out.data
            .par_chunks_mut(oh * ow)
            .enumerate()
            .for_each(|(f, dst)| output_tiles(&prod, (f, m), 0..th, (tw, oh, ow), dst));
        scratch.give(prod);
        Ok(out)
    }

    /// The convolution in bands of tile rows, the bands in parallel: each band transforms its
    /// tiles of every channel, runs the 36 products on one thread and transforms the results
    /// into its rows of every output channel, all within about a core's L2 (a whole layer's
    /// transformed input and products are megabytes each, written to memory and read back).
    fn forward_banded(&self, x: &Tensor, oh: usize, ow: usize) -> Result<Tensor, BackendError> {
        let (th, tw) = (oh.div_ceil(4), ow.div_ceil(4));
        let (c, m) = (self.channels, self.filters);
        let rows = (TILE_VALUES_PER_BAND / (36 * (c + m) * tw)).clamp(1, th);
        let mut out = Tensor::zeros(m, oh, ow);
        let plane = x.plane();
        super::bands::in_bands(
            &mut out.data,
            oh * ow,
            4 * rows * ow,
            |band, dst, v, prod| {
                let tys = band * rows..((band + 1) * rows).min(th);
                let tb = tys.len() * tw;
                v.resize(36 * c * tb, 0.0);
                prod.resize(36 * m * tb, 0.0);
                for (ch, block) in v.chunks_mut(36 * tb).enumerate() {
                    let src = &x.data[ch * plane..(ch + 1) * plane];
                    self.input_tiles(src, (x.h, x.w), tys.clone(), tw, block);
                }
                for (p, dst) in prod.chunks_mut(m * tb).enumerate() {
                    let u = &self.u[p * m * c..(p + 1) * m * c];
                    matmul(m, tb, c, u, c, &v[p * tb..], 36 * tb, dst, tb, 1)?;
                }
                for (f, piece) in dst.into_iter().enumerate() {
                    output_tiles(prod, (f, m), tys.clone(), (tw, oh, ow), piece);
                }
                Ok(())
            },
        )
        .map(|()| out)
    }

    /// `Bᵀ d B` of the tiles in tile rows `tys` of one channel plane (`h × w`) into `out`,
    /// `out[p·T + t]` for tile position `p` and tile `t` (counted from the first row of `tys`,
    /// `T` tiles in all).
    fn input_tiles(
        &self,
        src: &[f32],
        (h, w): (usize, usize),
        tys: std::ops::Range<usize>,
        tw: usize,
        out: &mut [f32],
    ) {
        let tiles = tys.len() * tw;
        let pad = self.pad as isize;
        let (h, w) = (h as isize, w as isize);
        for (r, ty) in tys.enumerate() {
            for tx in 0..tw {
                let (y0, x0) = ((ty * 4) as isize - pad, (tx * 4) as isize - pad);
                let mut d = [[0f32; 6]; 6];
                let inside = y0 >= 0 && x0 >= 0 && y0 + 6 <= h && x0 + 6 <= w;
                for (i, row) in d.iter_mut().enumerate() {
                    let y = y0 + i as isize;
                    if inside {
                        let at = (y * w + x0) as usize;
                        row.copy_from_slice(&src[at..at + 6]);
                    } else if y >= 0 && y < h {
                        for (j, val) in row.iter_mut().enumerate() {
                            let xx = x0 + j as isize;
                            if xx >= 0 && xx < w {
                                *val = src[(y * w + xx) as usize];
                            }
                        }
                    }
                }
                // Bᵀ d B: columns first, then rows.
                let mut tmp = [[0f32; 6]; 6];
                for j in 0..6 {
                    let col = bt([d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j]]);
                    for i in 0..6 {
                        tmp[i][j] = col[i];
                    }
                }
                let t = r * tw + tx;
                for (i, row) in tmp.iter().enumerate() {
                    for (j, val) in bt(*row).iter().enumerate() {
                        out[(i * 6 + j) * tiles + t] = *val;
                    }
                }
            }
        }
    }
}

/// `Aᵀ M A` of filter `f` (of `m`) for the tiles in tile rows `tys`, from products laid out
/// `prod[(p·m + f)·T + t]` (`T` tiles, counted from the first row of `tys`), into `dst`: the
/// filter's output rows from `4·tys.start` on (`oh × ow` plane).
fn output_tiles(
    prod: &[f32],
    (f, m): (usize, usize),
    tys: std::ops::Range<usize>,
    (tw, oh, ow): (usize, usize, usize),
    dst: &mut [f32],
) {
    let tiles = tys.len() * tw;
    let first = tys.start;
    let at_p = |p: usize, t: usize| prod[(p * m + f) * tiles + t];
    for ty in tys {
        for tx in 0..tw {
            let t = (ty - first) * tw + tx;
            let mut tmp = [[0f32; 6]; 4];
            for j in 0..6 {
                let col = at([
                    at_p(j, t),
                    at_p(6 + j, t),
                    at_p(12 + j, t),
                    at_p(18 + j, t),
                    at_p(24 + j, t),
                    at_p(30 + j, t),
                ]);
                for i in 0..4 {
                    tmp[i][j] = col[i];
                }
            }
            for (i, row) in tmp.iter().enumerate() {
                let y = ty * 4 + i;
                if y >= oh {
                    break;
                }
                let r = at(*row);
                let n = (ow - tx * 4).min(4);
                let line = (y - 4 * first) * ow + tx * 4;
                dst[line..line + n].copy_from_slice(&r[..n]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// F(4×4, 3×3)'s kernel transform matrix `G`.
    const G: [[f64; 3]; 6] = [
        [0.25, 0.0, 0.0],
        [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
        [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
        [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
        [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
        [0.0, 0.0, 1.0],
    ];

    #[test]
    fn kernels_transformed_in_blocks_land_at_their_tile_positions() {
        // 700 channels: blocks of 10 filters, so 23 filters make two whole blocks and a
        // partial third
        let (filters, channels) = (23, 700);
        assert_eq!(KERNEL_BLOCK_VALUES / (36 * channels), 10);
        let weights: Vec<f32> = (0..filters * channels * 9)
            .map(|i| ((i * 7919 % 1013) as f32 / 1013.0) - 0.5)
            .collect();
        let w = Winograd::new(&weights, filters, channels, 1);
        for f in 0..filters {
            for c in (0..channels).step_by(37) {
                let g = &weights[(f * channels + c) * 9..][..9];
                for (i, gi) in G.iter().enumerate() {
                    for (j, gj) in G.iter().enumerate() {
                        let want: f64 = (0..9)
                            .map(|k| gi[k / 3] * f64::from(g[k]) * gj[k % 3])
                            .sum();
                        let got = w.u[((i * 6 + j) * filters + f) * channels + c];
                        assert!(
                            (f64::from(got) - want).abs() < 1e-6,
                            "filter {f} channel {c} position ({i}, {j}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
