//! The session description in a message body: the whole body when it is `application/sdp`, or
//! the `application/sdp` part of a `multipart/mixed` (or `multipart/alternative`) body, as
//! SIP-I and SIP-T gateways send SDP with ISUP (RFC 3204) and location conveyance sends it with
//! PIDF-LO (RFC 6442) (RFC 5621, MIME multipart of RFC 2046 §5.1). A part that may nest SDP
//! (`multipart/*`, `message/*`) is not read.

use std::net::IpAddr;

use rsip::headers::UntypedHeader;

use crate::build::{ACCEPT, ACCEPT_ENCODING};
use crate::sdp::{Offer, OfferError};
use crate::wire::find;

/// The longest boundary RFC 2046 §5.1.1 allows.
const MAX_BOUNDARY: usize = 70;

/// Why a body holds no session description to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// The body is of a type that carries none (neither SDP nor multipart).
    NotSdp,
    /// The body is encoded in a content coding other than the identity (§20.12).
    UnsupportedEncoding,
    /// A multipart body without a boundary, or whose parts cannot be found.
    MalformedMultipart,
    /// A multipart body with no SDP part, and none the receiver must understand or that may
    /// hold SDP: what it carries may be ignored (RFC 5621 §9.1), as a SIP-T or SIP-I
    /// gateway's ISUP alone (RFC 3204).
    NoSdpPart,
    /// A multipart body with a part that is not SDP and may not be passed over: one the
    /// receiver must understand (`handling=required`, RFC 5621 §9.1), or, without an SDP
    /// part, one that may itself hold SDP ([`may_hold_sdp`]), which is not read.
    UnsupportedPart {
        /// Whether the body may hold SDP: it has an SDP part too, or a part that may hold one.
        may_hold_sdp: bool,
    },
}

impl BodyError {
    /// Whether the body surely holds no SDP: of a type that carries none, or multipart
    /// without an SDP part or a part that may hold one.
    pub(crate) fn holds_no_sdp(self) -> bool {
        matches!(
            self,
            Self::NotSdp
                | Self::NoSdpPart
                | Self::UnsupportedPart {
                    may_hold_sdp: false
                }
        )
    }
}

/// The session description of a message with `headers` and `body` from the peer at `peer`,
/// parsed; `None` when there is none usable (a peer's answer that cannot be taken).
pub(crate) fn description(headers: &rsip::Headers, body: &[u8], peer: IpAddr) -> Option<Offer> {
    parse(headers, body, peer).ok()?.ok()
}

/// The SDP of a message with `headers` and `body` (see [`sdp()`]) from the peer at `peer`,
/// parsed and checked to name media addresses that peer could hold ([`Offer::sent_by`]):
/// `Err` when the body holds none to take, else the outcome of reading it.
pub(crate) fn parse(
    headers: &rsip::Headers,
    body: &[u8],
    peer: IpAddr,
) -> Result<Result<Offer, OfferError>, BodyError> {
    if !identity_encoded(headers) {
        return Err(BodyError::UnsupportedEncoding);
    }
    sdp(content_type(headers), body).map(|sdp| Offer::parse(sdp)?.sent_by(peer))
}

/// Whether a message with `headers` and `body` surely carries no session description: it has
/// no body (only whitespace), or one of a type that holds none ([`BodyError::holds_no_sdp`]:
/// as a SIP-T or SIP-I gateway's ISUP alone, RFC 3204). One in another content coding may.
pub(crate) fn carries_no_sdp(headers: &rsip::Headers, body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
        || (identity_encoded(headers)
            && sdp(content_type(headers), body).is_err_and(BodyError::holds_no_sdp))
}

/// Whether a request with `headers` and `body` offers no session description, as one without
/// a body does (a late offer, §13.2.1): it has no body (only whitespace), or a multipart one
/// with no SDP part, no part that may hold one, and no part it requires the receiver to
/// understand ([`BodyError::NoSdpPart`]).
pub(crate) fn offers_none(headers: &rsip::Headers, body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
        || (identity_encoded(headers)
            && sdp(content_type(headers), body) == Err(BodyError::NoSdpPart))
}

/// Whether every content coding the Content-Encoding headers of `headers` list is the
/// identity, which is also what a message without one is in (§20.12).
fn identity_encoded(headers: &rsip::Headers) -> bool {
    headers
        .iter()
        .filter_map(|h| match h {
            rsip::Header::ContentEncoding(encoding) => Some(encoding.value()),
            _ => None,
        })
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .all(|coding| coding.is_empty() || coding.eq_ignore_ascii_case(ACCEPT_ENCODING))
}

