//! The OpenAPI 3 document of the control endpoint, served at
//! `/openapi.json`: every REST route of [`crate::rest::ROUTES`] and every
//! other route the endpoint serves ([`OTHER_ROUTES`]), each `GET` with its
//! `HEAD` (as the server answers it: a recording's without a range, the
//! WebSocket's never upgraded), built from the same tables the router uses so
//! that the two cannot drift apart.

use crate::rest::{Arg, ROUTES, RestRoute, Verb};
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, RefOr,
    Required, ResponseBuilder,
};

/// A route of the endpoint that is not a REST route: its method, path,
/// what it does and what it answers.
pub struct OtherRoute {
    /// Its method.
    pub verb: Verb,
    /// Its path.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Its successful answers: status, what it means and media type (none: the answer has
    /// no body).
    pub answers: &'static [(&'static str, &'static str, Option<&'static str>)],
    /// The refusals of this route alone (an RFC 9457 problem each): status and
    /// what it means. Those of every route (401, 403, 404, 415, 421, …) are
    /// the `default` answer.
    pub refusals: &'static [(&'static str, &'static str)],
    /// The credentials it takes from a server with a token.
    pub credentials: Credentials,
    /// The query parameters and headers it reads, besides the path's `{name}`s.
    pub inputs: &'static [Input],
    /// The body it takes, if any: required, of any of its media types.
    pub body: Option<Body>,
    /// How a `GET` route answers `HEAD` when that is not `GET`'s answers without their
    /// bodies; `None` for the others (and for a route of another method).
    pub head: Option<HeadRoute>,
}

/// The `HEAD` of a `GET` route that is answered otherwise than the `GET`, without the body.
pub struct HeadRoute {
    /// What it does.
    pub summary: &'static str,
    /// Its answers of this route alone: status and what it means; none has a body. Those of
    /// every route are the `default` answer, as for `GET`.
    pub answers: &'static [(&'static str, &'static str)],
    /// The query parameters and headers it reads, besides the path's `{name}`s.
    pub inputs: &'static [Input],
}

/// A query parameter or a request header a route reads; none is required.
pub struct Input {
    /// Its name.
    pub name: &'static str,
    /// Where it is sent.
    pub place: Place,
    /// The type of its value.
    pub kind: Kind,
    /// What it asks for.
    pub description: &'static str,
}

/// Where an [`Input`] is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the query string.
    Query,
    /// As a request header.
    Header,
}

/// The type of an [`Input`]'s value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    String,
    /// A whole number of at least 0.
    Count,
    /// A whole number of at least 0, or `now`.
    CountOrNow,
    /// `true` (or `1`) or `false`.
    Boolean,
}

/// The body a route takes.
pub struct Body {
    /// What it is.
    pub description: &'static str,
    /// The media types it may be sent as.
    pub media_types: &'static [&'static str],
}

/// What the event stream reads, over server-sent events and WebSocket alike.
const EVENT_INPUTS: &[Input] = &[
    Input {
        name: "room",
        place: Place::Query,
        kind: Kind::String,
        description: "Only this room's events (and those of no room)",
    },
    Input {
        name: "dtmf",
        place: Place::Query,
        kind: Kind::Boolean,
        description: "`true` (or `1`): key presses as well; `false` (or `0`), the default: \
                      none. Any other value is answered 400",
    },
    Input {
        name: "after",
        place: Place::Query,
        kind: Kind::CountOrNow,
        description: "Resume after the event of this id; `now`: only events published once \
                      the subscription is answered, none of those kept. Without it (or \
                      `Last-Event-ID`, which wins over it) the stream starts with every event \
                      kept (the last 4,096), oldest first and sent as any other, then the new \
                      ones. Any other value is answered 400",
    },
    Input {
        name: "Last-Event-ID",
        place: Place::Header,
        kind: Kind::Count,
        description: "Resume after the event of this id, as a reconnecting `EventSource` asks; \
                      an empty value is none. Any other value is answered 400",
    },
];

