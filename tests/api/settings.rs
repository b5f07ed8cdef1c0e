//! Settings as the real binary reads them: a named environment without its file stops the
//! engine naming the file; no config directory runs on the built-in defaults and says so.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{ADMIN, temp_store};

fn engine() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline-dispatch"));
    cmd.arg("serve")
        .env("APP__SERVER__HOST", "127.0.0.1")
        .env("APP__SERVER__PORT", "0")
        .env("APP__STORE__CACHE_CAPACITY_MB", "16")
        .env("APP__AUTH__BOOTSTRAP_ADMIN_TOKEN", ADMIN)
        .env_remove("APP_ENV")
        .env_remove("APP_CONFIG_DIR")
        .env_remove("RUST_LOG");
    cmd
}

/// Runs `cmd` to its exit; one still running after a while (it started serving) is killed
/// and fails the test.
fn exits(mut cmd: Command) -> (std::process::ExitStatus, String) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the engine started instead of stopping");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    (status, stderr)
}

#[test]
fn a_misspelt_environment_stops_the_engine_naming_its_file() {
    let (_dir, store) = temp_store();
    let mut cmd = engine();
    cmd.env("APP__STORE__PATH", &store).env("APP_ENV", "nosuch");
    let (status, stderr) = exits(cmd);
    assert!(!status.success(), "{status:?}");
    assert!(stderr.contains("config/nosuch.toml"), "{stderr}");
    assert!(stderr.contains("APP_ENV=nosuch"), "{stderr}");
    assert!(
        stderr.contains("test"),
        "lists the environments there: {stderr}"
    );
    assert!(!store.exists(), "nothing was opened");

    // A named config directory that is not there: the same.
    let mut cmd = engine();
    cmd.env("APP__STORE__PATH", &store)
        .env("APP_CONFIG_DIR", "/nonexistent/hotline-config");
    let (status, stderr) = exits(cmd);
    assert!(!status.success(), "{status:?}");
    assert!(stderr.contains("/nonexistent/hotline-config"), "{stderr}");
}

#[test]
fn without_a_config_directory_the_engine_runs_on_its_defaults_and_says_so() {
    let (dir, store) = temp_store();
    // Started where there is no `config/`.
    let mut child = engine()
        .current_dir(dir.path())
        .env("APP__STORE__PATH", &store)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let listening = stdout
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.starts_with("hotline-dispatch listening on "));
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    for line in BufReader::new(child.stderr.take().expect("stderr"))
        .lines()
        .map_while(Result::ok)
    {
        stderr.push_str(&line);
        stderr.push('\n');
    }
    assert!(listening, "the engine started: {stderr}");
    assert!(
        stderr.contains("no config directory `config`") && stderr.contains("built-in defaults"),
        "{stderr}"
    );
}
