//! Validated views of parsed messages: the mandatory headers in readable form, the
//! transaction identity, and where responses go.

use std::net::SocketAddr;

use rsip::headers::{ToTypedHeader, UntypedHeader};
use rsip::prelude::HeadersExt;

use crate::ids::MAGIC_COOKIE;

/// A request whose mandatory headers (RFC 3261 §8.1.1) are present and readable.
#[derive(Debug)]
pub(crate) struct Request {
    /// The message, with its top Via annotated with `received`/`rport` (§18.2.1, RFC 3581 §4)
    /// and its body cut to Content-Length (§18.3).
    pub(crate) raw: rsip::Request,
    /// The datagram's source address.
    pub(crate) source: SocketAddr,
    /// Where responses go (§18.2.2, RFC 3581 §4).
    pub(crate) destination: SocketAddr,
    /// Server transaction identity (§17.2.3) without the method.
    pub(crate) transaction_id: String,
    /// Call-ID value.
    pub(crate) call_id: String,
    /// The typed From header.
    pub(crate) from: rsip::typed::From,
    /// From tag ("" when an RFC 2543 peer sent none).
    pub(crate) from_tag: String,
    /// The typed To header.
    pub(crate) to: rsip::typed::To,
    /// To tag, present on in-dialog requests.
    pub(crate) to_tag: Option<String>,
    /// CSeq sequence number.
    pub(crate) cseq: u32,
}

impl Request {
    /// The request method.
    pub(crate) fn method(&self) -> rsip::Method {
        self.raw.method
    }
}

/// Why a request cannot be processed.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// The top Via is missing or unreadable, so no response can be routed: drop it.
    Unroutable,
    /// Routable but broken: answer `400` with `reason` (never to an ACK).
    Malformed {
        /// The request as parsed, top Via annotated.
        raw: Box<rsip::Request>,
        /// Where the response goes.
        destination: SocketAddr,
        /// The reason phrase naming the problem.
        reason: String,
    },
}

/// Checks the mandatory headers of `raw`, received from `source`.
pub(crate) fn validate_request(
    mut raw: rsip::Request,
    source: SocketAddr,
) -> Result<Request, Rejection> {
    let (destination, via) = annotate_top_via(&mut raw, source).ok_or(Rejection::Unroutable)?;
    match check_request(&mut raw, &via) {
        Ok(checked) => {
            let transaction_id = transaction_id(&checked, &raw);
            Ok(Request {
                raw,
                source,
                destination,
                transaction_id,
                call_id: checked.call_id,
                from_tag: checked
                    .from
                    .tag()
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                from: checked.from,
                to_tag: checked.to.tag().map(|t| t.to_string()),
                to: checked.to,
                cseq: checked.cseq,
            })
        }
        Err(reason) => Err(Rejection::Malformed {
            raw: Box::new(raw),
            destination,
            reason,
        }),
    }
}

struct Checked {
    branch: Option<String>,
    sent_by: String,
    call_id: String,
    from: rsip::typed::From,
    to: rsip::typed::To,
    cseq: u32,
}

fn check_request(raw: &mut rsip::Request, via: &rsip::typed::Via) -> Result<Checked, String> {
    let from = typed(raw.from_header(), "From")?;
    let to = typed(raw.to_header(), "To")?;
    let call_id = call_id(raw)?;
    let cseq = typed(raw.cseq_header(), "CSeq")?;
    if cseq.method != raw.method {
        return Err("CSeq method does not match request method".into());
    }
    check_content_length(&raw.headers, &mut raw.body)?;
    Ok(Checked {
        branch: via.branch().map(|b| b.to_string()),
        sent_by: via.uri.host_with_port.to_string(),
        call_id,
        from,
        to,
        cseq: cseq.seq,
    })
}

/// §17.2.3: the branch identifies the transaction if it carries the magic cookie; otherwise
/// the RFC 2543 rules apply, approximated by Call-ID, CSeq number, From tag and top Via.
fn transaction_id(checked: &Checked, raw: &rsip::Request) -> String {
    match &checked.branch {
        Some(branch) if branch.starts_with(MAGIC_COOKIE) => {
            format!("{branch} {}", checked.sent_by)
        }
        _ => format!(
            "rfc2543 {} {} {} {} {}",
            checked.call_id,
            checked.cseq,
            checked
                .from
                .tag()
                .map(|t| t.to_string())
                .unwrap_or_default(),
            raw.via_header().map(|v| v.value()).unwrap_or_default(),
            raw.uri,
        ),
    }
}

