//! Where every layer's output lives on the GPU: routes cost no kernel where the storage-offset
//! alignment allows it. A `groups` slice or a one-layer route is a view into its producer's
//! buffer; a concatenation is one region its producers write into at their channel offsets.
//! Regions whose lifetimes do not overlap may share a buffer (the liveness plan).

use crate::backend::Model;
use crate::kinds::{LayerKind, Src};

/// A layer's output: `bytes` at `offset` in region `region`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// Index into [`Plan::regions`].
    pub region: usize,
    /// Byte offset in the region.
    pub offset: u64,
    /// Bytes of the output.
    pub bytes: u64,
}

/// One allocation: the output of a root layer and everything placed inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Bytes (the root layer's output, at least 4).
    pub bytes: u64,
    /// The first layer that writes into it.
    pub first: usize,
    /// The last layer that reads it (`usize::MAX` when an output is read back).
    pub last: usize,
}

/// The placement of one network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// One per layer.
    pub places: Vec<Place>,
    /// One per allocation.
    pub regions: Vec<Region>,
    /// Per layer: the layer it was placed inside and the byte offset there.
    pub parent: Vec<Option<(usize, u64)>>,
    /// Per layer: a concatenation it feeds but could not be placed in, which its
    /// convolution writes a second time instead of the route copying it: (route, byte
    /// offset in the route's output).
    pub second: Vec<Option<(usize, u64)>>,
    /// Per layer: the max pool fused after its convolution, which then writes the pool's
    /// output and none of its own (its place is a 4-byte stub).
    pub pools: Vec<Option<usize>>,
}

impl Plan {
    /// Whether route `i`'s input `j` writes straight into the route's region.
    pub fn writes_in_place(&self, j: usize, i: usize) -> bool {
        matches!(self.parent[j], Some((p, _)) if p == i)
    }

    /// The fused heads of `heads` whose convolutions the plan kept in the head's place (a
    /// conflict may have undone one: that head then runs as its own kernel).
    pub fn placed_heads(&self, heads: &[Option<usize>]) -> Vec<Option<usize>> {
        heads
            .iter()
            .enumerate()
            .map(|(j, &k)| k.filter(|&k| self.parent[j] == Some((k, 0))))
            .collect()
    }

    /// Whether layer `i` is a view of its producer (it runs nothing).
    pub fn is_view(&self, a: Model<'_>, i: usize) -> bool {
        match (&a.network.layers[i].kind, self.parent[i]) {
            (LayerKind::Route(r), Some((p, _))) => r.layers.len() == 1 && r.layers[0] == p,
            _ => false,
        }
    }
}

/// Bytes of layer `i`'s output at `elem` bytes per value.
fn out_bytes(a: Model<'_>, i: usize, elem: u64) -> u64 {
    a.shapes.layers[i].outputs as u64 * elem
}

/// Places every layer. `align` is the device's storage-buffer offset alignment: a view or an
/// in-place write needs its offset to be a multiple of it (else the route copies).
/// `heads[j] = Some(k)`: yolo layer `k` is fused into convolution `j`, which then writes the
/// head's output (its own place is the head's). `elem`: bytes per stored value.
pub fn plan(
    a: Model<'_>,
    align: u64,
    elem: u64,
    heads: &[Option<usize>],
    pools: &[Option<usize>],
) -> Plan {
    let n = a.network.layers.len();
    let align = align.max(4);
    let mut parent: Vec<Option<(usize, u64)>> = vec![None; n];
    for (j, head) in heads.iter().enumerate() {
        if let Some(k) = *head {
            parent[j] = Some((k, 0));
        }
    }
    for (i, layer) in a.network.layers.iter().enumerate() {
        let LayerKind::Route(r) = &layer.kind else {
            continue;
        };
        if let [j] = r.layers[..] {
            let offset = out_bytes(a, j, elem) / r.groups.max(1) as u64 * r.group_id as u64;
            if offset.is_multiple_of(align) {
                parent[i] = Some((j, offset));
            }
        } else if r.groups == 1 {
            let mut at = 0u64;
            for &j in &r.layers {
                // a layer listed twice is written in place at most once: copied both times
                let once = r.layers.iter().filter(|&&x| x == j).count() == 1;
                if once && parent[j].is_none() && at.is_multiple_of(align) {
                    parent[j] = Some((i, at));
                }
                at += out_bytes(a, j, elem);
            }
        }
    }
    while let Some(child) = first_conflict(a, &parent, heads) {
        parent[child] = None;
    }
    let second = seconds(a, &parent, align, elem, heads);
    let mut plan = regions(a, parent, second, elem);
    for (j, pool) in pools.iter().enumerate() {
        if let Some(k) = *pool {
            // nothing reads or writes a convolution's own output when its pool is fused
            plan.places[j].bytes = plan.places[j].bytes.min(4);
            let region = &mut plan.regions[plan.places[j].region];
            if region.first == j {
                region.bytes = region.bytes.min(4);
            }
            // the pool's output is written when the convolution runs: live from then on
            let region = &mut plan.regions[plan.places[k].region];
            region.first = region.first.min(j);
        }
    }
    plan.pools = pools.to_vec();
    plan
}

