//! The panels: each draws a part of the state and returns what the user did as commands (or
//! an action its caller turns into one); none changes the app's state while drawing, only its
//! own view state (scroll, hover, a text field being typed in).

pub(in crate::gui) mod accuracy_view;
pub(in crate::gui) mod charts;
pub(in crate::gui) mod compare_view;
pub mod detect_view;
pub mod evaluate_view;
pub mod fix_form;
pub(in crate::gui) mod gallery_view;
pub(in crate::gui) mod inspector;
pub(in crate::gui) mod make_csp;
pub(in crate::gui) mod misses_view;
pub(in crate::gui) mod questions;
pub(in crate::gui) mod roofline_view;
pub(in crate::gui) mod source_view;
pub(in crate::gui) mod stage_inspector;
pub mod table;
