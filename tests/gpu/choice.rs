//! Kernel and split-K choices: per layer, measured, remembered; pipelines shared per device;
//! per-layer times; a lost device.

use super::common::random::{NET, POOLS_ROUTES_SHORTCUTS, setup};
use super::{context, cycled, fresh_context, kept_outputs_equal_the_cpu};
use csplens::backend::wgpu::bench::Timers;
use csplens::backend::wgpu::{BuildOptions, ConvChoice, ConvKernel, GpuNet, Kernels};
use std::path::Path;

/// Each convolution's fastest of `candidates`, remembered in `cache` (none: measured).
fn tuned(
    ctx: &csplens::backend::wgpu::GpuContext,
    a: &csplens::Analysis,
    w: &csplens::weights::Weights,
    candidates: &[ConvKernel],
    cache: Option<&Path>,
) -> GpuNet {
    let kernels = Kernels::Tuned {
        candidates: candidates.to_vec(),
        cache: cache.map(Path::to_path_buf),
    };
    let options = BuildOptions {
        kernels,
        shared: true,
        ..BuildOptions::default()
    };
    GpuNet::build(ctx, a, w, &options).unwrap()
}

#[test]
fn networks_on_one_device_share_compiled_pipelines() {
    let Some(ctx) = fresh_context() else { return };
    let (a, w, input) = setup(&format!("{NET}{POOLS_ROUTES_SHORTCUTS}"), 23);
    assert_eq!(ctx.compiled_pipelines(), 0);
    let first = GpuNet::build(&ctx, &a, &w, &BuildOptions::kernel(ConvKernel::Gemm)).unwrap();
    let compiled = ctx.compiled_pipelines();
    assert!(compiled >= 3, "{compiled}");
    let second = GpuNet::build(&ctx, &a, &w, &BuildOptions::kernel(ConvKernel::Gemm)).unwrap();
    assert_eq!(
        ctx.compiled_pipelines(),
        compiled,
        "the second build compiled again"
    );
    drop(first);
    kept_outputs_equal_the_cpu(&a, &w, &input, &second);
    // another kernel adds its own pipelines and keeps the others
    GpuNet::build(&ctx, &a, &w, &BuildOptions::kernel(ConvKernel::Gemm32)).unwrap();
    assert!(ctx.compiled_pipelines() > compiled);
}

