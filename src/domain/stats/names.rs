//! The names a spreadsheet reader needs beside the ids the stats are keyed by: a category's
//! name in the guide, a department's, a squad's, a staff member's, a vehicle's plate, a
//! stage's. The ids stay in their own column (integrators read them); the names are added.

use std::collections::HashMap;

use crate::domain::catalog::{Catalog, Department};
use crate::domain::roster::{Staff, Team, Vehicle};
use crate::domain::ticket::Stage;

/// Names by id, read once per request from the guide and the roster.
#[derive(Clone, Debug, Default)]
pub struct Names {
    categories: HashMap<String, String>,
    teams: HashMap<String, String>,
    staff: HashMap<String, String>,
    vehicles: HashMap<String, String>,
}

impl Names {
    pub fn new(catalog: &Catalog, teams: &[Team], staff: &[Staff], vehicles: &[Vehicle]) -> Self {
        Self {
            categories: catalog
                .categories()
                .iter()
                .map(|c| (c.code.clone(), c.name_zh.clone()))
                .collect(),
            teams: teams
                .iter()
                .map(|t| (t.id.to_string(), t.name.clone()))
                .collect(),
            staff: staff
                .iter()
                .map(|s| (s.id.to_string(), s.name.clone()))
                .collect(),
            vehicles: vehicles
                .iter()
                .map(|v| (v.id.to_string(), v.plate.clone()))
                .collect(),
        }
    }

    pub fn category(&self, code: &str) -> Option<String> {
        if code == "unclassified" {
            return Some("未分类".into());
        }
        self.categories.get(code).cloned()
    }

    pub fn department(&self, code: &str) -> Option<String> {
        Department::ALL
            .into_iter()
            .find(|d| d.as_str() == code)
            .map(|d| d.name_zh().to_owned())
    }

    pub fn team(&self, id: &str) -> Option<String> {
        self.teams.get(id).cloned()
    }

    pub fn staff(&self, id: &str) -> Option<String> {
        self.staff.get(id).cloned()
    }

    /// Who submitted a report: `staff:S-1` (the name), `vehicle:V-1` (the plate), or a
    /// role (its Chinese name).
    pub fn principal(&self, key: &str) -> Option<String> {
        match key.split_once(':') {
            Some(("staff", id)) => self.staff(id),
            Some(("vehicle", id)) => self.vehicles.get(id).cloned(),
            _ => match key {
                "dispatcher" => Some("调度员".into()),
                "supervisor" => Some("督办人".into()),
                "admin" => Some("管理员".into()),
                "field" => Some("现场人员".into()),
                _ => None,
            },
        }
    }

    /// The name of a key in a group of the CSV exports (`category`, `department`, `team`,
    /// `handler`, `staff`, `stage`); `total` and unknown ids have none.
    pub fn of(&self, group: &str, key: &str) -> Option<String> {
        match group {
            "category" => self.category(key),
            "department" => self.department(key),
            "team" => self.team(key),
            "handler" => self.principal(key),
            "staff" => self.staff(key),
            "stage" => Stage::ALL
                .into_iter()
                .find(|s| s.as_str() == key)
                .map(|s| crate::domain::board::stage_name(s).to_owned()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::domain::catalog::BUILTIN_CATALOG;

    #[test]
    fn ids_get_the_names_people_know() {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        let team: Team = serde_json::from_value(serde_json::json!({
            "id": "T-ENF-1", "name": "执法一中队", "department": "enforcement"
        }))
        .unwrap();
        let staff: Staff = serde_json::from_value(serde_json::json!({
            "id": "S-001", "name": "李四", "role": "inspector", "department": "enforcement", "badge": "ZM-1"
        }))
        .unwrap();
        let vehicle: Vehicle = serde_json::from_value(serde_json::json!({
            "id": "V-1", "plate": "鄂J·Z0001", "team_id": "T-ENF-1", "department": "enforcement"
        }))
        .unwrap();
        let names = Names::new(&catalog, &[team], &[staff], &[vehicle]);
        assert_eq!(names.of("team", "T-ENF-1").as_deref(), Some("执法一中队"));
        assert_eq!(names.of("handler", "staff:S-001").as_deref(), Some("李四"));
        assert_eq!(
            names.of("handler", "vehicle:V-1").as_deref(),
            Some("鄂J·Z0001")
        );
        assert_eq!(names.of("staff", "S-001").as_deref(), Some("李四"));
        assert_eq!(names.of("department", "marketing").as_deref(), Some("营销"));
        assert_eq!(
            names.of("category", "counterfeit").as_deref(),
            Some(catalog.get("counterfeit").unwrap().name_zh.as_str())
        );
        assert_eq!(
            names.of("category", "unclassified").as_deref(),
            Some("未分类")
        );
        assert_eq!(names.of("stage", "on_site").as_deref(), Some("现场处置"));
        assert_eq!(names.of("team", "T-GONE"), None);
        assert_eq!(names.of("total", "all"), None);
    }
}
