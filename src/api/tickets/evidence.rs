//! Evidence files of a ticket: upload (multipart), the list, and the bytes.
//!
//! An upload is checked before anything is kept: the caller (the ticket's vehicle, its
//! crew or group members, a dispatcher), the ticket (open), then the body, streamed to a
//! temp file under `evidence.max_bytes` (413 past it), its type found in the bytes and
//! held against `evidence.allowed_types` and the declared type (415), the guide kind and
//! its fit with the file (422). A refused file leaves nothing. An accepted one is moved
//! into the file store under its SHA-256 (`crate::evidence`), then attached by the
//! `evidence.attached` event through the ticket's actor.
//!
//! The files are served to dispatchers, supervisors and the ticket's own field principals
//! only — never to the board, Open311 or the platform — with their type, a
//! `Content-Disposition`, `Cache-Control: no-store` and `nosniff`. A file erased with the
//! reporter's data answers 410; its hash stays in the timeline.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::load_visible;
use crate::api::auth::Caller;
use crate::api::error::{ApiError, ErrorBody};
use crate::domain::Timestamp;
use crate::domain::error_code::ErrorCode;
use crate::domain::fleet::VehicleState;
use crate::domain::role::Role;
use crate::domain::ticket::{AttachedFile, Command, PhotoHint, Ticket, is_sha256, steps};
use crate::engine::Engine;
use crate::evidence::files::Finished;
use crate::evidence::receive::{ReceiveError, Receiving};
use crate::evidence::{FileStore, exif, receive, sniff};
use crate::store::RecordKind;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(upload).service(list).service(read);
}

/// Who may upload: the ticket's field principals (checked against the ticket) and
/// dispatchers.
const UPLOADERS: &[Role] = &[Role::Dispatcher, Role::Field];
/// Who may list and read: dispatchers, supervisors, the ticket's field principals.
const READERS: &[Role] = &[Role::Dispatcher, Role::Supervisor, Role::Field];
/// Longest text part (`kind`, `shows_reporter`), bytes.
const MAX_TEXT_PART: usize = 256;

/// The multipart body of an upload.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "the schema of the multipart body, read part by part"
)]
pub struct EvidenceUpload {
    /// One of the guide's evidence kinds (`GET /catalog` `evidence_kinds`): `photo`,
    /// `video`, `audio`, `document`, `inspection_record`...
    kind: String,
    /// `true` when the file shows the reporter (erased with their personal data).
    shows_reporter: Option<bool>,
    /// The file, with its declared `Content-Type`; its type is checked in its bytes.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// An evidence file attached to a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceFileDto {
    /// SHA-256 of the bytes, lowercase hex: its name, and what the on-site record and the
    /// report name (`evidence[].sha256`).
    pub sha256: String,
    pub size: u64,
    /// The type found in the bytes.
    pub content_type: String,
    pub kind: String,
    pub by_role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_subject: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub attached_at: Timestamp,
    pub shows_reporter: bool,
    /// The bytes were erased with the reporter's data; the hash stays.
    pub erased: bool,
    /// What the file says of itself (a photo's EXIF time and position, its distance from
    /// the site and from the vehicle): a hint, never proof.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub hint: Option<Value>,
    /// Where the bytes are served.
    pub url: String,
    /// The `evidence.attached` event (on upload only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u64>,
}

impl EvidenceFileDto {
    fn new(ticket: &Ticket, f: &AttachedFile) -> Self {
        let a = &f.attachment;
        Self {
            sha256: a.sha256.clone(),
            size: a.size,
            content_type: a.content_type.clone(),
            kind: a.kind.clone(),
            by_role: a.by.role,
            by_subject: a.by.subject.as_ref().map(ToString::to_string),
            attached_at: f.attached_at,
            shows_reporter: a.shows_reporter,
            erased: f.erased,
            hint: a.hint.as_ref().and_then(|h| serde_json::to_value(h).ok()),
            url: format!("/api/v1/tickets/{}/evidence/{}", ticket.id, a.sha256),
            event_id: None,
        }
    }
}

/// The evidence files of a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceListDto {
    pub files: Vec<EvidenceFileDto>,
}

