//! The newer darknet forks a cfg may be written for, as their cfg parsers read it.
//!
//! csplens counts by AlexeyAB's darknet; two newer forks read cfgs differently:
//! - hank-ai/darknet ("Darknet V3", the maintained successor), `src-lib/darknet_cfg.cpp` at
//!   v3.0-177 (fa2353b1): it reads no key AlexeyAB's does not, but stops on any key it does
//!   not read (`config line #N from section [S] is unused or invalid`), on a
//!   repeated key (`duplicate key "K" in [S] at lines #A and #B`), on the few keys it dropped
//!   (`max_crop`, `min_crop`, `unsupervised`, `show_details`) and on the sections it builds
//!   no layer for.
//! - Denizzje/darknet (a YOLOv9 training port on Darknet V3), the same file at 6e06a622: 22
//!   more `[net]` keys for YOLOv9-style schedules and augmentation.
//!
//! The doctor (`unused-key`, `fork-compat`) asks these tables; they are kept with the kinds,
//! keyed by kind tag, beside AlexeyAB's own key lists in each kind's parser.

use super::KindTag;

/// The keys every layer section may hold in Darknet V3 (read after the kind's own).
pub(crate) const V3_COMMON: [&str; 9] = [
    "clip",
    "onlyforward",
    "dont_update",
    "burnin_update",
    "stopbackward",
    "train_only_bn",
    "dontload",
    "dontloadscales",
    "learning_rate",
];

/// The `[net]` keys Darknet V3's `parse_net_section` (and `create_network`) read.
pub(crate) const V3_NET: [&str; 63] = [
    "max_batches",
    "batch",
    "learning_rate",
    "learning_rate_min",
    "sgdr_cycle",
    "sgdr_mult",
    "momentum",
    "decay",
    "subdivisions",
    "time_steps",
    "track",
    "augment_speed",
    "sequential_subdivisions",
    "try_fix_nan",
    "weights_reject_freq",
    "equidistant_point",
    "badlabels_rejection_percentage",
    "num_sigmas_reject_badlabels",
    "ema_alpha",
    "use_cuda_graph",
    "loss_scale",
    "dynamic_minibatch",
    "optimized_memory",
    "workspace_size_limit_MB",
    "adam",
    "B1",
    "B2",
    "eps",
    "height",
    "width",
    "channels",
    "inputs",
    "flip",
    "blur",
    "gaussian_noise",
    "mixup",
    "cutmix",
    "mosaic",
    "letter_box",
    "mosaic_bound",
    "contrastive",
    "contrastive_jit_flip",
    "contrastive_color",
    "label_smooth_eps",
    "resize_step",
    "attention",
    "adversarial_lr",
    "max_chart_loss",
    "angle",
    "aspect",
    "saturation",
    "exposure",
    "hue",
    "power",
    "policy",
    "burn_in",
    "step",
    "scale",
    "steps",
    "scales",
    "seq_scales",
    "gamma",
    "show_receptive_field",
];

/// The `[net]` keys the YOLOv9 port reads besides Darknet V3's.
pub(crate) const YOLOV9_PORT_NET: [&str; 22] = [
    "lrf",
    "final_learning_rate",
    "augment_policy",
    "hsv_h",
    "hsv_s",
    "hsv_v",
    "degrees",
    "translate",
    "yolov9_scale",
    "shear",
    "perspective",
    "flipud_prob",
    "fliplr_prob",
    "mosaic_prob",
    "mixup_prob",
    "copy_paste_prob",
    "warmup_iterations",
    "warmup_bias_lr",
    "warmup_momentum",
    "warmup_nonbias_lr_start",
    "close_mosaic_epochs",
    "close_mosaic_iteration",
];

const CONV: &[&str] = &[
    "filters",
    "groups",
    "size",
    "stride_x",
    "stride_y",
    "stride",
    "dilation",
    "antialiasing",
    "pad",
    "padding",
    "activation",
    "assisted_excitation",
    "share_index",
    "batch_normalize",
    "cbn",
    "binary",
    "xnor",
    "bin_output",
    "sway",
    "rotate",
    "stretch",
    "stretch_sway",
    "flipped",
    "dot",
    "angle",
    "grad_centr",
    "reverse",
    "coordconv",
    "stream",
    "wait_stream",
];

const YOLO: &[&str] = &[
    "classes",
    "num",
    "max",
    "mask",
    "max_delta",
    "counters_per_class",
    "label_smooth_eps",
    "scale_x_y",
    "objectness_smooth",
    "new_coords",
    "iou_normalizer",
    "obj_normalizer",
    "cls_normalizer",
    "delta_normalizer",
    "iou_loss",
    "iou_thresh_kind",
    "beta_nms",
    "nms_kind",
    "jitter",
    "resize",
    "focal_loss",
    "ignore_thresh",
    "truth_thresh",
    "iou_thresh",
    "random",
    "track_history_size",
    "sim_thresh",
    "dets_for_track",
    "dets_for_show",
    "track_ciou_norm",
    "embedding_layer",
    "map",
    "anchors",
];

