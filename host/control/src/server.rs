//! The tokio/hyper shell: accept connections (plain or TLS), serve HTTP/1.1
//! on each, stop gracefully.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use switchyard_net::Throttle;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn};

use crate::access::Access;
use crate::events::EventLog;
use crate::half_close::HalfClose;
use crate::handle::handle;
use crate::origin::PublicOrigin;
use crate::peers::PeerConnections;
use crate::silent_peer;
use crate::stall::{self, StallLimit};
use crate::stop::{self, Stopping};
use crate::{Fault, MetricsSource, Route, Value};

/// The future a [`Dispatcher`] returns: boxed so the trait stays object-safe
/// (`Arc<dyn Dispatcher>`), `Send` so it can run on any worker thread, and allowed to borrow
/// the dispatcher for its lifetime.
pub type DispatchFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, Fault>> + Send + 'a>>;

/// What the binary implements: answer one routed call.
///
/// An `async fn` in a trait is not object-safe, so `dispatch` returns a boxed future instead;
/// write it as
///
/// ```
/// # use switchyard_control::{DispatchFuture, Dispatcher, Fault, Route, Value};
/// struct Echo;
/// impl Dispatcher for Echo {
///     fn dispatch(&self, route: Route) -> DispatchFuture<'_> {
///         Box::pin(async move {
///             match route.function.as_str() {
///                 "echo" => Ok(Value::Array(route.params)),
///                 other => Err(Fault::unknown_method(other)),
///             }
///         })
///     }
/// }
/// ```
///
/// Each call runs as its own tokio task: a panic in it is answered with fault `-32603` and
/// the server keeps serving; a connection that fails (is reset) cancels (aborts) the call. A
/// client that closes its side of the connection once it has sent its request is still
/// answered, as TCP cannot tell that from a client gone, so its call runs on.
pub trait Dispatcher: Send + Sync + 'static {
    /// Answers one call: the value becomes the response's single param, a fault becomes a
    /// `<fault>` response.
    fn dispatch(&self, route: Route) -> DispatchFuture<'_>;
}

/// The most bytes hyper buffers of a connection: a request head (request line and headers)
/// larger than this is answered `431`.
const MAX_BUFFER: usize = 16 * 1024;

