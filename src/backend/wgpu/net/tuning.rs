//! Remembered kernel choices: the per-layer kernel and split-K count [`GpuNet::fastest`]
//! measured, stored per device and network, so that a network is measured once per device and
//! built from the stored choice afterwards (as cuDNN-style autotuners keep their results).
//! The store is a cache: an entry that cannot be read is measured again and replaced.

use super::*;
use std::path::{Path, PathBuf};

impl GpuNet {
    /// As [`GpuNet::fastest`], remembering the result in `dir`: a network and device measured
    /// before are built from the stored choice without measuring ([`GpuNet::remembered`]).
    /// `dir = None` measures every time.
    pub fn tuned(
        ctx: &GpuContext,
        a: &Analysis,
        w: &Weights,
        candidates: &[ConvKernel],
        dir: Option<&Path>,
    ) -> Result<Self, BackendError> {
        let n = a.network.layers.len();
        let file = entry(ctx, a, candidates);
        if let Some(choices) = dir.and_then(|d| load(d, &file, n)) {
            let mut net = Self::with_layer_choices(ctx, a, w, &choices, true)?;
            net.remembered = true;
            return Ok(net);
        }
        let net = Self::fastest(ctx, a, w, candidates)?;
        if let Some(d) = dir {
            // a store that fails (read-only home, full disk) costs a measurement next time
            let _ = store(d, &file, &net.choices);
        }
        Ok(net)
    }

    /// True when the convolution kernels came from a stored measurement ([`GpuNet::tuned`]).
    pub fn remembered(&self) -> bool {
        self.remembered
    }
}

/// Where choices are kept: `$CSPLENS_TUNING_DIR`, else `$XDG_CACHE_HOME/csplens/tuning`, else
/// `$HOME/.cache/csplens/tuning`; `None` when none of them is set.
pub fn default_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    var("CSPLENS_TUNING_DIR").map(PathBuf::from).or_else(|| {
        var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|c| c.join("csplens").join("tuning"))
    })
}

/// The entry's file name: FNV-1a of everything the choice depends on — the device and driver,
/// the crate version and the shader sources, the candidates, every layer's kind and shapes.
pub(super) fn entry(ctx: &GpuContext, a: &Analysis, candidates: &[ConvKernel]) -> String {
    let mut h = Fnv::default();
    h.add(&ctx.describe());
    h.add(env!("CARGO_PKG_VERSION"));
    // the kernels themselves: a changed shader is measured again
    for (_, source) in crate::backend::wgpu::kernels::SOURCES {
        h.add(source);
    }
    h.add(&format!("{candidates:?} {:?}", a.shapes.input));
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
pub(super) fn encode(choices: &[ConvChoice]) -> String {
    choices
        .iter()
        .map(|(k, s)| match s {
            Some(s) => format!("{k:?} {s}\n"),
            None => format!("{k:?} rule\n"),
        })
        .collect()
}

/// The choices of `n` layers from [`encode`]'s text; `None` unless every line reads.
pub(super) fn decode(text: &str, n: usize) -> Option<Vec<ConvChoice>> {
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
            Some((kernel, splits))
        })
        .collect::<Option<_>>()?;
    (choices.len() == n).then_some(choices)
}

/// The stored choice for `file` in `dir`, if it reads.
pub(super) fn load(dir: &Path, file: &str, n: usize) -> Option<Vec<ConvChoice>> {
    decode(&std::fs::read_to_string(dir.join(file)).ok()?, n)
}

/// Stores a choice (written beside the entry, then renamed over it, so that a reader never
/// sees half a file). Failing to store only costs a measurement next time.
pub(super) fn store(dir: &Path, file: &str, choices: &[ConvChoice]) -> std::io::Result<()> {
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
            (ConvKernel::Gemm, Some(4)),
            (ConvKernel::Gemm32, None),
            (ConvKernel::Blocked4, Some(1)),
        ];
        assert_eq!(decode(&encode(&choices), 3), Some(choices.clone()));
        assert_eq!(decode(&encode(&choices), 2), None, "another layer count");
        for bad in ["Gemm 0\n", "Gemm\n", "Tiled 2\n", "Gemm -1\n", "Gemm two\n"] {
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