/// The example of a file in the OpenAPI document.
fn file_example(event_id: Option<u64>) -> Value {
    let mut v = serde_json::json!({
        "sha256": "9f2c4e1b7a0d3c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60",
        "size": 482113,
        "content_type": "image/jpeg",
        "kind": "photo",
        "by_role": "field",
        "by_subject": "vehicle:V-001",
        "attached_at": "2026-12-07T06:02:40Z",
        "shows_reporter": false,
        "erased": false,
        "hint": { "taken_at": "2026-12-07T14:02:11", "position": { "lat": 29.8501, "lng": 115.5523 },
                  "from_site_m": 31.2, "from_vehicle_m": 18.4, "vehicle_fix_at": "2026-12-07T06:01:55Z", "fix_gap_s": -16 },
        "url": "/api/v1/tickets/0193a7c2-8a4e-7c1d-9f3b-2a6e4d5c7b81/evidence/9f2c4e1b7a0d3c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60",
    });
    if let Some(id) = event_id {
        v["event_id"] = id.into();
    }
    v
}

fn files_of(engine: &Engine) -> FileStore {
    FileStore::of_store(&engine.settings.store.path)
}

/// What the upload's parts said.
#[derive(Default)]
struct Parts {
    kind: Option<String>,
    shows_reporter: bool,
    declared: Option<String>,
    file: Option<Finished>,
}

/// Attaches a file to the ticket: the file part (`file`, with its `Content-Type`), its
/// guide `kind`, and `shows_reporter`. Kept by SHA-256; the `evidence.attached` event is
/// committed before the answer.
#[utoipa::path(
    tag = "tickets",
    operation_id = "upload_evidence",
    params(("id" = String, Path, description = "ticket id")),
    request_body(content = EvidenceUpload, content_type = "multipart/form-data",
        example = json!({ "kind": "photo", "shows_reporter": "false", "file": "(the JPEG's bytes)" })),
    responses(
        (status = 201, description = "stored and attached (durable)", body = EvidenceFileDto, example = json!(file_example(Some(1043)))),
        (status = 400, description = "not a readable multipart body", body = ErrorBody),
        (status = 401, description = "no token, or a bad one", body = ErrorBody),
        (status = 403, description = "not the ticket's field principal or a dispatcher", body = ErrorBody),
        (status = 404, description = "no such ticket", body = ErrorBody),
        (status = 409, description = "the ticket is closed", body = ErrorBody),
        (status = 413, description = "the file is over `evidence.max_bytes`", body = ErrorBody),
        (status = 415, description = "not multipart, a type not allowed, or content not of the declared type", body = ErrorBody),
        (status = 422, description = "an empty file, no file, an unknown kind, or a kind the file does not fit", body = ErrorBody),
        (status = 429, description = "too busy: retry later", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id}/evidence")]
async fn upload(
    engine: web::Data<Engine>,
    caller: Caller,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(UPLOADERS)?.clone();
    let id = super::parse_id(&path)?;
    let ticket = load_visible(&engine, &caller, &id)?;
    if ticket.status.is_closed() {
        return Err(ApiError::of(
            ErrorCode::IllegalTransition,
            format!(
                "cannot attach evidence to a ticket that is {}",
                ticket.status.as_str()
            ),
        )
        .with_details(serde_json::json!({ "status": ticket.status.as_str() })));
    }
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Err(ApiError::of(
            ErrorCode::UnsupportedMediaType,
            "send the file as multipart/form-data (parts `file`, `kind`, `shows_reporter`)",
        ));
    }
    // A slot held until the upload is done: a client that sends slowly holds only its own.
    let Ok(_slot) = engine.evidence_uploads.clone().try_acquire_owned() else {
        metrics::counter!("hotline_evidence_uploads_total", "outcome" => "busy").increment(1);
        return Err(ApiError::busy(format!(
            "{} uploads are being received; retry after `Retry-After`",
            engine.settings.evidence.max_concurrent_uploads
        )));
    };
    let files = files_of(&engine);
    let limit = engine.settings.evidence.max_bytes;
    let parts = match read_parts(Multipart::new(req.headers(), payload), &files, limit).await {
        Ok(p) => p,
        Err(e) => {
            metrics::counter!("hotline_evidence_uploads_total", "outcome" => "refused")
                .increment(1);
            return Err(e);
        }
    };
    let checked = check(&engine, parts);
    let (file, content_type, kind, shows_reporter) = match checked {
        Ok(c) => c,
        Err(e) => {
            metrics::counter!("hotline_evidence_uploads_total", "outcome" => "refused")
                .increment(1);
            return Err(e);
        }
    };
    let sha256 = file.sha256.clone();
    let size = file.size;
    let claims = (content_type == "image/jpeg")
        .then(|| exif::read(&file.head))
        .flatten();
    let keeping = files.clone();
    web::block(move || keeping.keep(file))
        .await
        .map_err(|e| storage(format!("the file writer failed: {e}")))?
        .map_err(|e| storage(format!("storing the file: {e}")))?;
    let hint = match claims {
        Some(c) => Some(Box::new(hint(&engine, &ticket, c).await)),
        None => None,
    };
    let command = Command::AttachEvidence(steps::AttachEvidence {
        sha256: sha256.clone(),
        size,
        content_type,
        kind,
        shows_reporter,
        hint,
    });
    let done = engine.tickets.execute(id, command, by).await?;
    metrics::counter!("hotline_evidence_uploads_total", "outcome" => "attached").increment(1);
    metrics::counter!("hotline_evidence_bytes_total").increment(size);
    let attached = done
        .ticket
        .file(&sha256)
        .ok_or_else(|| storage("the attached file is not on the ticket".into()))?;
    let mut dto = EvidenceFileDto::new(&done.ticket, attached);
    dto.event_id = Some(done.event.event_id);
    Ok(HttpResponse::Created().json(dto))
}

