//! The wgpu backend against the CPU backend: every kernel on random inputs of odd sizes
//! (`layers`), whole networks (`networks`: yolov4-tiny and yolov3-tiny on bus.jpg, corpus
//! cfgs), the kernel choice (`choice`). Runs on whatever adapter exists (lavapipe in CI); set
//! CSPLENS_SKIP_GPU=1 only on machines without any Vulkan/GL driver.
//! Tolerance: |gpu − cpu| ≤ 1e-4·max(1, |cpu|) per value.

#![cfg(feature = "gpu")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod choice;
#[path = "../common/mod.rs"]
mod common;
mod half;
mod layers;
mod networks;

use common::random::setup;
use csplens::backend::Precision;
use csplens::backend::cpu::CpuNet;
use csplens::backend::wgpu::bench::{self, Baseline};
use csplens::backend::wgpu::{BuildOptions, ConvChoice, ConvKernel, GpuContext, GpuNet, Kernels};

/// One device for the whole test process: on an NVIDIA H200 (Vulkan) a process that created a
/// device per test and destroyed one saw later device requests fail ("Parent device is lost")
/// while each test passed in a process of its own. The lost-device test makes its own.
fn context() -> Option<GpuContext> {
    static SHARED: std::sync::OnceLock<Option<GpuContext>> = std::sync::OnceLock::new();
    let ctx = SHARED.get_or_init(fresh_context).clone();
    if ctx.is_none() {
        skipped();
    }
    ctx
}

/// Says which test did not run, and why (each skipped test, not once per run).
fn skipped() {
    let test = std::thread::current().name().unwrap_or("?").to_string();
    eprintln!("SKIPPED {test}: CSPLENS_SKIP_GPU is set, no GPU adapter was asked for");
}

fn fresh_context() -> Option<GpuContext> {
    if std::env::var_os("CSPLENS_SKIP_GPU").is_some() {
        skipped();
        return None;
    }
    Some(GpuContext::new().expect("a wgpu adapter (install mesa-vulkan-drivers for lavapipe)"))
}

fn compare(cfg: &str, seed: u64) {
    let Some(ctx) = context() else { return };
    let (a, w, input) = setup(cfg, seed);
    // the CPU backend's exact path (no Winograd) is the reference
    let cpu = CpuNet::with_winograd(&a, &w, 2, false)
        .expect("cpu")
        .forward_all(&input)
        .expect("cpu forward");
    // every convolution kernel, whichever the adapter would pick
    for (kernel, net) in every_kernel(&ctx, &a, &w, false) {
        let gpu = net.forward_all(&input).expect("gpu forward");
        for (i, layer) in a.network.layers.iter().enumerate() {
            let (c, g) = (
                cpu.output(i).expect("cpu kept"),
                gpu.output(i).expect("gpu kept"),
            );
            assert_eq!(c.data.len(), g.data.len(), "layer {i}");
            for (j, (x, y)) in c.data.iter().zip(&g.data).enumerate() {
                let kind = layer.kind.type_name();
                assert!(
                    (x - y).abs() <= 1e-4 * x.abs().max(1.0),
                    "{kernel} layer {i} ({kind}) value {j}: cpu {x} gpu {y}"
                );
            }
        }
    }
    compare_f16(&ctx, &a, &w, &input, &cpu);
}

/// Every production kernel (split and unsplit) storing f16, layer by layer against the CPU's
/// f32: |gpu − cpu| ≤ 2e-2 · max(1, the largest |cpu| of this layer and every layer before
/// it). f16 keeps 11 significant bits (a relative step of 2⁻¹¹ ≈ 4.9e-4 per rounding) of
/// every input, weight and output; a layer's error is relative to the magnitudes it reads
/// (a logistic's output is small where its input was large) and arrives with the errors of
/// the layers before it.
fn compare_f16(
    ctx: &GpuContext,
    a: &csplens::Analysis,
    w: &csplens::weights::Weights,
    input: &csplens::tensor::Tensor,
    cpu: &csplens::backend::Forward,
) {
    if !ctx.has_f16() {
        eprintln!(
            "SKIPPED the f16 half of this test: {} has no SHADER_F16",
            ctx.info.name
        );
        return;
    }
    for kernel in ConvKernel::ALL {
        for choice in [ConvChoice::rule(kernel), ConvChoice::split(kernel, 3)] {
            let options = BuildOptions {
                kernels: Kernels::Each(choice),
                shared: false,
                precision: Precision::F16,
                ..BuildOptions::default()
            };
            let net = GpuNet::build(ctx, a, w, &options).expect("gpu net");
            let gpu = net.forward_all(input).expect("gpu forward");
            let mut scale = input.data.iter().fold(1f32, |m, v| m.max(v.abs()));
            for (i, layer) in a.network.layers.iter().enumerate() {
                let (c, g) = (cpu.output(i).expect("cpu"), gpu.output(i).expect("gpu"));
                assert_eq!(c.data.len(), g.data.len(), "layer {i}");
                scale = c.data.iter().fold(scale, |m, v| m.max(v.abs()));
                for (j, (x, y)) in c.data.iter().zip(&g.data).enumerate() {
                    let kind = layer.kind.type_name();
                    assert!(
                        (x - y).abs() <= 2e-2 * scale,
                        "f16 {choice:?} layer {i} ({kind}) value {j}: cpu {x} gpu {y} (scale {scale})"
                    );
                }
            }
        }
    }
}

/// The outputs `net` keeps (heads, layers nothing reads) against the CPU backend's exact path,
/// within 1e-4 per value.
fn kept_outputs_equal_the_cpu(
    a: &csplens::Analysis,
    w: &csplens::weights::Weights,
    input: &csplens::tensor::Tensor,
    net: &GpuNet,
) {
    let cpu = CpuNet::with_winograd(a, w, 2, false)
        .unwrap()
        .forward(input)
        .unwrap();
    let gpu = net.forward(input).unwrap();
    for (i, c) in &cpu.outputs {
        let g = gpu.output(*i).expect("kept");
        for (x, y) in c.data.iter().zip(&g.data) {
            assert!(
                (x - y).abs() <= 1e-4 * x.abs().max(1.0),
                "layer {i}: {x} vs {y}"
            );
        }
    }
}

/// The network built with every production kernel, unsplit and split over K on every layer
/// that can take it (3 ranges), and with each benchmark baseline; each named.
fn every_kernel(
    ctx: &GpuContext,
    a: &csplens::Analysis,
    w: &csplens::weights::Weights,
    shared: bool,
) -> Vec<(String, GpuNet)> {
    let mut nets = Vec::new();
    for kernel in ConvKernel::ALL {
        for choice in [ConvChoice::rule(kernel), ConvChoice::split(kernel, 3)] {
            let options = BuildOptions {
                kernels: Kernels::Each(choice),
                shared,
                ..BuildOptions::default()
            };
            let net = GpuNet::build(ctx, a, w, &options).expect("gpu net");
            nets.push((format!("{choice:?}"), net));
        }
    }
    for b in Baseline::ALL {
        let net = bench::baseline(ctx, a, w, b, shared).expect("gpu net");
        nets.push((format!("{b:?}"), net));
    }
    nets
}

/// One entry per layer of `a`, going round `cycle`.
fn cycled<T: Copy>(a: &csplens::Analysis, cycle: &[T]) -> Vec<T> {
    (0..a.network.layers.len())
        .map(|i| cycle[i % cycle.len()])
        .collect()
}
