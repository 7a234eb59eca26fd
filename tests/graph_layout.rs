//! The layered layout: edges always step down one rank, ranks never overlap, the barycentre
//! sweeps do not add crossings, and every corpus cfg lays out quickly.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use csplens::graph::{Layout, NodeKind, crossings, layout};

fn check(l: &Layout, what: &str) {
    for chain in &l.edges {
        for w in chain.windows(2) {
            assert_eq!(
                l.nodes[w[1]].rank,
                l.nodes[w[0]].rank + 1,
                "{what}: edge {chain:?} must step one rank at a time"
            );
        }
        assert!(
            !matches!(l.nodes[chain[0]].kind, NodeKind::Dummy)
                && !matches!(l.nodes[*chain.last().unwrap()].kind, NodeKind::Dummy)
        );
    }
    for rank in &l.ranks {
        for w in rank.windows(2) {
            assert!(
                l.nodes[w[1]].x - l.nodes[w[0]].x >= 0.999,
                "{what}: nodes overlap in a rank"
            );
        }
    }
}

fn index_order_crossings(l: &Layout) -> usize {
    let mut plain = l.clone();
    for rank in &mut plain.ranks {
        rank.sort_unstable();
    }
    crossings(&plain)
}

#[test]
fn yolov4_tiny_ranks_and_splits() {
    let a = common::analyze_corpus("darknet/yolov4-tiny.cfg");
    let l = layout(&a.network);
    check(&l, "yolov4-tiny");
    assert_eq!(l.nodes[0].kind, NodeKind::Input);
    // layer 3 (the groups=2 split of layer 2) sits right below it; the route 8 joins 2 and 7
    assert_eq!(
        l.layer_node(3).unwrap().rank,
        l.layer_node(2).unwrap().rank + 1
    );
    assert_eq!(
        l.layer_node(8).unwrap().rank,
        l.layer_node(7).unwrap().rank + 1
    );
    assert!(crossings(&l) <= index_order_crossings(&l));
}

#[test]
fn toy_dense_block_is_a_chain_with_skip_edges() {
    let a = common::analyze_corpus("synthetic/toy_dense.cfg");
    let l = layout(&a.network);
    check(&l, "toy_dense");
    let ranks: Vec<usize> = (0..a.network.layers.len())
        .map(|i| l.layer_node(i).unwrap().rank)
        .collect();
    assert_eq!(ranks[..4], [1, 2, 3, 4]);
    assert!(
        l.nodes.iter().any(|n| n.kind == NodeKind::Dummy),
        "route 2 skips a rank back to layer 0"
    );
}

#[test]
fn every_corpus_cfg_lays_out() {
    let dir = common::corpus_dir();
    let t = std::time::Instant::now();
    let mut count = 0;
    for path in common::cfgs_under(&dir) {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(a) = csplens::analyze("c.cfg", &bytes, Default::default()) else {
            continue;
        };
        let l = layout(&a.network);
        check(&l, &path.display().to_string());
        assert!(
            crossings(&l) <= index_order_crossings(&l),
            "{}",
            path.display()
        );
        count += 1;
    }
    assert_eq!(count, common::shapeable_count());
    assert!(
        t.elapsed().as_secs() < 120,
        "layouts took {:?}",
        t.elapsed()
    );
}
