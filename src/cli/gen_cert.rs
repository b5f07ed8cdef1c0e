//! `gen-cert`: a self-signed certificate and key for serving HTTPS on a LAN (phones allow
//! geolocation and service workers only on secure origins). The names are the host names
//! and addresses phones will type; by default this machine's loopback names and host name.
//! Existing files are kept unless `--force`: a key in use is never replaced by accident.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hotline_dispatch::tls;

use super::failed;

/// `gen-cert [NAME…] [--cert FILE] [--key FILE] [--days N] [--force]`.
pub fn gen_cert(names: Vec<String>, cert: &Path, key: &Path, days: u32, force: bool) -> ExitCode {
    let names = if names.is_empty() {
        default_names()
    } else {
        names
    };
    if let Some(bad) = names.iter().find(|n| n.trim().is_empty()) {
        return failed(&format!("`{bad}` is not a host name or address"));
    }
    if cert == key {
        return failed(&"--cert and --key must be different files");
    }
    if !force {
        let existing: Vec<String> = [cert, key]
            .iter()
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            let verb = if existing.len() == 1 {
                "exists"
            } else {
                "exist"
            };
            return failed(&format!(
                "{} already {verb}; nothing written (pass --force to replace)",
                existing.join(" and ")
            ));
        }
    }
    let pair = match tls::self_signed(&names, days) {
        Ok(p) => p,
        Err(e) => return failed(&e),
    };
    if let Err(e) = write(key, &pair.key_pem, force, true) {
        return failed(&format!("cannot write {}: {e}", key.display()));
    }
    if let Err(e) = write(cert, &pair.cert_pem, force, false) {
        return failed(&format!("cannot write {}: {e}", cert.display()));
    }
    let (cert, key) = (absolute(cert), absolute(key));
    println!(
        "hotline-dispatch: wrote a self-signed certificate for {} (valid {days} days)",
        names.join(", ")
    );
    println!("  certificate  {}", cert.display());
    println!(
        "  private key  {} (readable by its owner only)",
        key.display()
    );
    println!(
        "Serve HTTPS and WSS with it (both settings, in config/$APP_ENV.toml or the environment):"
    );
    println!("  [server]");
    println!("  tls_cert = {:?}", cert.display().to_string());
    println!("  tls_key = {:?}", key.display().to_string());
    println!(
        "  APP__SERVER__TLS_CERT={} APP__SERVER__TLS_KEY={} hotline-dispatch serve",
        cert.display(),
        key.display()
    );
    println!(
        "Phones on the LAN need server.host = \"0.0.0.0\" (or this machine's address) and \
         will warn until the certificate is installed on them as trusted."
    );
    ExitCode::SUCCESS
}

/// localhost, 127.0.0.1, ::1 and this machine's host name when it can be read.
fn default_names() -> Vec<String> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h != "localhost");
    names.extend(host);
    names
}

/// Writes `text` to `path`: a new file unless `replace`; the key readable by its owner only.
fn write(path: &Path, text: &str, replace: bool, private: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path)?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        // A replaced file keeps its old mode otherwise.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
