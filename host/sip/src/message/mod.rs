//! Validated views of parsed messages: the mandatory headers in readable form, the
//! transaction identity, and where responses go. Requests are checked strictly (RFC 3261
//! §8.2, §25.1, as RFC 4475 §3.1.2 exercises): what is malformed is refused with the response
//! that names the problem.

use std::net::{IpAddr, SocketAddr};

use rsip::headers::{ToTypedHeader, UntypedHeader};
use rsip::prelude::HeadersExt;

mod checks;
mod maddr;

use checks::Checked;

use crate::address;
use crate::fields;
use crate::ids::MAGIC_COOKIE;
use crate::method::Method;
use crate::transport::TransportAddr;
use crate::via;
use crate::wire::RawRequest;

/// The address of a From or To header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Party {
    /// The URI.
    pub(crate) uri: String,
    /// The user part of a SIP or SIPS URI ("" otherwise).
    pub(crate) user: String,
    /// The display name as written (quoted or not), if any.
    pub(crate) display_name: Option<String>,
}

/// A request whose Request-Line and headers passed every check.
#[derive(Debug)]
pub(crate) struct Request {
    /// The message, with its top Via annotated with `received`/`rport` (§18.2.1, RFC 3581 §4)
    /// and its body cut to Content-Length (§18.3).
    pub(crate) raw: RawRequest,
    /// The method.
    pub(crate) method: Method,
    /// The Request-URI.
    pub(crate) uri: String,
    /// The user part of a SIP or SIPS Request-URI ("" otherwise).
    pub(crate) user: String,
    /// The source address of the datagram or connection it came in.
    pub(crate) source: SocketAddr,
    /// Where responses go (§18.2.2, RFC 3581 §4), over the transport it came by.
    pub(crate) destination: TransportAddr,
    /// Where the peer's messages come from, as requests to it behind a NAT go there: the
    /// connection's source over TCP; over UDP the source address, at the source port if the
    /// top Via asked for `rport` (RFC 3581 §4), else at the sent-by port. Its Via's `maddr`,
    /// which `destination` follows, is for responses only (§18.2.2).
    pub(crate) peer: SocketAddr,
    /// Server transaction identity (§17.2.3) without the method; an extension method's name
    /// is part of it, as all extension methods share one [`Method`].
    pub(crate) transaction_id: String,
    /// Call-ID value.
    pub(crate) call_id: String,
    /// The From address.
    pub(crate) from: Party,
    /// From tag ("" when an RFC 2543 peer sent none).
    pub(crate) from_tag: String,
    /// The To address.
    pub(crate) to: Party,
    /// To tag, present on in-dialog requests.
    pub(crate) to_tag: Option<String>,
    /// CSeq sequence number.
    pub(crate) cseq: u32,
    /// Max-Forwards, if present.
    pub(crate) max_forwards: Option<u8>,
    /// Whether the top Via branch names no RFC 3261 transaction, as from an RFC 2543 peer
    /// (§17.2.3; RFC 4475 §3.2.1, §3.4.1).
    pub(crate) rfc2543: bool,
}

/// Why a request cannot be processed.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// No response can be sent: the top Via is missing or unreadable, so none can be routed,
    /// or the request is [`RawRequest::unanswerable`]. Drop it.
    Unroutable,
    /// Routable but unacceptable as it stands: answer `code` with `reason` (never to an ACK,
    /// §17.1.1.3).
    Refused {
        /// The request as parsed, top Via annotated.
        raw: Box<RawRequest>,
        /// Where the response goes.
        destination: TransportAddr,
        /// The status code: 400, 416, 505 or 513.
        code: u16,
        /// The reason phrase naming the problem.
        reason: String,
    },
}

