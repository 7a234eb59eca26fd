//! The kernel registry: every WGSL family in `shaders/`, its entry points, and the `#[repr(C)]`
//! mirrors of each shader's `Params` (a naga test checks sizes and offsets against the WGSL).

use bytemuck::{Pod, Zeroable};

/// One compute entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Ungrouped convolution, 8 channels × 4 columns per invocation (a benchmark baseline).
    ConvBlocked,
    /// Ungrouped convolution, 4 channels × 4 columns per invocation (split-K partial sums
    /// when split).
    ConvBlocked4,
    /// Sums split-K partials, adds bias and activation.
    ConvReduce,
    /// Grouped or depthwise convolution.
    ConvGrouped,
    /// One output per invocation: the baseline the blocked kernel is benchmarked against.
    ConvNaive,
    /// Implicit GEMM through workgroup memory, 64 × 64 tiles (split-K partials when split).
    ConvGemm,
    /// Implicit GEMM with 32 × 32 tiles, for layers too small for 64 × 64 ones.
    ConvGemm32,
    /// Max pooling.
    MaxPool,
    /// `maxpool_depth`: the maximum across channel groups.
    MaxDepth,
    /// Local average pooling.
    AvgPool,
    /// Global average pooling.
    AvgGlobal,
    /// Nearest-neighbour upsampling.
    Upsample,
    /// `out += from` (shortcut).
    ShortcutAdd,
    /// `out = act(prev + from)` (an unweighted shortcut's first term).
    ShortcutSum,
    /// darknet's normalize_channels(_softmax), in place.
    NormalizeChannels,
    /// Activation in place.
    Activate,
    /// The yolo head's activation.
    Yolo,
    /// `scale_channels`.
    ScaleChannels,
    /// `sam`.
    Sam,
    /// A weighted shortcut term.
    AxpyChannel,
    /// A weighted shortcut's own term.
    ScaleByChannel,
    /// Softmax.
    Softmax,
    /// darknet's reorg permutation.
    Reorg,
    /// Reverse upsample.
    Downsample,
    /// A shortcut input of another W×H (darknet's strided sampling).
    ShortcutResampled,
    /// The centre crop.
    Crop,
    /// The region head.
    Region,
    /// `[local]`: a convolution with its own weights at every output position.
    Local,
    /// A copy of values whose bytes are not whole words (f16).
    CopyValues,
    /// Zeros over values whose bytes are not whole words (f16).
    ZeroValues,
}

pub use crate::backend::Precision;

/// What the implicit-GEMM kernels accumulate in: f32 (always, in production), or f16 as a
/// measured option (`gpu-bench`) with f16 storage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Accumulate {
    /// f32 accumulators and tiles.
    #[default]
    F32,
    /// f16 accumulators and tiles (f16 storage only).
    F16,
}

/// The WGSL every family is compiled after: the storage aliases `S` (a value) and `S4`
/// (four), which the kernels read through `f32(…)` / `vec4<f32>(…)` and write through `S(…)`,
/// and the GEMM kernels' accumulation aliases `A` / `A4`; everything else computes in f32.
pub fn prelude(precision: Precision, accumulate: Accumulate) -> &'static str {
    match (precision, accumulate) {
        (Precision::F32, _) => {
            "alias S = f32;\nalias S4 = vec4<f32>;\nalias A = f32;\nalias A4 = vec4<f32>;\n"
        }
        (Precision::F16, Accumulate::F32) => {
            "enable f16;\nalias S = f16;\nalias S4 = vec4<f16>;\nalias A = f32;\nalias A4 = vec4<f32>;\n"
        }
        (Precision::F16, Accumulate::F16) => {
            "enable f16;\nalias S = f16;\nalias S4 = vec4<f16>;\nalias A = f16;\nalias A4 = vec4<f16>;\n"
        }
    }
}

