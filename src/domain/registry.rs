//! The registry of people, squads and vehicles: plain data records. Their live actors
//! come with dispatch.

use serde::{Deserialize, Serialize};

use super::catalog::Department;
use super::ids::{StaffId, TeamId, VehicleId};

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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub department: Department,
    /// The town or district the squad covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
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
}
