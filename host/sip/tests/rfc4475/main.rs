//! The torture messages of RFC 4475 §3 (3.1.1 valid, 3.1.2 invalid, 3.2 transaction layer,
//! 3.3 application layer, 3.4 backward compatibility), each sent to the endpoint from a peer,
//! handled as the RFC says for a user agent that is no proxy and no registrar: valid requests
//! answered as the endpoint answers their method, invalid ones refused with the response naming
//! the problem, broken or misdirected responses dropped; none panics, and every transaction
//! they start ends.
//!
//! The `.dat` files beside this one are the messages, byte for byte (CRLF line ends, the NUL,
//! BEL and DEL of §3.1.1.2, the binary body of §3.1.1.11), with the RFC's `<allOneLine>`,
//! `<hex>` and `<repeat>` notation (§2) expanded; those of §3.2 to §3.4 are the files of the
//! RFC's Appendix A archive, which match its text. They are IETF Trust material, reproduced as
//! the test vectors the RFC publishes them to be.
//!
//! Where §3.1.2 lets an element be liberal (3.1.2.7-15), the endpoint is strict and answers
//! 400, but for the Date of 3.1.2.12, which it does not read. Where §3.2 and §3.3 offer a
//! choice, the row says which answer is taken and why. No valid message is refused: there is
//! no known deviation.

#[path = "../common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use switchyard_sip::Event;

/// What the endpoint does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A valid INVITE with a usable offer: 100 Trying and an incoming call.
    Call,
    /// The one response, by its status line.
    Answer(&'static str),
    /// The one response, by its status line, with a header line it must carry.
    AnswerWith(&'static str, &'static str),
    /// A response no transaction waits for: dropped and counted as stray.
    Stray,
    /// A response with an unreadable mandatory header, or not ours: dropped and counted as
    /// malformed.
    MalformedResponse,
    /// No SIP message: dropped and counted as unparseable.
    Unparseable,
}

use Expect::*;

/// One message of the RFC and what is expected of it.
struct Case {
    name: &'static str,
    section: &'static str,
    bytes: &'static [u8],
    expect: Expect,
    /// Why, where it is not plain.
    why: &'static str,
}

const METHOD_NOT_ALLOWED: Expect = Answer("SIP/2.0 405 Method Not Allowed");
const UNSUPPORTED_URI_SCHEME: Expect = Answer("SIP/2.0 416 Unsupported URI Scheme");

macro_rules! case {
    ($name:literal, $section:literal, $expect:expr, $why:literal) => {
        Case {
            name: $name,
            section: $section,
            bytes: include_bytes!(concat!($name, ".dat")),
            expect: $expect,
            why: $why,
        }
    };
}

