//! Every WGSL file parses and validates with naga, and each `Params` struct has the size and
//! field offsets of its `#[repr(C)]` Rust mirror.

#![cfg(feature = "gpu")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

use csplens::backend::wgpu::kernels::{ConvParams, EwParams, PoolParams, SOURCES};
use std::mem::{offset_of, size_of};

fn module(name: &str) -> naga::Module {
    let src = SOURCES
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(_, s)| *s)
        .expect("registered");
    naga::front::wgsl::parse_str(src)
        .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(src)))
}

#[test]
fn every_shader_file_is_registered_parses_and_validates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    let mut registered: Vec<String> = SOURCES.iter().map(|(f, _)| f.to_string()).collect();
    registered.sort();
    assert_eq!(
        files, registered,
        "every .wgsl in shaders/ is in the kernel registry"
    );
    for (name, _) in SOURCES {
        let m = module(name);
        let mut v = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::all(),
        );
        v.validate(&m).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
}

/// (size, [(field, offset)]) of the struct `Params` in a shader.
fn layout(name: &str) -> (u32, Vec<(String, u32)>) {
    let m = module(name);
    let (_, ty) = m
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some("Params"))
        .expect("Params struct");
    match &ty.inner {
        naga::TypeInner::Struct { members, span } => (
            *span,
            members
                .iter()
                .map(|mb| (mb.name.clone().unwrap_or_default(), mb.offset))
                .collect(),
        ),
        other => panic!("{name}: Params is {other:?}"),
    }
}

macro_rules! check {
    ($file:expr, $ty:ty, [$($field:ident),* $(,)?]) => {{
        let (size, members) = layout($file);
        assert_eq!(size as usize, size_of::<$ty>(), "{} size", $file);
        let rust: Vec<(String, u32)> = vec![$((stringify!($field).to_string(), offset_of!($ty, $field) as u32)),*];
        assert_eq!(members, rust, "{} field offsets", $file);
    }};
}

#[test]
fn params_structs_match_their_rust_mirrors() {
    check!(
        "conv.wgsl",
        ConvParams,
        [
            in_c,
            in_h,
            in_w,
            out_c,
            out_h,
            out_w,
            size,
            stride_x,
            stride_y,
            pad,
            dilation,
            groups,
            in_offset,
            out_offset,
            blocks,
            splits,
            head_per,
            head_new_coords,
            head_scale_x_y,
            head_pad
        ]
    );
    check!(
        "pool.wgsl",
        PoolParams,
        [
            c, in_h, in_w, out_h, out_w, size, stride_x, stride_y, pad, out_offset, in_c, _pad1
        ]
    );
    check!(
        "elementwise.wgsl",
        EwParams,
        [
            n, c, h, w, stride, per, from_len, new_coords, scale, scale_x_y, groups, flag, coords,
            in_c, in_h, in_w, ksize, pad, _pad0, _pad1
        ]
    );
}
