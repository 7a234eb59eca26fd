//! ONNX export (`csplens export`): the network with its weights as an ONNX model whose input
//! is the image as darknet feeds it (`input`, float32 `[N, 3, H, W]`, RGB in 0..1, resized or
//! letterboxed to `[net]`'s size) and whose outputs are either every `[yolo]` head decoded
//! (`boxes` `[N, K, 4]`, `scores` `[N, K, C]`, before any threshold or NMS) or the tensors the
//! heads read (`yolo_<layer>`, `[N, A·(5+C), H, W]`). The messages are `onnx-protobuf`'s.

mod builder;
mod heads;
mod layers;

use crate::Analysis;
use crate::kinds::Src;
use crate::weights::Weights;
use builder::{Dim, Graph};
use onnx_protobuf::Message as _;

/// What the model outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decode {
    /// `boxes` and `scores`, every head decoded as darknet does.
    #[default]
    Boxes,
    /// One output per head, `yolo_<layer>`: the tensor the head reads.
    Raw,
}

/// The batch dimension of the input and outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// Exactly this many images.
    Fixed(usize),
    /// Any number, given at run time (`N`).
    Dynamic,
}

/// How to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    /// The outputs.
    pub decode: Decode,
    /// The batch dimension.
    pub batch: Batch,
    /// The ONNX opset the nodes are written for.
    pub opset: i64,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            decode: Decode::Boxes,
            batch: Batch::Fixed(1),
            opset: DEFAULT_OPSET,
        }
    }
}

/// The opset written unless asked otherwise (read by ONNX Runtime, OpenCV 4.x and tract).
pub const DEFAULT_OPSET: i64 = 13;

/// The opsets csplens writes.
pub const OPSETS: std::ops::RangeInclusive<i64> = 11..=21;

/// Why a network cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A layer with no exact ONNX equivalent (yet).
    #[error("layer {layer} ([{section}] at line {line}): {why}")]
    Layer {
        /// Its index.
        layer: usize,
        /// Its section name as written.
        section: String,
        /// Its section header's line.
        line: usize,
        /// Why, in one sentence.
        why: String,
    },
    /// An opset outside [`OPSETS`].
    #[error("opset {0}: csplens writes opsets 11 to 21")]
    Opset(i64),
    /// A fixed batch of zero images.
    #[error("a batch needs at least one image")]
    Batch,
    /// Nothing to output.
    #[error("the network has no [yolo] head: nothing to output")]
    NoHead,
    /// The messages could not be serialised.
    #[error("cannot write the ONNX messages: {0}")]
    Encode(String),
}

/// The ONNX model of `a` with `w`, as bytes.
pub fn export(a: &Analysis, w: &Weights, o: &ExportOptions) -> Result<Vec<u8>, ExportError> {
    if !OPSETS.contains(&o.opset) {
        return Err(ExportError::Opset(o.opset));
    }
    let n = match o.batch {
        Batch::Fixed(0) => return Err(ExportError::Batch),
        Batch::Fixed(k) => Dim::Fixed(k as i64),
        Batch::Dynamic => Dim::Symbol("N"),
    };
    let heads: Vec<(usize, &crate::kinds::Yolo)> = (a.network.layers.iter())
        .filter_map(|l| l.kind.yolo().map(|y| (l.index, y)))
        .collect();
    if heads.is_empty() {
        return Err(ExportError::NoHead);
    }
    let mut g = Graph::new(o.opset);
    let names = layer_values(&mut g, a, w)?;
    let head_input = |i: usize| -> Option<&str> {
        match a.network.layers[i].inputs.first()? {
            Src::Image => Some("input"),
            Src::Layer(j) => names.get(*j).map(String::as_str),
        }
    };
    let mut outputs = Vec::new();
    let shape = |i: usize| a.shapes.layers[i].input;
    match o.decode {
        Decode::Raw => {
            for &(i, _) in &heads {
                let x = head_input(i).ok_or(ExportError::NoHead)?.to_string();
                let out = format!("yolo_{i}");
                g.op_to("Identity", &[&x], &[], &out);
                let s = shape(i);
                outputs.push((out, vec![n.clone(), fixed(s.c), fixed(s.h), fixed(s.w)]));
            }
        }
        Decode::Boxes => {
            let net = (a.shapes.input.w, a.shapes.input.h);
            let (mut boxes, mut scores, mut k) = (Vec::new(), Vec::new(), 0);
            for &(i, y) in &heads {
                let x = head_input(i).ok_or(ExportError::NoHead)?.to_string();
                let s = shape(i);
                let d = heads::yolo(&mut g, y, &x, (s.h, s.w), net);
                boxes.push(d.boxes);
                scores.push(d.scores);
                k += y.mask.len() * s.h * s.w;
            }
            let classes = heads[0].1.classes;
            for (list, out) in [(&boxes, "boxes"), (&scores, "scores")] {
                let refs: Vec<&str> = list.iter().map(String::as_str).collect();
                g.op_to("Concat", &refs, &[builder::Attr::Int("axis", 1)], out);
            }
            outputs.push(("boxes".into(), vec![n.clone(), fixed(k), Dim::Fixed(4)]));
            outputs.push(("scores".into(), vec![n.clone(), fixed(k), fixed(classes)]));
        }
    }
    let i = a.shapes.input;
    let input = vec![n, fixed(i.c), fixed(i.h), fixed(i.w)];
    let outs: Vec<(&str, Vec<Dim>)> = outputs
        .iter()
        .map(|(s, d)| (s.as_str(), d.clone()))
        .collect();
    let model = g.model(&[("input", input)], &outs);
    model
        .write_to_bytes()
        .map_err(|e| ExportError::Encode(e.to_string()))
}

fn fixed(v: usize) -> Dim {
    Dim::Fixed(v as i64)
}

/// Every layer's nodes in order; the name of each layer's output value.
fn layer_values(g: &mut Graph, a: &Analysis, w: &Weights) -> Result<Vec<String>, ExportError> {
    let mut names: Vec<String> = Vec::with_capacity(a.network.layers.len());
    for layer in &a.network.layers {
        let i = layer.index;
        let refuse = |why: String| ExportError::Layer {
            layer: i,
            section: layer.section_name.clone(),
            line: layer.span.line,
            why,
        };
        let mut ins = layers::Inputs {
            names: Vec::new(),
            shapes: Vec::new(),
        };
        for src in &layer.inputs {
            if let Src::Layer(j) = src
                && a.network.layers[*j].kind.yolo().is_some()
            {
                // darknet's [yolo] output is its input activated: nothing reads it here yet
                return Err(refuse(format!(
                    "it reads the output of the [yolo] layer {j}: not exported yet"
                )));
            }
            let (name, s) = match src {
                Src::Image => ("input", a.shapes.input),
                Src::Layer(j) => (
                    names
                        .get(*j)
                        .map(String::as_str)
                        .ok_or_else(|| refuse(format!("it reads layer {j}, which comes later")))?,
                    a.shapes.layers[*j].output,
                ),
            };
            ins.names.push(name);
            ins.shapes.push((s.c, s.h, s.w));
        }
        let out = layers::emit(g, layer, &a.shapes.layers[i], &ins, w).map_err(refuse)?;
        names.push(out);
    }
    Ok(names)
}