/// What a recording's download reads.
const RANGE_INPUTS: &[Input] = &[
    Input {
        name: "Range",
        place: Place::Header,
        kind: Kind::String,
        description: "One byte range (`bytes=<first>-[<last>]` or `bytes=-<suffix>`), \
                      answered 206; ranges wholly beyond the recording are left out, and \
                      several left (overlapping or not), or a value that is no byte range, \
                      are answered with the whole recording",
    },
    Input {
        name: "If-Range",
        place: Place::Header,
        kind: Kind::String,
        description: "Sent by a client resuming a download: the whole recording is answered \
                      (200) rather than the range",
    },
];

/// Why the event stream refuses a subscriber, over server-sent events and WebSocket alike.
const NO_SUBSCRIBER_PLACE: &str = "As many clients as the server serves are subscribed, or, \
                                   with the read token, as many as it may have (half the \
                                   places stay for the admin token)";

/// Why the event stream over WebSocket refuses a request as malformed, `GET` and `HEAD`
/// alike.
const MALFORMED_HANDSHAKE: &str = "A WebSocket handshake without `Connection: Upgrade` or a \
                                   valid key, or a query parameter whose value the stream \
                                   does not take, named with its value";

/// What XML-RPC takes.
const METHOD_CALL: Option<Body> = Some(Body {
    description: "The methodCall",
    media_types: &["text/xml", "application/xml"],
});

/// The credentials a route takes from a server configured with a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// None: it is served to anyone (the console page, which asks for the token itself).
    None,
    /// The token, as every route but the console's takes it: as a bearer token, or as the
    /// password of Basic credentials (what stock XML-RPC clients send for a URL's
    /// `user:password@`), on every path alike.
    Token,
}

