//! URIs as the endpoint reads them (RFC 3261 §19.1.1, §25.1): checked character by character,
//! with the user part and headers of SIP and SIPS URIs found. rsip's URI parser refuses some
//! valid URIs (RFC 4475 §3.1.1.9: a user part with `;`) and accepts invalid ones (§3.1.2.7:
//! `<sip:...>` as a Request-URI) and every IPv6 reference (RFC 5118), so the endpoint does
//! not use it on what peers send.

use std::net::{IpAddr, SocketAddr};

/// A URI that passed [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Uri<'a> {
    /// The scheme as written, e.g. `sip` or `tel`.
    pub(crate) scheme: &'a str,
    /// The user of a SIP or SIPS URI as written (without a password, escapes and unescaped
    /// `#` kept); "" if it has none or the URI has another scheme.
    pub(crate) user: &'a str,
    /// Whether a SIP or SIPS URI carries headers (`?name=value`), which a Request-URI must not
    /// (§19.1.1, table 1).
    pub(crate) has_headers: bool,
    /// The hostport of a SIP or SIPS URI as written, from the userinfo's `@` to the first `;`
    /// or `?` (so it may hold a later `@`, see [`Uri::names_one_host`]); "" for other schemes.
    pub(crate) host_port: &'a str,
    /// The uri-parameters of a SIP or SIPS URI as written, each with its leading `;`; "" if
    /// it has none or the URI has another scheme.
    pub(crate) params: &'a str,
    /// What follows the userinfo of a SIP or SIPS URI (hostport, parameters and headers), ""
    /// for other schemes.
    after_userinfo: &'a str,
}

impl<'a> Uri<'a> {
    /// The address of a URI whose host is an IP literal, with the URI's port or 5060
    /// (§19.1.2); `None` for a host name, an unreadable port or a URI of another scheme.
    pub(crate) fn socket_addr(&self) -> Option<SocketAddr> {
        let (host, port) = match self.host_port.strip_prefix('[') {
            Some(v6) => {
                let (host, rest) = v6.split_once(']')?;
                // Only a port may follow the brackets: `[2001:db8::1]@proxy` is no address.
                let port = match rest {
                    "" => None,
                    _ => Some(rest.strip_prefix(':')?),
                };
                (host, port)
            }
            None => match self.host_port.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (self.host_port, None),
            },
        };
        let ip = host.parse::<IpAddr>().ok()?;
        // An IPv4 literal in brackets or an IPv6 one without is no hostport (§25.1).
        if ip.is_ipv6() != self.host_port.starts_with('[') {
            return None;
        }
        let port = port.map_or(Some(5060), |p| p.parse().ok())?;
        Some(SocketAddr::new(ip, port))
    }

    /// Whether the URI names one host the way every reader reads it: no `@` follows the
    /// userinfo's (§25.1), as a reader taking the last `@` for the userinfo's end would find
    /// another host, and an IPv6 host is in brackets (RFC 5118 §4.2), as its colons would
    /// otherwise be read as a port's. A URI dialled, routed through as the outbound proxy, or
    /// received as a Request-URI needs it; a peer's Contact or Record-Route does not, as
    /// peers write an e-mail address as a user unescaped: the host after the first `@`,
    /// taken by every reader, is then no IP literal ([`Uri::socket_addr`]), and requests in
    /// the dialog go where the peer's messages come from.
    pub(crate) fn names_one_host(&self) -> bool {
        let bare_ipv6 = !self.host_port.starts_with('[') && self.host_port.matches(':').count() > 1;
        !self.after_userinfo.contains('@') && !bare_ipv6
    }

    /// The value of the uri-parameter `name` (case-insensitive): `Some(None)` when it has no
    /// value, `None` when it is absent.
    pub(crate) fn param(&self, name: &str) -> Option<Option<&'a str>> {
        self.params.split(';').skip(1).find_map(|param| {
            let (n, value) = match param.split_once('=') {
                Some((n, value)) => (n, Some(value)),
                None => (param, None),
            };
            n.eq_ignore_ascii_case(name).then_some(value)
        })
    }

    /// Whether the URI names a loose router (the `lr` parameter, §19.1.1, §16.12).
    pub(crate) fn is_loose_router(&self) -> bool {
        self.param("lr").is_some()
    }

    /// Whether it is a SIPS URI (§19.1), which asks for TLS on every hop (§26.2.2).
    pub(crate) fn is_sips(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("sips")
    }

    /// The `transport` parameter's value (§19.1.1), if any.
    pub(crate) fn transport(&self) -> Option<&'a str> {
        self.param("transport").flatten()
    }
}

