//! Both Open311 clients on PyPI, `georeport` 0.3.1 and `open311` 1.1, against the real
//! binary: `tests/python/open311_clients.py` runs every call each has, in JSON and XML
//! (submitting and reading back with `open311`), under `$HOTLINE_PYTHON`, the interpreter
//! of `target/pyenv` that scripts/test.sh creates from tests/python/requirements.txt. A
//! missing interpreter or package fails the test.

use std::process::Command;

use crate::common::{ADMIN, ChildEngine, temp_store};

/// Issues a platform token on the child engine through the admin route.
async fn platform_token(engine: &ChildEngine) -> String {
    let res = reqwest::Client::new()
        .post(engine.url("/tokens"))
        .bearer_auth(ADMIN)
        .json(&serde_json::json!({ "role": "platform", "subject": null }))
        .send()
        .await
        .expect("token request");
    assert!(res.status().is_success(), "token: {}", res.status());
    let body: serde_json::Value = res.json().await.expect("token body");
    body["token"].as_str().expect("token").to_owned()
}

#[actix_web::test]
async fn both_pypi_open311_clients_make_every_call_in_json_and_xml() {
    let python = match std::env::var("HOTLINE_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => panic!(
            "HOTLINE_PYTHON is not set: run the tests through scripts/test.sh, which installs \
             georeport and open311 into target/pyenv and exports it"
        ),
    };
    let (_dir, store) = temp_store();
    let engine = ChildEngine::start(&store);
    let key = platform_token(&engine).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/open311_clients.py"
    );
    let out = Command::new(&python)
        .arg(script)
        .arg(&engine.base)
        .arg(&key)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}): run scripts/test.sh"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}{stderr}");
    assert!(
        !stderr.contains("ModuleNotFoundError") && !stderr.contains("not installed"),
        "the clients are not installed in {python}: run scripts/test.sh\n{stderr}"
    );
    assert!(
        out.status.success(),
        "a client call failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(", 0 failed"), "{stdout}");
    // The key is a credential: never in the engine's log.
    assert!(!engine.log().contains(&key), "the api_key was logged");
}