/// Checks `raw`, received from `source` at `local`; `too_large` when the message exceeded the
/// size limit (only its head is looked at then: the answer is `513 Message Too Large`,
/// §21.5.11).
pub(crate) fn validate_request(
    mut raw: RawRequest,
    local: SocketAddr,
    source: TransportAddr,
    too_large: bool,
) -> Result<Request, Rejection> {
    if !is_answerable(&raw) {
        return Err(Rejection::Unroutable);
    }
    let (via, top) = annotate_top_via(&mut raw, source.addr).ok_or(Rejection::Unroutable)?;
    // §18.2.2: over a reliable transport the response goes back the way the request came,
    // on its connection, whatever the Via's sent-by and maddr say, and on a new connection to
    // the source at the sent-by port once that one has closed; over UDP, where the Via says,
    // from the address the request came to (RFC 3581 §4).
    let reliable = source.transport.is_reliable();
    let destination = TransportAddr {
        transport: source.transport,
        addr: if reliable {
            source.addr
        } else {
            via.responses()
        },
        source: Some(local),
        reopen_port: reliable.then_some(via.sent_by_port),
    };
    let peer = if reliable { source.addr } else { via.peer };
    let checked = match checks::check_request(&mut raw, too_large, source.transport) {
        Ok(checked) => checked,
        Err((code, reason)) => {
            return Err(Rejection::Refused {
                raw: Box::new(raw),
                destination,
                code,
                reason,
            });
        }
    };
    let transaction_id = transaction_id(&checked, &top, &raw);
    Ok(Request {
        raw,
        method: checked.method,
        uri: checked.uri,
        user: checked.user,
        source: source.addr,
        destination,
        peer,
        transaction_id,
        call_id: checked.call_id,
        from: checked.from,
        from_tag: checked.from_tag.unwrap_or_default(),
        to: checked.to,
        to_tag: checked.to_tag,
        cseq: checked.cseq,
        max_forwards: checked.max_forwards,
        rfc2543: top.branch.is_none(),
    })
}

/// Whether a response to `raw` can be sent, over any transport: it has a readable top Via,
/// which the response carries back (§8.2.6.2) and which says where it goes (§18.2.2), and it
/// is not [`RawRequest::unanswerable`].
pub(crate) fn is_answerable(raw: &RawRequest) -> bool {
    !raw.unanswerable
        && raw
            .via_header()
            .is_ok_and(|header| via::parse(header.value()).is_some())
}

/// What the top Via says about the transaction.
struct TopVia {
    /// The branch, if it names an RFC 3261 transaction ([`is_rfc3261_branch`]).
    branch: Option<String>,
    sent_by: String,
}

/// §17.2.3: whether `branch` identifies an RFC 3261 transaction, the magic cookie and more;
/// the bare cookie identifies none (RFC 4475 §3.2.1).
fn is_rfc3261_branch(branch: &str) -> bool {
    branch
        .strip_prefix(MAGIC_COOKIE)
        .is_some_and(|id| !id.is_empty())
}

/// §17.2.3: the branch identifies the transaction if it names an RFC 3261 one; otherwise the
/// RFC 2543 rules apply, approximated by Call-ID, CSeq number, From tag, top Via and
/// Request-URI.
fn transaction_id(checked: &Checked, top: &TopVia, raw: &RawRequest) -> String {
    let mut id = match &top.branch {
        Some(branch) => format!("{branch} {}", top.sent_by),
        None => format!(
            "rfc2543 {} {} {} {} {}",
            checked.call_id,
            checked.cseq,
            checked.from_tag.as_deref().unwrap_or_default(),
            raw.via_header().map(|v| v.value()).unwrap_or_default(),
            checked.uri,
        ),
    };
    if checked.method == Method::Extension {
        id.push(' ');
        id.push_str(&raw.line.method);
    }
    id
}

/// Where the top Via of a request received over UDP says its peer is.
struct ViaAddresses {
    /// The source address, at the source port if `rport` was asked for, else at the sent-by
    /// port (RFC 3581 §4).
    peer: SocketAddr,
    /// The `maddr` address, if it names the source ([`maddr::source_maddr`]).
    maddr: Option<IpAddr>,
    /// The sent-by port (5060 when the Via names none).
    sent_by_port: u16,
}

