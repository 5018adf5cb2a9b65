//! The parts of a SIP URI that say where to send (RFC 3263 §4): host, port, `transport` and
//! `maddr`.

use std::net::IpAddr;

use super::ResolveError;
use crate::Transport;

/// A host as written in a URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Host {
    /// An IPv4 address or a bracketed IPv6 reference.
    Ip(IpAddr),
    /// A domain name, lowercase, without a trailing dot.
    Name(String),
}

/// Where a SIP URI points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Destination {
    /// The `maddr` parameter if present (§4: it overrides the host), else the host.
    pub(crate) host: Host,
    /// The explicit port, if any.
    pub(crate) port: Option<u16>,
    /// The `transport` parameter, if any.
    pub(crate) transport: Option<Transport>,
}

/// Reads `text`, a `sip:` URI (case-insensitive scheme). `sips:` URIs and `transport=tls`
/// need TLS, which this crate does not offer; other transports (SCTP, WS) are unsupported.
pub(crate) fn parse(text: &str) -> Result<Destination, ResolveError> {
    let malformed = || ResolveError::Malformed(text.to_owned());
    let (scheme, rest) = text.trim().split_once(':').ok_or_else(malformed)?;
    if scheme.eq_ignore_ascii_case("sips") {
        return Err(ResolveError::TlsUnsupported);
    }
    if !scheme.eq_ignore_ascii_case("sip") {
        return Err(malformed());
    }
    // "@" appears only at the end of the userinfo (RFC 3261 §25.1), whose user part may hold
    // ";" (RFC 4475 §3.1.1.9) and "?" (user-unreserved): the host follows the first "@", and
    // headers follow the first "?" after it.
    let rest = rest.split_once('@').map_or(rest, |(_, host)| host);
    let rest = rest.split_once('?').map_or(rest, |(uri, _)| uri);
    let (hostport, params) = match rest.strip_prefix('[') {
        Some(v6) => {
            let (_, after) = v6.split_once(']').ok_or_else(malformed)?;
            let end = rest.len() - after.len();
            let param_start = after.find(';').map_or(rest.len(), |i| end + i);
            (&rest[..param_start], &rest[param_start..])
        }
        None => rest.split_at(rest.find(';').unwrap_or(rest.len())),
    };
    let (host, port) = host_port(hostport).ok_or_else(malformed)?;
    let mut destination = Destination {
        host,
        port,
        transport: None,
    };
    for param in params.split(';').filter(|p| !p.is_empty()) {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        if name.eq_ignore_ascii_case("transport") {
            destination.transport = Some(transport(value)?);
        } else if name.eq_ignore_ascii_case("maddr") {
            destination.host = host_port(value)
                .filter(|(_, port)| port.is_none())
                .ok_or_else(malformed)?
                .0;
        }
    }
    Ok(destination)
}

fn transport(value: &str) -> Result<Transport, ResolveError> {
    match value.to_ascii_lowercase().as_str() {
        "udp" => Ok(Transport::Udp),
        "tcp" => Ok(Transport::Tcp),
        "tls" => Err(ResolveError::TlsUnsupported),
        _ => Err(ResolveError::UnsupportedTransport(value.to_owned())),
    }
}

/// `text` as host and optional port; `None` if it is neither an IP address, a bracketed IPv6
/// reference nor a domain name.
fn host_port(text: &str) -> Option<(Host, Option<u16>)> {
    let (host, port) = match text.strip_prefix('[') {
        Some(v6) => {
            let (address, rest) = v6.split_once(']')?;
            let ip: std::net::Ipv6Addr = address.parse().ok()?;
            return Some((Host::Ip(ip.into()), port(rest)?));
        }
        None => match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        },
    };
    let port = match port {
        Some(digits) => Some(digits.parse().ok()?),
        None => None,
    };
    if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
        return Some((Host::Ip(ip.into()), port));
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    let valid = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    valid.then(|| (Host::Name(name.to_ascii_lowercase()), port))
}

/// The port after a bracketed IPv6 reference: nothing, or ":" and digits.
fn port(rest: &str) -> Option<Option<u16>> {
    match rest {
        "" => Some(None),
        _ => Some(Some(rest.strip_prefix(':')?.parse().ok()?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(host: &str) -> Host {
        Host::Name(host.to_owned())
    }

    #[test]
    fn hosts_ports_and_parameters_are_read() {
        let cases = [
            (
                "sip:alice@192.0.2.1",
                (
                    "192.0.2.1".parse::<IpAddr>().map(Host::Ip).unwrap(),
                    None,
                    None,
                ),
            ),
            (
                "SIP:[2001:db8::1]:5070;transport=TCP",
                (
                    Host::Ip("2001:db8::1".parse().unwrap()),
                    Some(5070),
                    Some(Transport::Tcp),
                ),
            ),
            (
                "sip:user;x=y@Example.COM.",
                (name("example.com"), None, None),
            ),
            (
                "sip:example.com:5080;lr?Subject=x",
                (name("example.com"), Some(5080), None),
            ),
            (
                "sip:a@example.com;maddr=[2001:db8::5];transport=udp",
                (
                    Host::Ip("2001:db8::5".parse().unwrap()),
                    None,
                    Some(Transport::Udp),
                ),
            ),
            (
                "sip:a@example.com;maddr=proxy.example.net",
                (name("proxy.example.net"), None, None),
            ),
            (
                "sip:a?b@gw.example.com:5070",
                (name("gw.example.com"), Some(5070), None),
            ),
            (
                "sip:u@gw.example.com;x=a@evil.example",
                (name("gw.example.com"), None, None),
            ),
        ];
        for (text, (host, port, transport)) in cases {
            let expected = Destination {
                host,
                port,
                transport,
            };
            assert_eq!(parse(text).as_ref().ok(), Some(&expected), "{text}");
        }
    }

    #[test]
    fn what_cannot_be_sent_to_is_refused() {
        assert!(matches!(
            parse("sips:example.com"),
            Err(ResolveError::TlsUnsupported)
        ));
        assert!(matches!(
            parse("sip:example.com;transport=tls"),
            Err(ResolveError::TlsUnsupported)
        ));
        assert!(matches!(
            parse("sip:example.com;transport=sctp"),
            Err(ResolveError::UnsupportedTransport(t)) if t == "sctp"
        ));
        for text in [
            "tel:+1555",
            "sip:",
            "sip:[2001:db8::1",
            "sip:a@b:port",
            "sip:[::1]x",
            "sip:a..b",
            "sip:a@b;maddr=c:5",
        ] {
            assert!(
                matches!(parse(text), Err(ResolveError::Malformed(_))),
                "{text}"
            );
        }
    }
}
