//! Who may use the control endpoint, against the real binary: without a
//! token it listens on loopback only, and behind no reverse proxy; with one,
//! every request (REST,
//! XML-RPC, the OpenAPI document) must carry it, or the read token to read,
//! as their files hold them at the last reload (an event stream whose token a
//! reload replaced ends); HTTPS with a configured
//! certificate.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::server::{Server, base_config, binary};
use support::tools::require_python;

/// The token the tests configure.
const TOKEN: &str = "correct-horse-battery-staple";

/// The read token of [`read_token_config`].
const READ_TOKEN: &str = "staple-battery-horse-correct";

/// The tokens written over [`TOKEN`] and [`READ_TOKEN`] in their files.
const ROTATED_TOKEN: &str = "rotated-horse-battery-staple";
const ROTATED_READ_TOKEN: &str = "rotated-staple-battery-horse";

/// Runs a Python script with the control URL as its argument; its output,
/// or a panic with its error and the server's log.
fn client(server: &Server, url: &str, script: &str) -> String {
    require_python();
    let output = Command::new("python3")
        .args(["-c", script, url])
        .output()
        .expect("running python3");
    assert!(
        output.status.success(),
        "the client failed:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A Python function `status(path, token, context=None)`: the HTTP status of
/// GET `path`, with `Authorization: Bearer <token>` unless `token` is None.
const STATUS: &str = "import sys, urllib.request, urllib.error, xmlrpc.client, ssl\n\
    def status(path, token, context=None):\n\
    \x20   request = urllib.request.Request(sys.argv[1] + path)\n\
    \x20   if token is not None:\n\
    \x20       request.add_header('Authorization', 'Bearer ' + token)\n\
    \x20   try:\n\
    \x20       return urllib.request.urlopen(request, timeout=30, context=context).status\n\
    \x20   except urllib.error.HTTPError as error:\n\
    \x20       return (error.code, error.headers.get('WWW-Authenticate'), error.headers.get('Content-Type'))\n";

fn token_config(dir: &Path, extra: &str) -> String {
    let file = dir.join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    format!(
        "{}{extra}",
        base_config().replace(
            "[control]\nlisten = \"127.0.0.1:0\"\n",
            &format!(
                "[control]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"{}\"\n",
                file.display()
            )
        )
    )
}

/// [`token_config`] with `control.read_token_file` giving [`READ_TOKEN`].
fn read_token_config(dir: &Path) -> String {
    let file = dir.join("read-token");
    std::fs::write(&file, format!("{READ_TOKEN}\n")).unwrap();
    let read_token = format!("read_token_file = \"{}\"\n", file.display());
    token_config(dir, "").replace("token_file", &format!("{read_token}token_file"))
}

/// `switchyard check-config` of `config` (written to `dir`): whether it
/// passed, and what it said.
fn check_config(dir: &Path, config: &str) -> (bool, String) {
    let file = dir.join("checked.toml");
    std::fs::write(&file, config).unwrap();
    let checked = Command::new(binary())
        .arg("check-config")
        .arg(&file)
        .output()
        .unwrap();
    (
        checked.status.success(),
        String::from_utf8_lossy(&checked.stderr).into_owned(),
    )
}

#[test]
fn behind_a_reverse_proxy_a_token_is_needed_on_loopback_too() {
    let dir = tempfile::tempdir().unwrap();
    let origins = "public_origins = [\"https://switch.example\"]\n";
    let proxied = base_config().replace(
        "[control]\nlisten = \"127.0.0.1:0\"\n",
        &format!("[control]\nlisten = \"127.0.0.1:0\"\n{origins}"),
    );
    let (passed, said) = check_config(dir.path(), &proxied);
    assert!(
        !passed,
        "public origins without a token are refused: {said}"
    );
    assert!(
        said.contains("control.public_origins: a reverse proxy serves the endpoint")
            && said.contains("set control.token_file"),
        "{said}"
    );
    let with_token = token_config(dir.path(), "").replace(
        "[control]\nlisten = \"127.0.0.1:0\"\n",
        &format!("[control]\nlisten = \"127.0.0.1:0\"\n{origins}"),
    );
    let (passed, said) = check_config(dir.path(), &with_token);
    assert!(passed, "with a token they are taken: {said}");
}

#[test]
fn without_a_token_only_loopback_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let open = base_config().replace(
        "[control]\nlisten = \"127.0.0.1:0\"\n",
        "[control]\nlisten = \"0.0.0.0:0\"\n",
    );
    let (passed, said) = check_config(dir.path(), &open);
    assert!(!passed, "a non-loopback listen without a token is refused");
    assert!(
        said.contains("control.listen: 0.0.0.0:0 is not a loopback address"),
        "{said}"
    );
    std::fs::write(dir.path().join("short"), "tooshort\n").unwrap();
    let short = open.replace(
        "listen = \"0.0.0.0:0\"\n",
        &format!(
            "listen = \"0.0.0.0:0\"\ntoken_file = \"{}\"\n",
            dir.path().join("short").display()
        ),
    );
    let (passed, said) = check_config(dir.path(), &short);
    assert!(
        !passed && said.contains("control.token_file") && said.contains("at least 16"),
        "{said}"
    );
    // A Bearer header carries visible ASCII only: such a token could never be sent.
    std::fs::write(dir.path().join("accented"), "pässwörd-very-long-token\n").unwrap();
    let accented = short.replace("short", "accented");
    let (passed, said) = check_config(dir.path(), &accented);
    assert!(
        !passed && said.contains("control.token_file") && said.contains("'ä'"),
        "{said}"
    );
}

#[test]
fn with_a_token_every_request_must_carry_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&token_config(dir.path(), ""));
    let url = format!("http://{}", server.control);
    let out = client(
        &server,
        &url,
        &format!(
            "{STATUS}\
             print(status('/api/v1/rooms', None))\n\
             print(status('/api/v1/rooms', 'wrong-token-of-some-length'))\n\
             print(status('/openapi.json', None)[0])\n\
             print(status('/api/v1/rooms', '{TOKEN}'))\n\
             try:\n    xmlrpc.client.ServerProxy(sys.argv[1] + '/RPC2').calls()\n\
             except xmlrpc.client.ProtocolError as error:\n    print('xmlrpc', error.errcode)\n\
             authorized = xmlrpc.client.ServerProxy(sys.argv[1] + '/RPC2', headers=[('Authorization', 'Bearer {TOKEN}')])\n\
             print('xmlrpc', authorized.calls())\n"
        ),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "(401, 'Bearer', 'application/problem+json')",
            "(401, 'Bearer', 'application/problem+json')",
            "401",
            "200",
            "xmlrpc 401",
            "xmlrpc 0",
        ],
        "{out}"
    );
}

