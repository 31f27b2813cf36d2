//! TLS settings for HTTPS endpoints: client certificate, and how the server
//! certificate is trusted (system roots, one pinned certificate, or not at all).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
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

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| tls_err(format!("cannot read certificate {}: {e}", path.display())))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| tls_err(format!("cannot parse certificate {}: {e}", path.display())))?;
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
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| tls_err(format!("cannot read key {}: {e}", key.display())))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| tls_err(format!("client certificate rejected: {e}")))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
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
