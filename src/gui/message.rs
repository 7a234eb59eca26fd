//! Everything that changes the app's state, as one value: what the user asked for (a
//! [`Command`], sent by the panels, the shortcuts, dropped files, scripts and tests) and what a
//! background job finished with (an [`Outcome`], polled from the jobs). [`App::update`]
//! applies one, dispatching to the handler files by topic; eframe's `logic` hook applies the
//! queue before each frame, and the frame (`ui`) only draws and sends.
//!
//! [`App::update`]: super::App::update

use crate::gui::command::Command;
use crate::gui::jobs::Outcome;

/// One change to the app's state.
#[derive(Debug)]
pub enum Message {
    /// The user (or a script) asked for it.
    Command(Command),
    /// A background job finished with it.
    Job(Outcome),
}

impl From<Command> for Message {
    fn from(c: Command) -> Self {
        Self::Command(c)
    }
}

impl From<Outcome> for Message {
    fn from(o: Outcome) -> Self {
        Self::Job(o)
    }
}
