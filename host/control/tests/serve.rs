//! The endpoint end to end: Python's stock `xmlrpc.client.ServerProxy` against `serve`, and
//! raw HTTP for the bad-input cases. Every wait is bounded.

mod support;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{
    ECHO_CALL, HttpReply, LIMIT, Server, TestDispatcher, assert_alive, assert_fault,
    assert_problem, parse_reply, post, raw, request,
};
use switchyard_control::{DispatchFuture, Dispatcher, MetricsSource, Route, ServeOptions, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::time::timeout;

const PY_CLIENT: &str = r#"
import socket, sys, xmlrpc.client as x
socket.setdefaulttimeout(10)
base = sys.argv[1]
p = x.ServerProxy(base, allow_none=True)        # POSTs to /RPC2
q = x.ServerProxy(base + "/", allow_none=True)  # POSTs to /
def norm(v):
    if isinstance(v, x.Binary): return ("base64", v.data)
    if isinstance(v, x.DateTime): return ("dateTime", v.value)
    if isinstance(v, list): return [norm(i) for i in v]
    if isinstance(v, dict): return {k: norm(i) for k, i in v.items()}
    return v
def show(f, *a):
    try:
        print(repr(norm(f(*a))))
    except x.Fault as e:
        print(repr(("fault", e.faultCode, e.faultString)))
show(p.di, "webconference", "roomInfo", "room1", "1234")
show(p.webconference.roomInfo, "room1", "1234")
show(q.roomInfo, "room1", "1234")
show(p.fail)
show(p.webconference.fail)
show(p.di, "webconference")
show(p.di, 7, "roomInfo")
show(q.echo, 1, True, 2.5, "s&<>", x.Binary(b"\x00\xff"), x.DateTime("20260618T00:02:01"),
     [1, {"a": None, "b": []}], "h\u00e9llo")
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_three_spellings_and_faults() {
    let server = Server::start(ServeOptions::default()).await;
    let url = format!("http://{}", server.addr);
    let child = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(PY_CLIENT)
        .arg(&url)
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("python3 is needed to play the stock xmlrpc.client against serve: {e}")
        });
    let out = timeout(LIMIT, child.wait_with_output())
        .await
        .expect("the Python client did not finish in time")
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "python3 failed: {}\nstderr:\n{}\nstdout:\n{stdout}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = [
        "['webconference', 'roomInfo', ['room1', '1234']]",
        "['webconference', 'roomInfo', ['room1', '1234']]",
        "['-', 'roomInfo', ['room1', '1234']]",
        "('fault', 504, \"unknown method name 'fail'\")",
        "('fault', 504, \"unknown method name 'fail'\")",
        "('fault', 400, 'di needs at least 2 parameters (interface, function), got 1')",
        "('fault', 400, 'di: the interface name must be a string, got int')",
        "['-', 'echo', [1, True, 2.5, 's&<>', ('base64', b'\\x00\\xff'), \
         ('dateTime', '20260618T00:02:01'), [1, {'a': None, 'b': []}], 'héllo']]",
    ];
    let printed: Vec<&str> = stdout.lines().collect();
    assert_eq!(printed, expected, "python printed:\n{stdout}");
    assert_alive(server.addr).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_http_gets_clear_answers_and_the_server_keeps_serving() {
    let server = Server::start(ServeOptions::default()).await;
    let addr = server.addr;
    assert_alive(addr).await;

    // Wrong HTTP method (GET / is the web console).
    let reply = raw(
        addr,
        b"DELETE / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(reply.status, 405);
    assert!(
        reply.head.contains("\r\nallow: get, head, post"),
        "{}",
        reply.head
    );
    assert_alive(addr).await;
    let reply = raw(
        addr,
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(reply.head.contains("text/html"), "{}", reply.head);
    assert_alive(addr).await;
    let reply = raw(
        addr,
        b"PUT /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(reply.status, 405);
    assert_alive(addr).await;

    // Any other path takes a POSTed methodCall, as SEMS's server reads no path; it has
    // nothing else to GET.
    let reply = raw(addr, &post("/control", ECHO_CALL)).await;
    assert_eq!(reply.status, 200);
    let reply = raw(
        addr,
        b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(reply.status, 404);
    assert_problem(&reply, "REST is under /api/v1");
    assert_alive(addr).await;

    // Not XML at all, and XML that is not a methodCall.
    let reply = raw(addr, &post("/", "garbage \u{1} <<<")).await;
    assert_fault(&reply, -32700, "parse error: ");
    assert_alive(addr).await;
    let reply = raw(
        addr,
        &post("/", "<methodResponse><params/></methodResponse>"),
    )
    .await;
    assert_fault(
        &reply,
        -32700,
        "parse error: expected &lt;methodCall&gt;, found &lt;methodResponse&gt;",
    );
    assert_alive(addr).await;
    let reply = raw(addr, &post("/", "")).await;
    assert_fault(&reply, -32700, "parse error: ");
    assert_alive(addr).await;

    // A declared body over the limit is refused before it is read.
    let reply = raw(
        addr,
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n\
          Content-Length: 2097152\r\n\r\n<methodCall>",
    )
    .await;
    assert_eq!(reply.status, 413);
    assert!(
        reply.body.contains("\"detail\":\"request body too large\""),
        "a problem: {}",
        reply.body
    );
    assert_alive(addr).await;

    // A chunked body that grows over the limit is cut off at it.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.split();
    let writer = async {
        let _ = wr
            .write_all(
                b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n\
                  Transfer-Encoding: chunked\r\n\r\n",
            )
            .await;
        let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
        for _ in 0..24 {
            if wr.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
        let _ = wr.write_all(b"0\r\n\r\n").await;
    };
    let mut buf = Vec::new();
    let reader = async {
        let _ = rd.read_to_end(&mut buf).await;
    };
    timeout(LIMIT, async { tokio::join!(writer, reader) })
        .await
        .expect("oversized chunked body was not answered");
    let reply = parse_reply(&buf);
    assert_eq!(reply.status, 413);
    assert_alive(addr).await;

    // A dispatcher that panics is an internal-error fault.
    let panic_call = "<methodCall><methodName>panic</methodName><params></params></methodCall>";
    let reply = raw(addr, &post("/RPC2", panic_call)).await;
    assert_fault(&reply, -32603, "internal error");
    assert_alive(addr).await;

    // A query string does not change the path.
    let reply = raw(addr, &post("/RPC2?x=1", ECHO_CALL)).await;
    assert_eq!(reply.status, 200);

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_time_out_without_blocking_others() {
    const SLOW_TIMEOUT: Duration = Duration::from_millis(1500);
    let server = Server::start(ServeOptions {
        header_read_timeout: SLOW_TIMEOUT,
        body_read_timeout: SLOW_TIMEOUT,
        ..ServeOptions::default()
    })
    .await;
    let addr = server.addr;

    // Headers that never finish.
    let started = Instant::now();
    let mut slow_head = TcpStream::connect(addr).await.unwrap();
    slow_head
        .write_all(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    // A connection that never sends anything.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    // A body that never finishes.
    let mut slow_body = TcpStream::connect(addr).await.unwrap();
    slow_body
        .write_all(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n\
              Content-Length: 100\r\n\r\n<methodCall>",
        )
        .await
        .unwrap();

    // Others are served meanwhile. A good call held up by the slow ones would be served
    // only once they time out: served before their timeout, it did not wait on them. (The
    // bound is the timeout itself, not a speed the call must reach.)
    assert_alive(addr).await;
    assert!(
        started.elapsed() < SLOW_TIMEOUT,
        "a good call waited on slow ones: served after {:?}, past their {SLOW_TIMEOUT:?} timeout",
        started.elapsed()
    );

    for (name, stream) in [("slow headers", &mut slow_head), ("idle", &mut idle)] {
        let mut buf = Vec::new();
        let _ = timeout(Duration::from_secs(5), stream.read_to_end(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("{name} connection was not closed"));
        let text = String::from_utf8_lossy(&buf);
        assert!(
            buf.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{name}: {text:?}"
        );
    }
    let mut buf = Vec::new();
    let _ = timeout(Duration::from_secs(5), slow_body.read_to_end(&mut buf))
        .await
        .expect("slow body connection was not closed");
    assert_eq!(parse_reply(&buf).status, 408);
    assert!(started.elapsed() >= Duration::from_millis(1400));

    assert_alive(addr).await;
    server.stop().await;
}

/// [`TestDispatcher`], telling `started` whenever a call reaches it: a test
/// waits for that to know a call is in flight.
struct Announcing {
    started: Arc<Notify>,
}

impl Dispatcher for Announcing {
    fn dispatch(&self, route: Route) -> DispatchFuture<'_> {
        // A permit is kept for a waiter that comes later.
        self.started.notify_one();
        static INNER: TestDispatcher = TestDispatcher;
        INNER.dispatch(route)
    }
}

/// A server of [`Announcing`] with `options`, and what it notifies.
async fn announcing_server(options: ServeOptions) -> (Server, Arc<Notify>) {
    let started = Arc::new(Notify::new());
    let dispatcher = Arc::new(Announcing {
        started: Arc::clone(&started),
    });
    (
        Server::serving("127.0.0.1:0", dispatcher, options).await,
        started,
    )
}

/// Waits, at most [`LIMIT`], until a call has reached the dispatcher.
async fn call_in_flight(started: &Notify) {
    timeout(LIMIT, started.notified())
        .await
        .expect("the call did not reach the dispatcher");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight() {
    let (server, started) = announcing_server(ServeOptions::default()).await;
    let addr = server.addr;
    // An idle keep-alive connection must not hold shutdown up.
    let _idle = TcpStream::connect(addr).await.unwrap();
    let slow_call = "<methodCall><methodName>slow</methodName></methodCall>";
    let in_flight = tokio::spawn(async move { raw(addr, &post("/", slow_call)).await });
    call_in_flight(&started).await;

    let took = server.stop().await;
    let reply = timeout(LIMIT, in_flight).await.unwrap().unwrap();
    assert_eq!(reply.status, 200);
    assert!(
        reply.body.contains("<string>slow done</string>"),
        "{}",
        reply.body
    );
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    // No longer accepting.
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_is_bounded_by_the_grace_period() {
    const GRACE: Duration = Duration::from_millis(300);
    let (server, started) = announcing_server(ServeOptions {
        shutdown_grace: GRACE,
        ..ServeOptions::default()
    })
    .await;
    let addr = server.addr;
    let hang_call = "<methodCall><methodName>hang</methodName></methodCall>";
    let hung = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(&post("/", hang_call)).await.unwrap();
        let mut buf = Vec::new();
        let _ = timeout(LIMIT, stream.read_to_end(&mut buf)).await;
        buf
    });
    call_in_flight(&started).await;
    let took = server.stop().await;
    // The call in flight is given the whole grace period, and no more.
    assert!(
        took >= GRACE && took < Duration::from_secs(2),
        "shutdown took {took:?}"
    );
    // The hung call's connection is dropped without an answer.
    let buf = timeout(LIMIT, hung).await.unwrap().unwrap();
    assert!(buf.is_empty(), "{}", String::from_utf8_lossy(&buf));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_defaults_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, Arc::new(TestDispatcher), async move {
        let _ = stopped.await;
    }));
    assert_alive(addr).await;
    let _ = stop.send(());
    timeout(LIMIT, task).await.unwrap().unwrap().unwrap();
}

/// What [`TestMetrics`] renders.
const RENDERED: &str = "# HELP up Up.\n# TYPE up gauge\nup 1\n";

/// Renders one fixed gauge.
struct TestMetrics;

impl MetricsSource for TestMetrics {
    fn render(&self) -> String {
        RENDERED.to_owned()
    }
}

/// A server serving [`TestMetrics`], with `options` otherwise.
async fn metrics_server(options: ServeOptions) -> Server {
    Server::start(ServeOptions {
        metrics: Some(Arc::new(TestMetrics)),
        ..options
    })
    .await
}

/// `GET /metrics` with the extra header lines `headers` (each ending in CRLF).
async fn get_metrics(addr: SocketAddr, headers: &str) -> HttpReply {
    let request =
        format!("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n");
    raw(addr, request.as_bytes()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_by_get_only_when_a_source_is_given() {
    let server = metrics_server(ServeOptions::default()).await;
    let reply = get_metrics(server.addr, "").await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    assert!(
        reply
            .head
            .contains("content-type: text/plain; version=0.0.4; charset=utf-8"),
        "{}",
        reply.head
    );
    assert_eq!(reply.body, RENDERED);
    let reply = raw(
        server.addr,
        b"POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(reply.status, 405, "{}", reply.head);
    assert!(reply.head.contains("allow: get"), "{}", reply.head);
    assert_alive(server.addr).await;
    server.stop().await;

    let server = Server::start(ServeOptions::default()).await;
    let reply = get_metrics(server.addr, "").await;
    assert_eq!(reply.status, 404, "{}", reply.head);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_take_the_bearer_token_like_every_request() {
    const TOKEN: &str = "a-token-of-enough-length";
    let server = metrics_server(ServeOptions {
        access: switchyard_control::access::Access::token(TOKEN),
        ..ServeOptions::default()
    })
    .await;
    let reply = get_metrics(server.addr, "").await;
    assert_eq!(reply.status, 401, "{}", reply.head);
    let reply = get_metrics(server.addr, &format!("Authorization: Bearer {TOKEN}\r\n")).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    assert_eq!(reply.body, RENDERED);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_page_opens_without_the_token_and_nothing_else_does() {
    const TOKEN: &str = "a-token-of-enough-length";
    let server = Server::start(ServeOptions {
        access: switchyard_control::access::Access::token(TOKEN),
        ..ServeOptions::default()
    })
    .await;
    let page = raw(
        server.addr,
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        (page.status, page.head.contains("text/html")),
        (200, true),
        "{}",
        page.head
    );
    // No other site may frame it (clickjacking).
    assert!(page.head.contains("x-frame-options: deny"), "{}", page.head);
    assert!(
        page.head
            .contains("content-security-policy: frame-ancestors 'none'"),
        "{}",
        page.head
    );
    let xmlrpc = raw(server.addr, &post("/", "<methodCall/>")).await;
    assert_eq!(xmlrpc.status, 401, "{}", xmlrpc.head);
    // A 405 on / names the methods it takes.
    let put = raw(
        server.addr,
        format!(
            "PUT / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(put.status, 405, "{}", put.head);
    assert!(put.head.contains("allow: get, head, post"), "{}", put.head);
    assert_problem(&put, "XML-RPC takes POST");
    server.stop().await;
}

#[tokio::test]
async fn a_busy_server_is_503_over_rest_and_its_fault_over_xmlrpc() {
    let server = Server::start(ServeOptions::default()).await;
    let rest = raw(server.addr, &request("GET", "/api/v1/rooms/busy", "", "")).await;
    assert_eq!(rest.status, 503, "{}", rest.body);
    assert!(rest.head.contains("\r\nretry-after: 1"), "{}", rest.head);
    assert_problem(&rest, "busy: every test slot is in use");
    // SEMS's clients get the fault they always got.
    let busy_call = ECHO_CALL.replace("alive", "busy");
    let xmlrpc = raw(server.addr, &post("/RPC2", &busy_call)).await;
    assert_fault(&xmlrpc, -32603, "busy: every test slot is in use");
    server.stop().await;
}
