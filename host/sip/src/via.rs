//! Via values (RFC 3261 §20.42, §25.1 via-parm), read here rather than by rsip, whose parser
//! refuses valid ones (an unknown transport, RFC 4475 §3.1.1.10) and ones the endpoint must
//! still route a response to (`SIP/7.0`, answered 505 per §3.1.2.16).

use crate::syntax::{self, Param};
use crate::transport::Transport;

/// A via-parm that passed [`parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Via<'a> {
    /// The sent-by as written: host and optional port.
    pub(crate) sent_by: &'a str,
    /// The host of the sent-by, IPv6 references without their brackets.
    pub(crate) host: &'a str,
    /// The port of the sent-by, if given.
    pub(crate) port: Option<u16>,
    /// The parameters (branch, received, rport, ...); `None` when they are malformed, such
    /// as an empty one (RFC 4475 §3.1.2.1): the sent-by still says where responses go.
    pub(crate) params: Option<Vec<Param<'a>>>,
}

impl Via<'_> {
    /// The value of the parameter `name`: `Some(None)` when it has none, `None` when it is
    /// absent or the parameters are malformed.
    pub(crate) fn param(&self, name: &str) -> Option<Option<&str>> {
        syntax::param(self.params.as_deref()?, name)
    }

    /// The branch parameter's value, if any.
    pub(crate) fn branch(&self) -> Option<&str> {
        self.param("branch").flatten()
    }
}

/// `value`, one Via value with its separators tightened by `wire`, as a via-parm:
/// `protocol-name "/" protocol-version "/" transport` (three tokens), whitespace, a host
/// (name, IPv4 address or bracketed IPv6 reference) with an optional port, then parameters.
/// A host name may hold `_`.
/// `None` if it is none up to the parameters.
pub(crate) fn parse(value: &str) -> Option<Via<'_>> {
    let (protocol, rest) = value.trim().split_once([' ', '\t'])?;
    let mut parts = protocol.split('/');
    let protocol_ok = parts
        .by_ref()
        .take(3)
        .filter(|p| syntax::is_token(p))
        .count()
        == 3;
    if !protocol_ok || parts.next().is_some() {
        return None;
    }
    let rest = rest.trim_start();
    let sent_by_len = rest.find(';').unwrap_or(rest.len());
    let (sent_by, params) = rest.split_at(sent_by_len);
    let (host, port) = host_port(sent_by)?;
    Some(Via {
        sent_by,
        host,
        port,
        params: syntax::params(params),
    })
}

/// Writes `transport` as the transport of the top Via of `request`, a request the endpoint
/// built (its Via written `Via: SIP/2.0/<transport> <sent-by>`): the top Via names the
/// transport the request goes over (§18.1.1).
pub(crate) fn set_top_transport(request: &mut Vec<u8>, transport: Transport) {
    const PREFIX: &[u8] = b"\r\nVia: SIP/2.0/";
    let Some(at) = request.windows(PREFIX.len()).position(|w| w == PREFIX) else {
        return;
    };
    let start = at + PREFIX.len();
    let len = request[start..]
        .iter()
        .position(|&b| b == b' ')
        .unwrap_or_default();
    request.splice(start..start + len, transport.to_string().into_bytes());
}

/// The host and port of `sent_by`.
fn host_port(sent_by: &str) -> Option<(&str, Option<u16>)> {
    let (host, valid, port) = match sent_by.strip_prefix('[') {
        Some(v6) => {
            let (host, rest) = v6.split_once(']')?;
            let port = match rest {
                "" => None,
                _ => Some(rest.strip_prefix(':')?),
            };
            let valid = host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b":.".contains(&b));
            (host, valid, port)
        }
        None => {
            let (host, port) = match sent_by.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (sent_by, None),
            };
            // Host names with "_" break RFC 1123 but are common on LANs; refusing them would
            // leave such peers unanswered.
            let valid = host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
            (host, valid, port)
        }
    };
    if host.is_empty() || !valid {
        return None;
    }
    let port = match port {
        None => None,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse().ok()?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_parms_are_read() {
        let via = parse("SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bKabc;rport").unwrap();
        assert_eq!(
            (via.sent_by, via.host, via.port),
            ("10.0.0.9:5062", "10.0.0.9", Some(5062))
        );
        assert_eq!(via.branch(), Some("z9hG4bKabc"));
        assert_eq!(via.param("rport"), Some(None));
        let v6 = parse("SIP/2.0/UDP [2001:db8::9]:5060").unwrap();
        assert_eq!(
            (v6.host, v6.port, v6.branch()),
            ("2001:db8::9", Some(5060), None)
        );
        let unknown = parse("SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en").unwrap();
        assert_eq!(parse("SIP/2.0/UDP pc_7").map(|v| v.host), Some("pc_7"));
        assert_eq!(unknown.host, "t4.example.com");
        let future = parse("SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw").unwrap();
        assert_eq!((future.host, future.port), ("c.example.com", None));
    }

    #[test]
    fn the_top_via_takes_the_transport_and_no_other_changes() {
        let mut request = b"BYE sip:b@192.0.2.9 SIP/2.0\r\n\
            Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa\r\n\
            Via: SIP/2.0/UDP 192.0.2.3;branch=z9hG4bKb\r\n\r\n"
            .to_vec();
        set_top_transport(&mut request, Transport::Tcp);
        let text = String::from_utf8(request.clone()).unwrap();
        assert!(
            text.contains("Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKa\r\nVia: SIP/2.0/UDP "),
            "{text}"
        );
        set_top_transport(&mut request, Transport::Udp);
        assert!(!String::from_utf8(request).unwrap().contains("TCP"));
    }

    #[test]
    fn broken_parameters_keep_the_sent_by() {
        let via = parse("SIP/2.0/UDP 192.0.2.15;;").unwrap();
        assert_eq!(
            (via.host, &via.params, via.branch()),
            ("192.0.2.15", &None, None)
        );
    }

    #[test]
    fn broken_via_parms_are_refused() {
        for value in [
            ";",
            "SIP/2.0/UDP",
            "SIP/2.0 192.0.2.1",
            "SIP/2.0/UDP/X 192.0.2.1",
            "SIP/2.0/UDP 192.0.2.1:",
            "SIP/2.0/UDP 192.0.2.1:99999",
            "SIP/2.0/UDP 192.0.2.1:-1",
            "SIP/2.0/UDP [2001:db8::9",
            "SIP/2.0/UDP [2001:db8::9]x",
            "SIP/2.0/UDP host:name",
            "SIP/2.0/UDP a b",
        ] {
            assert_eq!(parse(value), None, "{value:?}");
        }
    }
}
