//! `GET /api/v1/board`: the public board as it stands, the same redacted snapshot a
//! `/ws/board` client starts with.

use actix_web::{HttpResponse, get};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::ws::frames::BoardSnapshot;
use super::ws::hub::GetBoard;
use super::ws::streams::Hub;
use crate::domain::error_code::ErrorCode;
use crate::domain::role::Role;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(board);
}

/// Open tickets as the public hall may see them (no reporter, no exact place; embargoed
/// categories and hidden grades left off until closed) and the squads' leaderboard.
#[utoipa::path(tag = "board",
    responses((status = 200, description = "OK", body = BoardSnapshot, example = json!(crate::api::examples::example("BoardSnapshot"))), (status = 401, description = "no token, or a bad one", body = ErrorBody), (status = 403, description = "the caller's role may not do this", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/board")]
async fn board(hub: Hub, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Board, Role::Dispatcher, Role::Supervisor, Role::Admin])?;
    let snapshot = hub.send(GetBoard).await.map_err(|_| {
        ApiError::of(
            ErrorCode::Unavailable,
            "the board is not running; try again shortly",
        )
    })?;
    Ok(HttpResponse::Ok().json(snapshot))
}