/// Whether layer `j`'s kernel can store its output a second time: a convolution's can (not
/// its antialiasing blur's, nor one whose head is fused into it).
fn stores_twice(a: Model<'_>, j: usize, heads: &[Option<usize>]) -> bool {
    let conv =
        matches!(&a.network.layers[j].kind, LayerKind::Convolutional(c) if c.antialiasing == 0);
    conv && heads.get(j).is_none_or(Option::is_none)
}

/// The second places: each concatenation's part that is not written in place and whose
/// producer stores twice, where the part's offset is aligned and the producer reads nothing
/// of the concatenation's region.
fn seconds(
    a: Model<'_>,
    parent: &[Option<(usize, u64)>],
    align: u64,
    elem: u64,
    heads: &[Option<usize>],
) -> Vec<Option<(usize, u64)>> {
    let mut second = vec![None; parent.len()];
    for (i, layer) in a.network.layers.iter().enumerate() {
        let LayerKind::Route(r) = &layer.kind else {
            continue;
        };
        if r.groups != 1 || r.layers.len() < 2 {
            continue;
        }
        let (root_i, base) = root(parent, i);
        let mut at = 0u64;
        for &j in &r.layers {
            let once = r.layers.iter().filter(|&&x| x == j).count() == 1;
            let in_place = matches!(parent[j], Some((p, _)) if p == i);
            let reads_region = a.network.layers[j]
                .inputs
                .iter()
                .any(|s| matches!(*s, Src::Layer(x) if root(parent, x).0 == root_i));
            if once
                && !in_place
                && second[j].is_none()
                && stores_twice(a, j, heads)
                && (base + at).is_multiple_of(align)
                && root(parent, j).0 != root_i
                && !reads_region
            {
                second[j] = Some((i, at));
            }
            at += out_bytes(a, j, elem);
        }
    }
    second
}

/// The root layer of `i` and `i`'s byte offset in it.
fn root(parent: &[Option<(usize, u64)>], mut i: usize) -> (usize, u64) {
    let mut offset = 0;
    while let Some((p, o)) = parent[i] {
        offset += o;
        i = p;
    }
    (i, offset)
}

/// The ancestor of `i` placed directly in root `r` (or `i` when it is `r`).
fn top(parent: &[Option<(usize, u64)>], mut i: usize, r: usize) -> usize {
    while let Some((p, _)) = parent[i] {
        if p == r {
            return i;
        }
        i = p;
    }
    i
}

/// Finds the first layer whose commands would read from the region they write into (a dispatch
/// may not bind one buffer both to read and to write, nor may a copy stay within one buffer)
/// and returns the layer whose placement to undo.
/// Where the reader and the read are parts of one concatenation (the inner CSP block's
/// second convolution reads its first), the read part is taken out when its convolution can
/// store twice (it then writes its own buffer and the concatenation: no copy), else the
/// reader.
fn first_conflict(
    a: Model<'_>,
    parent: &[Option<(usize, u64)>],
    heads: &[Option<usize>],
) -> Option<usize> {
    for (k, layer) in a.network.layers.iter().enumerate() {
        let (rk, _) = root(parent, k);
        let is_view = matches!(parent[k], Some((p, _)) if layer.inputs == [Src::Layer(p)]);
        if is_view {
            continue;
        }
        for src in &layer.inputs {
            let Src::Layer(j) = *src else { continue };
            if matches!(parent[j], Some((p, _)) if p == k) {
                continue; // written in place: nothing reads it here
            }
            if root(parent, j).0 == rk {
                let read = top(parent, j, rk);
                let read_is_a_part = read != rk
                    && matches!(parent[read], Some((p, _)) if matches!(a.network.layers[p].kind, LayerKind::Route(_)));
                return Some(
                    if k == rk || (read_is_a_part && stores_twice(a, read, heads)) {
                        read
                    } else {
                        top(parent, k, rk)
                    },
                );
            }
        }
    }
    None
}

