//! The per-layer kernel search and its cache. On a real GPU each convolution gets whichever
//! candidate kernel and split-K count timestamps show fastest on the device: the network is
//! built with each trial, timed per layer, then built with each layer's fastest. The result is
//! stored per device and network, so a network is measured once per device and built from the
//! stored choice afterwards (as cuDNN-style autotuners keep theirs); the store is a cache: an
//! entry that cannot be read is measured again and replaced.

use super::super::context::GpuContext;
use super::GpuNet;
use super::choice::{ConvChoice, ConvKernel, Recipe};
use super::layouts::Uploads;
use super::run::median;
use crate::backend::BackendError;
use crate::backend::Model;
use crate::tensor::Tensor;
use crate::weights::Weights;
use std::path::Path;

/// Split-K counts each splitting kernel is timed with (besides the size rule).
const SPLIT_TRIALS: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];

/// Timed inferences per measurement (medians of three: one timing is a few µs noisy, as much
/// as some layers take).
const RUNS: usize = 3;

/// What the search times: each candidate with the size rule and with each of
/// [`SPLIT_TRIALS`] (every production kernel splits K).
fn trials(candidates: &[ConvKernel]) -> Vec<ConvChoice> {
    let mut trials = Vec::new();
    for &kernel in candidates {
        trials.push(ConvChoice::rule(kernel));
        trials.extend(SPLIT_TRIALS.iter().map(|&s| ConvChoice::split(kernel, s)));
    }
    trials
}

/// The trial that ran layer `i` fastest.
fn fastest_at(per_layer: &[(ConvChoice, Vec<f64>)], i: usize) -> Option<ConvChoice> {
    per_layer
        .iter()
        .min_by(|x, y| x.1[i].total_cmp(&y.1[i]))
        .map(|(t, _)| *t)
}

/// The network with each convolution's fastest choice among `candidates`, read from the
/// cache in `dir` when this device and network were measured before (`dir = None` measures
/// every time), built as `like` says otherwise (its choices are the search's).
pub(super) fn tuned(
    ctx: &GpuContext,
    a: Model<'_>,
    w: &Weights,
    candidates: &[ConvKernel],
    dir: Option<&Path>,
    like: Recipe<'_>,
) -> Result<GpuNet, BackendError> {
    let n = a.network.layers.len();
    let file = entry(ctx, a, candidates, like);
    if let Some(choices) = dir.and_then(|d| load(d, &file, n)) {
        let recipe = Recipe {
            choices: &choices,
            ..like
        };
        let (mut net, _) = GpuNet::assemble(ctx, a, w, recipe, Uploads::new())?;
        net.set_remembered();
        return Ok(net);
    }
    let net = fastest(ctx, a, w, candidates, like)?;
    if let Some(d) = dir {
        // a store that fails (read-only home, full disk) costs a measurement next time
        let _ = store(d, &file, net.choices());
    }
    if like.shared {
        return Ok(net);
    }
    let choices = net.choices().to_vec();
    drop(net);
    let recipe = Recipe {
        choices: &choices,
        ..like
    };
    GpuNet::assemble(ctx, a, w, recipe, Uploads::new()).map(|(net, _)| net)
}

/// The network (buffers shared by liveness) with, for each convolution, whichever trial runs
/// it fastest on this device: the network is built with each trial and timed per layer
/// (timestamp queries where the device has them), then built with each layer's fastest
/// choice; that mix is kept unless a single trial ran the whole network faster. `like`'s
/// precision is kept.
fn fastest(
    ctx: &GpuContext,
    a: Model<'_>,
    w: &Weights,
    candidates: &[ConvKernel],
    like: Recipe<'_>,
) -> Result<GpuNet, BackendError> {
    let n = a.network.layers.len();
    let s = a.shapes.input;
    let input = Tensor::zeros(s.c, s.h, s.w);
    let mut best: Option<(f64, ConvChoice, GpuNet)> = None;
    let mut per_layer: Vec<(ConvChoice, Vec<f64>)> = Vec::new();
    let mut failure = None;
    // each layout of each layer's weights is made and uploaded once for all trials
    let mut uploads = Uploads::new();
    for trial in trials(candidates) {
        // a trial that does not fit beside the best so far (memory) is passed over
        let all = vec![trial; n];
        let recipe = Recipe {
            choices: &all,
            shared: true,
            ..like
        };
        let built = GpuNet::assemble(ctx, a, w, recipe, std::mem::take(&mut uploads));
        let timed = built.and_then(|(net, kept)| {
            uploads = kept;
            let ms = net.time_encoded(&input, RUNS)?;
            let layers = median_layer_ms(&net, &input)?;
            Ok((ms, layers, net))
        });
        match timed {
            Ok((ms, layers, net)) => {
                per_layer.push((trial, layers));
                if best.as_ref().is_none_or(|(fastest, ..)| ms < *fastest) {
                    best = Some((ms, trial, net));
                }
            }
            Err(e) => failure = Some(e),
        }
    }
    let Some((best_ms, best_trial, best)) = best else {
        return Err(
            failure.unwrap_or_else(|| BackendError::Internal("no convolution kernel".into()))
        );
    };
    let choice: Vec<ConvChoice> = (0..n)
        .map(|i| fastest_at(&per_layer, i).unwrap_or(best_trial))
        .collect();
    if best
        .conv_splits()
        .iter()
        .all(|(i, _)| choice[*i] == best_trial)
    {
        return Ok(best);
    }
    let recipe = Recipe {
        choices: &choice,
        shared: true,
        ..like
    };
    let mixed = GpuNet::assemble(ctx, a, w, recipe, uploads)
        .and_then(|(net, _)| Ok((net.time_encoded(&input, RUNS)?, net)));
    Ok(match mixed {
        Ok((ms, net)) if ms < best_ms => net,
        _ => best,
    })
}

