//! The text of an open cfg as the user edits it: undo and redo of whole-text steps (a burst of
//! typing is one step, a fix is one step), a dirty marker against the text on disk, a
//! generation that every change renews, and the stamp of the file as it was read or last
//! saved, so Save can ask before replacing a file changed on disk since.

mod editing;
pub mod recovery;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Typing after a pause this long starts a new undo step.
const TYPING_STEP: Duration = Duration::from_millis(800);
/// Undo steps kept (whole texts: a large cfg is ~30 KB).
const UNDO_DEPTH: usize = 200;

/// A number no other text version in this process has: documents, edits and the jobs they
/// start carry one, so a job's late result is recognised as being about an older text.
pub fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A stamp of file contents (FNV-1a over the bytes): equal stamps, same bytes.
pub fn stamp(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How a change arrived: typing merges with the typing just before it into one undo step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Keystrokes in the editor.
    Typing,
    /// A fix, a restored recovery or a replaced text: always its own step.
    Step,
}

/// An open cfg's text, its history and how it stands against the file.
#[derive(Debug, Clone)]
pub struct SourceBuffer {
    text: String,
    saved: String,
    disk: Option<u64>,
    undo: Vec<String>,
    redo: Vec<String>,
    generation: u64,
    last_typing: Option<Instant>,
}

impl SourceBuffer {
    /// The text as read from a file whose bytes had stamp `disk` (`None`: not from a file, as
    /// the demo cfgs compiled into the binary).
    pub fn opened(text: String, disk: Option<u64>) -> Self {
        Self {
            saved: text.clone(),
            text,
            disk,
            undo: Vec::new(),
            redo: Vec::new(),
            generation: next_generation(),
            last_typing: None,
        }
    }

    /// A recovered text whose file is gone: all of it is unsaved.
    pub fn recovered(text: String) -> Self {
        Self {
            saved: String::new(),
            ..Self::opened(text, None)
        }
    }

    /// The current text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The current text's generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// True when the text differs from the file's.
    pub fn is_dirty(&self) -> bool {
        self.text != self.saved
    }

    /// The stamp of the file as read or last saved (`None`: never read from a file).
    pub fn disk_stamp(&self) -> Option<u64> {
        self.disk
    }

    /// Whether there is a step to undo / to redo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is a step to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Replaces the text; false (and nothing recorded) when it is the same text.
    pub fn set_text(&mut self, text: String, kind: ChangeKind) -> bool {
        if text == self.text {
            return false;
        }
        let now = Instant::now();
        let merges = kind == ChangeKind::Typing
            && self
                .last_typing
                .is_some_and(|t| now.duration_since(t) < TYPING_STEP);
        if !merges {
            self.undo.push(std::mem::take(&mut self.text));
            if self.undo.len() > UNDO_DEPTH {
                self.undo.remove(0);
            }
        }
        self.last_typing = (kind == ChangeKind::Typing).then_some(now);
        self.redo.clear();
        self.text = text;
        self.generation = next_generation();
        true
    }

    /// Goes one step back; false when there is none.
    pub fn undo(&mut self) -> bool {
        let Some(prev) = self.undo.pop() else {
            return false;
        };
        self.redo.push(std::mem::replace(&mut self.text, prev));
        self.renew();
        true
    }

    /// Goes one step forward again; false when there is none.
    pub fn redo(&mut self) -> bool {
        let Some(next) = self.redo.pop() else {
            return false;
        };
        self.undo.push(std::mem::replace(&mut self.text, next));
        self.renew();
        true
    }

    fn renew(&mut self) {
        self.last_typing = None;
        self.generation = next_generation();
    }

    /// Records that `text` is now the file's content, whose bytes have stamp `disk`.
    pub fn mark_saved(&mut self, text: String, disk: u64) {
        self.saved = text;
        self.disk = Some(disk);
        self.last_typing = None;
    }

    /// Goes back to the file's text as one undoable step.
    pub fn revert(&mut self) -> bool {
        let saved = self.saved.clone();
        self.set_text(saved, ChangeKind::Step)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn typing_merges_fixes_step_and_undo_redo_walk_back_and_forth() {
        let mut b = SourceBuffer::opened("a".into(), Some(stamp(b"a")));
        let g0 = b.generation();
        assert!(!b.is_dirty() && !b.can_undo());
        assert!(b.set_text("ab".into(), ChangeKind::Typing));
        assert!(b.set_text("abc".into(), ChangeKind::Typing));
        assert!(b.generation() > g0);
        assert!(b.set_text("abc!".into(), ChangeKind::Step));
        assert!(!b.set_text("abc!".into(), ChangeKind::Typing));
        assert!(b.is_dirty());
        // the fix is one step, the two keystrokes another
        assert!(b.undo());
        assert_eq!(b.text(), "abc");
        assert!(b.undo());
        assert_eq!(b.text(), "a");
        assert!(!b.is_dirty() && !b.undo());
        assert!(b.redo() && b.redo());
        assert_eq!(b.text(), "abc!");
        assert!(!b.redo());
        // a new change drops the redo steps
        b.undo();
        b.set_text("x".into(), ChangeKind::Step);
        assert!(!b.can_redo());
    }

    #[test]
    fn saving_clears_the_dirty_marker_and_revert_is_undoable() {
        let mut b = SourceBuffer::opened("a".into(), None);
        b.set_text("b".into(), ChangeKind::Typing);
        b.mark_saved("b".into(), stamp(b"b"));
        assert!(!b.is_dirty());
        assert_eq!(b.disk_stamp(), Some(stamp(b"b")));
        b.set_text("c".into(), ChangeKind::Step);
        assert!(b.revert());
        assert_eq!(b.text(), "b");
        assert!(b.undo());
        assert_eq!(b.text(), "c");
        assert_ne!(stamp(b"b"), stamp(b"c"));
    }
}
