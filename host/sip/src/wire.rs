//! From a UDP datagram to a message: the framing that `rsip` leaves out.
//!
//! The start line is read by [`crate::start_line`]; `rsip` reads the header lines, one per line
//! under its full name. Real peers also send compact header names, folded header lines, bare
//! LF line ends and several Via values in one header line, so this module rewrites the head
//! into the form `rsip` reads before handing it over. The body is passed through untouched;
//! Content-Length is checked later, in [`crate::message`].

use std::borrow::Cow;

use rsip::prelude::HasHeaders;

use crate::build;
use crate::start_line::{self, RequestLine, StartLine};
use crate::syntax;

/// What one datagram turned out to be.
#[derive(Debug)]
pub(crate) enum Datagram {
    /// Only whitespace or NUL bytes: a NAT keepalive, ignored.
    Keepalive,
    /// A request, or what starts like one.
    Request(Box<RawRequest>),
    /// A response.
    Response(Box<rsip::Response>),
}

/// A request as received: its Request-Line as text, its headers as `rsip` reads them, its body.
#[derive(Debug)]
pub(crate) struct RawRequest {
    /// The Request-Line.
    pub(crate) line: RequestLine,
    /// The header lines, in order, compact names expanded and folding undone.
    pub(crate) headers: rsip::Headers,
    /// Everything after the empty line that ends the head.
    pub(crate) body: Vec<u8>,
    /// The reason phrase of a `400` naming the first header line that could not be read, or
    /// else the first header whose value holds a control character ([`syntax::has_control`]);
    /// the lines that could not be read are left out of `headers`.
    pub(crate) malformed: Option<String>,
    /// Whether the request cannot be answered: a line that could not be read comes before the
    /// first Via header (or that Via's value is not UTF-8), and may have been the top Via, to
    /// which the response goes (§18.2.2); or a header that a response copies (§8.2.6.2) holds
    /// a control character, which the response would carry on to a peer that reads it
    /// differently, or not at all (a bare CR ends a line for some parsers).
    pub(crate) unanswerable: bool,
}

impl HasHeaders for RawRequest {
    fn headers(&self) -> &rsip::Headers {
        &self.headers
    }

    fn headers_mut(&mut self) -> &mut rsip::Headers {
        &mut self.headers
    }
}

impl rsip::prelude::HeadersExt for RawRequest {}

/// Parses one datagram; `None` if it is no SIP message (the caller drops and counts it): its
/// start line cannot be read, rsip refuses its headers, or it is a response with a header line
/// that cannot be read or a header value holding a control character. A request with such a
/// line or value is kept, with it named in [`RawRequest::malformed`], so that it can be
/// answered, unless it is [`RawRequest::unanswerable`]. A response's reason phrase is kept
/// with each control character replaced.
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
    let mut lines = lines(head);
    let first_line = std::str::from_utf8(lines.next()?).ok()?;
    let start_line = start_line::parse(first_line)?;
    let block = header_block(lines)?;
    let body = body.to_vec();
    Some(match start_line {
        StartLine::Request(line) => Datagram::Request(Box::new(RawRequest {
            line,
            headers: block.headers,
            body,
            malformed: block.unreadable.or(block
                .control_in
                .map(|name| format!("Control character in {name} header"))),
            unanswerable: block.via_unreadable || block.control_in_copied,
        })),
        // A response cannot be refused, only dropped (§18.1.2): its client transaction then
        // waits on, for a retransmission over UDP or its timeout. One with a bare CR inside a
        // header is read differently by parsers that end lines at CR, and would have us
        // repeat the CR in our requests (a challenge's realm, quoted into Authorization).
        StartLine::Status(_) if block.unreadable.is_some() || block.control_in.is_some() => {
            return None;
        }
        StartLine::Status(code) => Datagram::Response(Box::new(rsip::Response {
            // The Other variant keeps the reason phrase as sent (rsip would name known codes
            // in its own words), for the application to see (§21).
            status_code: rsip::StatusCode::Other(code, reason_phrase(first_line)),
            version: rsip::Version::V2,
            headers: block.headers,
            body,
        })),
    })
}

