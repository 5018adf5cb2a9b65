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
use hyper::header::{ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, SERVER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{debug, info, warn};

use crate::{Fault, Route, Value, route, xmlrpc};

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
#[derive(Debug, Clone)]
pub struct ServeOptions {
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

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
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
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
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
    let connection = builder.serve_connection(TokioIo::new(stream), service);
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
        debug!(%peer, "XML-RPC connection ended: {e}");
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
    if !matches!(request.uri().path(), "/" | "/RPC2") {
        return plain(
            StatusCode::NOT_FOUND,
            "not found: XML-RPC is served at / and /RPC2\n",
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
    const TOO_LARGE: &str = "request body too large\n";
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > options.max_body_bytes as u64) {
        return closing(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE);
    }
    let body = Limited::new(request.into_body(), options.max_body_bytes);
    let body = match tokio::time::timeout(options.body_read_timeout, body.collect()).await {
        Err(_) => return closing(StatusCode::REQUEST_TIMEOUT, "request body timed out\n"),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return closing(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE);
        }
        Ok(Err(e)) => {
            debug!(%peer, "XML-RPC request body failed: {e}");
            return closing(StatusCode::BAD_REQUEST, "could not read the request body\n");
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };

    let result = answer(&body, dispatcher, peer).await;
    let mut response = Response::new(Full::new(Bytes::from(xmlrpc::encode_response(&result))));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    headers.insert(SERVER, HeaderValue::from_static(SERVER_NAME));
    response
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
    let route = route(&method, params)?;
    let call = AbortOnDrop(tokio::spawn(
        async move { dispatcher.dispatch(route).await },
    ));
    match call.await {
        Ok(result) => result,
        Err(e) => {
            warn!(%peer, method = ?method, "XML-RPC dispatcher failed: {e}");
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
