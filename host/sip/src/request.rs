//! Requests the UAC core sends outside a dialog: the INVITE (§8.1.1, §13.2.1) and the ACK of
//! a non-2xx final response (§17.1.1.3). They share the Request-URI, From (with our tag), To,
//! Call-ID and Route set of the INVITE. Its CANCEL is derived from the INVITE as sent
//! ([`InviteClient::cancel`](crate::transaction::InviteClient::cancel)).

use std::fmt::Write;

use crate::build::{ACCEPT, ALLOW, Extensions, contact_value};
use crate::transport::TransportAddr;

/// What every request of one outgoing INVITE transaction carries.
#[derive(Debug)]
pub(crate) struct Head {
    /// The Request-URI.
    pub(crate) uri: String,
    /// The From value as the application gave it (no tag).
    pub(crate) from: String,
    /// Our From tag.
    pub(crate) from_tag: String,
    /// The To value, as the application gave it (no tag).
    pub(crate) to: String,
    /// The Call-ID.
    pub(crate) call_id: String,
    /// The Route values, in order (§8.1.2).
    pub(crate) route: Vec<String>,
    /// Our address (Via sent-by and Contact) and the transport the requests go over.
    pub(crate) local: TransportAddr,
    /// The User-Agent header value.
    pub(crate) user_agent: String,
    /// The Max-Forwards every request of the transaction carries.
    pub(crate) max_forwards: u8,
    /// The extensions the INVITE says we support.
    pub(crate) extensions: Extensions,
}

impl Head {
    /// The INVITE with Via branch `branch`, CSeq `cseq`, the header lines `headers` (the
    /// credentials first, then the application's) and the SDP offer `sdp`.
    pub(crate) fn invite(
        &self,
        branch: &str,
        cseq: u32,
        headers: &[(&str, &str)],
        sdp: &str,
    ) -> Vec<u8> {
        let mut text = self.start("INVITE", branch, cseq, &self.to);
        let _ = write!(
            text,
            "Contact: {}\r\nAllow: {ALLOW}\r\nSupported: {}\r\n",
            contact_value(self.local),
            self.extensions.supported()
        );
        for (name, value) in headers {
            let _ = write!(text, "{name}: {value}\r\n");
        }
        self.finish(text, Some(sdp))
    }

    /// The ACK of a non-2xx final response whose To value is `to` (§17.1.1.3: the INVITE's
    /// Request-URI, Call-ID, From, CSeq number, top Via and Route, with the response's To).
    pub(crate) fn ack(&self, branch: &str, cseq: u32, to: &str) -> Vec<u8> {
        let text = self.start("ACK", branch, cseq, to);
        self.finish(text, None)
    }

    fn start(&self, method: &str, branch: &str, cseq: u32, to: &str) -> String {
        let mut text = format!(
            "{method} {} SIP/2.0\r\nVia: SIP/2.0/{} {};branch={branch};rport\r\n\
             Max-Forwards: {}\r\n",
            self.uri, self.local.transport, self.local.addr, self.max_forwards
        );
        for route in &self.route {
            let _ = write!(text, "Route: {route}\r\n");
        }
        let _ = write!(
            text,
            "From: {};tag={}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {cseq} {method}\r\n",
            self.from, self.from_tag, self.call_id
        );
        text
    }

    fn finish(&self, mut text: String, sdp: Option<&str>) -> Vec<u8> {
        if !self.user_agent.is_empty() {
            let _ = write!(text, "User-Agent: {}\r\n", self.user_agent);
        }
        let body = sdp.unwrap_or_default();
        if sdp.is_some() {
            let _ = write!(text, "Content-Type: {ACCEPT}\r\n");
        }
        let _ = write!(text, "Content-Length: {}\r\n\r\n{body}", body.len());
        text.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> Head {
        Head {
            uri: "sip:bob@example.com".into(),
            from: "\"Alice\" <sip:alice@192.0.2.1>".into(),
            from_tag: "ft".into(),
            to: "<sip:bob@example.com>".into(),
            call_id: "cid@192.0.2.1".into(),
            route: vec!["<sip:proxy.example.com;lr>".into()],
            local: TransportAddr::udp("192.0.2.1:5060".parse().unwrap()),
            user_agent: "ua".into(),
            max_forwards: 70,
            extensions: Extensions { timer: true },
        }
    }

    #[test]
    fn invite_and_ack_share_the_head() {
        let invite =
            String::from_utf8(head().invite("z9hG4bKa", 7, &[("X-A", "1")], "v=0\r\n")).unwrap();
        assert_eq!(
            invite,
            "INVITE sip:bob@example.com SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport\r\n\
             Max-Forwards: 70\r\nRoute: <sip:proxy.example.com;lr>\r\n\
             From: \"Alice\" <sip:alice@192.0.2.1>;tag=ft\r\nTo: <sip:bob@example.com>\r\n\
             Call-ID: cid@192.0.2.1\r\nCSeq: 7 INVITE\r\nContact: <sip:192.0.2.1:5060>\r\n\
             Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO\r\nSupported: 100rel, timer\r\nX-A: 1\r\n\
             User-Agent: ua\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"
        );
        let ack =
            String::from_utf8(head().ack("z9hG4bKa", 7, "<sip:bob@example.com>;tag=tt")).unwrap();
        assert!(ack.contains("To: <sip:bob@example.com>;tag=tt\r\n"));
        assert!(ack.contains("CSeq: 7 ACK\r\n"));
        assert!(ack.contains("Route: <sip:proxy.example.com;lr>\r\n"));
    }

    #[test]
    fn without_session_timers_the_invite_supports_reliable_responses_only() {
        let head = Head {
            extensions: Extensions { timer: false },
            ..head()
        };
        let invite = String::from_utf8(head.invite("z9hG4bKa", 7, &[], "v=0\r\n")).unwrap();
        assert!(invite.contains("\r\nSupported: 100rel\r\n"), "{invite}");
    }
}