/// What a SIP or SIPS URI says of the route it would name ([`route_uri`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteUri {
    /// Whether it names a loose router (the `lr` parameter, §19.1.1, §16.12).
    pub loose: bool,
    /// Whether it carries headers (`?name=value`), which a Route's URI must not (§19.1.1,
    /// table 1).
    pub has_headers: bool,
}

/// What `text`, a SIP or SIPS URI as the endpoint reads it ([`parse`]), says of a route
/// through it: whether it names a loose router (§19.1.1) and carries headers; `None` if
/// `text` is no SIP or SIPS URI or names no one host ([`Uri::names_one_host`]).
/// An outbound proxy needs a loose router without headers, since a request is routed through
/// it loosely, its Request-URI naming the target, and its URI goes into a Route.
pub fn route_uri(text: &str) -> Option<RouteUri> {
    parse(text)
        .filter(|uri| {
            ["sip", "sips"]
                .iter()
                .any(|s| uri.scheme.eq_ignore_ascii_case(s))
                && uri.names_one_host()
        })
        .map(|uri| RouteUri {
            loose: uri.is_loose_router(),
            has_headers: uri.has_headers,
        })
}

/// `text` as a URI: `scheme ":" rest`, with a scheme of a letter followed by letters, digits,
/// `+`, `-` or `.`, and a rest of URI characters (§25.1 unreserved and reserved, `[` `]` of an
/// IPv6 reference, and escapes `%` HEXDIG HEXDIG); a SIP or SIPS URI also needs a host, and
/// its userinfo may hold `#` unescaped. `None` if it is none.
pub(crate) fn parse(text: &str) -> Option<Uri<'_>> {
    let (scheme, rest) = text.split_once(':')?;
    let mut scheme_bytes = scheme.bytes();
    let scheme_ok = scheme_bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme_bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok || rest.is_empty() {
        return None;
    }
    if !["sip", "sips"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s))
    {
        return uri_characters(rest, b"").then_some(Uri {
            scheme,
            user: "",
            has_headers: false,
            host_port: "",
            params: "",
            after_userinfo: "",
        });
    }
    // §25.1: "@" appears in no part of a SIP URI but the one ending its userinfo (the user is
    // user-unreserved, uri-parameters paramchar, headers hnv-unreserved), so the first one
    // ends it. A later one is taken as peers send it (see `Uri::names_one_host`).
    let (userinfo, host_part) = rest.split_once('@').unwrap_or(("", rest));
    // §25.1 wants `#` escaped (%23), but gateways (sofia-sip, Teams Direct Routing SBCs) send
    // dial strings such as `*31#0123` as they are; `#` stays refused after the userinfo, where
    // it would be read as a fragment.
    if !uri_characters(userinfo, b"#") || !uri_characters(host_part, b"") {
        return None;
    }
    let host_end = host_part.find([';', '?']).unwrap_or(host_part.len());
    let host_port = &host_part[..host_end];
    if host_port.is_empty() {
        return None;
    }
    let params_end = host_part.find('?').unwrap_or(host_part.len());
    Some(Uri {
        scheme,
        user: userinfo.split_once(':').map_or(userinfo, |(user, _)| user),
        has_headers: host_part.contains('?'),
        host_port,
        params: &host_part[host_end..params_end],
        after_userinfo: host_part,
    })
}