/// Each layer's median time over [`RUNS`] timed inferences.
fn median_layer_ms(net: &GpuNet, input: &Tensor) -> Result<Vec<f64>, BackendError> {
    let runs: Vec<Vec<f64>> = (0..RUNS)
        .map(|_| Ok(net.forward_timed(input)?.layer_ms))
        .collect::<Result<_, BackendError>>()?;
    Ok((0..net.layer_count())
        .map(|i| median(runs.iter().map(|r| r[i]).collect()))
        .collect())
}

/// The entry's file name: FNV-1a of everything the choice depends on — the device and driver,
/// the crate version and the shader sources, the candidates and the precision, every layer's
/// kind and shapes.
fn entry(ctx: &GpuContext, a: Model<'_>, candidates: &[ConvKernel], like: Recipe<'_>) -> String {
    let mut h = Fnv::default();
    h.add(&ctx.describe());
    h.add(env!("CARGO_PKG_VERSION"));
    // the kernels themselves: a changed shader is measured again
    for (_, source) in crate::backend::wgpu::kernels::SOURCES {
        h.add(source);
    }
    h.add(&format!(
        "{candidates:?} {:?} {:?} {:?}",
        like.precision, like.accumulate, a.shapes.input
    ));
    for (layer, s) in a.network.layers.iter().zip(&a.shapes.layers) {
        h.add(&format!("{:?} {:?} {:?}", layer.kind, s.input, s.output));
    }
    format!("{:016x}.txt", h.0)
}

/// 64-bit FNV-1a: stable across builds and platforms, unlike std's hasher.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn add(&mut self, text: &str) {
        for b in text.bytes().chain([0xff]) {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// One line per layer: the kernel and the split-K count (`rule` for the size rule).
fn encode(choices: &[ConvChoice]) -> String {
    choices
        .iter()
        .map(|c| match c.splits {
            Some(s) => format!("{:?} {s}\n", c.kernel),
            None => format!("{:?} rule\n", c.kernel),
        })
        .collect()
}

/// The choices of `n` layers from [`encode`]'s text; `None` unless every line reads.
fn decode(text: &str, n: usize) -> Option<Vec<ConvChoice>> {
    let choices: Vec<ConvChoice> = text
        .lines()
        .map(|line| {
            let (k, s) = line.split_once(' ')?;
            let kernel = ConvKernel::ALL
                .into_iter()
                .find(|c| format!("{c:?}") == k)?;
            let splits = match s {
                "rule" => None,
                s => Some(s.parse().ok().filter(|&s: &usize| s >= 1)?),
            };
            Some(ConvChoice { kernel, splits })
        })
        .collect::<Option<_>>()?;
    (choices.len() == n).then_some(choices)
}

/// The stored choice for `file` in `dir`, if it reads.
fn load(dir: &Path, file: &str, n: usize) -> Option<Vec<ConvChoice>> {
    decode(&std::fs::read_to_string(dir.join(file)).ok()?, n)
}

/// Stores a choice (written beside the entry, then renamed over it, so that a reader never
/// sees half a file). Failing to store only costs a measurement next time.
fn store(dir: &Path, file: &str, choices: &[ConvChoice]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let part = dir.join(format!("{file}.{}.part", std::process::id()));
    std::fs::write(&part, encode(choices))?;
    std::fs::rename(&part, dir.join(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_read_back_as_written_and_nothing_else_reads() {
        let choices = vec![
            ConvChoice::split(ConvKernel::Gemm, 4),
            ConvChoice::rule(ConvKernel::Gemm32),
            ConvChoice::split(ConvKernel::Blocked4, 1),
        ];
        assert_eq!(decode(&encode(&choices), 3), Some(choices.clone()));
        assert_eq!(decode(&encode(&choices), 2), None, "another layer count");
        for bad in [
            "Gemm 0\n",
            "Gemm\n",
            "Tiled 2\n",
            "Naive 1\n",
            "Gemm -1\n",
            "Gemm two\n",
        ] {
            assert_eq!(decode(bad, 1), None, "{bad:?}");
        }
    }

    #[test]
    fn the_entry_hash_is_fnv_1a() {
        // the published FNV-1a test vector, before the separator byte this hash adds
        let mut h = Fnv::default();
        for b in "a".bytes() {
            h.0 = (h.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c);
        let (mut x, mut y) = (Fnv::default(), Fnv::default());
        x.add("ab");
        x.add("c");
        y.add("a");
        y.add("bc");
        assert_ne!(x.0, y.0, "fields are separated");
    }
}
