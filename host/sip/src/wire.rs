//! From a UDP datagram to an `rsip` message: the message framing that `rsip` leaves out.
//!
//! `rsip` parses one header per line under its full name. Real peers also send compact header
//! names, folded header lines, bare LF line ends and several Via values in one header line, so
//! this module rewrites the head into the form `rsip` reads before handing it over. The body is
//! passed through untouched; Content-Length is checked later, in [`crate::message`].

/// What one datagram turned out to be.
#[derive(Debug)]
pub(crate) enum Datagram {
    /// Only whitespace or NUL bytes: a NAT keepalive, ignored.
    Keepalive,
    /// A SIP message.
    Message(Box<rsip::SipMessage>),
}

/// Parses one datagram; `None` if it is no SIP message (the caller drops and counts it).
pub(crate) fn parse(data: &[u8]) -> Option<Datagram> {
    if data
        .iter()
        .all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0))
    {
        return Some(Datagram::Keepalive);
    }
    // RFC 3261 §7.5: CRLFs before the start line are ignored.
    let start = data.iter().position(|b| !matches!(b, b'\r' | b'\n'))?;
    let data = &data[start..];
    let (head, body) = split_head(data);
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line));
    let start_line = lines.next()?.trim_end();

    let mut headers: Vec<(&str, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header
            // value; the folding is replaced by a single space.
            let (_, value) = headers.last_mut()?;
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let (name, value) = line.split_once(':')?;
        let name = full_header_name(name.trim());
        if name.is_empty() {
            return None;
        }
        if name.eq_ignore_ascii_case("Via") {
            // RFC 3261 §7.3.1: a comma-separated list is equivalent to several header lines;
            // rsip reads one Via value per header.
            for via in split_list(value) {
                headers.push((name, via.to_owned()));
            }
        } else {
            headers.push((name, value.trim().to_owned()));
        }
    }
    for (name, value) in &mut headers {
        if TIGHTENED.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            *value = tighten(value);
        }
    }

    let mut text = String::with_capacity(head.len() + 64);
    text.push_str(start_line);
    text.push_str("\r\n");
    for (name, value) in &headers {
        text.push_str(name);
        text.push_str(": ");
        text.push_str(value);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(body);
    rsip::SipMessage::try_from(bytes.as_slice())
        .ok()
        .map(|message| Datagram::Message(Box::new(message)))
}

