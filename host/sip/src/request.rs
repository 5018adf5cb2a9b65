//! The INVITE the UAC core sends outside a dialog (§8.1.1, §13.2.1). Its CANCEL and the ACK of
//! a non-2xx final response are derived from it as sent by its client transaction
//! ([`InviteClient`](crate::transaction::InviteClient), §9.1, §17.1.1.3).

use std::fmt::Write;

use crate::build::{ACCEPT, ALLOW, Extensions, LocalContact};
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
        let mut text = format!(
            "INVITE {} SIP/2.0\r\nVia: SIP/2.0/{} {};branch={branch};rport\r\n\
             Max-Forwards: {}\r\n",
            self.uri, self.local.transport, self.local.addr, self.max_forwards
        );
        for route in &self.route {
            let _ = write!(text, "Route: {route}\r\n");
        }
        let _ = write!(
            text,
            "From: {};tag={}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {cseq} INVITE\r\n\
             Contact: {}\r\nAllow: {ALLOW}\r\nSupported: {}\r\n",
            self.from,
            self.from_tag,
            self.to,
            self.call_id,
            LocalContact::sip(self.local).value(),
            self.extensions.supported()
        );
        for (name, value) in headers {
            let _ = write!(text, "{name}: {value}\r\n");
        }
        if !self.user_agent.is_empty() {
            let _ = write!(text, "User-Agent: {}\r\n", self.user_agent);
        }
        let _ = write!(
            text,
            "Content-Type: {ACCEPT}\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
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
    fn the_invite_carries_the_head_our_contact_and_the_header_lines() {
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
