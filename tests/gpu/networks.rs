//! Whole networks against the CPU backend: real models on bus.jpg, corpus cfgs layer by
//! layer, heads fused into their convolutions.

use super::common::random::{NET, setup, setup_sized, tame};
use super::common::{self, models};
use super::{context, every_kernel, kept_outputs_equal_the_cpu};
use csplens::backend::BackendError;
use csplens::backend::cpu::CpuNet;
use csplens::backend::wgpu::{BuildOptions, ConvKernel, GpuContext, GpuNet};
use csplens::detect::{self, Params, image};

#[test]
fn bus_detections_equal_the_cpu_backend() {
    let Some(ctx) = context() else { return };
    for model in ["yolov4-tiny", "yolov3-tiny"] {
        let models::OnBus {
            a,
            w,
            image: im,
            input,
        } = models::on_bus(model);
        let run = |fwd: csplens::backend::Forward| {
            detect::detect(&a, &fwd, im.w, im.h, &Params::default(), &[])
        };
        let cpu = run(CpuNet::new(&a, &w, 2).unwrap().forward(&input).unwrap());
        let net = GpuNet::build(&ctx, &a, &w, &BuildOptions::default()).unwrap();
        // at 416 every route offset is a multiple of 256 bytes (the largest alignment WebGPU
        // allows): no route copies. yolov4-tiny's parts that cannot be placed in their concat
        // (the inner CSP blocks' first convolution, read by the second; layer 23, feeding two
        // concats) are stored there a second time by their convolutions
        assert_eq!(net.copies(), 0, "{model}");
        let gpu = run(net.forward(&input).unwrap());
        assert_eq!(cpu.len(), gpu.len(), "{model}: {cpu:?} vs {gpu:?}");
        for (c, g) in cpu.iter().zip(&gpu) {
            assert_eq!(c.class_id, g.class_id, "{model}");
            assert!(
                (c.confidence - g.confidence).abs() <= 0.005,
                "{model}: {} vs {}",
                c.confidence,
                g.confidence
            );
            for (x, y) in [
                (c.bbox.left, g.bbox.left),
                (c.bbox.top, g.bbox.top),
                (c.bbox.width, g.bbox.width),
                (c.bbox.height, g.bbox.height),
            ] {
                assert!(
                    (x - y).abs() <= 1.0,
                    "{model}: {:?} vs {:?}",
                    c.bbox,
                    g.bbox
                );
            }
        }
    }
}

/// How far a GPU value may be from the CPU's.
#[derive(Clone, Copy)]
enum Tol {
    /// |gpu − cpu| ≤ t · max(1, |cpu|), value by value.
    PerValue(f32),
    /// |gpu − cpu| ≤ t · max(1, max |cpu| over the layer).
    OfLayerScale(f32),
}

/// Layer-by-layer GPU (the implicit-GEMM kernel, one buffer per region) and the outputs
/// the default build keeps (the adapter's own kernel choice, regions sharing buffers) against the
/// CPU backend's exact path.
fn compare_layers(
    ctx: &GpuContext,
    a: &csplens::Analysis,
    w: &csplens::weights::Weights,
    input: &csplens::tensor::Tensor,
    name: &str,
    tol: Tol,
) {
    let cpu = CpuNet::with_winograd(a, w, 2, false)
        .unwrap()
        .forward_all(input)
        .unwrap();
    let gpu = GpuNet::build(
        ctx,
        a,
        w,
        &BuildOptions::kernel(ConvKernel::Gemm).unshared(),
    )
    .unwrap()
    .forward_all(input)
    .unwrap();
    // the default plan (regions sharing buffers by liveness): the outputs it keeps
    let shared = GpuNet::build(ctx, a, w, &BuildOptions::default())
        .unwrap()
        .forward(input)
        .unwrap();
    assert!(!shared.outputs.is_empty());
    let layers = gpu
        .outputs
        .iter()
        .map(|(i, g)| (*i, g))
        .chain(shared.outputs.iter().map(|(i, g)| (*i, g)));
    for (i, g) in layers {
        let (layer, c) = (&a.network.layers[i], cpu.output(i).unwrap());
        assert_eq!(c.data.len(), g.data.len(), "{name} layer {i}");
        let scale = c.data.iter().fold(1f32, |m, v| m.max(v.abs()));
        for (j, (x, y)) in c.data.iter().zip(&g.data).enumerate() {
            let bound = match tol {
                Tol::PerValue(t) => t * x.abs().max(1.0),
                Tol::OfLayerScale(t) => t * scale,
            };
            assert!(
                (x - y).abs() <= bound,
                "{name} layer {i} ({}) value {j}: cpu {x} gpu {y}",
                layer.kind.type_name()
            );
        }
    }
}

