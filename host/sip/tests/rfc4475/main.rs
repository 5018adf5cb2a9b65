//! The torture messages of RFC 4475 §3.1 (3.1.1 valid, 3.1.2 invalid), each sent to the
//! endpoint from a peer, handled as the RFC says: valid requests answered as the endpoint
//! answers their method, invalid ones refused with the response naming the problem, broken
//! responses dropped; none panics, and every transaction they start ends.
//!
//! The `.dat` files beside this one are the messages, byte for byte (CRLF line ends, the NUL,
//! BEL and DEL of §3.1.1.2, the binary body of §3.1.1.11), with the RFC's `<allOneLine>`,
//! `<hex>` and `<repeat>` notation (§2) expanded. They are IETF Trust material, reproduced as
//! the test vectors the RFC publishes them to be.
//!
//! Where §3.1.2 lets an element be liberal (3.1.2.7-15), the endpoint is strict and answers
//! 400. No valid message is refused: there is no known deviation.

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
    /// A response no transaction waits for: dropped and counted as stray.
    Stray,
    /// A response with an unreadable mandatory header: dropped and counted as malformed.
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
        Answer("SIP/2.0 400 Malformed CSeq header"),
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
        Answer("SIP/2.0 400 Malformed Date header"),
        "strict"
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
];

/// The peer the messages come from; responses go to its address, at the port of the Via.
const PEER: &str = "192.0.2.1:5060";

/// Sends `case`'s message, checks what the endpoint did, then lets every timer run out.
fn run(case: &Case, seed: u64) {
    let what = format!("RFC 4475 §{} {} ({})", case.section, case.name, case.why);
    // Calls are rejected at once, so their INVITE transaction ends too.
    let reject: Shell = Box::new(|ep, now, event| {
        if let Event::IncomingCall(call) = event {
            ep.reject(now, call.call, 486, "Busy Here").unwrap();
        }
    });
    let mut sim = Sim::new(Net::perfect(seed), seed, reject);
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
        Answer(status_line) => {
            assert_eq!(sim.first_lines(), [status_line], "{what}");
            assert!(events.is_empty(), "{what}: {events:?}");
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
fn every_rfc_4475_section_3_1_message_is_handled_as_the_rfc_says() {
    for (seed, case) in (50..).zip(CASES) {
        run(case, seed);
    }
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
    assert_eq!(sections.len(), 13 + 19, "every section of 3.1.1 and 3.1.2");
}
