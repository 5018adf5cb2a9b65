//! Abuse against the real binary. From the network: a SIPVicious-style scan
//! (OPTIONS, REGISTER and INVITE sweeps) learns nothing beyond what is
//! configured, and a flood from one source is rate-limited and counted while
//! other sources get through. From a guest (the `misbehave` test guest): texts
//! of a mebibyte are refused before the host keeps or logs them, and dials
//! refused in a loop leave one log line.

mod support;

use std::time::{Duration, Instant};
use support::ports;
use support::raw_peer::RawPeer;
use support::server::{Server, base_config, misbehave_config};
use support::xmlrpc::stats;

/// How long an answer may take.
const ANSWER_WAIT: Duration = Duration::from_secs(3);

/// How long a client waits for an answer before it sends its request again
/// (RFC 3261 §17.1.2.2: Timer E starts at T1, 500 ms).
const RETRANSMIT_INTERVAL: Duration = Duration::from_millis(500);

/// How long the server may take, after a flood, to have answered or dropped all of it.
const FLOOD_SETTLED: Duration = Duration::from_secs(10);

/// A request from `peer` as SIPVicious sends it: its own User-Agent, a fresh
/// branch and Call-ID per probe.
fn probe(
    peer: &RawPeer,
    server: &Server,
    method: &str,
    user: &str,
    n: usize,
    body: &str,
) -> String {
    let (local, server) = (peer.local_addr(), server.sip);
    let content_type = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    format!(
        "{method} sip:{user}@{server} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bK-scan-{n};rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"{user}\" <sip:{user}@{server}>;tag=scan{n}\r\n\
         To: \"{user}\" <sip:{user}@{server}>\r\n\
         Call-ID: scan-{n}@{local}\r\n\
         CSeq: 1 {method}\r\n\
         Contact: <sip:{user}@{local}>\r\n\
         User-Agent: friendly-scanner\r\n\
         Accept: application/sdp\r\n\
         {content_type}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// `line` with every `word` that stands alone (not within a longer word, as 100 is in
/// `100rel`) replaced by `with`.
fn standing_alone(line: &str, word: &str, with: &str) -> String {
    assert!(!word.is_empty(), "an empty word stands nowhere");
    let joined = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let mut replaced = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(word) {
        let (before, after) = (&rest[..at], &rest[at + word.len()..]);
        replaced.push_str(before);
        let within = joined(before.chars().next_back()) || joined(after.chars().next());
        replaced.push_str(if within { word } else { with });
        rest = after;
    }
    replaced.push_str(rest);
    replaced
}

/// An answer with what differs from probe to probe (the probe's own
/// identifiers, the server's tags) taken out: what a scanner learns. The
/// `ports` (the scanner's and the server's) go first, so that a user whose
/// number is part of one does not change it.
fn fingerprint(answer: &str, user: &str, n: usize, ports: [u16; 2]) -> String {
    answer
        .lines()
        .map(|line| {
            let line = ports
                .iter()
                .fold(line.to_owned(), |line, port| {
                    line.replace(&port.to_string(), "PORT")
                })
                .replace(&format!("-{n}"), "-N");
            let line = standing_alone(&line, user, "USER");
            let line = line.replace(&format!("scan{n}"), "scanN");
            match line.split_once(";tag=") {
                Some((head, _)) if line.starts_with("To:") => format!("{head};tag=…"),
                _ => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                   m=audio 9 RTP/AVP 0\r\n";

#[test]
fn a_sipvicious_style_scan_learns_nothing_beyond_what_is_configured() {
    let server = Server::start();
    let scanner = RawPeer::new(server.sip);
    let users: Vec<String> = (100..110)
        .map(|n| n.to_string())
        .chain(["admin", "000777123", "sems", "1000"].map(String::from))
        .collect();
    for method in ["OPTIONS", "REGISTER", "INVITE"] {
        let mut seen: Vec<String> = Vec::new();
        for (n, user) in users.iter().enumerate() {
            let body = if method == "INVITE" { SDP } else { "" };
            scanner.send(probe(&scanner, &server, method, user, n, body).as_bytes());
            let answer = scanner.final_answer().unwrap_or_else(|| {
                panic!("no answer to {method} for {user}; log:\n{}", server.log())
            });
            for header in ["Server:", "User-Agent:"] {
                assert!(
                    !answer.lines().any(|l| l.starts_with(header)),
                    "the answer to {method} names the product ({header}):\n{answer}"
                );
            }
            let status = answer.lines().next().unwrap_or("").to_owned();
            if method == "INVITE" {
                // Every number is answered the same way (room entry by
                // keypad, or a direct room): nothing tells a user from none.
                assert!(
                    status.starts_with("SIP/2.0 200"),
                    "{method} {user}: {answer}"
                );
                hang_up(&scanner, &server, &answer, user, n);
                seen.push(status);
            } else {
                let ports = [scanner.local_addr().port(), server.sip.port()];
                seen.push(fingerprint(&answer, user, n, ports));
            }
        }
        seen.dedup();
        assert_eq!(
            seen.len(),
            1,
            "{method} answers tell users apart:\n{}",
            seen.join("\n---\n")
        );
        eprintln!("{method}: every probe answered\n{}", seen[0]);
    }
    assert!(
        stats(&server).get("sip_dropped_rate_limited") == 0,
        "a scan at this pace is not a flood"
    );
}

/// ACKs a 200 to the scanner's INVITE and hangs the call up.
fn hang_up(scanner: &RawPeer, server: &Server, answer: &str, user: &str, n: usize) {
    let to = answer
        .lines()
        .find(|l| l.starts_with("To:"))
        .expect("a To header");
    let (local, server) = (scanner.local_addr(), server.sip);
    for (cseq, method) in [(1, "ACK"), (2, "BYE")] {
        let request = format!(
            "{method} sip:{user}@{server} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch=z9hG4bK-scan-{n}-{method};rport\r\n\
             Max-Forwards: 70\r\n\
             From: \"{user}\" <sip:{user}@{server}>;tag=scan{n}\r\n\
             {to}\r\n\
             Call-ID: scan-{n}@{local}\r\n\
             CSeq: {cseq} {method}\r\n\
             Content-Length: 0\r\n\r\n"
        );
        scanner.send(request.as_bytes());
    }
    let answer = scanner.final_answer().expect("an answer to the BYE");
    assert!(answer.starts_with("SIP/2.0 200"), "BYE: {answer}");
}

#[test]
fn a_flood_from_one_source_is_dropped_and_counted_while_other_sources_get_through() {
    const LIMIT: usize = 20;
    const FLOOD: usize = 400;
    let config = base_config().replace(
        "[sip]\n",
        &format!("[sip]\nmax_requests_per_source_per_second = {LIMIT}\n"),
    );
    let server = Server::start_with(&config);
    let flooder = RawPeer::new(server.sip);
    let kernel_drops = || ports::udp_drops(server.pid(), server.sip.port());
    let dropped_before = kernel_drops();
    let started = Instant::now();
    for n in 0..FLOOD {
        flooder.send(probe(&flooder, &server, "OPTIONS", "100", n, "").as_bytes());
        // 2,000 a second: a flood 100 times over the limit.
        if n % 10 == 9 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let sent_in = started.elapsed();
    // A server not scheduled for a while leaves the flood to its socket's
    // receive buffer, and the kernel drops what does not fit: those the
    // server never saw are counted apart. Over loopback a datagram is queued
    // or dropped within its send.
    let kernel_dropped = (kernel_drops() - dropped_before) as usize;
    // Meanwhile another source is answered, retransmitting as a client
    // transaction does (RFC 3261 §17.1.2.2) while the buffer is full.
    let other = RawPeer::on("127.0.0.2", server.sip);
    other.wait_at_most(RETRANSMIT_INTERVAL);
    let request = probe(&other, &server, "OPTIONS", "100", 0, "");
    let answer = (0..ANSWER_WAIT.div_duration_f64(RETRANSMIT_INTERVAL) as usize)
        .find_map(|_| {
            other.send(request.as_bytes());
            other.final_answer()
        })
        .unwrap_or_else(|| {
            panic!(
                "another source is not answered during the flood; log:\n{}",
                server.log()
            )
        });
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");

    flooder.wait_at_most(Duration::from_millis(1));
    let mut answered = 0;
    let mut dropped = 0;
    server.await_value(
        "requests answered, dropped and counted, or dropped by the kernel",
        &FLOOD,
        FLOOD_SETTLED,
        || {
            answered += std::iter::from_fn(|| flooder.final_answer()).count();
            dropped = stats(&server).get("sip_dropped_rate_limited") as usize;
            answered + dropped + kernel_dropped
        },
    );
    let spanned = started.elapsed();
    eprintln!(
        "{FLOOD} OPTIONS sent in {sent_in:?}: {answered} answered, {dropped} dropped and counted, \
         {kernel_dropped} dropped by the kernel, {spanned:?} in all"
    );
    assert!(dropped > 0, "the server counts what it drops");
    // So the server took each request within the time measured: the limit's
    // bucket gave its second's worth at once and LIMIT a second over that time.
    let most = LIMIT + (spanned.as_secs_f64() * LIMIT as f64).ceil() as usize;
    assert!(
        answered <= most,
        "{answered} of {FLOOD} flooding requests were answered over {spanned:?}, \
         limit {LIMIT}/s: at most {most}"
    );
}

#[test]
fn dial_outs_are_held_to_the_allowlist_and_the_rate() {
    let config = format!(
        "{}[dialout]\nallow = '^sip:ok-[0-9]+@127\\.0\\.0\\.1:9$'\nmax_per_second = 2\n",
        base_config()
    );
    let server = Server::start_with(&config);
    let caller = support::phone::Phone::call(server.sip, "000777555", "inside", &[]);
    // The last line: the seconds from before the first allowed dial to after
    // the last.
    let answers = support::xmlrpc::python(
        &server,
        "def out(uri):\n\
         \x20   try:\n\
         \x20       return 'placed ' + s.switchyard.dialout('555', uri)\n\
         \x20   except xmlrpc.client.Fault as f:\n\
         \x20       return 'fault: ' + f.faultString\n\
         print(out('sip:0900123456@127.0.0.1:9'))\n\
         started = time.monotonic()\n\
         for n in range(5): print(out('sip:ok-%d@127.0.0.1:9' % n))\n\
         print(time.monotonic() - started)\n",
    );
    let mut lines: Vec<&str> = answers.lines().collect();
    assert_eq!(lines.len(), 7, "{answers}");
    let spanned: f64 = lines.pop().unwrap().parse().expect("seconds");
    assert!(
        lines[0].contains("sip:0900123456@127.0.0.1:9 is not allowed by dialout.allow"),
        "a number off the allowlist is refused: {answers}"
    );
    assert!(
        lines[1].starts_with("placed c"),
        "an allowed number is placed: {answers}"
    );
    // At 2 a second of the seconds the five dials touched (the server counts
    // from its first: the whole seconds they spanned and the one begun), and
    // the first two whenever they come; the rest are refused for the rate.
    let most = 2 * (spanned.trunc() as usize + 1);
    let placed = lines[1..]
        .iter()
        .filter(|l| l.starts_with("placed c"))
        .count();
    let over_rate = lines[1..]
        .iter()
        .filter(|l| l.contains("more than dialout.max_per_second (2) calls placed this second"))
        .count();
    assert!(
        (2..=most).contains(&placed) && placed + over_rate == 5,
        "expected 2 to {most} placed over {spanned} s, the rest refused for the rate:\n{answers}"
    );
    server
        .wait_for_log(
            "call not placed: sip:0900123456@127.0.0.1:9 is not allowed",
            ANSWER_WAIT,
        )
        .unwrap();
    caller.hang_up();
}

/// The final answer to an INVITE from a fresh peer to `user`; panics with the server's log
/// if there is none.
fn invite_answer(server: &Server, user: &str) -> String {
    let peer = RawPeer::new(server.sip);
    peer.send(probe(&peer, server, "INVITE", user, 0, SDP).as_bytes());
    peer.final_answer()
        .unwrap_or_else(|| panic!("no answer to {user}; log:\n{}", server.log()))
}

#[test]
fn a_guest_s_texts_of_a_mebibyte_are_refused_before_the_host_keeps_or_logs_them() {
    let server = Server::start_with(&misbehave_config());
    // Listings in a room, and dials (one into a room), each with a text of a mebibyte, and a
    // rejection with a reason phrase of 257 bytes.
    let answer = invite_answer(&server, "long-texts");
    assert!(
        answer.starts_with("SIP/2.0 400"),
        "the host took some of them: {}",
        answer.lines().next().unwrap_or_default()
    );
    let log = server.log();
    let longest = log
        .lines()
        .max_by_key(|line| line.len())
        .unwrap_or_default();
    assert!(
        longest.len() < 64 << 10,
        "a log line of {} bytes: {}…",
        longest.len(),
        longest.chars().take(200).collect::<String>()
    );
}

#[test]
fn a_guest_dialing_in_a_loop_against_the_dial_out_policy_leaves_one_log_line() {
    let config = format!("{}[dialout]\nallow = '^sip:allowed@'\n", misbehave_config());
    let server = Server::start_with(&config);
    // A thousand dials to a URI the allowlist refuses, in one call into the guest.
    let answer = invite_answer(&server, "refused-dials");
    assert!(answer.starts_with("SIP/2.0 403"), "{answer}");
    server
        .wait_for_log(
            "call not placed: sip:refused@192.0.2.9 is not allowed by dialout.allow",
            ANSWER_WAIT,
        )
        .unwrap();
    let lines = server.log().matches("call not placed").count();
    assert_eq!(lines, 1, "the refusals are logged {lines} times");
}
