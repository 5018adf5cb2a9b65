//! A read token beside the admin token: a scraper or a wallboard holding it reads
//! (`/metrics`, REST `GET`s) and is refused everything else, XML-RPC included, with `403`;
//! the admin token does everything; any other token is `401`.

mod support;

use std::sync::Arc;

use support::{ECHO_CALL, HttpReply, Server, answer, assert_problem, request};
use switchyard_control::access::Access;
use switchyard_control::{MetricsSource, ServeOptions};

const ADMIN_TOKEN: &str = "an-admin-token-of-enough-length";
const READ_TOKEN: &str = "a-read-token-of-enough-length";

const RENDERED: &str = "# HELP up Up.\n# TYPE up gauge\nup 1\n";

/// Renders one fixed gauge.
struct TestMetrics;

impl MetricsSource for TestMetrics {
    fn render(&self) -> String {
        RENDERED.to_owned()
    }
}

/// A server with both tokens and metrics.
async fn server() -> Server {
    Server::start(ServeOptions {
        access: Access::with_read_token(ADMIN_TOKEN, READ_TOKEN),
        metrics: Some(Arc::new(TestMetrics)),
        ..ServeOptions::default()
    })
    .await
}

/// `method path` with `body`, carrying `token` as a bearer token.
async fn send(server: &Server, token: &str, method: &str, path: &str, body: &str) -> HttpReply {
    let headers = format!("Authorization: Bearer {token}\r\n");
    answer(server.addr, &request(method, path, &headers, body)).await
}

/// A REST read, `/metrics`, a REST write (a kick) and an XML-RPC call, each carrying `token`:
/// their answers, in that order.
async fn four_requests(server: &Server, token: &str) -> [HttpReply; 4] {
    let kick = "/api/v1/rooms/1/participants/c7";
    [
        send(server, token, "GET", "/api/v1/rooms", "").await,
        send(server, token, "GET", "/metrics", "").await,
        send(server, token, "DELETE", kick, "").await,
        send(server, token, "POST", "/RPC2", ECHO_CALL).await,
    ]
}

fn statuses(replies: &[HttpReply]) -> Vec<u16> {
    replies.iter().map(|reply| reply.status).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_token_reads_and_is_refused_the_rest() {
    let server = server().await;
    let replies = four_requests(&server, READ_TOKEN).await;
    assert_eq!(statuses(&replies), [200, 200, 403, 403]);
    assert_eq!(replies[1].body, RENDERED);
    for refused in &replies[2..] {
        assert_problem(refused, "this token may only read");
        assert!(
            !refused.head.contains("www-authenticate"),
            "no challenge for a known token: {}",
            refused.head
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_token_does_everything_and_any_other_is_401() {
    let server = server().await;
    let replies = four_requests(&server, ADMIN_TOKEN).await;
    assert_eq!(statuses(&replies), [200, 200, 200, 200]);
    assert!(
        replies[3].body.contains("<methodResponse><params>"),
        "{}",
        replies[3].body
    );
    let replies = four_requests(&server, "a-wrong-token-of-enough-length").await;
    assert_eq!(statuses(&replies), [401, 401, 401, 401]);
    server.stop().await;
}
