//! HTTPS to a server's control API from its own configuration: the client
//! trusts exactly the certificate of `control.tls_cert`, whatever name or
//! address it reaches the server by (the server's certificate is pinned
//! rather than chained to an authority).

use anyhow::{Context as _, bail};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
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
    /// The leaf certificate of the PEM file `file` (`control.tls_cert`), read as the server
    /// reads it ([`switchyard_control::tls::certificate_chain`]: a FIFO or a device is refused
    /// without being read). The error names the key and the file, and says whether the file
    /// cannot be read, is not PEM, or holds no certificate.
    pub fn load(file: &Path) -> Result<Self, String> {
        let chain = switchyard_control::tls::certificate_chain(file)
            .map_err(|problem| format!("control.tls_cert {problem}"))?;
        let certificate = chain
            .into_iter()
            .next()
            .expect("a chain holds a certificate");
        Ok(TrustedCertificate {
            file: file.to_owned(),
            certificate,
        })
    }
}

/// HTTPS on `stream`, to the server at `addr`, trusting only `cert`, with the handshake
/// done. `stream`'s reads are to time out once `wait` is over: the whole handshake, however
/// its bytes trickle in, then takes no longer. The error names the certificate's file when
/// the server's certificate is not it, and says the handshake timed out when a read of it
/// did.
pub fn connect<S: Read + Write>(
    addr: SocketAddr,
    cert: &TrustedCertificate,
    mut stream: S,
    wait: Duration,
) -> anyhow::Result<StreamOwned<ClientConnection, S>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control_client::{self, ControlApi};
    use std::net::TcpListener;
    use std::time::Instant;

    /// How long the server of [`trickling_a_handshake_that_never_ends`] waits between two
    /// bytes: well within a wait for each of them.
    const TRICKLE: Duration = Duration::from_millis(500);

    /// A server at a loopback address that takes one connection and sends on it the head
    /// of a TLS handshake record of 16 KiB (RFC 8446 §5.1), then zeros, a byte every
    /// [`TRICKLE`], 10 s of them at most, or until the client goes: no ServerHello ever
    /// comes whole.
    fn trickling_a_handshake_that_never_ends() -> (SocketAddr, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a listener");
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("the client");
            let record_head = [22, 3, 3, 0x40, 0x00];
            let bytes = record_head.into_iter().chain(std::iter::repeat(0)).take(20);
            for byte in bytes {
                std::thread::sleep(TRICKLE);
                if stream.write_all(&[byte]).is_err() {
                    break;
                }
            }
        });
        (addr, server)
    }

    #[test]
    fn a_certificate_file_is_read_only_if_it_is_a_regular_file() {
        // What reads it refuses a FIFO without waiting for a writer, and a device unread
        // (`regular_file`'s own tests); a directory shows it is what reads it here.
        let dir = tempfile::tempdir().unwrap();
        let refused = TrustedCertificate::load(dir.path()).err();
        assert_eq!(
            refused,
            Some(format!(
                "control.tls_cert {}: cannot read: not a regular file (a FIFO, a device or a \
                 directory)",
                dir.path().display()
            ))
        );
    }

    #[test]
    fn a_handshake_that_trickles_in_is_waited_for_no_longer_than_one_that_never_comes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cert.pem");
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(&file, made.cert.pem()).unwrap();
        let cert = TrustedCertificate::load(&file).unwrap();
        let (addr, server) = trickling_a_handshake_that_never_ends();
        let api = ControlApi {
            addr,
            token: None,
            tls_cert: Some(&cert),
        };
        let wait = Duration::from_secs(2);
        let started = Instant::now();
        let error = control_client::call(&api, "switchyard.rooms", &[], wait).unwrap_err();
        let took = started.elapsed();
        let shown = format!("{error:#}");
        assert!(
            shown.contains("timed out after 2 s waiting for the TLS handshake"),
            "{shown}"
        );
        assert!(
            took < wait + Duration::from_secs(1),
            "gave up after {took:?}"
        );
        server.join().expect("the server trickled");
    }
}
