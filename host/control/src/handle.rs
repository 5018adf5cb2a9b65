//! What the endpoint answers, by path: REST under `/api/`, the OpenAPI
//! document, Prometheus metrics at `/metrics`, and XML-RPC at `/` and
//! `/RPC2`; every request first passes the origin checks, then the access
//! rule (which a read token passes only to read, and to subscribe to events
//! while more than half the subscribers' places are free, until a rule adopted
//! later no longer lets its token in).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::header::{ALLOW, CONTENT_SECURITY_POLICY, HeaderValue, ORIGIN, X_FRAME_OPTIONS};
use hyper::{Method, Request, StatusCode};
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::access::Grant;
use crate::half_close::RequestBody;
use crate::http::{HttpResponse, json, not_allowed, problem, read_body, whole, with_type};
use crate::problem::Problem;
use crate::rest::{self, Mismatch, RestRoute};
use crate::server::Endpoint;
use crate::{Dispatcher, Fault, Route, ServeOptions, Value, route, xmlrpc};
use crate::{access, events, files, media, metrics, multicall, origin, websocket};

/// The web console: one page, its script and style inline, on the REST
/// routes and the event stream.
const CONSOLE: &str = include_str!("../console/index.html");

/// The path of the event stream.
pub const EVENTS_PATH: &str = "/api/v1/events";

/// The methods of a path that serves a document: `HEAD` is `GET` without the body
/// (RFC 9110 §9.3.2), which hyper leaves out of a `HEAD`'s answer.
const READ: &str = "GET, HEAD";

/// The methods of `/`: the console is read, XML-RPC is posted.
const ROOT: &str = "GET, HEAD, POST";

/// The methods of a recording: it is downloaded, or deleted.
const RECORDING: &str = "GET, HEAD, DELETE";

pub(crate) async fn handle(
    request: Request<RequestBody>,
    dispatcher: Arc<dyn Dispatcher>,
    endpoint: &Endpoint,
    peer: SocketAddr,
) -> HttpResponse {
    let options = &endpoint.options;
    let path = request.uri().path().to_owned();
    let path = path.as_str();
    if let Err(refusal) = origin::check(
        request.headers(),
        request.uri(),
        endpoint.loopback,
        options.tls.is_some(),
        &options.public_origins,
    ) {
        debug!(%peer, "request refused: {}", refusal.detail);
        return problem(&refusal);
    }
    // Every path that answers GET answers HEAD as GET, without the body, but a recording's,
    // whose HEAD reads no range, and the event WebSocket's, whose HEAD is never upgraded.
    let head = request.method() == Method::HEAD;
    let reads = head || request.method() == Method::GET;
    let console = path == "/" && reads;
    let admission = match options.access.admit(request.method(), request.headers()) {
        Ok(admission) => admission,
        // The console page holds no data: it asks for the token and sends it with its
        // requests, and a browser sends none when it opens the page.
        Err(_) if console => return console_page(),
        Err(refusal) => {
            debug!(%peer, ?refusal, "request refused by the access rule");
            // XML-RPC clients know Basic credentials; every path but these takes XML-RPC.
            let xmlrpc =
                !path.starts_with("/api/") && !matches!(path, metrics::PATH | "/openapi.json");
            return access::answer(refusal, xmlrpc);
        }
    };
    let grant = admission.grant();
    if let Some(source) = &options.metrics
        && path == metrics::PATH
    {
        if !reads {
            return not_allowed(READ);
        }
        return with_type(whole(source.render()), metrics::CONTENT_TYPE_TEXT);
    }
    if path == websocket::PATH || path == EVENTS_PATH {
        if !reads {
            return not_allowed(READ);
        }
        let Some(log) = options.events.clone() else {
            return problem(&Problem::new(
                StatusCode::NOT_FOUND,
                "this server keeps no events",
            ));
        };
        // A malformed handshake is told what is wrong with it, whether or not a place is free.
        let handshake = if path == websocket::PATH {
            match websocket::Handshake::check(request.headers()) {
                Ok(handshake) => Some(handshake),
                Err(refusal) => return refusal.answer(),
            }
        } else {
            None
        };
        // A query the stream does not take is refused before anything is subscribed or
        // upgraded, as is a HEAD, which is answered as its GET would be.
        let (after, filter) = match subscription(&request) {
            Ok(asked) => asked,
            Err(bad) => return problem(&Problem::new(StatusCode::BAD_REQUEST, bad.to_string())),
        };
        let busy = || no_subscriber_place(endpoint, grant);
        if head {
            // What a GET would be answered, without subscribing.
            if places_free_to(endpoint, grant) == 0 {
                return busy();
            }
            if handshake.is_some() {
                return websocket::head();
            }
            return events::head();
        }
        let Some(permit) = subscriber_place(endpoint, grant) else {
            return busy();
        };
        let ending = events::Ending {
            stopping: endpoint.stopping.clone(),
            admission,
        };
        if let Some(handshake) = handshake {
            return handshake.upgrade(request, log, after, filter, permit, ending);
        }
        return events::stream(log, after, filter, permit, ending);
    }
    // A recording is downloaded here; DELETE goes to its REST route.
    if let Some(name) = path.strip_prefix(files::DOWNLOAD_PREFIX)
        && request.method() != Method::DELETE
    {
        if !reads {
            return not_allowed(RECORDING);
        }
        // As the list of recordings and a deletion are answered: a state of the server (no
        // directory configured), not a name it lacks.
        let Some(dir) = &options.recordings else {
            return problem(&Problem::new(
                StatusCode::CONFLICT,
                "this server keeps no recordings: no recording directory is configured",
            ));
        };
        return files::download(dir, name, request.headers(), head).await;
    }
    if path.starts_with("/api/") {
        return rest_answer(request, dispatcher, options, peer).await;
    }
    if path == "/openapi.json" {
        if !reads {
            return not_allowed(READ);
        }
        let document = crate::openapi::document()
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        return with_type(whole(document), "application/json");
    }
    if console {
        return console_page();
    }
    // As SEMS's XML-RPC server, any other path takes a POSTed methodCall.
    if request.method() != Method::POST {
        return not_xmlrpc(path);
    }
    // A browser names its page's origin on every POST (RFC 6454 §7): only then can the body
    // be a form another site's page sent. Other clients, SEMS's own among them, are taken
    // whatever type their body says, as SEMS takes them (curl -d sends a form type).
    if request.headers().contains_key(ORIGIN)
        && let Some(refusal) = media::refusal(request.headers(), media::XML, "XML-RPC")
    {
        return refusal;
    }
    let body = match read_body(request, options, peer).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let result = answer(&body, dispatcher, peer).await;
    with_type(whole(xmlrpc::encode_response(&result)), "text/xml")
}

