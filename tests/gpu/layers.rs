//! Each layer kind and kernel against the CPU backend on random inputs of odd sizes.

use super::common::random::{NET, POOLS_ROUTES_SHORTCUTS, setup};
use super::{compare, context, kept_outputs_equal_the_cpu};
use csplens::backend::wgpu::{BuildOptions, ConvChoice, ConvKernel, GpuNet, Kernels};

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
fn local_layers_padded_and_strided() {
    // YOLOv1's [local] (its own weights at every position), padded and unpadded strided
    compare(
        &format!(
            "{NET}[local]\nfilters=5\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n\
             [local]\nfilters=4\nsize=2\nstride=2\npad=0\nactivation=logistic\n"
        ),
        17,
    );
}

#[test]
fn dilation_wider_than_the_map() {
    // 4 × 4 maps under a 3 × 3 kernel at dilation 3: most taps fall in the padding
    compare(
        "[net]\nwidth=4\nheight=4\nchannels=6\n\n\
         [convolutional]\nfilters=5\nsize=3\npad=1\ndilation=3\nactivation=leaky\n\n\
         [convolutional]\nfilters=4\nsize=3\nstride=2\npad=1\ndilation=3\nactivation=linear\n",
        31,
    );
}

#[test]
fn sharing_kernels_made_for_other_input_channels_is_refused() {
    let Some(ctx) = context() else { return };
    let (a, w, _) = setup(
        &format!(
            "{NET}[convolutional]\nfilters=8\nsize=3\npad=1\n\n\
             [convolutional]\nfilters=8\nsize=3\npad=1\nshare_index=0\n"
        ),
        3,
    );
    let text = GpuNet::build(&ctx, &a, &w, &BuildOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        text.starts_with("layer 1 shares the weights of layer 0"),
        "{text}"
    );
}

#[test]
fn a_buffer_larger_than_the_device_binds_names_its_layer() {
    // a 4100 × 4100 × 2 input is 134.5 MB, just over the 128 MiB storage binding that
    // lavapipe (and WebGPU's default) allows: the build names the layer instead of reporting a
    // validation error; a device that binds more runs it
    let Some(ctx) = context() else { return };
    let (a, w, input) = setup(
        "[net]\nwidth=4100\nheight=4100\nchannels=2\n\n\
         [convolutional]\nfilters=1\nsize=1\nactivation=linear\n",
        5,
    );
    let bytes = input.data.len() as u64 * 4;
    let limit = ctx.device.limits().max_storage_buffer_binding_size;
    match GpuNet::build(&ctx, &a, &w, &BuildOptions::default()) {
        Err(e) => {
            assert!(bytes > limit, "{e}");
            let text = e.to_string();
            assert!(
                text.starts_with("layer 0 (convolutional) reads or writes 134.5 MB in one buffer"),
                "{text}"
            );
        }
        Ok(net) => {
            assert!(bytes <= limit);
            assert!(net.forward(&input).is_ok());
        }
    }
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
    let net = GpuNet::build(&ctx, &a, &w, &BuildOptions::default()).unwrap();
    let route_inputs = 1 + 2 + 2 + 3 + 1 + 1 + 3;
    eprintln!("alignment {align}: {} copies", net.copies());
    assert!(align <= 256);
    // copies: route 8 copies layer 7 (which reads route 6 inside route 8) and route 4 (a
    // route: no kernel of its own to store it twice); the last route copies layer 13, listed
    // twice, and route 12, a view into route 6's region. Route 4's layer 2, which layer 3
    // inside route 4 reads, keeps its own buffer and its convolution stores it into route 4
    // a second time: no copy
    assert_eq!(net.copies(), 5, "of {route_inputs} route inputs");
    kept_outputs_equal_the_cpu(&a, &w, &input, &net);
}

#[test]
fn max_pools_fused_into_their_convolutions() {
    // 2×2, stride-2 max pools after convolutions at even sizes: each GEMM convolution
    // stores its pool's output (pixels in 2×2 windows, the largest of each), split or not;
    // at 13 × 11 (odd) and after a 3×3 pool nothing is fused
    let Some(ctx) = context() else { return };
    let cfg = "[net]\nwidth=20\nheight=12\nchannels=3\n\n\
         [convolutional]\nfilters=6\nsize=3\npad=1\nactivation=leaky\n\n\
         [maxpool]\nsize=2\nstride=2\n\n\
         [convolutional]\nfilters=9\nsize=3\npad=1\nactivation=mish\n\n\
         [maxpool]\nsize=2\nstride=2\n\n\
         [convolutional]\nfilters=5\nsize=1\nactivation=linear\n\n\
         [maxpool]\nsize=3\nstride=1\n";
    let (a, w, input) = setup(cfg, 97);
    for choice in [
        ConvChoice::rule(ConvKernel::Gemm),
        ConvChoice::split(ConvKernel::Gemm, 3),
        ConvChoice::rule(ConvKernel::Gemm32),
        ConvChoice::split(ConvKernel::Gemm32, 2),
    ] {
        let fused = GpuNet::build(&ctx, &a, &w, &BuildOptions::kernel(choice.kernel)).unwrap();
        let options = BuildOptions {
            kernels: Kernels::Each(choice),
            ..BuildOptions::default()
        };
        let net = GpuNet::build(&ctx, &a, &w, &options).unwrap();
        assert!(
            net.kernel_summary()
                .contains("2 max pools in their convolutions"),
            "{choice:?}: {}",
            net.kernel_summary()
        );
        assert!(fused.dispatches() <= net.dispatches());
        // the network's kept output (the last pool) and, through it, both fused pools
        kept_outputs_equal_the_cpu(&a, &w, &input, &net);
    }
    // blocked4 has no pooled epilogue: its pools run as their own kernels
    let blocked = GpuNet::build(&ctx, &a, &w, &BuildOptions::kernel(ConvKernel::Blocked4)).unwrap();
    assert!(!blocked.kernel_summary().contains("max pool"));
    let (odd, wo, _) = setup(
        &format!(
            "{NET}[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\n\n[maxpool]\nsize=2\nstride=2\n"
        ),
        98,
    );
    let net = GpuNet::build(&ctx, &odd, &wo, &BuildOptions::default()).unwrap();
    assert!(
        !net.kernel_summary().contains("max pool"),
        "{}",
        net.kernel_summary()
    );
}
