//! Building responses (RFC 3261 §8.2.6) and the header values the endpoint advertises.

use rsip::headers::UntypedHeader;
use rsip::prelude::HasHeaders;

use crate::address;
use crate::prack::RELIABLE_TAG;
use crate::session::timer::{SessionTimers, TIMER_TAG};
use crate::syntax;
use crate::transport::{Transport, TransportAddr};

/// Methods the endpoint takes in the calls it places (the Allow header of its INVITEs, §20.5).
pub(crate) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO";
/// Methods the endpoint takes as it answers (the Allow header of its responses): those of
/// [`ALLOW`], and PRACK for its reliable provisional responses (RFC 3262).
const ALLOW_ANSWERING: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK";
/// Bodies the endpoint understands (the Accept header, §20.1).
pub(crate) const ACCEPT: &str = "application/sdp";
/// Content codings the endpoint understands (the Accept-Encoding header, §20.2): none but
/// the identity.
pub(crate) const ACCEPT_ENCODING: &str = "identity";
/// The SIP extensions the endpoint supports (option tags, §19.2.1): reliable provisional
/// responses (RFC 3262) always, session timers (RFC 4028) unless they are turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Extensions {
    /// Session timers: the `timer` tag.
    pub(crate) timer: bool,
}

impl Extensions {
    /// Those of an endpoint with the session-timer settings `timers` ([`SessionTimers::enabled`]:
    /// off, the endpoint acts as a UA without the extension).
    pub(crate) fn of(timers: &SessionTimers) -> Self {
        Self {
            timer: timers.enabled,
        }
    }

    /// The value of our Supported header (§20.37).
    pub(crate) fn supported(self) -> String {
        if self.timer {
            format!("{RELIABLE_TAG}, {TIMER_TAG}")
        } else {
            RELIABLE_TAG.to_owned()
        }
    }

    /// Whether the endpoint can meet a `Require` naming `tag` (§8.2.2.3) in a request, an
    /// INVITE if `invite`: `100rel` only there (RFC 3262 makes it an INVITE's).
    pub(crate) fn supports(self, tag: &str, invite: bool) -> bool {
        (self.timer && tag.eq_ignore_ascii_case(TIMER_TAG))
            || (invite && tag.eq_ignore_ascii_case(RELIABLE_TAG))
    }
}

/// Headers the builder writes itself, with their compact forms (§7.3.3): an application header
/// of the same name would duplicate or contradict them.
const BUILDER_HEADERS: &[&str] = &[
    "Via",
    "v",
    "From",
    "f",
    "To",
    "t",
    "Call-ID",
    "i",
    "CSeq",
    "Server",
    "Content-Type",
    "c",
    "Content-Length",
    "l",
];

/// Whether a response copies `header` from its request (§8.2.6.2): each Via, and From, To
/// (a tag added), Call-ID and CSeq.
pub(crate) fn copied_into_responses(header: &rsip::Header) -> bool {
    matches!(
        header,
        rsip::Header::Via(_)
            | rsip::Header::From(_)
            | rsip::Header::To(_)
            | rsip::Header::CallId(_)
            | rsip::Header::CSeq(_)
    )
}

/// A response under construction.
#[derive(Debug)]
pub(crate) struct ResponseBuilder {
    response: rsip::Response,
}

impl ResponseBuilder {
    /// The response with `request`'s Timestamp header, as a 100 (Trying) carries it
    /// (§8.2.6.1), so the client can measure the round trip.
    pub(crate) fn timestamp_of(mut self, request: &impl HasHeaders) -> Self {
        let timestamp = request
            .headers()
            .iter()
            .find(|h| matches!(h, rsip::Header::Timestamp(_)));
        if let Some(timestamp) = timestamp {
            self.response.headers.push(timestamp.clone());
        }
        self
    }

