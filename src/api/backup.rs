//! `GET /api/v1/ops/backup`, for admins: a consistent backup of the store while the engine
//! keeps serving (`hotline-dispatch backup` asks here when the engine holds the store).
//! The copy runs on a blocking thread and is streamed as it is written; writes go on
//! meanwhile (see `store/backup/` for how it stays consistent and for the format).

use actix_web::{HttpResponse, get, web};
use futures_util::stream;
use tokio::sync::mpsc;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::domain::error_code::ErrorCode;
use crate::domain::role::Role;
use crate::engine::Engine;
use crate::store::StoreError;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(backup);
}

/// Chunks of the file on their way to the response.
type Chunk = Result<web::Bytes, std::io::Error>;

/// Sends what the backup writes in chunks; fails once the client has gone, which stops
/// the backup.
struct Sender(mpsc::Sender<Chunk>);

impl std::io::Write for Sender {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(web::Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::other("the client went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A backup of the whole store as of the request (the backup file format of
/// `hotline-dispatch backup`, README.md "Operations"), streamed while the engine goes on
/// writing. One backup at a time. Admins only.
#[utoipa::path(tag = "ops", operation_id = "backup_store",
    responses(
        (status = 200, description = "the backup file, streamed; a broken stream ends without its trailer, which restore refuses",
            content_type = "application/octet-stream", body = Vec<u8>,
            example = json!("hotline-dispatch backup 1\nlast_event_id 1042\ncreated 2026-12-06T19:00:00Z\n…")),
        (status = 401, description = "no or bad token", body = ErrorBody),
        (status = 403, description = "the caller's role may not do this", body = ErrorBody),
        (status = 409, description = "a backup is already running", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/ops/backup")]
async fn backup(engine: web::Data<Engine>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let (tx, rx) = mpsc::channel::<Chunk>(16);
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let store = engine.store.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut out = Sender(tx.clone());
        let mut started = Some(started_tx);
        let result = store.backup(&mut Started {
            out: &mut out,
            started: &mut started,
        });
        match result {
            Ok(summary) => tracing::info!(
                last_event_id = summary.last_event_id,
                entries = summary.entries,
                bytes = summary.bytes,
                "backup sent"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "backup failed");
                match started.take() {
                    // Nothing sent yet: the request gets an error answer.
                    Some(s) => {
                        let _ = s.send(Err(e));
                    }
                    None => {
                        let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
                    }
                }
            }
        }
    });
    // The first bytes, or the error that came before them (a backup already running).
    match started_rx.await {
        Ok(Err(StoreError::Conflict(why))) => {
            return Err(ApiError::of(ErrorCode::BackupRunning, why));
        }
        Ok(Err(e)) => return Err(e.into()),
        Ok(Ok(())) | Err(_) => {}
    }
    let body = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"hotline-dispatch.backup\"",
        ))
        .streaming(body))
}

/// Tells the handler once the backup has written its first bytes (so it registered).
struct Started<'a, W> {
    out: &'a mut W,
    started: &'a mut Option<tokio::sync::oneshot::Sender<Result<(), StoreError>>>,
}

impl<W: std::io::Write> std::io::Write for Started<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(s) = self.started.take() {
            let _ = s.send(Ok(()));
        }
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
