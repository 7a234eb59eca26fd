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
//! A key only a fork reads is a note, not a warning; what Darknet V3 stops on is a
//! `fork-compat` note.

use super::sections::entry;
use super::{Finding, Severity};
use crate::cfg::Section;
use crate::kinds::KindTag;
use crate::network::Network;

/// The keys every layer section may hold in Darknet V3 (read after the kind's own).
const V3_COMMON: [&str; 9] = [
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
const V3_NET: [&str; 63] = [
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
const YOLOV9_PORT_NET: [&str; 22] = [
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
const V3_KINDS: [(KindTag, &[&str]); 21] = [
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
pub(super) const V3: &str = "Darknet V3 (hank-ai/darknet)";

/// The YOLOv9 port, named as the messages name it.
const YOLOV9_PORT: &str = "the YOLOv9 port of Darknet V3 (Denizzje/darknet)";

/// Whether Darknet V3 builds a layer of kind `kind`.
pub(super) fn v3_builds(kind: KindTag) -> bool {
    V3_KINDS.iter().any(|(k, _)| *k == kind)
}

/// Whether Darknet V3 reads `key` in a section of kind `kind` (`None`: `[net]`).
pub(super) fn v3_reads(kind: Option<KindTag>, key: &str) -> bool {
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
pub(super) fn reader(kind: Option<KindTag>, key: &str) -> Option<&'static str> {
    if v3_reads(kind, key) {
        Some(V3)
    } else if kind.is_none() && YOLOV9_PORT_NET.contains(&key) {
        Some(YOLOV9_PORT)
    } else {
        None
    }
}

/// `fork-compat`: Darknet V3 stops on a network whose last layer is `[yolo]` or `[region]`
/// unless width and height are multiples of 32 (and at least 32): "width=W and height=H in
/// cfg file must be divisible by 32 for YOLO networks". AlexeyAB's darknet only warns.
pub(super) fn v3_input(net: &Section, network: &Network) -> Option<Finding> {
    let last = network.layers.last()?.kind.tag();
    let (w, h) = (network.net.width, network.net.height);
    let fits = |side: usize| side >= 32 && side.is_multiple_of(32);
    if !matches!(last, KindTag::Yolo | KindTag::Region) || (fits(w) && fits(h)) {
        return None;
    }
    let key = if fits(w) { "height" } else { "width" };
    let span = entry(net, key).map_or(net.span, |e| e.key_span);
    Some(Finding {
        code: "fork-compat",
        severity: Severity::Note,
        layer: None,
        line: Some(span.line),
        col: span.col,
        message: format!(
            "{V3} stops on this network: \"width={w} and height={h} in cfg file must be divisible by 32 for YOLO networks\""
        ),
        fix: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether AlexeyAB's `[net]` parser (as csplens transcribes it) reads `key`.
    fn alexeyab_net_reads(key: &str) -> bool {
        let cfg = crate::cfg::parse(&format!("[net]\n{key}=1\n")).expect("parses");
        crate::network::net_keys(&cfg.sections[0]).unused.is_empty()
    }
    use crate::network::section_keys;

    /// A value each key parses with in AlexeyAB's parser, so that the recording parse reads
    /// every key of the section.
    fn value(key: &str) -> &'static str {
        match key {
            "activation" => "linear",
            "layers" | "from" => "-1",
            "mask" | "counters_per_class" | "yolo_layer" | "stopbackward" => "0",
            "anchors" => "10,10",
            "iou_loss" => "mse",
            "iou_thresh_kind" => "iou",
            "nms_kind" => "default",
            "type" => "sse",
            "weights_type" | "weights_normalization" => "none",
            "yolo_point" => "center",
            "embedding_layer" => "999999",
            "share_index" => "-1000000000",
            "stream" | "wait_stream" => "-1",
            "filters" | "output" | "hidden" => "4",
            "groups" | "dilation" | "stride" | "stride_x" | "stride_y" | "size" | "classes"
            | "num" | "out_channels" => "1",
            _ => "0",
        }
    }

    /// The keys AlexeyAB's darknet (csplens's tables) asks for in a section of `kind`
    /// written with every key Darknet V3 reads there, and those it leaves unread.
    fn alexeyab_on_v3_keys(kind: KindTag, keys: &[&str]) -> (Vec<String>, Vec<String>) {
        // darknet's section name for it (the canonical name is lowercase)
        let name = if kind == KindTag::GaussianYolo {
            "Gaussian_yolo"
        } else {
            kind.name()
        };
        let mut text = format!("[{name}]\n");
        for key in keys.iter().chain(&V3_COMMON) {
            if !matches!(*key, "tree" | "map") {
                text.push_str(&format!("{key}={}\n", value(key)));
            }
        }
        let cfg = crate::cfg::parse(&text).expect("parses");
        let keys =
            section_keys(&cfg.sections[0], 1, &[KindTag::Convolutional.name()]).expect("a kind");
        let unread = keys.unused.iter().map(|e| e.key.clone()).collect();
        (keys.asked, unread)
    }

    /// Every key Darknet V3 reads is one AlexeyAB's darknet reads too (so the keys only a
    /// newer fork reads are the YOLOv9 port's); AlexeyAB's reads exactly four V3 does not:
    /// `[net]`'s `max_crop`, `min_crop` and `unsupervised` (commented out in
    /// `parse_net_section`) and `[yolo]`'s `show_details` (replaced by `--verbose`).
    #[test]
    fn darknet_v3_and_alexeyab_read_the_same_keys_but_four() {
        for (kind, keys) in V3_KINDS {
            let (asked, unread) = alexeyab_on_v3_keys(kind, keys);
            assert!(unread.is_empty(), "[{kind:?}] read by V3 only: {unread:?}");
            let dropped: Vec<&String> = (asked.iter())
                .filter(|k| !v3_reads(Some(kind), k))
                .collect();
            let expected: &[&str] = if kind == KindTag::Yolo {
                &["show_details"]
            } else {
                &[]
            };
            assert_eq!(dropped, expected, "[{kind:?}] read by AlexeyAB only");
        }
        for key in V3_NET {
            assert!(
                alexeyab_net_reads(key),
                "[net] {key} is read by Darknet V3 only"
            );
        }
        let dropped: Vec<&str> = (crate::network::NET_KEYS.iter().copied())
            .filter(|k| !v3_reads(None, k))
            .collect();
        assert_eq!(dropped, ["max_crop", "min_crop", "unsupervised"]);
        for key in YOLOV9_PORT_NET {
            assert!(!alexeyab_net_reads(key), "{key}");
            assert_eq!(reader(None, key), Some(YOLOV9_PORT));
        }
    }

    #[test]
    fn v3_builds_reorg3d_but_not_reorg_or_local() {
        assert!(v3_builds(KindTag::Reorg3d));
        assert!(!v3_builds(KindTag::Reorg) && !v3_builds(KindTag::Local));
    }
}
