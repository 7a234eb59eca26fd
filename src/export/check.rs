//! `csplens export --check IMAGE`: the written ONNX file run by tract on an image, each head's
//! output compared with what csplens's CPU backend computes for it (its exact im2col path):
//! the raw tensors, the decoded rows, or a classifier's last layer.

use super::{Batch, Decode, ExportOptions};
use crate::Analysis;
use crate::backend::cpu::CpuNet;
use crate::backend::{BackendError, Forward};
use crate::kinds::{LayerKind, Src};
use crate::tensor::Tensor;
use crate::weights::Weights;

/// One head's comparison (or a classifier's `output`).
#[derive(Debug, Clone, PartialEq)]
pub struct HeadCheck {
    /// The head's layer (a classifier: its last layer).
    pub layer: usize,
    /// The largest absolute difference between tract's values and the CPU backend's.
    pub diff: f32,
    /// The CPU backend's largest magnitude there.
    pub scale: f32,
}

impl HeadCheck {
    /// The difference over the largest magnitude.
    pub fn relative(&self) -> f32 {
        self.diff / self.scale.max(1e-6)
    }
}

/// Why the check could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// tract could not read or prepare the file.
    #[error("tract cannot load the ONNX file: {0}")]
    Load(String),
    /// tract could not run it.
    #[error("tract cannot run the ONNX file: {0}")]
    Run(String),
    /// The CPU backend could not run the network.
    #[error("the CPU backend: {0}")]
    Cpu(#[from] BackendError),
    /// An output of another size than the network's.
    #[error("output {index} holds {got} values where {want} were expected")]
    Size {
        /// The output's position.
        index: usize,
        /// Its values.
        got: usize,
        /// The values expected.
        want: usize,
    },
}

/// Runs `bytes` (written from `a` and `w` with `o`) in tract on `input` (one image, repeated
/// over a fixed batch) and compares each head with the CPU backend.
pub fn check(
    bytes: &[u8],
    a: &Analysis,
    w: &Weights,
    input: &Tensor,
    o: &ExportOptions,
) -> Result<Vec<HeadCheck>, CheckError> {
    let outputs = run(bytes, input, o)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let all = CpuNet::with_winograd(a, w, threads, false)?.forward_all(input)?;
    let heads: Vec<usize> = (a.network.layers.iter())
        .filter(|l| super::Head::of(&l.kind).is_some())
        .map(|l| l.index)
        .collect();
    let last = a.network.layers.len().saturating_sub(1);
    let want = |i: usize| all.output(i).map(|t| t.data.clone()).unwrap_or_default();
    if heads.is_empty() {
        let got = outputs.first().map(Vec::as_slice).unwrap_or_default();
        return Ok(vec![compare(last, got, &want(last), 0)?]);
    }
    let mut checks = Vec::with_capacity(heads.len());
    match o.decode {
        Decode::Raw => {
            for (k, &head) in heads.iter().enumerate() {
                let got = outputs.get(k).map(Vec::as_slice).unwrap_or_default();
                checks.push(compare(head, got, &want(reads(a, head)), k)?);
            }
        }
        Decode::Boxes => {
            let empty = Vec::new();
            let (boxes, scores) = (
                outputs.first().unwrap_or(&empty),
                outputs.get(1).unwrap_or(&empty),
            );
            let (mut at_box, mut at_score) = (0, 0);
            for &head in &heads {
                let (b, s) = reference_rows(a, &all, head);
                let (nb, ns) = (b.len(), s.len());
                let got_b = boxes.get(at_box..at_box + nb).unwrap_or_default();
                let got_s = scores.get(at_score..at_score + ns).unwrap_or_default();
                let (cb, cs) = (compare(head, got_b, &b, 0)?, compare(head, got_s, &s, 1)?);
                checks.push(HeadCheck {
                    layer: head,
                    diff: cb.diff.max(cs.diff),
                    scale: cb.scale.max(cs.scale),
                });
                (at_box, at_score) = (at_box + nb, at_score + ns);
            }
        }
    }
    Ok(checks)
}