/// The Reason-Phrase of a Status-Line that [`start_line::parse`] accepted ("" if empty), each
/// control character but HTAB, which §25.1 allows none of, replaced by U+FFFD. The phrase is
/// only for people to read (§21), and reaches the application, its logs and the messages it
/// may repeat it in: a bare CR there could start a line of its own.
fn reason_phrase(status_line: &str) -> String {
    status_line
        .splitn(3, ' ')
        .nth(2)
        .unwrap_or_default()
        .chars()
        .map(|c| match c {
            '\t' => c,
            _ if c.is_control() => char::REPLACEMENT_CHARACTER,
            _ => c,
        })
        .collect()
}

/// The header lines of a head, as [`header_block`] reads them.
struct HeaderBlock {
    headers: rsip::Headers,
    /// The reason phrase naming the first line that could not be read.
    unreadable: Option<String>,
    /// The name of the first header holding a control character.
    control_in: Option<String>,
    /// Whether a header that responses copy ([`build::copied_into_responses`]) holds one.
    control_in_copied: bool,
    /// Whether `unreadable` names a line before the first Via, or that Via.
    via_unreadable: bool,
}

/// The header lines after the start line (numbered from 2) as `rsip` headers. A line that is
/// no `name: value` line is left out and named in [`HeaderBlock::unreadable`], as is a value
/// that is not UTF-8 (kept with U+FFFD in place of its bad bytes); `None` if rsip refuses the
/// rest.
fn header_block<'a>(lines: impl Iterator<Item = &'a [u8]>) -> Option<HeaderBlock> {
    let mut unfolded: Vec<(&str, String)> = Vec::new();
    let mut unreadable: Option<String> = None;
    // Whether the last header line was left out, and its continuation lines with it.
    let mut skipping = false;
    // Whether something was unreadable up to the first Via, once that has been read.
    let mut via_unreadable: Option<bool> = None;
    for (number, line) in (2..).zip(lines) {
        let read = match unfolded.last_mut() {
            _ if line.is_empty() => continue,
            _ if !is_continuation(line) => header_line(line),
            _ if skipping => continue,
            // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header
            // value; the folding is replaced by a single space.
            Some((name, value)) => {
                value.push(' ');
                value.push_str(trim_lws(&value_text(line, name, &mut unreadable)));
                continue;
            }
            None => Err("continues no header"),
        };
        match read {
            Ok((name, value)) => {
                let value = value_text(value, name, &mut unreadable);
                if via_unreadable.is_none() && name.eq_ignore_ascii_case("Via") {
                    via_unreadable = Some(unreadable.is_some());
                }
                unfolded.push((name, trim_lws(&value).to_owned()));
                skipping = false;
            }
            Err(problem) => {
                unreadable
                    .get_or_insert_with(|| format!("Malformed header line {number} ({problem})"));
                skipping = true;
            }
        }
    }
    let mut headers: Vec<(&str, String)> = Vec::with_capacity(unfolded.len());
    for (name, value) in unfolded {
        if name.eq_ignore_ascii_case("Via") {
            // RFC 3261 §7.3.1: a comma-separated list is equivalent to several header lines;
            // rsip reads one Via value per header.
            headers.extend(split_list(&value).map(|via| (name, via.to_owned())));
        } else {
            headers.push((name, value));
        }
    }
    let control_in = headers
        .iter()
        .find(|(_, value)| syntax::has_control(value))
        .map(|(name, _)| (*name).to_owned());
    for (name, value) in &mut headers {
        if let Some((_, separators)) = TIGHTENED.iter().find(|(h, _)| name.eq_ignore_ascii_case(h))
        {
            *value = tighten(value, separators);
        }
        if name.eq_ignore_ascii_case("Via") {
            *value = tighten_sent_by(value);
        }
    }
    // rsip reads header lines only as part of a message: they go under a placeholder
    // Status-Line, which is dropped with the rest of the message.
    let mut text = String::from("SIP/2.0 200 OK\r\n");
    for (name, value) in &headers {
        text.push_str(name);
        text.push_str(": ");
        text.push_str(value);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    let response = rsip::Response::try_from(text.as_bytes()).ok()?;
    let control_in_copied = response
        .headers
        .iter()
        .any(|h| build::copied_into_responses(h) && syntax::has_control(&h.to_string()));
    Some(HeaderBlock {
        headers: response.headers,
        unreadable,
        control_in,
        control_in_copied,
        via_unreadable: via_unreadable.unwrap_or_default(),
    })
}

/// A header line (not a continuation) as its name, expanded if compact (§7.3.3), and its raw
/// value; `Err` with what is wrong if it has no colon or its name is no token (§7.3.1, §25.1).
fn header_line(line: &[u8]) -> Result<(&str, &[u8]), &'static str> {
    let colon = line.iter().position(|&b| b == b':').ok_or("no colon")?;
    let name = std::str::from_utf8(&line[..colon])
        .ok()
        .map(trim_lws)
        .filter(|name| syntax::is_token(name))
        .ok_or("header name is not a token")?;
    Ok((full_header_name(name), &line[colon + 1..]))
}