#[test]
fn https_serves_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let tls = format!(
        "tls_cert = \"{}\"\ntls_key = \"{}\"\n",
        cert.display(),
        key.display()
    );
    let config = token_config(dir.path(), "").replace("token_file", &format!("{tls}token_file"));
    let server = Server::start_with(&config);
    let url = format!("https://localhost:{}", server.control.port());
    let out = client(
        &server,
        &url,
        &format!(
            "{STATUS}\
             trusted = ssl.create_default_context(cafile='{}')\n\
             print(status('/api/v1/rooms', '{TOKEN}', trusted))\n\
             try:\n    status('/api/v1/rooms', '{TOKEN}', ssl.create_default_context())\n\
             except urllib.error.URLError as error:\n    print('untrusted', type(error.reason).__name__)\n\
             plain = sys.argv[1].replace('https://', 'http://')\n\
             import http.client\n\
             try:\n    urllib.request.urlopen(plain + '/api/v1/rooms', timeout=30)\n    print('plain answered')\n\
             except (ConnectionError, http.client.HTTPException) as error:\n    print('plain refused', type(error).__name__)\n",
            cert.display()
        ),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..lines.len().min(2)],
        ["200", "untrusted SSLCertVerificationError"],
        "{out}"
    );
    // Plain HTTP meets a TLS alert where a status line belongs, or a closed
    // connection: either refuses it.
    assert!(
        lines.len() == 3 && lines[2].starts_with("plain refused "),
        "{out}"
    );
}

