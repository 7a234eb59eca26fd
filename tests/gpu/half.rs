//! f16 storage (`--precision f16`): darknet's detections within confidence 0.02 and IoU 0.95
//! of f32 on the real models, half the memory, the copies whose bytes are not whole words,
//! and the backends that refuse it. The per-kernel checks run in every layer test
//! (`compare_f16` in main.rs).

use super::common::models;
use super::common::random::{NET, setup};
use super::context;
use csplens::backend::wgpu::kernels::Accumulate;
use csplens::backend::wgpu::{BuildOptions, GpuNet};
use csplens::backend::{BackendChoice, BackendError, Precision, RunOptions, Runner};
use csplens::detect::{self, Detection, Params};

/// Intersection over union of two pixel boxes.
fn iou(a: &Detection, b: &Detection) -> f32 {
    let (x0, y0) = (a.bbox.left.max(b.bbox.left), a.bbox.top.max(b.bbox.top));
    let x1 = (a.bbox.left + a.bbox.width).min(b.bbox.left + b.bbox.width);
    let y1 = (a.bbox.top + a.bbox.height).min(b.bbox.top + b.bbox.height);
    let inter = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
    let union = a.bbox.width * a.bbox.height + b.bbox.width * b.bbox.height - inter;
    inter / union
}

/// Every detection of `from` clear of the threshold (by more than the 0.02 allowed) has one
/// in `to` of its class within confidence 0.02 and IoU 0.95.
fn each_matched(from: &[Detection], to: &[Detection], thresh: f32, what: &str) {
    for d in from.iter().filter(|d| d.confidence >= thresh + 0.02) {
        let found = to.iter().any(|e| {
            e.class_id == d.class_id
                && (e.confidence - d.confidence).abs() <= 0.02
                && iou(d, e) >= 0.95
        });
        assert!(found, "{what}: no match for {d:?} in {to:?}");
    }
}

#[test]
fn f16_detections_are_f32_s_within_0_02_and_iou_0_95_in_half_the_memory() {
    let Some(ctx) = context() else { return };
    if !ctx.has_f16() {
        eprintln!("SKIPPED: {} has no SHADER_F16", ctx.info.name);
        return;
    }
    for model in ["yolov4-tiny", "yolov3-tiny"] {
        let models::OnBus {
            a,
            w,
            image: im,
            input,
        } = models::on_bus(model);
        let params = Params::default();
        let run = |precision| {
            let options = BuildOptions {
                precision,
                ..BuildOptions::default()
            };
            let net = GpuNet::build(&ctx, &a, &w, &options).unwrap();
            assert_eq!(net.precision(), precision);
            let fwd = net.forward(&input).unwrap();
            let dets = detect::detect(&a, &fwd, im.w, im.h, &params, &[]);
            (dets, net.buffer_bytes(), net.weight_bytes())
        };
        let (full, act32, w32) = run(Precision::F32);
        let (half, act16, w16) = run(Precision::F16);
        assert!(!full.is_empty(), "{model}");
        each_matched(&full, &half, params.thresh, model);
        each_matched(&half, &full, params.thresh, model);
        eprintln!(
            "{model}: activations {act32} → {act16} bytes, weights {w32} → {w16} bytes, {} / {} detections",
            full.len(),
            half.len()
        );
        // every buffer holds half the bytes, up to each one's rounding to whole 4-byte words
        for (f32_bytes, f16_bytes) in [(act32, act16), (w32, w16)] {
            let ratio = f16_bytes as f64 / f32_bytes as f64;
            assert!(
                (ratio - 0.5).abs() < 0.005,
                "{model}: {f16_bytes} of {f32_bytes}"
            );
        }
    }
}

