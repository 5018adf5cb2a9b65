//! `HEAD` is answered like `GET` without the body (RFC 9110 §9.3.2) where
//! `GET` fetches a document: metrics, the OpenAPI document, a recording.

mod support;

use std::sync::Arc;

use support::{Server, raw, request};
use switchyard_control::{MetricsSource, ServeOptions};

/// What [`Gauge`] renders.
const RENDERED: &str = "# TYPE up gauge\nup 1\n";

/// Renders one fixed gauge.
struct Gauge;

impl MetricsSource for Gauge {
    fn render(&self) -> String {
        RENDERED.to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_answers_the_headers_of_get_and_allow_names_it() {
    let recordings = tempfile::tempdir().unwrap();
    std::fs::write(recordings.path().join("board.wav"), [7u8; 1000]).unwrap();
    let server = Server::start(ServeOptions {
        metrics: Some(Arc::new(Gauge)),
        recordings: Some(recordings.path().to_owned()),
        ..ServeOptions::default()
    })
    .await;
    for path in ["/metrics", "/openapi.json", "/api/v1/recordings/board.wav"] {
        let get = raw(server.addr, &request("GET", path, "", "")).await;
        let head = raw(server.addr, &request("HEAD", path, "", "")).await;
        assert_eq!(
            (get.status, head.status),
            (200, 200),
            "{path}: {}",
            head.head
        );
        assert_eq!(head.body, "", "{path}");
        let length = format!("content-length: {}", get.body.len());
        assert!(head.head.contains(&length), "{path}: {}", head.head);
        let kind = |reply: &support::HttpReply| {
            reply
                .head
                .lines()
                .find(|line| line.starts_with("content-type:"))
                .map(str::to_owned)
        };
        assert_eq!(kind(&head), kind(&get), "{path}");
        let post = raw(server.addr, &request("POST", path, "", "")).await;
        assert_eq!(post.status, 405, "{path}");
        assert!(
            post.head.contains("allow: get, head"),
            "{path}: {}",
            post.head
        );
    }
    let range = raw(
        server.addr,
        &request(
            "HEAD",
            "/api/v1/recordings/board.wav",
            "Range: bytes=0-9\r\n",
            "",
        ),
    )
    .await;
    assert_eq!(range.status, 206, "{}", range.head);
    assert!(range.head.contains("content-length: 10"), "{}", range.head);
    assert_eq!(range.body, "");
    server.stop().await;
}
