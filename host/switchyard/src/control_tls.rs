//! HTTPS to a server's control API from its own configuration: the client
//! trusts exactly the certificate of `control.tls_cert`, whatever name or
//! address it reaches the server by (the server's certificate is pinned
//! rather than chained to an authority).

use anyhow::{Context as _, bail};
use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{
    CryptoProvider, verify_tls12_signature, verify_tls13_signature,
};
use tokio_rustls::rustls::pki_types::pem::{self, PemObject as _};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme,
    StreamOwned,
};

/// The certificate a client trusts alone: the leaf certificate (the first) of a PEM file,
/// read once, with the file it came from.
#[derive(Debug)]
pub struct TrustedCertificate {
    file: PathBuf,
    certificate: CertificateDer<'static>,
}

impl TrustedCertificate {
    /// The leaf certificate of the PEM file `file` (`control.tls_cert`). The error names
    /// the key and the file, and says whether the file cannot be read, is not PEM, or holds
    /// no certificate.
    pub fn load(file: &Path) -> Result<Self, String> {
        let named = |problem: String| format!("control.tls_cert {}: {problem}", file.display());
        let first = CertificateDer::pem_file_iter(file)
            .and_then(|mut certs| certs.next().transpose())
            .map_err(|e| match e {
                pem::Error::Io(e) => named(format!("cannot read: {e}")),
                e => named(format!("not a PEM certificate: {e}")),
            })?;
        let certificate = first.ok_or_else(|| named("holds no certificate".to_owned()))?;
        Ok(TrustedCertificate {
            file: file.to_owned(),
            certificate,
        })
    }
}

/// HTTPS on `stream`, to the server at `addr`, trusting only `cert`, with the handshake
/// done. The error names the certificate's file when the server's certificate is not it,
/// and says the handshake timed out when a read of it waited `wait` (the stream's read
/// timeout) for nothing.
pub fn connect(
    addr: SocketAddr,
    cert: &TrustedCertificate,
    mut stream: TcpStream,
    wait: Duration,
) -> anyhow::Result<StreamOwned<ClientConnection, TcpStream>> {
    let mut tls = connection(addr, cert)?;
    while tls.is_handshaking() {
        if let Err(e) = tls.complete_io(&mut stream) {
            // A read timeout is WouldBlock on Unix, TimedOut on Windows.
            if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
                bail!(
                    "timed out after {} s waiting for the TLS handshake (control.tls_cert is \
                     set: does the server serve HTTPS?)",
                    wait.as_secs_f64()
                );
            }
            let refused = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>());
            if let Some(rustls::Error::InvalidCertificate(refusal)) = refused
                && *refusal == NOT_PINNED
            {
                bail!(
                    "the server's certificate is not the one in control.tls_cert ({})",
                    cert.file.display()
                );
            }
            return Err(e)
                .context("TLS handshake (control.tls_cert is set: does the server serve HTTPS?)");
        }
    }
    Ok(StreamOwned::new(tls, stream))
}

/// How [`Pinned`] refuses a certificate that is not its own.
const NOT_PINNED: CertificateError = CertificateError::ApplicationVerificationFailure;

/// A TLS client of the server at `addr` that trusts only `cert`.
fn connection(addr: SocketAddr, cert: &TrustedCertificate) -> anyhow::Result<ClientConnection> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Pinned {
        certificate: cert.certificate.clone(),
        provider: provider.clone(),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // The name the certificate is checked against is no matter (it is pinned); an address
    // sends no SNI (RFC 6066 §3).
    let name = ServerName::IpAddress(addr.ip().into());
    ClientConnection::new(Arc::new(config), name).context("TLS")
}

/// Trusts one certificate: the server's must be it, byte for byte, and its handshake
/// signed by that certificate's key.
#[derive(Debug)]
struct Pinned {
    certificate: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.certificate.as_ref() {
            return Ok(ServerCertVerified::assertion());
        }
        Err(rustls::Error::InvalidCertificate(NOT_PINNED))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
