//! The stream hub's public side: the board rows it keeps from the committed tickets, the
//! rows' timers and the squads' leaderboard, pushed to the board's sockets (the projection
//! itself is `board.rs`).

use super::*;

impl StreamHub {
    pub(super) fn update_board(&mut self, t: &Ticket, now: crate::domain::Timestamp) {
        let deps = self.deps.clone();
        let vehicles = &self.vehicles;
        // A load test's tickets, squads and vehicles never reach the public board.
        if self.simulated(t) {
            return self.drop_from_board(t);
        }
        let change = self.board.update(
            t,
            &deps.catalog,
            now,
            || {
                let shop = t
                    .location
                    .retailer_licence
                    .as_deref()
                    .and_then(|l| deps.retailers.get(l));
                crate::domain::board::town_of(t, shop.as_ref().map(|r| r.town().name()))
            },
            || public_handler(&deps.roster, t),
            |v| vehicles.get(v).map(|live| board_live(v, live)),
        );
        if let Some(frame) = board_frame(self.seq, change) {
            Self::broadcast(&mut self.boards, &frame);
        }
    }

    /// Whether the ticket is a load test's (`domain/simulated.rs`).
    pub(super) fn simulated(&self, t: &Ticket) -> bool {
        let roster = &self.deps.roster;
        crate::domain::simulated::is_simulated(
            t,
            |team| {
                roster
                    .team(team)
                    .ok()
                    .flatten()
                    .is_some_and(|r| r.simulated)
            },
            |v| {
                roster
                    .vehicle(v)
                    .ok()
                    .flatten()
                    .is_some_and(|r| r.simulated)
            },
        )
    }

    /// Takes a simulated ticket off the board (if a row was shown, boards are told).
    pub(super) fn drop_from_board(&mut self, t: &Ticket) {
        if let Some(frame) = board_frame(self.seq, self.board.drop_ticket(&t.id)) {
            Self::broadcast(&mut self.boards, &frame);
        }
    }

    /// Sends the board rows whose vehicle changed, and takes off done rows whose while is
    /// over.
    pub(super) fn tick_board_rows(&mut self) {
        let seq = self.seq;
        let mut frames: Vec<Frame> = self
            .board
            .take_changed_rows()
            .into_iter()
            .map(|row| Frame::other(seq, &StreamFrame::BoardTicket { seq, ticket: row }))
            .collect();
        let now = self.deps.clock.now();
        frames.extend(
            self.board.expire(now).into_iter().map(|(id, number)| {
                Frame::other(seq, &StreamFrame::BoardRemoved { seq, id, number })
            }),
        );
        for frame in &frames {
            Self::broadcast(&mut self.boards, frame);
        }
    }

    pub(super) fn push_leaderboard(&mut self) {
        let roster = self.deps.roster.clone();
        let seq = self.seq;
        let Some(standings) = self
            .board
            .refresh_leaderboard(|team| roster.team(team).ok().flatten().map(|t| t.name))
        else {
            return;
        };
        let frame = Frame::other(
            seq,
            &StreamFrame::BoardLeaderboard {
                seq,
                leaderboard: standings,
            },
        );
        Self::broadcast(&mut self.boards, &frame);
    }

    pub(super) fn board_snapshot(&self) -> BoardSnapshot {
        let now = self.deps.clock.now();
        BoardSnapshot {
            seq: self.seq,
            generated_at: now,
            tickets: self.board.rows(now),
            leaderboard: self.board.standings().to_vec(),
        }
    }
}

/// The squad and an officer's badge (never a name) for the board.
fn public_handler(roster: &Roster, t: &Ticket) -> PublicHandler {
    let team_id = t.assignment.team_id.clone();
    let team_name = team_id
        .as_ref()
        .and_then(|id| roster.team(id).ok().flatten())
        .map(|team| team.name);
    let officer_badge = t
        .assignment
        .crew
        .iter()
        .chain(&t.assignment.staff)
        .find_map(|s| roster.staff(s).ok().flatten())
        .map(|s| s.badge);
    PublicHandler {
        team_id,
        team_name,
        officer_badge,
    }
}

/// The frame telling boards of a row shown, changed or taken off.
fn board_frame(seq: u64, change: Option<BoardChange>) -> Option<Frame> {
    Some(match change? {
        BoardChange::Upserted(row) => {
            Frame::other(seq, &StreamFrame::BoardTicket { seq, ticket: row })
        }
        BoardChange::Removed { id, number } => {
            Frame::other(seq, &StreamFrame::BoardRemoved { seq, id, number })
        }
    })
}
