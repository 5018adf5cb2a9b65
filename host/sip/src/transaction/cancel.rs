//! The CANCEL of an INVITE we sent (RFC 3261 §9.1), derived from the INVITE as it went: the
//! dialog or call it belongs to may have changed since (a target refresh), the INVITE has not.

use std::fmt::Write;

/// The header fields a CANCEL repeats from the INVITE it cancels (§9.1: Call-ID, To, From
/// and the Route values identical; Max-Forwards and User-Agent as any request of ours has
/// them). The top Via and the CSeq are taken apart.
const REPEATED: &[&str] = &[
    "Max-Forwards",
    "Route",
    "From",
    "To",
    "Call-ID",
    "User-Agent",
];

/// The CANCEL of `invite`, an INVITE the endpoint built (one header field per line, no
/// compact forms): its Request-URI, its top Via alone, the [`REPEATED`] header fields in
/// their order, and `CSeq: <its number> CANCEL` (§9.1).
pub(super) fn cancel_of(invite: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(invite);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let uri = request_line.split(' ').nth(1).unwrap_or_default();
    let mut cancel = format!("CANCEL {uri} SIP/2.0\r\n");
    let mut via_seen = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("Via") {
            if !via_seen {
                let _ = write!(cancel, "{line}\r\n");
            }
            via_seen = true;
        } else if name.eq_ignore_ascii_case("CSeq") {
            let number = value.split_whitespace().next().unwrap_or_default();
            let _ = write!(cancel, "CSeq: {number} CANCEL\r\n");
        } else if REPEATED.iter().any(|kept| kept.eq_ignore_ascii_case(name)) {
            let _ = write!(cancel, "{line}\r\n");
        }
    }
    cancel.push_str("Content-Length: 0\r\n\r\n");
    cancel.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_repeats_the_invites_identity_and_route_and_drops_the_rest() {
        let invite = "INVITE sip:bob@192.0.2.2:5060 SIP/2.0\r\n\
                      Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport\r\n\
                      Max-Forwards: 70\r\n\
                      Route: <sip:p1.example.com;lr>\r\n\
                      Route: <sip:p2.example.com;lr>\r\n\
                      From: <sip:alice@example.com>;tag=ft\r\n\
                      To: <sip:bob@example.com>;tag=tt\r\n\
                      Call-ID: cid@192.0.2.1\r\n\
                      CSeq: 7 INVITE\r\n\
                      Contact: <sip:alice@192.0.2.1:5060>\r\n\
                      Authorization: Digest username=\"alice\"\r\n\
                      User-Agent: ua\r\n\
                      Content-Type: application/sdp\r\n\
                      Content-Length: 4\r\n\r\nv=0\n";
        let cancel = String::from_utf8(cancel_of(invite.as_bytes())).unwrap();
        assert_eq!(
            cancel,
            "CANCEL sip:bob@192.0.2.2:5060 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport\r\n\
             Max-Forwards: 70\r\n\
             Route: <sip:p1.example.com;lr>\r\n\
             Route: <sip:p2.example.com;lr>\r\n\
             From: <sip:alice@example.com>;tag=ft\r\n\
             To: <sip:bob@example.com>;tag=tt\r\n\
             Call-ID: cid@192.0.2.1\r\n\
             CSeq: 7 CANCEL\r\n\
             User-Agent: ua\r\n\
             Content-Length: 0\r\n\r\n"
        );
    }
}