fn storage(message: String) -> ApiError {
    tracing::error!(error = %message, "evidence file store failed");
    ApiError::of(ErrorCode::StorageError, message)
}

/// Waits for the body's next piece, for at most `receive::IDLE`.
async fn idle<T>(next: impl std::future::Future<Output = T>) -> Result<T, ApiError> {
    tokio::time::timeout(receive::IDLE, next)
        .await
        .map_err(|_| {
            ApiError::malformed(format!(
                "the upload sent nothing for {} s and was refused",
                receive::IDLE.as_secs()
            ))
        })
}

/// Reads the parts; the file is streamed to a temp file under `limit`.
async fn read_parts(
    mut multipart: Multipart,
    files: &FileStore,
    limit: u64,
) -> Result<Parts, ApiError> {
    let bad = |e: actix_multipart::MultipartError| {
        ApiError::malformed(format!("cannot read the multipart body: {e}"))
    };
    let mut parts = Parts::default();
    while let Some(field) = idle(multipart.next()).await? {
        let mut field = field.map_err(bad)?;
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "kind" | "shows_reporter" => {
                let text = match field.bytes(MAX_TEXT_PART).await {
                    Ok(Ok(b)) => String::from_utf8_lossy(&b).trim().to_owned(),
                    Ok(Err(e)) => return Err(bad(e)),
                    Err(_) => {
                        return Err(ApiError::of(
                            ErrorCode::TooLong,
                            format!("the `{name}` part is over {MAX_TEXT_PART} bytes"),
                        ));
                    }
                };
                if name == "kind" {
                    parts.kind = Some(text);
                } else {
                    parts.shows_reporter = match text.as_str() {
                        "true" | "1" | "on" | "yes" => true,
                        "false" | "0" | "off" | "no" | "" => false,
                        _ => {
                            return Err(ApiError::malformed(
                                "`shows_reporter` is `true` or `false`",
                            ));
                        }
                    };
                }
            }
            "file" => {
                if parts.file.is_some() {
                    return Err(ApiError::of(ErrorCode::BadEvidence, "one file per upload"));
                }
                parts.declared = field.content_type().map(ToString::to_string);
                let incoming = web::block({
                    let files = files.clone();
                    move || files.incoming()
                })
                .await
                .map_err(|e| storage(format!("the file writer failed: {e}")))?
                .map_err(|e| storage(format!("opening a temp file: {e}")))?;
                let mut receiving = Receiving::start(incoming, limit);
                while let Some(chunk) = idle(field.next()).await? {
                    let chunk = chunk.map_err(bad)?;
                    receiving.push(chunk).await.map_err(received)?;
                }
                parts.file = Some(receiving.finish().await.map_err(received)?);
            }
            other => {
                return Err(ApiError::malformed(format!(
                    "unknown part `{other}`: send `file`, `kind` and `shows_reporter`"
                )));
            }
        }
    }
    Ok(parts)
}