/// The routes besides the REST ones.
pub const OTHER_ROUTES: &[OtherRoute] = &[
    OtherRoute {
        verb: Verb::Get,
        path: "/",
        summary: "The web console: rooms, participants, recordings and guests",
        answers: &[("200", "The console's page", Some("text/html"))],
        refusals: &[],
        credentials: Credentials::None,
        inputs: &[],
        body: None,
        head: None,
    },
    OtherRoute {
        verb: Verb::Post,
        path: "/",
        summary: "XML-RPC (SEMS's xmlrpc2di path): a methodCall in, a methodResponse out",
        answers: &[(
            "200",
            "The methodResponse: a value or a fault",
            Some("text/xml"),
        )],
        refusals: &[],
        credentials: Credentials::Token,
        inputs: &[],
        body: METHOD_CALL,
        head: None,
    },
    OtherRoute {
        verb: Verb::Post,
        path: "/RPC2",
        summary: "XML-RPC, as at /",
        answers: &[(
            "200",
            "The methodResponse: a value or a fault",
            Some("text/xml"),
        )],
        refusals: &[],
        credentials: Credentials::Token,
        inputs: &[],
        body: METHOD_CALL,
        head: None,
    },
    OtherRoute {
        verb: Verb::Get,
        path: crate::handle::EVENTS_PATH,
        summary: "Server-sent events of rooms, participants, placed calls and guests \
                  (`room=<room>` keeps one room's, `dtmf=1` adds key presses); each has an \
                  id, and `Last-Event-ID` (or `after=<id>`) resumes after it. With neither, \
                  every event kept (the last 4,096) comes first, unmarked, then the new ones; \
                  `after=now` sends only the new ones",
        answers: &[(
            "200",
            "The events, as they happen. A `reset` event (data `{\"missed\": true, \
             \"resume_from\": <id or null>}`) tells that events the filter takes were \
             dropped before they were sent (an id the log no longer keeps, or a client \
             that fell behind); its id is the one to resume after. The \
             body ends when the server stops, or once a reload no longer lets the token \
             do all it was let in to do",
            Some("text/event-stream"),
        )],
        refusals: &[
            (
                "400",
                "A query parameter whose value the stream does not take, named with its value",
            ),
            ("503", NO_SUBSCRIBER_PLACE),
        ],
        credentials: Credentials::Token,
        inputs: EVENT_INPUTS,
        body: None,
        head: None,
    },
    OtherRoute {
        verb: Verb::Get,
        path: "/api/v1/events/ws",
        summary: "The event stream over WebSocket: one JSON text message per event, \
                  {id, event, data}; the same filter and resume point",
        answers: &[(
            "101",
            "The connection becomes a WebSocket (RFC 6455): the answer has no body, and the \
             server then sends one JSON text message per event, \
             `{\"id\": <id>, \"event\": <name>, \"data\": {…}}` (a `reset`, telling of \
             events dropped before they were sent, has the id to resume after), \
             and pings while it has nothing to send. It closes the socket with a Close \
             `1001` when it stops, and `1008` once a reload no longer lets the token do \
             all it was let in to do",
            None,
        )],
        refusals: &[
            ("400", MALFORMED_HANDSHAKE),
            (
                "426",
                "No WebSocket upgrade, or not of version 13 (`Sec-WebSocket-Version: 13` \
                 says which)",
            ),
            ("503", NO_SUBSCRIBER_PLACE),
        ],
        credentials: Credentials::Token,
        inputs: EVENT_INPUTS,
        body: None,
        // An opening handshake is a GET (RFC 6455 §4.1): a HEAD is refused as its GET
        // would be, without subscribing, and otherwise never upgraded.
        head: Some(HeadRoute {
            summary: "What a GET of the event stream over WebSocket would be refused, \
                      without subscribing; never an upgrade",
            answers: &[
                ("400", MALFORMED_HANDSHAKE),
                (
                    "426",
                    "Every HEAD not refused otherwise (an opening handshake is a GET, \
                     RFC 6455 §4.1), with `Upgrade: websocket` and \
                     `Sec-WebSocket-Version: 13`",
                ),
                ("503", NO_SUBSCRIBER_PLACE),
            ],
            inputs: EVENT_INPUTS,
        }),
    },
    OtherRoute {
        verb: Verb::Get,
        path: "/api/v1/recordings/{name}",
        summary: "A recording as an attachment, whole or the byte range `Range` asks for",
        answers: &[
            ("200", "The whole recording", Some("audio/wav")),
            (
                "206",
                "The byte range asked for (`Content-Range`)",
                Some("audio/wav"),
            ),
        ],
        refusals: &[(
            "416",
            "No range asked for overlaps the file (`Content-Range: bytes */<length>`)",
        )],
        credentials: Credentials::Token,
        inputs: RANGE_INPUTS,
        body: None,
        // RFC 9110 §14.2: GET is the only method a range is served to.
        head: Some(HeadRoute {
            summary: "The headers of the whole recording, without it: `Range` and \
                      `If-Range` are not read",
            answers: &[(
                "200",
                "The whole recording's headers (`Content-Length`: its size)",
            )],
            inputs: &[],
        }),
    },
    OtherRoute {
        verb: Verb::Get,
        path: crate::metrics::PATH,
        summary: "Prometheus metrics (text exposition format 0.0.4)",
        answers: &[("200", "The metrics", Some("text/plain"))],
        refusals: &[],
        credentials: Credentials::Token,
        inputs: &[],
        body: None,
        head: None,
    },
    OtherRoute {
        verb: Verb::Get,
        path: "/openapi.json",
        summary: "This document",
        answers: &[("200", "The document", Some("application/json"))],
        refusals: &[],
        credentials: Credentials::Token,
        inputs: &[],
        body: None,
        head: None,
    },
];

/// The token as a bearer token, one of the two ways every request but the console's may
/// carry it.
const BEARER: &str = "bearer";
/// The token as the password of Basic credentials (any user name), the other way.
const BASIC: &str = "basic";