/// Splits a message at the empty line that ends its head (CRLF CRLF, or LF LF from sloppy
/// peers); without one the whole datagram is head.
fn split_head(data: &[u8]) -> (&[u8], &[u8]) {
    let crlf = find(data, b"\r\n\r\n").map(|i| (i, 4));
    let lf = find(data, b"\n\n").map(|i| (i, 2));
    match (crlf, lf) {
        (Some(c), Some(l)) if l.0 < c.0 => (&data[..l.0], &data[l.0 + l.1..]),
        (Some((i, n)), _) | (None, Some((i, n))) => (&data[..i], &data[i + n..]),
        (None, None) => (data, &[]),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Headers the endpoint reads in typed form, whose parameter separators rsip wants tight.
const TIGHTENED: [&str; 5] = ["Via", "From", "To", "Contact", "Record-Route"];

/// Drops the whitespace RFC 3261 §25.1 allows around ";" and "=" (SEMI, EQUAL), outside quoted
/// strings; folded parameters (§7.3.1) leave such whitespace behind.
fn tighten(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let (mut quoted, mut escaped) = (false, false);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' | '=' if !quoted => {
                while out.ends_with([' ', '\t']) {
                    out.pop();
                }
                out.push(c);
                while chars.next_if(|n| matches!(n, ' ' | '\t')).is_some() {}
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Expands a compact header name (RFC 3261 §7.3.3, plus the common ones of later RFCs).
fn full_header_name(name: &str) -> &str {
    if name.len() != 1 {
        return name;
    }
    match name.as_bytes()[0].to_ascii_lowercase() {
        b'i' => "Call-ID",
        b'm' => "Contact",
        b'e' => "Content-Encoding",
        b'l' => "Content-Length",
        b'c' => "Content-Type",
        b'f' => "From",
        b's' => "Subject",
        b'k' => "Supported",
        b't' => "To",
        b'v' => "Via",
        // RFC 3265 §7.2 (Event), RFC 3515 §2.1 (Refer-To), RFC 3892 §3 (Referred-By),
        // RFC 4028 §4 (Session-Expires).
        b'o' => "Event",
        b'r' => "Refer-To",
        b'b' => "Referred-By",
        b'x' => "Session-Expires",
        _ => name,
    }
}

/// Splits a header value at commas that are outside quoted strings and angle brackets,
/// trimming each element and skipping empty ones.
fn split_list(value: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut quoted, mut bracketed, mut escaped) = (false, false, false);
    let mut start = 0;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => bracketed = true,
            '>' if !quoted => bracketed = false,
            ',' if !quoted && !bracketed => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty())
}

/// Test helper: the request in `text`, which must parse.
#[cfg(test)]
pub(crate) fn parse_request(text: &str) -> rsip::Request {
    match parse(text.as_bytes()) {
        Some(Datagram::Message(message)) => match *message {
            rsip::SipMessage::Request(request) => request,
            rsip::SipMessage::Response(_) => panic!("a response: {text}"),
        },
        _ => panic!("not a SIP message: {text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsip::prelude::*;

    #[test]
    fn keepalives_are_recognised() {
        assert!(matches!(parse(b"\r\n\r\n"), Some(Datagram::Keepalive)));
        assert!(matches!(parse(&[0, 0, 0, 0]), Some(Datagram::Keepalive)));
        assert!(matches!(parse(b""), Some(Datagram::Keepalive)));
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(parse(b"hello world").is_none());
        assert!(parse(b"INVITE sip:a@b SIP/2.0\r\nNoColonHere\r\n\r\n").is_none());
        assert!(parse(&[0xff, 0xfe, b'\r', b'\n']).is_none());
        assert!(parse(b"INVITE sip:a@b SIP/2.0\r\n folded-without-header\r\n\r\n").is_none());
    }

    #[test]
    fn compact_folded_lf_only_message_is_normalised() {
        let m = parse_request(
            "\r\nOPTIONS sip:a@10.0.0.1 SIP/2.0\n\
             v: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK2\n\
             f: <sip:b@10.0.0.2>\n ;tag=abc\n\
             t: <sip:a@10.0.0.1>\n\
             i: xyz@10.0.0.2\n\
             CSeq: 7 OPTIONS\n\
             l: 4\n\nbody",
        );
        let vias = m
            .headers
            .iter()
            .filter(|h| matches!(h, rsip::Header::Via(_)))
            .count();
        assert_eq!(vias, 2);
        assert_eq!(m.from_header().unwrap().value(), "<sip:b@10.0.0.2>;tag=abc");
        assert_eq!(m.call_id_header().unwrap().value(), "xyz@10.0.0.2");
        assert_eq!(m.body, b"body");
    }

    #[test]
    fn separators_are_tightened_outside_quotes() {
        assert_eq!(
            tighten(r#""a ; b = \" ; " <sip:x@y> ; tag = 1 ;lr"#),
            r#""a ; b = \" ; " <sip:x@y>;tag=1;lr"#
        );
    }

    #[test]
    fn list_split_respects_quotes_and_brackets() {
        let parts: Vec<_> =
            split_list(r#""Doe, \"J\"" <sip:a@b;x=1,2>, <sip:c@d> ,, sip:e@f"#).collect();
        assert_eq!(
            parts,
            [r#""Doe, \"J\"" <sip:a@b;x=1,2>"#, "<sip:c@d>", "sip:e@f"]
        );
    }
}
