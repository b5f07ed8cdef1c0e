//! The caller of a request: a bearer token (header, or `?token=` for WebSockets) resolved
//! to a principal. Missing or unknown tokens are 401 (429 once the client's address is past
//! its budget of failures, see `throttle.rs`); a role a route does not allow is 403.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::error::ApiError;
use crate::domain::role::{Principal, Role};
use crate::engine::Engine;

/// The authenticated principal of a request, and the token it presented (sockets keep it
/// to close when it is revoked).
#[derive(Clone, Debug)]
pub struct Caller(pub Principal, pub Option<String>);

impl Caller {
    /// Fails with 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<&Principal, ApiError> {
        if roles.contains(&self.0.role) {
            Ok(&self.0)
        } else {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::forbidden(format!(
                "the {} role may not use this route (allowed: {})",
                self.0.role,
                allowed.join(", ")
            )))
        }
    }

    pub fn role(&self) -> Role {
        self.0.role
    }

    pub fn principal(&self) -> &Principal {
        &self.0
    }

    /// The id of the token presented (`None` for the bootstrap admin token).
    pub fn token_id(&self) -> Option<&str> {
        self.1.as_deref()
    }
}

fn presented_token(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let text = value.to_str().ok()?;
        let (scheme, token) = text.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("token").cloned())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(engine) = req.app_data::<web::Data<Engine>>() else {
            return ready(Err(ApiError::unauthorized(
                "authentication is not configured",
            )));
        };
        let result = match presented_token(req) {
            None => Err(ApiError::unauthorized(
                "send a token: Authorization: Bearer <token>",
            )),
            Some(t) if t.is_empty() => Err(ApiError::unauthorized("the token is empty")),
            Some(t) => engine
                .tokens
                .authenticate(&t)
                .map(|a| Caller(a.principal, a.token_id))
                .ok_or_else(|| ApiError::unauthorized("unknown or revoked token")),
        };
        // A failure counts against the client address's budget (429 past it).
        ready(result.map_err(|e| super::throttle::refuse(engine, req, e)))
    }
}