/// The Content-Type value of `headers`, if any.
pub(crate) fn content_type(headers: &rsip::Headers) -> Option<&str> {
    headers.iter().find_map(|h| match h {
        rsip::Header::ContentType(ct) => Some(ct.value()),
        _ => None,
    })
}

/// The SDP in a body of type `content_type` (the Content-Type value; `None`: SDP, as a
/// message without the header can only mean here).
fn sdp<'a>(content_type: Option<&str>, body: &'a [u8]) -> Result<&'a [u8], BodyError> {
    let Some(content_type) = content_type else {
        return Ok(body);
    };
    let mut fields = content_type.split(';').map(str::trim);
    let media_type = fields.next().unwrap_or_default();
    if media_type.eq_ignore_ascii_case(ACCEPT) {
        return Ok(body);
    }
    if !["multipart/mixed", "multipart/alternative"]
        .iter()
        .any(|multipart| media_type.eq_ignore_ascii_case(multipart))
    {
        return Err(BodyError::NotSdp);
    }
    let boundary = fields
        .filter_map(|field| field.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|boundary| (1..=MAX_BOUNDARY).contains(&boundary.len()))
        .ok_or(BodyError::MalformedMultipart)?;
    let mut found = None;
    let mut unsupported = false;
    let mut sdp_may_be_unread = false;
    for part in parts(body, boundary.as_bytes())? {
        let (headers, content) = split_part(part)?;
        let part_type = part_type(headers);
        if part_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(ACCEPT))
        {
            found = found.or(Some(content));
        } else {
            unsupported |= required(headers);
            sdp_may_be_unread |= part_type.as_deref().is_some_and(may_hold_sdp);
        }
    }
    match found {
        _ if unsupported => Err(BodyError::UnsupportedPart {
            may_hold_sdp: found.is_some() || sdp_may_be_unread,
        }),
        // Taken for no offer, the SDP within would be an offer left unanswered, and the
        // offer we make instead be taken by the peer for the answer to it.
        None if sdp_may_be_unread => Err(BodyError::UnsupportedPart { may_hold_sdp: true }),
        None => Err(BodyError::NoSdpPart),
        Some(sdp) => Ok(sdp),
    }
}

/// Whether a part of media type `part_type` may hold SDP of its own: a nested multipart
/// (RFC 2046 §5.1) or an encapsulated message (§5.2), whose content is not read.
fn may_hold_sdp(part_type: &str) -> bool {
    ["multipart/", "message/"].iter().any(|composite| {
        part_type
            .get(..composite.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(composite))
    })
}

/// The parts of a multipart `body` between its `--boundary` delimiter lines (RFC 2046 §5.1.1),
/// each without the line break that precedes the next delimiter. A delimiter line starts the
/// body or a line, and has nothing after the delimiter but spaces or tabs, or `--` on the last.
fn parts<'a>(body: &'a [u8], boundary: &[u8]) -> Result<Vec<&'a [u8]>, BodyError> {
    let delimiter = [b"--", boundary].concat();
    let mut starts = Vec::new();
    let mut closed = false;
    let mut at = 0;
    while let Some(found) = find(&body[at..], &delimiter) {
        let start = at + found;
        at = start + delimiter.len();
        // Only a delimiter that starts a line has its line read: reading it for every match
        // would read the rest of a long line once per delimiter within it.
        let at_line_start = start == 0 || body[start - 1] == b'\n';
        if !at_line_start {
            continue;
        }
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            starts.push(start);
            closed = true;
            break;
        }
        let line = &rest[..find(rest, b"\n").unwrap_or(rest.len())];
        if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            starts.push(start);
        }
    }
    if starts.len() < 2 || !closed {
        return Err(BodyError::MalformedMultipart);
    }
    Ok(starts
        .windows(2)
        .map(|pair| {
            let part = &body[pair[0] + delimiter.len()..pair[1]];
            let part = part.strip_suffix(b"\n").unwrap_or(part);
            part.strip_suffix(b"\r").unwrap_or(part)
        })
        .collect())
}

/// A part's header lines and its content, split at the first empty line; the rest of the
/// delimiter line (transport padding) is skipped.
fn split_part(part: &[u8]) -> Result<(&[u8], &[u8]), BodyError> {
    let after_delimiter = find(part, b"\n").ok_or(BodyError::MalformedMultipart)? + 1;
    let part = &part[after_delimiter..];
    if part.starts_with(b"\r\n") || part.starts_with(b"\n") {
        // No headers: the content starts at once (its type is then text/plain, RFC 2046 §5.1).
        let skip = if part.starts_with(b"\r\n") { 2 } else { 1 };
        return Ok((&[], &part[skip..]));
    }
    for blank in [&b"\r\n\r\n"[..], b"\n\n"] {
        if let Some(end) = find(part, blank) {
            return Ok((&part[..end], &part[end + blank.len()..]));
        }
    }
    Err(BodyError::MalformedMultipart)
}