/// A requirement of the one scheme `name`.
fn requirement(name: &str) -> SecurityRequirement {
    SecurityRequirement::new(name, Vec::<String>::new())
}

/// What a request carrying the token satisfies: either scheme, as alternatives (OpenAPI 3.1
/// §4.8.10.1).
fn token() -> [SecurityRequirement; 2] {
    [requirement(BEARER), requirement(BASIC)]
}

fn method(verb: Verb) -> HttpMethod {
    match verb {
        Verb::Get => HttpMethod::Get,
        Verb::Post => HttpMethod::Post,
        Verb::Put => HttpMethod::Put,
        Verb::Delete => HttpMethod::Delete,
    }
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn boolean() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Boolean)
}

/// The `{name}` segments of a path template.
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
}

/// An optional query parameter or header.
fn input(input: &Input) -> ParameterBuilder {
    let place = match input.place {
        Place::Query => ParameterIn::Query,
        Place::Header => ParameterIn::Header,
    };
    let schema = match input.kind {
        Kind::String => string(),
        Kind::Count => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0)),
        Kind::CountOrNow => string().pattern(Some("^(now|[0-9]+)$")),
        Kind::Boolean => boolean(),
    };
    ParameterBuilder::new()
        .name(input.name)
        .parameter_in(place)
        .required(Required::False)
        .description(Some(input.description))
        .schema(Some(schema))
}

/// A route's required body.
fn request_body(body: &Body) -> utoipa::openapi::request_body::RequestBody {
    body.media_types
        .iter()
        .fold(
            RequestBodyBuilder::new()
                .description(Some(body.description))
                .required(Some(Required::True)),
            |builder, media_type| builder.content(*media_type, ContentBuilder::new().build()),
        )
        .build()
}

/// A required string path parameter.
fn path_parameter(name: &str) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(string()))
}

fn problem_response() -> ResponseBuilder {
    let problem = ObjectBuilder::new()
        .property("type", string())
        .property("title", string())
        .property("status", ObjectBuilder::new().schema_type(Type::Integer))
        .property("detail", string())
        .property(
            "fault_code",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some("The XML-RPC fault code of the same failure")),
        )
        .required("status")
        .required("detail");
    ResponseBuilder::new()
        .description("An RFC 9457 problem: what went wrong")
        .content(
            "application/problem+json",
            ContentBuilder::new().schema(Some(problem)).build(),
        )
}

/// The `HEAD` operation of a `GET` one answered as it is: the same parameters, answered
/// with the same headers and no body (RFC 9110 §9.3.2).
fn head_of(get: &Operation) -> Operation {
    let mut head = get.clone();
    head.operation_id = get.operation_id.as_ref().map(|id| format!("{id}Head"));
    head.description = Some("The headers `GET` answers with, without the body".to_owned());
    without_bodies(head)
}

/// `operation` with no body in any of its answers, as a `HEAD`'s are (RFC 9110 §9.3.2).
fn without_bodies(mut operation: Operation) -> Operation {
    for response in operation.responses.responses.values_mut() {
        if let RefOr::T(response) = response {
            response.content.clear();
        }
    }
    operation
}

/// The operation of a REST route.
fn rest_operation(route: &RestRoute) -> Operation {
    let mut operation = OperationBuilder::new()
        .operation_id(Some(route.function))
        .summary(Some(route.summary))
        .response(
            "200",
            ResponseBuilder::new()
                .description(format!(
                    "The value of {}{}(…), as JSON",
                    route.interface.map(|i| format!("{i}.")).unwrap_or_default(),
                    route.function
                ))
                .content(
                    "application/json",
                    // Answers are of every JSON type: `true`, a call id, a list of
                    // rooms, an object.
                    ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(SchemaType::AnyValue)))
                        .build(),
                ),
        )
        .response("default", problem_response());
    // A member the route does not take is answered 400, not left out.
    let mut body = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for arg in route.args {
        match arg {
            Arg::Path(name) => operation = operation.parameter(path_parameter(name)),
            Arg::Body(name) => body = body.property(*name, string()).required(*name),
            Arg::Flag(name) => body = body.property(*name, boolean()),
        }
    }
    if crate::rest::takes_body(route) {
        operation = operation.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(body)).build(),
                )
                .build(),
        ));
    }
    operation.build()
}

