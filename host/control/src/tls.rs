//! TLS for the endpoint's HTTPS, and for whoever else serves it (SIP over
//! TLS): a certificate chain and its private key, in PEM files, served with
//! rustls (TLS 1.2 and 1.3, the ring provider). The files are looked at again
//! while serving, so a renewed certificate is served without a restart.

use crate::file_stamp::FileStamp;
use crate::regular_file;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn};

/// The least time between two looks at the certificate and key files while
/// serving.
pub const RECHECK_INTERVAL: Duration = Duration::from_secs(5);

/// The acceptor for `cert` (the chain, leaf first, [`certificate_chain`]) and `key`
/// (PKCS#8, PKCS#1 or SEC1, [`private_key`]); the error names the file and what is wrong
/// with it.
///
/// While it serves, a handshake at least [`RECHECK_INTERVAL`] after the last
/// look at the files looks again, and when either has changed (modification
/// or change time, size or inode) reads both anew: later handshakes get the
/// new certificate, or, when they cannot be read or do not fit each other,
/// still the one in use, with a warning naming the file, logged once per
/// change of the files. Each of these log lines begins with `user`, who
/// serves the certificate ("control endpoint", "SIP over TLS").
pub fn acceptor(user: &str, cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    acceptor_with(user, cert, key, RECHECK_INTERVAL, Arc::new(Instant::now))
}

/// [`acceptor`], looking at the files again every `interval` by `clock`.
fn acceptor_with(
    user: &str,
    cert: &Path,
    key: &Path,
    interval: Duration,
    clock: Clock,
) -> Result<TlsAcceptor, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let resolver = Reloading::load(user, cert, key, provider.clone(), interval, clock)?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The chain of `cert` with the key of `key`, checked to fit each other.
fn certified_key(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, String> {
    let chain = certificate_chain(cert)?;
    let key = private_key(key)?;
    CertifiedKey::from_der(chain, key, provider)
        .map_err(|e| format!("{}: does not fit its key: {e}", cert.display()))
}

/// The certificates of the PEM file `file` ([`read_pem`]), in order: at least one. The
/// error names the file and says what is wrong with it.
pub fn certificate_chain(file: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read_pem(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: not a PEM certificate chain: {e}", file.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: holds no certificate", file.display()));
    }
    Ok(chain)
}

/// The private key of the PEM file `file` ([`read_pem`]): PKCS#8, PKCS#1 or SEC1. The
/// error names the file and says what is wrong with it.
pub fn private_key(file: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let pem = read_pem(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| format!("{}: not a PEM private key: {e}", file.display()))
}

/// The most of a PEM file read, 1 MiB: hundreds of times a certificate chain or a key, so
/// that a file named by mistake that never ends (`/dev/zero`) is refused rather than read
/// until memory runs out.
pub const MAX_PEM_BYTES: u64 = 1 << 20;

/// The bytes of the PEM file `file`: a regular file (or a link to one) of at most
/// [`MAX_PEM_BYTES`], read as [`regular_file::read`] reads it.
fn read_pem(file: &Path) -> io::Result<Vec<u8>> {
    regular_file::read(file, MAX_PEM_BYTES, "a PEM file")
}

/// The time now, as the resolver sees it.
type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The stamps of the certificate file and of the key file.
type Stamps = (Option<FileStamp>, Option<FileStamp>);

/// The certificate and key of two files, read again when they change.
struct Reloading {
    /// Who serves the certificate, as its log lines name it.
    user: String,
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    interval: Duration,
    clock: Clock,
    state: Mutex<State>,
}

struct State {
    /// What handshakes are served with.
    current: Arc<CertifiedKey>,
    /// The stamps of the certificate and key files when `current` was read.
    loaded: Stamps,
    /// The stamps of the files when a read last failed and was warned of.
    warned: Option<Stamps>,
    /// When the stamps were last looked at.
    checked: Instant,
}

