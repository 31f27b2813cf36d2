//! TLS settings for HTTPS endpoints: client certificate, and how the server
//! certificate is trusted (system roots, one pinned certificate, or not at all).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{Error, ErrorKind, Result};

/// How the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerTrust {
    /// The system's CA bundle, with host name checks.
    SystemRoots,
    /// Exactly the certificate(s) in this PEM file, nothing else.
    Pinned(PathBuf),
    /// Any certificate (`"verify": false`).
    Insecure,
}

/// The TLS part of the client options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    pub client_cert: Option<(PathBuf, PathBuf)>,
    pub trust: ServerTrust,
}

fn tls_err(message: String) -> Error {
    Error::new(ErrorKind::Tls, message)
}

/// What went wrong with a PEM file, in words that never quote the file:
/// the PEM parser's own messages list the offending line byte by byte, and
/// in a key file that line is the private key.
fn pem_problem(e: &pem::Error) -> String {
    match e {
        pem::Error::Io(io) => io.to_string(),
        pem::Error::MissingSectionEnd { .. } => {
            "not valid PEM: a section has no END line of its own (is the file cut short, or \
             are its line breaks lost?)"
                .to_string()
        }
        pem::Error::IllegalSectionStart { .. } => {
            "not valid PEM: a BEGIN line is malformed (are the line breaks intact?)".to_string()
        }
        pem::Error::Base64Decode(_) => "not valid PEM: a section is not valid base64".to_string(),
        pem::Error::NoItemsFound => "no PEM section of the expected kind".to_string(),
        pem::Error::SectionTooLarge => "not valid PEM: a section is too large".to_string(),
        _ => "not a valid PEM file".to_string(),
    }
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| {
            tls_err(format!(
                "cannot read certificate {}: {}",
                path.display(),
                pem_problem(&e)
            ))
        })?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| {
            tls_err(format!(
                "cannot parse certificate {}: {}",
                path.display(),
                pem_problem(&e)
            ))
        })?;
    if certs.is_empty() {
        return Err(tls_err(format!("no certificate in {}", path.display())));
    }
    Ok(certs)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

fn system_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let candidates = env
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from));
    for path in candidates {
        if let Ok(iter) = CertificateDer::pem_file_iter(&path) {
            let certs: Vec<_> = iter.filter_map(|c| c.ok()).collect();
            roots.add_parsable_certificates(certs);
            if !roots.is_empty() {
                break;
            }
        }
    }
    roots
}

/// Build the rustls configuration for these options.
pub fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(format!("TLS setup: {e}")))?;
    let builder = match &opts.trust {
        ServerTrust::SystemRoots => builder.with_root_certificates(system_roots()),
        ServerTrust::Pinned(path) => {
            let pinned = load_certs(path)?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Verifier {
                    pinned: Some(pinned),
                    algorithms: provider.signature_verification_algorithms,
                }))
        }
        ServerTrust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier {
                pinned: None,
                algorithms: provider.signature_verification_algorithms,
            })),
    };
    let config = match &opts.client_cert {
        Some((cert, key)) => {
            let certs = load_certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                tls_err(format!(
                    "cannot read key {}: {}",
                    key.display(),
                    pem_problem(&e)
                ))
            })?;
            builder.with_client_auth_cert(certs, key).map_err(|e| {
                tls_err(format!(
                    "client certificate and key rejected ({}): {}",
                    cert.display(),
                    rejected(&e)
                ))
            })?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Why rustls refused a certificate and key pair, without quoting either.
fn rejected(e: &rustls::Error) -> &'static str {
    match e {
        rustls::Error::InconsistentKeys(_) => "the key does not belong to the certificate",
        rustls::Error::InvalidCertificate(_) => "the certificate is not valid",
        _ => "the key cannot be used (an unsupported type, or damaged)",
    }
}

