//! Every WGSL file parses and validates with naga, each `Params` struct has the size and
//! field offsets of its `#[repr(C)]` Rust mirror, every registered kernel is an entry point of
//! its family, and the names both sides share (activation numbers, binding indices) agree.

#![cfg(feature = "gpu")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

use csplens::backend::wgpu::kernels::{
    Accumulate, ConvParams, EwParams, Kernel, PoolParams, Precision, SOURCES, act, conv_binding,
    ew_binding, pool_binding, prelude,
};
use std::mem::{offset_of, size_of};

/// A family as the registry compiles it at `precision` (its prelude first).
fn module_at(name: &str, precision: Precision) -> naga::Module {
    module_with(name, precision, Accumulate::F32)
}

/// The same with the GEMM kernels accumulating in `accumulate`.
fn module_with(name: &str, precision: Precision, accumulate: Accumulate) -> naga::Module {
    let family = SOURCES
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(_, s)| *s)
        .expect("registered");
    let src = format!("{}{family}", prelude(precision, accumulate));
    naga::front::wgsl::parse_str(&src)
        .unwrap_or_else(|e| panic!("{name} ({precision:?}): {}", e.emit_to_string(&src)))
}

fn module(name: &str) -> naga::Module {
    module_at(name, Precision::F32)
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
        let variants = [
            (Precision::F32, Accumulate::F32),
            (Precision::F16, Accumulate::F32),
            (Precision::F16, Accumulate::F16),
        ];
        for (precision, accumulate) in variants {
            let m = module_with(name, precision, accumulate);
            let mut v = naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::all(),
            );
            v.validate(&m)
                .unwrap_or_else(|e| panic!("{name} ({precision:?}, {accumulate:?}): {e:?}"));
        }
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
            out2,
            out2_offset,
            pool,
            _pad1,
            _pad2
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
            in_c, in_h, in_w, ksize, pad, in_offset, out_offset
        ]
    );
}

/// (name, value) of every `const` of type u32 the module declares.
fn u32_constants(m: &naga::Module) -> Vec<(String, u32)> {
    m.constants
        .iter()
        .filter_map(|(_, c)| {
            let name = c.name.clone()?;
            match m.global_expressions[c.init] {
                naga::Expression::Literal(naga::Literal::U32(v)) => Some((name, v)),
                _ => None,
            }
        })
        .collect()
}

#[test]
fn activation_numbers_agree_by_name() {
    for family in ["activation.wgsl", "conv.wgsl", "elementwise.wgsl"] {
        let mut wgsl: Vec<(String, u32)> = u32_constants(&module(family))
            .into_iter()
            .filter(|(n, _)| n.starts_with("ACT_"))
            .collect();
        wgsl.sort();
        let mut rust: Vec<(String, u32)> = act::ALL.iter().map(|&(n, v)| (n.into(), v)).collect();
        rust.sort();
        assert_eq!(wgsl, rust, "{family}: the ACT_* constants and kernels::act");
    }
    // distinct numbers: two names on one number would run one activation for the other
    let mut values: Vec<u32> = act::ALL.iter().map(|&(_, v)| v).collect();
    values.sort();
    values.dedup();
    assert_eq!(values.len(), act::ALL.len());
}

#[test]
fn binding_indices_agree_by_name() {
    for (family, rust) in [
        ("conv.wgsl", conv_binding::ALL),
        ("elementwise.wgsl", ew_binding::ALL),
        ("pool.wgsl", pool_binding::ALL),
    ] {
        let m = module(family);
        let mut wgsl: Vec<(String, u32)> = m
            .global_variables
            .iter()
            .filter_map(|(_, g)| {
                let b = g.binding.as_ref()?;
                assert_eq!(b.group, 0, "{family}: one bind group");
                Some((g.name.clone()?.to_uppercase(), b.binding))
            })
            .collect();
        wgsl.sort();
        let mut rust: Vec<(String, u32)> = rust.iter().map(|&(n, v)| (n.into(), v)).collect();
        rust.sort();
        assert_eq!(
            wgsl, rust,
            "{family}: every binding, named alike on both sides"
        );
    }
}

#[test]
fn every_registered_kernel_is_an_entry_point_of_its_family() {
    let kernels = Kernel::ALL;
    let mut entries = Vec::new();
    for (family, _) in SOURCES {
        let m = module(family);
        entries.extend(m.entry_points.iter().map(|e| (family, e.name.clone())));
    }
    for k in kernels {
        let (family, entry) = k.entry();
        assert!(
            entries.iter().any(|(f, e)| *f == family && e == entry),
            "{k:?}: no entry point {entry} in {family}"
        );
    }
    assert_eq!(
        entries.len(),
        kernels.len(),
        "an entry point no kernel names: {entries:?}"
    );
}
