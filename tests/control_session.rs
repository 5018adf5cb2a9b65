//! SEMS's session functions of xmlrpc2di against the real binary, with
//! Python's stock `xmlrpc.client` as the client: their shapes, the live log
//! level, the enforced limit of new calls per second (SIPp over it), and
//! `system.listMethods`.

mod support;

use std::time::{Duration, Instant};
use support::load::{Load, Outcome};
use support::phone::Phone;
use support::server::Server;
use support::xmlrpc::{python, rpc, stats};

/// The room number that puts a call straight into a room, answered.
const ROOM: &str = "000777123";

/// Prints `repr` of each expression's result, or `(faultCode, faultString)`
/// of its fault, one per line.
fn each(server: &Server, expressions: &[&str]) -> Vec<String> {
    let script: String = expressions
        .iter()
        .map(|e| {
            format!(
                "try:\n    print(repr({e}))\nexcept xmlrpc.client.Fault as f:\n    \
                 print(repr((f.faultCode, f.faultString)))\n"
            )
        })
        .collect();
    let out = python(server, &script);
    let lines: Vec<String> = out.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), expressions.len(), "{out}");
    lines
}

#[test]
fn every_session_function_answers_an_integer_and_checks_its_arguments() {
    let server = Server::start();
    let idle = each(
        &server,
        &[
            "s.get_loglevel()",
            "s.get_sessioncount()",
            "s.get_callsavg()",
            "s.get_callsmax()",
            "s.get_cpsavg()",
            "s.get_cpsmax()",
            "s.get_cpslimit()",
        ],
    );
    // The test config logs at info, and debug for switchyard's own crates.
    assert_eq!(idle, ["3", "0", "0", "0", "0", "0", "'0 0'"]);

    let phone = Phone::call(server.sip, ROOM, "alice", &[]);
    let one_call = each(
        &server,
        &[
            "s.get_sessioncount()",
            "s.get_callsmax()",
            "s.get_cpsmax()",
            "s.calls()",
        ],
    );
    assert_eq!(one_call, ["1", "1", "1", "1"]);
    phone.hang_up();

    let faults = each(
        &server,
        &[
            "s.get_cpsavg(1)",
            "s.get_sessioncount('x', 'y')",
            "s.set_cpslimit()",
            "s.set_cpslimit(-1)",
            "s.set_cpslimit('many')",
            "s.set_loglevel(1, 2)",
        ],
    );
    assert_eq!(
        faults,
        [
            "(300, 'get_cpsavg: expected 0 arguments, got 1')",
            "(300, 'get_sessioncount: expected 0 arguments, got 2')",
            "(300, 'set_cpslimit: expected 1 argument, got 0')",
            "(300, 'set_cpslimit: argument 1 (limit) must be 0 (none) or more, got -1')",
            "(300, 'set_cpslimit: argument 1 must be an integer, got string')",
            "(300, 'set_loglevel: expected 1 argument, got 2')",
        ]
    );
    // The limit round-trips; a decimal string is taken as SEMS clients send it.
    let limit = each(
        &server,
        &[
            "s.set_cpslimit(12)",
            "s.get_cpslimit()",
            "s.set_cpslimit('0')",
            "s.get_cpslimit()",
        ],
    );
    // SEMS answers its hard and current limits as one string.
    assert_eq!(limit, ["'200 OK'", "'12 12'", "'200 OK'", "'0 0'"]);
}

#[test]
fn set_loglevel_changes_what_is_logged_at_once() {
    let server = Server::start();
    let answers = each(
        &server,
        &[
            "s.set_loglevel(4)",
            "s.get_loglevel()",
            "s.set_loglevel(0)",
            "s.get_loglevel()",
            "s.set_loglevel(5)",
            "s.set_loglevel(-1)",
            "s.set_loglevel('loud')",
            "s.get_loglevel()",
        ],
    );
    let out_of_range = |n: i32| {
        format!(
            "(300, 'set_loglevel: argument 1 (level) must be 0 to 4 \
             (error, warn, info, debug, trace), got {n}')"
        )
    };
    assert_eq!(answers[..4], ["'200 OK'", "4", "'200 OK'", "0"]);
    assert_eq!(answers[4], out_of_range(5));
    assert_eq!(answers[5], out_of_range(-1));
    assert!(
        answers[6].starts_with("(300, 'set_loglevel: argument 1 must be an integer"),
        "{answers:?}"
    );
    assert_eq!(
        answers[7], "0",
        "a refused level leaves the level as it was"
    );

    // At warn, the control endpoint's debug line for each call is not
    // logged; at debug it is again.
    assert_eq!(rpc(&server, "s.set_loglevel(1)"), "'200 OK'");
    assert_eq!(rpc(&server, "s.get_sessioncount()"), "0");
    assert_eq!(rpc(&server, "s.set_loglevel(3)"), "'200 OK'");
    assert_eq!(rpc(&server, "s.get_cpslimit()"), "'0 0'");
    server
        .wait_for_log("method=\"get_cpslimit\"", Duration::from_secs(5))
        .unwrap();
    let log = server.log();
    assert!(
        !log.contains("method=\"get_sessioncount\""),
        "expected no debug line for the call made at warn:\n{log}"
    );
}