#[test]
fn the_read_token_scrapes_metrics_and_only_the_admin_token_calls_xml_rpc() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&read_token_config(dir.path()));
    let url = format!("http://{}", server.control);
    let out = client(
        &server,
        &url,
        &format!(
            "{STATUS}\
             print(status('/metrics', '{READ_TOKEN}'))\n\
             print(status('/api/v1/rooms', '{READ_TOKEN}'))\n\
             def calls(token):\n\
             \x20   proxy = xmlrpc.client.ServerProxy(sys.argv[1] + '/RPC2', headers=[('Authorization', 'Bearer ' + token)])\n\
             \x20   try:\n\
             \x20       return proxy.calls()\n\
             \x20   except xmlrpc.client.ProtocolError as error:\n\
             \x20       challenge = {{name.lower(): value for name, value in error.headers.items()}}\n\
             \x20       return (error.errcode, challenge.get('www-authenticate'))\n\
             print('xmlrpc', calls('{READ_TOKEN}'))\n\
             print('xmlrpc', calls('{TOKEN}'))\n"
        ),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        ["200", "200", "xmlrpc (403, None)", "xmlrpc 0"],
        "{out}"
    );
}

#[test]
fn a_reload_rotates_the_tokens_written_over_in_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&read_token_config(dir.path()));
    let url = format!("http://{}", server.control);
    std::fs::write(dir.path().join("token"), format!("{ROTATED_TOKEN}\n")).unwrap();
    std::fs::write(
        dir.path().join("read-token"),
        format!("{ROTATED_READ_TOKEN}\n"),
    )
    .unwrap();
    // Asked with the token it replaces: a request let in is answered. An event stream open
    // across the reload with a token it replaces ends (its last line read within 10 s, where a
    // keep-alive comes every 15 s).
    let out = client(
        &server,
        &url,
        &format!(
            "{STATUS}\
             import json, time\n\
             events = urllib.request.Request(sys.argv[1] + '/api/v1/events?after=now')\n\
             events.add_header('Authorization', 'Bearer {READ_TOKEN}')\n\
             stream = urllib.request.urlopen(events, timeout=10)\n\
             reload = urllib.request.Request(sys.argv[1] + '/api/v1/config/reload', method='POST')\n\
             reload.add_header('Authorization', 'Bearer {TOKEN}')\n\
             with urllib.request.urlopen(reload, timeout=30) as answer:\n\
             \x20   print(answer.status, json.load(answer)['applied'])\n\
             print(status('/api/v1/rooms', '{TOKEN}'))\n\
             print(status('/api/v1/rooms', '{ROTATED_TOKEN}'))\n\
             print(status('/metrics', '{READ_TOKEN}'))\n\
             print(status('/metrics', '{ROTATED_READ_TOKEN}'))\n\
             print(status('/api/v1/rooms', '{ROTATED_READ_TOKEN}'))\n\
             deadline = time.monotonic() + 10\n\
             try:\n\
             \x20   while stream.readline():\n\
             \x20       assert time.monotonic() < deadline\n\
             \x20   print('stream ended')\n\
             except TimeoutError:\n\
             \x20   print('stream open')\n"
        ),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "200 ['[control]']",
            "(401, 'Bearer', 'application/problem+json')",
            "200",
            "(401, 'Bearer', 'application/problem+json')",
            "200",
            "200",
            "stream ended",
        ],
        "{out}"
    );
    for applied in [
        "control.token_file: changed: applied",
        "control.read_token_file: changed: applied",
    ] {
        server
            .wait_for_log(applied, Duration::from_secs(10))
            .unwrap_or_else(|log| panic!("{log}"));
    }
}