/// The `{name}`s of `path` and the `inputs`, as parameters.
fn with_parameters(
    mut operation: OperationBuilder,
    path: &str,
    inputs: &[Input],
) -> OperationBuilder {
    for name in path_parameters(path) {
        operation = operation.parameter(path_parameter(name));
    }
    for read in inputs {
        operation = operation.parameter(input(read));
    }
    operation
}

/// The requirements of `credentials`, and the answer of every route's refusals, added.
fn secured(operation: OperationBuilder, credentials: Credentials) -> Operation {
    // An operation's `security` replaces the document's; an empty list requires nothing
    // (OpenAPI 3.1 §4.8.10.1).
    let operation = match credentials {
        Credentials::None => operation.securities(Some(Vec::new())),
        Credentials::Token => operation,
    };
    operation.response("default", problem_response()).build()
}

/// The operation of a route besides the REST ones.
fn other_operation(other: &OtherRoute) -> Operation {
    let mut operation = with_parameters(OperationBuilder::new(), other.path, other.inputs);
    if let Some(body) = &other.body {
        operation = operation.request_body(Some(request_body(body)));
    }
    operation = operation.summary(Some(other.summary));
    for &(status, what, media_type) in other.answers {
        let mut answer = ResponseBuilder::new().description(what);
        if let Some(media_type) = media_type {
            answer = answer.content(media_type, ContentBuilder::new().build());
        }
        operation = operation.response(status, answer);
    }
    for &(status, what) in other.refusals {
        operation = operation.response(status, problem_response().description(what));
    }
    secured(operation, other.credentials)
}

/// The `HEAD` operation of `other`, a `GET` route: `get`, its operation, answered without
/// the body, or what `head` says it answers instead.
fn other_head(other: &OtherRoute, get: &Operation) -> Operation {
    let Some(head) = &other.head else {
        return head_of(get);
    };
    let mut operation = with_parameters(OperationBuilder::new(), other.path, head.inputs)
        .summary(Some(head.summary));
    for &(status, what) in head.answers {
        operation = operation.response(status, ResponseBuilder::new().description(what));
    }
    without_bodies(secured(operation, other.credentials))
}

