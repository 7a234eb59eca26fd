//! Darknet `.cfg` text → sections of `key=value` entries, every one with its line and column.
//!
//! The rules are darknet's `read_cfg`: whitespace is removed everywhere on a line, lines that
//! start with `#` or `;` are comments, a line starting with `[` opens a section, anything
//! else is `key=value` split at the first `=`. Repeated keys keep the first value, as
//! darknet's `option_find` does, and the repeat is reported.

use crate::diag::{Span, Warning};
use thiserror::Error;

/// One `key=value` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, whitespace removed.
    pub key: String,
    /// The value, whitespace removed.
    pub value: String,
    /// Where the key starts.
    pub key_span: Span,
    /// Where the value starts.
    pub value_span: Span,
    /// True for a repeat of an earlier key in the same section (darknet ignores it).
    pub shadowed: bool,
}

/// One `[name]` section with its entries in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// The name between the brackets, as written (`conv`, `convolutional`, `Gaussian_yolo` …).
    pub name: String,
    /// Where the `[` is.
    pub span: Span,
    /// The entries in file order.
    pub entries: Vec<Entry>,
}

/// A parsed cfg file.
#[derive(Debug, Clone, PartialEq)]
pub struct CfgFile {
    /// The sections in file order.
    pub sections: Vec<Section>,
    /// Findings that do not stop loading (repeated keys, lines darknet would skip).
    pub warnings: Vec<Warning>,
}

/// Why a cfg file could not be read.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CfgError {
    /// The bytes are not text (a NUL or control byte was found).
    #[error("this is not a text cfg file: byte {offset} is 0x{byte:02x}, a binary value")]
    NotText {
        /// Position of the offending byte.
        span: Span,
        /// Byte offset in the file.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// Nothing but blanks and comments.
    #[error("the cfg file is empty: it has no sections (darknet needs [net] first)")]
    Empty,
    /// A `[` line without its `]`.
    #[error("section header `{text}` is not closed with `]`")]
    UnclosedSection {
        /// Where the `[` is.
        span: Span,
        /// The header as written.
        text: String,
    },
    /// `[]`.
    #[error("section header `[]` has no name")]
    EmptySectionName {
        /// Where the `[` is.
        span: Span,
    },
    /// The file is UTF-16 (darknet reads bytes and takes the zero bytes for line ends).
    #[error(
        "this cfg is UTF-16 ({}){}: darknet reads a cfg as plain bytes and cannot read it; save it as UTF-8 (\"plain text\" in most editors)",
        if *big_endian { "big-endian" } else { "little-endian" },
        if *bom { ", with a byte-order mark" } else { "" }
    )]
    Utf16 {
        /// Big-endian (FE FF), else little-endian (FF FE).
        big_endian: bool,
        /// Whether the file starts with a byte-order mark.
        bom: bool,
    },
    /// The text starts with a UTF-8 byte-order mark.
    #[error(
        "the file starts with a UTF-8 byte-order mark (the bytes EF BB BF, which some Windows editors add): darknet reads them as an option line before [net] and crashes; save without it (`csplens fix` removes it)"
    )]
    ByteOrderMark,
    /// A `key=value` line before the first section.
    #[error("`{text}` comes before any section; options belong to a section such as [net]")]
    OptionBeforeSection {
        /// Where the line starts.
        span: Span,
        /// The line, whitespace removed.
        text: String,
    },
}

impl CfgError {
    /// Where the error is, if it is at one place.
    pub fn span(&self) -> Option<Span> {
        match self {
            Self::NotText { span, .. }
            | Self::UnclosedSection { span, .. }
            | Self::EmptySectionName { span }
            | Self::OptionBeforeSection { span, .. } => Some(*span),
            Self::ByteOrderMark => Some(Span::new(1, 1)),
            Self::Empty | Self::Utf16 { .. } => None,
        }
    }
}

/// The UTF-8 byte-order mark as a char (kept in decoded text; [`parse`] refuses it).
pub const BOM: char = '\u{feff}';