    /// A response to `request` with status `code` and reason phrase `reason`. Per §8.2.6.2 it
    /// copies every Via (in order), From, Call-ID, CSeq and To, adding `to_tag` to the To
    /// header when the request's To has no tag; it carries `server` as the Server header
    /// (none when `server` is empty).
    pub(crate) fn new(
        request: &impl HasHeaders,
        code: u16,
        reason: &str,
        to_tag: Option<&str>,
        server: &str,
    ) -> Self {
        let mut headers = rsip::Headers::default();
        let copied = request
            .headers()
            .iter()
            .filter(|h| copied_into_responses(h) && !matches!(h, rsip::Header::To(_)));
        for header in copied {
            headers.push(header.clone());
        }
        if let Some(to) = request.headers().iter().find_map(|h| match h {
            rsip::Header::To(to) => Some(to),
            _ => None,
        }) {
            headers.push(rsip::Header::To(with_tag(to, to_tag)));
        }
        if !server.is_empty() {
            headers.push(rsip::headers::Server::new(server).into());
        }
        Self {
            response: rsip::Response {
                // rsip's named status codes print CamelCase reasons ("RequestTerminated"); the
                // Other variant carries the proper phrase.
                status_code: rsip::StatusCode::Other(code, reason_phrase(reason)),
                version: rsip::Version::V2,
                headers,
                body: Vec::new(),
            },
        }
    }

    /// Adds a header.
    pub(crate) fn header(mut self, header: impl Into<rsip::Header>) -> Self {
        self.response.headers.push(header.into());
        self
    }

    /// Adds application header lines in order, verbatim; each must have passed
    /// [`check_extra_header`].
    pub(crate) fn extra_headers(mut self, headers: &[(&str, &str)]) -> Self {
        for (name, value) in headers {
            self.response
                .headers
                .push(rsip::Header::Other((*name).to_owned(), (*value).to_owned()));
        }
        self
    }

    /// Adds the headers that describe what the endpoint supports (§11.2): Allow, Accept and
    /// Supported, which lists `extensions` (reliable provisional responses to a caller that
    /// requires them, RFC 3262; session timers, RFC 4028).
    pub(crate) fn capabilities(self, extensions: Extensions) -> Self {
        self.header(rsip::headers::Allow::new(ALLOW_ANSWERING))
            .header(rsip::headers::Accept::new(ACCEPT))
            .header(rsip::headers::Supported::new(extensions.supported()))
    }

    /// Adds the headers that list the bodies the endpoint takes, Accept and Accept-Encoding,
    /// as a 415 must (§21.4.13, §8.2.3).
    pub(crate) fn accepted_bodies(self) -> Self {
        self.header(rsip::headers::Accept::new(ACCEPT))
            .header(rsip::headers::AcceptEncoding::new(ACCEPT_ENCODING))
    }

    /// Adds `contact` as the Contact header ([`LocalContact::value`]; §12.1.1: needed on
    /// dialog-creating responses).
    pub(crate) fn contact(self, contact: LocalContact) -> Self {
        self.header(rsip::headers::Contact::new(contact.value()))
    }

    /// Copies every Record-Route of `request`, in order (§12.1.1).
    pub(crate) fn record_route(mut self, request: &impl HasHeaders) -> Self {
        for header in request.headers().iter() {
            if let rsip::Header::RecordRoute(_) = header {
                self.response.headers.push(header.clone());
            }
        }
        self
    }

    /// Sets an SDP body.
    pub(crate) fn sdp(mut self, body: &str) -> Self {
        self.response
            .headers
            .push(rsip::headers::ContentType::new(ACCEPT).into());
        self.response.body = body.as_bytes().to_vec();
        self
    }

    /// The response as a datagram, with its Content-Length.
    pub(crate) fn build(mut self) -> Vec<u8> {
        let length = self.response.body.len().to_string();
        self.response
            .headers
            .push(rsip::headers::ContentLength::new(length).into());
        self.response.to_string().into_bytes()
    }
}

/// `reason` made safe for a status line: control characters (CR, LF, ...) become spaces
/// (§25.1 Reason-Phrase).
fn reason_phrase(reason: &str) -> String {
    reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Whether `name: value` can be added to a response as an application header: `Err` names the
/// problem. The name must be a token (§25.1) and not a header the builder writes; the value must
/// hold no control character but HTAB, so the line can neither end early nor smuggle in
/// another header (§7.3.1).
pub(crate) fn check_extra_header(name: &str, value: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("the name is empty");
    }
    if !syntax::is_token(name) {
        return Err("the name is not a token (RFC 3261 §25.1)");
    }
    if BUILDER_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
        return Err("the endpoint writes this header itself");
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err("the value holds a control character such as CR or LF");
    }
    Ok(())
}