/// The document.
pub fn document() -> OpenApi {
    let mut items: Vec<(&str, PathItem)> = Vec::new();
    let mut add = |path: &'static str, method: HttpMethod, operation: Operation| match items
        .iter_mut()
        .find(|(p, _)| *p == path)
    {
        Some((_, item)) => item.merge_operations(PathItem::new(method, operation)),
        None => items.push((path, PathItem::new(method, operation))),
    };
    for route in ROUTES {
        let operation = rest_operation(route);
        // A REST route that answers GET answers HEAD as GET, without the body.
        if route.verb == Verb::Get {
            add(route.path, HttpMethod::Head, head_of(&operation));
        }
        add(route.path, method(route.verb), operation);
    }
    for other in OTHER_ROUTES {
        let operation = other_operation(other);
        if other.verb == Verb::Get {
            add(other.path, HttpMethod::Head, other_head(other, &operation));
        }
        add(other.path, method(other.verb), operation);
    }
    let paths = items
        .into_iter()
        .fold(PathsBuilder::new(), |paths, (path, item)| {
            paths.path(path, item)
        });
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Switchyard control")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The control endpoint: REST/JSON under /api/v1, XML-RPC at / and /RPC2. \
                     A server configured with a token requires it of every request but the \
                     console page's (GET and HEAD /), on every path alike: as a bearer token, \
                     or as the password of Basic credentials (any user name). A server may \
                     have a read token as well, carried the same ways: a GET or HEAD with it \
                     is served, anything else with it (every XML-RPC call included) is \
                     answered 403. Every GET route answers HEAD with the headers of its GET \
                     and no body, but where only a GET is served: a recording's HEAD reads \
                     no Range or If-Range and gets the whole file's headers (200, never 206 \
                     or 416), and that of the event stream over WebSocket is never upgraded \
                     (426 where a GET is answered 101). A REST route that takes no body \
                     answers 400 to one (an empty JSON object counts as none).",
                )),
        )
        .paths(paths)
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme(
                    BEARER,
                    SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
                )
                .security_scheme(
                    BASIC,
                    SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
                )
                .build(),
        ))
        .security(Some(token()))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_document_once() {
        let json: serde_json::Value = serde_json::to_value(document()).unwrap();
        let paths = json["paths"].as_object().unwrap();
        let documented: usize = paths
            .values()
            .map(|item| item.as_object().unwrap().len())
            .sum();
        let gets = ROUTES.iter().filter(|r| r.verb == Verb::Get).count()
            + OTHER_ROUTES.iter().filter(|r| r.verb == Verb::Get).count();
        assert_eq!(
            documented,
            ROUTES.len() + OTHER_ROUTES.len() + gets,
            "each route, and a HEAD beside each GET"
        );
        for route in ROUTES {
            let method = route.verb.name().to_lowercase();
            let operation = &paths[route.path][&method];
            assert_eq!(operation["operationId"], route.function, "{}", route.path);
        }
        for other in OTHER_ROUTES {
            assert!(
                paths[other.path]
                    .get(other.verb.name().to_lowercase())
                    .is_some()
            );
        }
        assert!(json["openapi"].as_str().unwrap().starts_with("3."));
    }

    #[test]
    fn every_operation_but_the_consoles_takes_the_token_as_bearer_or_basic() {
        let json: serde_json::Value = serde_json::to_value(document()).unwrap();
        let token = serde_json::json!([{"bearer": []}, {"basic": []}]);
        assert_eq!(json["security"], token);
        let mut operations = 0;
        for (path, item) in json["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let security = operation.get("security").unwrap_or(&json["security"]);
                let console = path == "/" && matches!(method.as_str(), "get" | "head");
                let expected = if console {
                    serde_json::json!([])
                } else {
                    token.clone()
                };
                assert_eq!(*security, expected, "{method} {path}");
                operations += 1;
            }
        }
        assert!(operations > ROUTES.len(), "{operations}");
        let description = json["info"]["description"].as_str().unwrap();
        assert!(
            description.contains("on every path alike"),
            "Basic is no XML-RPC matter: {description}"
        );
        let schemes = &json["components"]["securitySchemes"];
        assert_eq!(schemes["basic"]["scheme"], "basic", "{schemes}");
        assert_eq!(schemes["bearer"]["scheme"], "bearer", "{schemes}");
    }

    /// The statuses of `path`'s `verb` operation, in order.
    fn statuses(json: &serde_json::Value, path: &str, verb: &str) -> Vec<String> {
        let responses = json["paths"][path][verb]["responses"].as_object().unwrap();
        responses.keys().cloned().collect()
    }

    /// The names of the parameters of `path`'s `verb` operation, in order.
    fn parameter_names(json: &serde_json::Value, path: &str, verb: &str) -> Vec<String> {
        let parameters = json["paths"][path][verb]["parameters"].as_array();
        parameters
            .into_iter()
            .flatten()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The paths whose `HEAD` the server answers otherwise than their `GET` without the body.
    const HEADS_OF_THEIR_OWN: [&str; 2] = ["/api/v1/recordings/{name}", "/api/v1/events/ws"];

    #[test]
    fn every_get_has_a_head_answered_without_content() {
        let json: serde_json::Value = serde_json::to_value(document()).unwrap();
        let mut heads = 0;
        for (path, item) in json["paths"].as_object().unwrap() {
            let (Some(get), Some(head)) = (item.get("get"), item.get("head")) else {
                assert!(item.get("head").is_none(), "a HEAD without a GET: {path}");
                continue;
            };
            heads += 1;
            assert_eq!(head["security"], get["security"], "{path}");
            let responses = head["responses"].as_object().unwrap();
            assert!(responses.contains_key("default"), "{path}");
            for (status, response) in responses {
                assert!(response.get("content").is_none(), "{path} {status}");
                assert!(get["responses"].get(status).is_some(), "{path} {status}");
                assert!(!status.starts_with('1'), "{path} {status}");
            }
            if HEADS_OF_THEIR_OWN.contains(&path.as_str()) {
                continue;
            }
            assert_eq!(head["parameters"], get["parameters"], "{path}");
            assert_eq!(
                statuses(&json, path, "head"),
                statuses(&json, path, "get"),
                "{path}"
            );
            if let Some(id) = get["operationId"].as_str() {
                assert_eq!(head["operationId"], format!("{id}Head"), "{path}");
            }
        }
        let gets = ROUTES.iter().filter(|r| r.verb == Verb::Get).count()
            + OTHER_ROUTES.iter().filter(|r| r.verb == Verb::Get).count();
        assert_eq!(heads, gets);
    }

    #[test]
    fn a_recordings_head_reads_no_range_and_answers_the_whole_files_headers() {
        let json: serde_json::Value = serde_json::to_value(document()).unwrap();
        let path = "/api/v1/recordings/{name}";
        assert_eq!(parameter_names(&json, path, "head"), ["name"]);
        assert_eq!(statuses(&json, path, "head"), ["200", "default"]);
        let head = &json["paths"][path]["head"];
        let summary = head["summary"].as_str().unwrap();
        assert!(!summary.contains("byte range"), "{summary}");
        assert!(summary.contains("whole recording"), "{summary}");
    }

    #[test]
    fn the_websockets_head_is_refused_as_its_get_or_answered_426_and_never_upgraded() {
        let json: serde_json::Value = serde_json::to_value(document()).unwrap();
        let path = "/api/v1/events/ws";
        assert_eq!(
            parameter_names(&json, path, "head"),
            parameter_names(&json, path, "get")
        );
        assert_eq!(
            statuses(&json, path, "head"),
            ["400", "426", "503", "default"]
        );
        let head = &json["paths"][path]["head"];
        let refused = head["responses"]["426"]["description"].as_str().unwrap();
        assert!(
            refused.contains("Every HEAD not refused otherwise"),
            "{refused}"
        );
        let summary = head["summary"].as_str().unwrap();
        assert!(!summary.contains("JSON text message"), "{summary}");
        let get = json["paths"][path]["get"]["responses"]["426"]["description"].as_str();
        assert!(!get.unwrap().contains("HEAD"), "{get:?}");
    }

    #[test]
    fn the_description_names_the_heads_answered_otherwise_than_their_get() {
        let json: serde_json::Value = serde_json::to_value(document()).unwrap();
        let description = json["info"]["description"].as_str().unwrap();
        assert!(
            !description.contains("answers HEAD with the same headers and no body."),
            "{description}"
        );
        for named in [
            "recording's HEAD reads no Range",
            "426 where a GET is answered 101",
        ] {
            assert!(description.contains(named), "{named}: {description}");
        }
    }

    #[test]
    fn an_optional_flag_is_a_boolean_the_body_may_leave_out() {
        let json: serde_json::Value = serde_json::to_value(document()).unwrap();
        let start = &json["paths"]["/api/v1/rooms/{room}/recording"]["post"];
        let schema = &start["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(
            schema["properties"]["tracks"]["type"], "boolean",
            "{schema}"
        );
        assert_eq!(schema["required"], serde_json::json!(["name"]), "{schema}");
    }

    #[test]
    fn a_body_has_no_members_but_those_its_route_takes() {
        let json: serde_json::Value = serde_json::to_value(document()).unwrap();
        let mut bodies = 0;
        for route in ROUTES.iter().filter(|route| crate::rest::takes_body(route)) {
            let verb = route.verb.name().to_ascii_lowercase();
            let operation = &json["paths"][route.path][verb.as_str()];
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            assert_eq!(schema["additionalProperties"], false, "{schema}");
            bodies += 1;
        }
        assert!(bodies >= 3, "{bodies}");
    }

    #[test]
    fn a_routes_answer_may_be_any_json_value() {
        let json: serde_json::Value = serde_json::to_value(document()).unwrap();
        // `true`, not an object.
        let lock = &json["paths"]["/api/v1/rooms/{room}/lock"]["put"];
        let schema = &lock["responses"]["200"]["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{lock}");
        assert!(schema.get("type").is_none(), "any type: {schema}");
    }

    #[test]
    fn ranges_and_upgrades_are_documented_with_their_statuses() {
        let json: serde_json::Value = serde_json::to_value(document()).unwrap();
        let statuses = |path: &str| statuses(&json, path, "get");
        assert_eq!(
            statuses("/api/v1/recordings/{name}"),
            ["200", "206", "416", "default"]
        );
        assert_eq!(
            statuses("/api/v1/events/ws"),
            ["101", "400", "426", "503", "default"]
        );
        assert_eq!(statuses("/api/v1/events"), ["200", "400", "503", "default"]);
        // A 101 has no body (RFC 9110 §15.2.2): the messages are described, not typed.
        let switched = &json["paths"]["/api/v1/events/ws"]["get"]["responses"]["101"];
        assert!(switched.get("content").is_none(), "{switched}");
        let messages = switched["description"].as_str().unwrap();
        assert!(
            messages.contains("one JSON text message per event"),
            "{messages}"
        );
        let refusal = &json["paths"]["/api/v1/recordings/{name}"]["get"]["responses"]["416"];
        assert!(
            refusal["content"]["application/problem+json"].is_object(),
            "{refusal}"
        );
    }

    #[test]
    fn the_event_streams_downloads_and_xml_rpc_name_what_they_read() {
        let json: serde_json::Value = serde_json::to_value(document()).unwrap();
        let inputs = |path: &str, verb: &str| -> Vec<(String, String)> {
            let parameters = json["paths"][path][verb]["parameters"].as_array();
            parameters
                .into_iter()
                .flatten()
                .map(|p| {
                    (
                        p["in"].as_str().unwrap().into(),
                        p["name"].as_str().unwrap().into(),
                    )
                })
                .collect()
        };
        let events: Vec<(String, String)> = [
            ("query", "room"),
            ("query", "dtmf"),
            ("query", "after"),
            ("header", "Last-Event-ID"),
        ]
        .map(|(place, name)| (place.into(), name.into()))
        .into();
        assert_eq!(inputs("/api/v1/events", "get"), events);
        assert_eq!(inputs("/api/v1/events/ws", "get"), events);
        let after = &json["paths"]["/api/v1/events"]["get"]["parameters"][2];
        assert_eq!(after["schema"]["pattern"], "^(now|[0-9]+)$", "{after}");
        assert!(
            after["description"].as_str().unwrap().contains("`now`"),
            "{after}"
        );
        let download = inputs("/api/v1/recordings/{name}", "get");
        let header = |name: &str| ("header".to_owned(), name.to_owned());
        assert_eq!(
            download[1..],
            [header("Range"), header("If-Range")],
            "{download:?}"
        );
        for path in ["/", "/RPC2"] {
            let body = &json["paths"][path]["post"]["requestBody"];
            assert_eq!(body["required"], true, "{body}");
            assert!(body["content"]["text/xml"].is_object(), "{body}");
        }
        assert!(json["paths"]["/"]["get"].get("requestBody").is_none());
    }
}
