//! `encoding`: a cfg darknet cannot read as bytes. A UTF-8 byte-order mark (Windows editors
//! add one) makes darknet's `read_cfg` take `EF BB BF[net]` for an option line before any
//! section, and it crashes; the fix deletes the three bytes. A UTF-16 file is named as such:
//! nothing in it can be read as a cfg until it is saved as UTF-8.

use super::{Edit, Finding, Fix, Severity};
use crate::cfg::{BOM, CfgError};

/// The finding for a text starting with a UTF-8 byte-order mark, and the text without it.
pub(super) fn byte_order_mark(text: &str) -> Option<(Finding, &str)> {
    let rest = text.strip_prefix(BOM)?;
    let first = text.split('\n').next().unwrap_or_default();
    let old = first.trim_end_matches('\r');
    Some((
        Finding {
            code: "encoding",
            severity: Severity::Error,
            layer: None,
            line: Some(1),
            col: 1,
            message: CfgError::ByteOrderMark.to_string(),
            fix: Some(Fix {
                description: "remove the UTF-8 byte-order mark".into(),
                edits: vec![Edit {
                    line: 1,
                    old: old.to_string(),
                    new: old[BOM.len_utf8()..].to_string(),
                }],
            }),
        },
        rest,
    ))
}

/// The finding for bytes that are UTF-16, where they are.
pub(super) fn utf16(error: &CfgError) -> Option<Finding> {
    matches!(error, CfgError::Utf16 { .. }).then(|| Finding {
        code: "encoding",
        severity: Severity::Error,
        layer: None,
        line: None,
        col: 0,
        message: error.to_string(),
        fix: None,
    })
}
