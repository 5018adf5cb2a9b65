//! Stock XML-RPC clients pass the token as HTTP Basic credentials (a URL's
//! `user:password@`): with a token configured, Basic whose password is the
//! token is let in like `Bearer <token>`.

mod support;

use std::process::Stdio;

use base64::Engine as _;
use support::{ECHO_CALL, LIMIT, Server, answer, request};
use switchyard_control::ServeOptions;
use switchyard_control::access::Access;
use tokio::time::timeout;

const TOKEN: &str = "a-token-of-enough-length";

const PY_CLIENT: &str = r#"
import socket, sys, xmlrpc.client as x
socket.setdefaulttimeout(10)
host = sys.argv[1]
print(x.ServerProxy("http://admin:" + sys.argv[2] + "@" + host + "/RPC2").echo("in"))
try:
    x.ServerProxy("http://admin:wrong-token-of-some-length@" + host + "/RPC2").echo("in")
except x.ProtocolError as error:
    print("refused", error.errcode)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_passes_the_token_as_a_basic_password() {
    let server = Server::start(ServeOptions {
        access: Access::token(TOKEN),
        ..ServeOptions::default()
    })
    .await;
    let child = tokio::process::Command::new("python3")
        .args(["-c", PY_CLIENT, &server.addr.to_string(), TOKEN])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 is needed to play the stock xmlrpc.client");
    let out = timeout(LIMIT, child.wait_with_output())
        .await
        .expect("the Python client did not finish in time")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["['-', 'echo', ['in']]", "refused 401"]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_on_the_xml_rpc_paths_offers_both_schemes() {
    let server = Server::start(ServeOptions {
        access: Access::token(TOKEN),
        ..ServeOptions::default()
    })
    .await;
    let xml = "Content-Type: text/xml\r\n";
    let reply = answer(server.addr, &request("POST", "/RPC2", xml, ECHO_CALL)).await;
    assert_eq!(reply.status, 401, "{}", reply.head);
    assert!(
        reply.head.contains("\r\nwww-authenticate: bearer\r\n")
            && reply
                .head
                .contains("\r\nwww-authenticate: basic realm=\"switchyard\""),
        "{}",
        reply.head
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("anyone:{TOKEN}"));
    let headers = format!("Authorization: Basic {basic}\r\n{xml}");
    let reply = answer(server.addr, &request("POST", "/RPC2", &headers, ECHO_CALL)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = answer(server.addr, &request("GET", "/api/v1/rooms", "", "")).await;
    assert_eq!(reply.status, 401, "{}", reply.head);
    assert!(
        !reply.head.contains("basic"),
        "no browser login dialog over the console: {}",
        reply.head
    );
    let headers = format!("Authorization: Basic {basic}\r\n");
    let reply = answer(server.addr, &request("GET", "/api/v1/rooms", &headers, "")).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    server.stop().await;
}
