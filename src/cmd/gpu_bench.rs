//! `csplens gpu-bench`: throughput of the convolution kernel against the naive
//! one-output-per-invocation kernel, and optionally a whole network's kernel time, on the
//! first wgpu adapter (lavapipe here, a real GPU where there is one).

use anyhow::{Context as _, Result};
use csplens::args::GpuBenchArgs;
use csplens::args::render_load;
use csplens::backend::Precision;
use csplens::backend::wgpu::bench::{self, Baseline, Timers};
use csplens::backend::wgpu::kernels::Accumulate;
use csplens::backend::wgpu::{BuildOptions, ConvKernel, GpuContext, GpuNet};
use csplens::limits::Limits;
use csplens::tensor::Tensor;
use serde_json::json;

fn synthetic(cfg: &str) -> Result<(csplens::Analysis, csplens::weights::Weights, Tensor)> {
    Ok(csplens::backend::synthetic::network(cfg)?)
}

/// Runs the benchmark; the error is the text to print.
pub fn run(args: &GpuBenchArgs, caps: &Limits) -> Result<String, String> {
    inner(args, caps).map_err(|e| format!("error: {e:#}"))
}

fn inner(args: &GpuBenchArgs, caps: &Limits) -> Result<String> {
    let ctx = GpuContext::new()?;
    let (c, n) = (args.channels, args.size);
    let cfg = format!(
        "[net]\nwidth={n}\nheight={n}\nchannels={c}\n\n[convolutional]\nfilters={c}\nsize=3\npad=1\nactivation=leaky\n"
    );
    let (a, w, input) = synthetic(&cfg)?;
    let gflop = a.profile.total_bflops as f64;
    let mut rows = Vec::new();
    for (name, net) in conv_nets(&ctx, &a, &w, false)? {
        let ms = Timers(&net).kernels_ms(&input, args.iters)?;
        rows.push(json!({"kernel": name, "ms": ms, "gflops": gflop / ms * 1e3}));
    }
    let mut doc = json!({"device": ctx.describe(), "conv": format!("3×3 {c}→{c} at {n}×{n}, {gflop:.3} GFLOP"), "kernels": rows});
    // the fixed cost of one inference: upload, one tiny kernel, readback, waiting
    let (a, w, input) = synthetic(
        "[net]\nwidth=8\nheight=8\nchannels=4\n\n[convolutional]\nfilters=4\nsize=1\nactivation=linear\n",
    )?;
    let gemm = BuildOptions::kernel(ConvKernel::Gemm);
    let tiny = GpuNet::build(&ctx, &a, &w, &gemm)?;
    doc["round_trip_ms"] = json!(median_forward_ms(&tiny, &input, 50)?);
    // the floor of one layer: a chain of tiny convolutions, each waiting for the one before
    let chain = 64;
    let (a, w, input) = synthetic(&format!(
        "[net]\nwidth=8\nheight=8\nchannels=4\n{}",
        "\n[convolutional]\nfilters=4\nsize=1\nactivation=linear\n".repeat(chain)
    ))?;
    let net = GpuNet::build(&ctx, &a, &w, &gemm)?;
    doc["dependent_dispatch_us"] =
        json!(Timers(&net).kernels_ms(&input, args.iters)? * 1e3 / chain as f64);
    if let Some(cfg) = &args.cfg {
        let a = csplens::analyze_file(cfg, Default::default(), caps)
            .map_err(|e| anyhow::Error::msg(render_load(&e)))?;
        let w = match &args.weights {
            Some(weights) => csplens::weights::read(weights, &a.network, &a.shapes)
                .with_context(|| weights.display().to_string())?,
            None => csplens::backend::synthetic::weights(&a)?,
        };
        let s = a.shapes.input;
        let input = Tensor {
            c: s.c,
            h: s.h,
            w: s.w,
            data: vec![0.5; s.c * s.h * s.w],
        };
        let t = std::time::Instant::now();
        let net = GpuNet::build(&ctx, &a, &w, &BuildOptions::default())?;
        let build_ms = t.elapsed().as_secs_f64() * 1e3;
        let unshared = GpuNet::build(&ctx, &a, &w, &gemm.clone().unshared())?.buffer_bytes();
        doc["network_buffer_bytes"] = json!({"shared": net.buffer_bytes(), "per_layer": unshared});
        let (mut kernels, mut layers) = (serde_json::Map::new(), serde_json::Map::new());
        for (name, each) in conv_nets(&ctx, &a, &w, true)? {
            if name == "naive" {
                continue;
            }
            let ms = Timers(&each).kernels_ms(&input, args.iters)?;
            kernels.insert(name.into(), json!(ms));
            layers.insert(name.into(), json!(each.forward_timed(&input)?.layer_ms));
        }
        let timers = Timers(&net);
        let ms = timers.kernels_ms(&input, args.iters)?;
        let forward_ms = median_forward_ms(&net, &input, args.iters.max(3))?;
        let transfer_ms = timers.transfer_ms(&input, args.iters.max(3))?;
        let encode_ms = timers.encode_ms(args.iters.max(3))?;
        let layer_ms = net.forward_timed(&input)?.layer_ms;
        doc["network"] = json!({
            "layer_ms": layer_ms,
            "cfg": cfg.display().to_string(),
            "default_kernels": net.kernel_summary(),
            "conv_choices": net
                .conv_kernels()
                .iter()
                .zip(net.conv_splits())
                .map(|((i, k), (_, s))| json!({"layer": i, "kernel": k.name(), "splits": s}))
                .collect::<Vec<_>>(),
            "build_ms": build_ms,
            "remembered": net.remembered(),
            "kernels_ms": ms,
            "kernels_ms_by_conv_kernel": kernels,
            "layer_ms_by_conv_kernel": layers,
            "forward_ms": forward_ms,
            "transfer_ms": transfer_ms,
            "encode_ms": encode_ms,
            "gflops": a.profile.total_bflops as f64 / ms * 1e3,
            "buffer_copies": net.copies(),
            "dispatches": net.dispatches(),
            "weight_bytes": net.weight_bytes(),
        });
        if ctx.has_f16() {
            doc["network"]["f16"] = f16_figures(&ctx, &a, &w, &input, args.iters)?;
        }
        if args.batch > 1 {
            doc["network"]["batch"] = batch_figures(&ctx, &a, &w, &input, args)?;
        }
    }
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

/// The default build storing f16: its times and memory.
fn f16_figures(
    ctx: &GpuContext,
    a: &csplens::Analysis,
    w: &csplens::weights::Weights,
    input: &Tensor,
    iters: usize,
) -> Result<serde_json::Value> {
    let options = BuildOptions {
        precision: Precision::F16,
        ..BuildOptions::default()
    };
    let net = GpuNet::build(ctx, a, w, &options)?;
    let ms = Timers(&net).kernels_ms(input, iters)?;
    // the GEMM kernels accumulating in f16 too: a measured option, never chosen
    let accumulating = BuildOptions {
        accumulate: Accumulate::F16,
        ..options
    };
    let acc = GpuNet::build(ctx, a, w, &accumulating)?;
    let acc_ms = Timers(&acc).kernels_ms(input, iters)?;
    Ok(json!({
        "f16_accumulation_kernels_ms": acc_ms,
        "default_kernels": net.kernel_summary(),
        "kernels_ms": ms,
        "forward_ms": median_forward_ms(&net, input, iters.max(3))?,
        "gflops": a.profile.total_bflops as f64 / ms * 1e3,
        "buffer_bytes": net.buffer_bytes(),
        "weight_bytes": net.weight_bytes(),
    }))
}

/// Images per second on batches of `args.batch` copies of `input` in one submission, at each
/// precision the adapter stores.
fn batch_figures(
    ctx: &GpuContext,
    a: &csplens::Analysis,
    w: &csplens::weights::Weights,
    input: &Tensor,
    args: &GpuBenchArgs,
) -> Result<serde_json::Value> {
    let inputs = vec![input.clone(); args.batch];
    let mut doc = json!({"size": args.batch});
    for precision in [Precision::F32, Precision::F16] {
        if precision == Precision::F16 && !ctx.has_f16() {
            continue;
        }
        let options = BuildOptions {
            precision,
            ..BuildOptions::default()
        };
        let net = GpuNet::build(ctx, a, w, &options)?;
        net.forward_batch(&inputs)?;
        let mut times: Vec<f64> = (0..args.iters.max(3))
            .map(|_| {
                let t = std::time::Instant::now();
                net.forward_batch(&inputs)
                    .map(|_| t.elapsed().as_secs_f64() * 1e3)
            })
            .collect::<Result<_, _>>()?;
        times.sort_by(f64::total_cmp);
        let ms = times[times.len() / 2];
        doc[precision.name()] = json!({"ms": ms, "images_per_s": args.batch as f64 / ms * 1e3});
    }
    Ok(doc)
}

/// The network built with each production kernel and each baseline, by name.
fn conv_nets(
    ctx: &GpuContext,
    a: &csplens::Analysis,
    w: &csplens::weights::Weights,
    shared: bool,
) -> Result<Vec<(&'static str, GpuNet)>> {
    let mut nets = Vec::new();
    for kernel in ConvKernel::ALL {
        let options = BuildOptions {
            shared,
            ..BuildOptions::kernel(kernel)
        };
        nets.push((kernel.name(), GpuNet::build(ctx, a, w, &options)?));
    }
    for b in Baseline::ALL {
        nets.push((b.name(), bench::baseline(ctx, a, w, b, shared)?));
    }
    Ok(nets)
}

/// Median milliseconds of `runs` whole inferences (upload, kernels, readback of the outputs).
fn median_forward_ms(net: &GpuNet, input: &Tensor, runs: usize) -> Result<f64> {
    net.forward(input)?;
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = std::time::Instant::now();
            net.forward(input).map(|_| t.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