fn received(e: ReceiveError) -> ApiError {
    match e {
        ReceiveError::TooLarge(limit) => ApiError::of(
            ErrorCode::TooLarge,
            format!("the file is over the limit of {limit} bytes (evidence.max_bytes)"),
        )
        .with_details(serde_json::json!({ "max_bytes": limit })),
        ReceiveError::Io(e) => storage(format!("writing the file: {e}")),
    }
}

/// Checks what was received: a file, not empty, of an allowed type found in its bytes
/// and the type it was declared as, a guide kind it fits. Refused, the temp file goes with
/// the `Finished` dropped.
fn check(engine: &Engine, parts: Parts) -> Result<(Finished, String, String, bool), ApiError> {
    let Some(file) = parts.file else {
        return Err(ApiError::of(
            ErrorCode::EvidenceFileMissing,
            "the upload has no `file` part",
        ));
    };
    if file.size == 0 {
        return Err(ApiError::of(ErrorCode::EvidenceEmpty, "the file is empty"));
    }
    let allowed = &engine.settings.evidence.allowed_types;
    let found = sniff::sniff(&file.head).filter(|t| allowed.iter().any(|a| a == t));
    let Some(found) = found else {
        return Err(ApiError::of(
            ErrorCode::EvidenceTypeNotAllowed,
            format!(
                "the file's content is not of a type allowed as evidence ({})",
                allowed.join(", ")
            ),
        )
        .with_details(serde_json::json!({ "allowed": allowed })));
    };
    if let Some(declared) = &parts.declared
        && !sniff::declared_fits(declared, found)
    {
        return Err(ApiError::of(
            ErrorCode::EvidenceTypeMismatch,
            format!("the file was declared {declared} but its content is {found}"),
        )
        .with_details(serde_json::json!({ "declared": declared, "found": found })));
    }
    let kinds = engine.catalog.evidence_kinds();
    let kind = parts.kind.unwrap_or_default();
    if !kinds.contains(&kind.as_str()) {
        return Err(ApiError::of(
            ErrorCode::UnknownEvidenceKind,
            format!(
                "`{kind}` is not an evidence kind; use one of {}",
                kinds.join(", ")
            ),
        )
        .with_details(serde_json::json!({ "kind": kind, "allowed": kinds })));
    }
    if !sniff::kind_fits(&kind, found) {
        return Err(ApiError::of(
            ErrorCode::EvidenceKindMismatch,
            format!("a {found} file cannot be evidence of kind `{kind}`"),
        ));
    }
    Ok((file, found.to_owned(), kind, parts.shows_reporter))
}

/// A photo's claims set beside the site and the vehicle. The engine keeps no track
/// history, only each vehicle's latest fix: the position compared is the live vehicle's
/// latest fix, else the one last stored (persisted periodically), and the hint says when
/// it was taken and how far that is from the photo's own time, for the reviewer to weigh.
async fn hint(engine: &Engine, ticket: &Ticket, claims: exif::Claims) -> PhotoHint {
    let site = ticket.location.position;
    let vehicle = ticket.assignment.vehicle_id.as_ref();
    let live = match vehicle.and_then(|v| engine.fleet.live_vehicle(v)) {
        // A bounded wait: a busy vehicle actor leaves the hint to the stored fix.
        Some(addr) => tokio::time::timeout(
            std::time::Duration::from_millis(500),
            addr.send(crate::actors::fleet::messages::GetVehicle),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|view| view.last_fix),
        None => None,
    };
    let fix = live.or_else(|| {
        let raw = engine
            .store
            .record(RecordKind::VehicleState, vehicle?.as_str())
            .ok()??;
        serde_json::from_slice::<VehicleState>(&raw).ok()?.last_fix
    });
    let taken = claims.taken_at.as_deref().and_then(|t| {
        Timestamp::parse(&format!(
            "{t}+{:02}:00",
            crate::domain::clock::CENTRE_OFFSET_HOURS
        ))
        .ok()
    });
    let round = |m: f64| (m * 10.0).round() / 10.0;
    PhotoHint {
        taken_at: claims.taken_at,
        position: claims.position,
        from_site_m: claims
            .position
            .zip(site)
            .map(|(p, s)| round(p.distance_m(s))),
        from_vehicle_m: claims
            .position
            .zip(fix.as_ref())
            .map(|(p, f)| round(p.distance_m(f.position))),
        fix_gap_s: fix.as_ref().zip(taken).map(|(f, t)| f.at.seconds_since(t)),
        vehicle_fix_at: fix.map(|f| f.at),
    }
}

