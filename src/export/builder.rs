//! A small builder over the ONNX messages of `onnx-protobuf`: nodes with fresh output names,
//! weights as initializers, typed inputs and outputs, the model with its opset; and what each
//! layer's nodes read ([`Inputs`]) or why it cannot be written ([`Refusal`]).

use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::{Dimension, dimension};
use onnx_protobuf::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, type_proto,
};

/// The graph being written.
#[derive(Debug, Default)]
pub(super) struct Graph {
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    next: usize,
    /// The opset the nodes are written for.
    pub opset: i64,
}

/// One node attribute.
#[derive(Clone)]
pub(super) enum Attr<'a> {
    Int(&'a str, i64),
    Ints(&'a str, &'a [i64]),
    Float(&'a str, f32),
    Str(&'a str, &'a str),
}

impl Attr<'_> {
    fn proto(&self) -> AttributeProto {
        let mut a = AttributeProto::new();
        match *self {
            Attr::Int(name, v) => {
                a.name = name.into();
                a.i = v;
                a.type_ = AttributeType::INT.into();
            }
            Attr::Ints(name, v) => {
                a.name = name.into();
                a.ints = v.to_vec();
                a.type_ = AttributeType::INTS.into();
            }
            Attr::Float(name, v) => {
                a.name = name.into();
                a.f = v;
                a.type_ = AttributeType::FLOAT.into();
            }
            Attr::Str(name, v) => {
                a.name = name.into();
                a.s = v.as_bytes().to_vec();
                a.type_ = AttributeType::STRING.into();
            }
        }
        a
    }
}

impl Graph {
    /// An empty graph for `opset`.
    pub fn new(opset: i64) -> Self {
        Self {
            opset,
            ..Self::default()
        }
    }

    /// A fresh value name from `hint`.
    fn fresh(&mut self, hint: &str) -> String {
        self.next += 1;
        format!("{hint}_{}", self.next)
    }

    /// Adds node `op` reading `inputs`; returns its output's name.
    pub fn op(&mut self, op: &str, inputs: &[&str], attrs: &[Attr], hint: &str) -> String {
        let out = self.fresh(hint);
        self.op_to(op, inputs, attrs, &out);
        out
    }

    /// Adds node `op` writing the value named `out`.
    pub fn op_to(&mut self, op: &str, inputs: &[&str], attrs: &[Attr], out: &str) {
        let mut n = NodeProto::new();
        n.op_type = op.into();
        n.name = format!("{out}_{op}");
        n.input = inputs.iter().map(|s| (*s).to_string()).collect();
        n.output = vec![out.to_string()];
        n.attribute = attrs.iter().map(Attr::proto).collect();
        self.nodes.push(n);
    }

    /// A float32 initializer (weights, constants); returns its name.
    pub fn f32s(&mut self, hint: &str, dims: &[i64], data: &[f32]) -> String {
        let name = self.fresh(hint);
        let mut t = TensorProto::new();
        t.name = name.clone();
        t.dims = dims.to_vec();
        t.data_type = DataType::FLOAT as i32;
        t.raw_data = le_bytes(data);
        self.inits.push(t);
        name
    }

    /// An int64 initializer (shapes, slice bounds); returns its name.
    pub fn i64s(&mut self, hint: &str, data: &[i64]) -> String {
        let name = self.fresh(hint);
        let mut t = TensorProto::new();
        t.name = name.clone();
        t.dims = vec![data.len() as i64];
        t.data_type = DataType::INT64 as i32;
        t.raw_data = le_bytes(data);
        self.inits.push(t);
        name
    }

    /// A float scalar constant of shape `[1]` (broadcasts everywhere).
    pub fn scalar(&mut self, v: f32) -> String {
        self.f32s("const", &[1], &[v])
    }

    /// `x[…, from..to, …]` along `axis`.
    pub fn slice(&mut self, x: &str, axis: i64, from: i64, to: i64) -> String {
        let (s, e, a) = (
            self.i64s("starts", &[from]),
            self.i64s("ends", &[to]),
            self.i64s("axes", &[axis]),
        );
        self.op("Slice", &[x, &s, &e, &a], &[], "slice")
    }