/// The To header with `tag` added, unless it has a tag already, even one without a value (a
/// response never holds two), or cannot be read.
fn with_tag(to: &rsip::headers::To, tag: Option<&str>) -> rsip::headers::To {
    match tag {
        Some(tag) if address::parse(to.value()).is_some_and(|a| a.tag_param().is_none()) => {
            rsip::headers::To::new(format!("{};tag={tag}", to.value()))
        }
        _ => to.clone(),
    }
}

/// Our Contact (§8.1.1.8, §12.1.1): the advertised address with its transport, as a `sip:` or
/// a `sips:` URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocalContact {
    /// The advertised address and the transport requests to it take.
    pub(crate) local: TransportAddr,
    /// Whether it is a SIPS URI: the dialog goes over TLS and the request that created it
    /// asked for one (§12.1.1).
    pub(crate) sips: bool,
}

impl LocalContact {
    /// The `sip:` Contact of `local`.
    pub(crate) fn sip(local: TransportAddr) -> Self {
        Self { local, sips: false }
    }

    /// The Contact value: `<sips:host:port>` for a SIPS one, else `<sip:host:port>` with
    /// `;transport=tcp` over TCP and `;transport=tls` over TLS so that the peer's requests in
    /// the dialog come over that transport as well (§19.1.1; UDP is the default, §18.1.1). A
    /// SIPS URI names no transport: TLS goes without saying, and §26.2.2 deprecates
    /// `;transport=tls` on it.
    pub(crate) fn value(self) -> String {
        let addr = self.local.addr;
        match (self.sips, self.local.transport) {
            (true, _) => format!("<sips:{addr}>"),
            (false, Transport::Udp) => format!("<sip:{addr}>"),
            (false, Transport::Tcp) => format!("<sip:{addr};transport=tcp>"),
            (false, Transport::Tls) => format!("<sip:{addr};transport=tls>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_request as request;

    #[test]
    fn the_contact_names_the_transport_of_a_connection() {
        let at = "192.0.2.1:5061".parse().unwrap();
        let contact = |transport| LocalContact::sip(TransportAddr::new(transport, at)).value();
        assert_eq!(contact(Transport::Udp), "<sip:192.0.2.1:5061>");
        assert_eq!(
            contact(Transport::Tcp),
            "<sip:192.0.2.1:5061;transport=tcp>"
        );
        assert_eq!(
            contact(Transport::Tls),
            "<sip:192.0.2.1:5061;transport=tls>"
        );
    }

    #[test]
    fn a_sips_contact_names_no_transport() {
        let local = TransportAddr::new(Transport::Tls, "192.0.2.1:5061".parse().unwrap());
        let contact = LocalContact { local, sips: true };
        assert_eq!(contact.value(), "<sips:192.0.2.1:5061>");
    }

    #[test]
    fn response_copies_headers_adds_tag_server_and_length() {
        let req = request(
            "INVITE sip:sut@192.0.2.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1;received=192.0.2.7\r\n\
             Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK0\r\n\
             Record-Route: <sip:p1.example.com;lr>\r\n\
             From: <sip:a@192.0.2.7>;tag=ft\r\nTo: \"SUT\" <sip:sut@192.0.2.1>\r\n\
             Call-ID: cid\r\nCSeq: 1 INVITE\r\nSubject: x\r\n\r\n",
        );
        let bytes = ResponseBuilder::new(&req, 200, "OK", Some("lt"), "switchyard/1")
            .contact(LocalContact::sip(TransportAddr::udp(
                "192.0.2.1:5070".parse().unwrap(),
            )))
            .record_route(&req)
            .sdp("v=0\r\n")
            .build();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");
        for line in [
            "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1;received=192.0.2.7\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK0\r\n",
            "To: \"SUT\" <sip:sut@192.0.2.1>;tag=lt\r\n",
            "From: <sip:a@192.0.2.7>;tag=ft\r\n",
            "Call-ID: cid\r\n",
            "CSeq: 1 INVITE\r\n",
            "Server: switchyard/1\r\n",
            "Contact: <sip:192.0.2.1:5070>\r\n",
            "Record-Route: <sip:p1.example.com;lr>\r\n",
            "Content-Type: application/sdp\r\n",
            "Content-Length: 5\r\n\r\nv=0\r\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in {text}");
        }
        assert!(!text.contains("Subject"));
    }

    #[test]
    fn extra_headers_go_in_verbatim_before_content_length() {
        let req = request(
            "INVITE sip:sut@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\r\n\
             From: <sip:a@192.0.2.7>;tag=ft\r\nTo: <sip:sut@192.0.2.1>\r\n\
             Call-ID: cid\r\nCSeq: 1 INVITE\r\n\r\n",
        );
        let text = String::from_utf8(
            ResponseBuilder::new(&req, 503, "Service Unavailable", Some("lt"), "s")
                .extra_headers(&[("Retry-After", "5"), ("X-Why", "full\tnow")])
                .build(),
        )
        .unwrap();
        assert!(
            text.ends_with(
                "Server: s\r\nRetry-After: 5\r\nX-Why: full\tnow\r\nContent-Length: 0\r\n\r\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn extra_header_checks() {
        assert_eq!(check_extra_header("Retry-After", "5"), Ok(()));
        assert_eq!(check_extra_header("X-Empty", ""), Ok(()));
        assert_eq!(check_extra_header("", "5"), Err("the name is empty"));
        for name in ["Retry After", "Retry-After:", "X\r\nVia", "Ünïcode"] {
            assert_eq!(
                check_extra_header(name, "5"),
                Err("the name is not a token (RFC 3261 §25.1)"),
                "{name:?}"
            );
        }
        for name in ["content-length", "l", "CALL-ID", "Via"] {
            assert_eq!(
                check_extra_header(name, "5"),
                Err("the endpoint writes this header itself"),
                "{name:?}"
            );
        }
        for value in ["5\r\nX-Evil: 1", "5\n", "5\r", "\0"] {
            assert_eq!(
                check_extra_header("Retry-After", value),
                Err("the value holds a control character such as CR or LF"),
                "{value:?}"
            );
        }
    }

    #[test]
    fn existing_to_tag_is_kept_and_reason_is_verbatim() {
        let req = request(
            "BYE sip:sut@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\r\n\
             From: <sip:a@192.0.2.7>;tag=ft\r\nTo: <sip:sut@192.0.2.1>;tag=old\r\n\
             Call-ID: cid\r\nCSeq: 2 BYE\r\n\r\n",
        );
        let text = String::from_utf8(
            ResponseBuilder::new(
                &req,
                481,
                "Call/Transaction Does Not Exist",
                Some("new"),
                "s",
            )
            .build(),
        )
        .unwrap();
        assert!(text.starts_with("SIP/2.0 481 Call/Transaction Does Not Exist\r\n"));
        let injected = ResponseBuilder::new(&req, 486, "Busy\r\nX-Evil: 1", None, "s").build();
        assert!(
            String::from_utf8(injected)
                .unwrap()
                .starts_with("SIP/2.0 486 Busy  X-Evil: 1\r\n")
        );
        assert!(text.contains("To: <sip:sut@192.0.2.1>;tag=old\r\n"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn a_to_tag_without_a_value_gets_no_second_tag() {
        let req = request(
            "OPTIONS sip:sut@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\r\n\
             To: <sip:sut@192.0.2.1>;tag\r\nCall-ID: cid\r\nCSeq: 2 OPTIONS\r\n\r\n",
        );
        let response = ResponseBuilder::new(&req, 400, "Malformed To header", Some("new"), "s");
        let text = String::from_utf8(response.build()).unwrap();
        assert!(text.contains("To: <sip:sut@192.0.2.1>;tag\r\n"), "{text}");
    }
}