/// WGSL source of each family, compiled into the binary. WGSL has no imports: the families
/// that apply an activation get `activation.wgsl` prepended (it also validates alone).
pub const SOURCES: [(&str, &str); 4] = [
    (
        "activation.wgsl",
        include_str!("../../../shaders/activation.wgsl"),
    ),
    (
        "conv.wgsl",
        concat!(
            include_str!("../../../shaders/activation.wgsl"),
            include_str!("../../../shaders/conv.wgsl")
        ),
    ),
    ("pool.wgsl", include_str!("../../../shaders/pool.wgsl")),
    (
        "elementwise.wgsl",
        concat!(
            include_str!("../../../shaders/activation.wgsl"),
            include_str!("../../../shaders/elementwise.wgsl")
        ),
    ),
];

impl Kernel {
    /// Every kernel (the registry's naga test checks each is an entry point of its family
    /// and that no entry point is left out).
    pub const ALL: [Self; 30] = [
        Self::ConvBlocked,
        Self::ConvBlocked4,
        Self::ConvReduce,
        Self::ConvGrouped,
        Self::ConvNaive,
        Self::ConvGemm,
        Self::ConvGemm32,
        Self::MaxPool,
        Self::MaxDepth,
        Self::AvgPool,
        Self::AvgGlobal,
        Self::Upsample,
        Self::ShortcutAdd,
        Self::ShortcutSum,
        Self::NormalizeChannels,
        Self::Activate,
        Self::Yolo,
        Self::ScaleChannels,
        Self::Sam,
        Self::AxpyChannel,
        Self::ScaleByChannel,
        Self::Softmax,
        Self::Reorg,
        Self::Downsample,
        Self::ShortcutResampled,
        Self::Crop,
        Self::Region,
        Self::Local,
        Self::CopyValues,
        Self::ZeroValues,
    ];

    /// (family file, entry point).
    pub fn entry(self) -> (&'static str, &'static str) {
        match self {
            Self::ConvBlocked => ("conv.wgsl", "conv_blocked"),
            Self::ConvBlocked4 => ("conv.wgsl", "conv_blocked4"),
            Self::ConvReduce => ("conv.wgsl", "conv_reduce"),
            Self::ConvGrouped => ("conv.wgsl", "conv_grouped"),
            Self::ConvNaive => ("conv.wgsl", "conv_naive"),
            Self::ConvGemm => ("conv.wgsl", "conv_gemm"),
            Self::ConvGemm32 => ("conv.wgsl", "conv_gemm32"),
            Self::MaxPool => ("pool.wgsl", "max_pool"),
            Self::MaxDepth => ("pool.wgsl", "max_depth"),
            Self::AvgPool => ("pool.wgsl", "avg_pool"),
            Self::AvgGlobal => ("pool.wgsl", "avg_global"),
            Self::Upsample => ("elementwise.wgsl", "upsample"),
            Self::ShortcutAdd => ("elementwise.wgsl", "shortcut_add"),
            Self::ShortcutSum => ("elementwise.wgsl", "shortcut_sum"),
            Self::NormalizeChannels => ("elementwise.wgsl", "normalize_channels"),
            Self::Activate => ("elementwise.wgsl", "activate_in_place"),
            Self::Yolo => ("elementwise.wgsl", "yolo"),
            Self::ScaleChannels => ("elementwise.wgsl", "scale_channels"),
            Self::Sam => ("elementwise.wgsl", "sam"),
            Self::AxpyChannel => ("elementwise.wgsl", "axpy_channel"),
            Self::ScaleByChannel => ("elementwise.wgsl", "scale_by_channel"),
            Self::Softmax => ("elementwise.wgsl", "softmax"),
            Self::Reorg => ("elementwise.wgsl", "reorg"),
            Self::Downsample => ("elementwise.wgsl", "downsample"),
            Self::ShortcutResampled => ("elementwise.wgsl", "shortcut_resampled"),
            Self::Crop => ("elementwise.wgsl", "crop"),
            Self::Region => ("elementwise.wgsl", "region"),
            Self::Local => ("elementwise.wgsl", "local"),
            Self::CopyValues => ("elementwise.wgsl", "copy_values"),
            Self::ZeroValues => ("elementwise.wgsl", "zero_values"),
        }
    }