impl Reloading {
    /// Reads `cert` and `key` for `user`; the error names the file at fault.
    fn load(
        user: &str,
        cert: &Path,
        key: &Path,
        provider: Arc<CryptoProvider>,
        interval: Duration,
        clock: Clock,
    ) -> Result<Self, String> {
        // Stamped before reading: a change while reading is then seen as one
        // at the next look, and read again.
        let loaded = (FileStamp::of(cert), FileStamp::of(key));
        let current = Arc::new(certified_key(cert, key, &provider)?);
        let checked = clock();
        Ok(Self {
            user: user.to_owned(),
            cert: cert.to_owned(),
            key: key.to_owned(),
            provider,
            interval,
            clock,
            state: Mutex::new(State {
                current,
                loaded,
                warned: None,
                checked,
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The certificate to serve now, read again first when the interval has
    /// gone by since the last look and the files are not those `current` was
    /// read from.
    fn current(&self) -> Arc<CertifiedKey> {
        let now = (self.clock)();
        let loaded = {
            let mut state = self.state();
            if now.saturating_duration_since(state.checked) < self.interval {
                return state.current.clone();
            }
            state.checked = now;
            state.loaded
        };
        // Looked at and read without the lock: handshakes meanwhile go on
        // with the certificate in use.
        let stamps = (FileStamp::of(&self.cert), FileStamp::of(&self.key));
        if stamps == loaded {
            return self.state().current.clone();
        }
        let loaded = certified_key(&self.cert, &self.key, &self.provider);
        let mut state = self.state();
        let user = &self.user;
        match loaded {
            Ok(new) => {
                state.current = Arc::new(new);
                state.loaded = stamps;
                state.warned = None;
                info!(cert = %self.cert.display(), "{user}: TLS certificate reloaded");
            }
            // Read again at each look until it succeeds (a renewal that renames the
            // certificate and the key into place one after the other fails for a moment;
            // a read refused for want of file descriptors is no fault of the files), but
            // warned of once for each change of the files.
            Err(e) if state.warned != Some(stamps) => {
                state.warned = Some(stamps);
                warn!("{user}: TLS certificate not reloaded, still serving the previous one: {e}");
            }
            Err(e) => debug!("{user}: TLS certificate still not reloaded: {e}"),
        }
        state.current.clone()
    }
}

impl fmt::Debug for Reloading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reloading")
            .field("user", &self.user)
            .field("cert", &self.cert)
            .field("key", &self.key)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regular_file::tests::{fifo_in, within_a_second};
    use crate::test_log::Logged;
    use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConnection};
    use rustls_pki_types::ServerName;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::SystemTime;

    /// Who serves the certificates of these tests.
    const USER: &str = "SIP over TLS";

    /// A certificate for `localhost` and its key, as PEM, and the certificate as DER.
    struct Made {
        cert: String,
        key: String,
        der: CertificateDer<'static>,
    }

    fn made() -> Made {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        Made {
            cert: made.cert.pem(),
            key: made.signing_key.serialize_pem(),
            der: made.cert.der().clone(),
        }
    }

    /// Writes `contents` over `path`, modified at second `version` (each write a distinct
    /// modification time, however coarse the file system's clock).
    fn write(path: &Path, contents: &str, version: u64) {
        std::fs::write(path, contents).unwrap();
        let file = std::fs::File::options().write(true).open(path).unwrap();
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + version);
        file.set_modified(at).unwrap();
    }

    /// A clock that moves only when told to.
    #[derive(Clone)]
    struct Manual {
        start: Instant,
        millis: Arc<AtomicU64>,
    }

    impl Manual {
        fn new() -> Self {
            Self {
                start: Instant::now(),
                millis: Arc::default(),
            }
        }
        fn advance(&self, by: Duration) {
            self.millis
                .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
        }
        fn clock(&self) -> Clock {
            let this = self.clone();
            Arc::new(move || this.start + Duration::from_millis(this.millis.load(Ordering::SeqCst)))
        }
    }

    /// Moves every byte `from` has to send over to `to`.
    fn transfer(
        from: &mut impl std::ops::DerefMut<Target = rustls::ConnectionCommon<impl Sized>>,
        to: &mut impl std::ops::DerefMut<Target = rustls::ConnectionCommon<impl Sized>>,
    ) -> Result<(), rustls::Error> {
        let mut bytes = Vec::new();
        while from.wants_write() {
            from.write_tls(&mut bytes).unwrap();
        }
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            to.read_tls(&mut rest).unwrap();
            to.process_new_packets()?;
        }
        Ok(())
    }

    /// A handshake with `acceptor` by a client trusting only `trusted`, in memory; the
    /// leaf certificate the server presented, or why the handshake failed.
    fn handshake(
        acceptor: &TlsAcceptor,
        trusted: &CertificateDer<'static>,
    ) -> Result<CertificateDer<'static>, rustls::Error> {
        let mut roots = RootCertStore::empty();
        roots.add(trusted.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = ServerName::try_from("localhost").unwrap();
        let mut client = ClientConnection::new(Arc::new(config), name).unwrap();
        let mut server = ServerConnection::new(acceptor.config().clone()).unwrap();
        for _ in 0..8 {
            if !client.is_handshaking() && !server.is_handshaking() {
                let presented = client.peer_certificates().unwrap()[0].clone();
                return Ok(presented.into_owned());
            }
            transfer(&mut client, &mut server)?;
            transfer(&mut server, &mut client)?;
        }
        panic!("the handshake did not finish");
    }

    impl Logged {
        fn warnings(&self) -> Vec<String> {
            self.containing("not reloaded, still serving")
        }
        /// The failed reads of the files, warned of or not.
        fn failed_reads(&self) -> usize {
            self.containing("not reloaded").len()
        }
        fn containing(&self, text: &str) -> Vec<String> {
            let mut lines = self.lines();
            lines.retain(|line| line.contains(text));
            lines
        }
    }

    #[test]
    fn a_certificate_and_its_key_make_an_acceptor_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, made.cert.pem()).unwrap();
        std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
        assert!(acceptor(USER, &cert, &key).is_ok());
        let error = acceptor(USER, &key, &key).err().unwrap();
        assert!(error.contains("holds no certificate"), "{error}");
        let error = acceptor(USER, &cert, &cert).err().unwrap();
        assert!(error.contains("cert.pem: not a PEM private key"), "{error}");
        let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(&key, other.signing_key.serialize_pem()).unwrap();
        let error = acceptor(USER, &cert, &key).err().unwrap();
        assert!(error.contains("cert.pem: does not fit its key"), "{error}");
    }

    #[test]
    fn a_fifo_or_a_device_is_refused_without_being_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = fifo_in(dir.path(), "key.pem");
        for file in [fifo.as_path(), Path::new("/dev/zero")] {
            let refused = within_a_second(file, private_key).unwrap_err();
            let chain_refused = within_a_second(file, certificate_chain).unwrap_err();
            for error in [refused, chain_refused] {
                assert_eq!(
                    error,
                    format!(
                        "{}: cannot read: not a regular file (a FIFO, a device or a directory)",
                        file.display()
                    )
                );
            }
        }
    }

    #[test]
    fn a_pem_file_past_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cert.pem");
        let made = made();
        let padding = " ".repeat(MAX_PEM_BYTES as usize);
        std::fs::write(&file, format!("{}{padding}", made.cert)).unwrap();
        let error = certificate_chain(&file).unwrap_err();
        assert!(
            error.ends_with("cert.pem: cannot read: larger than 1 MiB, the most a PEM file may be"),
            "{error}"
        );
        std::fs::write(&file, &made.cert).unwrap();
        assert_eq!(certificate_chain(&file).unwrap(), [made.der]);
    }

    /// An acceptor serving certificate A from `cert.pem` and `key.pem` in a directory of its
    /// own, looking at them again every [`RECHECK_INTERVAL`] of a clock that moves only when
    /// told to; and B, a certificate to renew it with.
    struct Renewal {
        _dir: tempfile::TempDir,
        cert: PathBuf,
        key: PathBuf,
        a: Made,
        b: Made,
        time: Manual,
        acceptor: TlsAcceptor,
    }

    impl Renewal {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            let (a, b) = (made(), made());
            write(&cert, &a.cert, 0);
            write(&key, &a.key, 0);
            let time = Manual::new();
            let acceptor =
                acceptor_with(USER, &cert, &key, RECHECK_INTERVAL, time.clock()).unwrap();
            Self {
                _dir: dir,
                cert,
                key,
                a,
                b,
                time,
                acceptor,
            }
        }

        /// Whether a handshake, once the clock has moved on by `by`, gets `made`'s certificate
        /// (its client trusts no other).
        fn serves_after(&self, by: Duration, made: &Made) -> bool {
            self.time.advance(by);
            handshake(&self.acceptor, &made.der).is_ok_and(|presented| presented == made.der)
        }
    }

    #[test]
    fn a_renewed_certificate_is_served_once_the_interval_has_gone_by() {
        let renewal = Renewal::new();
        let (a, b) = (&renewal.a, &renewal.b);
        assert!(renewal.serves_after(Duration::ZERO, a));

        write(&renewal.cert, &b.cert, 1);
        write(&renewal.key, &b.key, 1);
        assert!(
            renewal.serves_after(RECHECK_INTERVAL - Duration::from_millis(1), a),
            "not looked at yet"
        );
        assert!(renewal.serves_after(Duration::from_millis(1), b));
        assert!(
            !renewal.serves_after(Duration::ZERO, a),
            "A is no longer served"
        );
    }

    #[test]
    fn a_reload_is_logged_naming_who_serves_the_certificate() {
        let logged = Logged::default();
        let _default = tracing::subscriber::set_default(logged.clone());
        let renewal = Renewal::new();
        let b = &renewal.b;
        write(&renewal.cert, &b.cert, 1);
        write(&renewal.key, &b.key, 1);
        assert!(renewal.serves_after(RECHECK_INTERVAL, b));
        let reloaded = logged.containing("TLS certificate reloaded");
        assert_eq!(reloaded.len(), 1, "{reloaded:?}");
        assert!(
            reloaded[0].contains("SIP over TLS: TLS certificate reloaded"),
            "{reloaded:?}"
        );
        assert!(!reloaded[0].contains("control endpoint"), "{reloaded:?}");
    }

    #[test]
    fn a_broken_renewal_keeps_the_certificate_in_use_and_is_warned_of_once_per_change() {
        let logged = Logged::default();
        let _default = tracing::subscriber::set_default(logged.clone());
        let renewal = Renewal::new();
        let (a, b) = (&renewal.a, &renewal.b);

        // Half written.
        write(&renewal.cert, &b.cert[..b.cert.len() / 2], 1);
        for _ in 0..3 {
            assert!(renewal.serves_after(RECHECK_INTERVAL, a));
        }
        let warnings = logged.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("cert.pem: "), "{warnings:?}");
        assert!(warnings[0].contains(&format!("{USER}: ")), "{warnings:?}");
        // Read again at each look, not only once the files change again: a read may
        // fail for want of file descriptors, no fault of the files.
        assert_eq!(logged.failed_reads(), 3);

        // The new certificate in place, its key not yet.
        write(&renewal.cert, &b.cert, 2);
        assert!(renewal.serves_after(RECHECK_INTERVAL, a));
        assert!(renewal.serves_after(RECHECK_INTERVAL, a));
        let warnings = logged.warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[1].contains("cert.pem: does not fit its key"),
            "{warnings:?}"
        );

        write(&renewal.key, &b.key, 2);
        assert!(renewal.serves_after(RECHECK_INTERVAL, b));
        assert_eq!(logged.warnings().len(), 2);
    }
}
