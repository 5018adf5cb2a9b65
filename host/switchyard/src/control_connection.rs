//! How the commands that are clients of the control API (`ctl`, `guest load|list`)
//! reach their server: the address, bearer token and HTTPS certificate their command
//! line and `--config` give, and what they say to do when the server refuses how they
//! came.

use crate::config::ControlConfig;
use crate::control_client::{self, ControlApi, Refusal};
use crate::control_tls::TrustedCertificate;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

/// A server's control API as a command reaches it.
#[derive(Debug)]
pub struct ControlConnection {
    addr: SocketAddr,
    token: Option<String>,
    tls_cert: Option<TrustedCertificate>,
}

impl ControlConnection {
    /// The control API at `control` (`--control`), else at the `listen` of `config`
    /// (`--config`'s `[control]`), either reached as [`reachable`] says; with the token of
    /// `token_file` (`--token-file`), else of `config`'s `token_file`, if either is set; over
    /// HTTPS trusting `config`'s `tls_cert` alone when it is set, else plain HTTP. Both files are
    /// read here, before any connection, the token's through a pipe too
    /// ([`ControlConfig::client_token`]): the error says what is wrong with the token's
    /// file, or names `control.tls_cert` and its file ([`TrustedCertificate::load`]).
    pub fn resolve(
        mut config: ControlConfig,
        control: Option<SocketAddr>,
        token_file: Option<PathBuf>,
    ) -> Result<Self, String> {
        if token_file.is_some() {
            config.token_file = token_file;
        }
        Ok(ControlConnection {
            addr: reachable(control.unwrap_or(config.listen)),
            token: config.client_token()?,
            tls_cert: config
                .tls_cert
                .as_deref()
                .map(TrustedCertificate::load)
                .transpose()?,
        })
    }

    /// The API as [`control_client::call`] reaches it.
    pub fn api(&self) -> ControlApi<'_> {
        ControlApi {
            addr: self.addr,
            token: self.token.as_deref(),
            tls_cert: self.tls_cert.as_ref(),
        }
    }
}

/// Where to reach the control API of a server listening on `listen`: the
/// loopback address of its family when it listens on every address, which is
/// no address to connect to.
pub fn reachable(listen: SocketAddr) -> SocketAddr {
    match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, listen.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, listen.port()).into(),
        _ => listen,
    }
}