const CASES: &[Case] = &[
    // §3.1.1 Valid Messages.
    case!(
        "wsinv",
        "3.1.1.1",
        Answer("SIP/2.0 481 Call/Transaction Does Not Exist"),
        "read through folding, LWS and compact forms; its To tag names no dialog (§12.2.2)"
    ),
    case!(
        "intmeth",
        "3.1.1.2",
        METHOD_NOT_ALLOWED,
        "an extension method (§8.2.1)"
    ),
    case!("esc01", "3.1.1.3", Call, ""),
    case!(
        "escnull",
        "3.1.1.4",
        METHOD_NOT_ALLOWED,
        "REGISTER is not implemented"
    ),
    case!(
        "esc02",
        "3.1.1.5",
        METHOD_NOT_ALLOWED,
        "RE%47IST%45R is an extension method"
    ),
    case!("lwsdisp", "3.1.1.6", Answer("SIP/2.0 200 OK"), ""),
    case!("longreq", "3.1.1.7", Call, ""),
    case!(
        "dblreq",
        "3.1.1.8",
        METHOD_NOT_ALLOWED,
        "the REGISTER; the INVITE after its Content-Length is discarded (§18.3)"
    ),
    case!("semiuri", "3.1.1.9", Answer("SIP/2.0 200 OK"), ""),
    case!("transports", "3.1.1.10", Answer("SIP/2.0 200 OK"), ""),
    case!(
        "mpart01",
        "3.1.1.11",
        METHOD_NOT_ALLOWED,
        "MESSAGE is not implemented"
    ),
    case!("unreason", "3.1.1.12", Stray, "a valid response"),
    case!("noreason", "3.1.1.13", Stray, "a valid response"),
    // §3.1.2 Invalid Messages.
    case!(
        "badinv01",
        "3.1.2.1",
        Answer("SIP/2.0 400 Malformed Via header"),
        ""
    ),
    case!(
        "clerr",
        "3.1.2.2",
        Answer("SIP/2.0 400 Content-Length larger than message body"),
        ""
    ),
    case!(
        "ncl",
        "3.1.2.3",
        Answer("SIP/2.0 400 Malformed Content-Length header"),
        ""
    ),
    case!(
        "scalar02",
        "3.1.2.4",
        Answer("SIP/2.0 400 CSeq number out of range"),
        ""
    ),
    case!("scalarlg", "3.1.2.5", MalformedResponse, ""),
    case!(
        "quotbal",
        "3.1.2.6",
        Answer("SIP/2.0 400 Malformed To header"),
        ""
    ),
    case!(
        "ltgtruri",
        "3.1.2.7",
        Answer("SIP/2.0 400 Malformed Request-URI"),
        "strict"
    ),
    case!(
        "lwsruri",
        "3.1.2.8",
        Answer("SIP/2.0 400 Malformed Request-Line"),
        "strict"
    ),
    case!(
        "lwsstart",
        "3.1.2.9",
        Answer("SIP/2.0 400 Malformed Request-Line"),
        "strict"
    ),
    case!(
        "trws",
        "3.1.2.10",
        Answer("SIP/2.0 400 Malformed Request-Line"),
        "strict"
    ),
    case!(
        "escruri",
        "3.1.2.11",
        Answer("SIP/2.0 400 Malformed Request-URI"),
        "strict"
    ),
    case!(
        "baddate",
        "3.1.2.12",
        Call,
        "a Date in EST, not GMT: the endpoint never reads the Date, and the RFC advises against \
         refusing one then"
    ),
    case!(
        "regbadct",
        "3.1.2.13",
        Answer("SIP/2.0 400 Malformed Contact header"),
        "strict"
    ),
    case!(
        "badaspec",
        "3.1.2.14",
        Answer("SIP/2.0 400 Malformed To header"),
        "strict"
    ),
    case!(
        "baddn",
        "3.1.2.15",
        Answer("SIP/2.0 400 Malformed From header"),
        "strict"
    ),
    case!(
        "badvers",
        "3.1.2.16",
        Answer("SIP/2.0 505 Version Not Supported"),
        ""
    ),
    case!(
        "mismatch01",
        "3.1.2.17",
        Answer("SIP/2.0 400 CSeq method does not match request method"),
        ""
    ),
    case!(
        "mismatch02",
        "3.1.2.18",
        Answer("SIP/2.0 400 CSeq method does not match request method"),
        "the RFC prefers 501 and accepts 400"
    ),
    case!("bigcode", "3.1.2.19", Unparseable, ""),
    // §3.2 Transaction Layer Semantics.
    case!(
        "badbranch",
        "3.2.1",
        Answer("SIP/2.0 200 OK"),
        "a branch of the bare magic cookie identifies no transaction, so the RFC 2543 rules \
         match it (§17.2.3); the RFC also allows 400, but the fallback serves a peer that \
         works otherwise and keeps its requests apart however many share that branch"
    ),
    // §3.3 Application-Layer Semantics.
    case!(
        "insuf",
        "3.3.1",
        Answer("SIP/2.0 400 Missing From header"),
        "no From, To, Call-ID or Max-Forwards"
    ),
    case!("unkscm", "3.3.2", UNSUPPORTED_URI_SCHEME, "§8.2.2.1"),
    case!(
        "novelsc",
        "3.3.3",
        UNSUPPORTED_URI_SCHEME,
        "the endpoint takes no soap.beep URI at all, so 416 rather than the RFC's 404 for \
         schemes an element takes some URIs of"
    ),
    case!(
        "unksm2",
        "3.3.4",
        METHOD_NOT_ALLOWED,
        "its isbn:, http: and name: URIs are valid; REGISTER is not implemented"
    ),
    case!(
        "bext01",
        "3.3.5",
        AnswerWith(
            "SIP/2.0 420 Bad Extension",
            "Unsupported: nothingSupportsThis, nothingSupportsThisEither"
        ),
        "a UAS ignores Proxy-Require (§8.2.2.3)"
    ),
    case!(
        "invut",
        "3.3.6",
        AnswerWith(
            "SIP/2.0 415 Unsupported Media Type",
            "Accept: application/sdp"
        ),
        "§8.2.3"
    ),
    case!(
        "regaut01",
        "3.3.7",
        METHOD_NOT_ALLOWED,
        "the RFC's answer from an endpoint that is no registrar"
    ),
    case!(
        "multi01",
        "3.3.8",
        Answer("SIP/2.0 400 Multiple CSeq headers"),
        "To, From, Call-ID and Max-Forwards repeat too; the first repeated is named"
    ),
    case!(
        "mcl01",
        "3.3.9",
        Answer("SIP/2.0 400 Conflicting Content-Length headers"),
        "over UDP the rest of the datagram is discarded; over TCP the framer closes the \
         connection"
    ),
    case!(
        "bcast",
        "3.3.10",
        MalformedResponse,
        "a response with a second Via is for no UA (§8.1.3.3), whatever the broadcast sent-by"
    ),
    case!(
        "zeromf",
        "3.3.11",
        Answer("SIP/2.0 200 OK"),
        "an endpoint answers OPTIONS whatever its Max-Forwards"
    ),
    case!(
        "cparam01",
        "3.3.12",
        METHOD_NOT_ALLOWED,
        "REGISTER is not implemented"
    ),
    case!(
        "cparam02",
        "3.3.13",
        METHOD_NOT_ALLOWED,
        "REGISTER is not implemented"
    ),
    case!(
        "regescrt",
        "3.3.14",
        METHOD_NOT_ALLOWED,
        "REGISTER is not implemented"
    ),
    case!(
        "sdp01",
        "3.3.15",
        Answer("SIP/2.0 406 Accept header excludes application/sdp"),
        "the answer could be given in no type the peer accepts; 406 names that, where the \
         RFC's other choice, 400, would not"
    ),
    // §3.4 Backward Compatibility.
    case!(
        "inv2543",
        "3.4.1",
        Call,
        "no branch, From tag, Content-Length, Max-Forwards or Contact: the RFC 2543 rules \
         match its transaction and its From URI is the remote target"
    ),
];

