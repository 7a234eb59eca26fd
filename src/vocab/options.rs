//! Typed access to one section's entries, with darknet's defaults and "Unused field" tracking.

use super::error::{NetworkError, NetworkErrorKind};
use crate::cfg::{Entry, Section};
use crate::diag::{Span, Warning};
use std::cell::RefCell;

/// Keys darknet reads for every layer section (src/parser.c, after the per-kind parser).
const COMMON_KEYS: [&str; 9] = [
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

/// One section's entries, read as darknet's `option_find_*` would, remembering which keys
/// were read so the rest can be reported as unused.
pub(crate) struct Opts<'a> {
    section: &'a Section,
    used: RefCell<Vec<bool>>,
    /// Every key the parser asked for, written or not (the keys this kind reads); kept only
    /// when asked for ([`Opts::recording`]), the analysis does not pay for it.
    asked: Option<RefCell<Vec<String>>>,
}

impl<'a> Opts<'a> {
    pub(crate) fn new(section: &'a Section) -> Self {
        let used = section.entries.iter().map(|e| e.shadowed).collect();
        Self {
            section,
            used: RefCell::new(used),
            asked: None,
        }
    }

    /// As [`Opts::new`], also recording every key the parser asks for ([`Opts::asked`]).
    pub(crate) fn recording(section: &'a Section) -> Self {
        Self {
            asked: Some(RefCell::new(Vec::new())),
            ..Self::new(section)
        }
    }

    /// The section header position.
    pub(crate) fn span(&self) -> Span {
        self.section.span
    }

    /// The section name as written.
    pub(crate) fn name(&self) -> &str {
        &self.section.name
    }

