//! The web pages — dispatch console (`/console`), public board (`/board`), statistics
//! (`/stats`) and the crews' phone page (`/field`) — and their assets under `/assets/`.
//! Everything is compiled into the binary (`src/web/`: plain HTML, CSS and ES modules, no
//! build step; Leaflet vendored), so the engine serves its pages from any directory and
//! nothing is fetched from the internet.
//! The pages carry no secret: they ask for a token and call the API like any client.
//!
//! Caching: pages are `no-cache` (always revalidated, so an upgrade shows at once); assets
//! may be kept for ten minutes, vendored ones for a day; every answer has a content ETag
//! and `If-None-Match` gets 304.
//!
//! The field page is installable: its manifest (`/field.webmanifest`) and its service worker
//! (`/field-sw.js`, at the root so that its scope may be `/field`) keep the page's shell —
//! never an API answer — so the page opens without network. The worker names its cache
//! after a digest of the shell's files, so an upgraded engine replaces the shell at once.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, route, web};
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// One embedded file.
struct Asset {
    body: &'static [u8],
    content_type: &'static str,
    cache_control: &'static str,
    etag: String,
}

const PAGE_CACHE: &str = "no-cache";
const ASSET_CACHE: &str = "public, max-age=600";
const VENDOR_CACHE: &str = "public, max-age=86400";

/// Same-origin only; Leaflet sets inline styles and uses `data:` images; evidence files are
/// fetched with the console's token and shown from `blob:` URLs.
const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

macro_rules! embedded {
    ($($name:literal => $path:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../web/", $path)) as &[u8]),)*]
    };
}

/// Pages by route, and assets by their path under `/assets/`.
const PAGES: &[(&str, &[u8])] = embedded! {
    "console" => "assets/console.html",
    "board" => "assets/board.html",
    "stats" => "assets/stats.html",
    "field" => "assets/field.html",
};

const ASSETS: &[(&str, &[u8])] = embedded! {
    "css/common.css" => "assets/css/common.css",
    "css/console.css" => "assets/css/console.css",
    "css/board.css" => "assets/css/board.css",
    "css/stats.css" => "assets/css/stats.css",
    "js/i18n.js" => "assets/js/i18n.js",
    "js/api.js" => "assets/js/api.js",
    "js/stream.js" => "assets/js/stream.js",
    "js/console-units.js" => "assets/js/console-units.js",
    "js/console-cells.js" => "assets/js/console-cells.js",
    "js/console-place.js" => "assets/js/console-place.js",
    "js/format.js" => "assets/js/format.js",
    "js/map.js" => "assets/js/map.js",
    "js/charts.js" => "assets/js/charts.js",
    "js/console.js" => "assets/js/console.js",
    "js/console-state.js" => "assets/js/console-state.js",
    "js/console-queue.js" => "assets/js/console-queue.js",
    "js/console-detail.js" => "assets/js/console-detail.js",
    "js/console-group.js" => "assets/js/console-group.js",
    "js/console-triage.js" => "assets/js/console-triage.js",
    "js/console-report.js" => "assets/js/console-report.js",
    "js/console-evidence.js" => "assets/js/console-evidence.js",
    "js/console-closed.js" => "assets/js/console-closed.js",
    "js/console-feed.js" => "assets/js/console-feed.js",
    "js/console-timeline.js" => "assets/js/console-timeline.js",
    "js/board.js" => "assets/js/board.js",
    "js/stats.js" => "assets/js/stats.js",
    "css/field.css" => "assets/css/field.css",
    "js/field.js" => "assets/js/field.js",
    "js/field-vehicle.js" => "assets/js/field-vehicle.js",
    "js/field-gps.js" => "assets/js/field-gps.js",
    "js/field-offer.js" => "assets/js/field-offer.js",
    "js/field-nav.js" => "assets/js/field-nav.js",
    "js/field-ticket.js" => "assets/js/field-ticket.js",
    "js/field-report.js" => "assets/js/field-report.js",
    "js/field-group.js" => "assets/js/field-group.js",
    "js/field-evidence.js" => "assets/js/field-evidence.js",
    "img/field-192.png" => "assets/img/field-192.png",
    "img/field-512.png" => "assets/img/field-512.png",
    "img/favicon.svg" => "assets/img/favicon.svg",
    "vendor/leaflet/leaflet.js" => "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css" => "vendor/leaflet/leaflet.css",
    "vendor/leaflet/LICENSE" => "vendor/leaflet/LICENSE",
    "vendor/leaflet/images/layers.png" => "vendor/leaflet/images/layers.png",
    "vendor/leaflet/images/layers-2x.png" => "vendor/leaflet/images/layers-2x.png",
    "vendor/leaflet/images/marker-icon.png" => "vendor/leaflet/images/marker-icon.png",
    "vendor/leaflet/images/marker-icon-2x.png" => "vendor/leaflet/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png" => "vendor/leaflet/images/marker-shadow.png",
};

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        _ => "text/plain; charset=utf-8",
    }
}