/// The peer the messages come from; responses go to its address, at the port of the Via.
const PEER: &str = "192.0.2.1:5060";

/// A simulation whose shell rejects every call at once with 486, so that its INVITE
/// transaction ends too.
fn rejecting(seed: u64) -> Sim {
    let reject: Shell = Box::new(|ep, now, event| {
        if let Event::IncomingCall(call) = event {
            ep.reject(now, call.call, 486, "Busy Here").unwrap();
        }
    });
    Sim::new(Net::perfect(seed), seed, reject)
}

/// The message of the table named `name`, as text.
fn message(name: &str) -> &'static str {
    let case = CASES.iter().find(|c| c.name == name).expect("in the table");
    std::str::from_utf8(case.bytes).expect("UTF-8")
}

/// Sends `text` from the peer and lets 100 ms pass.
fn send(sim: &mut Sim, text: &str) {
    sim.send_from(addr(PEER), text.as_bytes().to_vec());
    sim.run_for(Duration::from_millis(100));
}

/// Sends `case`'s message, checks what the endpoint did, then lets every timer run out.
fn run(case: &Case, seed: u64) {
    let what = format!("RFC 4475 §{} {} ({})", case.section, case.name, case.why);
    let mut sim = rejecting(seed);
    sim.send_from(addr(PEER), case.bytes.to_vec());
    sim.run_for(Duration::from_millis(100));
    for (_, text) in &sim.sent {
        assert!(
            rsip::SipMessage::try_from(text.as_bytes()).is_ok(),
            "{what}: the endpoint sent unparseable SIP: {text:?}"
        );
    }
    let stats = sim.ep.stats();
    let events = sim.event_names();
    match case.expect {
        Call => {
            assert_eq!(
                sim.first_lines(),
                ["SIP/2.0 100 Trying", "SIP/2.0 486 Busy Here"],
                "{what}"
            );
            assert_eq!(events[..1], ["IncomingCall"], "{what}");
        }
        Answer(status_line) | AnswerWith(status_line, _) => {
            assert_eq!(sim.first_lines(), [status_line], "{what}");
            assert!(events.is_empty(), "{what}: {events:?}");
            if let AnswerWith(_, header) = case.expect {
                let response = &sim.sent[0].1;
                assert!(
                    response.contains(&format!("\r\n{header}\r\n")),
                    "{what}: no {header:?} in {response:?}"
                );
            }
        }
        Stray | MalformedResponse | Unparseable => {
            assert!(sim.sent.is_empty(), "{what}: {:?}", sim.first_lines());
            let counted = match case.expect {
                Stray => stats.dropped_stray_responses,
                MalformedResponse => stats.dropped_malformed_responses,
                _ => stats.dropped_unparseable,
            };
            assert_eq!(counted, 1, "{what}: {stats:?}");
        }
    }
    sim.settle();
    assert_eq!(
        (
            sim.ep.active_transactions(),
            sim.ep.active_calls(),
            sim.ep.poll_timeout()
        ),
        (0, 0, None),
        "{what}: something was left running"
    );
}