    /// The WGSL source of the kernel's family (its prelude first).
    pub fn source(self, precision: Precision, accumulate: Accumulate) -> String {
        let file = self.entry().0;
        let family = SOURCES
            .iter()
            .find(|(f, _)| *f == file)
            .map_or("", |(_, s)| s);
        format!("{}{family}", prelude(precision, accumulate))
    }
}

/// Mirror of `Params` in shaders/conv.wgsl — keep in sync.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct ConvParams {
    pub in_c: u32,
    pub in_h: u32,
    pub in_w: u32,
    pub out_c: u32,
    pub out_h: u32,
    pub out_w: u32,
    pub size: u32,
    pub stride_x: u32,
    pub stride_y: u32,
    pub pad: u32,
    pub dilation: u32,
    pub groups: u32,
    pub in_offset: u32,
    pub out_offset: u32,
    pub blocks: u32,
    pub splits: u32,
    /// A yolo head fused into the epilogue: entries per anchor (0: none).
    pub head_per: u32,
    /// The fused head's `new_coords` (1: no logistic).
    pub head_new_coords: u32,
    /// The fused head's `scale_x_y`.
    pub head_scale_x_y: f32,
    /// 1: the final values are stored a second time, into `output2` at `out2_offset`.
    pub out2: u32,
    /// Where the second place starts in `output2` (values).
    pub out2_offset: u32,
    /// 1: a 2×2, stride-2 max pool fused after the layer (the GEMM kernels and the reduce).
    pub pool: u32,
    pub _pad1: u32,
    pub _pad2: u32,
}

/// Mirror of `Params` in shaders/pool.wgsl — keep in sync.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct PoolParams {
    pub c: u32,
    pub in_h: u32,
    pub in_w: u32,
    pub out_h: u32,
    pub out_w: u32,
    pub size: u32,
    pub stride_x: u32,
    pub stride_y: u32,
    pub pad: u32,
    pub out_offset: u32,
    pub in_c: u32,
    pub _pad1: u32,
}

/// Mirror of `Params` in shaders/elementwise.wgsl — keep in sync.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct EwParams {
    pub n: u32,
    pub c: u32,
    pub h: u32,
    pub w: u32,
    pub stride: u32,
    pub per: u32,
    pub from_len: u32,
    pub new_coords: u32,
    pub scale: f32,
    pub scale_x_y: f32,
    pub groups: u32,
    pub flag: u32,
    pub coords: u32,
    pub in_c: u32,
    pub in_h: u32,
    pub in_w: u32,
    pub ksize: u32,
    pub pad: u32,
    /// copy_values / zero_values: the first value read in `input`.
    pub in_offset: u32,
    /// copy_values / zero_values: the first value written in `output`.
    pub out_offset: u32,
}