/// The resume point and filter an event subscriber's `request` asks for, or the parameter
/// (of the query, or `Last-Event-ID`) whose value the stream does not take.
fn subscription(
    request: &Request<RequestBody>,
) -> Result<(u64, events::Filter), events::BadParameter> {
    let query = request.uri().query();
    let after = events::resume_point(request.headers(), query)?;
    Ok((after, events::Filter::from_query(query)?))
}

/// The event-stream places a subscriber with `grant` is to leave free: with the read token,
/// half of the endpoint's places (rounded up), so that however many streams its holders open
/// (wallboards reconnecting in a loop), the admin token can still subscribe.
fn places_left_by(grant: Grant, endpoint: &Endpoint) -> usize {
    match grant {
        Grant::Everything => 0,
        Grant::Read => endpoint.subscriber_places().div_ceil(2),
    }
}

/// How many event-stream places a subscriber with `grant` may take now.
fn places_free_to(endpoint: &Endpoint, grant: Grant) -> usize {
    let left = places_left_by(grant, endpoint);
    endpoint
        .subscribers
        .available_permits()
        .saturating_sub(left)
}

/// An event-stream place for a subscriber with `grant`, if one is free to it.
fn subscriber_place(endpoint: &Endpoint, grant: Grant) -> Option<OwnedSemaphorePermit> {
    // Not even for a moment does a subscriber sure to be refused take a place, which the
    // admin token's subscriber might find taken.
    if places_free_to(endpoint, grant) == 0 {
        return None;
    }
    let place = endpoint.subscribers.clone().try_acquire_owned().ok()?;
    // Counted again after taking it: two subscribers let in at once cannot both take the
    // last place free to them (both are refused, rather).
    let left = places_left_by(grant, endpoint);
    (endpoint.subscribers.available_permits() >= left).then_some(place)
}

/// The `503` for a subscriber with `grant` that finds no place free to it.
fn no_subscriber_place(endpoint: &Endpoint, grant: Grant) -> HttpResponse {
    let most = endpoint.subscriber_places();
    let detail = match grant {
        Grant::Everything => {
            format!("already serving the most event subscribers ({most}); try again later")
        }
        Grant::Read => format!(
            "already serving the most event subscribers the read token may have: it leaves {} \
             of the {most} places to the admin token; try again later",
            places_left_by(grant, endpoint)
        ),
    };
    problem(&Problem::new(StatusCode::SERVICE_UNAVAILABLE, detail))
}

