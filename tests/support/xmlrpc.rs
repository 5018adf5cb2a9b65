//! XML-RPC against the server, with Python's stock `xmlrpc.client` as the
//! client (as SEMS's own tools use it).

use super::server::Server;
use super::tools::{output_within, require_python};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

/// The longest a script may run: each of its requests times out at 30 s, and no script
/// of the tests makes more than a few hundred.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(300);

/// What every script starts with: `s`, a proxy for the server's control URL
/// (the script's first argument), and a socket timeout so that no request
/// waits for ever.
const PRELUDE: &str = "import sys, time, socket, xmlrpc.client\n\
                       socket.setdefaulttimeout(30)\n\
                       s = xmlrpc.client.ServerProxy(sys.argv[1])\n";

/// Runs `script` (after [`PRELUDE`]) against `server`; returns what it
/// printed. Panics, with Python's error and the server's log, if it failed.
pub fn python(server: &Server, script: &str) -> String {
    require_python();
    let url = format!("http://{}/RPC2", server.control);
    let output = output_within(
        Command::new("python3").args(["-c", &format!("{PRELUDE}{script}"), &url]),
        SCRIPT_DEADLINE,
        "the Python XML-RPC client",
    );
    assert!(
        output.status.success(),
        "expected the Python XML-RPC client to succeed; it failed:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    String::from_utf8(output.stdout).expect("Python prints UTF-8")
}

/// The Python `repr` of one XML-RPC expression on `s`, e.g. `s.mute("c1")`.
pub fn rpc(server: &Server, expression: &str) -> String {
    python(server, &format!("print(repr({expression}))"))
        .trim_end()
        .to_owned()
}

/// `calls()`: the number of active calls.
pub fn calls(server: &Server) -> i64 {
    let answer = rpc(server, "s.calls()");
    answer
        .parse()
        .unwrap_or_else(|e| panic!("expected calls() to return an integer, got {answer:?}: {e}"))
}

/// The host's `stats()` struct.
#[derive(Clone, Debug)]
pub struct Stats(pub BTreeMap<String, i64>);

impl Stats {
    /// One member; panics if `stats()` has no such member.
    pub fn get(&self, name: &str) -> i64 {
        *self
            .0
            .get(name)
            .unwrap_or_else(|| panic!("expected stats() to have a member {name:?}: {self:?}"))
    }
}

/// Parses lines of `name value` as a [`Stats`].
pub fn parse_stats(text: &str) -> Stats {
    Stats(
        text.lines()
            .filter_map(|line| {
                let (name, value) = line.split_once(' ')?;
                Some((name.to_owned(), value.trim().parse().ok()?))
            })
            .collect(),
    )
}

/// The Python statement that prints `stats()` as [`parse_stats`] reads it.
/// The `stats()` members counting what the host holds for calls until they end, and lets go
/// of once they have: their guest instances, placed calls' records not yet given to their
/// guest, RTP sockets reserved for legs, and the event stream's rooms of calls.
pub const HELD_FOR_CALLS: [&str; 4] = [
    "guest_instances",
    "placed_calls_unannounced",
    "rtp_sockets_pending",
    "event_calls_in_rooms",
];

pub const PRINT_STATS: &str = "for k, v in s.stats().items(): print(k, v)\n";

/// `stats()`, now.
pub fn stats(server: &Server) -> Stats {
    parse_stats(&python(server, PRINT_STATS))
}

/// Live calls per guest name, one entry per version, as `guestList()` shows them.
pub fn live_calls(server: &Server) -> Vec<(String, i64)> {
    python(
        server,
        "for v in s.guestList():\n    print(v['name'], v['live_calls'])\n",
    )
    .lines()
    .map(|line| {
        let (name, live) = line.split_once(' ').expect("name and count");
        (name.to_owned(), live.parse().expect("a count"))
    })
    .collect()
}

/// Polls `guestList()` until its live calls per guest are `expected`, at most `deadline`.
pub fn await_live_calls(server: &Server, expected: &[(&str, i64)], deadline: Duration) {
    let expected: Vec<(String, i64)> = expected
        .iter()
        .map(|(name, live)| ((*name).to_owned(), *live))
        .collect();
    server.await_value("live calls", &expected, deadline, || live_calls(server));
}
