//! The event stream over WebSocket (RFC 6455) at `GET /api/v1/events/ws`:
//! the same events, filter and resume point as the server-sent events, one
//! JSON text message each: `{"id", "event", "data"}` (`id` null for
//! `reset`). The server pings an idle socket and ignores what the client
//! sends but a close.

use std::sync::Arc;

use futures_util::{SinkExt as _, StreamExt as _};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, HeaderValue, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tracing::debug;

use crate::events::{Cursor, EventLog, Filter, KEEPALIVE};
use crate::http::{HttpResponse, problem, whole};
use crate::problem::Problem;

/// The path of the event stream over WebSocket.
pub const PATH: &str = "/api/v1/events/ws";

/// Answers the upgrade request (101) and serves the socket, once upgraded,
/// the events after `after` that `filter` takes; a request that is no
/// WebSocket handshake is 426.
pub fn upgrade(
    mut request: Request<Incoming>,
    log: Arc<EventLog>,
    after: u64,
    filter: Filter,
) -> HttpResponse {
    let headers = request.headers();
    let wants_websocket = headers
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let version_13 = headers
        .get("sec-websocket-version")
        .is_some_and(|v| v.as_bytes() == b"13");
    let Some(key) = headers
        .get(SEC_WEBSOCKET_KEY)
        .filter(|_| wants_websocket && version_13)
    else {
        let mut response = problem(&Problem::new(
            StatusCode::UPGRADE_REQUIRED,
            "this path takes a WebSocket (version 13) handshake",
        ));
        response
            .headers_mut()
            .insert(UPGRADE, HeaderValue::from_static("websocket"));
        return response;
    };
    let accept = derive_accept_key(key.as_bytes());
    let upgraded = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        match upgraded.await {
            Ok(upgraded) => {
                let socket =
                    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None)
                        .await;
                serve(socket, log, Cursor::new(after, filter)).await;
            }
            Err(e) => debug!("WebSocket upgrade failed: {e}"),
        }
    });
    let mut response = whole("");
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(value) = HeaderValue::from_str(&accept) {
        headers.insert(SEC_WEBSOCKET_ACCEPT, value);
    }
    response
}

/// Sends the events the cursor takes until the client closes or goes away.
async fn serve<S>(mut socket: WebSocketStream<S>, log: Arc<EventLog>, mut cursor: Cursor)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut newest = log.watch();
    loop {
        for message in cursor.take(&log) {
            let text = json!({"id": message.id, "event": message.kind, "data": message.data});
            if socket.send(Message::text(text.to_string())).await.is_err() {
                return;
            }
        }
        tokio::select! {
            changed = newest.changed() => if changed.is_err() { return },
            incoming = socket.next() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            () = tokio::time::sleep(KEEPALIVE) => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}
