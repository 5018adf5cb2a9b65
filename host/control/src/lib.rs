//! The HTTP/XML-RPC control endpoint of Switchyard.
//!
//! This crate is the tokio/hyper shell of the control endpoint that SEMS clients (Python's stock
//! `xmlrpc.client`, the SEMS pyqt GUI, `sems-webconference-*` scripts) talk to unchanged. It owns
//! no call logic: it accepts HTTP/1.1 connections, parses `methodCall` documents into [`Value`]s,
//! resolves SEMS's three spellings of a call into a [`Route`] and hands that to a [`Dispatcher`]
//! that the binary implements, then encodes the result or [`Fault`] as a `methodResponse`.
//!
//! # What a client gets
//!
//! | request | answer |
//! |---|---|
//! | `POST` of a well-formed `methodCall` to `/`, `/RPC2` or any path not named below (SEMS's server reads no path) | `200`, `text/xml`, the dispatcher's result or fault |
//! | `system.multicall([{methodName, params}, …])` (at most 256) | `200`, each call's value in a one-element array, or its fault as `{faultCode, faultString}` |
//! | `POST` with malformed XML, or XML that is not a `methodCall` | `200` with fault `-32700` `"parse error: <what>"` (the xmlrpc-epi convention) |
//! | `POST` of a well-formed `methodCall` with an int (`<i4>`, `<int>`, `<i8>`) beyond 32 bits | `200` with fault `-32602` `"invalid params: <what>"` |
//! | `POST` from a browser (with `Origin`) whose `Content-Type` is not `text/xml` or `application/xml` | `415`, a problem naming both |
//! | `di` with fewer than two params, or a non-string interface/function | `200` with fault `400` |
//! | `GET` or `HEAD /` | `200`, the web console's page, with or without the token |
//! | any other HTTP method on `/` or `/RPC2` | `405`, a problem, `Allow: GET, HEAD, POST` (on `/`) or `Allow: POST` |
//! | `HEAD` of any path that answers `GET` | what `GET` answers, without the body (RFC 9110 §9.3.2), but where only a `GET` is served: of a recording, the whole file's headers (`200` where a `GET` with `Range` gets `206`: only a `GET` is served a range, RFC 9110 §14.2); of the event stream without subscribing, and over WebSocket never upgraded (`426` where a `GET` gets `101`: an opening handshake is a `GET`, RFC 6455 §4.1) |
//! | `GET` or `HEAD /metrics`, when [`ServeOptions::metrics`] is set | `200`, the [`MetricsSource`]'s Prometheus text |
//! | any other HTTP method on `/metrics`, when it is set | `405`, `Allow: GET, HEAD` |
//! | a REST request with a body whose `Content-Type` is not `application/json` | `415` |
//! | a REST request with a body (but an empty JSON object) to a route that takes none | `400`, a problem, once the body is read within the limits below |
//! | a REST path (or a recording's name) whose segment is not UTF-8 once percent-decoded | `400`, a problem |
//! | an event subscription whose `after` is neither an id nor `now`, whose `dtmf` is no boolean (`true`, `false`, `1`, `0`) or whose `room` is not UTF-8 | `400`, a problem naming it (before a WebSocket upgrade) |
//! | an `Origin` that is not the request's own host and port (another site's page) | `403` |
//! | on a loopback listener, a `Host` that is not `localhost` or a loopback address | `421` |
//! | without the token, when one is configured | `401`, `WWW-Authenticate: Bearer` (on the XML-RPC paths also `Basic realm="switchyard"`) |
//! | with the read token ([`access::Access::with_read_token`]), any method but `GET` and `HEAD` (every XML-RPC call) | `403`, a problem saying the token may only read |
//! | an event subscriber beyond [`ServeOptions::max_subscribers`] (64), or with the read token beyond half of them | `503` (a malformed WebSocket handshake gets its `400` or `426` all the same) |
//! | an event subscriber when the server stops | the end of its server-sent events; on a WebSocket, a Close `1001` |
//! | an event subscriber whose token an access rule adopted since ([`access::Access::adopt`]) no longer lets do all it was let in to do (replaced, the admin token now the read token, or one needed where none was; not a read token made the admin token, nor every token unset) | the end of its server-sent events; on a WebSocket, a Close `1008`; its place freed |
//! | a method other than `POST` on any other path | `404`, a problem |
//! | a request head over 16 KiB | `431`, connection closed |
//! | a connection beyond [`ServeOptions::max_connections`] (256), or beyond [`ServeOptions::max_connections_per_peer`] (128) from one host | reset unanswered (so its client knows the request was not taken) |
//! | a body over [`ServeOptions::max_body_bytes`] (1 MiB) | `413`, connection closed |
//! | a body that does not arrive within [`ServeOptions::body_read_timeout`] | `408`, connection closed |
//! | a client that takes nothing sent to it for [`ServeOptions::write_stall_timeout`] (30 s) | connection closed, its event subscription ended |
//! | a client that closes its sending side (a TCP half-close) once it has sent its request | the answer, then the connection closed; before the request is whole: closed at once (a `400` if its body is cut short) |
//! | request headers that do not arrive within [`ServeOptions::header_read_timeout`] (also an idle keep-alive connection) | connection closed |
//! | a REST request the dispatcher answers with a [`Fault::busy`] | `503`, a problem, `Retry-After: 1` (XML-RPC: `200` with that fault, `-32603`) |
//! | a dispatcher that panics | `200` with fault `-32603` `"internal error"`; the server keeps serving |
//!
//! # Values
//!
//! Requests are parsed with `quick-xml`'s pull reader by a small XML-RPC grammar in [`xmlrpc`]:
//! typed values (`i4`, `int`, `i8`, each when it fits 32 bits, `boolean`, `double`, `string`,
//! `base64`, `dateTime.iso8601`, `array`, `struct`, `nil` and `ex:nil`), untyped
//! `<value>text</value>` (a string), whitespace, comments, CDATA and character references. A
//! [`Value`] holds no int wider than 32 bits, so a wider int, whichever its tag, is fault
//! `-32602`. Responses are written by hand-built XML that Python's `xmlrpc.client.loads`
//! reads back (checked by the tests).

pub mod access;
mod count;
pub mod events;
mod fault;
pub mod file_stamp;
pub mod files;
mod half_close;
mod handle;
mod http;
pub mod json;
mod media;
mod metrics;
mod multicall;
pub mod openapi;
mod origin;
mod peers;
pub mod problem;
pub mod regular_file;
pub mod rest;
mod route;
mod served_wav;
mod server;
mod silent_peer;
mod stall;
mod stop;
#[cfg(test)]
mod test_log;
pub mod tls;
mod websocket;
pub mod xmlrpc;

pub use count::count;
pub use fault::Fault;
pub use metrics::MetricsSource;
pub use origin::PublicOrigin;
pub use route::{Route, route};
pub use server::{DispatchFuture, Dispatcher, ServeOptions, serve, serve_with};
pub use switchyard_value::Value;