/// tract's outputs for `input` repeated over the batch, each output's first image.
fn run(
    bytes: &[u8],
    input: &crate::tensor::Tensor,
    o: &ExportOptions,
) -> Result<Vec<Vec<f32>>, CheckError> {
    use tract_onnx::prelude::*;
    let n = match o.batch {
        Batch::Fixed(n) => n.max(1),
        Batch::Dynamic => 1,
    };
    let shape = [n, input.c, input.h, input.w];
    let load = |e: TractError| CheckError::Load(format!("{e:#}"));
    let model = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .map_err(load)?
        .with_input_fact(0, f32::fact(shape).into())
        .map_err(load)?
        .into_optimized()
        .map_err(load)?
        .into_runnable()
        .map_err(load)?;
    let data: Vec<f32> = (0..n).flat_map(|_| input.data.iter().copied()).collect();
    let failed = |e: TractError| CheckError::Run(format!("{e:#}"));
    let x = Tensor::from_shape(&shape, &data).map_err(failed)?;
    let out = model.run(tvec!(x.into())).map_err(failed)?;
    out.iter()
        .map(|t| {
            let view = t.to_plain_array_view::<f32>().map_err(failed)?;
            let all: Vec<f32> = view.iter().copied().collect();
            Ok(all[..all.len() / n].to_vec())
        })
        .collect()
}

/// The layer head `i` reads.
fn reads(a: &Analysis, i: usize) -> usize {
    match a.network.layers[i].inputs.first() {
        Some(Src::Layer(j)) => *j,
        Some(Src::Image) | None => i,
    }
}

/// The largest difference of `got` from `want`; `index` names the output when sizes differ.
fn compare(layer: usize, got: &[f32], want: &[f32], index: usize) -> Result<HeadCheck, CheckError> {
    if got.len() != want.len() {
        return Err(CheckError::Size {
            index,
            got: got.len(),
            want: want.len(),
        });
    }
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    let diff = (got.iter().zip(want)).fold(0f32, |m, (g, w)| m.max((g - w).abs()));
    Ok(HeadCheck { layer, diff, scale })
}

/// Head `i`'s rows decoded from the CPU backend's (activated) output, in the export's order
/// (anchor, row, column): boxes (x1, y1, x2, y2) relative to the input, and scores.
pub fn reference_rows(a: &Analysis, f: &Forward, i: usize) -> (Vec<f32>, Vec<f32>) {
    let (net_w, net_h) = (a.shapes.input.w as f32, a.shapes.input.h as f32);
    let Some(out) = f.output(i) else {
        return (Vec::new(), Vec::new());
    };
    let (w, h, plane) = (out.w, out.h, out.plane());
    let Some(l) = layout(&a.network.layers[i].kind, (w, h), (net_w, net_h)) else {
        return (Vec::new(), Vec::new());
    };
    let (anchors, per, obj, classes, new_coords) = l;
    let (mut boxes, mut scores) = (Vec::new(), Vec::new());
    for (n, &(aw, ah)) in anchors.iter().enumerate() {
        for p in 0..plane {
            let at = |e: usize| out.data[(n * per + e) * plane + p];
            let (col, row) = ((p % w) as f32, (p / w) as f32);
            let (cx, cy) = ((col + at(0)) / w as f32, (row + at(1)) / h as f32);
            let (tw, th) = if new_coords {
                (at(2) * at(2) * 4.0, at(3) * at(3) * 4.0)
            } else {
                (at(2).exp(), at(3).exp())
            };
            let (bw, bh) = (tw * aw, th * ah);
            boxes.extend([cx - bw / 2.0, cy - bh / 2.0, cx + bw / 2.0, cy + bh / 2.0]);
            scores.extend((0..classes).map(|c| at(obj) * at(obj + 1 + c)));
        }
    }
    (boxes, scores)
}

/// A head's layout: each anchor's (w, h) relative to the input, entries per anchor, the
/// objectness entry, classes, and whether sizes are `new_coords`' squares.
type Layout = (Vec<(f32, f32)>, usize, usize, usize, bool);

fn layout(kind: &LayerKind, (w, h): (usize, usize), (net_w, net_h): (f32, f32)) -> Option<Layout> {
    if let LayerKind::Yolo(y) = kind {
        let anchors = (y.mask.iter())
            .map(|&m| {
                let at = |k: usize| y.anchors.get(2 * m + k).copied().unwrap_or(1.0);
                (at(0) / net_w, at(1) / net_h)
            })
            .collect();
        Some((anchors, y.classes + 5, 4, y.classes, y.new_coords))
    } else if let LayerKind::Region(r) = kind {
        // a region's anchors are in grid cells
        let anchors = (0..r.num)
            .map(|n| {
                let at = |k: usize| r.anchors.get(2 * n + k).copied().unwrap_or(1.0);
                (at(0) / w as f32, at(1) / h as f32)
            })
            .collect();
        Some((
            anchors,
            r.classes + r.coords + 1,
            r.coords,
            r.classes,
            false,
        ))
    } else {
        None
    }
}