/// How often accepting connections that keeps failing is warned of at most.
const ACCEPT_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// How long accepting waits after it failed: at once again would spin.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// Limits of the endpoint. [`ServeOptions::default`] gives the values documented per field.
#[derive(Clone)]
pub struct ServeOptions {
    /// Who may use the endpoint. Default: anyone who reaches it. A clone kept changes it
    /// while the endpoint serves ([`Access::adopt`]).
    pub access: Access,
    /// HTTPS with this acceptor, or plain HTTP (the default).
    pub tls: Option<TlsAcceptor>,
    /// The events `GET /api/v1/events` streams; none: that path is 404.
    pub events: Option<Arc<EventLog>>,
    /// The directory `GET /api/v1/recordings/{name}` downloads from; none: 409, the server
    /// keeping no recordings.
    pub recordings: Option<std::path::PathBuf>,
    /// The largest request body accepted; larger gets `413`. Default 1 MiB.
    pub max_body_bytes: usize,
    /// How long a connection may take to deliver a request's headers, counted from when the
    /// server starts waiting for them (so it also ends idle keep-alive connections). Default 10 s.
    pub header_read_timeout: Duration,
    /// How long a request body may take to arrive after its headers; slower gets `408`.
    /// Default 30 s.
    pub body_read_timeout: Duration,
    /// How long sending to a client may wait on it while it takes too little of what it is
    /// sent (a client that does not read it, e.g. pipelining requests and never reading their
    /// answers, or reads a little now and then): the waits are summed, each KiB the client
    /// takes paying back a second of them, and once what is not paid back reaches this the
    /// connection is closed, and a subscriber's place freed. A client that reads slowly but
    /// steadily, faster than 1 KiB/s, is served however long its transfer lasts (with a
    /// limit under 8 s, it must read 8 KiB within it). Default 30 s.
    pub write_stall_timeout: Duration,
    /// After shutdown, how long requests in flight get to finish before their connections
    /// are dropped (event streams end at once, a WebSocket with a Close `1001`, so they take
    /// none of it but its client's answer). Default 5 s.
    pub shutdown_grace: Duration,
    /// What `GET /metrics` serves; `None` (the default): `/metrics` is not found.
    pub metrics: Option<Arc<dyn MetricsSource>>,
    /// The most connections served at once; a connection accepted beyond it is reset at once,
    /// so its client learns that its request was not taken. (A connection upgraded to a
    /// WebSocket leaves this count for [`ServeOptions::max_subscribers`].) Default 256.
    pub max_connections: usize,
    /// The most of those connections from one address (one host cannot take them all);
    /// one more from it is reset at once. Default 128: more than
    /// [`ServeOptions::max_subscribers`], so subscribers from one host leave it connections.
    pub max_connections_per_peer: usize,
    /// The most event-stream subscribers (server-sent events and WebSocket together) served
    /// at once; one more is answered `503`, as is one with the read token unless more than
    /// half of them, rounded up, are free (the admin token always finds a place). Default 64.
    pub max_subscribers: usize,
    /// The origins a reverse proxy serves the endpoint under, which browsers' requests
    /// through it name: taken as its own, and their hosts as loopback ones on a loopback
    /// listener. Default none.
    pub public_origins: Vec<PublicOrigin>,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("access", &self.access)
            .field("tls", &self.tls.is_some())
            .field("events", &self.events.is_some())
            .field("recordings", &self.recordings)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("write_stall_timeout", &self.write_stall_timeout)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("metrics", &self.metrics.is_some())
            .field("max_connections", &self.max_connections)
            .field("max_connections_per_peer", &self.max_connections_per_peer)
            .field("max_subscribers", &self.max_subscribers)
            .field("public_origins", &self.public_origins)
            .finish()
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            access: Access::open(),
            tls: None,
            events: None,
            recordings: None,
            max_body_bytes: 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            write_stall_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
            metrics: None,
            max_connections: 256,
            max_connections_per_peer: 128,
            max_subscribers: 64,
            public_origins: Vec::new(),
        }
    }
}

/// Serves XML-RPC on `listener` (POST to `/` and `/RPC2`, the SEMS paths) with the default
/// [`ServeOptions`] until `shutdown` resolves; then stops accepting, ends the event streams,
/// lets requests in flight finish for up to [`ServeOptions::shutdown_grace`], and returns.
pub async fn serve(
    listener: TcpListener,
    dispatcher: Arc<dyn Dispatcher>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    serve_with(listener, dispatcher, shutdown, ServeOptions::default()).await
}

/// What every request of one server sees: its options, where it listens, and the limits its
/// requests share.
pub(crate) struct Endpoint {
    /// The options it was started with.
    pub(crate) options: ServeOptions,
    /// Whether it listens on a loopback address: then it answers only requests that name a
    /// loopback host.
    pub(crate) loopback: bool,
    /// One permit per event-stream subscriber, [`ServeOptions::max_subscribers`] in all.
    pub(crate) subscribers: Arc<Semaphore>,
    /// How many permits `subscribers` has.
    subscriber_places: u32,
    /// Resolves once the server stops: connections, event streams and WebSockets end then.
    pub(crate) stopping: Stopping,
}

impl Endpoint {
    /// How many event-stream subscribers it serves at once: [`ServeOptions::max_subscribers`],
    /// as many as a semaphore can count.
    pub(crate) fn subscriber_places(&self) -> usize {
        self.subscriber_places as usize
    }

    /// Resolves once no event-stream subscriber is served any more: every place is free.
    /// (A WebSocket is served by a task of its own, past its connection's.)
    async fn subscribers_gone(&self) {
        let _ = self.subscribers.acquire_many(self.subscriber_places).await;
    }
}

