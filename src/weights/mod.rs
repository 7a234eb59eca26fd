//! `.weights` files as darknet writes them: a header (major, minor, revision, `seen` as 32 or
//! 64 bits) then each layer's floats in layer order (src/parser.c `load_weights_upto`).
//! The floats are read once into one buffer; layers hold ranges into it.

mod fuse;

pub use fuse::{FusedConv, blur, fused_batchnorm, fused_connected, fused_conv};

use crate::kinds::WeightBlock;
use crate::network::Network;
use crate::shape::Shapes;
use crate::vocab::cost::WEIGHTS_HEADER_BYTES;
use std::ops::Range;
use thiserror::Error;

/// The `.weights` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Major version.
    pub major: i32,
    /// Minor version.
    pub minor: i32,
    /// Revision.
    pub revision: i32,
    /// Images seen in training.
    pub seen: u64,
    /// Connected-layer weights are stored transposed (major or minor > 1000).
    pub transposed: bool,
    /// Header length in bytes (16 or 20).
    pub bytes: usize,
}

/// Ranges of one layer's floats in [`Weights::data`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayerWeights {
    /// Biases (per output channel).
    pub biases: Range<usize>,
    /// Batch-norm scales, rolling mean and rolling variance, when the file has them.
    pub bn: Option<[Range<usize>; 3]>,
    /// Kernel or matrix weights.
    pub weights: Range<usize>,
}

/// A loaded `.weights` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// The header.
    pub header: Header,
    /// Every float after the header, as in the file.
    pub data: Vec<f32>,
    /// Per layer (empty ranges for layers without weights).
    pub layers: Vec<LayerWeights>,
    /// Findings that do not stop loading (trailing bytes).
    pub warnings: Vec<String>,
}

impl Weights {
    /// The floats of a range; `None` when the range lies outside the loaded floats (a
    /// range made for another file).
    pub fn slice(&self, r: &Range<usize>) -> Option<&[f32]> {
        self.data.get(r.clone())
    }
}

/// Why a `.weights` file does not fit the network.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WeightsError {
    /// Zero bytes.
    #[error("the .weights file is empty")]
    Empty,
    /// Fewer bytes than a header.
    #[error("the .weights file is {0} bytes, shorter than darknet's 16- or 20-byte header")]
    NoHeader(usize),
    /// The file ends inside a layer.
    #[error("layer {layer} ({kind}, line {line}) needs {} floats, file ends after {} — offset {}", group(*need), group(*have), group(*offset))]
    Truncated {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: &'static str,
        /// Line of the layer's section.
        line: usize,
        /// Floats the layer needs.
        need: usize,
        /// Floats left in the file for it.
        have: usize,
        /// Byte offset where the layer's floats start.
        offset: usize,
    },
    /// Far more data than the network reads: another network's file.
    #[error("the .weights file holds {} floats but this network reads {}: it was written for another network", group(*have), group(*need))]
    WrongNetwork {
        /// Floats the network reads.
        need: usize,
        /// Floats in the file.
        have: usize,
    },
    /// The network's weight counts do not fit in 64 bits, so no file can be laid out.
    #[error("cannot lay out a .weights file for this network: {0}")]
    Profile(#[from] crate::profile::ProfileError),
    /// Reading the file failed.
    #[error("cannot read the .weights file: {0}")]
    Io(String),
}

/// `1180160` → `1,180,160`.
pub fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// More trailing data than this share of the expected floats means another network's file.
const WRONG_NETWORK_SHARE: f64 = 0.05;

/// Parses the header.
pub fn header(bytes: &[u8]) -> Result<Header, WeightsError> {
    if bytes.is_empty() {
        return Err(WeightsError::Empty);
    }
    let int = |i: usize| {
        bytes
            .get(i * 4..i * 4 + 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(major), Some(minor), Some(revision)) = (int(0), int(1), int(2)) else {
        return Err(WeightsError::NoHeader(bytes.len()));
    };
    let wide = major.saturating_mul(10).saturating_add(minor) >= 2;
    let len = if wide { 20 } else { 16 };
    let Some(seen_bytes) = bytes.get(12..len) else {
        return Err(WeightsError::NoHeader(bytes.len()));
    };
    let seen = seen_bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | b as u64);
    Ok(Header {
        major,
        minor,
        revision,
        seen,
        transposed: major > 1000 || minor > 1000,
        bytes: len,
    })
}

impl Header {
    /// The header darknet ≥ 0.2 writes (version 0.2.0, `seen` in 64 bits).
    pub fn current(seen: u64) -> Self {
        Self {
            major: 0,
            minor: 2,
            revision: 0,
            seen,
            transposed: false,
            bytes: WEIGHTS_HEADER_BYTES as usize,
        }
    }

    /// The header's bytes as darknet's `save_weights` writes them (little-endian; `seen` in 64
    /// bits from version 0.2 on, 32 before).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bytes);
        for v in [self.major, self.minor, self.revision] {
            out.extend(v.to_le_bytes());
        }
        out.extend(&self.seen.to_le_bytes()[..self.bytes.saturating_sub(12).min(8)]);
        out
    }
}

/// A whole `.weights` file as darknet writes it: the current header, then `floats`.
pub fn file_bytes(seen: u64, floats: impl IntoIterator<Item = f32>) -> Vec<u8> {
    let mut out = Header::current(seen).to_bytes();
    out.extend(floats.into_iter().flat_map(f32::to_le_bytes));
    out
}

