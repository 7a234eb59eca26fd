//! Mutation test over the real corpus: every cfg, many times over, with lines deleted, numbers
//! made extreme, garbage bytes inserted and the text truncated. No case may panic, and each
//! must finish within the stated bound (2 s in a debug build; in practice milliseconds).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::EXTREMES;
use std::time::{Duration, Instant};

const PER_CFG: usize = 16;
const BOUND: Duration = Duration::from_secs(2);

struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn mutate(text: &[u8], rng: &mut Lcg) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    for _ in 0..1 + rng.below(4) {
        let n = lines.len().max(1);
        match rng.below(5) {
            0 if !lines.is_empty() => {
                lines.remove(rng.below(n));
            }
            1 if !lines.is_empty() => {
                let i = rng.below(n);
                if let Some(eq) = lines[i].iter().position(|&b| b == b'=') {
                    lines[i].truncate(eq + 1);
                    lines[i].extend_from_slice(EXTREMES[rng.below(EXTREMES.len())].as_bytes());
                }
            }
            2 if !lines.is_empty() => {
                let i = rng.below(n);
                let garbage: Vec<u8> = (0..1 + rng.below(6))
                    .map(|_| rng.below(256) as u8)
                    .collect();
                let at = rng.below(lines[i].len() + 1);
                lines[i].splice(at..at, garbage);
            }
            3 => lines.truncate(rng.below(n + 1)),
            _ if !lines.is_empty() => {
                let (a, b) = (rng.below(n), rng.below(n));
                lines.swap(a, b);
            }
            _ => {}
        }
    }
    lines.join(&b'\n')
}

#[test]
fn thousands_of_mutated_corpus_cfgs_never_panic_and_finish_quickly() {
    let dir = common::corpus_dir();
    let mut rng = Lcg(0x5eed);
    let (mut cases, mut loaded, mut slowest) = (0usize, 0usize, Duration::ZERO);
    for path in common::cfgs_under(&dir) {
        let text = std::fs::read(&path).unwrap();
        for _ in 0..PER_CFG {
            let bytes = mutate(&text, &mut rng);
            let t = Instant::now();
            let result = std::panic::catch_unwind(|| {
                csplens::analyze("m.cfg", &bytes, Default::default()).is_ok()
            });
            let took = t.elapsed();
            let ok = result.unwrap_or_else(|_| panic!("panic on a mutation of {}", path.display()));
            assert!(took < BOUND, "{}: a mutation took {took:?}", path.display());
            slowest = slowest.max(took);
            cases += 1;
            loaded += ok as usize;
        }
    }
    assert!(cases >= 2000, "{cases} cases");
    eprintln!("{cases} mutated cfgs, {loaded} still load, slowest {slowest:?}");
}