/// The problem answering a request other than a POST on an XML-RPC path: `405` with `Allow` on
/// `/` and `/RPC2` (`GET /` is the console), `404` elsewhere.
fn not_xmlrpc(path: &str) -> HttpResponse {
    if !matches!(path, "/" | "/RPC2") {
        return problem(&Problem::new(
            StatusCode::NOT_FOUND,
            "not found: XML-RPC is POSTed to any other path (/ and /RPC2 are usual), \
             REST is under /api/v1 (see /openapi.json)",
        ));
    }
    let mut response = problem(&Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed: XML-RPC takes POST (GET / is the web console)",
    ));
    let allow = if path == "/" { ROOT } else { "POST" };
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

/// The console page, which no other site may frame: a hidden frame over a decoy button would
/// have a visitor click the console's own same-origin requests (kick, lock, dial out).
fn console_page() -> HttpResponse {
    let mut response = with_type(whole(CONSOLE), "text/html; charset=utf-8");
    let headers = response.headers_mut();
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    response
}

/// A REST request: its route's function, called as XML-RPC would call it,
/// answered as JSON or as a problem.
async fn rest_answer(
    request: Request<RequestBody>,
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
        Err(Mismatch::NotUtf8(segment)) => return problem(&segment.path_problem()),
    };
    let untyped = media::refusal(request.headers(), media::JSON, "a REST body");
    let bytes = match read_body(request, options, peer).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refusal,
    };
    // Read (within the size and time limits: 413, 408) before its type is judged: a request
    // without a body (the console's POSTs) needs no type, however its framing says so: no
    // body, `Content-Length: 0`, or a chunked body of its last chunk alone.
    if !bytes.is_empty()
        && let Some(refusal) = untyped
    {
        return refusal;
    }
    let asked = rest_body(route, &bytes).and_then(|body| rest::call(route, &path, body.as_ref()));
    let call = match asked {
        Ok(call) => call,
        Err(why) => return problem(&Problem::new(StatusCode::BAD_REQUEST, why)),
    };
    debug!(%peer, function = route.function, "REST call");
    match dispatch(call, dispatcher, peer).await {
        Ok(value) => json(&crate::json::to_json(&value)),
        Err(fault) => problem(&Problem::from(fault)),
    }
}

/// The JSON object the body `bytes` of a request to `route` holds: none for a route that
/// takes no body; the error is why the body is refused (`400`).
fn rest_body(route: &RestRoute, bytes: &[u8]) -> Result<Option<serde_json::Value>, String> {
    if rest::takes_body(route) {
        json_object(bytes).map(Some)
    } else {
        no_body(bytes).map(|()| None)
    }
}

/// The JSON object `bytes` hold; the error says why they are none.
fn json_object(bytes: &[u8]) -> Result<serde_json::Value, String> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(json) if json.is_object() => Ok(json),
        Ok(_) => Err("the body must be a JSON object".to_owned()),
        Err(e) => Err(format!("the body is not JSON: {e}")),
    }
}

/// Refuses the body of a request to a route that takes none: what the client meant by it
/// would otherwise be dropped and the route's action carried out all the same
/// (`{"locked": false}` locking a room). An empty body and an empty JSON object (what
/// generic clients send to a `POST` that takes nothing) are none.
fn no_body(bytes: &[u8]) -> Result<(), String> {
    let empty_object = || {
        serde_json::from_slice::<serde_json::Value>(bytes)
            .is_ok_and(|json| json.as_object().is_some_and(serde_json::Map::is_empty))
    };
    if bytes.is_empty() || empty_object() {
        return Ok(());
    }
    Err("this operation takes no body".to_owned())
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
    if method == multicall::METHOD {
        let mut answers = Vec::new();
        for call in multicall::calls(params)? {
            let answer = match call {
                Ok(call) => dispatch(call, Arc::clone(&dispatcher), peer).await,
                Err(refused) => Err(refused),
            };
            answers.push(multicall::entry(answer));
        }
        return Ok(Value::Array(answers));
    }
    dispatch(route(&method, params)?, dispatcher, peer).await
}

/// Runs one call on its own task: a panic is fault -32603, a connection that
/// fails (is reset) aborts it; a client that only closes its sending side is
/// still answered.
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
            Err(Fault::internal_error())
        }
    }
}

/// A task handle that aborts its task when dropped (when the connection fails, or is
/// dropped at the end of the shutdown grace).
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
