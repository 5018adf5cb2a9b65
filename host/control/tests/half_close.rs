//! A client that closes its sending side once it has sent its request (a TCP half-close:
//! `shutdown(SHUT_WR)`, as `nc -N`, scripts and health checks do) still reads the whole
//! answer; one that closes it before the request is whole is closed at once. The server's
//! timeouts are far longer than any wait of these tests, so a connection that ends within
//! one was ended by the half-close.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use support::{
    ECHO_CALL, HttpReply, LIMIT, Server, assert_body, large_string, narrow, parse_reply,
    read_slowly, request,
};
use switchyard_control::ServeOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The server's header, body and write-stall timeouts: far longer than [`LIMIT`], the longest
/// any wait of these tests takes, so none of them ends a connection while a test waits on it.
const TIMEOUT: Duration = Duration::from_secs(3600);

/// How much the slow client takes at a time, every [`EVERY`]: through its 4 KiB receive
/// buffer, in many small reads, while most of the answer waits in the server's writes.
const SIP: u64 = 64 * 1024;

/// How often the slow client takes [`SIP`]: the 8 MiB answer takes it about a second.
const EVERY: Duration = Duration::from_millis(5);

/// A server whose timeouts are [`TIMEOUT`], with `options` otherwise.
async fn server_with(options: ServeOptions) -> Server {
    Server::start(ServeOptions {
        header_read_timeout: TIMEOUT,
        body_read_timeout: TIMEOUT,
        write_stall_timeout: TIMEOUT,
        ..options
    })
    .await
}

/// [`server_with`] the default options.
async fn server() -> Server {
    server_with(ServeOptions::default()).await
}

/// Sends `sent` on a fresh connection, closes its sending side, and reads until the server
/// closes the connection, which it must do within [`LIMIT`]: what it read.
async fn half_closed(addr: SocketAddr, sent: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(sent).await.unwrap();
    // A TCP stream's shutdown is shutdown(SHUT_WR).
    stream.shutdown().await.unwrap();
    let mut read = Vec::new();
    timeout(LIMIT, stream.read_to_end(&mut read))
        .await
        .expect("the half-close did not end the connection: only a timeout would have")
        .expect("the connection ends without an error");
    read
}

/// [`half_closed`] for a whole request, which is answered before the connection closes.
async fn answered(addr: SocketAddr, sent: &[u8]) -> HttpReply {
    parse_reply(&half_closed(addr, sent).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_sent_whole_before_a_half_close_is_answered_and_the_connection_closed() {
    let server = server().await;
    // Keep-alive requests: nothing but the client's half-close ends the connection.
    let xmlrpc = request(
        "POST",
        "/RPC2",
        "Content-Type: text/xml\r\nConnection: keep-alive\r\n",
        ECHO_CALL,
    );
    let reply = answered(server.addr, &xmlrpc).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    assert!(
        reply.body.contains("<value><string>alive</string></value>"),
        "{}",
        reply.body
    );
    // A call that takes a while is waited for.
    let slow = ECHO_CALL.replace("webconference.echo", "slow");
    let slow = request("POST", "/RPC2", "Connection: keep-alive\r\n", &slow);
    let reply = answered(server.addr, &slow).await;
    assert!(reply.body.contains("slow done"), "{}", reply.body);
    let rest = request(
        "GET",
        "/api/v1/rooms/room1",
        "Connection: keep-alive\r\n",
        "",
    );
    let reply = answered(server.addr, &rest).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    assert_eq!(reply.body, r#"["switchyard","room",["room1"]]"#);
    // Pipelined: each is answered, in order.
    let pipelined = [rest.clone(), rest].concat();
    let read = String::from_utf8(half_closed(server.addr, &pipelined).await).unwrap();
    assert_eq!(read.matches("HTTP/1.1 200 OK").count(), 2, "{read}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_of_many_chunks_to_a_half_closed_client_arrives_whole() {
    let recordings = tempfile::tempdir().unwrap();
    let wav: Vec<u8> = (0..300 * 1024).map(|i| (i % 251) as u8).collect();
    std::fs::write(recordings.path().join("board.wav"), &wav).unwrap();
    let server = server_with(ServeOptions {
        recordings: Some(recordings.path().to_owned()),
        ..ServeOptions::default()
    })
    .await;
    let download = request(
        "GET",
        "/api/v1/recordings/board.wav",
        "Connection: keep-alive\r\n",
        "",
    );
    let read = half_closed(server.addr, &download).await;
    assert!(
        read.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&read)
    );
    assert_body(&read, &wav, "arrived");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_answer_larger_than_the_sockets_hold_reaches_a_slow_half_closed_client() {
    let server = server().await;
    let call = ECHO_CALL.replace("webconference.echo", "large");
    let mut stream = narrow(server.addr).await;
    stream
        .write_all(&request(
            "POST",
            "/RPC2",
            "Connection: keep-alive\r\n",
            &call,
        ))
        .await
        .unwrap();
    stream.shutdown().await.unwrap();
    // The server's writes wait on the client: hyper has long taken (and let go of) the
    // whole body, one chunk, while most of it is still queued beneath it.
    let read = read_slowly(&mut stream, SIP, EVERY).await;
    let reply = parse_reply(&read);
    assert_eq!(reply.status, 200, "{}", reply.head);
    assert!(
        reply.body.contains(&large_string()) && reply.body.ends_with("</methodResponse>\n"),
        "{} bytes of body",
        reply.body.len()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_close_before_the_request_is_whole_closes_the_connection_at_once() {
    let server = server().await;
    let read = half_closed(server.addr, b"GET /api/v1/rooms HTTP/1.1\r\nHost: 12").await;
    assert!(
        read.is_empty() || read.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&read)
    );
    let whole = request("POST", "/RPC2", "Connection: keep-alive\r\n", ECHO_CALL);
    let read = half_closed(server.addr, &whole[..whole.len() - 10]).await;
    let reply = parse_reply(&read);
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(
        reply.body.contains("could not read the request body"),
        "{}",
        reply.body
    );
    server.stop().await;
}
