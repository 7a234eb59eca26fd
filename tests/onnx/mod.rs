//! Running an exported ONNX file in tract and comparing it with the CPU backend (for
//! tests/export.rs and tests/corpus_runs.rs).

#![allow(dead_code)]

use csplens::backend::Forward;
use csplens::export::{Decode, ExportOptions, export};
use csplens::tensor::Tensor as CTensor;
use tract_onnx::prelude::*;

/// Runs `bytes` in tract on `inputs` (one image each, stacked as the batch).
pub fn run_tract(bytes: &[u8], inputs: &[&CTensor]) -> Vec<(Vec<usize>, Vec<f32>)> {
    let first = inputs[0];
    let shape = [inputs.len(), first.c, first.h, first.w];
    let data: Vec<f32> = inputs.iter().flat_map(|t| t.data.iter().copied()).collect();
    let model = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .unwrap()
        .with_input_fact(0, f32::fact(shape).into())
        .unwrap()
        // tract's plain kernels, without its graph optimisations: half the time on these
        // small inputs, and each ONNX node run as the standard defines it
        .into_typed()
        .unwrap()
        .into_runnable()
        .unwrap();
    let input = Tensor::from_shape(&shape, &data).unwrap();
    let out = model.run(tvec!(input.into())).unwrap();
    out.iter()
        .map(|t| {
            let view = t.to_plain_array_view::<f32>().unwrap();
            (t.shape().to_vec(), view.iter().copied().collect())
        })
        .collect()
}

/// The largest difference between `got` and `want`, over `want`'s largest magnitude.
pub fn relative_error(got: &[f32], want: &[f32]) -> f32 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    let diff = (got.iter().zip(want)).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    diff / scale
}

/// The heads ([yolo], [region]): (layer, the layer it reads).
pub fn heads(a: &csplens::Analysis) -> Vec<(usize, usize)> {
    a.network
        .layers
        .iter()
        .filter(|l| l.kind.is_head())
        .map(|l| match l.inputs[0] {
            csplens::kinds::Src::Layer(j) => (l.index, j),
            csplens::kinds::Src::Image => panic!("a head on the image"),
        })
        .collect()
}

/// `a` (with `w`) exported with its heads' tensors as outputs and run in tract on `input`:
/// every head within 1e-4 of the CPU backend's `all` (a network without heads: its last
/// layer's output); `Err` with the refusal's sentence.
pub fn export_matches(
    a: &csplens::Analysis,
    w: &csplens::weights::Weights,
    input: &CTensor,
    all: &Forward,
) -> Result<(), String> {
    let raw = ExportOptions {
        decode: Decode::Raw,
        ..ExportOptions::default()
    };
    let bytes = export(a, w, &raw).map_err(|e| e.to_string())?;
    let got = run_tract(&bytes, &[input]);
    let hs = heads(a);
    if hs.is_empty() {
        let last = a.network.layers.len() - 1;
        let e = relative_error(&got[0].1, &all.output(last).expect("kept").data);
        assert!(e <= 1e-4, "the last layer: {e:e}");
        return Ok(());
    }
    assert_eq!(got.len(), hs.len());
    for ((_, values), (head, reads)) in got.iter().zip(hs) {
        let e = relative_error(values, &all.output(reads).expect("kept").data);
        assert!(e <= 1e-4, "head {head}: {e:e}");
    }
    Ok(())
}
