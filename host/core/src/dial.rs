//! What a call the host places needs, and the checks it passes before anything
//! is sent.

use std::fmt;
use switchyard_sip::Credentials;

use crate::error::CoreError;

/// The most bytes of [`DialRequest::context`].
pub const MAX_CONTEXT_BYTES: usize = 4096;
/// The most extra header lines of one [`DialRequest`].
pub const MAX_DIAL_HEADERS: usize = 32;
/// The most bytes of each of [`DialRequest::uri`], [`DialRequest::from`] and
/// [`DialRequest::to`]: each is written into the INVITE and logged.
const MAX_ADDRESS_BYTES: usize = 2048;
/// The longest user name or password of the credentials a dial answers challenges with.
const MAX_CREDENTIAL_BYTES: usize = 256;

/// A call the host places for a guest or a control request.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct DialRequest {
    /// The Request-URI: a `sip:` or `sips:` URI with a host, e.g.
    /// `sip:bob@example.com` or `sip:200@192.0.2.9:5070`; at most 2 KiB.
    pub uri: String,
    /// The From header (name-addr or URI), at most 2 KiB; empty:
    /// `<sip:USER@OUR-ADDRESS>` with the configured dial user.
    pub from: String,
    /// The To header (name-addr or URI), at most 2 KiB; empty: the Request-URI.
    pub to: String,
    /// Extra header lines, at most [`MAX_DIAL_HEADERS`].
    pub headers: Vec<(String, String)>,
    /// Digest credentials to answer a 401 or 407 with.
    pub credentials: Option<Credentials>,
    /// Text handed back to the placed call's guest with its first event, at
    /// most [`MAX_CONTEXT_BYTES`].
    pub context: String,
}

impl fmt::Debug for DialRequest {
    // Credentials print through their own Debug, which hides the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DialRequest")
            .field("uri", &self.uri)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("headers", &self.headers)
            .field("credentials", &self.credentials)
            .field("context", &self.context)
            .finish()
    }
}

impl DialRequest {
    /// Checks the request before its target is resolved: the sizes, the URI's scheme and
    /// host, and From, To, the header lines and the credentials as the SIP endpoint will
    /// write them ([`switchyard_sip::check_call_fields`]); [`CallCore::dial`](crate::CallCore::dial)
    /// and `forward` refuse a request that fails it, placing nothing.
    pub fn check(&self) -> Result<(), CoreError> {
        let invalid = |message: String| Err(CoreError::InvalidArgument(message));
        // Sizes first: the other refusals quote the URI.
        for (what, value) in [
            ("dial URI", &self.uri),
            ("dial From", &self.from),
            ("dial To", &self.to),
        ] {
            CoreError::unless_longer(what, value, MAX_ADDRESS_BYTES)?;
        }
        let Some(rest) = strip_scheme(&self.uri) else {
            return invalid(format!(
                "dial URI {:?} is not a sip: or sips: URI",
                self.uri
            ));
        };
        // RFC 3261 §25.1: "@" appears only at the end of the userinfo, whose user may hold
        // ";" and "?"; the host follows the first one.
        let host = rest.split_once('@').map_or(rest, |(_, host)| host);
        if host.is_empty() || host.starts_with([';', '?', ':']) {
            return invalid(format!("dial URI {:?} has no host", self.uri));
        }
        if self.uri.chars().any(|c| c.is_control() || c == ' ') {
            return invalid(format!(
                "dial URI {:?} holds a space or control character",
                self.uri
            ));
        }
        if let Some(credentials) = &self.credentials {
            for (what, value) in [
                ("dial credentials' user name", &credentials.username),
                ("dial credentials' password", &credentials.password),
            ] {
                CoreError::unless_longer(what, value, MAX_CREDENTIAL_BYTES)?;
            }
        }
        CoreError::unless_longer("dial context", &self.context, MAX_CONTEXT_BYTES)?;
        if self.headers.len() > MAX_DIAL_HEADERS {
            return invalid(format!(
                "{} extra headers, more than {MAX_DIAL_HEADERS}",
                self.headers.len()
            ));
        }
        // An empty From or To is filled in from parts already checked.
        let addresses: Vec<(&'static str, &str)> = [("From", &self.from), ("To", &self.to)]
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(field, value)| (field, value.as_str()))
            .collect();
        switchyard_sip::check_call_fields(
            &self.uri,
            &addresses,
            &self.headers,
            self.credentials.as_ref(),
        )
        .map_err(|e| CoreError::InvalidArgument(format!("dial: {e}")))
    }
}