#[test]
fn routes_of_odd_value_counts_copy_through_the_kernel_in_f16() {
    // 13 × 11 planes of 5 and 7 channels: 715 and 1001 values, whose f16 bytes are not whole
    // 4-byte words, so the route's copies cannot be buffer copies
    let Some(ctx) = context() else { return };
    if !ctx.has_f16() {
        eprintln!("SKIPPED: {} has no SHADER_F16", ctx.info.name);
        return;
    }
    let (a, w, input) = setup(
        &format!(
            "{NET}[convolutional]\nfilters=5\nsize=3\npad=1\nactivation=leaky\n\n\
             [convolutional]\nfilters=7\nsize=1\nactivation=leaky\n\n\
             [route]\nlayers=-1,-2\n\n\
             [dropout]\nprobability=0.1\n\n\
             [convolutional]\nfilters=3\nsize=1\nactivation=linear\n"
        ),
        83,
    );
    let build = |precision| {
        let options = BuildOptions {
            precision,
            ..BuildOptions::default()
        };
        GpuNet::build(&ctx, &a, &w, &options).unwrap()
    };
    let (full, half) = (build(Precision::F32), build(Precision::F16));
    assert!(
        half.copies() < full.copies(),
        "f16 copies {} of f32's {}",
        half.copies(),
        full.copies()
    );
    assert!(half.dispatches() > full.dispatches());
    let (x, y) = (full.forward(&input).unwrap(), half.forward(&input).unwrap());
    let (x, y) = (x.output(4).unwrap(), y.output(4).unwrap());
    let scale = x.data.iter().fold(1f32, |m, v| m.max(v.abs()));
    for (p, q) in x.data.iter().zip(&y.data) {
        assert!((p - q).abs() <= 2e-2 * scale, "{p} vs {q}");
    }
}

#[test]
fn f16_is_refused_by_the_cpu_and_auto_says_it_fell_back() {
    let (a, w, _) = setup(
        &format!("{NET}[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"),
        89,
    );
    let refused = Runner::new(
        &RunOptions::new(BackendChoice::Cpu, Precision::F16, 1),
        &a,
        &w,
    )
    .unwrap_err();
    assert!(matches!(refused, BackendError::NoF16 { .. }), "{refused}");
    assert!(refused.to_string().contains("use f32"), "{refused}");
    // auto never fails for the precision: on a software adapter it takes the CPU, in f32
    let Some(ctx) = context() else { return };
    if ctx.is_software() {
        let (runner, said) = Runner::new(
            &RunOptions::new(BackendChoice::Auto, Precision::F16, 1),
            &a,
            &w,
        )
        .unwrap();
        assert_eq!(runner.precision(), Precision::F32);
        assert!(said.contains("f32 (the CPU backend has no f16)"), "{said}");
    }
}

#[test]
fn f16_accumulation_is_a_measured_option_that_keeps_the_boxes() {
    // the GEMM kernels accumulating in f16 (gpu-bench measures it; nothing picks it): on
    // yolov4-tiny the same objects of bus.jpg, confidences within 0.05, boxes IoU ≥ 0.9
    let Some(ctx) = context() else { return };
    if !ctx.has_f16() {
        eprintln!("SKIPPED: {} has no SHADER_F16", ctx.info.name);
        return;
    }
    let model = "yolov4-tiny";
    let models::OnBus {
        a,
        w,
        image: im,
        input,
    } = models::on_bus(model);
    let params = Params::default();
    let run = |precision, accumulate| {
        let options = BuildOptions {
            precision,
            accumulate,
            ..BuildOptions::default()
        };
        let net = GpuNet::build(&ctx, &a, &w, &options).unwrap();
        detect::detect(&a, &net.forward(&input).unwrap(), im.w, im.h, &params, &[])
    };
    let full = run(Precision::F32, Accumulate::F32);
    let half = run(Precision::F16, Accumulate::F16);
    eprintln!("f32: {full:?}\nf16 accumulation: {half:?}");
    for d in full.iter().filter(|d| d.confidence >= params.thresh + 0.05) {
        let found = half.iter().any(|e| {
            e.class_id == d.class_id
                && (e.confidence - d.confidence).abs() <= 0.05
                && iou(d, e) >= 0.9
        });
        assert!(found, "no match for {d:?} in {half:?}");
    }
    // f32 storage cannot accumulate in f16
    let options = BuildOptions {
        accumulate: Accumulate::F16,
        ..BuildOptions::default()
    };
    assert!(GpuNet::build(&ctx, &a, &w, &options).is_err());
}
