//! The roster's records: people, squads and vehicles as plain data. `crate::roster` keeps
//! them in the store; their live actors come with dispatch.

use serde::{Deserialize, Serialize};

use super::catalog::Department;
use super::clock::Timestamp;
use super::ids::{StaffId, TeamId, VehicleId};
use super::role::Principal;

/// Whether a person or a vehicle may be given work. Out of service (a person who left, is
/// sick or suspended; a vehicle broken down or in the workshop) means: no token may be
/// issued for it, it is never offered work, put in a crew or a collaboration group, and
/// its open work was handed on when it went out (see `service.rs`). Records written
/// before this existed read as in service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Service {
    #[serde(default = "in_service_by_default")]
    pub in_service: bool,
    /// The last change (out of service, or back in), absent when there never was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<ServiceChange>,
}

fn in_service_by_default() -> bool {
    true
}

impl Default for Service {
    fn default() -> Self {
        Self {
            in_service: true,
            changed: None,
        }
    }
}

/// When and why a record went out of service or came back, and who said so.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceChange {
    pub at: Timestamp,
    /// Required when taken out of service; an optional note when back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub by: Principal,
}

/// What a staff member does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// 市管员: market inspector (enforcement).
    Inspector,
    /// 客户经理: account manager (marketing).
    AccountManager,
    /// 送货员: delivery driver (logistics).
    Driver,
    Dispatcher,
    Reviewer,
    Approver,
    Supervisor,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    pub id: StaffId,
    pub name: String,
    pub role: StaffRole,
    pub department: Department,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<TeamId>,
    /// Badge number: shown on the public board instead of the name.
    pub badge: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// In or out of service; changed only by the service routes, never by a PUT.
    #[serde(default)]
    pub service: Service,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub department: Department,
    /// The town or district the squad covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// Made by a load test, not real: the squad and its tickets are left off the public
    /// board and the stats (`domain/simulated.rs`). Set by admins only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vehicle {
    pub id: VehicleId,
    pub plate: String,
    pub team_id: TeamId,
    pub department: Department,
    /// Staff who ride in it; they see the vehicle's tickets on their devices.
    #[serde(default)]
    pub crew: Vec<StaffId>,
    /// In or out of service; changed only by the service routes, never by a PUT.
    #[serde(default)]
    pub service: Service,
    /// Made by a load test, not real: tickets it handles are left off the public board
    /// and the stats (`domain/simulated.rs`). Set by admins only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
}

impl Staff {
    pub fn in_service(&self) -> bool {
        self.service.in_service
    }
}

impl Vehicle {
    pub fn in_service(&self) -> bool {
        self.service.in_service
    }
}
