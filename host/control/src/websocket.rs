//! The event stream over WebSocket (RFC 6455) at `GET /api/v1/events/ws`:
//! the same events, filter and resume point as the server-sent events, one
//! JSON text message each: `{"id", "event", "data"}` (`reset`'s `id` the
//! one to resume after). The server pings an idle socket and ignores what
//! the client sends but a close, which it answers (the close handshake); a
//! message over [`MAX_MESSAGE`] ends the socket with a Close saying so
//! (1009), and so do the server stopping (1001) and the access rule no longer
//! letting the subscriber's token in (1008).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
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

use crate::events::{Cursor, End, Ending, EventLog, Filter, Keepalive};
use crate::half_close::RequestBody;
use crate::http::{HttpResponse, problem, whole};
use crate::problem::Problem;

/// The path of the event stream over WebSocket.
pub const PATH: &str = "/api/v1/events/ws";

/// The largest message (and frame) the server reads. A client has nothing to send but
/// control frames (at most 125 bytes, RFC 6455 §5.5); this leaves room for clients that
/// send a little more, and none for one that would make the server buffer megabytes.
const MAX_MESSAGE: usize = 4 * 1024;

/// The most the server holds unsent for one socket (the events and the pongs it owes): far
/// more than any event, so it is only reached by a client that reads nothing. Pongs owed
/// past it are dropped but for the newest (RFC 6455 §5.5.3 allows answering only the last
/// ping), and an event that does not fit ends the socket.
const MAX_UNSENT: usize = 256 * 1024;

/// How long a socket the server ends takes at most: its Close written and the client's
/// answering Close read.
const CLOSING: Duration = Duration::from_secs(1);

/// An opening handshake found valid (RFC 6455 §4.2.1), to be answered `101`.
pub(crate) struct Handshake {
    /// The `Sec-WebSocket-Accept` of its key (§4.2.2 item 5.4).
    accept: String,
}

