//! The JSON form of `csplens profile` (keys are additive: later stages add, never rename).

use crate::Analysis;
use crate::network::Layer;
use crate::vocab::cost::LayerCost;
use crate::vocab::shape::{LayerShape, Shape};
use serde_json::{Map, Value, json};

fn shape(s: Shape) -> Value {
    json!([s.w, s.h, s.c])
}

/// One layer's JSON object (shape and cost facts; [`profile_json`] adds memory and gradients).
pub fn layer_json(layer: &Layer, s: &LayerShape, c: &LayerCost) -> Value {
    let mut m = Map::new();
    m.insert("index".into(), json!(layer.index));
    m.insert("type".into(), json!(layer.kind.type_name()));
    m.insert("line".into(), json!(layer.span.line));
    m.insert(
        "inputs".into(),
        json!(layer.inputs.iter().map(|s| s.as_i64()).collect::<Vec<_>>()),
    );
    m.insert("input_shape".into(), shape(s.input));
    m.insert("output_shape".into(), shape(s.output));
    m.insert("outputs".into(), json!(s.outputs));
    m.insert("bflops".into(), json!(c.bflops as f64));
    m.insert("params".into(), json!(c.params));
    m.insert("weight_floats".into(), json!(c.weight_floats));
    if let Value::Object(extra) = layer.kind.json_fields() {
        for (k, v) in extra {
            m.entry(k).or_insert(v);
        }
    }
    Value::Object(m)
}

/// The whole `profile --format json` document.
pub fn profile_json(a: &Analysis) -> Value {
    let layers: Vec<Value> = a
        .network
        .layers
        .iter()
        .zip(&a.shapes.layers)
        .zip(&a.profile.layers)
        .enumerate()
        .map(|(i, ((l, s), c))| {
            let mut v = layer_json(l, s, c);
            if let Value::Object(m) = &mut v {
                let mem = &a.memory.layers[i];
                let g = &a.gradient.layers[i];
                m.insert("activation_bytes".into(), json!(mem.activation_bytes));
                m.insert("live_bytes_during".into(), json!(mem.live_bytes_during));
                m.insert("live_bytes_after".into(), json!(mem.live_bytes_after));
                m.insert("view".into(), json!(mem.view));
                m.insert("csp_stage".into(), json!(a.csp.stage_of(i)));
                let rf = a.profile.receptive_fields.get(i).copied().unwrap_or(0);
                m.insert("receptive_field".into(), json!([rf, rf]));
                m.insert("log2_paths".into(), json!(g.log2_paths));
                if g.log2_paths_plain.is_some() {
                    m.insert("log2_paths_plain".into(), json!(g.log2_paths_plain));
                }
                if !g.log2_paths_per_channel.is_empty() {
                    m.insert(
                        "log2_paths_per_channel".into(),
                        json!(g.log2_paths_per_channel),
                    );
                }
                m.insert("sources_copy".into(), json!(g.sources_copy));
                m.insert("sources_channelwise".into(), json!(g.sources_channelwise));
                m.insert("shared_sources_copy".into(), json!(g.shared_sources_copy));
                m.insert(
                    "shared_sources_channelwise".into(),
                    json!(g.shared_sources_channelwise),
                );
                m.insert("dup_copy".into(), json!(g.dup_copy));
                m.insert("dup_channelwise".into(), json!(g.dup_channelwise));
                m.insert("dup_as_source_copy".into(), json!(g.dup_as_source_copy));
                m.insert(
                    "dup_as_source_channelwise".into(),
                    json!(g.dup_as_source_channelwise),
                );
            }
            v
        })
        .collect();
    let p = &a.profile;
    json!({
        "cfg": a.path,
        "input": {"width": a.shapes.input.w, "height": a.shapes.input.h, "channels": a.shapes.input.c},
        "layers": layers,
        "total_bflops": p.total_bflops as f64,
        "bflops_conv": p.bflops_conv as f64,
        "bflops_2020": p.bflops_2020 as f64,
        "params": p.params,
        "conv_weights": p.conv_weights,
        "weight_floats": p.weight_floats,
        "weights_file_bytes": p.weights_file_bytes,
        "warnings": a.warnings(),
        "memory": memory_json(a),
        "gradient": {
            "copy": a.gradient.copy,
            "channelwise": a.gradient.channelwise,
            "log2_paths_to_input": a.gradient.log2_paths_to_input,
            "log2_max_paths_weighted": a.gradient.log2_max_paths_weighted,
            "stages": a.gradient.stages,
        },
        "traffic": a.traffic,
    })
}

fn memory_json(a: &Analysis) -> Value {
    let m = &a.memory;
    json!({
        "weights_bytes": m.weights_bytes,
        "naive_activation_bytes": m.naive_activation_bytes,
        "peak_activation_bytes": m.peak_activation_bytes,
        "peak_layer": m.peak_layer,
        "max_workspace_bytes": m.max_workspace_bytes,
        "max_workspace_layer": m.max_workspace_layer,
        "inference_bytes": m.inference_bytes,
        "training_bytes_per_image": m.training_bytes_per_image,
        "views": m.layers.iter().enumerate().filter(|(_, l)| l.view).map(|(i, _)| i).collect::<Vec<_>>(),
    })
}