/// Reads the top Via, adds `received` and fills `rport` (§18.2.1, RFC 3581 §4) and returns
/// where responses go (§18.2.2: the source address, and the source port if `rport` was asked
/// for, else the sent-by port) and the Via as received; `None` if there is no readable top Via.
fn annotate_top_via(
    raw: &mut rsip::Request,
    source: SocketAddr,
) -> Option<(SocketAddr, rsip::typed::Via)> {
    let header = raw.via_header_mut().ok()?;
    let via = header.typed().ok()?;
    let rport = via
        .params
        .iter()
        .any(|p| matches!(p, rsip::Param::Other(name, None) if name.value().eq_ignore_ascii_case("rport")));
    let same_host =
        matches!(via.uri.host_with_port.host, rsip::Host::IpAddr(ip) if ip == source.ip());
    let mut value: Vec<String> = header.value().split(';').map(str::to_owned).collect();
    if rport {
        for param in value.iter_mut().skip(1) {
            if param.trim().eq_ignore_ascii_case("rport") {
                *param = format!("rport={}", source.port());
            }
        }
    }
    if rport || !same_host {
        value.push(format!("received={}", source.ip()));
    }
    header.replace(value.join(";"));
    let port = if rport {
        source.port()
    } else {
        via.uri.host_with_port.port.map_or(5060, |p| *p.value())
    };
    Some((SocketAddr::new(source.ip(), port), via))
}

fn typed<'a, H>(header: Result<&H, rsip::Error>, name: &str) -> Result<H::Typed, String>
where
    H: ToTypedHeader<'a>,
{
    header
        .map_err(|_| format!("Missing {name} header"))?
        .typed()
        .map_err(|_| format!("Malformed {name} header"))
}

fn call_id(message: &impl HeadersExt) -> Result<String, String> {
    let value = message
        .call_id_header()
        .map_err(|_| "Missing Call-ID header")?
        .value()
        .trim();
    if value.is_empty() || value.contains(char::is_whitespace) {
        return Err("Malformed Call-ID header".into());
    }
    Ok(value.to_owned())
}

/// RFC 3261 §18.3 for datagrams: without Content-Length the body is the rest of the datagram;
/// extra bytes beyond Content-Length are discarded; a body shorter than Content-Length is an
/// error.
fn check_content_length(headers: &rsip::Headers, body: &mut Vec<u8>) -> Result<(), String> {
    let Some(header) = headers.iter().find_map(|h| match h {
        rsip::Header::ContentLength(cl) => Some(cl),
        _ => None,
    }) else {
        return Ok(());
    };
    let length = header
        .value()
        .trim()
        .parse::<usize>()
        .map_err(|_| "Malformed Content-Length header")?;
    if length > body.len() {
        return Err("Content-Length larger than message body".into());
    }
    body.truncate(length);
    Ok(())
}

/// A response whose transaction-matching headers are readable.
#[derive(Debug)]
pub(crate) struct Response {
    /// The status code.
    pub(crate) code: u16,
    /// The top Via branch, which names the client transaction (§17.1.3).
    pub(crate) branch: String,
    /// The CSeq method, which with the branch names the client transaction (§17.1.3).
    pub(crate) method: rsip::Method,
}

/// Checks a response; `None` if it is broken and must be dropped (§18.1.2, §18.3).
pub(crate) fn validate_response(mut raw: rsip::Response) -> Option<Response> {
    let via = raw.via_header().ok()?.typed().ok()?;
    let branch = via.branch()?.to_string();
    raw.from_header().ok()?.typed().ok()?;
    raw.to_header().ok()?.typed().ok()?;
    call_id(&raw).ok()?;
    let cseq = raw.cseq_header().ok()?.typed().ok()?;
    check_content_length(&raw.headers, &mut raw.body).ok()?;
    Some(Response {
        code: raw.status_code.code(),
        branch,
        method: cseq.method,
    })
}

/// Every header of a message as (name, value) text, in order.
pub(crate) fn header_pairs(headers: &rsip::Headers) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|header| match header {
            rsip::Header::Other(name, value) => (name.clone(), value.clone()),
            known => {
                let text = known.to_string();
                match text.split_once(':') {
                    Some((name, value)) => (name.to_owned(), value.trim_start().to_owned()),
                    None => (text, String::new()),
                }
            }
        })
        .collect()
}