/// Why an opening handshake is refused; [`Refusal::answer`] tells the client.
pub(crate) enum Refusal {
    /// No WebSocket upgrade, or not of version 13: `426`, naming the protocol and version the
    /// path takes (RFC 9110 §15.5.22, RFC 6455 §4.4).
    UpgradeRequired(&'static str),
    /// A malformed handshake: `400` (RFC 6455 §4.2.1).
    Malformed(&'static str),
}

impl Refusal {
    /// The answer saying why.
    pub(crate) fn answer(self) -> HttpResponse {
        match self {
            Refusal::UpgradeRequired(detail) => upgrade_required(detail),
            Refusal::Malformed(detail) => problem(&Problem::new(StatusCode::BAD_REQUEST, detail)),
        }
    }
}

impl Handshake {
    /// The handshake of a request with `headers`, or why it is refused: a request that is
    /// no WebSocket upgrade, or whose version is not 13, needs another (§4.4); one without
    /// the `Upgrade` connection option or whose key is not 16 bytes in base64 is malformed
    /// (§4.2.1).
    pub(crate) fn check(headers: &HeaderMap) -> Result<Handshake, Refusal> {
        let upgrade_to_websocket = headers
            .get(UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"));
        if !upgrade_to_websocket {
            return Err(Refusal::UpgradeRequired(
                "this path takes a WebSocket upgrade",
            ));
        }
        // §4.2.1 item 4: `Connection` is a list of tokens (RFC 9110 §7.6.1), one of them
        // `Upgrade`.
        let connection_upgrade = headers
            .get_all(CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
        if !connection_upgrade {
            return Err(Refusal::Malformed(
                "a WebSocket handshake needs `Connection: Upgrade`",
            ));
        }
        let version_13 = headers
            .get(SEC_WEBSOCKET_VERSION)
            .is_some_and(|v| v.as_bytes() == b"13");
        if !version_13 {
            return Err(Refusal::UpgradeRequired(
                "this server speaks WebSocket version 13 only",
            ));
        }
        let Some(key) = headers.get(SEC_WEBSOCKET_KEY) else {
            return Err(Refusal::Malformed(
                "a WebSocket handshake needs `Sec-WebSocket-Key`",
            ));
        };
        // §4.2.1 item 5: the key is a nonce of 16 bytes, base64-encoded (24 characters).
        let nonce = base64::engine::general_purpose::STANDARD.decode(key.as_bytes());
        if !nonce.is_ok_and(|nonce| nonce.len() == 16) {
            return Err(Refusal::Malformed(
                "`Sec-WebSocket-Key` must be 16 bytes in base64 (RFC 6455 §4.2.1)",
            ));
        }
        Ok(Handshake {
            accept: derive_accept_key(key.as_bytes()),
        })
    }

    /// Answers the handshake's `request` (101) and serves the socket, once upgraded, the
    /// events after `after` that `filter` takes, holding its subscriber's `permit` as long:
    /// until the client closes it or goes away, or `ending` is reached, when the socket is
    /// closed saying why ([`closing`]).
    pub(crate) fn upgrade(
        self,
        mut request: Request<RequestBody>,
        log: Arc<EventLog>,
        after: u64,
        filter: Filter,
        permit: OwnedSemaphorePermit,
        ending: Ending,
    ) -> HttpResponse {
        let upgraded = hyper::upgrade::on(&mut request);
        // `after=now` means the newest event as the stream is answered, not as the socket
        // first reads the log: an event published in between is the client's.
        let cursor = Cursor::new(log.resolve(after), filter);
        tokio::spawn(async move {
            let _permit = permit;
            match upgraded.await {
                Ok(upgraded) => {
                    let socket = WebSocketStream::from_raw_socket(
                        TokioIo::new(upgraded),
                        Role::Server,
                        Some(config()),
                    )
                    .await;
                    serve(socket, log, cursor, ending).await;
                }
                Err(e) => debug!("WebSocket upgrade failed: {e}"),
            }
        });
        let mut response = whole("");
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        if let Ok(value) = HeaderValue::from_str(&self.accept) {
            headers.insert(SEC_WEBSOCKET_ACCEPT, value);
        }
        response
    }
}

/// How a socket reads and writes: messages up to [`MAX_MESSAGE`] read, and at most
/// [`MAX_UNSENT`] held unsent.
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
        // Each message is written at once (each send flushes anyway), so the buffer only
        // builds up while the client reads nothing.
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_UNSENT)
}

/// The answer to `HEAD` of a valid handshake ([`Handshake::check`] answers an invalid one):
/// the connection is never upgraded, since an opening handshake is a `GET` (RFC 6455 §4.1).
pub(crate) fn head() -> HttpResponse {
    upgrade_required("a WebSocket opening handshake is a GET, not a HEAD")
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

/// Sends the events the cursor takes until the client closes or goes away, or `ending` is
/// reached.
async fn serve<S>(
    mut socket: WebSocketStream<S>,
    log: Arc<EventLog>,
    cursor: Cursor,
    mut ending: Ending,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let end = tokio::select! {
        // The ending first: a socket whose ending is reached as it opens (its token rotated
        // away during the upgrade) gets its Close, not the backlog.
        biased;
        end = ending.reached() => end,
        () = feed(&mut socket, &log, cursor) => return,
    };
    debug!(?end, "WebSocket ended by the server");
    close(&mut socket, closing(end)).await;
}

/// The Close that says why the server ends a socket (RFC 6455 §7.4.1): 1001 (going away) as
/// it stops, 1008 (policy violation) once the access rule no longer lets its token in.
fn closing(end: End) -> CloseFrame {
    let (code, reason) = match end {
        End::Stopping => (CloseCode::Away, "going away"),
        End::Revoked => (
            CloseCode::Policy,
            "the token this stream was opened with no longer lets it in",
        ),
    };
    CloseFrame {
        code,
        reason: reason.into(),
    }
}

/// Sends the events the cursor takes, and a ping whenever nothing was sent for
/// [`KEEPALIVE`](crate::events::KEEPALIVE), until the client closes or goes away.
async fn feed<S>(socket: &mut WebSocketStream<S>, log: &EventLog, mut cursor: Cursor)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut newest = log.watch();
    let mut keepalive = Keepalive::new();
    loop {
        for message in cursor.take(log) {
            let text = json!({"id": message.id, "event": message.kind, "data": message.data});
            if socket.send(Message::text(text.to_string())).await.is_err() {
                return;
            }
            keepalive.sent();
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
                Some(Err(e)) => return refuse(socket, &e).await,
                None => return,
                Some(Ok(_)) => {}
            },
            () = keepalive.due() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
                keepalive.sent();
            }
        }
    }
}