fn asset(path: &str, body: &'static [u8], cache_control: &'static str) -> Asset {
    let digest = Sha256::digest(body);
    Asset {
        body,
        content_type: content_type(path),
        cache_control,
        etag: format!("\"{}\"", hex::encode(&digest[..12])),
    }
}

fn pages() -> &'static HashMap<&'static str, Asset> {
    static PAGE_MAP: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    PAGE_MAP.get_or_init(|| {
        PAGES
            .iter()
            .map(|(name, body)| (*name, asset("page.html", body, PAGE_CACHE)))
            .collect()
    })
}

fn assets() -> &'static HashMap<&'static str, Asset> {
    static ASSET_MAP: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    ASSET_MAP.get_or_init(|| {
        ASSETS
            .iter()
            .map(|(path, body)| {
                let cache = if path.starts_with("vendor/") {
                    VENDOR_CACHE
                } else {
                    ASSET_CACHE
                };
                (*path, asset(path, body, cache))
            })
            .collect()
    })
}

/// The file, or 304 when the client's copy is current.
fn serve(req: &HttpRequest, a: &Asset) -> HttpResponse {
    let current = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == a.etag || t.trim() == "*")
        });
    let mut res = if current {
        HttpResponse::build(StatusCode::NOT_MODIFIED)
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, a.etag.clone()))
        .insert_header((header::CACHE_CONTROL, a.cache_control))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if a.content_type.starts_with("text/html") {
        res.insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::REFERRER_POLICY, "no-referrer"));
    }
    if current {
        res.finish()
    } else {
        res.content_type(a.content_type).body(a.body)
    }
}

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(root)
        .service(page)
        .service(file)
        .service(favicon)
        .service(field_manifest)
        .service(field_worker);
}

/// `/` opens the console.
#[route("/", method = "GET", method = "HEAD")]
async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/console"))
        .finish()
}

#[route(
    "/{page:(console|board|stats|field)/?}",
    method = "GET",
    method = "HEAD"
)]
async fn page(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let key = name.trim_end_matches('/');
    pages()
        .get(key)
        .map(|a| serve(&req, a))
        .ok_or_else(|| ApiError::not_found("page"))
}

#[route("/assets/{path:.*}", method = "GET", method = "HEAD")]
async fn file(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    assets()
        .get(path.as_str())
        .map(|a| serve(&req, a))
        .ok_or_else(|| ApiError::not_found(format!("asset `{path}`")))
}

#[route("/favicon.ico", method = "GET", method = "HEAD")]
async fn favicon(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    assets()
        .get("img/favicon.svg")
        .map(|a| serve(&req, a))
        .ok_or_else(|| ApiError::not_found("favicon"))
}

/// The field page's shell: what its service worker keeps so the page opens offline.
const FIELD_SHELL: &[&str] = &[
    "css/common.css",
    "css/field.css",
    "js/i18n.js",
    "js/api.js",
    "js/stream.js",
    "js/format.js",
    "js/field.js",
    "js/field-vehicle.js",
    "js/field-gps.js",
    "js/field-offer.js",
    "js/field-nav.js",
    "js/field-ticket.js",
    "js/field-report.js",
    "js/field-group.js",
    "js/field-evidence.js",
    "js/console-report.js",
    "img/favicon.svg",
    "img/field-192.png",
    "img/field-512.png",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
];

