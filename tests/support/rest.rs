//! REST requests to the control API from Python's standard library, in scripts run as
//! [`python`] runs them.

use super::server::Server;
use super::xmlrpc::python;

/// What every REST script starts with: `rest(method, path, body=None)` returns the status,
/// the content type and the decoded JSON of the answer, and for an error the `Allow` header.
const REST: &str = "import json, urllib.request, urllib.error\n\
    base = sys.argv[1].rsplit('/', 1)[0]\n\
    def rest(method, path, body=None):\n\
    \x20   data = None if body is None else json.dumps(body).encode()\n\
    \x20   request = urllib.request.Request(base + path, data=data, method=method)\n\
    \x20   request.add_header('Content-Type', 'application/json')\n\
    \x20   try:\n\
    \x20       with urllib.request.urlopen(request, timeout=30) as answer:\n\
    \x20           return answer.status, answer.headers['Content-Type'], json.loads(answer.read())\n\
    \x20   except urllib.error.HTTPError as error:\n\
    \x20       return error.code, error.headers['Content-Type'], json.loads(error.read()), error.headers.get('Allow')\n";

/// Runs `body` against `server` with `rest` defined (see [`REST`]) beside the XML-RPC client
/// `s`; returns what it printed. Panics, as [`python`] does, if it failed.
pub fn rest_script(server: &Server, body: &str) -> String {
    python(server, &format!("{REST}{body}"))
}

/// The rooms `server` has, empty ones too, sorted, as its REST API lists them (a Python
/// list's text). A webconference `roomInfo` of a room that is gone opens it anew, as SEMS's
/// does; this only looks.
pub fn host_rooms(server: &Server) -> String {
    rest_script(
        server,
        "print(sorted(r['room'] for r in rest('GET', '/api/v1/rooms')[2]))",
    )
    .trim_end()
    .to_owned()
}