#[test]
fn a_measured_choice_is_remembered_per_device_and_network() {
    let Some(ctx) = context() else { return };
    let dir = std::env::temp_dir().join(format!("csplens-tuning-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (a, w, input) = setup(&format!("{NET}{POOLS_ROUTES_SHORTCUTS}"), 31);
    let candidates = [ConvKernel::Gemm, ConvKernel::Blocked4];
    let measured = tuned(&ctx, &a, &w, &candidates, Some(&dir));
    assert!(!measured.remembered());
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "one entry, no partial file left");
    let entry = files[0].path();
    // built again from the entry: the same kernels and split counts, the same outputs
    let again = tuned(&ctx, &a, &w, &candidates, Some(&dir));
    assert!(again.remembered());
    assert_eq!(again.conv_kernels(), measured.conv_kernels());
    assert_eq!(again.conv_splits(), measured.conv_splits());
    kept_outputs_equal_the_cpu(&a, &w, &input, &again);
    // an entry that does not read is measured again and replaced
    std::fs::write(&entry, "Gemm 0\nnot a kernel\n").unwrap();
    let remeasured = tuned(&ctx, &a, &w, &candidates, Some(&dir));
    assert!(!remeasured.remembered());
    assert!(tuned(&ctx, &a, &w, &candidates, Some(&dir)).remembered());
    // another network (or candidate list) is another entry
    let (b, wb, _) = setup(
        &format!("{NET}[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n"),
        37,
    );
    tuned(&ctx, &b, &wb, &candidates, Some(&dir));
    tuned(&ctx, &a, &w, &[ConvKernel::Gemm], Some(&dir));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_fastest_kernel_is_picked_by_timing_and_runs_the_network() {
    // what the default build does on a real GPU, here on whatever adapter exists
    let Some(ctx) = context() else { return };
    let (a, w, input) = setup(&format!("{NET}{POOLS_ROUTES_SHORTCUTS}"), 17);
    let candidates = [ConvKernel::Gemm, ConvKernel::Blocked4];
    let net = tuned(&ctx, &a, &w, &candidates, None);
    assert!(!net.remembered());
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
    // what the kernel search builds when layers prefer different kernels: every kernel (split
    // and unsplit) next to the others in one network, regions shared between them
    let Some(ctx) = context() else { return };
    let (a, w, input) = setup(&format!("{NET}{POOLS_ROUTES_SHORTCUTS}"), 19);
    let cycle = [
        ConvChoice::rule(ConvKernel::Gemm),
        ConvChoice::split(ConvKernel::Blocked4, 4),
        ConvChoice::split(ConvKernel::Gemm, 3),
        ConvChoice::split(ConvKernel::Gemm32, 3),
        ConvChoice::rule(ConvKernel::Blocked4),
        ConvChoice::rule(ConvKernel::Gemm32),
    ];
    let options = BuildOptions {
        kernels: Kernels::PerLayer(cycled(&a, &cycle)),
        shared: true,
        ..BuildOptions::default()
    };
    let net = GpuNet::build(&ctx, &a, &w, &options).unwrap();
    assert!(net.conv_kernels().len() >= 3, "{:?}", net.conv_kernels());
    assert!(
        net.kernel_summary().contains('×'),
        "{}",
        net.kernel_summary()
    );
    kept_outputs_equal_the_cpu(&a, &w, &input, &net);
}

#[test]
fn split_k_counts_per_layer() {
    // what the kernel search builds when layers prefer different split-K counts: forced counts
    // (more than some layers' K can take, which is clamped), the size rule and unsplit layers
    // next to each other, on every kernel that splits
    let Some(ctx) = context() else { return };
    let (a, w, input) = setup(&format!("{NET}{POOLS_ROUTES_SHORTCUTS}"), 29);
    let cycle: [ConvChoice; 7] = [
        ConvChoice::split(ConvKernel::Gemm, 2),
        ConvChoice::split(ConvKernel::Gemm32, 5),
        ConvChoice::split(ConvKernel::Blocked4, 3),
        ConvChoice::split(ConvKernel::Gemm, 64),
        ConvChoice::split(ConvKernel::Gemm32, 1),
        ConvChoice::split(ConvKernel::Blocked4, 64),
        ConvChoice::rule(ConvKernel::Gemm),
    ];
    let choices = cycled(&a, &cycle);
    let options = BuildOptions {
        kernels: Kernels::PerLayer(choices.clone()),
        shared: true,
        ..BuildOptions::default()
    };
    let net = GpuNet::build(&ctx, &a, &w, &options).unwrap();
    let splits = net.conv_splits();
    assert!(splits.iter().any(|&(_, s)| s > 1), "{splits:?}");
    for &(i, s) in &splits {
        let asked = choices[i].splits.unwrap_or(1);
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
    let net = GpuNet::build(&ctx, &a, &w, &BuildOptions::default()).unwrap();
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
    let transfers = Timers(&net).transfer_ms(&input, 3).unwrap();
    assert!(transfers.is_finite() && transfers > 0.0, "{transfers}");
    let encode = Timers(&net).encode_ms(3).unwrap();
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
    let net = GpuNet::build(&ctx, &a, &w, &BuildOptions::default()).unwrap();
    assert!(net.forward(&input).is_ok());
    ctx.device.destroy();
    let t = std::time::Instant::now();
    let r = net.forward(&input);
    assert!(r.is_err(), "{r:?}");
    assert!(t.elapsed().as_secs() < 30);
}
