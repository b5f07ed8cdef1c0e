//! Response headers every answer gets unless its route set its own:
//!
//! - `X-Content-Type-Options: nosniff` on everything, so a browser never runs a JSON or
//!   CSV answer as a script or a page;
//! - `Cache-Control: no-store` on the API (`/api/`) and Open311 (`/open311/`): answers can
//!   carry a reporter's name and phone, which must not stay in a browser's or a proxy's
//!   cache;
//! - on Swagger UI (`/docs/`): a Content-Security-Policy (its own scripts and styles only;
//!   inline styles and `data:` images, which Swagger UI's stylesheet and renderer use;
//!   `frame-ancestors 'none'` so no other page can frame it) and `Referrer-Policy`.
//!
//! The pages (`pages.rs`) set their own caching and CSP.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// Swagger UI's policy (checked in Chromium: the page renders and reports no violation).
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

fn set_default(
    res: &mut ServiceResponse<impl MessageBody>,
    name: header::HeaderName,
    value: &'static str,
) {
    let headers = res.headers_mut();
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// The middleware (`middleware::from_fn`).
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    let api = path.starts_with("/api/") || path.starts_with("/open311/");
    let docs = path == "/docs" || path.starts_with("/docs/");
    let mut res = next.call(req).await?;
    set_default(&mut res, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if api {
        set_default(&mut res, header::CACHE_CONTROL, "no-store");
    }
    if docs {
        set_default(&mut res, header::CONTENT_SECURITY_POLICY, DOCS_CSP);
        set_default(&mut res, header::X_FRAME_OPTIONS, "DENY");
        set_default(&mut res, header::REFERRER_POLICY, "no-referrer");
    }
    Ok(res)
}