/// A display name without its quotes and backslash escapes (RFC 3261 §25.1 quoted-string).
pub(crate) fn unquote(display_name: &str) -> String {
    let trimmed = display_name.trim();
    let Some(inner) = trimmed.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return trimmed.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_request as request;

    const SOURCE: &str = "192.0.2.7:40000";

    fn options(via: &str, extra: &str) -> String {
        format!(
            "OPTIONS sip:sut@192.0.2.1 SIP/2.0\r\nVia: {via}\r\n\
             From: \"A \\\"B\\\"\" <sip:a@192.0.2.7>;tag=ft\r\nTo: <sip:sut@192.0.2.1>\r\n\
             Call-ID: cid@192.0.2.7\r\n{extra}\r\n"
        )
    }

    fn reason(text: &str) -> String {
        match validate_request(request(text), SOURCE.parse().unwrap()) {
            Err(Rejection::Malformed { reason, .. }) => reason,
            other => panic!("not malformed: {other:?}"),
        }
    }

    #[test]
    fn valid_request_is_annotated_and_routed_to_rport() {
        let text = options(
            "SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bKabc;rport",
            "CSeq: 5 OPTIONS\r\nContent-Length: 2\r\n\r\nhiEXTRA",
        );
        let req = validate_request(request(&text), SOURCE.parse().unwrap()).unwrap();
        assert_eq!(req.destination, SOURCE.parse().unwrap());
        assert_eq!(
            req.raw.via_header().unwrap().value(),
            "SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bKabc;rport=40000;received=192.0.2.7"
        );
        assert_eq!(req.transaction_id, "z9hG4bKabc 10.0.0.9:5062");
        assert_eq!(req.from_tag, "ft");
        assert_eq!(req.to_tag, None);
        assert_eq!(req.cseq, 5);
        assert_eq!(req.raw.body, b"hi");
    }

    #[test]
    fn without_rport_responses_go_to_the_sent_by_port() {
        let text = options(
            "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKabc",
            "CSeq: 5 OPTIONS\r\n\r\n",
        );
        let req = validate_request(request(&text), SOURCE.parse().unwrap()).unwrap();
        assert_eq!(req.destination, "192.0.2.7:5060".parse().unwrap());
        assert!(!req.raw.via_header().unwrap().value().contains("received"));
    }

    #[test]
    fn broken_headers_are_named() {
        let via = "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1";
        assert_eq!(
            reason(&options(via, "CSeq: abc OPTIONS\r\n\r\n")),
            "Malformed CSeq header"
        );
        assert_eq!(reason(&options(via, "\r\n")), "Missing CSeq header");
        assert_eq!(
            reason(&options(via, "CSeq: 1 INVITE\r\n\r\n")),
            "CSeq method does not match request method"
        );
        assert_eq!(
            reason(&options(
                via,
                "CSeq: 1 OPTIONS\r\nContent-Length: x\r\n\r\n"
            )),
            "Malformed Content-Length header"
        );
        assert_eq!(
            reason(&options(
                via,
                "CSeq: 1 OPTIONS\r\nContent-Length: 10\r\n\r\nshort"
            )),
            "Content-Length larger than message body"
        );
        let no_call_id =
            options(via, "CSeq: 1 OPTIONS\r\n\r\n").replace("Call-ID: cid@192.0.2.7\r\n", "");
        assert_eq!(reason(&no_call_id), "Missing Call-ID header");
    }

    #[test]
    fn folded_from_keeps_its_tag() {
        let text = options(
            "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1",
            "CSeq: 5 OPTIONS\r\n\r\n",
        )
        .replace(";tag=ft\r\n", "\r\n ;tag=folded\r\n");
        let req = validate_request(request(&text), SOURCE.parse().unwrap()).unwrap();
        assert_eq!(req.from_tag, "folded");
    }

    #[test]
    fn missing_via_is_unroutable() {
        let text = "OPTIONS sip:a@b SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\n\
                    Call-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
        assert!(matches!(
            validate_request(request(text), SOURCE.parse().unwrap()),
            Err(Rejection::Unroutable)
        ));
    }

    #[test]
    fn rfc2543_branchless_requests_get_a_composite_transaction_id() {
        let text = options("SIP/2.0/UDP 192.0.2.7", "CSeq: 9 OPTIONS\r\n\r\n");
        let req = validate_request(request(&text), SOURCE.parse().unwrap()).unwrap();
        assert!(req.transaction_id.starts_with("rfc2543 cid@192.0.2.7 9 ft"));
    }

    #[test]
    fn header_pairs_keep_order_and_names() {
        let text = options(
            "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1",
            "CSeq: 1 OPTIONS\r\nX-ParticipantID: 42\r\nP-App-Param: a=b;c=d\r\n\r\n",
        );
        let pairs = header_pairs(&request(&text).headers);
        let names: Vec<_> = pairs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Via",
                "From",
                "To",
                "Call-ID",
                "CSeq",
                "X-ParticipantID",
                "P-App-Param"
            ]
        );
        assert_eq!(pairs[6].1, "a=b;c=d");
    }

    #[test]
    fn display_names_are_unquoted() {
        assert_eq!(unquote("\"A \\\"B\\\"\""), "A \"B\"");
        assert_eq!(unquote(" Alice "), "Alice");
    }
}