/// Whether `text` holds only URI characters and the bytes of `also`, each `%` starting an
/// escape.
fn uri_characters(text: &str, also: &[u8]) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| match b {
        b'%' => bytes
            .get(i + 1..i + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)),
        _ => {
            b.is_ascii_alphanumeric() || b"-_.!~*'();/?:@&=+$,[]".contains(&b) || also.contains(&b)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_uris_give_their_user() {
        let cases = [
            ("sip:000777123@127.0.0.1", "000777123"),
            ("sip:alice:secret@example.com:5070;transport=udp", "alice"),
            ("sips:example.com", ""),
            (
                "sip:user;par=u%40example.net@example.com",
                "user;par=u%40example.net",
            ),
            (
                "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,\
                 weird!*pas$wo~d_too.(doesn't-it)@example.com",
                "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
            ),
            ("SIP:[2001:db8::1]:5060", ""),
            ("sip:#123@192.0.2.1;user=phone", "#123"),
            ("sip:*31#0123:pa#ss@gw", "*31#0123"),
            ("sip:%23123@gw", "%23123"),
            ("sip:a?b@gw.example.com", "a?b"),
        ];
        for (text, user) in cases {
            let uri = parse(text).unwrap_or_else(|| panic!("{text:?} is a URI"));
            assert_eq!(uri.user, user, "{text}");
            assert!(!uri.has_headers, "{text}");
        }
    }

    #[test]
    fn ip_literals_give_their_address() {
        let cases = [
            ("sip:alice@[2001:db8::2]:5062", Some("[2001:db8::2]:5062")),
            ("sip:[2001:db8::1];lr", Some("[2001:db8::1]:5060")),
            (
                "sips:bob@192.0.2.4:5070;transport=tcp?x=y",
                Some("192.0.2.4:5070"),
            ),
            ("sip:192.0.2.4", Some("192.0.2.4:5060")),
            ("sip:phone.example.com:5060", None),
            ("sip:192.0.2.4:port", None),
            ("sip:[192.0.2.4]", None),
            ("sip:2001:db8::1", None),
            ("sip:a@b@10.0.0.5:5060", None),
            ("sip:u@[2001:db8::1]@proxy.example", None),
            ("sip:[2001:db8::1]x", None),
            ("tel:+1-201-555-0123", None),
        ];
        for (text, addr) in cases {
            let expected = addr.map(|a| a.parse::<SocketAddr>().unwrap());
            assert_eq!(parse(text).unwrap().socket_addr(), expected, "{text}");
        }
    }

    #[test]
    fn uri_parameters_are_read() {
        let uri = parse("sip:[2001:db8::1]:5080;LR;transport=TCP;maddr=x?h=;lr").unwrap();
        assert_eq!(uri.params, ";LR;transport=TCP;maddr=x");
        assert!(uri.is_loose_router());
        assert_eq!(uri.transport(), Some("TCP"));
        assert_eq!(uri.param("maddr"), Some(Some("x")));
        assert_eq!(uri.param("ttl"), None);
        let plain = parse("sip:a@b").unwrap();
        assert!(!plain.is_loose_router());
    }

    #[test]
    fn only_sip_uris_are_told_routing_loosely_or_not() {
        let route = |loose, has_headers| Some(RouteUri { loose, has_headers });
        assert_eq!(route_uri("sip:proxy.example.com;lr"), route(true, false));
        assert_eq!(route_uri("SIPS:p;Lr=on?h=v"), route(true, true));
        assert_eq!(route_uri("sip:p?x=;lr"), route(false, true));
        assert_eq!(
            route_uri("sip:gw?x@proxy.example.com;lr"),
            route(true, false)
        );
        assert_eq!(route_uri("sip:proxy.example.com"), route(false, false));
        for not_sip in [
            "tel:+1;lr",
            "proxy.example.com",
            "<sip:p;lr>",
            "sip:p lr",
            "sip:u@p;lr;x=a@evil.example",
            "sip:2001:db8::1;lr",
        ] {
            assert_eq!(route_uri(not_sip), None, "{not_sip:?}");
        }
    }

    #[test]
    fn headers_are_found_after_the_host() {
        let uri = parse("sip:user@example.com?Route=%3Csip:example.com%3E").unwrap();
        assert!(uri.has_headers);
        assert_eq!(parse("tel:+1-201-555-0123").map(|u| u.user), Some(""));
        // A `?` in the user part (user-unreserved, §25.1) starts no headers.
        let uri = parse("sip:a?b@gw.example.com").unwrap();
        assert!(!uri.has_headers);
        assert_eq!(uri.host_port, "gw.example.com");
    }

    #[test]
    fn non_uris_are_refused() {
        for text in [
            "<sip:user@example.com>",
            "sip:user@example.com; lr",
            "sip:",
            "sip:user@",
            "sip:a%zz@b",
            "sip:a%4@b",
            "1sip:a@b",
            "no-colon",
            "sip:a\"b@c",
            "sip:ä@b",
            "sip:gw#1",
            "sip:a@b#c",
            "sip:a@b;x=#",
            "sip:a@b?h=#",
            "tel:#31",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_later_at_or_a_bare_ipv6_host_is_read_but_names_no_one_host() {
        for (text, host_port) in [
            (
                "sip:john@example.com@pbx.example.net",
                "example.com@pbx.example.net",
            ),
            ("sip:a@b@10.0.0.5:5060", "b@10.0.0.5:5060"),
            ("sip:u@gw;x=a@evil", "gw"),
            ("sip:u@gw?h=a@evil", "gw"),
            ("sip:2001:db8::10", "2001:db8::10"),
            ("sip:u@2001:db8::1;lr", "2001:db8::1"),
        ] {
            let uri = parse(text).unwrap_or_else(|| panic!("{text:?} is read"));
            assert_eq!(uri.host_port, host_port, "{text}");
            assert!(!uri.names_one_host(), "{text}");
        }
        for text in [
            "sip:a?b@gw.example.com",
            "sip:user;par=u%40example.net@example.com",
            "sip:alice@192.0.2.4:5070;lr?h=v",
            "sips:[2001:db8::1]:5061",
            "tel:+1-201-555-0123",
        ] {
            assert!(parse(text).unwrap().names_one_host(), "{text}");
        }
    }
}
