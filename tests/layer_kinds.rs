//! Shape and cost rules of layer kinds the reference tables do not cover, on small cfgs
//! whose numbers can be worked out by hand.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use csplens::vocab::shape::Shape;

fn run(body: &str) -> csplens::Analysis {
    let text = format!("[net]\nwidth=32\nheight=32\nchannels=4\n\n{body}");
    csplens::analyze("t.cfg", text.as_bytes(), Default::default())
        .unwrap_or_else(|f| panic!("{}", f.render()))
}

fn out(a: &csplens::Analysis, i: usize) -> Shape {
    a.shapes.layers[i].output
}

#[test]
fn upsample_negative_stride_downsamples() {
    let a = run("[upsample]\nstride=-2\n\n[upsample]\nstride=4\n");
    assert_eq!(out(&a, 0), Shape::new(16, 16, 4));
    assert_eq!(out(&a, 1), Shape::new(64, 64, 4));
}

#[test]
fn reorg_both_ways() {
    let a = run("[reorg]\nstride=2\n\n[reorg3d]\nstride=2\nreverse=1\n");
    assert_eq!(out(&a, 0), Shape::new(16, 16, 16));
    assert_eq!(out(&a, 1), Shape::new(32, 32, 4));
}

#[test]
fn maxpool_depth_stride_xy_and_default_padding() {
    let a = run(
        "[maxpool]\nmaxpool_depth=1\nout_channels=2\n\n[maxpool]\nsize=3\nstride_x=2\nstride_y=1\n\n[maxpool]\nstride=2\n",
    );
    assert_eq!(out(&a, 0), Shape::new(32, 32, 2));
    // (32 + 2 - 3)/2 + 1 = 16 wide, (32 + 2 - 3)/1 + 1 = 32 high
    assert_eq!(out(&a, 1), Shape::new(16, 32, 2));
    assert!((a.profile.layers[1].bflops as f64 - 9.0 * 2.0 * 16.0 * 32.0 / 1e9).abs() < 1e-12);
    // size defaults to stride, padding to size-1: (16 + 1 - 2)/2 + 1 = 8
    assert_eq!(out(&a, 2), Shape::new(8, 16, 2));
}

#[test]
fn grouped_dilated_and_antialiased_convolutions() {
    let a = run(
        "[convolutional]\nfilters=8\nsize=3\npad=1\ngroups=2\ndilation=2\nbatch_normalize=1\nactivation=mish\n\n\
         [convolutional]\nfilters=8\nsize=3\nstride=2\npad=1\nantialiasing=1\n",
    );
    assert_eq!(out(&a, 0), Shape::new(32, 32, 8));
    let c0 = &a.profile.layers[0];
    assert_eq!(c0.params, 2 * 8 * 9 + 8 + 8);
    assert_eq!(c0.weight_floats, 2 * 8 * 9 + 4 * 8);
    assert_eq!(out(&a, 1), Shape::new(16, 16, 8));
    // FLOPs counted at the stride-1 host output, as darknet does.
    assert!(
        (a.profile.layers[1].bflops as f64 - 2.0 * 8.0 * 8.0 * 9.0 * 32.0 * 32.0 / 1e9).abs()
            < 1e-9
    );
}

#[test]
fn weighted_multi_input_shortcut_and_shared_conv() {
    let a = run(
        "[convolutional]\nfilters=4\nsize=1\n\n[convolutional]\nfilters=4\nsize=1\nshare_index=0\n\n\
         [shortcut]\nfrom=-1,-2\nweights_type=per_channel\nactivation=linear\n",
    );
    let sc = &a.profile.layers[2];
    assert_eq!(sc.weight_floats, 3 * 4);
    assert!((sc.bflops as f64 - 2.0 * 32.0 * 32.0 * 4.0 * 2.0 / 1e9).abs() < 1e-12);
    assert_eq!(
        a.profile.layers[1].weight_floats, 0,
        "share_index layers read no weights"
    );
    assert_eq!(a.network.layers[2].inputs.len(), 3);
    assert!(a.warnings().is_empty(), "{:?}", a.warnings());
}

#[test]
fn sharing_the_weights_of_a_layer_with_other_input_channels_is_a_warning() {
    // layer 2 reads 8 channels but shares layer 0's kernels, made for the image's 4: darknet
    // stops at its "don't match for the share_layer" message; the counts stay darknet's
    let a = run(
        "[convolutional]\nfilters=8\nsize=3\npad=1\n\n[convolutional]\nfilters=8\nsize=1\n\n\
         [convolutional]\nfilters=8\nsize=3\npad=1\nshare_index=0\n",
    );
    let w = a.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].line, 15);
    for part in [
        "layer 2 (convolutional, line 15): shares the weights of layer 0",
        "4 input channels",
        "8 input channels",
        "288 weights as this layer's 576",
    ] {
        assert!(w[0].message.contains(part), "{part}: {}", w[0].message);
    }
    assert_eq!(a.profile.layers[2].weight_floats, 0);
    assert!((a.profile.layers[2].bflops as f64 - 2.0 * 576.0 * 32.0 * 32.0 / 1e9).abs() < 1e-9);
}

#[test]
fn flat_layers_and_heads() {
    let a = run("[avgpool]\n\n[connected]\noutput=10\nactivation=linear\n\n[softmax]\n\n[cost]\n");
    assert_eq!(out(&a, 1), Shape::new(1, 1, 10));
    assert_eq!(a.profile.layers[1].weight_floats, 4 * 10 + 10);
    assert_eq!(out(&a, 2), Shape::default());
    assert_eq!(a.shapes.layers[3].outputs, 10);
}

#[test]
fn dontload_and_dontloadscales() {
    let a = run(
        "[convolutional]\nfilters=4\nsize=1\nbatch_normalize=1\ndontloadscales=1\n\n\
         [convolutional]\nfilters=4\nsize=1\ndontload=1\n",
    );
    assert_eq!(a.profile.layers[0].weight_floats, 16 + 4);
    assert_eq!(a.profile.layers[1].weight_floats, 0);
}

#[test]
fn early_2020_shortcut_rule_warns() {
    let a = run(
        "[convolutional]\nfilters=4\nsize=1\n\n[convolutional]\nfilters=8\nsize=3\nstride=2\npad=1\n\n[shortcut]\nfrom=-2\n",
    );
    assert_eq!(out(&a, 2), Shape::new(16, 16, 8));
    let w = a.warnings();
    assert!(
        w.iter().any(|w| w.line == 16
            && w.message.contains("32×32×4")
            && w.message.contains("16×16×8")),
        "{w:?}"
    );
}

#[test]
fn unused_and_repeated_keys_are_warnings() {
    let a = run("[convolutional]\nfilters=4\nfilters=5\nsize=1\nbogus=3\n");
    assert_eq!(out(&a, 0).c, 4, "darknet reads the first value");
    let w = a.warnings();
    assert!(
        w.iter()
            .any(|w| w.line == 8 && w.message.contains("repeated")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.line == 10 && w.message.contains("unused field `bogus = 3`")),
        "{w:?}"
    );
}