/// Constants whose names and values the shaders share: one Rust `const` per WGSL name, and
/// `ALL` listing (name, value) for the naga test that checks both sides agree.
macro_rules! shared_names {
    ($(#[$doc:meta])* $module:ident, $prefix:literal { $($(#[$item:meta])* $name:ident = $value:literal),* $(,)? }) => {
        $(#[$doc])*
        pub mod $module {
            $($(#[$item])* pub const $name: u32 = $value;)*
            /// Every (WGSL name, value) of this set.
            pub const ALL: &[(&str, u32)] = &[$((concat!($prefix, stringify!($name)), $value)),*];
        }
    };
}

shared_names! {
    /// The activation numbering: shaders/activation.wgsl's `ACT_*` constants, one of which
    /// the pipeline's `ACT` override selects.
    act, "ACT_" {
        LINEAR = 0, LEAKY = 1, RELU = 2, LOGISTIC = 3, MISH = 4, SWISH = 5, RELU6 = 6,
        TANH = 7, HARD_MISH = 8, ELU = 9, SELU = 10, GELU = 11, HARDSWISH = 12, LOGGY = 13,
        RELIE = 14, RAMP = 15, PLSE = 16, STAIR = 17, HARDTAN = 18, LHTAN = 19,
    }
}

shared_names! {
    /// conv.wgsl's bindings (group 0), by the name of the shader's global.
    conv_binding, "" {
        /// The uniform `p` (`ConvParams`).
        P = 0,
        INPUT = 1,
        /// Weights as vec4 (the GEMM and blocked layouts).
        WEIGHTS = 2,
        BIASES = 3,
        OUTPUT = 4,
        /// Weights in darknet's layout, one f32 per tap.
        WEIGHTS_FLAT = 5,
        /// conv_gemm's im2col taps.
        TAPS = 6,
        /// The second place of the final values (the output itself when there is none).
        OUTPUT2 = 7,
    }
}

shared_names! {
    /// elementwise.wgsl's bindings (group 0), by the name of the shader's global.
    ew_binding, "" {
        /// The uniform `p` (`EwParams`).
        P = 0,
        INPUT = 1,
        OUTPUT = 2,
        /// A second operand (shortcut input, scales, weights).
        SECOND = 3,
    }
}

shared_names! {
    /// pool.wgsl's bindings (group 0), by the name of the shader's global.
    pool_binding, "" {
        /// The uniform `p` (`PoolParams`).
        P = 0,
        INPUT = 1,
        OUTPUT = 2,
    }
}

/// The shaders' activation numbering ([`act`]); `None` for the normalize_channels family,
/// which runs as its own kernel ([`normalization`]).
pub fn activation_id(a: crate::vocab::activation::Activation) -> Option<u32> {
    use crate::vocab::activation::Activation as A;
    Some(match a {
        A::Linear => act::LINEAR,
        A::Leaky | A::Revleaky => act::LEAKY,
        A::Relu => act::RELU,
        A::Logistic => act::LOGISTIC,
        A::Mish => act::MISH,
        A::Swish => act::SWISH,
        A::Relu6 => act::RELU6,
        A::Tanh => act::TANH,
        A::HardMish => act::HARD_MISH,
        A::Elu => act::ELU,
        A::Selu => act::SELU,
        A::Gelu => act::GELU,
        A::Hardswish => act::HARDSWISH,
        A::Loggy => act::LOGGY,
        A::Relie => act::RELIE,
        A::Ramp => act::RAMP,
        A::Plse => act::PLSE,
        A::Stair => act::STAIR,
        A::Hardtan => act::HARDTAN,
        A::Lhtan => act::LHTAN,
        A::NormalizeChannels | A::NormalizeChannelsSoftmax | A::NormalizeChannelsSoftmaxMaxval => {
            return None;
        }
    })
}

/// The `normalize_channels` kernel's flag for the activations that normalise across channels
/// (0 plain, 1 softmax); `None` for the element-wise ones.
pub fn normalization(a: crate::vocab::activation::Activation) -> Option<u32> {
    a.across_channels().map(u32::from)
}

/// What a pipeline is compiled for: the kernel, its activation (the `ACT` override), its
/// threads per workgroup along x (`WG`) and the storage precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Variant {
    /// The entry point.
    pub kernel: Kernel,
    /// The `ACT` override.
    pub act: u32,
    /// The `WG` override.
    pub wg: u32,
    /// The storage type.
    pub precision: Precision,
    /// The GEMM kernels' accumulation type.
    pub accumulate: Accumulate,
}

/// Compiles a pipeline variant.
pub fn compile(device: &wgpu::Device, v: Variant) -> wgpu::ComputePipeline {
    let (kernel, act, wg) = (v.kernel, v.act, v.wg);
    let (file, entry) = kernel.entry();
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(file),
        source: wgpu::ShaderSource::Wgsl(kernel.source(v.precision, v.accumulate).into()),
    });
    let mut constants: Vec<(&str, f64)> = vec![("WG", wg as f64)];
    if file != "pool.wgsl" {
        constants.push(("ACT", act as f64));
    }
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(entry),
        layout: None,
        module: &module,
        entry_point: Some(entry),
        compilation_options: wgpu::PipelineCompilationOptions {
            constants: &constants,
            // every kernel writes its workgroup memory before a barrier and reads it after
            // one (conv.wgsl's GEMM tiles), so clearing it first is wasted work
            zero_initialize_workgroup_memory: false,
        },
        cache: None,
    })
}
