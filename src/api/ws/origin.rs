//! Which web pages may open a socket (RFC 6455 §10.2; OWASP ASVS 13.5): a browser always
//! sends the `Origin` of the page that opens a WebSocket, and a page of another site must
//! not ride a token it got hold of (or a signed-in tab) into the engine's streams. Allowed:
//! the engine's own origin (the one the request was addressed to), the origins listed in
//! `server.allowed_origins`, and clients that send no `Origin` at all (native apps, GPS
//! devices, scripts: no browser page is involved). `null` (sandboxed frames, files) is not
//! an origin anyone can list, so it is refused.

use actix_web::HttpRequest;
use actix_web::http::header::{HOST, ORIGIN};

use crate::api::error::ApiError;
use crate::domain::error_code::ErrorCode;

/// Refuses the handshake (403 `origin_not_allowed`) when the page's origin is not allowed.
pub fn check(req: &HttpRequest, allowed: &[String]) -> Result<(), ApiError> {
    let Some(origin) = req.headers().get(ORIGIN) else {
        return Ok(());
    };
    let refused = |shown: &str| {
        ApiError::of(
            ErrorCode::OriginNotAllowed,
            format!("pages from `{shown}` may not open this socket (see server.allowed_origins)"),
        )
    };
    let Ok(origin) = origin.to_str() else {
        return Err(refused("(not text)"));
    };
    let origin = origin.trim().trim_end_matches('/');
    if allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    let host = req.headers().get(HOST).and_then(|h| h.to_str().ok());
    if host.is_some_and(|host| same_site(origin, host)) {
        return Ok(());
    }
    Err(refused(origin))
}

/// Whether `origin` (`scheme://host[:port]`) names the host the request was sent to.
fn same_site(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return false;
    }
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else {
        ":80"
    };
    let bare = |a: &str| {
        a.strip_suffix(default_port)
            .unwrap_or(a)
            .to_ascii_lowercase()
    };
    bare(authority) == bare(host)
}

#[cfg(test)]
mod tests {
    use super::same_site;

    #[test]
    fn the_engines_own_origin_is_the_host_it_was_reached_at() {
        assert!(same_site("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(same_site("https://Hotline.Example", "hotline.example"));
        assert!(same_site("http://hotline.example:80", "hotline.example"));
        assert!(!same_site("http://evil.example", "127.0.0.1:8080"));
        assert!(!same_site("http://127.0.0.1:9090", "127.0.0.1:8080"));
        assert!(!same_site("null", "127.0.0.1:8080"));
        assert!(!same_site("file://127.0.0.1:8080", "127.0.0.1:8080"));
    }
}