/// The header `name`'s value bytes `value` as text, borrowed when they are UTF-8; a value
/// that is not (§7.3.1, §25.1 TEXT-UTF8) gets U+FFFD for its bad bytes, and is the first
/// `unreadable` if none is yet.
fn value_text<'a>(value: &'a [u8], name: &str, unreadable: &mut Option<String>) -> Cow<'a, str> {
    let text = String::from_utf8_lossy(value);
    if let Cow::Owned(_) = text {
        unreadable.get_or_insert_with(|| format!("Invalid UTF-8 in {name} header"));
    }
    text
}

/// Where the head of a message starting at `data[0]` ends, as `(head, body)`: the head is
/// `data[..head]`, the body starts at `data[body]`. The head ends at its first empty line
/// (§7): a line feed followed by a line feed, or by CR LF, so CRLF CRLF and the LF LF of
/// sloppy peers alike, since a line ends at LF with its CR, if any, dropped ([`lines`]).
/// `None` until an empty line arrives. Stream framing and datagram parsing share it, so that
/// both find the same head.
pub(crate) fn head_end(data: &[u8]) -> Option<(usize, usize)> {
    data.iter().enumerate().find_map(|(i, &b)| {
        if b != b'\n' {
            return None;
        }
        match &data[i + 1..] {
            [b'\n', ..] => Some((i, i + 2)),
            [b'\r', b'\n', ..] => Some((i, i + 3)),
            _ => None,
        }
    })
}

/// The lines of a message head: each ends at LF, its CR (if any) dropped.
pub(crate) fn lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// Whether a header line continues the previous one's value (§7.3.1: it starts with
/// whitespace).
pub(crate) fn is_continuation(line: &[u8]) -> bool {
    line.starts_with(b" ") || line.starts_with(b"\t")
}

/// Splits a message at the empty line that ends its head ([`head_end`]); without one the
/// whole datagram is head.
fn split_head(data: &[u8]) -> (&[u8], &[u8]) {
    match head_end(data) {
        Some((head, body)) => (&data[..head], &data[body..]),
        None => (data, &[]),
    }
}