/// The evidence files attached to a ticket, in order (erased ones too, marked).
#[utoipa::path(
    tag = "tickets",
    operation_id = "list_evidence",
    params(("id" = String, Path, description = "ticket id")),
    responses(
        (status = 200, description = "the files", body = EvidenceListDto, example = json!({ "files": [file_example(None)] })),
        (status = 401, description = "no token, or a bad one", body = ErrorBody),
        (status = 403, description = "not a dispatcher, a supervisor or the ticket's field principal", body = ErrorBody),
        (status = 404, description = "no such ticket", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/tickets/{id}/evidence")]
async fn list(
    engine: web::Data<Engine>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(READERS)?;
    let id = super::parse_id(&path)?;
    let ticket = load_visible(&engine, &caller, &id)?;
    let files = ticket
        .files
        .iter()
        .map(|f| EvidenceFileDto::new(&ticket, f))
        .collect();
    Ok(HttpResponse::Ok().json(EvidenceListDto { files }))
}

/// The bytes of an evidence file, with its type, a `Content-Disposition`, `Cache-Control:
/// no-store` and `X-Content-Type-Options: nosniff`. 410 when erased with the reporter's
/// data.
#[utoipa::path(
    tag = "tickets",
    operation_id = "read_evidence",
    params(("id" = String, Path, description = "ticket id"), ("sha256" = String, Path, description = "the file's SHA-256")),
    responses(
        (status = 200, description = "the file, its `Content-Type` the one found at upload", content_type = "application/octet-stream", body = Vec<u8>, example = json!("(the file's bytes)")),
        (status = 401, description = "no token, or a bad one", body = ErrorBody),
        (status = 403, description = "not a dispatcher, a supervisor or the ticket's field principal", body = ErrorBody),
        (status = 404, description = "no such ticket, or no such file on it", body = ErrorBody),
        (status = 410, description = "erased with the reporter's personal data", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/tickets/{id}/evidence/{sha256}")]
async fn read(
    engine: web::Data<Engine>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(READERS)?;
    let (raw_id, sha256) = path.into_inner();
    let id = super::parse_id(&raw_id)?;
    let ticket = load_visible(&engine, &caller, &id)?;
    let sha256 = sha256.to_ascii_lowercase();
    let file = is_sha256(&sha256)
        .then(|| ticket.file(&sha256))
        .flatten()
        .ok_or_else(|| ApiError::not_found("evidence file"))?;
    let erased = || {
        ApiError::of(
            ErrorCode::EvidenceErased,
            "the file was erased with the reporter's personal data; its hash stays on record",
        )
    };
    if file.erased {
        return Err(erased());
    }
    let store = files_of(&engine);
    let opened = web::block(move || store.open(&sha256))
        .await
        .map_err(|e| storage(format!("the file reader failed: {e}")))?
        .map_err(|e| storage(format!("reading the file: {e}")))?;
    let Some(opened) = opened else {
        return Err(storage(
            "the file's bytes are missing from the engine's file store (see `verify`)".into(),
        ));
    };
    let a = &file.attachment;
    let ext = extension(&a.content_type);
    let inline = ["image/", "audio/", "video/"]
        .iter()
        .any(|p| a.content_type.starts_with(p));
    let disposition = format!(
        "{}; filename=\"{}-{}.{ext}\"",
        if inline { "inline" } else { "attachment" },
        a.kind,
        &a.sha256[..12]
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, a.content_type.clone()))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::ETAG, format!("\"{}\"", a.sha256)))
        .no_chunking(a.size)
        .streaming(chunks(opened)))
}

/// The file's bytes in chunks, each read on a blocking thread.
fn chunks(
    file: std::fs::File,
) -> impl futures_util::Stream<Item = Result<web::Bytes, std::io::Error>> {
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let chunk = web::block(move || {
            use std::io::Read;
            let mut buf = vec![0u8; 64 * 1024];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((buf, file))
        })
        .await;
        match chunk {
            Ok(Ok((buf, _))) if buf.is_empty() => None,
            Ok(Ok((buf, file))) => Some((Ok(web::Bytes::from(buf)), Some(file))),
            Ok(Err(e)) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    })
}

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "application/pdf" => "pdf",
        "audio/mpeg" => "mp3",
        "audio/mp4" => "m4a",
        "audio/wav" => "wav",
        "audio/ogg" => "ogg",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        _ => "bin",
    }
}