/// The URI after `sip:` or `sips:` (scheme case-insensitive, RFC 3261 §19.1.4).
fn strip_scheme(uri: &str) -> Option<&str> {
    let (scheme, rest) = uri.split_once(':')?;
    (scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips")).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str) -> DialRequest {
        DialRequest {
            uri: uri.to_owned(),
            ..DialRequest::default()
        }
    }

    #[test]
    fn sip_uris_with_a_host_pass() {
        for uri in [
            "sip:bob@example.com",
            "SIP:200@192.0.2.9:5070",
            "sips:carol@[2001:db8::1]:5061",
            "sip:example.com;transport=tcp",
            "sip:a?b@gw.example.com",
        ] {
            assert_eq!(request(uri).check(), Ok(()), "{uri}");
        }
    }

    #[test]
    fn bad_uris_and_sizes_are_named() {
        for (uri, words) in [
            ("tel:+15551234", "is not a sip: or sips: URI"),
            ("bob@example.com", "is not a sip: or sips: URI"),
            ("sip:bob@", "has no host"),
            ("sip:bob@;x=a@evil.example", "has no host"),
            ("sip:", "has no host"),
            ("sip:bob@ex ample.com", "space or control character"),
        ] {
            let error = request(uri).check().unwrap_err().to_string();
            assert!(error.contains(words), "{uri}: {error}");
        }
        let long = DialRequest {
            context: "x".repeat(MAX_CONTEXT_BYTES + 1),
            ..request("sip:a@b")
        };
        assert!(long.check().unwrap_err().to_string().contains("4097 bytes"));
        let many = DialRequest {
            headers: vec![("X-A".into(), "1".into()); MAX_DIAL_HEADERS + 1],
            ..request("sip:a@b")
        };
        assert!(many.check().unwrap_err().to_string().contains("33 extra"));
    }

    #[test]
    fn long_uris_from_and_to_are_refused_without_being_quoted() {
        let at_most = format!("sip:{}@b", "a".repeat(MAX_ADDRESS_BYTES - 6));
        let long = format!("sip:{}@b", "a".repeat(MAX_ADDRESS_BYTES));
        assert_eq!(request(&at_most).check(), Ok(()));
        let refused = |request: DialRequest| request.check().unwrap_err().to_string();
        assert_eq!(
            refused(request(&long)),
            "dial URI is 2054 bytes, more than 2048"
        );
        let from = DialRequest {
            from: long.clone(),
            ..request("sip:a@b")
        };
        assert_eq!(refused(from), "dial From is 2054 bytes, more than 2048");
        let to = DialRequest {
            to: long,
            ..request("sip:a@b")
        };
        assert_eq!(refused(to), "dial To is 2054 bytes, more than 2048");
    }

    #[test]
    fn long_credentials_are_refused_without_being_quoted() {
        let with = |username: String, password: String| DialRequest {
            credentials: Some(Credentials { username, password }),
            ..request("sip:a@b")
        };
        let most = "x".repeat(MAX_CREDENTIAL_BYTES);
        assert_eq!(with(most.clone(), most.clone()).check(), Ok(()));
        let long = "y".repeat(MAX_CREDENTIAL_BYTES + 1);
        let refused = with(most.clone(), long.clone())
            .check()
            .unwrap_err()
            .to_string();
        assert_eq!(
            refused,
            "dial credentials' password is 257 bytes, more than 256"
        );
        let refused = with(long, most).check().unwrap_err().to_string();
        assert_eq!(
            refused,
            "dial credentials' user name is 257 bytes, more than 256"
        );
    }

    #[test]
    fn debug_output_hides_the_password() {
        let request = DialRequest {
            credentials: Some(Credentials {
                username: "alice".into(),
                password: "s3cret".into(),
            }),
            ..request("sip:a@b")
        };
        let text = format!("{request:?}");
        assert!(text.contains("alice"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn a_from_to_or_header_the_endpoint_would_refuse_is_refused_at_once() {
        let with = |from: &str, to: &str, header: (&str, &str)| DialRequest {
            uri: "sip:bob@example.com".into(),
            from: from.into(),
            to: to.into(),
            headers: vec![(header.0.into(), header.1.into())],
            ..DialRequest::default()
        };
        let fine = ("X-Room", "7");
        assert_eq!(with("", "", fine).check(), Ok(()));
        assert_eq!(
            with("<sip:alice@example.com>", "Bob <sip:bob@example.com>", fine).check(),
            Ok(())
        );
        for (request, named) in [
            (with("Alice", "", fine), "From"),
            (with("<sip:a@b>;tag=1", "", fine), "From"),
            (with("", "<sip:bob@example.com", fine), "To"),
            (with("", "", ("Contact", "<sip:x@y>")), "Contact"),
            (with("", "", ("X-Bad", "a\r\nb")), "X-Bad"),
        ] {
            let refused = request.check();
            assert!(
                matches!(&refused, Err(CoreError::InvalidArgument(why)) if why.contains(named)),
                "{request:?}: {refused:?}"
            );
        }
    }
}
