//! The cfg's sections as the checks read them: `[net]`, the layers with their index and
//! kind, typed values of keys as written, and line edits that keep everything else.

use super::Edit;
use crate::cfg::{CfgFile, Entry, Section};
use crate::kinds::KindTag;
use crate::vocab::options::{parse_float, parse_int};

/// The detection heads whose `classes=` the convolution before depends on.
pub(super) const HEADS: [KindTag; 3] = [KindTag::Yolo, KindTag::GaussianYolo, KindTag::Region];

/// One layer section.
pub(super) struct LayerSection<'a> {
    /// darknet's layer index.
    pub index: usize,
    /// The section.
    pub section: &'a Section,
    /// Its kind, when darknet knows the section name.
    pub kind: Option<KindTag>,
}

/// The sections of one cfg and its lines.
pub(super) struct Layers<'a> {
    /// `[net]` / `[network]`, when the cfg starts with it.
    pub net: Option<&'a Section>,
    /// The layer sections.
    pub layers: Vec<LayerSection<'a>>,
    lines: Vec<&'a str>,
}

impl<'a> Layers<'a> {
    pub(super) fn new(cfg: &'a CfgFile, text: &'a str) -> Self {
        let (net, rest) = match cfg.sections.split_first() {
            Some((first, rest)) if matches!(first.name.as_str(), "net" | "network") => {
                (Some(first), rest)
            }
            _ => (None, &cfg.sections[..]),
        };
        let layers = rest
            .iter()
            .enumerate()
            .map(|(index, section)| LayerSection {
                index,
                section,
                kind: KindTag::of_section(&section.name),
            })
            .collect();
        Self {
            net,
            layers,
            lines: text.lines().collect(),
        }
    }

    /// The layers of a kind.
    pub(super) fn of_kind(&self, kinds: &[KindTag]) -> impl Iterator<Item = &LayerSection<'a>> {
        self.layers
            .iter()
            .filter(move |l| l.kind.is_some_and(|k| kinds.contains(&k)))
    }

    /// A line's text (1-based).
    pub(super) fn line(&self, line: usize) -> &'a str {
        self.lines
            .get(line.saturating_sub(1))
            .map_or("", |l| l.trim_end_matches('\r'))
    }

    /// The line with `entry`'s value replaced by `value`, every other character kept.
    pub(super) fn set(&self, entry: &Entry, value: &str) -> Edit {
        let line = entry.value_span.line;
        let old = self.line(line);
        let core = entry.value.split('#').next().unwrap_or("").trim_end();
        let start = old
            .char_indices()
            .nth(entry.value_span.col.saturating_sub(1))
            .map_or(old.len(), |(i, _)| i);
        // the value as written, up to a comment: it may hold spaces (`anchors = 10,14,  23,27`)
        let end = old[start..].find('#').map_or(old.len(), |i| start + i);
        let written = old[start..end].trim_end();
        let compact: String = written.chars().filter(|c| !c.is_whitespace()).collect();
        let new = if old[start..].starts_with(core) {
            format!("{}{value}{}", &old[..start], &old[start + core.len()..])
        } else if compact == core {
            format!("{}{value}{}", &old[..start], &old[start + written.len()..])
        } else {
            format!("{}={value}", entry.key)
        };
        Edit {
            line,
            old: old.to_string(),
            new,
        }
    }

    /// `key=value` added after `section`'s header (the header line is the one replaced).
    pub(super) fn add(&self, section: &Section, key: &str, value: &str) -> Edit {
        let old = self.line(section.span.line);
        Edit {
            line: section.span.line,
            old: old.to_string(),
            new: format!("{old}\n{key}={value}"),
        }
    }

    /// `key` renamed to `new_key` on its line, every other character kept.
    pub(super) fn rename(&self, entry: &Entry, new_key: &str) -> Edit {
        let line = entry.key_span.line;
        let old = self.line(line);
        let start = old
            .char_indices()
            .nth(entry.key_span.col.saturating_sub(1))
            .map_or(old.len(), |(i, _)| i);
        let new = if old[start..].starts_with(entry.key.as_str()) {
            format!(
                "{}{new_key}{}",
                &old[..start],
                &old[start + entry.key.len()..]
            )
        } else {
            old.replacen(entry.key.as_str(), new_key, 1)
        };
        Edit {
            line,
            old: old.to_string(),
            new,
        }
    }
}

/// The entry darknet reads for `key` (the first one written).
pub(super) fn entry<'a>(section: &'a Section, key: &str) -> Option<&'a Entry> {
    section.entries.iter().find(|e| e.key == key && !e.shadowed)
}

/// An integer key as darknet's `atoi` reads it, or `default` when absent or unreadable.
pub(super) fn int(section: &Section, key: &str, default: i64) -> i64 {
    entry(section, key)
        .and_then(|e| parse_int(&e.value))
        .unwrap_or(default)
}

/// A comma-separated list of integers, when written.
pub(super) fn ints(section: &Section, key: &str) -> Option<Vec<i64>> {
    let e = entry(section, key)?;
    let text = e.value.split('#').next().unwrap_or("");
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_int)
        .collect()
}

/// How many values a comma-separated float list holds, when written.
pub(super) fn float_count(section: &Section, key: &str) -> Option<usize> {
    let e = entry(section, key)?;
    let text = e.value.split('#').next().unwrap_or("");
    Some(
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty() && parse_float(s).is_some())
            .count(),
    )
}
