//! Anchors from labels (`csplens anchors`): darknet's `calc_anchors` — k-means over the
//! training labels' sizes at the network input with the IoU distance (1 − IoU of two boxes at
//! one centre) — made deterministic (seeded) and run from several starts, the best kept;
//! sorted by area and split over the heads by stride (the finest head the smallest).

use super::data::{self, DataError, DataFile};

/// k-means restarts (each from other random sizes); the best avg IoU is kept.
pub const RESTARTS: usize = 20;

/// The shape IoU of two sizes (both boxes at one centre).
pub fn shape_iou((w, h): (f32, f32), (aw, ah): (f32, f32)) -> f32 {
    let inter = w.min(aw) * h.min(ah);
    let union = w * h + aw * ah - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// The mean over `sizes` of each one's best shape IoU with `anchors` (darknet's "avg IoU").
pub fn avg_iou(sizes: &[(f32, f32)], anchors: &[(f32, f32)]) -> f32 {
    if sizes.is_empty() {
        return 0.0;
    }
    let best = |s: &(f32, f32)| {
        anchors
            .iter()
            .map(|&a| shape_iou(*s, a))
            .fold(0.0, f32::max)
    };
    sizes.iter().map(best).sum::<f32>() / sizes.len() as f32
}

/// Every label's size in input pixels: the `train` list's labels (darknet's `calc_anchors`
/// reads `train=`), `w·width × h·height`.
pub fn label_sizes(
    data: &DataFile,
    width: usize,
    height: usize,
) -> Result<Vec<(f32, f32)>, DataError> {
    let mut sizes = Vec::new();
    for image in data.train_images()? {
        let Some(path) = data::find_labels(&image) else {
            continue;
        };
        for l in data::read_labels(&path, data.classes)? {
            sizes.push((l.w * width as f32, l.h * height as f32));
        }
    }
    Ok(sizes)
}

/// A small deterministic generator (64-bit LCG, Knuth's constants) for the starting centres.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// One k-means run from `k` distinct random sizes: assign each size to its nearest centre by
/// IoU distance, move each centre to its sizes' mean, until nothing moves (at most 1000 times,
/// as darknet).
fn kmeans_once(sizes: &[(f32, f32)], k: usize, rng: &mut Lcg) -> Vec<(f32, f32)> {
    let mut centres: Vec<(f32, f32)> = Vec::with_capacity(k);
    let mut tries = 0;
    while centres.len() < k && tries < 100 * k {
        let s = sizes[rng.below(sizes.len())];
        if !centres.contains(&s) || tries >= 10 * k {
            centres.push(s);
        }
        tries += 1;
    }
    let mut assign = vec![usize::MAX; sizes.len()];
    for _ in 0..1000 {
        let mut moved = false;
        for (i, &s) in sizes.iter().enumerate() {
            let nearest = (0..centres.len())
                .min_by(|&a, &b| {
                    let da = 1.0 - shape_iou(s, centres[a]);
                    let db = 1.0 - shape_iou(s, centres[b]);
                    da.total_cmp(&db)
                })
                .unwrap_or(0);
            if assign[i] != nearest {
                assign[i] = nearest;
                moved = true;
            }
        }
        if !moved {
            break;
        }
        for (c, centre) in centres.iter_mut().enumerate() {
            let mine: Vec<&(f32, f32)> = (sizes.iter().zip(&assign))
                .filter(|(_, a)| **a == c)
                .map(|(s, _)| s)
                .collect();
            if !mine.is_empty() {
                let n = mine.len() as f32;
                *centre = (
                    mine.iter().map(|s| s.0).sum::<f32>() / n,
                    mine.iter().map(|s| s.1).sum::<f32>() / n,
                );
            }
        }
    }
    centres
}

/// `k` anchors for `sizes`: the best of `restarts` seeded k-means runs by the avg IoU of the
/// anchors as written (rounded to whole pixels, as darknet writes them), sorted by area.
pub fn anchors(sizes: &[(f32, f32)], k: usize, restarts: usize, seed: u64) -> Vec<(f32, f32)> {
    if sizes.is_empty() || k == 0 {
        return Vec::new();
    }
    let mut rng = Lcg(seed);
    let mut best: Option<(f32, Vec<(f32, f32)>)> = None;
    for _ in 0..restarts.max(1) {
        let mut a: Vec<(f32, f32)> = kmeans_once(sizes, k, &mut rng)
            .into_iter()
            .map(|(w, h)| (w.round().max(1.0), h.round().max(1.0)))
            .collect();
        a.sort_by(|x, y| (x.0 * x.1).total_cmp(&(y.0 * y.1)));
        let v = avg_iou(sizes, &a);
        if best.as_ref().is_none_or(|(b, _)| v > *b) {
            best = Some((v, a));
        }
    }
    best.map(|b| b.1).unwrap_or_default()
}

/// The masks of `heads` (their strides, in cfg order) for `n` anchors sorted by area: the
/// finest head the smallest, each head as many as the others (the coarser ones the rest).
pub fn masks(strides: &[usize], n: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..strides.len()).collect();
    order.sort_by_key(|&h| (strides[h], h));
    let per = n / strides.len().max(1);
    let extra = n % strides.len().max(1);
    let mut out = vec![Vec::new(); strides.len()];
    let mut next = 0;
    for (rank, &h) in order.iter().enumerate() {
        // the remainder goes to the coarsest heads, which see the largest objects
        let count = per + usize::from(rank >= strides.len() - extra);
        out[h] = (next..next + count).collect();
        next += count;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_clear_clusters_and_their_masks() {
        // four small boxes about 10×20, four large about 100×50
        let sizes = [
            (10.0, 20.0),
            (11.0, 19.0),
            (9.0, 21.0),
            (10.0, 20.0),
            (100.0, 50.0),
            (98.0, 52.0),
            (102.0, 48.0),
            (100.0, 50.0),
        ];
        let a = anchors(&sizes, 2, 5, 1);
        assert_eq!(a, [(10.0, 20.0), (100.0, 50.0)]);
        assert!(avg_iou(&sizes, &a) > 0.9);
        // two heads, strides 32 then 16 in cfg order: the finer (second) gets the small ones
        assert_eq!(masks(&[32, 16], 6), [vec![3, 4, 5], vec![0, 1, 2]]);
        assert_eq!(
            masks(&[8, 16, 32], 9),
            [vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8]]
        );
        assert_eq!(masks(&[32, 16], 5), [vec![2, 3, 4], vec![0, 1]]);
        assert!((shape_iou((10.0, 10.0), (20.0, 20.0)) - 0.25).abs() < 1e-6);
    }
}
