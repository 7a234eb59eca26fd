//! What the newer darknet forks stop on, as doctor findings; their parsers' key tables are
//! `kinds::forks` (kept with the kinds).

use super::sections::entry;
use super::{Finding, Severity};
use crate::cfg::Section;
use crate::kinds::KindTag;
use crate::kinds::forks::V3;
use crate::network::Network;

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
    use crate::kinds::forks::{
        V3_COMMON, V3_KINDS, V3_NET, YOLOV9_PORT, YOLOV9_PORT_NET, reader, v3_builds, v3_reads,
    };

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
