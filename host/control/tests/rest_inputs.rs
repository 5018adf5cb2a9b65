//! What the REST routes take besides their arguments: a route without a body refuses one
//! (read within the usual limits), and a route with one refuses a member it does not take,
//! rather than act on a request that meant something else; an empty body needs no type
//! however it is framed; a path segment that is not UTF-8 is refused rather than read with
//! U+FFFD in it; and a server without a recordings directory answers a download as it
//! answers their list.

mod support;

use support::{Server, answer, assert_problem, request};
use switchyard_control::ServeOptions;

const JSON: &str = "Content-Type: application/json\r\n";

/// `method path` with the extra header lines `headers` and a body sent in `chunks` (RFC 9112
/// §7.1), its length not declared.
fn chunked(method: &str, path: &str, headers: &str, chunks: &[&str]) -> Vec<u8> {
    let body: String = chunks
        .iter()
        .map(|chunk| format!("{:x}\r\n{chunk}\r\n", chunk.len()))
        .collect();
    format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Transfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n{body}0\r\n\r\n"
    )
    .into_bytes()
}

/// The routes without a body, one of each method, and what the test dispatcher echoes for
/// each once called.
const NO_BODY: &[(&str, &str, &str)] = &[
    (
        "PUT",
        "/api/v1/rooms/1/lock",
        r#"["switchyard","lock",["1"]]"#,
    ),
    (
        "POST",
        "/api/v1/rooms/1/participants/c1/mute",
        r#"["switchyard","mute",["1","c1"]]"#,
    ),
    (
        "DELETE",
        "/api/v1/rooms/1/participants/c1",
        r#"["switchyard","kick",["1","c1"]]"#,
    ),
    (
        "POST",
        "/api/v1/config/reload",
        r#"["-","configReload",[]]"#,
    ),
    ("GET", "/api/v1/rooms", r#"["switchyard","rooms",[]]"#),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_without_a_body_refuses_one_and_carries_nothing_out() {
    let server = Server::start(ServeOptions::default()).await;
    for &(method, path, _) in NO_BODY {
        for body in [r#"{"locked": false}"#, "not json", "[]", "null"] {
            let reply = answer(server.addr, &request(method, path, JSON, body)).await;
            assert_eq!(reply.status, 400, "{method} {path} {body}: {}", reply.body);
            assert_problem(&reply, "this operation takes no body");
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_body_an_empty_one_or_an_empty_object_is_none() {
    let server = Server::start(ServeOptions::default()).await;
    for &(method, path, echoed) in NO_BODY {
        for sent in [
            request(method, path, "", ""),
            request(method, path, "Content-Length: 0\r\n", ""),
            chunked(method, path, JSON, &[]),
            chunked(method, path, "", &[]),
            chunked(method, path, JSON, &["{", "}"]),
            request(method, path, JSON, "{}"),
            request(method, path, JSON, " { } "),
        ] {
            let reply = answer(server.addr, &sent).await;
            let what = String::from_utf8_lossy(&sent);
            assert_eq!(reply.status, 200, "{what}: {}", reply.body);
            assert_eq!(reply.body, echoed, "{what}");
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_body_needs_no_type_however_it_is_framed_and_any_other_does() {
    let server = Server::start(ServeOptions::default()).await;
    let recording = "/api/v1/rooms/9/recording";
    for sent in [
        request("POST", recording, "", ""),
        request("POST", recording, "Content-Length: 0\r\n", ""),
        chunked("POST", recording, "", &[]),
    ] {
        let reply = answer(server.addr, &sent).await;
        assert_eq!(reply.status, 400, "{}", String::from_utf8_lossy(&sent));
        assert_problem(&reply, "the body is not JSON");
    }
    for sent in [
        request("PUT", "/api/v1/rooms/1/lock", "", "{}"),
        chunked("PUT", "/api/v1/rooms/1/lock", "", &["{", "}"]),
        chunked(
            "POST",
            recording,
            "Content-Type: text/plain\r\n",
            &[r#"{"name":"b"}"#],
        ),
    ] {
        let reply = answer(server.addr, &sent).await;
        assert_eq!(reply.status, 415, "{}", String::from_utf8_lossy(&sent));
        assert_problem(&reply, "a REST body takes Content-Type `application/json`");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_member_the_route_does_not_take_is_refused_naming_it() {
    let server = Server::start(ServeOptions::default()).await;
    for (path, body, named) in [
        (
            "/api/v1/rooms/9/recording",
            r#"{"name": "board", "track": true}"#,
            r#"body member "track" is not one this operation takes ("name", "tracks")"#,
        ),
        (
            "/api/v1/rooms/9/dialout",
            r#"{"uri": "sip:bob@127.0.0.1", "from": "alice"}"#,
            r#"body member "from" is not one this operation takes ("uri")"#,
        ),
        (
            "/api/v1/guests/nway/versions",
            r#"{"path": "nway.wasm", "version": 2}"#,
            r#"body member "version" is not one this operation takes ("path")"#,
        ),
    ] {
        let reply = answer(server.addr, &request("POST", path, JSON, body)).await;
        assert_eq!(reply.status, 400, "{path} {body}: {}", reply.body);
        assert_problem(&reply, named);
    }
    let taken = r#"{"name": "board", "tracks": true}"#;
    let reply = answer(
        server.addr,
        &request("POST", "/api/v1/rooms/9/recording", JSON, taken),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        r#"["switchyard","startRecording",["9","board",true]]"#
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_to_a_route_without_one_is_read_within_the_limits() {
    let server = Server::start(ServeOptions {
        max_body_bytes: 64,
        ..ServeOptions::default()
    })
    .await;
    let large = format!("{{\"pad\": \"{}\"}}", "x".repeat(100));
    let reply = answer(
        server.addr,
        &request("PUT", "/api/v1/rooms/1/lock", JSON, &large),
    )
    .await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    // Not announced by its length: found too large as it is read.
    let unannounced = chunked(
        "PUT",
        "/api/v1/rooms/1/lock",
        JSON,
        &[&large[..50], &large[50..]],
    );
    let reply = answer(server.addr, &unannounced).await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_segment_that_is_not_utf_8_is_refused() {
    let recordings = tempfile::tempdir().unwrap();
    let server = Server::start(ServeOptions {
        recordings: Some(recordings.path().to_owned()),
        ..ServeOptions::default()
    })
    .await;
    for (method, path) in [
        ("GET", "/api/v1/rooms/%FF"),
        ("PUT", "/api/v1/rooms/a%C3/lock"),
        ("POST", "/api/v1/rooms/1/participants/%80/mute"),
        ("GET", "/api/v1/recordings/%FF.wav"),
        ("DELETE", "/api/v1/recordings/%FF.wav"),
    ] {
        let reply = answer(server.addr, &request(method, path, "", "")).await;
        assert_eq!(reply.status, 400, "{method} {path}: {}", reply.body);
        assert_problem(&reply, "path segment is not UTF-8");
    }
    let reply = answer(server.addr, &request("GET", "/api/v1/rooms/%C3%A9", "", "")).await;
    assert_eq!(reply.body, "[\"switchyard\",\"room\",[\"\u{e9}\"]]");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_recordings_directory_a_download_is_409_as_their_list_is() {
    let server = Server::start(ServeOptions::default()).await;
    for method in ["GET", "HEAD"] {
        let reply = support::raw(
            server.addr,
            &request(method, "/api/v1/recordings/board.wav", "", ""),
        )
        .await;
        assert_eq!(reply.status, 409, "{method}: {}", reply.head);
    }
    let reply = answer(
        server.addr,
        &request("GET", "/api/v1/recordings/board.wav", "", ""),
    )
    .await;
    assert_problem(&reply, "no recording directory is configured");
    server.stop().await;
}
