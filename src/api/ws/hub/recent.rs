//! The consoles' frames of the last ticket events, as the hub sent them. A console that
//! resumes within them (`?since=`) is sent these, with no store read and no rendering: a
//! desk cut off under load would otherwise cost a replay of thousands of events from the
//! store, each ticket read and rendered again, just when the engine has least to spare.

use std::collections::VecDeque;
use std::sync::Arc;

use super::super::frames::Frame;

pub struct RecentFrames {
    frames: VecDeque<(u64, Arc<str>)>,
    /// Most frames kept (`streams.max_replay`).
    cap: usize,
    /// Every ticket event after this one has its frame kept.
    floor: u64,
}

impl RecentFrames {
    /// Keeps up to `cap` frames of the events after `seq`.
    pub fn new(cap: usize, seq: u64) -> Self {
        Self {
            frames: VecDeque::new(),
            cap,
            floor: seq,
        }
    }

    /// The frame every console was sent for a ticket event.
    pub fn push(&mut self, frame: &Frame) {
        if self.cap == 0 {
            self.floor = frame.seq;
            return;
        }
        if self.frames.len() == self.cap
            && let Some((oldest, _)) = self.frames.pop_front()
        {
            self.floor = oldest;
        }
        self.frames.push_back((frame.seq, frame.text.clone()));
    }

    /// Ticket events went by up to `seq` with no frame kept (no console was open, or the
    /// hub missed events): only what comes after is kept.
    pub fn restart(&mut self, seq: u64) {
        self.frames.clear();
        self.floor = seq;
    }

    /// The frames of the events after `since`, oldest first; `None` when some of them are
    /// no longer kept (or `since` is ahead of what was sent).
    pub fn after(&self, since: u64, sent_upto: u64) -> Option<Vec<Arc<str>>> {
        if since < self.floor || since > sent_upto {
            return None;
        }
        let start = self.frames.partition_point(|(seq, _)| *seq <= since);
        Some(self.frames.range(start..).map(|(_, t)| t.clone()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: u64) -> Frame {
        Frame {
            seq,
            ticket: None,
            text: format!("f{seq}").into(),
            queued: None,
        }
    }

    fn texts(v: Option<Vec<Arc<str>>>) -> Option<Vec<String>> {
        v.map(|v| v.iter().map(|t| t.to_string()).collect())
    }

    #[test]
    fn a_resume_gets_exactly_the_frames_after_its_seq_while_they_are_all_kept() {
        let mut r = RecentFrames::new(3, 10);
        for seq in 11..=13 {
            r.push(&frame(seq));
        }
        assert_eq!(
            texts(r.after(10, 13)),
            Some(vec!["f11".into(), "f12".into(), "f13".into()])
        );
        assert_eq!(texts(r.after(12, 13)), Some(vec!["f13".into()]));
        assert_eq!(texts(r.after(13, 13)), Some(vec![]));
        assert_eq!(r.after(9, 13), None, "event 10 was never kept");
        assert_eq!(r.after(14, 13), None, "ahead of the stream");
        // The oldest falls out: a resume that needs it goes to the store.
        r.push(&frame(14));
        assert_eq!(r.after(10, 14), None);
        assert_eq!(
            texts(r.after(11, 14)),
            Some(vec!["f12".into(), "f13".into(), "f14".into()])
        );
        // Events that went by unkept end what the frames can answer.
        r.restart(20);
        assert_eq!(r.after(14, 20), None);
        assert_eq!(texts(r.after(20, 20)), Some(vec![]));
    }
}
