//! HTTP answers of the control endpoint: JSON, RFC 9457
//! problems, and reading a request body within its limits.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::{Body, Frame};
use hyper::header::{
    ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER, SERVER,
};
use hyper::{Request, Response, StatusCode};
use tokio::sync::mpsc;
use tracing::debug;

use crate::ServeOptions;
use crate::half_close::RequestBody;
use crate::problem::Problem;

/// Every answer: a whole body, or a stream (server-sent events).
pub(crate) type HttpResponse = Response<BoxBody<Bytes, Infallible>>;

/// The `Server` header.
const SERVER_NAME: &str = concat!("Switchyard/", env!("CARGO_PKG_VERSION"));

/// A response with the whole `body`.
pub(crate) fn whole(body: impl Into<Bytes>) -> HttpResponse {
    Response::new(Full::new(body.into()).boxed())
}

/// An RFC 9457 problem of `status` saying `detail`, with `Connection: close`, for requests
/// whose body is left unread.
pub(crate) fn closing(status: StatusCode, detail: &'static str) -> HttpResponse {
    let mut response = problem(&Problem::new(status, detail));
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `response` with its content type and the server's name.
pub(crate) fn with_type(mut response: HttpResponse, content_type: &'static str) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(SERVER, HeaderValue::from_static(SERVER_NAME));
    response
}

/// A JSON answer.
pub(crate) fn json(value: &serde_json::Value) -> HttpResponse {
    with_type(whole(value.to_string()), "application/json")
}

/// `405` naming the methods allowed.
pub(crate) fn not_allowed(allowed: &str) -> HttpResponse {
    let mut response = problem(&Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("this path takes {allowed}"),
    ));
    if let Ok(value) = HeaderValue::from_str(allowed) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

/// An RFC 9457 problem response, with `Retry-After` when the problem has one.
pub(crate) fn problem(problem: &Problem) -> HttpResponse {
    let mut response = with_type(
        whole(problem.to_json().to_string()),
        "application/problem+json",
    );
    *response.status_mut() = problem.status;
    if let Some(seconds) = problem.retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The whole request body, within the size and time limits; the error is
/// the response to send instead.
pub(crate) async fn read_body(
    request: Request<RequestBody>,
    options: &ServeOptions,
    peer: SocketAddr,
) -> Result<Bytes, HttpResponse> {
    const TOO_LARGE: &str = "request body too large";
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
            "request body timed out",
        )),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(closing(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE))
        }
        Ok(Err(e)) => {
            debug!(%peer, "request body failed: {e}");
            Err(closing(
                StatusCode::BAD_REQUEST,
                "could not read the request body",
            ))
        }
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// A response body fed by a channel: each message one frame, the end when
/// the sender is gone.
pub(crate) struct ChannelBody {
    frames: mpsc::Receiver<Bytes>,
}

impl ChannelBody {
    pub(crate) fn new(frames: mpsc::Receiver<Bytes>) -> Self {
        ChannelBody { frames }
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.frames
            .poll_recv(cx)
            .map(|frame| frame.map(|bytes| Ok(Frame::data(bytes))))
    }
}
