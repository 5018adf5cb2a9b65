//! Our Contact in a dialog a SIPS request created (RFC 3261 §12.1.1): a SIPS URI in every
//! response and target refresh of the dialog when its INVITE came over TLS with a SIPS
//! Request-URI, top Record-Route or (without Record-Route) Contact; a `sip:` one naming TLS
//! otherwise. The endpoint is driven message by message, with no network between.

use std::time::Instant;

use switchyard_sip::testing::{addr, audio_offer, epoch};
use switchyard_sip::{CallKey, Endpoint, EndpointConfig, Event, OfferMethod, Transport};

/// The endpoint's TLS listener.
const EP: &str = "127.0.0.1:5061";
/// The caller's end of its connection.
const CALLER: &str = "127.0.0.1:40001";
/// Our Contact in a SIPS dialog.
const SIPS_CONTACT: &str = "<sips:127.0.0.1:5061>";
/// Our Contact in a dialog over TLS that asked for no SIPS URI.
const TLS_CONTACT: &str = "<sip:127.0.0.1:5061;transport=tls>";

/// A caller over TLS (or `transport`) and the endpoint it calls.
struct Caller {
    ep: Endpoint,
    now: Instant,
    transport: Transport,
}

impl Caller {
    fn over(transport: Transport) -> Self {
        let config = EndpointConfig {
            user_agent: "switchyard-test".into(),
        };
        Self {
            ep: Endpoint::new(config, 7),
            now: epoch(),
            transport,
        }
    }

    fn over_tls() -> Self {
        Self::over(Transport::Tls)
    }

    /// Hands `text` to the endpoint as a message from the caller; returns what it sent back.
    fn send(&mut self, text: &str) -> Vec<String> {
        self.ep.handle_message(
            self.now,
            self.transport,
            addr(EP),
            addr(CALLER),
            text.as_bytes(),
        );
        self.sent()
    }

    /// What the endpoint sent since last asked, as text.
    fn sent(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.ep.poll_transmit())
            .map(|t| String::from_utf8(t.payload).unwrap())
            .collect()
    }

    /// Sends the INVITE for `request_uri` with the caller's Contact URI `contact` and the
    /// header lines `extra`; returns the call the endpoint reports.
    fn invite(&mut self, request_uri: &str, contact: &str, extra: &str) -> CallKey {
        let sent = self.send(&request(
            &format!("INVITE {request_uri}"),
            "1 INVITE",
            None,
            &format!("Contact: <{contact}>\r\n{extra}"),
            &audio_offer(addr("127.0.0.1:6000")),
        ));
        assert!(sent[0].starts_with("SIP/2.0 100 "), "{sent:?}");
        std::iter::from_fn(|| self.ep.poll_event())
            .find_map(|event| match event {
                Event::IncomingCall(call) => Some(call.call),
                _ => None,
            })
            .expect("an incoming call")
    }

    /// Answers `call`; returns the 200.
    fn answer(&mut self, call: CallKey) -> String {
        self.ep.answer(self.now, call, answer()).unwrap();
        let sent = self.sent();
        assert!(sent[0].starts_with("SIP/2.0 200 "), "{sent:?}");
        sent[0].clone()
    }

    /// Acknowledges `ok`, the 200 to the INVITE: the call is confirmed.
    fn ack(&mut self, ok: &str) {
        self.send(&request(
            "ACK sip:127.0.0.1:5061",
            "1 ACK",
            Some(to_tag(ok)),
            "",
            "",
        ));
        let confirmed = std::iter::from_fn(|| self.ep.poll_event())
            .any(|event| matches!(event, Event::CallConfirmed { .. }));
        assert!(confirmed, "the ACK confirms the call");
    }

    /// A call from a SIPS INVITE over TLS, answered and confirmed, whose INVITE allows UPDATE.
    fn confirmed_sips() -> (Self, CallKey, String) {
        let mut this = Self::over_tls();
        let call = this.invite(
            "sips:conf@127.0.0.1:5061",
            "sips:alice@127.0.0.1:40001",
            "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE\r\n",
        );
        let ok = this.answer(call);
        this.ack(&ok);
        let tag = to_tag(&ok).to_owned();
        (this, call, tag)
    }
}