impl ViaAddresses {
    /// Where responses go (§18.2.2): the `maddr` address at the sent-by port, else `peer`.
    fn responses(&self) -> SocketAddr {
        // §18.2.2 puts maddr before `received`, and RFC 3581 §4 applies rport only to a Via
        // without maddr: a maddr response goes to the sent-by port whatever the source port
        // was.
        self.maddr
            .map_or(self.peer, |maddr| SocketAddr::new(maddr, self.sent_by_port))
    }
}

/// Reads the top Via, adds `received` and fills `rport` (§18.2.1, RFC 3581 §4) and returns
/// where it says the peer is, and what identifies the transaction; `None` if there is no
/// readable top Via.
fn annotate_top_via(raw: &mut RawRequest, source: SocketAddr) -> Option<(ViaAddresses, TopVia)> {
    let header = raw.via_header_mut().ok()?;
    let via = via::parse(header.value())?;
    let rport = via.param("rport") == Some(None);
    let same_host = via.host.parse::<IpAddr>().is_ok_and(|ip| ip == source.ip());
    let sent_by_port = via.port.unwrap_or(5060);
    let addresses = ViaAddresses {
        peer: SocketAddr::new(
            source.ip(),
            if rport { source.port() } else { sent_by_port },
        ),
        maddr: maddr::source_maddr(&via, source.ip()),
        sent_by_port,
    };
    let top = TopVia {
        branch: via
            .branch()
            .filter(|b| is_rfc3261_branch(b))
            .map(str::to_owned),
        sent_by: via.sent_by.to_owned(),
    };
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
    Some((addresses, top))
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
/// error, and so are a value that is no Content-Length ([`fields::content_length`]) and
/// values that differ (RFC 4475 §3.3.9), as the stream framer has it.
fn check_content_length(headers: &rsip::Headers, body: &mut Vec<u8>) -> Result<(), String> {
    let lengths = headers
        .iter()
        .filter_map(|h| match h {
            rsip::Header::ContentLength(cl) => Some(fields::content_length(cl.value())),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .ok_or("Malformed Content-Length header")?;
    let Some(&length) = lengths.first() else {
        return Ok(());
    };
    if lengths.iter().any(|&other| other != length) {
        return Err("Conflicting Content-Length headers".into());
    }
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
    /// The reason phrase as sent.
    pub(crate) reason: String,
    /// The To tag, if any.
    pub(crate) to_tag: Option<String>,
    /// The message, its body cut to Content-Length (§18.3).
    pub(crate) raw: rsip::Response,
    /// The source address of the datagram or connection it came in.
    pub(crate) source: SocketAddr,
}

impl Response {
    /// The To header field's value as sent (checked readable by [`validate_response`]).
    pub(crate) fn to(&self) -> &str {
        self.raw.to_header().map_or("", |to| to.value())
    }
}

/// Checks a response; `None` if it is broken and must be dropped (§18.1.2, §18.3), or has more
/// than one Via and so was meant for a proxy, not for us (§8.1.3.3; RFC 4475 §3.3.10).
/// `source` is where it came from.
pub(crate) fn validate_response(mut raw: rsip::Response, source: SocketAddr) -> Option<Response> {
    let vias = raw
        .headers
        .iter()
        .filter(|h| matches!(h, rsip::Header::Via(_)))
        .count();
    if vias > 1 {
        return None;
    }
    let branch = via::parse(raw.via_header().ok()?.value())?
        .branch()?
        .to_owned();
    address::parse(raw.from_header().ok()?.value())?;
    let to_tag = address::parse(raw.to_header().ok()?.value())?
        .tag()
        .map(str::to_owned);
    call_id(&raw).ok()?;
    let cseq = raw.cseq_header().ok()?.typed().ok()?;
    check_content_length(&raw.headers, &mut raw.body).ok()?;
    let reason = match &raw.status_code {
        rsip::StatusCode::Other(_, reason) => reason.clone(),
        known => known.to_string(),
    };
    Some(Response {
        code: raw.status_code.code(),
        branch,
        method: cseq.method,
        reason,
        to_tag,
        raw,
        source,
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

    fn local() -> SocketAddr {
        "192.0.2.1:5060".parse().unwrap()
    }

    fn udp_source() -> TransportAddr {
        TransportAddr::udp(SOURCE.parse().unwrap())
    }

    fn options(via: &str, extra: &str) -> String {
        format!(
            "OPTIONS sip:sut@192.0.2.1 SIP/2.0\r\nVia: {via}\r\n\
             From: \"A \\\"B\\\"\" <sip:a@192.0.2.7>;tag=ft\r\nTo: <sip:sut@192.0.2.1>\r\n\
             Call-ID: cid@192.0.2.7\r\n{extra}\r\n"
        )
    }

    fn refusal(text: &str) -> (u16, String) {
        match validate_request(request(text), local(), udp_source(), false) {
            Err(Rejection::Refused { code, reason, .. }) => (code, reason),
            other => panic!("not refused: {other:?}"),
        }
    }

    fn reason(text: &str) -> String {
        let (code, reason) = refusal(text);
        assert_eq!(code, 400, "{reason}");
        reason
    }

    #[test]
    fn valid_request_is_annotated_and_routed_to_rport() {
        let text = options(
            "SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bKabc;rport",
            "CSeq: 5 OPTIONS\r\nContent-Length: 2\r\n\r\nhiEXTRA",
        );
        let req = validate_request(request(&text), local(), udp_source(), false).unwrap();
        assert_eq!(
            (req.destination.transport, req.destination.addr),
            (udp_source().transport, udp_source().addr)
        );
        assert_eq!(
            req.destination.source,
            Some(local()),
            "responses leave where the request came"
        );
        assert_eq!(
            req.destination.reopen_port, None,
            "UDP has no connection to reopen"
        );
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
        let req = validate_request(request(&text), local(), udp_source(), false).unwrap();
        assert_eq!(req.destination.addr, "192.0.2.7:5060".parse().unwrap());
        assert!(!req.raw.via_header().unwrap().value().contains("received"));
    }

    #[test]
    fn over_tcp_responses_go_to_the_source_whatever_the_via_says() {
        let text = options(
            "SIP/2.0/TCP 10.0.0.9:5062;branch=z9hG4bKabc",
            "CSeq: 5 OPTIONS\r\n\r\n",
        );
        let source = TransportAddr::new(crate::Transport::Tcp, SOURCE.parse().unwrap());
        let req = validate_request(request(&text), local(), source, false).unwrap();
        assert_eq!(
            (req.destination.transport, req.destination.addr),
            (source.transport, source.addr),
            "on the request's connection"
        );
        assert_eq!(
            req.destination.reopen_port,
            Some(5062),
            "once it has closed: the source IP at the sent-by port"
        );
        assert_eq!(
            req.raw.via_header().unwrap().value(),
            "SIP/2.0/TCP 10.0.0.9:5062;branch=z9hG4bKabc;received=192.0.2.7"
        );
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
    fn start_line_problems_are_refused_first() {
        let valid = options(
            "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1",
            "CSeq: 1 OPTIONS\r\n\r\n",
        );
        let cases = [
            (
                "OPTIONS  sip:sut@192.0.2.1 SIP/2.0",
                (400, "Malformed Request-Line"),
            ),
            (
                "OPTIONS sip:sut@192.0.2.1 SIP/2.0 ",
                (400, "Malformed Request-Line"),
            ),
            (
                "OPTIONS sip:sut@192.0.2.1 SIP/3.0",
                (505, "Version Not Supported"),
            ),
            (
                "OPTIONS <sip:sut@192.0.2.1> SIP/2.0",
                (400, "Malformed Request-URI"),
            ),
            (
                "OPTIONS sip:sut@192.0.2.1?Route=x SIP/2.0",
                (400, "Malformed Request-URI"),
            ),
        ];
        for (line, (code, text)) in cases {
            let request = valid.replacen("OPTIONS sip:sut@192.0.2.1 SIP/2.0", line, 1);
            assert_eq!(refusal(&request), (code, text.to_owned()), "{line:?}");
        }
        let large = validate_request(request(&valid), local(), udp_source(), true);
        assert!(
            matches!(&large, Err(Rejection::Refused { code: 513, .. })),
            "{large:?}"
        );
    }

    #[test]
    fn request_uris_of_other_schemes_than_sip_sips_and_tel_get_416() {
        let valid = options(
            "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1",
            "CSeq: 1 OPTIONS\r\n\r\n",
        );
        let with_uri = |uri: &str| valid.replacen("sip:sut@192.0.2.1", uri, 1);
        for uri in [
            "nobodyKnowsThisScheme:opaque",
            "soap.beep://192.0.2.103:3002",
        ] {
            assert_eq!(
                refusal(&with_uri(uri)),
                (416, "Unsupported URI Scheme".to_owned()),
                "{uri}"
            );
        }
        assert!(
            validate_request(
                request(&with_uri("tel:+1-201-555-0123")),
                local(),
                udp_source(),
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn sips_request_uris_are_served_over_tls_only() {
        let sips = options(
            "SIP/2.0/TLS 192.0.2.7;branch=z9hG4bK1",
            "CSeq: 1 OPTIONS\r\n\r\n",
        )
        .replacen("sip:sut@192.0.2.1", "SIPS:sut@192.0.2.1", 1);
        let over = |transport| {
            let source = TransportAddr::new(transport, SOURCE.parse().unwrap());
            validate_request(request(&sips), local(), source, false)
        };
        assert!(over(crate::Transport::Tls).is_ok());
        for transport in [crate::Transport::Udp, crate::Transport::Tcp] {
            assert!(
                matches!(over(transport), Err(Rejection::Refused { code: 416, .. })),
                "{transport}"
            );
        }
    }

    #[test]
    fn repeated_single_value_headers_and_conflicting_lengths_are_named() {
        let via = "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1";
        let with = |extra: &str| options(via, &format!("CSeq: 1 OPTIONS\r\n{extra}\r\n"));
        for (extra, expected) in [
            ("t: <sip:other@192.0.2.1>\r\n", "Multiple To headers"),
            ("i: cid@192.0.2.7\r\n", "Multiple Call-ID headers"),
            ("CSeq: 1 OPTIONS\r\n", "Multiple CSeq headers"),
            (
                "Max-Forwards: 70\r\nMax-Forwards: 70\r\n",
                "Multiple Max-Forwards headers",
            ),
            (
                "Content-Length: 1\r\nl: 2\r\n\r\nab",
                "Conflicting Content-Length headers",
            ),
        ] {
            assert_eq!(reason(&with(extra)), expected, "{extra:?}");
        }
        let same = with("Content-Length: 2\r\nl: 02\r\n\r\nabc");
        let req = validate_request(request(&same), local(), udp_source(), false).unwrap();
        assert_eq!(req.raw.body, b"ab", "equal lengths agree");
    }

    #[test]
    fn header_problems_are_named() {
        let via = "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1";
        let with = |extra: &str| options(via, &format!("CSeq: 1 OPTIONS\r\n{extra}\r\n"));
        for (extra, expected) in [
            ("Max-Forwards: 256\r\n", "Malformed Max-Forwards header"),
            ("Max-Forwards: -1\r\n", "Malformed Max-Forwards header"),
            ("Max-Forwards: ten\r\n", "Malformed Max-Forwards header"),
            ("Subject: a\0b\r\n", "Control character in Subject header"),
            ("Via: SIP/2.0/UDP 10.0.0.1;;\r\n", "Malformed Via header"),
            ("Contact: sip:a@b?x=y\r\n", "Malformed Contact header"),
            ("Contact: <sip:a@b>, junk\r\n", "Malformed Contact header"),
        ] {
            assert_eq!(reason(&with(extra)), expected, "{extra:?}");
        }
        let unbalanced = options(via, "CSeq: 1 OPTIONS\r\n\r\n").replace("To: <", "To: \"x <");
        assert_eq!(reason(&unbalanced), "Malformed To header");
        let fine =
            with("Max-Forwards: 0070\r\nContact: *\r\nDate: Sat, 15 Oct 2005 04:44:56 GMT\r\n");
        let req = validate_request(request(&fine), local(), udp_source(), false).unwrap();
        assert_eq!(req.max_forwards, Some(70));
    }

    #[test]
    fn a_date_in_any_form_refuses_no_request() {
        // RFC 4475 §3.1.2.12 lets an element refuse a Date that is not RFC 1123 GMT, but
        // advises against it unless the element uses the Date, which the endpoint does not.
        let via = "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1";
        for date in [
            "Mon, 1 Jan 2024 10:00:00 UTC",
            "Fri, 01 Jan 2010 16:00:00 EST",
            "Mon, 01 Jan 2024 11:00:00 +0100",
            "yesterday",
            "",
        ] {
            for method in ["OPTIONS", "INVITE", "ACK", "BYE"] {
                let text = options(via, &format!("CSeq: 1 {method}\r\nDate: {date}\r\n\r\n"))
                    .replacen("OPTIONS", method, 1);
                let req = validate_request(request(&text), local(), udp_source(), false);
                assert!(req.is_ok(), "{method} with Date {date:?}");
            }
        }
    }

    #[test]
    fn extension_methods_are_read_and_their_cseq_must_match() {
        let via = "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1";
        let text = options(via, "CSeq: 7 FROBNICATE\r\n\r\n").replacen("OPTIONS", "FROBNICATE", 1);
        let req = validate_request(request(&text), local(), udp_source(), false).unwrap();
        assert_eq!((req.method, req.cseq), (Method::Extension, 7));
        assert_eq!(req.transaction_id, "z9hG4bK1 192.0.2.7 FROBNICATE");
        let lower = text.replace("CSeq: 7 FROBNICATE", "CSeq: 7 frobnicate");
        assert_eq!(reason(&lower), "CSeq method does not match request method");
        let invite = options(via, "CSeq: 7 INVITE\r\n\r\n").replacen("OPTIONS", "invite", 1);
        assert_eq!(
            reason(&invite),
            "CSeq method does not match request method",
            "method names are case-sensitive"
        );
    }

    #[test]
    fn folded_from_keeps_its_tag() {
        let text = options(
            "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1",
            "CSeq: 5 OPTIONS\r\n\r\n",
        )
        .replace(";tag=ft\r\n", "\r\n ;tag=folded\r\n");
        let req = validate_request(request(&text), local(), udp_source(), false).unwrap();
        assert_eq!(req.from_tag, "folded");
    }

    #[test]
    fn missing_via_is_unroutable() {
        let text = "OPTIONS sip:a@b SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\n\
                    Call-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
        assert!(matches!(
            validate_request(request(text), local(), udp_source(), false),
            Err(Rejection::Unroutable)
        ));
    }

    #[test]
    fn rfc2543_branchless_requests_get_a_composite_transaction_id() {
        for via in [
            "SIP/2.0/UDP 192.0.2.7",
            "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK",
        ] {
            let text = options(via, "CSeq: 9 OPTIONS\r\n\r\n");
            let req = validate_request(request(&text), local(), udp_source(), false).unwrap();
            assert!(
                req.transaction_id.starts_with("rfc2543 cid@192.0.2.7 9 ft"),
                "{via}"
            );
            assert!(req.rfc2543, "{via}");
        }
    }

    #[test]
    fn responses_with_more_than_one_via_are_dropped() {
        let response = |vias: &str| {
            let text = format!(
                "SIP/2.0 200 OK\r\n{vias}From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n\
                 Call-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n"
            );
            match crate::wire::parse(text.as_bytes()) {
                Some(crate::wire::Datagram::Response(raw)) => {
                    validate_response(*raw, "192.0.2.1:5060".parse().unwrap())
                }
                _ => panic!("no response: {text}"),
            }
        };
        let ours = "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n";
        assert!(response(ours).is_some());
        let broadcast = "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK2\r\n";
        assert!(response(&format!("{ours}{broadcast}")).is_none());
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
