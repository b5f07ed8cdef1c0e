//! The lifecycle routes, a thin transport over `service::tickets`. Each caller step of the
//! domain's table (`domain::ticket::steps`) is served at `POST /tickets/{id}/{name}` by
//! [`StepRoute`], which also writes its OpenAPI operation from the step's row and body
//! type; dispatching, calling off and merging are routes of their own. The answer is the
//! ticket after the durable event. Nothing changes on an error.

use std::marker::PhantomData;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{
    ContentBuilder, Ref, RefOr, Required, ResponseBuilder, ResponsesBuilder, Schema,
};
use utoipa_actix_web::OpenApiFactory;

use super::dto::TicketDto;
use crate::api::auth::Caller;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::examples::example;
use crate::api::groups::dto::GroupDto;
use crate::domain::role::Role;
use crate::domain::ticket::Ticket;
use crate::domain::ticket::steps::{self, BodyRule, CallerStep, StepVisitor};
use crate::engine::Engine;
use crate::service::tickets::{self, Action, Body, Outcome};
#[allow(unused_imports)] // named by the OpenAPI attributes
use crate::service::tickets::{CancelDispatchRequest, DispatchRequest, MergeRequest};

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    struct Routes<'a, 'b>(&'a mut utoipa_actix_web::service_config::ServiceConfig<'b>);
    impl StepVisitor for Routes<'_, '_> {
        fn caller<S: CallerStep>(&mut self) {
            self.0.service(StepRoute::<S>(PhantomData));
        }
    }
    cfg.service(dispatch)
        .service(cancel_dispatch)
        .service(merge);
    steps::visit(&mut Routes(cfg));
}

/// The route of caller step `S`: `POST /tickets/{id}/{name}`, and its OpenAPI operation.
struct StepRoute<S>(PhantomData<S>);

impl<S: CallerStep> StepRoute<S> {
    fn path() -> String {
        format!("/tickets/{{id}}/{}", S::INFO.name)
    }
}

impl<S: CallerStep + 'static> HttpServiceFactory for StepRoute<S> {
    fn register(self, config: &mut AppService) {
        async fn take<S: CallerStep>(
            engine: web::Data<Engine>,
            caller: Caller,
            id: web::Path<String>,
            body: crate::api::Body,
        ) -> Result<HttpResponse, ApiError> {
            let action = Action::Step(&S::INFO);
            let outcome =
                tickets::perform(&engine, caller.principal(), &id, action, Body::Bytes(&body))
                    .await?;
            respond(&engine, &caller, outcome)
        }
        // Guarded like `#[post]`: another method falls through to the default service,
        // which answers 405 with `Allow`.
        web::resource(Self::path())
            .guard(actix_web::guard::Post())
            .to(take::<S>)
            .register(config)
    }
}

impl<S: CallerStep> OpenApiFactory for StepRoute<S> {
    fn paths(&self) -> utoipa::openapi::path::Paths {
        let info = &S::INFO;
        let json = |schema: &str, example_of: Option<&str>| {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(schema)))
                .example(example_of.map(example))
                .build()
        };
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content("application/json", json("ErrorBody", None))
                .build()
        };
        let roles: Vec<&str> = info.roles.iter().map(|r| r.as_str()).collect();
        let mut operation = OperationBuilder::new()
            .tag("lifecycle")
            .operation_id(Some(info.name.replace('-', "_")))
            .summary(Some(info.summary))
            .description(Some(format!("Roles: {}.", roles.join(", "))))
            .parameter(
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(<String as utoipa::PartialSchema>::schema())),
            )
            .responses(
                ResponsesBuilder::new()
                    .response(
                        "200",
                        ResponseBuilder::new()
                            .description("the ticket as it now stands")
                            .content("application/json", json("TicketDto", Some("TicketDto"))),
                    )
                    .response("400", error("malformed body"))
                    .response("403", error("the caller's role may not do this"))
                    .response("404", error("no such id"))
                    .response(
                        "409",
                        error("not allowed in the current state, or a conflict"),
                    )
                    .response("422", error("well-formed but breaks a rule")),
            )
            .securities(Some([SecurityRequirement::new(
                "bearer",
                Vec::<String>::new(),
            )]));
        if S::BODY != BodyRule::Ignored {
            let name = <S::Body as utoipa::ToSchema>::name();
            let required = if S::BODY == BodyRule::Required {
                Required::True
            } else {
                Required::False
            };
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json(&name, Some(&name)))
                    .required(Some(required))
                    .build(),
            ));
        }
        let mut paths = utoipa::openapi::path::Paths::new();
        paths.add_path_operation(Self::path(), vec![HttpMethod::Post], operation);
        paths
    }

    fn schemas(&self, schemas: &mut Vec<(String, RefOr<Schema>)>) {
        if S::BODY != BodyRule::Ignored {
            let name = <S::Body as utoipa::ToSchema>::name().into_owned();
            schemas.push((name, <S::Body as utoipa::PartialSchema>::schema()));
            <S::Body as utoipa::ToSchema>::schemas(schemas);
        }
    }
}