/// Turns raw bytes into text, refusing binary data and naming UTF-16 as such. Invalid UTF-8
/// in otherwise textual files (Latin-1 comments) is replaced, not refused; a UTF-8
/// byte-order mark is kept for [`parse`] to refuse with its own sentence.
pub fn decode(bytes: &[u8]) -> Result<String, CfgError> {
    if let Some(e) = utf16(bytes) {
        return Err(e);
    }
    let (mut line, mut col) = (1usize, 1usize);
    for (offset, &byte) in bytes.iter().enumerate() {
        let control = byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r' | 0x0c);
        if control || byte == 0x7f {
            return Err(CfgError::NotText {
                span: Span::new(line, col),
                offset,
                byte,
            });
        }
        if byte == b'\n' {
            line += 1;
            col = 1;
        } else if byte & 0xc0 != 0x80 {
            col += 1;
        }
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// UTF-16 by its byte-order mark, or by a zero byte beside each of the first two ASCII ones.
fn utf16(bytes: &[u8]) -> Option<CfgError> {
    let (bom, big_endian) = match bytes {
        [0xff, 0xfe, ..] => (true, false),
        [0xfe, 0xff, ..] => (true, true),
        [a, 0, b, 0, ..] if a.is_ascii_graphic() && b.is_ascii() && *b != 0 => (false, false),
        [0, a, 0, b, ..] if a.is_ascii_graphic() && b.is_ascii() && *b != 0 => (false, true),
        _ => return None,
    };
    Some(CfgError::Utf16 { big_endian, bom })
}

/// Parses cfg text into sections.
pub fn parse(text: &str) -> Result<CfgFile, CfgError> {
    if text.starts_with(BOM) {
        return Err(CfgError::ByteOrderMark);
    }
    let mut sections: Vec<Section> = Vec::new();
    let mut warnings = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let Some((first_col, first)) = raw.chars().enumerate().find(|(_, c)| !c.is_whitespace())
        else {
            continue;
        };
        let span = Span::new(line_no, first_col + 1);
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        match first {
            '#' | ';' => {}
            '[' => sections.push(parse_header(&compact, span)?),
            _ => {
                let Some(section) = sections.last_mut() else {
                    return Err(CfgError::OptionBeforeSection {
                        span,
                        text: compact,
                    });
                };
                parse_entry(raw, line_no, span, section, &mut warnings);
            }
        }
    }
    if sections.is_empty() {
        return Err(CfgError::Empty);
    }
    Ok(CfgFile { sections, warnings })
}

fn parse_header(compact: &str, span: Span) -> Result<Section, CfgError> {
    let Some(inner) = compact.strip_prefix('[').and_then(|s| s.strip_suffix(']')) else {
        return Err(CfgError::UnclosedSection {
            span,
            text: compact.to_string(),
        });
    };
    if inner.is_empty() {
        return Err(CfgError::EmptySectionName { span });
    }
    Ok(Section {
        name: inner.to_string(),
        span,
        entries: Vec::new(),
    })
}

fn parse_entry(
    raw: &str,
    line_no: usize,
    span: Span,
    section: &mut Section,
    warnings: &mut Vec<Warning>,
) {
    let Some(eq_char) = raw.chars().position(|c| c == '=') else {
        let text: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        warnings.push(Warning::at(
            span,
            format!("`{text}` is not `key=value`; ignored, as darknet does"),
        ));
        return;
    };
    let key: String = raw
        .chars()
        .take(eq_char)
        .filter(|c| !c.is_whitespace())
        .collect();
    let value: String = raw
        .chars()
        .skip(eq_char + 1)
        .filter(|c| !c.is_whitespace())
        .collect();
    let value_col = raw
        .chars()
        .enumerate()
        .skip(eq_char + 1)
        .find(|(_, c)| !c.is_whitespace())
        .map_or(eq_char + 2, |(i, _)| i + 1);
    if value.is_empty() {
        warnings.push(Warning::at(
            span,
            format!("`{key}` has no value; ignored, as darknet does"),
        ));
        return;
    }
    let earlier = section
        .entries
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.key_span.line);
    if let Some(first_line) = earlier {
        warnings.push(Warning::at(
            span,
            format!(
                "`{key}` repeated in [{}] (first at line {first_line}); darknet uses the first value, this one is ignored",
                section.name
            ),
        ));
    }
    section.entries.push(Entry {
        key,
        value,
        key_span: span,
        value_span: Span::new(line_no, value_col),
        shadowed: earlier.is_some(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_comments_crlf_and_repeats() {
        let text = "[net]\r\n width = 416 \r\n# c\n; c\n\n[conv]\nfilters=1\nfilters = 2\n";
        let cfg = parse(text).expect("parses");
        assert_eq!(cfg.sections.len(), 2);
        assert_eq!(cfg.sections[0].entries[0].value, "416");
        assert_eq!(cfg.sections[0].entries[0].value_span, Span::new(2, 10));
        assert!(cfg.sections[1].entries[1].shadowed);
        assert_eq!(cfg.warnings.len(), 1);
        assert!(cfg.warnings[0].message.contains("first at line 7"));
    }

    #[test]
    fn utf16_is_named_and_a_utf8_bom_refused() {
        let le: Vec<u8> = "[net]\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "[net]\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let with_bom = [&[0xff, 0xfe][..], &le].concat();
        for (bytes, big, bom) in [
            (&le, false, false),
            (&be, true, false),
            (&with_bom, false, true),
        ] {
            let err = decode(bytes).expect_err("utf-16");
            assert_eq!(
                err,
                CfgError::Utf16 {
                    big_endian: big,
                    bom
                }
            );
            assert!(err.to_string().contains("UTF-16"));
        }
        let text = decode(b"\xef\xbb\xbf[net]\nwidth=416\n").expect("text");
        assert!(text.starts_with(BOM));
        let err = parse(&text).expect_err("bom");
        assert_eq!(err, CfgError::ByteOrderMark);
        assert!(err.to_string().contains("byte-order mark"));
        assert!(parse(&text[BOM.len_utf8()..]).is_ok());
    }

    #[test]
    fn binary_is_refused_with_position() {
        let err = decode(b"[net]\nw\x00").expect_err("binary");
        assert_eq!(err.span(), Some(Span::new(2, 2)));
    }
}