/// Regions from the placement: one per root, live from the first write into it to the last
/// read of anything in it.
fn regions(
    a: Model<'_>,
    parent: Vec<Option<(usize, u64)>>,
    second: Vec<Option<(usize, u64)>>,
    elem: u64,
) -> Plan {
    let n = parent.len();
    let readers = a.network.last_readers();
    let mut index_of = vec![usize::MAX; n];
    let mut regions: Vec<Region> = Vec::new();
    let mut places = Vec::with_capacity(n);
    for (i, reader) in readers.iter().enumerate() {
        let (r, offset) = root(&parent, i);
        if index_of[r] == usize::MAX {
            index_of[r] = regions.len();
            regions.push(Region {
                bytes: out_bytes(a, r, elem).max(4),
                first: i,
                last: i,
            });
        }
        let region = &mut regions[index_of[r]];
        region.first = region.first.min(i);
        region.last = region.last.max(reader.map_or(usize::MAX, |c| c.max(i)));
        places.push(Place {
            region: index_of[r],
            offset,
            bytes: out_bytes(a, i, elem),
        });
    }
    // a second place is written when its producer runs: the region is live from then on
    for (j, s) in second.iter().enumerate() {
        if let Some((i, _)) = *s {
            let region = &mut regions[places[i].region];
            region.first = region.first.min(j);
        }
    }
    Plan {
        places,
        regions,
        parent,
        second,
        pools: vec![None; n],
    }
}

/// Assigns each region a buffer slot: with `shared`, a region reuses the slot of one whose
/// last reader has run (the smallest that fits), else every region has its own. Returns the
/// slot of each region and each slot's size in bytes.
pub fn share(regions: &[Region], shared: bool) -> (Vec<usize>, Vec<u64>) {
    if !shared {
        return (
            (0..regions.len()).collect(),
            regions.iter().map(|r| r.bytes).collect(),
        );
    }
    let mut order: Vec<usize> = (0..regions.len()).collect();
    order.sort_by_key(|&r| (regions[r].first, r));
    let mut slot_of = vec![0; regions.len()];
    let mut sizes: Vec<u64> = Vec::new();
    // (slot, free after this layer)
    let mut busy: Vec<(usize, usize)> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    for r in order {
        let Region { bytes, first, last } = regions[r];
        let (done, live): (Vec<_>, Vec<_>) = busy.into_iter().partition(|&(_, end)| end < first);
        busy = live;
        free.extend(done.into_iter().map(|(s, _)| s));
        let pick = free
            .iter()
            .enumerate()
            .filter(|(_, s)| sizes[**s] >= bytes)
            .min_by_key(|(_, s)| sizes[**s])
            .map(|(k, _)| k);
        let slot = match pick {
            Some(k) => free.swap_remove(k),
            None => {
                sizes.push(bytes);
                sizes.len() - 1
            }
        };
        slot_of[r] = slot;
        busy.push((slot, last));
    }
    (slot_of, sizes)
}

/// For each convolution whose one reader `k` reads nothing else and passes
/// `fusable(conv, j, k)`, that reader (run in the convolution's epilogue). None without shared
/// buffers: every layer's own output is then kept for the caller ([`GpuNet::forward_all`]).
fn fused_readers(
    a: Model<'_>,
    shared: bool,
    fusable: impl Fn(&crate::kinds::Conv, usize, usize) -> bool,
) -> Vec<Option<usize>> {
    let layers = &a.network.layers;
    if !shared {
        return vec![None; layers.len()];
    }
    let readers = a.network.consumers();
    let plain = |c: &crate::kinds::Conv| {
        c.antialiasing == 0 && crate::backend::wgpu::kernels::normalization(c.activation).is_none()
    };
    (layers.iter().enumerate())
        .map(|(j, layer)| {
            let LayerKind::Convolutional(c) = &layer.kind else {
                return None;
            };
            let [k] = readers[j][..] else {
                return None;
            };
            let alone = layers[k].inputs == [Src::Layer(j)];
            (alone && plain(c) && fusable(c, j, k)).then_some(k)
        })
        .collect()
}