#[test]
fn every_rfc_4475_message_is_handled_as_the_rfc_says() {
    for (seed, case) in (50..).zip(CASES) {
        run(case, seed);
    }
}

#[test]
fn the_rfc_2543_invite_is_matched_by_the_rfc_2543_rules() {
    let mut sim = rejecting(7);
    let invite = message("inv2543");
    send(&mut sim, invite);
    send(&mut sim, invite);
    // The retransmission gets the final response again and makes no second call.
    assert_eq!(
        sim.first_lines(),
        [
            "SIP/2.0 100 Trying",
            "SIP/2.0 486 Busy Here",
            "SIP/2.0 486 Busy Here"
        ]
    );
    assert_eq!(sim.event_names(), ["IncomingCall", "CallEnded(Rejected)"]);
    assert_eq!(sim.ep.stats().request_retransmissions_received, 1);
    // §17.1.1.3 as an RFC 2543 peer builds it: no branch, the To of the response.
    let to = sim.sent[1]
        .1
        .lines()
        .find(|l| l.starts_with("To:"))
        .unwrap();
    let ack = format!(
        "ACK sip:UserB@example.com SIP/2.0\r\nVia: SIP/2.0/UDP iftgw.example.com\r\n\
         From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n{to}\r\n\
         Call-ID: inv2543.1717@ift.client.example.com\r\nCSeq: 56 ACK\r\n\r\n"
    );
    send(&mut sim, &ack);
    sim.run_for(Duration::from_secs(40));
    // Matched: the 486 is retransmitted no more (Timer G) and the transaction ends.
    assert_eq!(sim.first_lines().len(), 3, "{:?}", sim.first_lines());
    assert_eq!(sim.ep.stats().dropped_acks, 0);
    assert_eq!(
        (sim.ep.active_transactions(), sim.ep.poll_timeout()),
        (0, None)
    );
}

#[test]
fn a_branch_of_the_bare_magic_cookie_is_matched_by_the_rfc_2543_rules() {
    let mut sim = rejecting(8);
    let first = message("badbranch");
    // A new request from the same peer, with the same bare-cookie branch.
    let next = first.replace("CSeq: 8 OPTIONS", "CSeq: 9 OPTIONS");
    for text in [first, &next, first] {
        send(&mut sim, text);
    }
    assert_eq!(sim.first_lines(), ["SIP/2.0 200 OK"; 3]);
    // Only the third, the first sent again, is taken for a retransmission.
    assert_eq!(sim.ep.stats().request_retransmissions_received, 1);
}

#[test]
fn the_table_covers_every_message_file_once() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rfc4475");
    let files: BTreeSet<String> = std::fs::read_dir(dir)
        .expect("the RFC 4475 directory")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".dat")?.to_owned())
        })
        .collect();
    let cases: BTreeSet<String> = CASES.iter().map(|c| c.name.to_owned()).collect();
    assert_eq!(cases.len(), CASES.len(), "a message is in the table twice");
    assert_eq!(files, cases, "message files and table entries differ");
    let sections: BTreeSet<&str> = CASES.iter().map(|c| c.section).collect();
    assert_eq!(
        sections.len(),
        13 + 19 + 1 + 15 + 1,
        "every section of 3.1.1, 3.1.2, 3.2, 3.3 and 3.4"
    );
}
