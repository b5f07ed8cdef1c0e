//! The real application in a thread of its own with its own actix system, on a store
//! directory the test keeps and with the test's manual clock. Stopping it ends that system
//! (every actor goes, the store is closed), so a new one can start on the same store: a
//! restart the child binary cannot give, since its clock is the wall clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration as StdDuration;

use hotline_dispatch::app::Application;
use hotline_dispatch::domain::ManualClock;
use serde_json::Value;

use super::{Answer, send, settings};

/// How often a start is tried while the previous engine's last threads let go of the store.
const START_TRIES: usize = 100;

pub struct ThreadApp {
    pub base: String,
    pub client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl ThreadApp {
    /// Starts the application on `store` with `clock`. The store may still be locked by an
    /// engine stopped a moment ago (its arbiter threads end on their own): the start is
    /// tried again until it opens, a bounded number of times.
    pub fn start(store: &Path, clock: &ManualClock) -> ThreadApp {
        Self::start_with(store, clock, &[])
    }

    /// As [`ThreadApp::start`], with more `APP__...` settings (e.g. another handling guide).
    pub fn start_with(store: &Path, clock: &ManualClock, extra: &[(&str, &str)]) -> ThreadApp {
        let extra: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        for _ in 0..START_TRIES {
            match Self::try_start(store.to_owned(), clock.clone(), extra.clone()) {
                Ok(app) => return app,
                Err(_) => std::thread::sleep(StdDuration::from_millis(50)),
            }
        }
        panic!("the application did not start on {}", store.display());
    }

    fn try_start(
        store: PathBuf,
        clock: ManualClock,
        extra: Vec<(String, String)>,
    ) -> Result<ThreadApp, String> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            let extra: Vec<(&str, &str)> = extra
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            system.block_on(async move {
                match Application::build(settings(&store, &extra), Arc::new(clock)) {
                    Ok(app) => {
                        let _ = tx.send(Ok((format!("http://{}", app.addr()), app.handle())));
                        let _ = app.run_until_stopped().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                }
            });
        });
        match rx.recv() {
            Ok(Ok((base, handle))) => Ok(ThreadApp {
                base,
                client: reqwest::Client::new(),
                handle,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        let req = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body);
        send(&self.client, req).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        send(
            &self.client,
            self.client.get(self.url(path)).bearer_auth(token),
        )
        .await
    }

    /// Stops the server (the engine flushes and stops its actors) and waits for its
    /// system to end.
    pub async fn stop(mut self) {
        self.handle.stop(true).await;
        if let Some(thread) = self.thread.take() {
            let _ = actix_web::rt::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for ThreadApp {
    /// A failing test must not leave the server running.
    fn drop(&mut self) {
        if self.thread.is_some() {
            drop(self.handle.stop(false));
        }
    }
}