/// What to do about a server that refused how a command came, after `error` (of
/// [`control_client::call`]): the flag or configuration key to give; empty for any
/// other error.
pub fn advice(error: &anyhow::Error) -> &'static str {
    match control_client::refusal(error) {
        Some(Refusal::Https) => {
            "; the command speaks it when the --config it is given sets control.tls_cert"
        }
        Some(Refusal::Unauthorized(_)) => {
            "; give it with --token-file FILE, or the --config whose control.token_file names it"
        }
        Some(Refusal::ReadOnly(_)) => {
            "; the command speaks XML-RPC, which takes the token of control.token_file: the \
             read token reads through REST (GET /api/v1/...) and /metrics"
        }
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token file in `dir` named `name`, holding `token`.
    fn token_file(dir: &tempfile::TempDir, name: &str, token: &str) -> PathBuf {
        let file = dir.path().join(name);
        std::fs::write(&file, format!("{token}\n")).unwrap();
        file
    }

    /// A PEM file in `dir` named `name`, holding a new self-signed certificate.
    fn certificate_file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
        let file = dir.path().join(name);
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(&file, made.cert.pem()).unwrap();
        file
    }

    #[test]
    fn without_settings_the_default_endpoint_is_reached_over_plain_http_without_a_token() {
        let connection = ControlConnection::resolve(ControlConfig::default(), None, None).unwrap();
        let api = connection.api();
        assert_eq!(api.addr, "127.0.0.1:8090".parse().unwrap());
        assert_eq!((api.token, api.tls_cert.is_some()), (None, false));
    }

    #[test]
    fn the_configurations_address_token_and_certificate_are_taken() {
        let dir = tempfile::tempdir().unwrap();
        let config = ControlConfig {
            listen: "0.0.0.0:9000".parse().unwrap(),
            token_file: Some(token_file(&dir, "token", "the-configured-token")),
            tls_cert: Some(certificate_file(&dir, "cert.pem")),
            ..ControlConfig::default()
        };
        let connection = ControlConnection::resolve(config, None, None).unwrap();
        let api = connection.api();
        assert_eq!(api.addr, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(api.token, Some("the-configured-token"));
        assert!(api.tls_cert.is_some());
    }

    #[test]
    fn the_command_lines_address_and_token_file_override_the_configurations() {
        let dir = tempfile::tempdir().unwrap();
        let config = ControlConfig {
            token_file: Some(token_file(&dir, "configured", "the-configured-token")),
            tls_cert: Some(certificate_file(&dir, "cert.pem")),
            ..ControlConfig::default()
        };
        let given = token_file(&dir, "given", "the-token-given-on-the-line");
        let control = "127.0.0.2:8091".parse().unwrap();
        let connection = ControlConnection::resolve(config, Some(control), Some(given)).unwrap();
        let api = connection.api();
        assert_eq!(api.addr, control);
        assert_eq!(api.token, Some("the-token-given-on-the-line"));
        // HTTPS is the server's: only its configuration says so.
        assert!(api.tls_cert.is_some());
    }

    #[test]
    fn a_control_address_given_as_every_address_is_reached_on_loopback() {
        for (given, reached) in [
            ("0.0.0.0:8091", "127.0.0.1:8091"),
            ("[::]:9001", "[::1]:9001"),
        ] {
            let control = given.parse().unwrap();
            let connection =
                ControlConnection::resolve(ControlConfig::default(), Some(control), None).unwrap();
            assert_eq!(connection.api().addr, reached.parse().unwrap(), "{given}");
        }
    }

    #[test]
    fn a_certificate_that_cannot_be_trusted_is_named_before_any_connection() {
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("truncated.pem");
        std::fs::write(&not_pem, "-----BEGIN CERTIFICATE-----\nMIIB\n").unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let missing = dir.path().join("missing.pem");
        for (file, reason) in [
            (&missing, "cannot read: "),
            (&not_pem, "not a PEM certificate chain: "),
            (&empty, "holds no certificate"),
        ] {
            let config = ControlConfig {
                tls_cert: Some(file.clone()),
                ..ControlConfig::default()
            };
            let error = ControlConnection::resolve(config, None, None).unwrap_err();
            let named = format!("control.tls_cert {}: {reason}", file.display());
            assert!(error.starts_with(&named), "{error}");
            assert!(!error.contains("I/O error"), "{error}");
        }
    }

    #[test]
    fn a_token_file_that_does_not_hold_a_token_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let short = token_file(&dir, "short", "tiny");
        let error = ControlConnection::resolve(ControlConfig::default(), None, Some(short.clone()))
            .unwrap_err();
        assert!(error.starts_with(&short.display().to_string()), "{error}");
        let missing = dir.path().join("missing");
        let config = ControlConfig {
            token_file: Some(missing.clone()),
            ..ControlConfig::default()
        };
        let error = ControlConnection::resolve(config, None, None).unwrap_err();
        assert!(
            error.starts_with(&format!("{}: cannot read", missing.display())),
            "{error}"
        );
    }

    #[test]
    fn a_server_on_every_address_is_reached_on_loopback() {
        let any: SocketAddr = "0.0.0.0:8090".parse().unwrap();
        assert_eq!(reachable(any), "127.0.0.1:8090".parse().unwrap());
        let any6: SocketAddr = "[::]:9000".parse().unwrap();
        assert_eq!(reachable(any6), "[::1]:9000".parse().unwrap());
        let one: SocketAddr = "10.0.0.5:8090".parse().unwrap();
        assert_eq!(reachable(one), one);
    }

    #[test]
    fn a_refusal_says_which_flag_or_key_to_give() {
        let https = anyhow::Error::new(Refusal::Https).context("control API at 127.0.0.1:1");
        assert!(advice(&https).contains("control.tls_cert"));
        let token = anyhow::Error::new(Refusal::Unauthorized("HTTP/1.1 401".into()));
        assert!(advice(&token).contains("--token-file"));
        assert!(advice(&token).contains("control.token_file"));
        let read_only = anyhow::Error::new(Refusal::ReadOnly("HTTP/1.1 403".into()));
        assert!(advice(&read_only).contains("control.token_file"));
        assert_eq!(advice(&anyhow::anyhow!("refused")), "");
    }
}
