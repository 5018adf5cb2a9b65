//! What the test UAC received, with accessors for what tests look at.

use std::time::Instant;

use rsip::headers::ToTypedHeader;
use rsip::prelude::HeadersExt;

/// A SIP message the [`Uac`](super::Uac) received.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived (the `now` it was handed over with).
    pub at: Instant,
    /// The datagram as text.
    pub text: String,
    /// The parsed message.
    pub message: rsip::SipMessage,
}

impl Received {
    /// The status code of a response; `None` for a request.
    pub fn code(&self) -> Option<u16> {
        match &self.message {
            rsip::SipMessage::Response(r) => Some(r.status_code.code()),
            rsip::SipMessage::Request(_) => None,
        }
    }

    /// The method of the CSeq header, if readable.
    pub fn cseq_method(&self) -> Option<rsip::Method> {
        Some(self.message.cseq_header().ok()?.typed().ok()?.method)
    }

    /// The tag of the To header; `None` if it has none or the header is unreadable.
    pub fn to_tag(&self) -> Option<String> {
        let to = self.message.to_header().ok()?.typed().ok()?;
        to.tag().map(|t| t.to_string())
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
        String::from_utf8_lossy(self.message.body()).into_owned()
    }
}
