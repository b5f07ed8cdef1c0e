//! What a request no route took gets: 405 `method_not_allowed` with an `Allow` header when
//! its path is a route's under other methods (`DELETE /api/v1/tickets`, `PUT /healthz`),
//! else 404 `not_found`; both in the engine's error shape.
//!
//! actix-web guards each `#[get]`/`#[post]` resource by its method, so a path served under
//! another method does not match at all and would fall through to 404. Whether the path is
//! a route's is asked of actix's own resource map (the patterns as registered, so a real
//! 404 stays a 404); which methods it takes is read from the served OpenAPI document,
//! which lists every API route with its methods, and from [`UNDOCUMENTED`] for the few
//! routes outside it.

use std::collections::HashMap;

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::ApiError;
use crate::domain::error_code::ErrorCode;

/// Routes outside the OpenAPI document that take more than GET (the rest, health and
/// metrics, sockets, Swagger UI, take GET only).
const UNDOCUMENTED: &[(&str, &[Method])] = &[
    ("/", &[Method::GET, Method::HEAD]),
    (
        "/{page:(console|board|stats|field)/?}",
        &[Method::GET, Method::HEAD],
    ),
    ("/field.webmanifest", &[Method::GET, Method::HEAD]),
    ("/field-sw.js", &[Method::GET, Method::HEAD]),
    ("/assets/{path:.*}", &[Method::GET, Method::HEAD]),
    ("/favicon.ico", &[Method::GET, Method::HEAD]),
];

/// The methods of every documented route, by its pattern (`/api/v1/tickets/{id}`).
pub struct RouteMethods(HashMap<String, Vec<Method>>);

impl RouteMethods {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let table = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::HEAD, item.head.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                    (Method::OPTIONS, item.options.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (path.clone(), methods)
            })
            .collect();
        Self(table)
    }

    fn allowed(&self, pattern: &str) -> Vec<Method> {
        if let Some(methods) = self.0.get(pattern).filter(|m| !m.is_empty()) {
            return methods.clone();
        }
        UNDOCUMENTED
            .iter()
            .find(|(p, _)| *p == pattern)
            .map_or_else(|| vec![Method::GET], |(_, m)| m.to_vec())
    }
}

/// The app's default service.
pub async fn unmatched(req: HttpRequest, methods: Option<web::Data<RouteMethods>>) -> HttpResponse {
    let Some(pattern) = req.resource_map().match_pattern(req.path()) else {
        return HttpResponse::from_error(ApiError::not_found("route"));
    };
    let allowed = methods.map_or_else(|| vec![Method::GET], |m| m.allowed(&pattern));
    if allowed.contains(req.method()) {
        // The path is a route's and the method is one of its own: a guard other than the
        // method refused it.
        return HttpResponse::from_error(ApiError::not_found("route"));
    }
    let list = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut res = HttpResponse::from_error(ApiError::of(
        ErrorCode::MethodNotAllowed,
        format!("{} is not served here; allowed: {list}", req.method()),
    ));
    if let Ok(value) = header::HeaderValue::from_str(&list) {
        res.headers_mut().insert(header::ALLOW, value);
    }
    res
}
