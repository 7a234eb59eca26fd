//! ONNX export (`csplens export`): the network with its weights as an ONNX model whose input
//! is the image as darknet feeds it (`input`, float32 `[N, 3, H, W]`, RGB in 0..1, resized or
//! letterboxed to `[net]`'s size) and whose outputs are either every `[yolo]`,
//! `[Gaussian_yolo]` and `[region]` head decoded (`boxes` `[N, K, 4]`, `scores` `[N, K, C]`,
//! before any threshold or NMS) or the tensors the heads read (`yolo_<layer>`,
//! `[N, A·(5+C), H, W]`); a network without heads (a classifier) outputs its last layer as
//! `output`. The messages are `onnx-protobuf`'s.

mod activations;
mod builder;
#[cfg(feature = "onnx-check")]
pub mod check;
mod dense;
mod heads;
mod layers;
mod moves;

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
    /// A head whose input has no value (a network with no layers).
    #[error("the network has no layer to output")]
    NoHead,
    /// The messages could not be serialised.
    #[error("cannot write the ONNX messages: {0}")]
    Encode(String),
}

/// A detection head and what its decoding needs.
#[derive(Clone, Copy)]
enum Head<'a> {
    /// `[yolo]`.
    Yolo(&'a crate::kinds::Yolo),
    /// `[Gaussian_yolo]`.
    Gaussian(&'a crate::kinds::Yolo),
    /// `[region]` (YOLOv2).
    Region(&'a crate::kinds::Region),
}

impl Head<'_> {
    fn of(kind: &crate::kinds::LayerKind) -> Option<Head<'_>> {
        use crate::kinds::LayerKind;
        if let LayerKind::Yolo(y) = kind {
            Some(Head::Yolo(y))
        } else if let LayerKind::Region(r) = kind {
            Some(Head::Region(r))
        } else {
            kind.yolo().map(Head::Gaussian)
        }
    }
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
    let heads: Vec<(usize, Head)> = (a.network.layers.iter())
        .filter_map(|l| Head::of(&l.kind).map(|h| (l.index, h)))
        .collect();
    let mut g = Graph::new(o.opset);
    let names = layer_values(&mut g, a, w)?;
    let outputs = match (heads.is_empty(), o.decode) {
        (true, _) => vec![last_output(&mut g, a, &names, &n)?],
        (false, Decode::Raw) => raw_heads(&mut g, a, &names, &heads, &n)?,
        (false, Decode::Boxes) => decoded(&mut g, a, &names, &heads, &n)?,
    };
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

/// An output's name and dimensions.
type Output = (String, Vec<Dim>);

/// The value head `i` reads.
fn head_input<'n>(a: &Analysis, names: &'n [String], i: usize) -> Result<&'n str, ExportError> {
    match a.network.layers[i].inputs.first() {
        Some(Src::Image) => Ok("input"),
        Some(Src::Layer(j)) => names.get(*j).map(String::as_str).ok_or(ExportError::NoHead),
        None => Err(ExportError::NoHead),
    }
}

/// A network without heads (a classifier): its last layer's output as `output`.
fn last_output(
    g: &mut Graph,
    a: &Analysis,
    names: &[String],
    n: &Dim,
) -> Result<Output, ExportError> {
    let (last, s) = names
        .last()
        .zip(a.shapes.layers.last())
        .ok_or(ExportError::NoHead)?;
    g.op_to("Identity", &[last], &[], "output");
    let o = value_shapes(a).last().copied().unwrap_or(s.output);
    let dims = vec![n.clone(), fixed(o.c), fixed(o.h), fixed(o.w)];
    Ok(("output".into(), dims))
}

/// `--decode raw`: `yolo_<i>`, the tensor each head reads.
fn raw_heads(
    g: &mut Graph,
    a: &Analysis,
    names: &[String],
    heads: &[(usize, Head)],
    n: &Dim,
) -> Result<Vec<Output>, ExportError> {
    let mut outputs = Vec::new();
    for &(i, _) in heads {
        let x = head_input(a, names, i)?.to_string();
        let out = format!("yolo_{i}");
        g.op_to("Identity", &[&x], &[], &out);
        let s = a.shapes.layers[i].input;
        outputs.push((out, vec![n.clone(), fixed(s.c), fixed(s.h), fixed(s.w)]));
    }
    Ok(outputs)
}