const FIELD_MANIFEST: &[u8] = include_bytes!("../web/field.webmanifest");
const FIELD_WORKER: &str = include_str!("../web/field-sw.js");

/// The manifest and the worker, the worker with its shell list and version filled in.
fn field_files() -> &'static (Asset, Asset) {
    static FILES: OnceLock<(Asset, Asset)> = OnceLock::new();
    FILES.get_or_init(|| {
        let mut digest = Sha256::new();
        let mut shell: Vec<String> = vec!["/field".into(), "/field.webmanifest".into()];
        for path in FIELD_SHELL {
            let a = &assets()[path];
            digest.update(a.etag.as_bytes());
            shell.push(format!("/assets/{path}"));
        }
        digest.update(pages()["field"].etag.as_bytes());
        digest.update(FIELD_MANIFEST);
        let version = hex::encode(&digest.finalize()[..8]);
        let worker = FIELD_WORKER.replace("__VERSION__", &version).replace(
            "__SHELL__",
            &serde_json::to_string(&shell).unwrap_or_default(),
        );
        // Made once per process, like the embedded files it sits beside.
        let worker: &'static [u8] = Box::leak(worker.into_bytes().into_boxed_slice());
        (
            asset("field.webmanifest", FIELD_MANIFEST, PAGE_CACHE),
            asset("field-sw.js", worker, PAGE_CACHE),
        )
    })
}

#[route("/field.webmanifest", method = "GET", method = "HEAD")]
async fn field_manifest(req: HttpRequest) -> HttpResponse {
    serve(&req, &field_files().0)
}

/// Served from the root so that its scope may be `/field`; always revalidated, so a new
/// shell reaches the phones on their next visit.
#[route("/field-sw.js", method = "GET", method = "HEAD")]
async fn field_worker(req: HttpRequest) -> HttpResponse {
    serve(&req, &field_files().1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn every_embedded_file_has_a_type_and_an_etag() {
        for (path, a) in assets() {
            assert!(!a.body.is_empty(), "{path} is empty");
            assert!(a.etag.len() > 10);
            if path.ends_with(".js") {
                assert_eq!(a.content_type, "text/javascript; charset=utf-8");
            }
        }
        assert_eq!(pages().len(), 4);
    }

    #[test]
    fn the_field_worker_keeps_the_whole_shell_under_one_version() {
        let (manifest, worker) = field_files();
        assert_eq!(manifest.content_type, "application/manifest+json");
        let text = std::str::from_utf8(worker.body).unwrap();
        assert!(!text.contains("__VERSION__") && !text.contains("__SHELL__"));
        for path in FIELD_SHELL {
            assert!(assets().contains_key(path), "{path} is not embedded");
            assert!(
                text.contains(&format!("\"/assets/{path}\"")),
                "{path} not kept"
            );
        }
        // Every script and style the page loads is in the shell.
        let html = String::from_utf8_lossy(PAGES.iter().find(|p| p.0 == "field").unwrap().1);
        for part in html.split("/assets/").skip(1) {
            let path: String = part.chars().take_while(|c| *c != '"').collect();
            assert!(
                FIELD_SHELL.contains(&path.as_str()),
                "{path} is not in the shell"
            );
        }
    }

    #[test]
    fn pages_reference_only_embedded_assets() {
        let known = assets();
        for (name, body) in PAGES.iter().chain(ASSETS.iter()) {
            let text = String::from_utf8_lossy(body);
            if !(name.ends_with(".html") || name.ends_with(".js") || !name.contains('.')) {
                continue;
            }
            for part in text.split("/assets/").skip(1) {
                let path: String = part
                    .chars()
                    .take_while(|c| !matches!(c, '"' | '\'' | '`' | '?' | ')' | ' ' | '$'))
                    .collect();
                if path.is_empty() {
                    continue;
                }
                assert!(
                    known.contains_key(path.as_str()),
                    "{name} links /assets/{path}"
                );
            }
        }
    }
}