/// [`serve`] with explicit limits.
///
/// Accept errors (e.g. out of file descriptors) are retried after a short pause, and logged
/// once per `ACCEPT_WARNING_INTERVAL` at most; they never end the server, so this returns
/// `Ok(())` once shut down.
pub async fn serve_with(
    listener: TcpListener,
    dispatcher: Arc<dyn Dispatcher>,
    shutdown: impl Future<Output = ()> + Send,
    options: ServeOptions,
) -> std::io::Result<()> {
    let local = listener.local_addr();
    if let Ok(addr) = local {
        info!(%addr, "XML-RPC control endpoint listening");
    }
    let permits = |wanted: usize| Arc::new(Semaphore::new(wanted.min(Semaphore::MAX_PERMITS)));
    let open_connections = permits(options.max_connections);
    let peers = PeerConnections::new(options.max_connections_per_peer);
    // At most u32::MAX places, so that shutdown can wait for all of them at once.
    let subscriber_places =
        u32::try_from(options.max_subscribers.min(Semaphore::MAX_PERMITS)).unwrap_or(u32::MAX);
    let (stop, stopping) = stop::signal();
    let endpoint = Arc::new(Endpoint {
        loopback: local.is_ok_and(|addr| addr.ip().to_canonical().is_loopback()),
        subscribers: permits(subscriber_places as usize),
        subscriber_places,
        stopping,
        options,
    });
    let mut connections = JoinSet::new();
    let mut accept_failures = Throttle::new(ACCEPT_WARNING_INTERVAL);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(joined) = connections.join_next(), if !connections.is_empty() => {
                if let Err(e) = joined
                    && e.is_panic()
                {
                    warn!("an XML-RPC connection task panicked: {e}");
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let Some(slot) = peers.admit(peer.ip()) else {
                        refuse(stream, peer, "already serving the most of its address");
                        continue;
                    };
                    let Ok(permit) = open_connections.clone().try_acquire_owned() else {
                        refuse(stream, peer, "already serving the most connections");
                        continue;
                    };
                    let connection =
                        serve_connection(stream, peer, dispatcher.clone(), endpoint.clone());
                    connections.spawn(async move {
                        connection.await;
                        drop((permit, slot));
                    });
                }
                Err(e) => accept_failed(&mut accept_failures, &e).await,
            },
        }
    }
    drop(listener);
    stop.stop();
    let busy = connections.len();
    if busy > 0 {
        debug!(busy, "XML-RPC shutdown: finishing requests in flight");
    }
    let drained = tokio::time::timeout(endpoint.options.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
        endpoint.subscribers_gone().await;
    })
    .await;
    if drained.is_err() {
        warn!(
            left = connections.len(),
            "XML-RPC shutdown: grace period over, dropping connections"
        );
        connections.shutdown().await;
    }
    info!("XML-RPC control endpoint stopped");
    Ok(())
}

/// Closes `stream`, a connection from `peer` not served (`reason`), with a reset: an abort
/// (RFC 793 §3.8's ABORT, through a zero `SO_LINGER`), which tells its client that its
/// request was not taken. A plain close may reach the client before it sends its request,
/// which then reads an end of stream, as from a server that took the request and ended.
fn refuse(stream: TcpStream, peer: SocketAddr, reason: &str) {
    if let Err(e) = stream.set_zero_linger() {
        debug!(%peer, "cannot have the refused connection reset: {e}");
    }
    debug!(%peer, "connection reset: {reason}");
    drop(stream);
}