/// Accepts the server certificate if it is one of `pinned` (or any, when
/// `pinned` is None). Handshake signatures are still verified, so the peer
/// must hold the private key of the certificate it shows.
#[derive(Debug)]
struct Verifier {
    pinned: Option<Vec<CertificateDer<'static>>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match &self.pinned {
            None => Ok(ServerCertVerified::assertion()),
            Some(pinned) if pinned.iter().any(|p| p.as_ref() == end_entity.as_ref()) => {
                Ok(ServerCertVerified::assertion())
            }
            Some(_) => Err(rustls::Error::General(
                "server certificate does not match the pinned server_cert".into(),
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_are_tls_errors_with_the_path() {
        let opts = TlsOptions {
            client_cert: Some(("/nonexistent/c.crt".into(), "/nonexistent/c.key".into())),
            trust: ServerTrust::Insecure,
        };
        let e = client_config(&opts).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Tls);
        assert!(e.message.contains("/nonexistent/c.crt"), "{}", e.message);
        let opts = TlsOptions {
            client_cert: None,
            trust: ServerTrust::Pinned("/nonexistent/server.crt".into()),
        };
        assert!(
            client_config(&opts)
                .unwrap_err()
                .message
                .contains("server.crt")
        );
    }

    #[test]
    fn broken_pem_files_are_named_never_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let secret = "SECRETKEYMATERIALSECRETKEYMATERIAL";
        // A key file whose line breaks were lost (`echo $(cat key.pem)`),
        // one cut short, and one that is not PEM at all.
        let variants = [
            format!("-----BEGIN PRIVATE KEY----- {secret} -----END PRIVATE KEY-----\n"),
            format!("-----BEGIN PRIVATE KEY-----\n{secret}\n"),
            format!("-----BEGIN PRIVATE KEY-----\n{secret}!!\n-----END PRIVATE KEY-----\n"),
            secret.to_string(),
        ];
        let decimal = secret
            .bytes()
            .take(4)
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        for (i, text) in variants.iter().enumerate() {
            for as_cert in [false, true] {
                let path = dir.path().join(format!("f{i}{as_cert}.pem"));
                std::fs::write(&path, text).unwrap();
                let (cert, key) = if as_cert {
                    (path.clone(), path.clone())
                } else {
                    let cert = dir.path().join("c.pem");
                    std::fs::write(&cert, CERT).unwrap();
                    (cert, path.clone())
                };
                let opts = TlsOptions {
                    client_cert: Some((cert, key)),
                    trust: ServerTrust::Insecure,
                };
                let e = client_config(&opts).unwrap_err();
                assert_eq!(e.kind, ErrorKind::Tls);
                assert!(
                    e.message.contains(&path.display().to_string()),
                    "{}",
                    e.message
                );
                assert!(!e.message.contains("SECRET"), "{}", e.message);
                assert!(!e.message.contains(&decimal), "{}", e.message);
            }
        }
    }

    /// A self-signed test certificate (public, of no use to anyone).
    const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBbTCCAROgAwIBAgIUR7NVRqEWeidLrA0R6Y+UGl9rggEwCgYIKoZIzj0EAwIw
DDEKMAgGA1UEAwwBdDAeFw0yNjExMzAwODQzMjRaFw0zNjExMjcwODQzMjRaMAwx
CjAIBgNVBAMMAXQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARhSxmKIjtok6Ci
e7eBoQW3Oj+o3VzrTB7amiUBYfFa0sBLPN2/2U3klrHN/MtQ3/TzkyOJGADK8omO
6XaD4DRZo1MwUTAdBgNVHQ4EFgQUgjJLw9DqMCiZPQjCS7qTZkz8bG0wHwYDVR0j
BBgwFoAUgjJLw9DqMCiZPQjCS7qTZkz8bG0wDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNIADBFAiEA8YHpSN+ZvWnEnJDnI6kRgCdaJbWHppV0fVgbXUaxgLEC
IF1tj8DaI1k15kLgJsOblaUBCheaquqh1G+dpR8+I71e
-----END CERTIFICATE-----
";

    #[test]
    fn insecure_and_system_configs_build() {
        for trust in [ServerTrust::Insecure, ServerTrust::SystemRoots] {
            let opts = TlsOptions {
                client_cert: None,
                trust,
            };
            assert!(client_config(&opts).is_ok());
        }
    }
}
