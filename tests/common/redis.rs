//! A real `redis-server` for a test: its own port and directory, AOF with `appendfsync
//! always` as cluster mode requires, killed when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    pub fn start() -> RedisServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/test.sh installs it)");
        let server = RedisServer {
            child,
            port,
            _dir: dir,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A connection of the kind cluster mode's loops use.
    pub async fn connection(&self) -> redis::aio::ConnectionManager {
        let client = redis::Client::open(self.url()).expect("redis url");
        redis::aio::ConnectionManager::new(client)
            .await
            .expect("connects to redis-server")
    }

    /// A connection of its own for a loop that blocks (`XREAD BLOCK`): answers may take
    /// up to `timeout`.
    pub async fn blocking_connection(&self, timeout: Duration) -> redis::aio::ConnectionManager {
        let client = redis::Client::open(self.url()).expect("redis url");
        let config = redis::aio::ConnectionManagerConfig::new().set_response_timeout(Some(timeout));
        redis::aio::ConnectionManager::new_with_config(client, config)
            .await
            .expect("connects to redis-server")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