/// The media type a part's Content-Type header names, without parameters.
fn part_type(headers: &[u8]) -> Option<String> {
    header(headers, "content-type").map(|value| {
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    })
}

/// Whether a part's Content-Disposition says the receiver must understand it
/// (`handling=required`). A part that does not say so is taken as optional: SIP-I gateways
/// leave the parameter out of ISUP parts that callers are not expected to read.
fn required(headers: &[u8]) -> bool {
    header(headers, "content-disposition").is_some_and(|value| {
        value
            .split(';')
            .skip(1)
            .filter_map(|field| field.split_once('='))
            .any(|(name, value)| {
                name.trim().eq_ignore_ascii_case("handling")
                    && value.trim().eq_ignore_ascii_case("required")
            })
    })
}

/// The value of the header `name` (lower case) among a part's header lines.
fn header(headers: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(headers).lines().find_map(|line| {
        let (field, value) = line.split_once(':')?;
        field
            .trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDP: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\n\
                       t=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";

    fn sip_i(isup_disposition: &str) -> String {
        format!(
            "--unique-boundary-1\r\nContent-Type: application/sdp\r\n\r\n{SDP}\r\n\
             --unique-boundary-1\r\nContent-Type: application/ISUP;version=itu-t92+\r\n\
             Content-Disposition: {isup_disposition}\r\n\r\n\x01\x00\x49\x00\r\n\
             --unique-boundary-1--\r\n"
        )
    }

    #[test]
    fn the_sdp_part_of_a_multipart_body_is_taken() {
        let content_type = "multipart/mixed;boundary=unique-boundary-1";
        let body = sip_i("signal;handling=optional");
        assert_eq!(sdp(Some(content_type), body.as_bytes()), Ok(SDP.as_bytes()));
        // No handling parameter: not required.
        let body = sip_i("signal");
        assert_eq!(sdp(Some(content_type), body.as_bytes()), Ok(SDP.as_bytes()));
        let quoted = "Multipart/Mixed; boundary=\"unique-boundary-1\"";
        assert_eq!(sdp(Some(quoted), body.as_bytes()), Ok(SDP.as_bytes()));
        // A content line that starts like the delimiter, but goes on, is content.
        let inner = "a=tool:--unique-boundary-1x\r\n";
        let body = sip_i("signal").replace("m=audio", &format!("{inner}m=audio"));
        let expected = SDP.replace("m=audio", &format!("{inner}m=audio"));
        assert_eq!(
            sdp(Some(content_type), body.as_bytes()),
            Ok(expected.as_bytes())
        );
        let line_start = "--unique-boundary-1x\r\n";
        let body = sip_i("signal").replace("m=audio", &format!("{line_start}m=audio"));
        let expected = SDP.replace("m=audio", &format!("{line_start}m=audio"));
        assert_eq!(
            sdp(Some(content_type), body.as_bytes()),
            Ok(expected.as_bytes())
        );
    }

    #[test]
    fn what_carries_no_sdp_to_take_is_refused() {
        let content_type = "multipart/mixed;boundary=unique-boundary-1";
        let required = sip_i("signal;handling=required");
        assert_eq!(
            sdp(Some(content_type), required.as_bytes()),
            Err(BodyError::UnsupportedPart { may_hold_sdp: true })
        );
        let without_sdp = required.replace("application/sdp", "text/plain");
        assert_eq!(
            sdp(Some(content_type), without_sdp.as_bytes()),
            Err(BodyError::UnsupportedPart {
                may_hold_sdp: false
            })
        );
        let optional_without_sdp = sip_i("signal").replace("application/sdp", "text/plain");
        assert_eq!(
            sdp(Some(content_type), optional_without_sdp.as_bytes()),
            Err(BodyError::NoSdpPart)
        );
        let unclosed = sip_i("signal").replace("--unique-boundary-1--", "");
        assert_eq!(
            sdp(Some(content_type), unclosed.as_bytes()),
            Err(BodyError::MalformedMultipart)
        );
        assert_eq!(
            sdp(Some("multipart/mixed"), required.as_bytes()),
            Err(BodyError::MalformedMultipart)
        );
        let long = format!("multipart/mixed;boundary={}", "b".repeat(MAX_BOUNDARY + 1));
        assert_eq!(
            sdp(Some(&long), required.as_bytes()),
            Err(BodyError::MalformedMultipart)
        );
        assert_eq!(
            sdp(Some("application/isup"), b"\x01"),
            Err(BodyError::NotSdp)
        );
        assert_eq!(sdp(Some("application/SDP"), b"v=0"), Ok(&b"v=0"[..]));
        assert_eq!(sdp(None, b"v=0"), Ok(&b"v=0"[..]));
    }

    #[test]
    fn delimiters_within_a_64_kib_line_are_content() {
        let content_type = "multipart/mixed;boundary=unique-boundary-1";
        let line = format!("a=x:{}\r\n", "--unique-boundary-1".repeat(64 * 1024 / 19));
        let body = sip_i("signal").replace("m=audio", &format!("{line}m=audio"));
        let expected = SDP.replace("m=audio", &format!("{line}m=audio"));
        assert_eq!(
            sdp(Some(content_type), body.as_bytes()),
            Ok(expected.as_bytes())
        );
    }

    /// [`sip_i`] with its SDP part nested in a part of type `composite`.
    fn sdp_nested_in(composite: &str, isup_disposition: &str) -> String {
        let sdp_part = format!("Content-Type: application/sdp\r\n\r\n{SDP}");
        let nested =
            format!("Content-Type: {composite}\r\n\r\n--inner\r\n{sdp_part}\r\n--inner--\r\n");
        sip_i(isup_disposition).replacen(&sdp_part, &nested, 1)
    }

    #[test]
    fn a_part_that_may_hold_sdp_is_not_passed_over_without_an_sdp_part() {
        let content_type = "multipart/mixed;boundary=unique-boundary-1";
        for composite in [
            "multipart/alternative;boundary=inner",
            "Multipart/Related; boundary=inner",
            "message/sipfrag",
        ] {
            let body = sdp_nested_in(composite, "signal");
            assert_eq!(
                sdp(Some(content_type), body.as_bytes()),
                Err(BodyError::UnsupportedPart { may_hold_sdp: true }),
                "{composite}"
            );
            let required = sdp_nested_in(composite, "signal;handling=required");
            assert_eq!(
                sdp(Some(content_type), required.as_bytes()),
                Err(BodyError::UnsupportedPart { may_hold_sdp: true }),
                "{composite}"
            );
        }
        // Beside an SDP part, it is passed over as any optional part.
        let nested_part = "--unique-boundary-1\r\nContent-Type: multipart/mixed;boundary=inner\r\n\
                           \r\n--inner\r\n\r\nx\r\n--inner--\r\n--unique-boundary-1--";
        let beside_sdp = sip_i("signal").replacen("--unique-boundary-1--", nested_part, 1);
        assert_eq!(
            sdp(Some(content_type), beside_sdp.as_bytes()),
            Ok(SDP.as_bytes())
        );
        // A type that only names a composite one is passed over.
        let not_composite = sip_i("signal").replace("application/sdp", "application/multipart");
        assert_eq!(
            sdp(Some(content_type), not_composite.as_bytes()),
            Err(BodyError::NoSdpPart)
        );
    }

    fn headers_of_type(content_type: &str) -> rsip::Headers {
        vec![rsip::Header::ContentType(rsip::headers::ContentType::new(
            content_type,
        ))]
        .into()
    }

    #[test]
    fn a_multipart_body_of_optional_parts_without_sdp_offers_none() {
        let headers = headers_of_type("multipart/mixed;boundary=unique-boundary-1");
        let isup_alone =
            |disposition: &str| sip_i(disposition).replace("application/sdp", "text/plain");
        for disposition in ["signal", "signal;handling=optional"] {
            let body = isup_alone(disposition);
            assert!(offers_none(&headers, body.as_bytes()), "{disposition}");
            assert!(carries_no_sdp(&headers, body.as_bytes()), "{disposition}");
        }
        // A part we must understand, and do not: refused, not taken for no offer.
        let required = isup_alone("signal;handling=required");
        assert!(!offers_none(&headers, required.as_bytes()));
        assert!(carries_no_sdp(&headers, required.as_bytes()));
        // SDP nested in a part that is not read: refused, and not surely without SDP.
        let nested = sdp_nested_in("multipart/alternative;boundary=inner", "signal");
        assert!(!offers_none(&headers, nested.as_bytes()));
        assert!(!carries_no_sdp(&headers, nested.as_bytes()));
        let with_sdp = sip_i("signal");
        assert!(!offers_none(&headers, with_sdp.as_bytes()));
        assert!(!carries_no_sdp(&headers, with_sdp.as_bytes()));
        assert!(offers_none(&headers_of_type("application/sdp"), b"\r\n"));
        // ISUP not in a multipart body has no disposition to make it optional.
        assert!(!offers_none(&headers_of_type("application/isup"), b"\x01"));
    }
}
