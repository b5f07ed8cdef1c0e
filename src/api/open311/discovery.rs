//! `discovery.{json,xml}`: where the GeoReport v2 endpoint is, in which formats, and how
//! to get a key (the spec's service discovery document).

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;

use super::xml::{Format, respond};

/// When this endpoint last changed in a way a client may notice.
const CHANGESET: &str = "2026-12-06 00:00";
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

#[derive(Serialize)]
struct Endpoint {
    specification: &'static str,
    url: String,
    changeset: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    formats: [&'static str; 2],
}

#[derive(Serialize)]
struct Discovery {
    changeset: &'static str,
    contact: &'static str,
    key_service: &'static str,
    endpoints: [Endpoint; 1],
}

pub fn answer(req: &HttpRequest, format: Format) -> HttpResponse {
    let info = req.connection_info();
    let doc = Discovery {
        changeset: CHANGESET,
        contact: "The 12313 hotline's command centre (烟草专卖 12313 指挥中心).",
        key_service: "An api_key is a platform token, issued by the engine's administrator \
                      (POST /api/v1/tokens with role `platform`). Reading needs no key.",
        endpoints: [Endpoint {
            specification: SPECIFICATION,
            url: format!("{}://{}/open311/v2", info.scheme(), info.host()),
            changeset: CHANGESET,
            kind: "production",
            formats: ["application/json", "text/xml"],
        }],
    };
    respond(StatusCode::OK, format, &doc, |x| {
        x.open("discovery")
            .text("changeset", doc.changeset)
            .text("contact", doc.contact)
            .text("key_service", doc.key_service)
            .list("endpoints", "endpoint", &doc.endpoints, |x, e| {
                x.text("specification", e.specification)
                    .text("url", &e.url)
                    .text("changeset", e.changeset)
                    .text("type", e.kind)
                    .list("formats", "format", &e.formats, |x, f| {
                        x.content(f);
                    });
            })
            .close("discovery");
    })
}