#[test]
fn corpus_csp_networks_layer_by_layer() {
    // real cfgs (CSP detectors and classifiers: grouped, depthwise, SPP, sam, reorg,
    // scale_channels, many-input routes) at a small input with random weights scaled to keep
    // activations from vanishing. This checks the whole network's wiring (views, in-place
    // concatenations, shared regions): a wrong slice is off by the layer's own scale. The
    // tolerance is 1e-3 of each layer's largest value, not 1e-4 per value: rounding differences
    // (measured ≤ 3e-6 of the scale) grow through 200 random layers, and a logistic over
    // pre-activations in the thousands (the sam branches) turns them into 3e-4 of its output.
    // Kernel precision is the 1e-4-per-value tests above.
    let Some(ctx) = context() else { return };
    for (k, (file, size)) in [
        ("darknet/yolov4.cfg", 64),
        ("darknet/yolov4-sam-mish-csp-reorg-bfm.cfg", 64),
        ("cspnet/csresnext50.cfg", 64),
        ("cspnet/csmobilenet-v2.cfg", 64),
        ("darknet/efficientnet_b0.cfg", 64),
        ("cspnet/res2netlite72.cfg", 64),
    ]
    .into_iter()
    .enumerate()
    {
        let text = std::fs::read_to_string(common::corpus_dir().join(file)).unwrap();
        let over = csplens::shape::InputOverride {
            width: Some(size),
            height: Some(size),
        };
        let (a, mut w, input) = setup_sized(&text, 80 + k as u64, over);
        tame(&a, &mut w);
        compare_layers(&ctx, &a, &w, &input, file, Tol::OfLayerScale(1e-3));
    }
}

#[test]
fn yolov4_tiny_real_weights_layer_by_layer() {
    let Some(ctx) = context() else { return };
    let models::OnBus { a, w, input, .. } = models::on_bus("yolov4-tiny");
    compare_layers(&ctx, &a, &w, &input, "yolov4-tiny", Tol::PerValue(1e-4));
}

#[test]
fn yolo_heads_fused_into_their_convolutions() {
    // two heads written by the convolution before them (darknet's yolo with scale_x_y, and
    // new_coords after a logistic convolution) and one not fused (its convolution is read by a
    // route too), with every kernel, split and unsplit, against the CPU backend's heads
    let Some(ctx) = context() else { return };
    let anchors = "anchors=10,14, 23,27, 37,58\nclasses=2\nnum=3";
    let cfg = format!(
        "{NET}[convolutional]\nfilters=7\nsize=3\npad=1\nactivation=leaky\n\n\
         [convolutional]\nfilters=14\nsize=1\nactivation=linear\n\n\
         [yolo]\nmask=0,1\n{anchors}\nscale_x_y=1.05\n\n\
         [route]\nlayers=-3\n\n\
         [convolutional]\nfilters=21\nsize=3\npad=1\nactivation=logistic\n\n\
         [yolo]\nmask=0,1,2\n{anchors}\nnew_coords=1\nscale_x_y=2.0\n\n\
         [route]\nlayers=-6\n\n\
         [convolutional]\nfilters=7\nsize=1\nactivation=leaky\n\n\
         [yolo]\nmask=2\n{anchors}\n\n\
         [route]\nlayers=-2\n"
    );
    let (a, w, input) = setup(&cfg, 37);
    let fused_and_apart = every_kernel(&ctx, &a, &w, true)
        .into_iter()
        .zip(every_kernel(&ctx, &a, &w, false));
    for ((kernel, fused), (_, apart)) in fused_and_apart {
        {
            assert_eq!(
                fused.dispatches() + 2,
                apart.dispatches(),
                "{kernel}: two heads fused"
            );
            let summary = fused.kernel_summary();
            assert!(
                summary.ends_with("2 yolo heads in their convolutions"),
                "{summary}"
            );
            kept_outputs_equal_the_cpu(&a, &w, &input, &fused);
        }
    }
    // a route concatenating the head with the convolution's own input (16 × 16 planes: every
    // offset aligned, so the plan first places both in the route and must then undo one)
    let cfg = "[net]\nwidth=16\nheight=16\nchannels=3\n\n\
         [convolutional]\nfilters=14\nsize=3\npad=1\nactivation=leaky\n\n\
         [convolutional]\nfilters=14\nsize=1\nactivation=linear\n\n\
         [yolo]\nmask=0,1\nanchors=10,14, 23,27, 37,58\nclasses=2\nnum=3\n\n\
         [route]\nlayers=0,2\n";
    let (a, w, input) = setup(cfg, 41);
    let net = GpuNet::build(&ctx, &a, &w, &BuildOptions::default()).unwrap();
    assert!(
        net.kernel_summary()
            .ends_with("the yolo head in its convolution")
    );
    kept_outputs_equal_the_cpu(&a, &w, &input, &net);
}

