//! `unused-key`: a key the section's kind does not read (darknet lists a layer's as "Unused
//! field" and says nothing of `[net]`'s),
//! with the nearest key it does read when one is close enough to be a misspelling, and a note
//! rather than a warning when a newer fork reads it; `duplicate-key`: a key written twice in
//! a section; `fork-compat`: a key or section AlexeyAB's darknet reads and Darknet V3 stops on
//! (a note), or a section only pjreddie's original darknet builds (a warning).

use super::sections::Layers;
use super::{Finding, Fix, Severity};
use crate::cfg::{Entry, Section};
use crate::kinds::KindTag;
use crate::kinds::forks;

pub(super) fn check(layers: &Layers, out: &mut Vec<Finding>) {
    if let Some(net) = layers.net {
        // the keys the [net] parser asks for, as it reads them
        let keys = crate::network::net_keys(net);
        for e in &keys.unused {
            out.push(unused(layers, net, None, None, e, &keys.asked));
        }
        let read = net.entries.iter().filter(|e| !e.shadowed);
        for e in read.filter(|e| keys.asked.contains(&e.key)) {
            if !forks::v3_reads(None, &e.key) {
                out.push(v3_drops(net, None, e));
            }
        }
        repeats(layers, net, None, out);
    }
    let kinds: Vec<&'static str> = (layers.layers.iter())
        .map(|l| l.kind.map_or("", KindTag::name))
        .collect();
    for l in &layers.layers {
        let Some(keys) = crate::network::section_keys(l.section, l.index, &kinds[..l.index]) else {
            continue;
        };
        for e in &keys.unused {
            out.push(unused(
                layers,
                l.section,
                l.kind,
                Some(l.index),
                e,
                &keys.asked,
            ));
        }
        repeats(layers, l.section, Some(l.index), out);
        let Some(kind) = l.kind else { continue };
        if crate::kinds::PJREDDIE_ONLY.contains(&kind.name()) {
            out.push(pjreddie_section(l.section, l.index));
            continue;
        }
        if !forks::v3_builds(kind) {
            out.push(v3_section(l.section, l.index));
            continue;
        }
        let read = l.section.entries.iter().filter(|e| !e.shadowed);
        for e in read.filter(|e| keys.asked.contains(&e.key)) {
            if !forks::v3_reads(Some(kind), &e.key) {
                out.push(v3_drops(l.section, Some(l.index), e));
            }
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

/// `unused-key`: a warning, or a note when a newer fork reads the key.
fn unused(
    layers: &Layers,
    section: &Section,
    kind: Option<KindTag>,
    layer: Option<usize>,
    e: &Entry,
    known: &[String],
) -> Finding {
    let unused_field = what_darknet_says(kind.is_none(), e);
    if let Some(fork) = forks::reader(kind, &e.key) {
        return Finding {
            code: "unused-key",
            severity: Severity::Note,
            layer,
            line: Some(e.key_span.line),
            col: e.key_span.col,
            message: format!(
                "{} is read only by newer darknet forks ({fork}); AlexeyAB's darknet ignores it in [{}] (it {unused_field})",
                e.key, section.name
            ),
            fix: None,
        };
    }
    let suggestion = nearest(&e.key, known);
    let hint = suggestion.map_or(String::new(), |k| format!(" — did you mean {k}?"));
    Finding {
        code: "unused-key",
        severity: Severity::Warning,
        layer,
        line: Some(e.key_span.line),
        col: e.key_span.col,
        message: format!(
            "{} is not a key darknet's [{}] reads, so it has no effect (darknet {unused_field}; {} stops on it){hint}",
            e.key,
            section.name,
            forks::V3
        ),
        fix: suggestion.map(|k| Fix {
            description: format!("rename {} to {k}", e.key),
            edits: vec![layers.rename(e, k)],
        }),
    }
}

/// What AlexeyAB's darknet says of a key it does not read: a layer's unread keys are listed
/// ("Unused field"); `[net]`'s are not (`parse_network_cfg_custom` frees the `[net]` section
/// without `option_unused`).
fn what_darknet_says(net: bool, e: &Entry) -> String {
    if net {
        "says nothing: it lists no unread [net] key".to_string()
    } else {
        format!("prints only \"Unused field: '{} = {}'\"", e.key, e.value)
    }
}

/// `fork-compat`: a key AlexeyAB's darknet reads and Darknet V3 stops on.
fn v3_drops(section: &Section, layer: Option<usize>, e: &Entry) -> Finding {
    Finding {
        code: "fork-compat",
        severity: Severity::Note,
        layer,
        line: Some(e.key_span.line),
        col: e.key_span.col,
        message: format!(
            "{} is read by AlexeyAB's darknet but not by {}, which stops on it (\"config line #{} from section [{}] is unused or invalid\")",
            e.key,
            forks::V3,
            e.key_span.line,
            section.name
        ),
        fix: None,
    }
}

/// `fork-compat`: a section Darknet V3 builds no layer for.
fn v3_section(section: &Section, layer: usize) -> Finding {
    Finding {
        code: "fork-compat",
        severity: Severity::Note,
        layer: Some(layer),
        line: Some(section.span.line),
        col: section.span.col,
        message: format!(
            "[{}] is a layer AlexeyAB's darknet builds but {} does not: it stops at this section",
            section.name,
            forks::V3
        ),
        fix: None,
    }
}

/// `fork-compat`: a section only pjreddie's original darknet builds.
fn pjreddie_section(section: &Section, layer: usize) -> Finding {
    Finding {
        code: "fork-compat",
        severity: Severity::Warning,
        layer: Some(layer),
        line: Some(section.span.line),
        col: section.span.col,
        message: format!(
            "[{}] is a layer only pjreddie's original darknet builds: AlexeyAB's darknet prints \"Type not recognized\" and leaves an empty layer here, and {} stops; csplens follows pjreddie's rules for it",
            section.name,
            forks::V3
        ),
        fix: None,
    }
}

/// `duplicate-key`: a key written again in its section. darknet reads the first and prints
/// "Unused field" for the repeat; Darknet V3 stops on it. Most readers of such files take
/// the last value, so the repeat is most likely the value meant (a training `batch=64` under
/// an uncommented testing `batch=1`): the fix comments out the earlier lines.
fn repeats(layers: &Layers, section: &Section, layer: Option<usize>, out: &mut Vec<Finding>) {
    for e in section.entries.iter().filter(|e| e.shadowed) {
        let line = e.key_span.line;
        let earlier: Vec<&Entry> = (section.entries.iter())
            .filter(|o| o.key == e.key && o.key_span.line < line)
            .collect();
        let Some(first) = earlier.first() else {
            continue;
        };
        let edits = earlier
            .iter()
            .map(|o| {
                let old = layers.line(o.key_span.line);
                super::Edit {
                    line: o.key_span.line,
                    old: old.to_string(),
                    new: format!("#{old}"),
                }
            })
            .collect();
        // the same value again changes nothing for darknet: only Darknet V3 minds
        let severity = if first.value == e.value {
            Severity::Note
        } else {
            Severity::Warning
        };
        out.push(Finding {
            code: "duplicate-key",
            severity,
            layer,
            line: Some(line),
            col: e.key_span.col,
            message: format!(
                "{} is written again in [{}]: darknet reads the first, {}={} at line {}, and ignores this {}={} (it {}); {} stops on it (\"duplicate key\")",
                e.key,
                section.name,
                first.key,
                first.value,
                first.key_span.line,
                e.key,
                e.value,
                what_darknet_says(layer.is_none(), e),
                forks::V3
            ),
            fix: Some(Fix {
                description: format!(
                    "comment out the earlier {} so darknet reads {}={} from line {line}",
                    e.key, e.key, e.value
                ),
                edits,
            }),
        });
    }
}
