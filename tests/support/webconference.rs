//! Driving the webconference guest as SEMS's clients do: its XML-RPC
//! functions through Python's stock `xmlrpc.client`, and SIPp callers.

use super::server::{Server, base_config};
use super::sipp::{Sipp, scenario};
use super::xmlrpc::python;
use std::time::{SystemTime, UNIX_EPOCH};

/// A server whose webconference guest has `keys` (TOML lines) in its config.
pub fn server_with(keys: &str) -> Server {
    Server::start_with(&format!(
        "{}[guests.webconference.config]\n{keys}",
        base_config()
    ))
}

/// A room number no other test uses, as the GUI picks one at random.
pub fn random_room() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .subsec_nanos();
    format!("{}", 100_000 + (nanos ^ std::process::id()) % 900_000)
}

/// The result of one webconference call (`expression` on `s`), as a Python
/// literal, without the server-info string the host appends (checked to be
/// there).
pub fn wc(server: &Server, expression: &str) -> String {
    python(
        server,
        &format!(
            "r = {expression}\n\
             assert r[-1].startswith('Server: Switchyard ('), r\n\
             print(repr(r[:-1]))\n"
        ),
    )
    .trim_end()
    .to_owned()
}

/// The fault `expression` answers with, as `(code, message)`.
pub fn fault(server: &Server, expression: &str) -> String {
    python(
        server,
        &format!(
            "try:\n    print('no fault:', repr({expression}))\n\
             except xmlrpc.client.Fault as f:\n    print(repr((f.faultCode, f.faultString)))\n"
        ),
    )
    .trim_end()
    .to_owned()
}

/// `roomCreate(room)`: checks the shape and returns the new pin.
pub fn create_room(server: &Server, room: &str) -> String {
    let answer = wc(server, &format!("s.roomCreate({room:?})"));
    let pin = answer
        .strip_prefix("[0, 'OK', '")
        .and_then(|rest| rest.strip_suffix("']"))
        .unwrap_or_else(|| panic!("expected roomCreate to answer [0, 'OK', pin], got {answer}"));
    assert!(
        pin.len() == 6 && pin.chars().all(|c| c.is_ascii_digit()),
        "expected a 6-digit pin, got {pin:?}"
    );
    pin.to_owned()
}

/// Polls `roomInfo` (at most 15 s) until a participant for which the Python
/// expression `condition` (on `p`) holds is listed; returns it as a literal.
pub fn wait_for_participant(server: &Server, room: &str, pin: &str, condition: &str) -> String {
    python(
        server,
        &format!(
            "for _ in range(150):\n    \
                 r = s.roomInfo({room:?}, {pin:?})\n    \
                 found = [p for p in r[2] if {condition}]\n    \
                 if found:\n        print(repr(found[0]))\n        break\n    \
                 time.sleep(0.1)\n\
             else:\n    raise SystemExit('no participant with ' + {condition:?} + ' in %r' % (r,))\n"
        ),
    )
    .trim_end()
    .to_owned()
}

/// The call tag (first field) of a participant literal.
pub fn tag_of(participant: &str) -> String {
    participant
        .strip_prefix("['")
        .and_then(|rest| rest.split_once('\''))
        .map(|(tag, _)| tag.to_owned())
        .unwrap_or_else(|| panic!("expected a participant ['tag', …], got {participant}"))
}

/// A SIPp caller in the background: dials `000777<room>` as `caller` and
/// stays until the server sends it a BYE (`uac_wait_bye.xml`).
pub fn dial_in(server: &Server, room: &str, caller: &str) -> Sipp {
    Sipp::spawn(
        &[
            "-sf",
            &scenario("uac_wait_bye.xml"),
            "-s",
            &format!("000777{room}"),
            "-key",
            "caller",
            caller,
        ],
        Some(server.sip),
    )
}