#[test]
fn new_calls_over_the_cps_limit_get_503_and_are_counted() {
    const CALLS: i64 = 40;
    const LIMIT: i64 = 5;
    let server = Server::start();
    assert_eq!(
        rpc(&server, &format!("s.set_cpslimit({LIMIT})")),
        "'200 OK'"
    );

    // 20 calls a second for 2 s, each answered call held 0.5 s; SIPp's own
    // time-out bounds the run and counts a call it cuts short as failed.
    let started = Instant::now();
    let load = Load::start(
        &server,
        &["-sn", "uac", "-s", ROOM, "-d", "500"],
        CALLS,
        20,
        Duration::from_secs(30),
    );
    let Outcome {
        status,
        successful,
        failed,
        screen,
    } = load.outcome(Duration::from_secs(40));
    let spanned = started.elapsed();
    assert_eq!(
        status.code(),
        Some(if failed > 0 { 1 } else { 0 }),
        "expected SIPp to exit 1 (some calls failed) or 0 (none did), not with a fatal \
         error (255), with {failed} failed calls:\n{screen}"
    );
    assert_eq!(
        successful + failed,
        CALLS,
        "expected each of the {CALLS} calls to end, successful or failed:\n{screen}"
    );

    let stats = stats(&server);
    let refused = stats.get("refused_rate_limited");
    assert_eq!(
        refused, failed,
        "expected every call SIPp saw fail to be one refused over the limit;\n{screen}\n{stats:?}"
    );
    // At most LIMIT in each second the calls touched, which the server counts
    // from its first call: the whole seconds they spanned and the one begun.
    // The first LIMIT calls are admitted whenever they come.
    let seconds = spanned.as_secs() as i64 + 1;
    let admitted = CALLS - refused;
    eprintln!("{admitted} calls admitted, {refused} refused with 503, over {spanned:?}");
    assert!(
        (LIMIT..=LIMIT * seconds).contains(&admitted),
        "expected {LIMIT} to {} calls admitted over {spanned:?}, got {admitted};\n{screen}",
        LIMIT * seconds
    );
    assert_eq!(rpc(&server, "s.get_cpsmax()"), LIMIT.to_string());
    let average: i64 = rpc(&server, "s.get_cpsavg()").parse().unwrap();
    let asked_after = started.elapsed();
    // The average is over the 10 s up to the question: every admitted call
    // counts while the first came less than 10 s before it, and LIMIT of them
    // make it 1 at least.
    if asked_after < Duration::from_secs(10) {
        assert_eq!(
            average,
            (admitted + 5) / 10,
            "get_cpsavg() after {admitted} calls admitted within 10 s"
        );
    } else {
        assert!(
            (0..=LIMIT).contains(&average),
            "get_cpsavg() = {average}, asked {asked_after:?} after the calls started"
        );
    }
}

#[test]
fn a_call_over_the_limit_is_told_to_retry_after_a_second() {
    let server = Server::start();
    assert_eq!(rpc(&server, "s.set_cpslimit(1)"), "'200 OK'");
    // Five INVITEs within milliseconds: at most two fall in different
    // seconds, so at least three are refused.
    let mut phones: Vec<Phone> = (0..5)
        .map(|i| Phone::dial(server.sip, ROOM, &format!("caller{i}"), &[]))
        .collect();
    let codes: Vec<u16> = phones.iter_mut().map(Phone::await_answer).collect();
    let refused: Vec<&Phone> = phones
        .iter()
        .zip(&codes)
        .filter(|(_, code)| **code == 503)
        .map(|(phone, _)| phone)
        .collect();
    assert!(refused.len() >= 3, "expected 3 or more 503s, got {codes:?}");
    for phone in &refused {
        assert_eq!(phone.final_answer_header("Retry-After"), Some("1"));
    }
    assert_eq!(
        stats(&server).get("refused_rate_limited"),
        refused.len() as i64
    );
    for (phone, code) in phones.into_iter().zip(codes) {
        if code == 200 {
            phone.hang_up();
        }
    }
}