/// A request from the caller with the start `start` (method and Request-URI), the CSeq value
/// `cseq`, our To tag `to_tag` if any, the header lines `extra` and `body` as SDP.
fn request(start: &str, cseq: &str, to_tag: Option<&str>, extra: &str, body: &str) -> String {
    let to_tag = to_tag.map(|tag| format!(";tag={tag}")).unwrap_or_default();
    let content_type = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    let branch = cseq.replace(' ', "-");
    format!(
        "{start} SIP/2.0\r\nVia: SIP/2.0/TLS {CALLER};branch=z9hG4bK-{branch};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sips:alice@127.0.0.1>;tag=caller\r\n\
         To: <sips:conf@127.0.0.1>{to_tag}\r\nCall-ID: sips-call@127.0.0.1\r\nCSeq: {cseq}\r\n\
         {extra}{content_type}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A G.711 answer with RTP on loopback.
fn answer() -> String {
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
     m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        .to_owned()
}

/// The value of the header `name` in the message `text`.
fn header<'a>(text: &'a str, name: &str) -> &'a str {
    let prefix = format!("{name}: ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// The To tag of the response `text`.
fn to_tag(text: &str) -> &str {
    header(text, "To")
        .split_once(";tag=")
        .map(|(_, tag)| tag)
        .expect("a To tag")
}

#[test]
fn a_sips_invite_over_tls_gets_a_sips_contact_in_its_180_and_200() {
    let mut tls = Caller::over_tls();
    let call = tls.invite("sips:conf@127.0.0.1:5061", "sip:alice@127.0.0.1:40001", "");
    tls.ep
        .progress(tls.now, call, 180, "Ringing", None)
        .unwrap();
    let ringing = tls.sent();
    assert!(ringing[0].starts_with("SIP/2.0 180 "), "{ringing:?}");
    assert_eq!(header(&ringing[0], "Contact"), SIPS_CONTACT, "{ringing:?}");
    let ok = tls.answer(call);
    assert_eq!(header(&ok, "Contact"), SIPS_CONTACT, "{ok}");
}

#[test]
fn a_sips_top_record_route_asks_for_a_sips_contact() {
    let mut tls = Caller::over_tls();
    let call = tls.invite(
        "sip:conf@127.0.0.1:5061",
        "sip:alice@127.0.0.1:40001",
        "Record-Route: <sips:127.0.0.1:40001;lr>, <sip:127.0.0.2;lr>\r\n",
    );
    assert_eq!(header(&tls.answer(call), "Contact"), SIPS_CONTACT);
}

#[test]
fn a_sips_contact_asks_for_one_only_without_record_route() {
    let mut alone = Caller::over_tls();
    let call = alone.invite("sip:conf@127.0.0.1:5061", "sips:alice@127.0.0.1:40001", "");
    assert_eq!(header(&alone.answer(call), "Contact"), SIPS_CONTACT);
    // §12.1.1: the top Record-Route, a `sip:` one, decides.
    let mut routed = Caller::over_tls();
    let call = routed.invite(
        "sip:conf@127.0.0.1:5061",
        "sips:alice@127.0.0.1:40001",
        "Record-Route: <sip:127.0.0.1:40001;transport=tls;lr>\r\n",
    );
    assert_eq!(header(&routed.answer(call), "Contact"), TLS_CONTACT);
}

#[test]
fn a_sip_invite_over_tls_keeps_a_sip_contact_naming_tls() {
    let mut tls = Caller::over_tls();
    let call = tls.invite(
        "sip:conf@127.0.0.1:5061;transport=tls",
        "sip:alice@127.0.0.1:40001;transport=tls",
        "",
    );
    tls.ep
        .progress(tls.now, call, 180, "Ringing", None)
        .unwrap();
    let ringing = tls.sent();
    assert_eq!(header(&ringing[0], "Contact"), TLS_CONTACT, "{ringing:?}");
    assert_eq!(header(&tls.answer(call), "Contact"), TLS_CONTACT);
}

#[test]
fn a_sips_record_route_over_tcp_keeps_a_sip_contact() {
    // A SIPS Contact would send the caller to TLS where the endpoint was reached over TCP.
    let mut tcp = Caller::over(Transport::Tcp);
    let call = tcp.invite(
        "sip:conf@127.0.0.1:5061",
        "sips:alice@127.0.0.1:40001",
        "Record-Route: <sips:127.0.0.1:40001;lr>\r\n",
    );
    assert_eq!(
        header(&tcp.answer(call), "Contact"),
        "<sip:127.0.0.1:5061;transport=tcp>"
    );
}

#[test]
fn our_re_invite_and_update_in_a_sips_dialog_carry_a_sips_contact() {
    let (mut tls, call, _) = Caller::confirmed_sips();
    tls.ep.reoffer(tls.now, call, answer()).unwrap();
    let reinvite = tls.sent();
    assert!(reinvite[0].starts_with("INVITE "), "{reinvite:?}");
    assert_eq!(
        header(&reinvite[0], "Contact"),
        SIPS_CONTACT,
        "{reinvite:?}"
    );

    let (confirmed, call, _) = Caller::confirmed_sips();
    let mut tls = Caller {
        ep: confirmed.ep.with_offer_method(OfferMethod::Update),
        ..confirmed
    };
    tls.ep.reoffer(tls.now, call, answer()).unwrap();
    let update = tls.sent();
    assert!(update[0].starts_with("UPDATE "), "{update:?}");
    assert_eq!(header(&update[0], "Contact"), SIPS_CONTACT, "{update:?}");
}

#[test]
fn the_200s_to_the_callers_update_and_re_invite_in_a_sips_dialog_carry_a_sips_contact() {
    let (mut tls, call, tag) = Caller::confirmed_sips();
    let sent = tls.send(&request(
        "UPDATE sips:127.0.0.1:5061",
        "2 UPDATE",
        Some(&tag),
        "Contact: <sips:alice@127.0.0.1:40001>\r\n",
        "",
    ));
    assert!(sent[0].starts_with("SIP/2.0 200 "), "{sent:?}");
    assert_eq!(header(&sent[0], "Contact"), SIPS_CONTACT, "{sent:?}");
    // A re-INVITE with an offer, which the application accepts.
    tls.send(&request(
        "INVITE sips:127.0.0.1:5061",
        "3 INVITE",
        Some(&tag),
        "Contact: <sips:alice@127.0.0.1:40001>\r\n",
        &audio_offer(addr("127.0.0.1:6002")),
    ));
    tls.ep.accept_offer(tls.now, call, answer()).unwrap();
    let sent = tls.sent();
    assert!(sent[0].starts_with("SIP/2.0 200 "), "{sent:?}");
    assert_eq!(header(&sent[0], "Contact"), SIPS_CONTACT, "{sent:?}");
}
