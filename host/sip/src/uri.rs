//! URIs as the endpoint reads them (RFC 3261 §19.1.1, §25.1): checked character by character,
//! with the user part and headers of SIP and SIPS URIs found. rsip's URI parser refuses some
//! valid URIs (RFC 4475 §3.1.1.9: a user part with `;`) and accepts invalid ones (§3.1.2.7:
//! `<sip:...>` as a Request-URI), so the endpoint does not use it on what peers send.

/// A URI that passed [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Uri<'a> {
    /// The user of a SIP or SIPS URI (without a password, still escaped); "" if it has none
    /// or the URI has another scheme.
    pub(crate) user: &'a str,
    /// Whether a SIP or SIPS URI carries headers (`?name=value`), which a Request-URI must not
    /// (§19.1.1, table 1).
    pub(crate) has_headers: bool,
}

/// `text` as a URI: `scheme ":" rest`, with a scheme of a letter followed by letters, digits,
/// `+`, `-` or `.`, and a rest of URI characters (§25.1 unreserved and reserved, `[` `]` of an
/// IPv6 reference, and escapes `%` HEXDIG HEXDIG); a SIP or SIPS URI also needs a host.
/// `None` if it is none.
pub(crate) fn parse(text: &str) -> Option<Uri<'_>> {
    let (scheme, rest) = text.split_once(':')?;
    let mut scheme_bytes = scheme.bytes();
    let scheme_ok = scheme_bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme_bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok || rest.is_empty() || !uri_characters(rest) {
        return None;
    }
    if !["sip", "sips"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s))
    {
        return Some(Uri {
            user: "",
            has_headers: false,
        });
    }
    // §25.1: "@" appears in no part of a SIP URI but the one ending its userinfo.
    let (userinfo, host_part) = rest.split_once('@').unwrap_or(("", rest));
    let host_end = host_part.find([';', '?']).unwrap_or(host_part.len());
    if host_part[..host_end].is_empty() {
        return None;
    }
    Some(Uri {
        user: userinfo.split_once(':').map_or(userinfo, |(user, _)| user),
        has_headers: host_part.contains('?'),
    })
}

/// Whether `text` holds only URI characters, each `%` starting an escape.
fn uri_characters(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| match b {
        b'%' => bytes
            .get(i + 1..i + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)),
        _ => b.is_ascii_alphanumeric() || b"-_.!~*'();/?:@&=+$,[]".contains(&b),
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
        ];
        for (text, user) in cases {
            let uri = parse(text).unwrap_or_else(|| panic!("{text:?} is a URI"));
            assert_eq!(uri.user, user, "{text}");
            assert!(!uri.has_headers, "{text}");
        }
    }

    #[test]
    fn headers_are_found_after_the_host() {
        let uri = parse("sip:user@example.com?Route=%3Csip:example.com%3E").unwrap();
        assert!(uri.has_headers);
        assert_eq!(parse("tel:+1-201-555-0123").map(|u| u.user), Some(""));
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
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}