    /// `op` (`ReduceSum`, `ReduceMax`, …) over `axes`, keeping them as size 1: the axes an
    /// attribute before the opset that made them an input (13 for `ReduceSum`, 18 for the rest).
    pub fn reduce(&mut self, op: &str, x: &str, axes: &[i64]) -> String {
        let as_input = self.opset >= if op == "ReduceSum" { 13 } else { 18 };
        let keep = Attr::Int("keepdims", 1);
        if as_input {
            let a = self.i64s("axes", axes);
            self.op(op, &[x, &a], &[keep], &op.to_ascii_lowercase())
        } else {
            let attrs = [Attr::Ints("axes", axes), keep];
            self.op(op, &[x], &attrs, &op.to_ascii_lowercase())
        }
    }

    /// `x` reshaped to `dims` (0 keeps the input's size, -1 is inferred).
    pub fn reshape(&mut self, x: &str, dims: &[i64]) -> String {
        let shape = self.i64s("shape", dims);
        self.op("Reshape", &[x, &shape], &[], "reshape")
    }

    /// The model: `inputs` and `outputs` as (name, dims) with `None` for the batch's symbol.
    pub fn model(self, inputs: &[(&str, Vec<Dim>)], outputs: &[(&str, Vec<Dim>)]) -> ModelProto {
        let mut g = GraphProto::new();
        g.name = "csplens".into();
        g.node = self.nodes;
        g.initializer = self.inits;
        g.input = inputs.iter().map(|(n, d)| value_info(n, d)).collect();
        g.output = outputs.iter().map(|(n, d)| value_info(n, d)).collect();
        let mut m = ModelProto::new();
        // IR 8 carries opsets up to 21 (onnx's versioning table)
        m.ir_version = 8;
        m.producer_name = "csplens".into();
        m.producer_version = env!("CARGO_PKG_VERSION").into();
        let mut opset = OperatorSetIdProto::new();
        opset.version = self.opset;
        m.opset_import = vec![opset];
        m.graph = Some(g).into();
        m
    }
}

/// `data` as ONNX's `raw_data` holds it: little-endian bytes (a plain copy on little-endian
/// machines, which matters for hundreds of megabytes of weights).
#[cfg(target_endian = "little")]
fn le_bytes<T: bytemuck::Pod>(data: &[T]) -> Vec<u8> {
    bytemuck::cast_slice(data).to_vec()
}

/// `data` as ONNX's `raw_data` holds it: little-endian bytes.
#[cfg(target_endian = "big")]
fn le_bytes<T: bytemuck::Pod>(data: &[T]) -> Vec<u8> {
    let size = std::mem::size_of::<T>();
    bytemuck::cast_slice::<T, u8>(data)
        .chunks(size)
        .flat_map(|c| c.iter().rev().copied())
        .collect()
}

/// One dimension of an input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Dim {
    /// A fixed size.
    Fixed(i64),
    /// A size given at run time (the batch, `N`).
    Symbol(&'static str),
}

fn value_info(name: &str, dims: &[Dim]) -> ValueInfoProto {
    let mut shape = TensorShapeProto::new();
    shape.dim = dims
        .iter()
        .map(|d| {
            let mut dim = Dimension::new();
            dim.value = Some(match d {
                Dim::Fixed(n) => dimension::Value::DimValue(*n),
                Dim::Symbol(s) => dimension::Value::DimParam((*s).into()),
            });
            dim
        })
        .collect();
    let mut tensor = type_proto::Tensor::new();
    tensor.elem_type = DataType::FLOAT as i32;
    tensor.shape = Some(shape).into();
    let mut ty = TypeProto::new();
    ty.value = Some(type_proto::Value::TensorType(tensor));
    let mut v = ValueInfoProto::new();
    v.name = name.into();
    v.type_ = Some(ty).into();
    v
}

/// Why a layer cannot be written: the sentence after "layer N ([kind] at line L): ".
pub(super) type Refusal = String;

/// What a layer's nodes read: its inputs' value names and shapes.
pub(super) struct Inputs<'a> {
    /// The inputs' value names, in the layer's input order.
    pub names: Vec<&'a str>,
    /// The inputs' shapes (channels, height, width).
    pub shapes: Vec<(usize, usize, usize)>,
}