/// Reads a `.weights` file from disk with one read into the float buffer.
pub fn read(
    path: &std::path::Path,
    net: &Network,
    shapes: &Shapes,
) -> Result<Weights, WeightsError> {
    use std::io::Read;
    let io = |e: std::io::Error| WeightsError::Io(format!("{}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len() as usize;
    let mut head = vec![0u8; len.min(20)];
    file.read_exact(&mut head).map_err(io)?;
    let h = header(&head)?;
    let body_bytes = len - h.bytes;
    let mut data = vec![0f32; body_bytes / 4];
    let mut rest = head[h.bytes..].to_vec();
    let floats: &mut [u8] = bytemuck::cast_slice_mut(&mut data);
    let (prefix, tail) = floats.split_at_mut(rest.len().min(floats.len()));
    prefix.copy_from_slice(&rest[..prefix.len()]);
    rest.clear();
    file.read_exact(tail).map_err(io)?;
    if cfg!(target_endian = "big") {
        for v in &mut data {
            *v = f32::from_bits(v.to_bits().swap_bytes());
        }
    }
    layout(h, data, body_bytes % 4, net, shapes)
}

/// Parses a `.weights` file held in memory.
pub fn parse(bytes: &[u8], net: &Network, shapes: &Shapes) -> Result<Weights, WeightsError> {
    let h = header(bytes)?;
    let body = &bytes[h.bytes..];
    let data = body
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    layout(h, data, body.len() % 4, net, shapes)
}

/// Where one block's biases, batch-norm triplet and weights lie from float `at` on.
fn block_ranges(
    at: usize,
    biases: usize,
    bn: bool,
    weights: usize,
    bn_after_weights: bool,
) -> LayerWeights {
    let after_biases = at + biases;
    let n_bn = if bn { 3 * biases } else { 0 };
    let (w0, t) = if bn_after_weights {
        (after_biases, after_biases + weights)
    } else {
        (after_biases + n_bn, after_biases)
    };
    LayerWeights {
        biases: at..after_biases,
        bn: bn.then(|| {
            [
                t..t + biases,
                t + biases..t + 2 * biases,
                t + 2 * biases..t + 3 * biases,
            ]
        }),
        weights: w0..w0 + weights,
    }
}

fn layout(
    header: Header,
    data: Vec<f32>,
    stray_bytes: usize,
    net: &Network,
    shapes: &Shapes,
) -> Result<Weights, WeightsError> {
    let (layers, at) = ranges(&header, data.len(), net, shapes)?;
    let extra = data.len() - at;
    if extra as f64 > WRONG_NETWORK_SHARE * at.max(1) as f64 {
        return Err(WeightsError::WrongNetwork {
            need: at,
            have: data.len(),
        });
    }
    let mut warnings = Vec::new();
    let trailing = extra * 4 + stray_bytes;
    if trailing > 0 {
        warnings.push(format!(
            "{} bytes after the last layer's weights are ignored (darknet ignores them too)",
            group(trailing)
        ));
    }
    Ok(Weights {
        header,
        data,
        layers,
        warnings,
    })
}

/// Whether loaded weights lie where `net` reads them: every layer's biases, batch-norm
/// triplet and weights at the same floats. An edited cfg keeps its attached weights only then.
pub fn fits(w: &Weights, net: &Network, shapes: &Shapes) -> bool {
    ranges(&w.header, w.data.len(), net, shapes).is_ok_and(|(l, _)| l == w.layers)
}

/// Where each layer's blocks lie in `floats` floats after the header, in darknet's load order,
/// and how many floats the network reads in all.
fn ranges(
    header: &Header,
    floats: usize,
    net: &Network,
    shapes: &Shapes,
) -> Result<(Vec<LayerWeights>, usize), WeightsError> {
    let costs = crate::profile::profile(net, shapes)?;
    let mut at = 0usize;
    let mut layers = Vec::with_capacity(net.layers.len());
    for (i, layer) in net.layers.iter().enumerate() {
        let mut lw = LayerWeights::default();
        let wf = costs.layers[i].weight_floats as usize;
        let blocks = if layer.dontload {
            Vec::new()
        } else {
            layer.kind.weight_blocks(&shapes.layers[i], wf as u64)
        };
        for block in blocks {
            let WeightBlock {
                biases,
                weights,
                bn_after_weights,
                ..
            } = block;
            let bn = block.bn && !layer.dontloadscales;
            let n_bn = if bn { 3 * biases } else { 0 };
            let need = biases + n_bn + weights;
            if at + need > floats {
                return Err(WeightsError::Truncated {
                    layer: i,
                    kind: layer.kind.type_name(),
                    line: layer.span.line,
                    need,
                    have: floats - at,
                    offset: header.bytes + 4 * at,
                });
            }
            lw = block_ranges(at, biases, bn, weights, bn_after_weights);
            at += need;
        }
        layers.push(lw);
    }
    Ok((layers, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_header_reads_back() {
        // darknet 0.2: three int32 then seen as uint64, 20 bytes, little-endian
        let bytes = file_bytes(0x0102_0304_0506, [1.5]);
        assert_eq!(bytes.len(), 24);
        assert_eq!(&bytes[..12], &[0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&bytes[12..20], &[6, 5, 4, 3, 2, 1, 0, 0]);
        assert_eq!(&bytes[20..], &1.5f32.to_le_bytes());
        let h = header(&bytes).expect("header");
        assert_eq!(h, Header::current(0x0102_0304_0506));
        // before 0.2, seen is 32 bits: a 16-byte header
        let old = Header {
            major: 0,
            minor: 1,
            revision: 0,
            seen: 7,
            transposed: false,
            bytes: 16,
        };
        assert_eq!(header(&old.to_bytes()).expect("old header"), old);
    }
}