/// Ends `socket` with the Close `frame`, given [`CLOSING`] in all.
async fn close<S>(socket: &mut WebSocketStream<S>, frame: CloseFrame)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    // §7.1.1: the server closes the connection once the client has answered the Close.
    // Closed earlier, the client's answer would meet a reset, which may discard the Close
    // before the client reads it. A client that reads nothing gets CLOSING in all, not the
    // write-stall limit: its Close cannot even be written.
    let closed = async {
        if socket.close(Some(frame)).await.is_ok() {
            while let Some(Ok(_)) = socket.next().await {}
        }
    };
    let _ = tokio::time::timeout(CLOSING, closed).await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{KEEPALIVE, NOW, RACES, other_room_every_5_s, revoked_ending};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};

    /// A server socket feeding the events of `log` after `after` its cursor's `filter` takes,
    /// and the client's end of its connection.
    async fn subscribed(log: &Arc<EventLog>, after: u64, filter: Filter) -> DuplexStream {
        let (server, client) = tokio::io::duplex(4096);
        let log = Arc::clone(log);
        tokio::spawn(async move {
            let mut socket =
                WebSocketStream::from_raw_socket(server, Role::Server, Some(config())).await;
            feed(&mut socket, &log, Cursor::new(after, filter)).await;
        });
        client
    }

    #[tokio::test(start_paused = true)]
    async fn a_filtered_socket_is_pinged_while_events_it_leaves_out_go_by() {
        let log = Arc::new(EventLog::new(16));
        let client = subscribed(&log, 0, Filter::from_query(Some("room=A")).unwrap()).await;
        let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        other_room_every_5_s(&log);
        for _ in 0..2 {
            let message = tokio::time::timeout(KEEPALIVE + Duration::from_secs(1), client.next())
                .await
                .expect("a ping within 15 s of the last message");
            assert!(matches!(message, Some(Ok(Message::Ping(_)))), "{message:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_socket_revoked_as_it_opens_gets_its_close_before_any_event() {
        let log = Arc::new(EventLog::new(16));
        for _ in 0..RACES {
            let (server, client) = tokio::io::duplex(4096);
            let (_stop, ending) = revoked_ending();
            let cursor = Cursor::new(log.resolve(NOW), Filter::default());
            log.publish("join", Some("A"), json!({}));
            let serving = Arc::clone(&log);
            tokio::spawn(async move {
                let socket =
                    WebSocketStream::from_raw_socket(server, Role::Server, Some(config())).await;
                serve(socket, serving, cursor, ending).await;
            });
            let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
            let first = tokio::time::timeout(Duration::from_secs(1), client.next()).await;
            let Ok(Some(Ok(Message::Close(Some(frame))))) = first else {
                panic!("a Close first: {first:?}");
            };
            assert_eq!(frame.code, CloseCode::Policy);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_carries_the_id_to_resume_after_as_events_do() {
        let log = Arc::new(EventLog::new(2));
        let ids: Vec<u64> = (0..4)
            .map(|_| log.publish("join", Some("B"), json!({})))
            .collect();
        let client = subscribed(&log, ids[0], Filter::default()).await;
        let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        let message = tokio::time::timeout(Duration::from_secs(1), client.next()).await;
        let Ok(Some(Ok(Message::Text(text)))) = message else {
            panic!("a reset: {message:?}");
        };
        let reset: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(reset["event"], "reset", "{reset}");
        // The second is gone, the third the oldest kept: resuming after the second misses
        // nothing more.
        assert_eq!(reset["id"], ids[1], "{reset}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_pongs_owed_a_client_that_reads_nothing_stay_bounded() {
        const PINGS: usize = 32 * 1024;
        let client = subscribed(&Arc::new(EventLog::new(16)), 0, Filter::default()).await;
        let (mut from_server, mut to_server) = tokio::io::split(client);
        // A masked ping (RFC 6455 §5.2, the mask all zeros) of 125 bytes, the most allowed.
        let mut ping = vec![0x89, 0x80 | 125, 0, 0, 0, 0];
        ping.extend([b'p'; 125]);
        for _ in 0..PINGS {
            to_server.write_all(&ping).await.unwrap();
        }
        let mut owed = 0;
        let mut buffer = vec![0; 64 * 1024];
        // Until the server has nothing more to send.
        while let Ok(Ok(n @ 1..)) =
            tokio::time::timeout(Duration::from_secs(1), from_server.read(&mut buffer)).await
        {
            owed += n;
        }
        let pong = 2 + 125;
        assert!(owed >= pong, "the client is answered");
        // Besides what the server holds: what the connection holds each way (the pings
        // still in it are answered as the client reads).
        assert!(
            owed <= MAX_UNSENT + 2 * 4096 + pong,
            "{owed} bytes of pongs held for {PINGS} pings"
        );
    }
}