/// `--decode boxes`: every head decoded, `boxes` and `scores` head by head.
fn decoded(
    g: &mut Graph,
    a: &Analysis,
    names: &[String],
    heads: &[(usize, Head)],
    n: &Dim,
) -> Result<Vec<Output>, ExportError> {
    let net = (a.shapes.input.w, a.shapes.input.h);
    let (mut boxes, mut scores, mut k) = (Vec::new(), Vec::new(), 0);
    let mut classes = None;
    for &(i, head) in heads {
        let layer = &a.network.layers[i];
        let refuse = |why: String| ExportError::Layer {
            layer: i,
            section: layer.section_name.clone(),
            line: layer.span.line,
            why,
        };
        let x = head_input(a, names, i)?.to_string();
        let s = a.shapes.layers[i].input;
        let (d, anchors, c) = match head {
            Head::Yolo(y) => (
                heads::yolo(g, y, &x, (s.h, s.w), net),
                y.mask.len(),
                y.classes,
            ),
            Head::Region(r) => (heads::region(g, r, &x, (s.h, s.w)), r.num, r.classes),
            Head::Gaussian(y) => (
                heads::gaussian(g, y, &x, (s.h, s.w), net),
                y.mask.len(),
                y.classes,
            ),
        };
        if *classes.get_or_insert(c) != c {
            return Err(refuse(format!(
                "its {c} classes differ from the first head's, so the scores cannot share one tensor: use --decode raw"
            )));
        }
        boxes.push(d.boxes);
        scores.push(d.scores);
        k += anchors * s.h * s.w;
    }
    for (list, out) in [(&boxes, "boxes"), (&scores, "scores")] {
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        g.op_to("Concat", &refs, &[builder::Attr::Int("axis", 1)], out);
    }
    let c = classes.unwrap_or(0);
    Ok(vec![
        ("boxes".into(), vec![n.clone(), fixed(k), Dim::Fixed(4)]),
        ("scores".into(), vec![n.clone(), fixed(k), fixed(c)]),
    ])
}

/// The shape of each layer's value in the graph: darknet gives flat layers (`[softmax]`,
/// `[cost]`) a 0×0×0 output of `outputs` values, which keep the shape of what they read here.
fn value_shapes(a: &Analysis) -> Vec<crate::vocab::shape::Shape> {
    let mut shapes: Vec<crate::vocab::shape::Shape> = Vec::with_capacity(a.shapes.layers.len());
    for (layer, s) in a.network.layers.iter().zip(&a.shapes.layers) {
        let o = s.output;
        let shape = if o.c * o.h * o.w == s.outputs {
            o
        } else {
            match layer.inputs.first() {
                Some(Src::Layer(j)) => shapes.get(*j).copied().unwrap_or(o),
                Some(Src::Image) => a.shapes.input,
                None => o,
            }
        };
        shapes.push(shape);
    }
    shapes
}

fn fixed(v: usize) -> Dim {
    Dim::Fixed(v as i64)
}

/// Every layer's nodes in order; the name of each layer's output value.
fn layer_values(g: &mut Graph, a: &Analysis, w: &Weights) -> Result<Vec<String>, ExportError> {
    let mut names: Vec<String> = Vec::with_capacity(a.network.layers.len());
    let shapes = value_shapes(a);
    for layer in &a.network.layers {
        let i = layer.index;
        let refuse = |why: String| ExportError::Layer {
            layer: i,
            section: layer.section_name.clone(),
            line: layer.span.line,
            why,
        };
        let mut ins = builder::Inputs {
            names: Vec::new(),
            shapes: Vec::new(),
        };
        for src in &layer.inputs {
            if let Src::Layer(j) = src
                && Head::of(&a.network.layers[*j].kind).is_some()
            {
                // a head's output is its input activated (and for [region] its classes
                // normalised): the graph carries the raw tensor, so nothing may read the head
                return Err(refuse(format!(
                    "it reads the output of the head at layer {j}, which the export does not compute"
                )));
            }
            let (name, s) = match src {
                Src::Image => ("input", a.shapes.input),
                Src::Layer(j) => (
                    names
                        .get(*j)
                        .map(String::as_str)
                        .ok_or_else(|| refuse(format!("it reads layer {j}, which comes later")))?,
                    shapes[*j],
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