    /// The first entry for `key` (darknet's `option_find`), marking it used.
    pub(crate) fn find(&self, key: &str) -> Option<&'a Entry> {
        if let Some(asked) = &self.asked {
            let mut asked = asked.borrow_mut();
            if !asked.iter().any(|k| k == key) {
                asked.push(key.to_string());
            }
        }
        let pos = self
            .section
            .entries
            .iter()
            .position(|e| e.key == key && !e.shadowed)?;
        if let Some(flag) = self.used.borrow_mut().get_mut(pos) {
            *flag = true;
        }
        self.section.entries.get(pos)
    }

    /// Where `key`'s value is, or the section header when the key is absent.
    pub(crate) fn span_of(&self, key: &str) -> Span {
        self.section
            .entries
            .iter()
            .find(|e| e.key == key && !e.shadowed)
            .map_or(self.section.span, |e| e.value_span)
    }

    fn error(&self, entry: &Entry, message: String) -> NetworkError {
        NetworkError::new(NetworkErrorKind::BadValue, entry.value_span, message)
    }

    /// An integer with a default.
    pub(crate) fn int(&self, key: &str, default: i64) -> Result<i64, NetworkError> {
        match self.find(key) {
            None => Ok(default),
            Some(e) => parse_int(&e.value).ok_or_else(|| {
                self.error(
                    e,
                    format!(
                        "`{key}` in [{}] must be an integer, found `{}`",
                        self.name(),
                        e.value
                    ),
                )
            }),
        }
    }

    /// An integer that must lie in `min..=max`.
    pub(crate) fn int_in(
        &self,
        key: &str,
        default: i64,
        min: i64,
        max: i64,
    ) -> Result<i64, NetworkError> {
        let v = self.int(key, default)?;
        if (min..=max).contains(&v) {
            return Ok(v);
        }
        let span = self.span_of(key);
        let range = if max == i64::MAX {
            format!("at least {min}")
        } else {
            format!("between {min} and {max}")
        };
        Err(NetworkError::new(
            NetworkErrorKind::OutOfRange,
            span,
            format!(
                "`{key}={v}` in [{}] is out of range: it must be {range}",
                self.name()
            ),
        ))
    }

    /// A boolean flag written as an integer (any non-zero value is true, as in darknet).
    pub(crate) fn flag(&self, key: &str) -> Result<bool, NetworkError> {
        Ok(self.int(key, 0)? != 0)
    }

    /// A float with a default.
    pub(crate) fn float(&self, key: &str, default: f32) -> Result<f32, NetworkError> {
        match self.find(key) {
            None => Ok(default),
            Some(e) => parse_float(&e.value).ok_or_else(|| {
                self.error(
                    e,
                    format!(
                        "`{key}` in [{}] must be a number, found `{}`",
                        self.name(),
                        e.value
                    ),
                )
            }),
        }
    }

    /// A string with a default.
    pub(crate) fn string(&self, key: &str, default: &str) -> String {
        self.find(key)
            .map_or_else(|| default.to_string(), |e| e.value.clone())
    }

    /// A comma-separated integer list (text after `#` ignored, as darknet's mask parser does).
    pub(crate) fn ints(&self, key: &str) -> Result<Option<Vec<i64>>, NetworkError> {
        let Some(e) = self.find(key) else {
            return Ok(None);
        };
        let body = e.value.split('#').next().unwrap_or("");
        body.split(',')
            .map(|item| {
                parse_int(item).ok_or_else(|| {
                    self.error(
                        e,
                        format!(
                            "`{key}` in [{}] must be a list of integers, found `{item}` in `{}`",
                            self.name(),
                            e.value
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A comma-separated float list (text after `#` ignored).
    pub(crate) fn floats(&self, key: &str) -> Result<Option<Vec<f32>>, NetworkError> {
        let Some(e) = self.find(key) else {
            return Ok(None);
        };
        let body = e.value.split('#').next().unwrap_or("");
        body.split(',')
            .filter(|item| !item.is_empty())
            .map(|item| {
                parse_float(item).ok_or_else(|| {
                    self.error(
                        e,
                        format!(
                            "`{key}` in [{}] must be a list of numbers, found `{item}`",
                            self.name()
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Marks a key as read without interpreting it (keys that matter only for training).
    pub(crate) fn touch(&self, key: &str) {
        let _ = self.find(key);
    }

    /// Marks the keys darknet reads for every layer.
    pub(crate) fn touch_common(&self) {
        for key in COMMON_KEYS {
            let _ = self.find(key);
        }
    }

    /// The keys the parser asked for, in the order it asked.
    pub(crate) fn asked(&self) -> Vec<String> {
        self.asked
            .as_ref()
            .map_or_else(Vec::new, |a| a.borrow().clone())
    }

    /// The entries nobody read.
    pub(crate) fn unused_entries(&self) -> Vec<&'a Entry> {
        let used = self.used.borrow();
        let entries: &'a [Entry] = &self.section.entries;
        entries
            .iter()
            .zip(used.iter())
            .filter(|(_, used)| !**used)
            .map(|(e, _)| e)
            .collect()
    }

    /// "Unused field" warnings for every entry nobody read, as darknet's `option_unused`.
    pub(crate) fn unused(&self) -> Vec<Warning> {
        let used = self.used.borrow();
        self.section
            .entries
            .iter()
            .zip(used.iter())
            .filter(|(_, used)| !**used)
            .map(|(e, _)| {
                Warning::at(
                    e.key_span,
                    format!(
                        "unused field `{} = {}` in [{}]",
                        e.key,
                        e.value,
                        self.name()
                    ),
                )
            })
            .collect()
    }
}

/// Parses a decimal integer with an optional sign; a `#` ends the value (darknet's `atoi`
/// stops there too, and cfgs such as efficientnet-lite3 rely on it). Values such as `1.0` that name an
/// integer exactly are accepted; anything else is refused rather than read as `atoi` would.
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    let text = text.split('#').next().unwrap_or(text);
    if let Ok(v) = text.parse::<i64>() {
        return Some(v);
    }
    let f = text.parse::<f64>().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// Parses a finite float.
pub(crate) fn parse_float(text: &str) -> Option<f32> {
    let text = text.split('#').next().unwrap_or(text);
    text.parse::<f32>().ok().filter(|v| v.is_finite())
}
