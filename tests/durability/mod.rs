//! Durability: the real binary restarted after SIGTERM and after kill -9 loses nothing it
//! acknowledged (tickets, timelines, numbers, global event ids).

mod backup;
mod crash;
mod fast_track;
mod record;
mod recovery;

use std::ops::Deref;
use std::path::Path;

use crate::common::ChildEngine;

/// A child engine that is killed when dropped, so a failing test leaves no engine running.
struct Running(Option<ChildEngine>);

impl Running {
    fn start(store: &Path) -> Self {
        Self(Some(ChildEngine::start(store)))
    }

    /// The engine itself, to stop it explicitly (`kill9`, `terminate`).
    fn take(mut self) -> ChildEngine {
        self.0.take().expect("the engine is running")
    }
}

impl Deref for Running {
    type Target = ChildEngine;

    fn deref(&self) -> &ChildEngine {
        self.0.as_ref().expect("the engine is running")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(engine) = self.0.take() {
            engine.kill9();
        }
    }
}