const GAUSSIAN_YOLO: &[&str] = &[
    "classes",
    "max",
    "num",
    "mask",
    "objectness_smooth",
    "label_smooth_eps",
    "scale_x_y",
    "uc_normalizer",
    "iou_normalizer",
    "obj_normalizer",
    "cls_normalizer",
    "delta_normalizer",
    "max_delta",
    "counters_per_class",
    "iou_loss",
    "iou_thresh_kind",
    "beta_nms",
    "nms_kind",
    "yolo_point",
    "jitter",
    "resize",
    "ignore_thresh",
    "truth_thresh",
    "iou_thresh",
    "random",
    "map",
    "anchors",
];

const REGION: &[&str] = &[
    "coords",
    "classes",
    "num",
    "max",
    "log",
    "sqrt",
    "softmax",
    "focal_loss",
    "rescore",
    "classfix",
    "absolute",
    "bias_match",
    "jitter",
    "resize",
    "thresh",
    "random",
    "coord_scale",
    "object_scale",
    "noobject_scale",
    "mask_scale",
    "class_scale",
    "tree",
    "map",
    "anchors",
];

/// The layer kinds Darknet V3 builds, with the keys its parser for each reads.
pub(crate) const V3_KINDS: [(KindTag, &[&str]); 21] = [
    (KindTag::Convolutional, CONV),
    (
        KindTag::Route,
        &["layers", "groups", "group_id", "stream", "wait_stream"],
    ),
    (
        KindTag::Maxpool,
        &[
            "stride",
            "stride_x",
            "stride_y",
            "size",
            "padding",
            "maxpool_depth",
            "out_channels",
            "antialiasing",
            "maxpool_zero_nonmax",
        ],
    ),
    (KindTag::Yolo, YOLO),
    (KindTag::Upsample, &["stride", "scale"]),
    (
        KindTag::Shortcut,
        &[
            "activation",
            "weights_type",
            "weights_normalization",
            "from",
        ],
    ),
    (
        KindTag::Connected,
        &["output", "activation", "batch_normalize"],
    ),
    (
        KindTag::Crnn,
        &[
            "size",
            "stride",
            "dilation",
            "pad",
            "padding",
            "output",
            "hidden",
            "groups",
            "batch_normalize",
            "xnor",
            "activation",
            "shortcut",
        ],
    ),
    (
        KindTag::Rnn,
        &[
            "output",
            "hidden",
            "batch_normalize",
            "logistic",
            "activation",
            "shortcut",
        ],
    ),
    (
        KindTag::LocalAvgpool,
        &["stride", "stride_x", "stride_y", "size", "padding"],
    ),
    (KindTag::Lstm, &["output", "batch_normalize"]),
    (KindTag::Reorg3d, &["stride", "reverse"]),
    (KindTag::Avgpool, &[]),
    (KindTag::Cost, &["type", "scale", "ratio"]),
    (KindTag::Region, REGION),
    (KindTag::GaussianYolo, GAUSSIAN_YOLO),
    (
        KindTag::Contrastive,
        &[
            "classes",
            "yolo_layer",
            "temperature",
            "cls_normalizer",
            "max_delta",
            "contrastive_neg_max",
        ],
    ),
    (
        KindTag::Softmax,
        &["groups", "temperature", "tree", "spatial", "noloss"],
    ),
    (KindTag::ScaleChannels, &["from", "scale_wh", "activation"]),
    (KindTag::Sam, &["from", "activation"]),
    (
        KindTag::Dropout,
        &[
            "dropblock",
            "probability",
            "dropblock_size_rel",
            "dropblock_size_abs",
        ],
    ),
];

/// Darknet V3, named as the messages name it.
pub(crate) const V3: &str = "Darknet V3 (hank-ai/darknet)";

/// The YOLOv9 port, named as the messages name it.
pub(crate) const YOLOV9_PORT: &str = "the YOLOv9 port of Darknet V3 (Denizzje/darknet)";

/// Whether Darknet V3 builds a layer of kind `kind`.
pub(crate) fn v3_builds(kind: KindTag) -> bool {
    V3_KINDS.iter().any(|(k, _)| *k == kind)
}

/// Whether Darknet V3 reads `key` in a section of kind `kind` (`None`: `[net]`).
pub(crate) fn v3_reads(kind: Option<KindTag>, key: &str) -> bool {
    match kind {
        None => V3_NET.contains(&key),
        Some(kind) => {
            V3_COMMON.contains(&key)
                || V3_KINDS
                    .iter()
                    .any(|(k, keys)| *k == kind && keys.contains(&key))
        }
    }
}

/// The newer fork that reads `key` in a section of kind `kind` (`None`: `[net]`), for a key
/// AlexeyAB's darknet does not read.
pub(crate) fn reader(kind: Option<KindTag>, key: &str) -> Option<&'static str> {
    if v3_reads(kind, key) {
        Some(V3)
    } else if kind.is_none() && YOLOV9_PORT_NET.contains(&key) {
        Some(YOLOV9_PORT)
    } else {
        None
    }
}
