//! TLS on the engine's own port: with `server.tls_cert` and `server.tls_key` set, the API,
//! the pages and the sockets are served as HTTPS and WSS (phones allow geolocation and
//! service workers only on secure origins); with neither, plain HTTP as before. rustls on
//! ring, so nothing beyond a C compiler is needed to build it.
//!
//! The files are read once at start; a file that cannot be read, holds no certificate or
//! key, or a key that does not belong to the certificate stops the engine with a message
//! naming the setting and the file. `gen-cert` (the binary's command) writes a self-signed
//! pair for a LAN with [`self_signed`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::ServerSettings;

/// Why the certificate or key of the settings cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {key} `{path}`: {reason}")]
    Read {
        key: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("{key} `{path}` holds no {what} in PEM form")]
    Empty {
        key: &'static str,
        path: PathBuf,
        what: &'static str,
    },
    #[error("server.tls_key `{key}` cannot serve server.tls_cert `{cert}`: {reason}")]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
    #[error("cannot make a certificate: {0}")]
    Generate(String),
}

/// The server's TLS configuration when the settings name a certificate and key, else
/// `None` (plain HTTP). Settings validation has already required both or neither.
pub fn server_config(server: &ServerSettings) -> Result<Option<ServerConfig>, TlsError> {
    let (cert, key) = (server.tls_cert.trim(), server.tls_key.trim());
    if cert.is_empty() || key.is_empty() {
        return Ok(None);
    }
    load(Path::new(cert), Path::new(key)).map(Some)
}

/// Reads the certificate chain at `cert` and the private key at `key` (PEM).
pub fn load(cert: &Path, key: &Path) -> Result<ServerConfig, TlsError> {
    fn read<'a>(k: &'static str, path: &'a Path) -> impl Fn(pem::Error) -> TlsError + 'a {
        move |e: pem::Error| match e {
            pem::Error::NoItemsFound => TlsError::Empty {
                key: k,
                path: path.to_owned(),
                what: if k == "server.tls_cert" {
                    "certificate"
                } else {
                    "private key"
                },
            },
            e => TlsError::Read {
                key: k,
                path: path.to_owned(),
                reason: reason(&e),
            },
        }
    }
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(read("server.tls_cert", cert))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read("server.tls_cert", cert))?;
    if chain.is_empty() {
        return Err(read("server.tls_cert", cert)(pem::Error::NoItemsFound));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(read("server.tls_key", key))?;
    let provider = Arc::new(provider());
    let mismatch = |e: rustls::Error| TlsError::Mismatch {
        cert: cert.to_owned(),
        key: key.to_owned(),
        reason: e.to_string(),
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(mismatch)?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(mismatch)?;
    // WebSockets are opened over HTTP/1.1; browsers' other requests may take HTTP/2.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// rustls' ring provider.
#[allow(
    deprecated,
    reason = "ring lacks post-quantum key exchange; aws-lc-rs, which has it, needs a large \
              C build this engine does not otherwise need"
)]
pub fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// A PEM error said plainly (the I/O error's own words for an unreadable file).
fn reason(e: &pem::Error) -> String {
    match e {
        pem::Error::Io(io) => io.to_string(),
        e => format!("not a PEM file ({e:?})"),
    }
}

/// A self-signed certificate and its private key, both PEM.
pub struct SelfSigned {
    pub cert_pem: String,
    pub key_pem: String,
}

/// Makes a self-signed certificate for `names` (host names and IP addresses; an address
/// becomes an IP entry, which browsers need to trust `https://192.168.1.20:8443`), valid
/// from a day ago for `days` days.
pub fn self_signed(names: &[String], days: u32) -> Result<SelfSigned, TlsError> {
    let err = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(err)?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, "hotline-dispatch (self-signed)");
    params.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(i64::from(days));
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key = rcgen::KeyPair::generate().map_err(err)?;
    let cert = params.self_signed(&key).map_err(err)?;
    Ok(SelfSigned {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_generated_pair_loads_and_a_foreign_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let a = self_signed(&names, 30).unwrap();
        let b = self_signed(&names, 30).unwrap();
        let cert = write(dir.path(), "a.pem", &a.cert_pem);
        let key = write(dir.path(), "a.key", &a.key_pem);
        let other_key = write(dir.path(), "b.key", &b.key_pem);
        let config = load(&cert, &key).unwrap();
        assert!(config.alpn_protocols.contains(&b"http/1.1".to_vec()));
        let e = load(&cert, &other_key).unwrap_err().to_string();
        assert!(e.contains("cannot serve server.tls_cert"), "{e}");
        // The key file given as the certificate: no certificate in it.
        let e = load(&key, &key).unwrap_err().to_string();
        assert!(
            e.contains("server.tls_cert") && e.contains("no certificate"),
            "{e}"
        );
        let e = load(&cert, &cert).unwrap_err().to_string();
        assert!(
            e.contains("server.tls_key") && e.contains("no private key"),
            "{e}"
        );
        let missing = dir.path().join("missing.pem");
        let e = load(&missing, &key).unwrap_err().to_string();
        assert!(
            e.contains("cannot read server.tls_cert") && e.contains("missing.pem"),
            "{e}"
        );
    }
}
