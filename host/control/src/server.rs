//! The tokio/hyper shell: accept, read, parse, route, dispatch, answer.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{
    ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, SERVER, WWW_AUTHENTICATE,
};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn};

use crate::access::Access;
use crate::problem::Problem;
use crate::rest::{self, Mismatch};
use crate::{Fault, Route, Value, json, route, xmlrpc};

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
/// the server keeps serving; a client that goes away cancels (aborts) the call.
pub trait Dispatcher: Send + Sync + 'static {
    /// Answers one call: the value becomes the response's single param, a fault becomes a
    /// `<fault>` response.
    fn dispatch(&self, route: Route) -> DispatchFuture<'_>;
}

/// Limits of the endpoint. [`ServeOptions::default`] gives the values documented per field.
#[derive(Clone)]
pub struct ServeOptions {
    /// Who may use the endpoint. Default: anyone who reaches it.
    pub access: Access,
    /// HTTPS with this acceptor, or plain HTTP (the default).
    pub tls: Option<TlsAcceptor>,
    /// The largest request body accepted; larger gets `413`. Default 1 MiB.
    pub max_body_bytes: usize,
    /// How long a connection may take to deliver a request's headers, counted from when the
    /// server starts waiting for them (so it also ends idle keep-alive connections). Default 10 s.
    pub header_read_timeout: Duration,
    /// How long a request body may take to arrive after its headers; slower gets `408`.
    /// Default 30 s.
    pub body_read_timeout: Duration,
    /// After shutdown, how long requests in flight get to finish before their connections
    /// are dropped. Default 5 s.
    pub shutdown_grace: Duration,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("access", &self.access)
            .field("tls", &self.tls.is_some())
            .field("max_body_bytes", &self.max_body_bytes)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("shutdown_grace", &self.shutdown_grace)
            .finish()
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            access: Access::open(),
            tls: None,
            max_body_bytes: 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Serves XML-RPC on `listener` (POST to `/` and `/RPC2`, the SEMS paths) with the default
/// [`ServeOptions`] until `shutdown` resolves; then stops accepting, lets requests in flight
/// finish for up to [`ServeOptions::shutdown_grace`], and returns.
pub async fn serve(
    listener: TcpListener,
    dispatcher: Arc<dyn Dispatcher>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    serve_with(listener, dispatcher, shutdown, ServeOptions::default()).await
}

/// [`serve`] with explicit limits.
///
/// Accept errors (e.g. out of file descriptors) are logged and retried after a short pause;
/// they never end the server, so this returns `Ok(())` once shut down.
pub async fn serve_with(
    listener: TcpListener,
    dispatcher: Arc<dyn Dispatcher>,
    shutdown: impl Future<Output = ()> + Send,
    options: ServeOptions,
) -> std::io::Result<()> {
    let options = Arc::new(options);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    if let Ok(addr) = listener.local_addr() {
        info!(%addr, "XML-RPC control endpoint listening");
    }
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
                    connections.spawn(serve_connection(
                        stream,
                        peer,
                        dispatcher.clone(),
                        options.clone(),
                        stop_rx.clone(),
                    ));
                }
                Err(e) => {
                    warn!("XML-RPC accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let busy = connections.len();
    if busy > 0 {
        debug!(busy, "XML-RPC shutdown: finishing requests in flight");
    }
    let drained = tokio::time::timeout(options.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
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

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    dispatcher: Arc<dyn Dispatcher>,
    options: Arc<ServeOptions>,
    stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    match options.tls.clone() {
        None => serve_http(stream, peer, dispatcher, options, stop).await,
        Some(acceptor) => {
            // The handshake gets as long as a request's headers would.
            let handshake =
                tokio::time::timeout(options.header_read_timeout, acceptor.accept(stream)).await;
            match handshake {
                Ok(Ok(tls)) => serve_http(tls, peer, dispatcher, options, stop).await,
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
    options: Arc<ServeOptions>,
    mut stop: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service_options = options.clone();
    let service = service_fn(move |request| {
        let dispatcher = dispatcher.clone();
        let options = service_options.clone();
        async move { Ok::<_, Infallible>(handle(request, dispatcher, &options, peer).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    let mut connection = std::pin::pin!(connection);
    let stopping = async move {
        // Stop when told to, or when the server is gone.
        let _ = stop.wait_for(|stopped| *stopped).await;
    };
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stopping => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        debug!(%peer, "control connection ended: {e}");
    }
}

type HttpResponse = Response<Full<Bytes>>;

fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    headers.insert(SERVER, HeaderValue::from_static(SERVER_NAME));
    response
}

/// `status` with `Connection: close`, for requests whose body is left unread.
fn closing(status: StatusCode, text: &'static str) -> HttpResponse {
    let mut response = plain(status, text);
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

const SERVER_NAME: &str = concat!("Switchyard/", env!("CARGO_PKG_VERSION"));

async fn handle(
    request: Request<Incoming>,
    dispatcher: Arc<dyn Dispatcher>,
    options: &ServeOptions,
    peer: SocketAddr,
) -> HttpResponse {
    if !options.access.allows(request.headers()) {
        debug!(%peer, "request without the bearer token refused");
        let mut response = problem(&Problem::new(
            StatusCode::UNAUTHORIZED,
            "this server requires `Authorization: Bearer <token>`",
        ));
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let path = request.uri().path();
    if path.starts_with("/api/") {
        return rest_answer(request, dispatcher, options, peer).await;
    }
    if path == "/openapi.json" {
        if request.method() != Method::GET {
            return not_allowed("GET");
        }
        let document = crate::openapi::document()
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        return with_type(
            Response::new(Full::new(Bytes::from(document))),
            "application/json",
        );
    }
    if !matches!(path, "/" | "/RPC2") {
        return plain(
            StatusCode::NOT_FOUND,
            "not found: XML-RPC is served at / and /RPC2, REST under /api/v1 (see /openapi.json)\n",
        );
    }
    if request.method() != Method::POST {
        let mut response = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed: XML-RPC takes POST\n",
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let body = match read_body(request, options, peer).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let result = answer(&body, dispatcher, peer).await;
    with_type(
        Response::new(Full::new(Bytes::from(xmlrpc::encode_response(&result)))),
        "text/xml",
    )
}

/// `response` with its content type and the server's name.
fn with_type(mut response: HttpResponse, content_type: &'static str) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(SERVER, HeaderValue::from_static(SERVER_NAME));
    response
}

/// `405` naming the methods allowed.
fn not_allowed(allowed: &str) -> HttpResponse {
    let mut response = problem(&Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("this path takes {allowed}"),
    ));
    if let Ok(value) = HeaderValue::from_str(allowed) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

/// An RFC 9457 problem response.
fn problem(problem: &Problem) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(problem.to_json().to_string())));
    *response.status_mut() = problem.status;
    with_type(response, "application/problem+json")
}

/// The whole request body, within the size and time limits; the error is
/// the response to send instead.
async fn read_body(
    request: Request<Incoming>,
    options: &ServeOptions,
    peer: SocketAddr,
) -> Result<Bytes, HttpResponse> {
    const TOO_LARGE: &str = "request body too large\n";
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > options.max_body_bytes as u64) {
        return Err(closing(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE));
    }
    let body = Limited::new(request.into_body(), options.max_body_bytes);
    match tokio::time::timeout(options.body_read_timeout, body.collect()).await {
        Err(_) => Err(closing(
            StatusCode::REQUEST_TIMEOUT,
            "request body timed out\n",
        )),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(closing(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE))
        }
        Ok(Err(e)) => {
            debug!(%peer, "request body failed: {e}");
            Err(closing(
                StatusCode::BAD_REQUEST,
                "could not read the request body\n",
            ))
        }
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// A REST request: its route's function, called as XML-RPC would call it,
/// answered as JSON or as a problem.
async fn rest_answer(
    request: Request<Incoming>,
    dispatcher: Arc<dyn Dispatcher>,
    options: &ServeOptions,
    peer: SocketAddr,
) -> HttpResponse {
    let (route, path) = match rest::find(request.method().as_str(), request.uri().path()) {
        Ok(found) => found,
        Err(Mismatch::NoPath) => {
            return problem(&Problem::new(
                StatusCode::NOT_FOUND,
                format!("no route {} (see /openapi.json)", request.uri().path()),
            ));
        }
        Err(Mismatch::Methods(allowed)) => return not_allowed(&allowed.join(", ")),
    };
    let body = if rest::takes_body(route) {
        let bytes = match read_body(request, options, peer).await {
            Ok(bytes) => bytes,
            Err(response) => return response,
        };
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(json) if json.is_object() => Some(json),
            Ok(_) => {
                return problem(&Problem::new(
                    StatusCode::BAD_REQUEST,
                    "the body must be a JSON object",
                ));
            }
            Err(e) => {
                return problem(&Problem::new(
                    StatusCode::BAD_REQUEST,
                    format!("the body is not JSON: {e}"),
                ));
            }
        }
    } else {
        None
    };
    let call = match rest::call(route, &path, body.as_ref()) {
        Ok(call) => call,
        Err(why) => return problem(&Problem::new(StatusCode::BAD_REQUEST, why)),
    };
    debug!(%peer, function = route.function, "REST call");
    match dispatch(call, dispatcher, peer).await {
        Ok(value) => with_type(
            Response::new(Full::new(Bytes::from(json::to_json(&value).to_string()))),
            "application/json",
        ),
        Err(fault) => problem(&Problem::from(fault)),
    }
}

async fn answer(
    body: &[u8],
    dispatcher: Arc<dyn Dispatcher>,
    peer: SocketAddr,
) -> Result<Value, Fault> {
    let (method, params) = xmlrpc::parse_method_call(body).inspect_err(|fault| {
        debug!(%peer, "XML-RPC request rejected: {}", fault.message);
    })?;
    debug!(%peer, method = ?method, "XML-RPC call");
    dispatch(route(&method, params)?, dispatcher, peer).await
}

/// Runs one call on its own task: a panic is fault -32603, a client that
/// goes away aborts it.
async fn dispatch(
    call: Route,
    dispatcher: Arc<dyn Dispatcher>,
    peer: SocketAddr,
) -> Result<Value, Fault> {
    let function = call.function.clone();
    let task = AbortOnDrop(tokio::spawn(async move { dispatcher.dispatch(call).await }));
    match task.await {
        Ok(result) => result,
        Err(e) => {
            warn!(%peer, function, "dispatcher failed: {e}");
            Err(Fault::internal("internal error"))
        }
    }
}

/// A task handle that aborts its task when dropped (when the client goes away, or the
/// connection is dropped at the end of the shutdown grace).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