/// Declares the HTTP route `$route` for action `$action`, which console command frames take
/// too, so both paths share every check and error.
macro_rules! action_route {
    ($(#[$meta:meta])* $route:ident => $action:ident) => {
        $(#[$meta])*
        async fn $route(
            engine: web::Data<Engine>,
            caller: Caller,
            id: web::Path<String>,
            body: crate::api::Body,
        ) -> Result<HttpResponse, ApiError> {
            let outcome =
                tickets::perform(&engine, caller.principal(), &id, Action::$action, Body::Bytes(&body))
                    .await?;
            respond(&engine, &caller, outcome)
        }
    };
}

/// A step's answer as the wire shows it: HTTP's status and body, and a console `result`
/// frame's `status` and `body` alike.
#[derive(serde::Serialize)]
#[serde(untagged)]
pub enum Answer {
    Ticket(Box<TicketDto>),
    Group(Box<GroupDto>),
    #[cfg(feature = "fault-injection")]
    Json(serde_json::Value),
}

/// Renders a step's outcome for `role` (the ticket's view depends on who asks).
pub(crate) fn answer(
    engine: &Engine,
    role: Role,
    outcome: Outcome,
) -> Result<(StatusCode, Answer), ApiError> {
    Ok(match outcome {
        Outcome::Ticket(t) => (
            StatusCode::OK,
            Answer::Ticket(Box::new(TicketDto::new(&t, role, &engine.catalog))),
        ),
        Outcome::GroupFormed(t) => (
            StatusCode::CREATED,
            Answer::Group(Box::new(formed_group(engine, &t)?)),
        ),
        #[cfg(feature = "fault-injection")]
        Outcome::ActorDied(died) => (
            StatusCode::ACCEPTED,
            Answer::Json(serde_json::json!({ "actor_died": died })),
        ),
    })
}

/// A group just formed, with no messages yet.
fn formed_group(engine: &Engine, ticket: &Ticket) -> Result<GroupDto, ApiError> {
    GroupDto::new(ticket, &engine.roster)
        .map(|g| g.with_messages(&[], &engine.roster))
        .ok_or_else(|| ApiError::not_found("group"))
}

/// A step's outcome as an HTTP answer.
pub(crate) fn respond(
    engine: &Engine,
    caller: &Caller,
    outcome: Outcome,
) -> Result<HttpResponse, ApiError> {
    let (status, body) = answer(engine, caller.role(), outcome)?;
    Ok(HttpResponse::build(status).json(body))
}

action_route! {
    /// Offer the ticket to a vehicle (the named one, or the nearest eligible); it goes
    /// `en_route` when the vehicle accepts. With `assign`, the named vehicle is sent at once.
    /// Grade I tickets may be sent before triage (fast track).
    #[utoipa::path(tag = "lifecycle", request_body(content = Option<DispatchRequest>, example = json!(crate::api::examples::example("DispatchRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/dispatch")]
    dispatch => Dispatch
}

action_route! {
    /// Call off the open offer, or the vehicle on its way (the ticket waits for another).
    #[utoipa::path(tag = "lifecycle", request_body(content = CancelDispatchRequest, example = json!(crate::api::examples::example("CancelDispatchRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/dispatch/cancel")]
    cancel_dispatch => CancelDispatch
}

action_route! {
    /// Merge a duplicate into this ticket: the duplicate closes as `merged`, this one records it.
    #[utoipa::path(tag = "lifecycle", request_body(content = MergeRequest, example = json!(crate::api::examples::example("MergeRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/merge")]
    merge => Merge
}
