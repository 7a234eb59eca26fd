//! Hostile images are refused with a message before any large allocation.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use csplens::detect::image::{self, ImageError};

use common::png_claiming;

#[test]
fn huge_declared_size_is_refused_from_the_header() {
    let err = image::decode(&png_claiming(100_000, 100_000)).unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::TooLarge {
                w: 100_000,
                h: 100_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("100000×100000"), "{err}");
}

#[test]
fn empty_text_and_corrupt_files() {
    assert_eq!(image::decode(&[]).unwrap_err(), ImageError::Empty);
    assert_eq!(
        image::decode(b"[net]\nwidth=416\n").unwrap_err(),
        ImageError::UnknownFormat
    );
    let bus = std::fs::read(common::models::image("bus.jpg")).unwrap();
    for cut in [20, 600, 5_000, 100_000] {
        let r = image::decode(&bus[..cut]);
        assert!(
            matches!(r, Err(ImageError::Corrupt(_))),
            "cut at {cut}: {r:?}"
        );
    }
    let small = png_claiming(4, 4);
    assert!(matches!(image::decode(&small), Err(ImageError::Corrupt(_))));
}

#[test]
fn resize_matches_darknet_resize_image_on_a_known_case() {
    // 3×1 → 2×1: w_scale = (3−1)/(2−1) = 2, column 0 samples x=0, the last column is copied.
    let im = image::Image {
        w: 3,
        h: 1,
        c: 1,
        data: vec![0.0, 0.5, 1.0],
    };
    assert_eq!(image::resize(&im, 2, 1).data, vec![0.0, 1.0]);
    // 2×1 → 3×1: w_scale = 0.5, column 1 is halfway.
    let im = image::Image {
        w: 2,
        h: 1,
        c: 1,
        data: vec![0.0, 1.0],
    };
    assert_eq!(image::resize(&im, 3, 1).data, vec![0.0, 0.5, 1.0]);
    let lb = image::letterbox(
        &image::Image {
            w: 4,
            h: 2,
            c: 1,
            data: vec![1.0; 8],
        },
        4,
        4,
    );
    assert_eq!(lb.data[..4], [0.5; 4], "letterbox pads with grey");
    assert_eq!(lb.data[4..12], [1.0; 8]);
}

/// darknet's `resize_image` (src/image.c) transcribed loop for loop.
fn darknet_resize(im: &image::Image, w: usize, h: usize) -> Vec<f32> {
    let at = |x: usize, y: usize, k: usize| im.data[(k * im.h + y) * im.w + x];
    let w_scale = (im.w as f32 - 1.0) / (w as f32 - 1.0);
    let h_scale = (im.h as f32 - 1.0) / (h as f32 - 1.0);
    let mut part = vec![0f32; im.c * im.h * w];
    for k in 0..im.c {
        for r in 0..im.h {
            for c in 0..w {
                part[(k * im.h + r) * w + c] = if c == w - 1 || im.w == 1 {
                    at(im.w - 1, r, k)
                } else {
                    let sx = c as f32 * w_scale;
                    let ix = sx as usize;
                    let dx = sx - ix as f32;
                    (1.0 - dx) * at(ix, r, k) + dx * at(ix + 1, r, k)
                };
            }
        }
    }
    let mut out = vec![0f32; im.c * h * w];
    for k in 0..im.c {
        for r in 0..h {
            let sy = r as f32 * h_scale;
            let iy = sy as usize;
            let dy = sy - iy as f32;
            for c in 0..w {
                out[(k * h + r) * w + c] = (1.0 - dy) * part[(k * im.h + iy) * w + c];
            }
            if r == h - 1 || im.h == 1 {
                continue;
            }
            for c in 0..w {
                out[(k * h + r) * w + c] += dy * part[(k * im.h + iy + 1) * w + c];
            }
        }
    }
    out
}

#[test]
fn resize_equals_darknets_loops_bit_for_bit() {
    let mut rng = common::random::Lcg(7);
    let im = image::Image {
        w: 37,
        h: 23,
        c: 3,
        data: (0..3 * 37 * 23).map(|_| rng.next().abs()).collect(),
    };
    for (w, h) in [(416, 416), (13, 7), (37, 23 * 3), (2, 2), (100, 9)] {
        let ours = image::resize(&im, w, h).data;
        let theirs = darknet_resize(&im, w, h);
        assert!(
            ours.iter()
                .zip(&theirs)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{w}×{h}"
        );
        assert_eq!(ours.len(), theirs.len());
    }
}

#[test]
fn nms_kinds_follow_darknet() {
    use csplens::detect::boxes::{Candidate, NmsKind, RelBox, diou, iou, nms};
    let a = RelBox {
        x: 0.5,
        y: 0.5,
        w: 0.2,
        h: 0.2,
    };
    let b = RelBox {
        x: 0.55,
        y: 0.5,
        w: 0.2,
        h: 0.2,
    };
    let i = iou(&a, &b);
    assert!((i - 0.15 * 0.2 / (0.08 - 0.03)).abs() < 1e-6, "{i}");
    // enclosing box 0.25 × 0.2: c = 0.1025, d = 0.0025, (d/c)^0.6
    let want = i - (0.0025f32 / 0.1025).powf(0.6);
    assert!((diou(&a, &b) - want).abs() < 1e-6);
    let cand = |bbox: RelBox, p: f32| Candidate {
        bbox,
        objectness: p,
        prob: vec![p],
        origin: Default::default(),
    };
    for (kind, kept) in [
        (NmsKind::Default, 1),
        (NmsKind::Greedy, 1),
        (NmsKind::Diou(0.6), 1),
    ] {
        let mut dets = vec![cand(b, 0.6), cand(a, 0.9)];
        nms(&mut dets, 1, 0.45, kind);
        assert_eq!(
            dets.iter().filter(|d| d.prob[0] > 0.0).count(),
            kept,
            "{kind:?}"
        );
        assert_eq!(dets[0].prob[0], 0.9, "the stronger box survives");
    }
    // far apart boxes both survive
    let far = RelBox {
        x: 0.1,
        y: 0.1,
        w: 0.1,
        h: 0.1,
    };
    let mut dets = vec![cand(a, 0.9), cand(far, 0.8)];
    nms(&mut dets, 1, 0.45, NmsKind::Greedy);
    assert_eq!(dets.iter().filter(|d| d.prob[0] > 0.0).count(), 2);
}

/// Found by the `image` fuzz target (reported by LeakSanitizer while jpeg-decoder's worker
/// threads were still finishing): a mutated large JPEG. It must decode or be refused cleanly,
/// and repeatedly, without leaving anything behind that breaks the next decode.
#[test]
fn fuzz_found_jpeg_decodes_or_is_refused_cleanly() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz/image-leak-ec89456e.bin");
    let bytes = std::fs::read(path).unwrap();
    let first = image::decode(&bytes).map(|im| (im.w, im.h));
    for _ in 0..20 {
        assert_eq!(image::decode(&bytes).map(|im| (im.w, im.h)), first);
    }
}
