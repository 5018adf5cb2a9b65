//! What the test UAC and UAS received, read by the endpoint's own parser (rsip's refuses IPv6
//! references, RFC 5118), with accessors for what tests look at.

use std::time::Instant;

use rsip::headers::{ToTypedHeader, UntypedHeader};
use rsip::prelude::{HasHeaders, HeadersExt};

use crate::wire::{self, Datagram};

/// A request the test UAC or UAS received.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: rsip::Method,
    /// The Request-URI as sent.
    pub uri: String,
    /// The header lines, in order, compact names expanded.
    pub headers: rsip::Headers,
    /// The body.
    pub body: Vec<u8>,
}

impl HasHeaders for Request {
    fn headers(&self) -> &rsip::Headers {
        &self.headers
    }

    fn headers_mut(&mut self) -> &mut rsip::Headers {
        &mut self.headers
    }
}

impl HeadersExt for Request {}

/// A request or a response.
#[derive(Debug, Clone)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(rsip::Response),
}

impl Message {
    /// The message's header lines.
    pub fn headers(&self) -> &rsip::Headers {
        match self {
            Self::Request(request) => &request.headers,
            Self::Response(response) => &response.headers,
        }
    }
}

/// A SIP message the [`Uac`](super::Uac) or [`Uas`](super::Uas) received.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived (the `now` it was handed over with).
    pub at: Instant,
    /// The datagram as text.
    pub text: String,
    /// The parsed message.
    pub message: Message,
}

impl Received {
    /// `data`, received at `now`. Panics if it is no SIP request or response with a known
    /// method: the endpoint under test must send only those.
    pub(super) fn parse(now: Instant, data: &[u8]) -> Self {
        let message = match wire::parse(data) {
            Some(Datagram::Request(raw)) => {
                let (uri, _) = raw
                    .line
                    .target
                    .expect("endpoint sent a malformed Request-Line");
                Message::Request(Request {
                    method: raw
                        .line
                        .method
                        .parse()
                        .expect("endpoint sent an unknown method"),
                    uri: uri.into(),
                    headers: raw.headers,
                    body: raw.body,
                })
            }
            Some(Datagram::Response(response)) => Message::Response(*response),
            _ => panic!("endpoint sent unparseable SIP"),
        };
        Self {
            at: now,
            text: String::from_utf8_lossy(data).into_owned(),
            message,
        }
    }

    /// The request, if the message is one.
    pub fn request(&self) -> Option<&Request> {
        match &self.message {
            Message::Request(request) => Some(request),
            Message::Response(_) => None,
        }
    }

    /// The status code of a response; `None` for a request.
    pub fn code(&self) -> Option<u16> {
        match &self.message {
            Message::Response(r) => Some(r.status_code.code()),
            Message::Request(_) => None,
        }
    }

    /// The method of the CSeq header, if readable.
    pub fn cseq_method(&self) -> Option<rsip::Method> {
        let cseq = self.message.headers().iter().find_map(|h| match h {
            rsip::Header::CSeq(cseq) => Some(cseq),
            _ => None,
        })?;
        Some(cseq.typed().ok()?.method)
    }

    /// The tag of the To header; `None` if it has none or the header is unreadable.
    pub fn to_tag(&self) -> Option<String> {
        let to = self.message.headers().iter().find_map(|h| match h {
            rsip::Header::To(to) => Some(to),
            _ => None,
        })?;
        Some(crate::address::parse(to.value())?.tag()?.to_owned())
    }

    /// The value of the first header line named `name` (case-insensitive, full names only),
    /// trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        self.text.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body(&self) -> String {
        let body = match &self.message {
            Message::Request(request) => &request.body,
            Message::Response(response) => &response.body,
        };
        String::from_utf8_lossy(body).into_owned()
    }
}
