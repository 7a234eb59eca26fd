//! Edge channel ranges and CSP splits: yolov4-tiny's three `groups=2` splits rejoin five
//! layers later, every corpus edge's range lies inside its producer, and networks without
//! `groups` routes have no split.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{analyze_corpus, cfgs_under, corpus_dir};
use csplens::graph::csp::{EdgeKind, edges, splits};
use csplens::graph::layout;

#[test]
fn yolov4_tiny_has_three_csp_splits_rejoined_five_layers_later() {
    let a = analyze_corpus("darknet/yolov4-tiny.cfg");
    let e = edges(&a.network, &a.shapes);
    let s = splits(&a.network, &e);
    let routes: Vec<_> = s.iter().map(|x| (x.route, x.source - 1, x.merge)).collect();
    assert_eq!(
        routes,
        vec![(3, 2, Some(8)), (11, 10, Some(16)), (19, 18, Some(24))]
    );
    let first = &e[s[0].taken[0]];
    assert_eq!(first.kind, EdgeKind::Slice);
    assert_eq!(first.label(), "ch 32–63 of 64");
    // the bypass is the source's own edge into the rejoining concatenation
    assert_eq!(s[0].bypass.len(), 1);
    let b = &e[s[0].bypass[0]];
    assert_eq!((b.from, b.to, b.label()), (3, 9, "64 ch".to_string()));
    // the sliced branch in layer indices: 2→3 (the slice), 3→4, 4→5, route 6 reads 5 and 4,
    // 6→7, 7→8
    assert_eq!(s[0].taken.len(), 7);
    for &k in &s[0].taken {
        assert!(e[k].from >= 3 && e[k].to <= 9, "{:?}", e[k]);
    }
}

#[test]
fn edges_align_with_the_layout_and_ranges_fit_their_producers() {
    let mut checked = 0;
    for path in cfgs_under(&corpus_dir()) {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(a) = csplens::analyze(&path.display().to_string(), &bytes, Default::default())
        else {
            continue;
        };
        let l = layout(&a.network);
        let e = edges(&a.network, &a.shapes);
        assert_eq!(e.len(), l.edges.len(), "{}", path.display());
        for (info, chain) in e.iter().zip(&l.edges) {
            assert_eq!((info.from, info.to), (chain[0], *chain.last().unwrap()));
            assert!(
                info.lo < info.hi || info.total == 0,
                "{}: {info:?}",
                path.display()
            );
            assert!(info.hi <= info.total, "{}: {info:?}", path.display());
        }
        for s in splits(&a.network, &e) {
            if let Some(m) = s.merge {
                assert!(m > s.route);
                assert!(!s.bypass.is_empty(), "{}: {s:?}", path.display());
            }
        }
        checked += 1;
    }
    assert_eq!(checked, common::shapeable_count(), "cfgs loaded");
}

#[test]
fn plain_networks_have_no_split() {
    for rel in ["darknet/yolov3-tiny.cfg", "darknet/darknet53.cfg"] {
        let a = analyze_corpus(rel);
        let e = edges(&a.network, &a.shapes);
        assert!(splits(&a.network, &e).is_empty(), "{rel}");
        assert!(e.iter().all(|x| x.kind != EdgeKind::Slice));
    }
}
