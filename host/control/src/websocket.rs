//! The event stream over WebSocket (RFC 6455) at `GET /api/v1/events/ws`:
//! the same events, filter and resume point as the server-sent events, one
//! JSON text message each: `{"id", "event", "data"}` (`id` null for
//! `reset`). The server pings an idle socket and ignores what the client
//! sends but a close, which it answers (the close handshake); a message
//! over [`MAX_MESSAGE`] ends the socket with a Close saying so (1009).

use std::sync::Arc;

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use hyper::body::Incoming;
use hyper::header::{
    CONNECTION, HeaderMap, HeaderValue, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_VERSION, UPGRADE,
};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::debug;

use crate::events::{Cursor, EventLog, Filter, KEEPALIVE};
use crate::http::{HttpResponse, problem, whole};
use crate::problem::Problem;

/// The path of the event stream over WebSocket.
pub const PATH: &str = "/api/v1/events/ws";

/// The largest message (and frame) the server reads. A client has nothing to send but
/// control frames (at most 125 bytes, RFC 6455 §5.5); this leaves room for clients that
/// send a little more, and none for one that would make the server buffer megabytes.
const MAX_MESSAGE: usize = 4 * 1024;

/// Answers the upgrade request (101) and serves the socket, once upgraded,
/// the events after `after` that `filter` takes, holding its subscriber's
/// `permit` as long. A request that is no WebSocket upgrade is 426, one whose
/// version is not 13 is 426 naming 13 (RFC 6455 §4.4), a malformed handshake
/// (no `Connection: Upgrade`, or a key that is not 16 bytes in base64) is 400
/// (§4.2.1).
pub(crate) fn upgrade(
    mut request: Request<Incoming>,
    log: Arc<EventLog>,
    after: u64,
    filter: Filter,
    permit: OwnedSemaphorePermit,
) -> HttpResponse {
    if let Some(refusal) = handshake_refusal(request.headers()) {
        return refusal;
    }
    let Some(key) = request.headers().get(SEC_WEBSOCKET_KEY) else {
        return problem(&Problem::new(
            StatusCode::BAD_REQUEST,
            "a WebSocket handshake needs `Sec-WebSocket-Key`",
        ));
    };
    // §4.2.1 item 5: the key is a nonce of 16 bytes, base64-encoded (24 characters).
    let nonce = base64::engine::general_purpose::STANDARD.decode(key.as_bytes());
    if !nonce.is_ok_and(|nonce| nonce.len() == 16) {
        return problem(&Problem::new(
            StatusCode::BAD_REQUEST,
            "`Sec-WebSocket-Key` must be 16 bytes in base64 (RFC 6455 §4.2.1)",
        ));
    }
    let accept = derive_accept_key(key.as_bytes());
    let upgraded = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let _permit = permit;
        match upgraded.await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default()
                    .max_message_size(Some(MAX_MESSAGE))
                    .max_frame_size(Some(MAX_MESSAGE));
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
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

/// The answer to `HEAD`: what `GET` with the same headers gets, but the connection is never
/// upgraded, since an opening handshake is a `GET` (RFC 6455 §4.1).
pub(crate) fn head(headers: &HeaderMap) -> HttpResponse {
    handshake_refusal(headers)
        .unwrap_or_else(|| upgrade_required("a WebSocket opening handshake is a GET, not a HEAD"))
}

/// The answer refusing an opening handshake that is no WebSocket upgrade, lacks the `Upgrade`
/// connection option or is not of version 13 (RFC 6455 §4.2.1); none for one that is.
fn handshake_refusal(headers: &HeaderMap) -> Option<HttpResponse> {
    let upgrade_to_websocket = headers
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"));
    if !upgrade_to_websocket {
        return Some(upgrade_required("this path takes a WebSocket upgrade"));
    }
    // §4.2.1 item 4: `Connection` is a list of tokens (RFC 9110 §7.6.1), one of them `Upgrade`.
    let connection_upgrade = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    if !connection_upgrade {
        return Some(problem(&Problem::new(
            StatusCode::BAD_REQUEST,
            "a WebSocket handshake needs `Connection: Upgrade`",
        )));
    }
    let version_13 = headers
        .get(SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13");
    (!version_13).then(|| upgrade_required("this server speaks WebSocket version 13 only"))
}

/// `426` saying `detail`, naming the protocol and version the path takes (RFC 9110 §15.5.22,
/// RFC 6455 §4.4).
fn upgrade_required(detail: &'static str) -> HttpResponse {
    let mut response = problem(&Problem::new(StatusCode::UPGRADE_REQUIRED, detail));
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
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
                Some(Ok(Message::Close(_))) => {
                    // RFC 6455 §5.5.1: answer with a Close before closing the connection.
                    // tungstenite has queued it on reading the client's; flushing sends it.
                    let _ = socket.flush().await;
                    return;
                }
                Some(Err(e)) => return refuse(&mut socket, &e).await,
                None => return,
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

/// Ends `socket` after reading it failed with `error`: a message too big or breaking the
/// protocol is answered with a Close saying so (RFC 6455 §7.1.7, §7.4.1: 1009, 1002, 1007);
/// a connection already gone gets nothing.
async fn refuse<S>(socket: &mut WebSocketStream<S>, error: &WsError)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (code, reason) = match error {
        WsError::Capacity(_) => (CloseCode::Size, "a message over 4 KiB"),
        WsError::Protocol(_) => (CloseCode::Protocol, "a frame breaking RFC 6455"),
        WsError::Utf8(_) => (CloseCode::Invalid, "a text message that is not UTF-8"),
        _ => return,
    };
    debug!("WebSocket closed: {error}");
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.close(Some(frame)).await;
}
