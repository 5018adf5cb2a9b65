//! Requests the INVITE client transaction derives from the INVITE as it went: its CANCEL
//! (RFC 3261 §9.1) and the ACK of a 300-699 final response (§17.1.1.3). The dialog or call the
//! INVITE belongs to may have changed since (a target refresh), the INVITE has not.

use std::fmt::Write;

/// The header fields both repeat from the INVITE (§9.1: Call-ID, To, From and the Route values
/// identical; §17.1.1.3: Call-ID, From and Route equal, To taken from the response; Max-Forwards
/// and User-Agent as any request of ours has them). The top Via and the CSeq are taken apart.
const REPEATED: &[&str] = &[
    "Max-Forwards",
    "Route",
    "From",
    "To",
    "Call-ID",
    "User-Agent",
];

/// The CANCEL of `invite`, an INVITE the endpoint built (§9.1); see [`derived`].
pub(super) fn cancel_of(invite: &[u8]) -> Vec<u8> {
    derived(invite, "CANCEL", None)
}

/// The ACK of a 300-699 final response to `invite`, an INVITE the endpoint built, whose To
/// value is `to` (§17.1.1.3); `None` keeps the INVITE's own, which the responses to an INVITE
/// that had a To tag repeat (§8.2.6.2). See [`derived`].
pub(super) fn non_2xx_ack_of(invite: &[u8], to: Option<&str>) -> Vec<u8> {
    derived(invite, "ACK", to)
}

/// The `method` request derived from `invite` (one header field per line, no compact forms):
/// its Request-URI, its top Via alone, the [`REPEATED`] header fields in their order, To
/// replaced by `to` if given, and `CSeq: <its number> <method>`.
fn derived(invite: &[u8], method: &str, to: Option<&str>) -> Vec<u8> {
    let text = String::from_utf8_lossy(invite);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let uri = request_line.split(' ').nth(1).unwrap_or_default();
    let mut request = format!("{method} {uri} SIP/2.0\r\n");
    let mut via_seen = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("Via") {
            if !via_seen {
                let _ = write!(request, "{line}\r\n");
            }
            via_seen = true;
        } else if name.eq_ignore_ascii_case("CSeq") {
            let number = value.split_whitespace().next().unwrap_or_default();
            let _ = write!(request, "CSeq: {number} {method}\r\n");
        } else if name.eq_ignore_ascii_case("To")
            && let Some(to) = to
        {
            let _ = write!(request, "To: {to}\r\n");
        } else if REPEATED.iter().any(|kept| kept.eq_ignore_ascii_case(name)) {
            let _ = write!(request, "{line}\r\n");
        }
    }
    request.push_str("Content-Length: 0\r\n\r\n");
    request.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:bob@192.0.2.2:5060 SIP/2.0\r\n\
                          Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport\r\n\
                          Max-Forwards: 70\r\n\
                          Route: <sip:p1.example.com;lr>\r\n\
                          Route: <sip:p2.example.com;lr>\r\n\
                          From: <sip:alice@example.com>;tag=ft\r\n\
                          To: <sip:bob@example.com>\r\n\
                          Call-ID: cid@192.0.2.1\r\n\
                          CSeq: 7 INVITE\r\n\
                          Contact: <sip:alice@192.0.2.1:5060>\r\n\
                          Authorization: Digest username=\"alice\"\r\n\
                          User-Agent: ua\r\n\
                          Content-Type: application/sdp\r\n\
                          Content-Length: 4\r\n\r\nv=0\n";

    #[test]
    fn a_cancel_repeats_the_invites_identity_and_route_and_drops_the_rest() {
        let cancel = String::from_utf8(cancel_of(INVITE.as_bytes())).unwrap();
        assert_eq!(
            cancel,
            "CANCEL sip:bob@192.0.2.2:5060 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport\r\n\
             Max-Forwards: 70\r\n\
             Route: <sip:p1.example.com;lr>\r\n\
             Route: <sip:p2.example.com;lr>\r\n\
             From: <sip:alice@example.com>;tag=ft\r\n\
             To: <sip:bob@example.com>\r\n\
             Call-ID: cid@192.0.2.1\r\n\
             CSeq: 7 CANCEL\r\n\
             User-Agent: ua\r\n\
             Content-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn a_non_2xx_ack_repeats_the_invite_with_the_responses_to() {
        let ack = non_2xx_ack_of(INVITE.as_bytes(), Some("<sip:bob@example.com>;tag=tt"));
        assert_eq!(
            String::from_utf8(ack).unwrap(),
            "ACK sip:bob@192.0.2.2:5060 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport\r\n\
             Max-Forwards: 70\r\n\
             Route: <sip:p1.example.com;lr>\r\n\
             Route: <sip:p2.example.com;lr>\r\n\
             From: <sip:alice@example.com>;tag=ft\r\n\
             To: <sip:bob@example.com>;tag=tt\r\n\
             Call-ID: cid@192.0.2.1\r\n\
             CSeq: 7 ACK\r\n\
             User-Agent: ua\r\n\
             Content-Length: 0\r\n\r\n"
        );
        let own_to = String::from_utf8(non_2xx_ack_of(INVITE.as_bytes(), None)).unwrap();
        assert!(
            own_to.contains("\r\nTo: <sip:bob@example.com>\r\n"),
            "{own_to}"
        );
    }
}