/// Where `needle` (not empty) first occurs in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `text` without leading and trailing spaces and tabs, the whitespace of SIP (§25.1 WSP);
/// other control characters stay for [`syntax::has_control`] to find.
fn trim_lws(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// Headers whose values the endpoint reads, with the separators around which §25.1 allows
/// whitespace that the readers want gone: SEMI and EQUAL everywhere, and SLASH in Via's
/// sent-protocol (RFC 4475 §3.1.1.1 folds `SIP  /   2.0 /UDP`).
const TIGHTENED: [(&str, &[char]); 5] = [
    ("Via", &[';', '=', '/']),
    ("From", &[';', '=']),
    ("To", &[';', '=']),
    ("Contact", &[';', '=']),
    ("Record-Route", &[';', '=']),
];

/// Drops the whitespace around each of `separators` outside quoted strings; folded parameters
/// (§7.3.1) leave such whitespace behind.
fn tighten(value: &str, separators: &[char]) -> String {
    let mut out = String::with_capacity(value.len());
    // Where the text not yet copied starts.
    let mut copied = 0;
    for (i, c) in unquoted(value).filter(|(_, c)| separators.contains(c)) {
        out.push_str(value[copied..i].trim_end_matches([' ', '\t']));
        out.push(c);
        let after = &value[i + 1..];
        copied = value.len() - after.trim_start_matches([' ', '\t']).len();
    }
    out.push_str(&value[copied..]);
    out
}

/// A Via value, tightened by [`tighten`], with the whitespace around its sent-by's port colon
/// dropped (§25.1: `sent-by = host [ COLON port ]`, `COLON = SWS ":" SWS`). The colons of an
/// IPv6 reference are inside its brackets, and whitespace there is left for the Via reader to
/// refuse; the parameters, from the first `;` on, are left as they are.
fn tighten_sent_by(via: &str) -> String {
    let (before_params, params) = via.split_at(via.find(';').unwrap_or(via.len()));
    let mut bracketed = false;
    let colon = before_params.char_indices().find(|&(_, c)| {
        match c {
            '[' => bracketed = true,
            ']' => bracketed = false,
            _ => {}
        }
        c == ':' && !bracketed
    });
    match colon {
        Some((at, _)) => format!(
            "{}:{}{params}",
            before_params[..at].trim_end_matches([' ', '\t']),
            before_params[at + 1..].trim_start_matches([' ', '\t'])
        ),
        None => via.to_owned(),
    }
}

/// The characters of `value` outside its quoted strings (§25.1 quoted-string, with their
/// quoted-pairs), with their byte offsets; the quotes themselves are left out.
pub(crate) fn unquoted(value: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let (mut quoted, mut escaped) = (false, false);
    value.char_indices().filter(move |&(_, c)| match c {
        _ if escaped => {
            escaped = false;
            false
        }
        '\\' if quoted => {
            escaped = true;
            false
        }
        '"' => {
            quoted = !quoted;
            false
        }
        _ => !quoted,
    })
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
        // The other compact forms of the IANA SIP header registry: RFC 6665 (Allow-Events),
        // RFC 8224 (Identity), RFC 4474 (Identity-Info, which RFC 8224 retired, though older
        // peers still send it) and RFC 3841 (caller preferences).
        b'u' => "Allow-Events",
        b'y' => "Identity",
        b'n' => "Identity-Info",
        b'a' => "Accept-Contact",
        b'j' => "Reject-Contact",
        b'd' => "Request-Disposition",
        _ => name,
    }
}

