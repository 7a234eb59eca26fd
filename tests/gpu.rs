//! The wgpu backend against the CPU backend: every kernel on random inputs of odd sizes, then
//! yolov4-tiny and yolov3-tiny on bus.jpg. Runs on whatever adapter exists (lavapipe in CI);
//! set CSPLENS_SKIP_GPU=1 only on machines without any Vulkan/GL driver.
//! Tolerance: |gpu − cpu| ≤ 1e-4·max(1, |cpu|) per value.

#![cfg(feature = "gpu")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::models;
use common::random::{NET, POOLS_ROUTES_SHORTCUTS, setup, setup_sized, tame};
use csplens::backend::cpu::CpuNet;
use csplens::backend::wgpu::{ConvChoice, ConvKernel, GpuContext, GpuNet};
use csplens::detect::{self, Params, image};

/// One device for the whole test process: on an NVIDIA H200 (Vulkan) a process that created a
/// device per test and destroyed one saw later device requests fail ("Parent device is lost")
/// while each test passed in a process of its own. The lost-device test makes its own.
fn context() -> Option<GpuContext> {
    static SHARED: std::sync::OnceLock<Option<GpuContext>> = std::sync::OnceLock::new();
    SHARED.get_or_init(fresh_context).clone()
}

fn fresh_context() -> Option<GpuContext> {
    if std::env::var_os("CSPLENS_SKIP_GPU").is_some() {
        eprintln!("CSPLENS_SKIP_GPU set: GPU tests skipped");
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
    for kernel in [
        ConvKernel::Blocked,
        ConvKernel::Blocked4,
        ConvKernel::Gemm,
        ConvKernel::GemmSplit,
        ConvKernel::Gemm32,
        ConvKernel::Gemm32Split,
        ConvKernel::Blocked4Split,
        ConvKernel::Naive,
    ] {
        let gpu = GpuNet::with_conv_kernel(&ctx, &a, &w, kernel)
            .expect("gpu net")
            .forward_all(&input)
            .expect("gpu forward");
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
                    "{kernel:?} layer {i} ({kind}) value {j}: cpu {x} gpu {y}"
                );
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

#[test]
fn convolutions_of_odd_sizes() {
    compare(
        &format!(
            "{NET}[convolutional]\nfilters=6\nsize=3\npad=1\nbatch_normalize=1\nactivation=leaky\n\n\
             [convolutional]\nfilters=9\nsize=3\npad=1\ngroups=3\ndilation=2\nactivation=mish\n\n\
             [convolutional]\nfilters=7\nsize=3\nstride_x=2\nstride_y=1\npad=1\nactivation=swish\n\n\
             [convolutional]\nfilters=5\nsize=1\nactivation=linear\n\n\
             [convolutional]\nfilters=7\nsize=5\nstride=2\npadding=1\nactivation=logistic\n\n\
             [convolutional]\nfilters=7\nsize=3\npad=1\ngroups=7\nactivation=relu\n"
        ),
        11,
    );
}

#[test]
fn wide_convolutions_cross_every_tile_boundary() {
    // 70 channels (two 64-wide tiles), K = 37·9 (not a multiple of 16), 67 × 9 pixels
    compare(
        "[net]\nwidth=67\nheight=9\nchannels=37\n\n[convolutional]\nfilters=70\nsize=3\npad=1\nactivation=leaky\n\n\
         [convolutional]\nfilters=65\nsize=1\nactivation=linear\n",
        31,
    );
}

/// Every activation darknet names (and hardswish).
const ACTIVATIONS: [&str; 24] = [
    "linear",
    "leaky",
    "revleaky",
    "relu",
    "logistic",
    "mish",
    "swish",
    "relu6",
    "tanh",
    "hard_mish",
    "elu",
    "selu",
    "gelu",
    "hardswish",
    "loggy",
    "relie",
    "ramp",
    "plse",
    "stair",
    "hardtan",
    "lhtan",
    "normalize_channels",
    "normalize_channels_softmax",
    "normalize_channels_softmax_maxval",
];

#[test]
fn activations_in_the_conv_epilogue() {
    // one network per activation, so each is compared on identical inputs
    for (k, a) in ACTIVATIONS.iter().enumerate() {
        compare(
            &format!("{NET}[convolutional]\nfilters=5\nsize=3\npad=1\nactivation={a}\n"),
            20 + k as u64,
        );
    }
}

#[test]
fn activations_after_shortcut_scale_channels_sam_and_activation_layers() {
    for (k, a) in ACTIVATIONS.iter().enumerate() {
        compare(
            &format!(
                "{NET}[convolutional]\nfilters=6\nsize=3\npad=1\nactivation=linear\n\n\
                 [convolutional]\nfilters=6\nsize=1\nactivation=linear\n\n\
                 [shortcut]\nfrom=-2\nactivation={a}\n\n\
                 [shortcut]\nfrom=-2,-3\nactivation={a}\n\n\
                 [activation]\nactivation={a}\n\n\
                 [sam]\nfrom=-4\nactivation={a}\n\n\
                 [avgpool]\n\n\
                 [scale_channels]\nfrom=-2\nactivation={a}\n"
            ),
            60 + k as u64,
        );
    }
}

#[test]
fn maxpool_depth_crop_and_shortcuts_of_another_size() {
    compare(
        &format!(
            "{NET}[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n\
             [maxpool]\nmaxpool_depth=1\nout_channels=3\n\n\
             [crop]\ncrop_width=9\ncrop_height=7\n\n\
             [convolutional]\nfilters=6\nsize=1\nactivation=leaky\n\n\
             [convolutional]\nfilters=6\nsize=3\nstride=2\npad=1\nactivation=linear\n\n\
             [shortcut]\nfrom=-2\nactivation=ramp\n\n\
             [upsample]\nstride=2\n\n\
             [shortcut]\nfrom=-4\nactivation=linear\n"
        ),
        91,
    );
}

#[test]
fn antialiasing_after_convolutions_and_max_pools() {
    // each at stride 1 into its own buffer, then darknet's fixed blur at the layer's stride
    compare(
        &format!(
            "{NET}[convolutional]\nfilters=6\nsize=3\nstride=2\npad=1\nantialiasing=1\nactivation=leaky\n\n\
             [maxpool]\nsize=2\nstride=2\nantialiasing=1\n\n\
             [convolutional]\nfilters=5\nsize=1\nstride=1\nantialiasing=2\nactivation=mish\n\n\
             [convolutional]\nfilters=7\nsize=3\nstride=2\npad=1\nantialiasing=2\nactivation=normalize_channels\n"
        ),
        93,
    );
}

#[test]
fn a_narrower_shortcut_input_and_implicit_values() {
    // layer 3 adds a 4 × 4 input into 8 × 8 (darknet samples every second output)
    compare(
        "[net]\nwidth=8\nheight=8\nchannels=3\n\n\
         [convolutional]\nfilters=4\nsize=1\nactivation=linear\n\n\
         [maxpool]\nsize=2\nstride=2\n\n\
         [route]\nlayers=-2\n\n\
         [shortcut]\nfrom=-2\nactivation=leaky\n\n\
         [implicit]\nfilters=4\n\n\
         [scale_channels]\nfrom=-2\n",
        92,
    );
}

#[test]
fn pools_routes_shortcuts_upsample_yolo() {
    compare(
        &format!(
            "{NET}{POOLS_ROUTES_SHORTCUTS}\n\
             [convolutional]\nfilters=14\nsize=1\nactivation=linear\n\n\
             [yolo]\nmask=0,1\nanchors=10,14, 23,27, 37,58\nclasses=2\nnum=3\nscale_x_y=1.05\n\n\
             [route]\nlayers=-4\n\n\
             [avgpool]\n"
        ),
        13,
    );
}

#[test]
fn bus_detections_equal_the_cpu_backend() {
    let Some(ctx) = context() else { return };
    for model in ["yolov4-tiny", "yolov3-tiny"] {
        let a = models::analysis(model);
        let w =
            csplens::weights::read(&models::file(model, "weights"), &a.network, &a.shapes).unwrap();
        let im = image::decode(&std::fs::read(models::image("bus.jpg")).unwrap()).unwrap();
        let input = detect::network_input(&a, &im);
        let run = |fwd: csplens::backend::Forward| {
            detect::detect(&a, &fwd, im.w, im.h, &Params::default(), &[])
        };
        let cpu = run(CpuNet::new(&a, &w, 2).unwrap().forward(&input).unwrap());
        let net = GpuNet::new(&ctx, &a, &w).unwrap();
        // at 416 every route offset is a multiple of 256 bytes (the largest alignment WebGPU
        // allows): yolov3-tiny's routes copy nothing; yolov4-tiny copies where a concat's
        // input reads the other (three inner CSP concats) and layer 23 feeding two concats
        let copies = if model == "yolov4-tiny" { 4 } else { 0 };
        assert_eq!(net.copies(), copies, "{model}");
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

#[test]
fn attention_softmax_connected_batchnorm() {
    compare(
        &format!(
            "{NET}[convolutional]\nfilters=6\nsize=3\npad=1\nactivation=leaky\n\n\
             [avgpool]\n\n\
             [convolutional]\nfilters=6\nsize=1\nactivation=logistic\n\n\
             [scale_channels]\nfrom=-3\n\n\
             [convolutional]\nfilters=6\nsize=1\nactivation=logistic\n\n\
             [sam]\nfrom=-2\n\n\
             [batchnorm]\n\n\
             [activation]\nactivation=leaky\n\n\
             [route]\nlayers=-2\n\n\
             [connected]\noutput=9\nbatch_normalize=1\nactivation=leaky\n\n\
             [softmax]\ngroups=3\n"
        ),
        41,
    );
}

#[test]
fn reorg_region_weighted_shortcuts_reverse_upsample() {
    compare(
        "[net]\nwidth=12\nheight=10\nchannels=5\n\n[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n\
         [convolutional]\nfilters=8\nsize=1\nactivation=linear\n\n\
         [shortcut]\nfrom=-2\nweights_type=per_channel\nactivation=linear\n\n\
         [shortcut]\nfrom=-3\nweights_type=per_feature\nweights_normalization=softmax\nactivation=leaky\n\n\
         [upsample]\nstride=-1\nscale=0.5\n\n\
         [convolutional]\nfilters=16\nsize=1\nactivation=linear\n\n\
         [reorg3d]\nstride=2\n\n\
         [convolutional]\nfilters=16\nsize=1\nactivation=linear\n\n\
         [reorg]\nstride=2\nreverse=1\n\n\
         [convolutional]\nfilters=14\nsize=1\nactivation=linear\n\n\
         [region]\nanchors=1,1, 2,2\nclasses=2\ncoords=4\nnum=2\nsoftmax=1\n",
        42,
    );
}

#[test]
fn csp_routes_written_in_place_and_viewed() {
    // 16 × 16 planes (1 KiB a channel): every channel offset is aligned, so group slices are
    // views, concatenations are written in place (nested: route 8 holds route 6), one-layer
    // routes alias, and the inputs that read their own concat fall back to copies
    let cfg = "[net]\nwidth=16\nheight=16\nchannels=3\n\n\
         [convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n\
         [route]\nlayers=-1\ngroups=2\ngroup_id=1\n\n\
         [convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\n\n\
         [convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\n\n\
         [route]\nlayers=-1,-2\n\n\
         [convolutional]\nfilters=8\nsize=1\nactivation=leaky\n\n\
         [route]\nlayers=-6,-1\n\n\
         [convolutional]\nfilters=4\nsize=1\nactivation=mish\n\n\
         [route]\nlayers=-2,-1,-4\n\n\
         [route]\nlayers=-3\n\n\
         [shortcut]\nfrom=-5\nactivation=linear\n\n\
         [maxpool]\nsize=2\nstride=2\n\n\
         [route]\nlayers=-3\ngroups=4\ngroup_id=3\n\n\
         [convolutional]\nfilters=4\nsize=1\nactivation=linear\n\n\
         [route]\nlayers=-1,-1,-2\n";
    compare(cfg, 71);
    let Some(ctx) = context() else { return };
    let (a, w, input) = setup(cfg, 71);
    let align = ctx.device.limits().min_storage_buffer_offset_alignment;
    let net = GpuNet::new(&ctx, &a, &w).unwrap();
    let route_inputs = 1 + 2 + 2 + 3 + 1 + 1 + 3;
    eprintln!("alignment {align}: {} copies", net.copies());
    assert!(align <= 256);
    // copies: route 4 copies layer 3 (which reads layer 2 inside route 4), route 8 copies
    // layer 7 (which reads route 6 inside route 8) and route 6 (layer 5 inside it reads
    // route 4, which route 8 holds); the last route copies layer 13, listed twice, and
    // route 12, a view into route 6's region
    assert_eq!(net.copies(), 6, "of {route_inputs} route inputs");
    kept_outputs_equal_the_cpu(&a, &w, &input, &net);
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
/// `GpuNet::new` keeps (the adapter's own kernel choice, regions sharing buffers) against the
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
    let gpu = GpuNet::with_conv_kernel(ctx, a, w, ConvKernel::Gemm)
        .unwrap()
        .forward_all(input)
        .unwrap();
    // the default plan (regions sharing buffers by liveness): the outputs it keeps
    let shared = GpuNet::new(ctx, a, w).unwrap().forward(input).unwrap();
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
    let a = models::analysis("yolov4-tiny");
    let w = csplens::weights::read(
        &models::file("yolov4-tiny", "weights"),
        &a.network,
        &a.shapes,
    )
    .unwrap();
    let im = image::decode(&std::fs::read(models::image("bus.jpg")).unwrap()).unwrap();
    let input = detect::network_input(&a, &im);
    compare_layers(&ctx, &a, &w, &input, "yolov4-tiny", Tol::PerValue(1e-4));
}

#[test]
fn networks_on_one_device_share_compiled_pipelines() {
    let Some(ctx) = fresh_context() else { return };
    let (a, w, input) = setup(&format!("{NET}{POOLS_ROUTES_SHORTCUTS}"), 23);
    assert_eq!(ctx.compiled_pipelines(), 0);
    let first = GpuNet::with_options(&ctx, &a, &w, ConvKernel::Gemm, true).unwrap();
    let compiled = ctx.compiled_pipelines();
    assert!(compiled >= 3, "{compiled}");
    let second = GpuNet::with_options(&ctx, &a, &w, ConvKernel::Gemm, true).unwrap();
    assert_eq!(
        ctx.compiled_pipelines(),
        compiled,
        "the second build compiled again"
    );
    drop(first);
    kept_outputs_equal_the_cpu(&a, &w, &input, &second);
    // another kernel adds its own pipelines and keeps the others
    GpuNet::with_options(&ctx, &a, &w, ConvKernel::Gemm32, true).unwrap();
    assert!(ctx.compiled_pipelines() > compiled);
}

#[test]
fn a_measured_choice_is_remembered_per_device_and_network() {
    let Some(ctx) = context() else { return };
    let dir = std::env::temp_dir().join(format!("csplens-tuning-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (a, w, input) = setup(&format!("{NET}{POOLS_ROUTES_SHORTCUTS}"), 31);
    let candidates = [ConvKernel::Gemm, ConvKernel::Blocked4];
    let measured = GpuNet::tuned(&ctx, &a, &w, &candidates, Some(&dir)).unwrap();
    assert!(!measured.remembered());
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "one entry, no partial file left");
    let entry = files[0].path();
    // built again from the entry: the same kernels and split counts, the same outputs
    let again = GpuNet::tuned(&ctx, &a, &w, &candidates, Some(&dir)).unwrap();
    assert!(again.remembered());
    assert_eq!(again.conv_kernels(), measured.conv_kernels());
    assert_eq!(again.conv_splits(), measured.conv_splits());
    kept_outputs_equal_the_cpu(&a, &w, &input, &again);
    // an entry that does not read is measured again and replaced
    std::fs::write(&entry, "Gemm 0\nnot a kernel\n").unwrap();
    let remeasured = GpuNet::tuned(&ctx, &a, &w, &candidates, Some(&dir)).unwrap();
    assert!(!remeasured.remembered());
    assert!(
        GpuNet::tuned(&ctx, &a, &w, &candidates, Some(&dir))
            .unwrap()
            .remembered()
    );
    // another network (or candidate list) is another entry
    let (b, wb, _) = setup(
        &format!("{NET}[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n"),
        37,
    );
    GpuNet::tuned(&ctx, &b, &wb, &candidates, Some(&dir)).unwrap();
    GpuNet::tuned(&ctx, &a, &w, &[ConvKernel::Gemm], Some(&dir)).unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_fastest_kernel_is_picked_by_timing_and_runs_the_network() {
    // what GpuNet::new does on a real GPU, here on whatever adapter exists
    let Some(ctx) = context() else { return };
    let (a, w, input) = setup(&format!("{NET}{POOLS_ROUTES_SHORTCUTS}"), 17);
    let candidates = [ConvKernel::Gemm, ConvKernel::Blocked];
    let net = GpuNet::fastest(&ctx, &a, &w, &candidates).unwrap();
    assert!(!net.conv_kernels().is_empty());
    assert!(
        net.conv_kernels()
            .iter()
            .all(|(_, k)| candidates.contains(k))
    );
    kept_outputs_equal_the_cpu(&a, &w, &input, &net);
}

#[test]
fn a_kernel_per_layer_layer_by_layer() {
    // what GpuNet::fastest builds when layers prefer different kernels: every kernel (split
    // and unsplit) next to the others in one network, regions shared between them
    let Some(ctx) = context() else { return };
    let (a, w, input) = setup(&format!("{NET}{POOLS_ROUTES_SHORTCUTS}"), 19);
    let cycle = [
        ConvKernel::Gemm,
        ConvKernel::Blocked4Split,
        ConvKernel::GemmSplit,
        ConvKernel::Blocked,
        ConvKernel::Naive,
        ConvKernel::Gemm32Split,
        ConvKernel::Blocked4,
        ConvKernel::Gemm32,
    ];
    let kernels = cycled(&a, &cycle);
    let net = GpuNet::with_layer_kernels(&ctx, &a, &w, &kernels, true).unwrap();
    assert!(net.conv_kernels().len() >= 3, "{:?}", net.conv_kernels());
    assert!(
        net.kernel_summary().contains('×'),
        "{}",
        net.kernel_summary()
    );
    kept_outputs_equal_the_cpu(&a, &w, &input, &net);
}

/// One entry per layer of `a`, going round `cycle`.
fn cycled<T: Copy>(a: &csplens::Analysis, cycle: &[T]) -> Vec<T> {
    (0..a.network.layers.len())
        .map(|i| cycle[i % cycle.len()])
        .collect()
}

#[test]
fn split_k_counts_per_layer() {
    // what GpuNet::fastest builds when layers prefer different split-K counts: forced counts
    // (more than some layers' K can take, which is clamped), the size rule and unsplit layers
    // next to each other, on every kernel that splits
    let Some(ctx) = context() else { return };
    let (a, w, input) = setup(&format!("{NET}{POOLS_ROUTES_SHORTCUTS}"), 29);
    let cycle: [ConvChoice; 7] = [
        (ConvKernel::Gemm, Some(2)),
        (ConvKernel::Gemm32, Some(5)),
        (ConvKernel::Blocked4, Some(3)),
        (ConvKernel::Gemm, Some(64)),
        (ConvKernel::Gemm32, Some(1)),
        (ConvKernel::Blocked4, Some(64)),
        (ConvKernel::Gemm, None),
    ];
    let choices = cycled(&a, &cycle);
    let net = GpuNet::with_layer_choices(&ctx, &a, &w, &choices, true).unwrap();
    let splits = net.conv_splits();
    assert!(splits.iter().any(|&(_, s)| s > 1), "{splits:?}");
    for &(i, s) in &splits {
        let asked = choices[i].1.unwrap_or(1);
        assert!(
            s >= 1 && s <= asked.max(1),
            "layer {i}: {s} splits for {asked}"
        );
    }
    assert!(
        net.kernel_summary().contains("split-K"),
        "{}",
        net.kernel_summary()
    );
    kept_outputs_equal_the_cpu(&a, &w, &input, &net);
}

#[test]
fn per_layer_times_cover_every_layer() {
    let Some(ctx) = context() else { return };
    let (a, w, input) = setup(
        &format!(
            "{NET}[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n[maxpool]\nsize=2\nstride=2\n\n[route]\nlayers=-1\n"
        ),
        51,
    );
    let net = GpuNet::new(&ctx, &a, &w).unwrap();
    let timed = net.forward_timed(&input).unwrap();
    assert_eq!(timed.layer_ms.len(), 3);
    assert!(
        timed.layer_ms.iter().all(|t| t.is_finite() && *t >= 0.0),
        "{:?}",
        timed.layer_ms
    );
    assert!(
        timed.layer_ms[0] > 0.0,
        "the convolution takes time: {:?}",
        timed.layer_ms
    );
    let plain = net.forward(&input).unwrap();
    assert_eq!(plain.output(2).unwrap().data, timed.output(2).unwrap().data);
    assert!(net.buffer_bytes() > 0);
    // the transfers alone take time and leave the network as it was
    let transfers = net.transfer_ms(&input, 3).unwrap();
    assert!(transfers.is_finite() && transfers > 0.0, "{transfers}");
    let encode = net.encode_ms(3).unwrap();
    assert!(encode.is_finite() && encode > 0.0, "{encode}");
    let again = net.forward(&input).unwrap();
    assert_eq!(again.output(2).unwrap().data, plain.output(2).unwrap().data);
}

#[test]
fn a_lost_device_is_an_error_not_a_hang() {
    let Some(ctx) = fresh_context() else { return };
    let (a, w, input) = setup(
        &format!("{NET}[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"),
        61,
    );
    let net = GpuNet::new(&ctx, &a, &w).unwrap();
    assert!(net.forward(&input).is_ok());
    ctx.device.destroy();
    let t = std::time::Instant::now();
    let r = net.forward(&input);
    assert!(r.is_err(), "{r:?}");
    assert!(t.elapsed().as_secs() < 30);
}
