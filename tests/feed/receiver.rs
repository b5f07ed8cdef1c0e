//! A small receiver for the status feed: an actix-web server on its own thread (so it
//! answers while a test blocks, e.g. starting the real binary), recording every request's
//! body and headers, able to refuse the messages of one external id, every n-th request,
//! or to answer slowly.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::Value;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Got {
    pub raw: Vec<u8>,
    pub body: Value,
    pub id: String,
    pub signature: String,
    pub timestamp: String,
    /// Answered 2xx.
    pub accepted: bool,
}

#[derive(Default)]
pub struct Behaviour {
    /// Refuse (503) messages with this external id ("*": every message).
    pub refuse_external: Option<String>,
    /// Refuse every n-th request (0: none).
    pub refuse_every: usize,
    /// Wait this long before answering.
    pub delay_ms: u64,
}

#[derive(Default)]
struct State {
    behaviour: Behaviour,
    requests: usize,
    got: Vec<Got>,
}

pub struct Receiver {
    pub url: String,
    state: Arc<Mutex<State>>,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Mutex<State>>,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (accept, delay) = {
        let mut s = state.lock().expect("receiver state");
        s.requests += 1;
        let b = &s.behaviour;
        let refused_id = b
            .refuse_external
            .as_deref()
            .is_some_and(|e| e == "*" || parsed["external_id"] == e);
        let refused_nth = b.refuse_every > 0 && s.requests.is_multiple_of(b.refuse_every);
        (!refused_id && !refused_nth, b.delay_ms)
    };
    if delay > 0 {
        actix_web::rt::time::sleep(Duration::from_millis(delay)).await;
    }
    let got = Got {
        raw: body.to_vec(),
        body: parsed,
        id: header("x-hotline-message-id"),
        signature: header("x-hotline-signature"),
        timestamp: header("x-hotline-timestamp"),
        accepted: accept,
    };
    state.lock().expect("receiver state").got.push(got);
    if accept {
        HttpResponse::Ok().finish()
    } else {
        HttpResponse::ServiceUnavailable().finish()
    }
}

impl Receiver {
    pub fn start(behaviour: Behaviour) -> Receiver {
        let state = Arc::new(Mutex::new(State {
            behaviour,
            ..Default::default()
        }));
        let data = web::Data::from(state.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .default_service(web::to(receive))
                })
                .workers(1)
                .bind(("127.0.0.1", 0))
                .expect("receiver binds");
                let addr = server.addrs()[0];
                let running = server.run();
                tx.send(addr).expect("receiver address");
                let _ = running.await;
            });
        });
        let addr = rx.recv().expect("receiver started");
        Receiver {
            url: format!("http://{addr}/platform/status"),
            state,
        }
    }

    pub fn set(&self, behaviour: Behaviour) {
        self.state.lock().expect("receiver state").behaviour = behaviour;
    }

    /// Every request so far, in arrival order.
    pub fn got(&self) -> Vec<Got> {
        self.state.lock().expect("receiver state").got.clone()
    }

    /// The accepted messages of `external_id`, in arrival order.
    pub fn accepted(&self, external_id: &str) -> Vec<Got> {
        self.got()
            .into_iter()
            .filter(|g| g.accepted && g.body["external_id"] == external_id)
            .collect()
    }

    /// Waits (up to `secs`) until `done` holds for what was received.
    pub async fn wait_for(&self, secs: u64, what: &str, done: impl Fn(&[Got]) -> bool) {
        for _ in 0..secs * 20 {
            if done(&self.got()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got: Vec<String> = self
            .got()
            .iter()
            .map(|g| format!("{} {} {}", g.accepted, g.id, g.body["status"]))
            .collect();
        panic!("timed out waiting for {what}; got {got:#?}");
    }
}