#[test]
fn list_methods_names_every_function_answered() {
    let server = Server::start();
    let listed = rpc(&server, "s.system.listMethods()");
    for name in [
        "calls",
        "di",
        "get_callsavg",
        "get_callsmax",
        "get_cpsavg",
        "get_cpslimit",
        "get_cpsmax",
        "get_loglevel",
        "get_sessioncount",
        "get_shutdownmode",
        "getRoomPassword",
        "guestList",
        "guestLoad",
        "listRooms",
        "roomInfo",
        "serverInfo",
        "set_cpslimit",
        "set_loglevel",
        "set_shutdownmode",
        "stats",
        "system.listMethods",
        "system.multicall",
    ] {
        assert!(listed.contains(&format!("'{name}'")), "{name} in {listed}");
    }
    // Each name listed is answered: called with no arguments, a value, a
    // fault about its arguments, or one about the server's state (409:
    // `switchyard.recordings` without a recording directory), never
    // "unknown method" (504) or "unknown interface" (500).
    let out = python(
        &server,
        "for name in s.system.listMethods():\n    \
         try:\n        getattr(s, name)()\n        print(name, 'ok')\n    \
         except xmlrpc.client.Fault as f:\n        print(name, f.faultCode)\n",
    );
    assert_eq!(
        out.lines().count(),
        listed.matches(',').count() + 1,
        "{out}"
    );
    for line in out.lines() {
        assert!(
            line.ends_with(" ok")
                || line.ends_with(" 300")
                || line.ends_with(" 400")
                || line == "switchyard.recordings 409",
            "{out}"
        );
    }
    let faults = each(
        &server,
        &["s.system.methodHelp('calls')", "s.system.listMethods(1)"],
    );
    assert_eq!(
        faults,
        [
            "(504, \"unknown method name 'system.methodHelp'\")",
            "(300, 'system.listMethods: expected 0 arguments, got 1')",
        ]
    );
}

#[test]
fn shutdown_mode_refuses_new_calls_and_lets_the_calls_up_go_on() {
    let server = Server::start();
    let up = Phone::call(server.sip, ROOM, "early", &[]);
    let answers = each(
        &server,
        &[
            "s.get_shutdownmode()",
            "s.set_shutdownmode(True)",
            "s.get_shutdownmode()",
            "s.set_shutdownmode('yes')",
        ],
    );
    assert_eq!(
        answers,
        [
            "False",
            "'200 OK'",
            "True",
            "(300, 'set_shutdownmode: argument 1 must be a boolean, got string')",
        ]
    );
    let mut refused = Phone::dial(server.sip, ROOM, "late", &[]);
    assert_eq!(refused.await_answer(), 503, "a new call in shutdown mode");
    assert_eq!(
        stats(&server).get("refused_shutting_down"),
        1,
        "counted as refused while shutting down"
    );
    assert!(
        !up.await_bye(Duration::from_secs(1)),
        "the call up before goes on"
    );
    assert_eq!(rpc(&server, "s.set_shutdownmode(0)"), "'200 OK'");
    let mut admitted = Phone::dial(server.sip, ROOM, "later", &[]);
    assert_eq!(admitted.await_answer(), 200, "a new call once it is off");
    admitted.hang_up();
    up.hang_up();
}

#[test]
fn a_multicall_answers_each_call_in_turn_and_any_path_takes_xml_rpc() {
    let server = Server::start();
    let out = python(
        &server,
        "print(s.system.multicall([\n\
         \x20   {'methodName': 'set_cpslimit', 'params': [3]},\n\
         \x20   {'methodName': 'get_cpslimit', 'params': []},\n\
         \x20   {'methodName': 'nothing', 'params': []},\n\
         \x20   {'methodName': 'system.multicall', 'params': [[]]},\n\
         ]))\n\
         m = xmlrpc.client.MultiCall(s)\n\
         m.get_cpslimit()\n\
         m.get_sessioncount()\n\
         print(list(m()))\n\
         other = xmlrpc.client.ServerProxy(sys.argv[1].replace('/RPC2', '/control'))\n\
         print(other.get_cpslimit())\n",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "[['200 OK'], ['3 3'], {'faultCode': 504, 'faultString': 'unknown method name: nothing'}, \
             {'faultCode': 300, 'faultString': 'system.multicall: calls may not be nested'}]",
            "['3 3', 0]",
            "3 3",
        ],
        "{out}"
    );
}