/// Splits a header value at commas that are outside quoted strings and angle brackets,
/// trimming each element and skipping empty ones.
pub(crate) fn split_list(value: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let mut bracketed = false;
    let mut start = 0;
    for (i, c) in unquoted(value) {
        match c {
            '<' => bracketed = true,
            '>' => bracketed = false,
            ',' if !bracketed => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts.into_iter().map(trim_lws).filter(|p| !p.is_empty())
}

/// Test helper: the request in `text`, which must parse.
#[cfg(test)]
pub(crate) fn parse_request(text: &str) -> RawRequest {
    match parse(text.as_bytes()) {
        Some(Datagram::Request(request)) => *request,
        _ => panic!("not a request: {text}"),
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
        assert!(parse(&[0xff, 0xfe, b'\r', b'\n']).is_none());
        assert!(parse(b"SIP/2.0 200 OK\r\nNoColonHere\r\n\r\n").is_none());
    }

    /// The reason a request whose head holds `line` after its Via is refused with.
    fn malformed_by(line: &[u8]) -> Option<String> {
        let head = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n";
        let tail = b"\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
        let m = match parse(&[&head[..], line, &tail[..]].concat()) {
            Some(Datagram::Request(m)) => m,
            other => panic!(
                "{:?}: not a request: {other:?}",
                String::from_utf8_lossy(line)
            ),
        };
        assert!(m.call_id_header().is_ok(), "the lines after it are read");
        m.malformed
    }

    #[test]
    fn unreadable_header_lines_are_named_and_left_out() {
        let named = |line: &[u8]| malformed_by(line).unwrap();
        assert_eq!(named(b"Garbage line"), "Malformed header line 3 (no colon)");
        let not_token = "Malformed header line 3 (header name is not a token)";
        assert_eq!(named(b"X Foo: bar"), not_token);
        assert_eq!(named(b"X@Y: z"), not_token);
        assert_eq!(named(b"X-\xe9: z"), not_token);
        assert_eq!(
            named(b"From: Jos\xe9 <sip:a@b>;tag=1"),
            "Invalid UTF-8 in From header"
        );
        assert_eq!(
            named(b"Subject: a\r\n b\xe9"),
            "Invalid UTF-8 in Subject header"
        );
        assert_eq!(
            named(b"Garbage\r\n Content-Length: 4"),
            "Malformed header line 3 (no colon)",
            "its continuation lines go with it"
        );
        let m = parse_request(
            "OPTIONS sip:a@b SIP/2.0\r\n folded: without-header\r\nVia: SIP/2.0/UDP a\r\n\r\n",
        );
        assert_eq!(
            m.malformed.as_deref(),
            Some("Malformed header line 2 (continues no header)")
        );
        assert_eq!(m.headers.iter().count(), 1, "only the Via is read");
    }

    #[test]
    fn the_head_ends_at_the_first_empty_line_whatever_the_line_ends() {
        for (data, head, body) in [
            (&b"A\r\n\r\nbody"[..], &b"A\r"[..], &b"body"[..]),
            (b"A\n\nbody", b"A", b"body"),
            (b"A\n\r\nbody", b"A", b"body"),
            (b"A\r\n\nbody", b"A\r", b"body"),
            (b"A\r\nB\r\n", b"A\r\nB\r\n", b""),
        ] {
            assert_eq!(
                split_head(data),
                (head, body),
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
        let m = parse_request("OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP a\nl: 4\n\r\nv=0\n");
        assert_eq!((m.body.as_slice(), m.malformed), (&b"v=0\n"[..], None));
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
             u: talk\n\
             y: sig;info=<https://cert.example.org/a.cer>\n\
             n: <https://example.org/cert>\n\
             a: *;audio\n\
             j: *;video\n\
             d: proxy\n\
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
        let pairs = crate::message::header_pairs(&m.headers);
        assert_eq!(pairs[6], ("Allow-Events".into(), "talk".into()));
        let names: Vec<_> = pairs.iter().skip(6).map(|(name, _)| name).collect();
        assert_eq!(
            names,
            [
                "Allow-Events",
                "Identity",
                "Identity-Info",
                "Accept-Contact",
                "Reject-Contact",
                "Request-Disposition",
                "Content-Length",
            ]
        );
    }

    #[test]
    fn start_lines_are_kept_as_sent() {
        let m = parse_request(
            "FROBNICATE sip:000777123@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\r\n",
        );
        assert_eq!(&*m.line.method, "FROBNICATE");
        let (uri, version) = m.line.target.unwrap();
        assert_eq!((&*uri, &*version), ("sip:000777123@127.0.0.1", "SIP/2.0"));
        let Some(Datagram::Response(r)) = parse(b"SIP/2.0 100 \r\nCSeq: 1 BYE\r\n\r\n") else {
            panic!("an empty reason phrase is allowed (RFC 4475 §3.1.1.13)");
        };
        assert_eq!((r.status_code.code(), r.headers.iter().count()), (100, 1));
        let Some(Datagram::Response(r)) = parse(b"SIP/2.0 486 Busy Here\r\n\r\n") else {
            panic!("a response");
        };
        assert_eq!(
            r.status_code,
            rsip::StatusCode::Other(486, "Busy Here".into())
        );
    }

    #[test]
    fn the_first_header_with_a_control_character_is_named() {
        let m = parse_request(
            "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP a\r\nSubject: x\0y\r\n\
             X-Bell: \x07\r\nTo: \"q\\\0\" <sip:a@b>\r\n\r\n",
        );
        assert_eq!(
            m.malformed.as_deref(),
            Some("Control character in Subject header")
        );
        let trailing = parse_request("OPTIONS sip:a@b SIP/2.0\r\nX-Cr: x\r\r\nX-Ff: \x0c\r\n\r\n");
        assert_eq!(
            trailing.malformed.as_deref(),
            Some("Control character in X-Cr header"),
            "no trimming hides one"
        );
        let quoted = parse_request("OPTIONS sip:a@b SIP/2.0\r\nTo: \"q\\\0\" <sip:a@b>\r\n\r\n");
        assert_eq!(quoted.malformed, None, "a quoted-pair may escape NUL");
    }

    #[test]
    fn a_control_character_in_a_header_responses_copy_leaves_a_request_unanswerable() {
        let head = "OPTIONS sip:a@b SIP/2.0\r\nSubject: \x07\r\n";
        for line in [
            "Via: \r SIP/2.0/UDP a;branch=z9hG4bK1",
            "v: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b\0",
            "f: <sip:a@b>;\rtag=1",
            "To: <sip:b@c\x01>",
            "i: x\x7f",
            "CSeq: 1\r OPTIONS",
        ] {
            let m = parse_request(&format!("{head}{line}\r\n\r\n"));
            assert!(m.unanswerable, "{line:?}");
        }
        let m = parse_request(&format!(
            "{head}Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: \"\\\0\" <sip:a@b>\r\n\r\n"
        ));
        assert!(!m.unanswerable, "a quoted-pair may escape NUL");
        assert_eq!(
            m.malformed.as_deref(),
            Some("Control character in Subject header")
        );
    }

    #[test]
    fn folded_via_lists_are_split_and_tightened() {
        let m = parse_request(
            "OPTIONS sip:a@b SIP/2.0\r\nVia  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw\r\n\
             v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n\
             \x20SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239\r\n\r\n",
        );
        let vias: Vec<_> = m
            .headers
            .iter()
            .filter_map(|h| match h {
                rsip::Header::Via(via) => Some(via.value()),
                _ => None,
            })
            .collect();
        assert_eq!(
            vias,
            [
                "SIP/2.0/UDP 192.0.2.2;branch=390skdjuw",
                "SIP/2.0/TCP     spindle.example.com;branch=z9hG4bK9ikj8",
                "SIP/2.0/UDP  192.168.255.111;branch=z9hG4bK30239",
            ]
        );
    }

    #[test]
    fn the_sent_by_port_colon_is_tightened_outside_brackets() {
        let via = |value: &str| {
            let m = parse_request(&format!("OPTIONS sip:a@b SIP/2.0\r\nVia: {value}\r\n\r\n"));
            m.via_header().unwrap().value().to_owned()
        };
        for (sent, read) in [
            (
                "SIP/2.0/UDP 192.0.2.7 : 5060;branch=z9hG4bK1",
                "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1",
            ),
            (
                "SIP/2.0/UDP host\t:5060 ;rport",
                "SIP/2.0/UDP host:5060;rport",
            ),
            (
                "SIP/2.0/UDP [2001:db8::1] :\t5060",
                "SIP/2.0/UDP [2001:db8::1]:5060",
            ),
            ("SIP/2.0/UDP [2001:db8:: 1]", "SIP/2.0/UDP [2001:db8:: 1]"),
            (
                "SIP/2.0/UDP h;x=\"a : b\";y=c : d",
                "SIP/2.0/UDP h;x=\"a : b\";y=c : d",
            ),
        ] {
            assert_eq!(via(sent), read, "{sent:?}");
        }
    }

    #[test]
    fn separators_are_tightened_outside_quotes() {
        assert_eq!(
            tighten(r#""a ; b = \" ; " <sip:x@y> ; tag = 1 ;lr"#, &[';', '=']),
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