/// Accepting failed with `error`: logged as `failures` lets it, then a pause. Out of file
/// descriptors, mostly: connections wait in the kernel's backlog until some are closed, and
/// each retry fails meanwhile.
async fn accept_failed(failures: &mut Throttle, error: &std::io::Error) {
    if let Some(failed) = failures.failed(tokio::time::Instant::now().into_std()) {
        warn!(failed, "XML-RPC accept failed: {error}");
    }
    tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    dispatcher: Arc<dyn Dispatcher>,
    endpoint: Arc<Endpoint>,
) {
    let _ = stream.set_nodelay(true);
    if let Err(e) = silent_peer::give_up_when_silent(&stream) {
        debug!(%peer, "cannot limit how long the connection waits on a silent peer: {e}");
    }
    if let Err(e) = stall::wake_in_small_steps(&stream) {
        debug!(%peer, "cannot have the connection's writes go on in small steps: {e}");
    }
    // Beneath TLS, and beneath hyper so that an upgraded WebSocket keeps it.
    let stream = StallLimit::new(stream, endpoint.options.write_stall_timeout);
    match endpoint.options.tls.clone() {
        None => serve_http(stream, peer, dispatcher, endpoint).await,
        Some(acceptor) => {
            // The handshake gets as long as a request's headers would.
            let handshake = tokio::time::timeout(
                endpoint.options.header_read_timeout,
                acceptor.accept(stream),
            )
            .await;
            match handshake {
                Ok(Ok(tls)) => serve_http(tls, peer, dispatcher, endpoint).await,
                Ok(Err(e)) => debug!(%peer, "TLS handshake failed: {e}"),
                Err(_) => debug!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

/// HTTP/1.1 on one connection, plain or TLS, until it ends or the server stops.
async fn serve_http<I>(
    io: I,
    peer: SocketAddr,
    dispatcher: Arc<dyn Dispatcher>,
    endpoint: Arc<Endpoint>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let header_read_timeout = endpoint.options.header_read_timeout;
    let mut stopping = endpoint.stopping.clone();
    let half_close = HalfClose::default();
    let io = half_close.reader(io);
    let service = service_fn(move |request: Request<Incoming>| {
        let dispatcher = dispatcher.clone();
        let endpoint = endpoint.clone();
        // Counted from the call, before the first poll: hyper may read the client's end first.
        let answering = half_close.answering();
        let request = request.map(|body| half_close.request_body(body));
        async move {
            let response = handle(request, dispatcher, &endpoint, peer).await;
            Ok::<_, Infallible>(answering.until_sent(response))
        }
    });
    let mut builder = http1::Builder::new();
    // hyper's own limit of 100 header fields (more is 431) stays. Its half-close support stays
    // off: it would stop noticing an event subscriber that leaves; `HalfClose` answers
    // half-closed clients instead.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .max_buf_size(MAX_BUFFER)
        .keep_alive(true);
    let connection = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stopping.stopped() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        debug!(%peer, "control connection ended: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_log::Logged;

    struct Nothing;

    impl Dispatcher for Nothing {
        fn dispatch(&self, route: Route) -> DispatchFuture<'_> {
            Box::pin(async move { Err(Fault::unknown_method(&route.function)) })
        }
    }

    /// A listener every accept on fails at once: a socket bound on loopback that does not
    /// listen (EINVAL).
    fn failing_listener() -> TcpListener {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        socket
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        socket.set_nonblocking(true).unwrap();
        TcpListener::from_std(socket.into()).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn accept_failing_over_and_over_is_warned_of_once_per_interval_with_the_count() {
        let logged = Logged::default();
        let _default = tracing::subscriber::set_default(logged.clone());
        let listener = failing_listener();
        // Failures every pause from 0 on: one warned of at once, then one the interval later
        // with all those since.
        let until = ACCEPT_WARNING_INTERVAL + ACCEPT_RETRY_PAUSE / 2;
        let shutdown = tokio::time::sleep(until);
        serve(listener, Arc::new(Nothing), shutdown).await.unwrap();
        let warnings: Vec<String> = logged
            .lines()
            .into_iter()
            .filter(|line| line.contains("accept failed"))
            .collect();
        let per_interval =
            (ACCEPT_WARNING_INTERVAL.as_millis() / ACCEPT_RETRY_PAUSE.as_millis()) as u64;
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("failed=1 "), "{warnings:?}");
        assert!(
            warnings[1].contains(&format!("failed={per_interval} ")),
            "{warnings:?}"
        );
    }
}
