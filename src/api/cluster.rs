//! Cluster mode's routes. `GET /api/v1/cluster` shows an operator what this node holds and
//! how far its copy of each partition's log goes. `POST /cluster/v1/forward` is between
//! nodes only: it runs a write another node forwarded because this node owns its partition
//! (`cluster/forward.rs`). Only a node proving `cluster.secret` is heard; the call runs
//! under its command id, so the partition's log applies it once however often it is
//! retried.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::cluster::forward::{Answer, Call, Forwarded};
use crate::domain::role::Role;
use crate::engine::Engine;
use crate::service::tickets::{Action, Body, Outcome, authorize_roles, perform};

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(forwarded);
}

pub fn register_api(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(status);
}

/// This node's place in the cluster.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterStatus {
    /// Whether the engine runs in a cluster (`cluster.redis_url`); the rest is empty if not.
    pub enabled: bool,
    /// This node's id (`cluster.node_id`).
    pub node: Option<String>,
    /// The partitions this node owns now, with its fencing token for each.
    pub held: BTreeMap<String, u64>,
    /// Partition → the last seq of its log this node's copy holds.
    pub positions: BTreeMap<String, u64>,
}

/// What this node owns and how far its copy of each partition's log goes. Supervisors and
/// admins.
#[utoipa::path(tag = "ops", operation_id = "cluster_status",
    responses(
        (status = 200, description = "this node's place in the cluster", body = ClusterStatus,
            example = json!({ "enabled": true, "node": "n1", "held": { "421182100": 3, "unplaced": 2 },
                "positions": { "421182100": 41, "421182101": 7, "unplaced": 12 } })),
        (status = 401, description = "no or bad token", body = ErrorBody),
        (status = 403, description = "the caller's role may not do this", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/cluster")]
async fn status(engine: web::Data<Engine>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Supervisor, Role::Admin])?;
    let Some(node) = &engine.cluster else {
        return Ok(HttpResponse::Ok().json(ClusterStatus {
            enabled: false,
            node: None,
            held: BTreeMap::new(),
            positions: BTreeMap::new(),
        }));
    };
    Ok(HttpResponse::Ok().json(ClusterStatus {
        enabled: true,
        node: Some(node.id.clone()),
        held: node.ownership.held(),
        positions: engine.store.positions()?,
    }))
}

#[post("/cluster/v1/forward")]
async fn forwarded(
    engine: web::Data<Engine>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Some(node) = &engine.cluster else {
        return Err(ApiError::not_found(
            "this engine runs on its own (no cluster)",
        ));
    };
    if !super::ops::bearer(&req).is_some_and(|token| node.trusts(token)) {
        return Err(ApiError::unauthorized("not a node of this cluster"));
    }
    let call: Forwarded = serde_json::from_slice(&body)
        .map_err(|e| ApiError::malformed(format!("invalid forwarded call: {e}")))?;
    let command = call.command.clone();
    let answer = crate::cluster::COMMAND_ID
        .scope(command, run(&engine, call))
        .await;
    Ok(HttpResponse::Ok().json(answer))
}

async fn run(engine: &Engine, call: Forwarded) -> Answer {
    let Forwarded { by, call, .. } = call;
    let outcome = match call {
        Call::Intake { ticket } => match authorize_roles(&by, crate::service::intake::ROLES) {
            Ok(()) => crate::service::intake::intake(engine, *ticket, by)
                .await
                .map(|i| Answer::Intake {
                    ticket: Box::new(i.ticket),
                    created: i.created,
                }),
            Err(e) => Err(e),
        },
        Call::Action {
            ticket,
            action,
            body,
        } => match Action::find(&action) {
            Some(a) => perform(engine, &by, &ticket, a, Body::Json(body))
                .await
                .and_then(answer_of),
            None => Err(ApiError::malformed(format!("unknown action `{action}`"))),
        },
    };
    outcome.unwrap_or_else(|e| Answer::error(&e))
}

/// A forwarded action's answer. A named function rather than a closure: without the
/// `fault-injection` feature every arm is `Ok`, and clippy would ask for `map` there.
fn answer_of(outcome: Outcome) -> Result<Answer, ApiError> {
    match outcome {
        Outcome::Ticket(ticket) => Ok(Answer::Ticket { ticket }),
        Outcome::GroupFormed(ticket) => Ok(Answer::GroupFormed { ticket }),
        #[cfg(feature = "fault-injection")]
        Outcome::ActorDied(_) => Err(ApiError::malformed("not forwarded")),
    }
}
