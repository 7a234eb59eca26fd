//! `unused-key`: a key the section's kind does not read (darknet prints only "Unused field"),
//! with the nearest key it does read when one is close enough to be a misspelling.

use super::sections::Layers;
use super::{Finding, Fix, Severity};
use crate::cfg::{Entry, Section};

/// The keys darknet's `parse_net_options` (and `parse_network_cfg`) read from `[net]`.
const NET_KEYS: [&str; 65] = [
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
    "max_crop",
    "min_crop",
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
    "unsupervised",
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
];

/// Keys of `[net]` read by darknet elsewhere than `parse_net_options`.
const NET_OTHER_KEYS: [&str; 1] = ["show_receptive_field"];

pub(super) fn check(layers: &Layers, out: &mut Vec<Finding>) {
    if let Some(net) = layers.net {
        let known: Vec<String> = NET_KEYS
            .iter()
            .chain(&NET_OTHER_KEYS)
            .map(|k| k.to_string())
            .collect();
        for e in net.entries.iter().filter(|e| !e.shadowed) {
            if !known.contains(&e.key) {
                out.push(finding(layers, net, None, e, &known));
            }
        }
    }
    let kinds: Vec<&'static str> = layers.layers.iter().map(|l| l.kind.unwrap_or("")).collect();
    for l in &layers.layers {
        let Some(keys) = crate::network::section_keys(l.section, l.index, &kinds[..l.index]) else {
            continue;
        };
        for e in keys.unused {
            out.push(finding(layers, l.section, Some(l.index), e, &keys.asked));
        }
    }
}

/// The key darknet reads that `key` most likely misspells: at most two edits away and
/// closer than a third of its length.
fn nearest<'k>(key: &str, known: &'k [String]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(key, k), k))
        .filter(|(d, k)| *d > 0 && *d <= 2 && *d * 3 <= k.len().max(key.len()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

fn finding(
    layers: &Layers,
    section: &Section,
    layer: Option<usize>,
    e: &Entry,
    known: &[String],
) -> Finding {
    let suggestion = nearest(&e.key, known);
    let hint = suggestion.map_or(String::new(), |k| format!(" — did you mean {k}?"));
    Finding {
        code: "unused-key",
        severity: Severity::Warning,
        layer,
        line: Some(e.key_span.line),
        col: e.key_span.col,
        message: format!(
            "{} is not a key darknet's [{}] reads, so it has no effect (darknet prints only \"Unused field: '{} = {}'\"){hint}",
            e.key, section.name, e.key, e.value
        ),
        fix: suggestion.map(|k| Fix {
            description: format!("rename {} to {k}", e.key),
            edits: vec![layers.rename(e, k)],
        }),
    }
}