#[test]
fn small_corpus_networks_keep_the_cpu_outputs() {
    // the corpus cfgs of up to 12 M weights that both backends run (tests/corpus_runs.rs runs
    // the same set on the CPU alone), at 64 × 64 with tamed random weights: the outputs
    // the default build keeps (its own kernel choice, regions sharing buffers) against the CPU's
    // exact path, within 1e-3 of each output's largest value (see the test above)
    let Some(ctx) = context() else { return };
    let (mut ran, mut refused) = (0, 0);
    let runnable = common::runnable_corpus(&[]);
    for (name, text) in &runnable {
        let (a, mut w, input) = setup_sized(text, 90, common::run_size());
        tame(&a, &mut w);
        let cpu = match CpuNet::with_winograd(&a, &w, 2, false) {
            Ok(cpu) => cpu,
            // a kind neither backend runs (recurrent, Gaussian_yolo …): the GPU must refuse it too
            Err(BackendError::Unsupported { .. }) => {
                let gpu = GpuNet::build(&ctx, &a, &w, &BuildOptions::default());
                assert!(
                    matches!(gpu, Err(BackendError::Unsupported { .. })),
                    "{name}: the CPU refuses a kind the GPU builds"
                );
                refused += 1;
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        let cpu = cpu.forward(&input).unwrap();
        let gpu = GpuNet::build(&ctx, &a, &w, &BuildOptions::default())
            .unwrap()
            .forward(&input)
            .unwrap();
        assert_eq!(cpu.outputs.len(), gpu.outputs.len(), "{name}");
        for (i, c) in &cpu.outputs {
            let g = gpu.output(*i).expect("kept");
            let scale = c.data.iter().fold(1f32, |m, v| m.max(v.abs()));
            for (j, (x, y)) in c.data.iter().zip(&g.data).enumerate() {
                assert!(
                    (x - y).abs() <= 1e-3 * scale,
                    "{name} layer {i} value {j}: {x} vs {y}"
                );
            }
        }
        ran += 1;
    }
    // every runnable corpus network ran on both backends or was refused by both for a kind
    assert_eq!(ran + refused, runnable.len(), "networks run");
    assert!(
        ran > runnable.len() / 2,
        "only {ran} of {} ran",
        runnable.len()
    );
}

/// A batch in one command encoder gives what one inference per image gives: bus.jpg and
/// zidane.jpg in batches of 2, 3 and 4 (odd batches and repeats included), every kept output
/// within 1e-4 of the single run's.
#[test]
fn batches_equal_single_inferences() {
    let Some(ctx) = context() else { return };
    let models::OnBus { a, w, .. } = models::on_bus("yolov4-tiny");
    let net = GpuNet::build(&ctx, &a, &w, &BuildOptions::default()).unwrap();
    let inputs: Vec<_> = ["bus.jpg", "zidane.jpg"]
        .iter()
        .map(|f| {
            let im = image::decode(&std::fs::read(models::image(f)).unwrap()).unwrap();
            detect::network_input(&a, &im)
        })
        .collect();
    let single: Vec<_> = inputs.iter().map(|t| net.forward(t).unwrap()).collect();
    for n in [2usize, 3, 4] {
        let batch: Vec<_> = (0..n).map(|k| inputs[k % 2].clone()).collect();
        let got = net.forward_batch(&batch).unwrap();
        assert_eq!(got.len(), n);
        for (k, fwd) in got.iter().enumerate() {
            let want = &single[k % 2];
            assert_eq!(fwd.outputs.len(), want.outputs.len());
            for ((i, t), (j, u)) in fwd.outputs.iter().zip(&want.outputs) {
                assert_eq!(i, j);
                let worst = (t.data.iter().zip(&u.data))
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0f32, f32::max);
                assert!(worst <= 1e-4, "batch {n}, image {k}, layer {i}: {worst}");
            }
        }
    }
}
