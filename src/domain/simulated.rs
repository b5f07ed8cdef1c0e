//! Simulated data: what a load test puts into a store beside (or instead of) real work.
//! Squads and vehicles registered with `simulated: true` (admins only) and tickets taken in
//! with `source: "loadtest"` are handled like any other, but the public board (its rows and
//! the squads' leaderboard) and the stats leave them out, so a load test run against a real
//! store never shows up in the hall or in the unit's figures. A ticket counts as simulated
//! when it came from the load tester, or a simulated squad or vehicle was sent to it.

use std::collections::HashSet;

use super::ids::{TeamId, VehicleId};
use super::roster::{Team, Vehicle};
use super::ticket::{Source, Ticket};

/// The simulated squads and vehicles of a roster.
#[derive(Clone, Debug, Default)]
pub struct Simulated {
    teams: HashSet<TeamId>,
    vehicles: HashSet<VehicleId>,
}

impl Simulated {
    /// From the roster's squads and vehicles.
    pub fn of(teams: &[Team], vehicles: &[Vehicle]) -> Self {
        Self {
            teams: teams
                .iter()
                .filter(|t| t.simulated)
                .map(|t| t.id.clone())
                .collect(),
            vehicles: vehicles
                .iter()
                .filter(|v| v.simulated)
                .map(|v| v.id.clone())
                .collect(),
        }
    }

    pub fn team(&self, id: &TeamId) -> bool {
        self.teams.contains(id)
    }

    /// Whether the ticket is simulated (see the module).
    pub fn ticket(&self, t: &Ticket) -> bool {
        is_simulated(
            t,
            |team| self.teams.contains(team),
            |v| self.vehicles.contains(v),
        )
    }
}

/// Whether ticket `t` is simulated, given which squads and vehicles are.
pub fn is_simulated(
    t: &Ticket,
    team: impl Fn(&TeamId) -> bool,
    vehicle: impl Fn(&VehicleId) -> bool,
) -> bool {
    t.source == Source::Loadtest
        || t.assignment.team_id.as_ref().is_some_and(team)
        || t.assignment.vehicle_id.as_ref().is_some_and(vehicle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Department;

    fn team(id: &str, simulated: bool) -> Team {
        Team {
            id: id.parse().expect("valid"),
            name: id.into(),
            department: Department::Enforcement,
            area: None,
            simulated,
        }
    }

    #[test]
    fn a_squad_marked_simulated_is_and_an_unmarked_one_is_not() {
        let sim = Simulated::of(&[team("T-SIM", true), team("T-REAL", false)], &[]);
        assert!(sim.team(&"T-SIM".parse().expect("valid")));
        assert!(!sim.team(&"T-REAL".parse().expect("valid")));
    }

    #[test]
    fn records_written_before_the_flag_read_as_real_and_real_ones_keep_their_shape() {
        let old: Team =
            serde_json::from_str(r#"{"id":"T-1","name":"一中队","department":"enforcement"}"#)
                .expect("valid");
        assert!(!old.simulated);
        let json = serde_json::to_value(&old).expect("valid");
        assert!(json.get("simulated").is_none(), "{json}");
        let sim = serde_json::to_value(team("T-2", true)).expect("valid");
        assert_eq!(sim["simulated"], true);
    }
}