/// For each layer, the max pool fused after it: a convolution run by an implicit-GEMM kernel
/// (`gemm[j]`), whose one reader is a 2×2, stride-2 max pool, at even width and height (every
/// window whole: darknet's offset −padding/2 is 0 for padding 0 or 1), writes the pool's
/// output itself (one dispatch and one pass over the convolution's output fewer).
pub fn fused_pools(a: Model<'_>, shared: bool, gemm: &[bool]) -> Vec<Option<usize>> {
    let shapes = &a.shapes.layers;
    fused_readers(a, shared, |c, j, k| {
        let LayerKind::Maxpool(pl) = &a.network.layers[k].kind else {
            return false;
        };
        let (conv, pool) = (shapes[j].output, shapes[k].output);
        gemm.get(j).copied().unwrap_or(false)
            && c.groups == 1
            && shapes[j].pre_blur.is_none()
            && (pl.size, pl.stride_x, pl.stride_y) == (2, 2, 2)
            && pl.padding < 2
            && !pl.maxpool_depth
            && pl.antialiasing == 0
            && conv.h % 2 == 0
            && conv.w % 2 == 0
            && (pool.c, pool.h, pool.w) == (conv.c, conv.h / 2, conv.w / 2)
    })
}

/// For each layer, the yolo head fused into it: a convolution whose one reader is a yolo layer
/// writes the head's output itself (one dispatch fewer per head).
pub fn fused_heads(a: Model<'_>, shared: bool) -> Vec<Option<usize>> {
    let shapes = &a.shapes.layers;
    fused_readers(a, shared, |_, j, k| {
        matches!(a.network.layers[k].kind, LayerKind::Yolo(_))
            && shapes[k].outputs == shapes[j].outputs
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::Analysis;

    fn m(a: &Analysis) -> Model<'_> {
        a.into()
    }

    fn analysis(cfg: &str) -> Analysis {
        crate::analyze("t.cfg", cfg.as_bytes(), Default::default())
            .unwrap_or_else(|f| panic!("{}", f.render()))
    }

    /// Every layer's range lies inside its region, and two layers of one region overlap only
    /// where one is a view into the other or written into it.
    fn check_disjoint(a: Model<'_>, p: &Plan) {
        for (i, pi) in p.places.iter().enumerate() {
            assert!(
                pi.offset + pi.bytes <= p.regions[pi.region].bytes,
                "layer {i}"
            );
            for (j, pj) in p.places.iter().enumerate().skip(i + 1) {
                let overlap = pi.region == pj.region
                    && pi.offset < pj.offset + pj.bytes
                    && pj.offset < pi.offset + pi.bytes;
                let related = root(&p.parent, i).0 == j
                    || root(&p.parent, j).0 == i
                    || p.is_view(a, j)
                    || p.is_view(a, i)
                    || ancestors(&p.parent, i).contains(&j)
                    || ancestors(&p.parent, j).contains(&i);
                assert!(!overlap || related, "layers {i} and {j} overlap");
            }
        }
    }

    fn ancestors(parent: &[Option<(usize, u64)>], mut i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        while let Some((p, _)) = parent[i] {
            out.push(p);
            i = p;
        }
        out
    }

    #[test]
    fn yolov4_tiny_routes_cost_nothing_at_416() {
        let a = analysis(include_str!("../../../../assets/yolov4-tiny.cfg"));
        let p = plan(m(&a), 256, 4, &[], &[]);
        check_disjoint(m(&a), &p);
        // (route, input) pairs not written in place: the inner CSP concats' first convolution,
        // which the second one reads (a dispatch may not read and write one buffer), and layer
        // 23, which feeds two concats (24 and 34) and can be placed in only one. Each is a
        // convolution that stores its output a second time into the concat: nothing is copied
        let mut apart = Vec::new();
        for (i, layer) in a.network.layers.iter().enumerate() {
            let LayerKind::Route(r) = &layer.kind else {
                continue;
            };
            if !p.is_view(m(&a), i) {
                apart.extend(
                    r.layers
                        .iter()
                        .filter(|&&j| !p.writes_in_place(j, i))
                        .map(|&j| (i, j)),
                );
            }
        }
        assert_eq!(apart, [(6, 4), (14, 12), (22, 20), (34, 23)]);
        for (i, j) in apart {
            let (route, at) = p.second[j].expect("stored a second time");
            assert_eq!(route, i);
            // its part: after the route's first input
            let LayerKind::Route(r) = &a.network.layers[i].kind else {
                panic!("{i} is a route");
            };
            let first = (a.shapes.layers[r.layers[0]].outputs * 4) as u64;
            assert_eq!(at, if r.layers[0] == j { 0 } else { first });
        }
        // the second place's region is live from the convolution that writes it
        for (j, s) in p.second.iter().enumerate() {
            if let Some((i, _)) = s {
                assert!(p.regions[p.places[*i].region].first <= j);
            }
        }
        // the CSP block at 104²: layer 2 writes into route 8, route 3 is its upper half
        let (r8, _) = root(&p.parent, 8);
        assert_eq!(root(&p.parent, 2), (r8, 0));
        let half = (a.shapes.layers[2].outputs * 2) as u64;
        assert_eq!(root(&p.parent, 3), (r8, half));
        assert_eq!(p.places[3].bytes, half);
        // layer 7 (the 1×1 after the inner concat) writes the second half of route 8
        assert_eq!(p.places[7].offset, 2 * half);
    }

    #[test]
    fn fused_heads_are_written_by_their_convolutions() {
        let a = analysis(include_str!("../../../../assets/yolov4-tiny.cfg"));
        let heads = fused_heads(m(&a), true);
        let fused: Vec<_> = heads
            .iter()
            .enumerate()
            .filter_map(|(j, k)| k.map(|k| (j, k)))
            .collect();
        assert_eq!(fused, [(29, 30), (36, 37)]);
        assert!(fused_heads(m(&a), false).iter().all(Option::is_none));
        let p = plan(m(&a), 256, 4, &heads, &[]);
        check_disjoint(m(&a), &p);
        assert_eq!(p.placed_heads(&heads), heads);
        for &(j, k) in &fused {
            assert_eq!(p.places[j], p.places[k], "conv {j} writes head {k}");
            let region = p.regions[p.places[k].region];
            assert_eq!((region.first, region.last), (j, usize::MAX));
        }
        // the head slots are live from their convolutions: no region of a layer the
        // convolution reads shares their buffers
        let (slot_of, _) = share(&p.regions, true);
        for (j, _) in fused {
            let Some(Src::Layer(input)) = a.network.layers[j].inputs.first().copied() else {
                panic!("layer {j} reads a layer");
            };
            assert_ne!(slot_of[p.places[input].region], slot_of[p.places[j].region]);
        }
    }

    #[test]
    fn misaligned_offsets_fall_back_to_copies() {
        // 13 × 11 planes: a channel is 572 bytes, never a multiple of 256
        let a = analysis(
            "[net]\nwidth=13\nheight=11\nchannels=3\n\n\
             [convolutional]\nfilters=6\nsize=3\npad=1\nactivation=leaky\n\n\
             [route]\nlayers=-1\ngroups=2\ngroup_id=1\n\n\
             [convolutional]\nfilters=3\nsize=1\nactivation=leaky\n\n\
             [route]\nlayers=-1,-3\n",
        );
        let p = plan(m(&a), 256, 4, &[], &[]);
        assert!(!p.is_view(m(&a), 1), "a 3-channel offset is not aligned");
        // the first input of the concat sits at offset 0: it is written in place
        assert!(p.writes_in_place(2, 3));
        assert!(!p.writes_in_place(0, 3), "offset 3 × 572 is not aligned");
        assert_eq!(p.second[0], None, "nor is its second place: copied");
        check_disjoint(m(&a), &p);
        // with 4-byte alignment the slice is a view; layer 2 reads it, so layer 0 and layer 2
        // cannot both be in the concat: layer 0 (a convolution) keeps its own buffer, which
        // the view reads, and stores its output a second time after layer 2's 3 × 572 bytes
        let p = plan(m(&a), 4, 4, &[], &[]);
        assert!(p.is_view(m(&a), 1));
        assert!(p.writes_in_place(2, 3) && !p.writes_in_place(0, 3));
        assert_eq!(p.second[0], Some((3, 3 * 572)));
        check_disjoint(m(&a), &p);
    }

    #[test]
    fn a_layer_reading_its_own_region_is_not_placed_there() {
        // route 3 = [1, 2] where 2 reads a view of 1: 2 may not write into the region it
        // reads; a shortcut adding its own concat partner the same
        let a = analysis(
            "[net]\nwidth=8\nheight=8\nchannels=3\n\n\
             [convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n\
             [convolutional]\nfilters=8\nsize=1\nactivation=leaky\n\n\
             [shortcut]\nfrom=-2\nactivation=linear\n\n\
             [route]\nlayers=-1,-2\n\n\
             [route]\nlayers=-1,0\n",
        );
        let p = plan(m(&a), 4, 4, &[], &[]);
        check_disjoint(m(&a), &p);
        for (k, layer) in a.network.layers.iter().enumerate() {
            if p.is_view(m(&a), k) {
                continue;
            }
            for src in &layer.inputs {
                let Src::Layer(j) = *src else { continue };
                if !p.writes_in_place(j, k) {
                    assert_ne!(
                        p.places[j].region, p.places[k].region,
                        "layer {k} reads layer {j} from its own region"
                    );
                }
            }
        }
    }

    #[test]
    fn a_layer_listed_twice_in_a_route_is_copied() {
        let a = analysis(
            "[net]\nwidth=8\nheight=8\nchannels=3\n\n\
             [convolutional]\nfilters=8\nsize=1\nactivation=leaky\n\n\
             [convolutional]\nfilters=8\nsize=1\nactivation=leaky\n\n\
             [route]\nlayers=-1,-1,-2\n",
        );
        let p = plan(m(&a), 4, 4, &[], &[]);
        assert!(!p.writes_in_place(1, 2));
        assert!(p.writes_in_place(0, 2));
        check_disjoint(m(&a), &p);
    }

    #[test]
    fn regions_share_buffers_only_when_their_lifetimes_do_not_overlap() {
        let a = analysis(include_str!("../../../../assets/yolov3-tiny.cfg"));
        let p = plan(m(&a), 256, 4, &[], &[]);
        let (slot_of, sizes) = share(&p.regions, true);
        for (x, rx) in p.regions.iter().enumerate() {
            assert!(sizes[slot_of[x]] >= rx.bytes);
            for (y, ry) in p.regions.iter().enumerate().skip(x + 1) {
                if slot_of[x] == slot_of[y] {
                    assert!(rx.last < ry.first || ry.last < rx.first, "{x} and {y}");
                }
            }
        }
        let total: u64 = sizes.iter().sum();
        let unshared: u64 = p.regions.iter().map(|r| r.bytes).sum();
        assert!(total < unshared / 2, "{total} of {unshared}");
    }

    #[test]
    fn yolov3_tiny_pools_fuse_into_their_gemm_convolutions() {
        let a = analysis(include_str!("../../../../assets/yolov3-tiny.cfg"));
        let n = a.network.layers.len();
        let pools = fused_pools(m(&a), true, &vec![true; n]);
        let fused: Vec<_> = pools
            .iter()
            .enumerate()
            .filter_map(|(j, k)| k.map(|k| (j, k)))
            .collect();
        // four of the five 2×2 / 2 pools (416 → 26); layer 8 (26 × 26) is read by route 20
        // too, and the sixth pool (stride 1 at 13 × 13) is no 2×2 / 2 window
        assert_eq!(fused, [(0, 1), (2, 3), (4, 5), (6, 7)]);
        assert!(
            fused_pools(m(&a), false, &vec![true; n])
                .iter()
                .all(Option::is_none)
        );
        assert!(
            fused_pools(m(&a), true, &vec![false; n])
                .iter()
                .all(Option::is_none)
        );
        let p = plan(m(&a), 256, 4, &[], &pools);
        for (j, k) in fused {
            // the convolution's own output is a stub; the pool's region is live from it
            assert_eq!(p.places[j].bytes, 4);
            assert!(p.regions[p.places[k].region].first <= j);
        }
    }
}
