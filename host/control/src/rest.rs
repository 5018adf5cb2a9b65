//! The REST routes (`/api/v1/…`, JSON): each calls the function XML-RPC
//! reaches under the same name, with its arguments taken from the path and
//! the JSON body, so both protocols answer the same. The answer is the
//! function's value as JSON ([`crate::json`]); a fault is a problem
//! ([`crate::problem`]).

use hyper::StatusCode;

use crate::problem::Problem;
use crate::{Route, Value};

/// An HTTP method of a REST route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `GET`: reads, changes nothing.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Verb {
    /// The method's name, e.g. "GET".
    pub fn name(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
        }
    }
}

/// Where one argument of a route's function comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// The path segment `{name}`.
    Path(&'static str),
    /// The string member `name` of the JSON body, required.
    Body(&'static str),
    /// The boolean member `name` of the JSON body, optional: an argument only when present.
    Flag(&'static str),
}

/// One REST route.
#[derive(Debug, Clone, Copy)]
pub struct RestRoute {
    /// Its method.
    pub verb: Verb,
    /// Its path, with `{name}` for each path argument.
    pub path: &'static str,
    /// The interface of the function it calls (`None`: a bare host function).
    pub interface: Option<&'static str>,
    /// The function it calls.
    pub function: &'static str,
    /// The function's arguments, in order.
    pub args: &'static [Arg],
    /// What it does, for the OpenAPI document.
    pub summary: &'static str,
}

/// The host's own functions, as XML-RPC names them (`switchyard.rooms()`).
pub const HOST_INTERFACE: &str = "switchyard";

const fn host(
    verb: Verb,
    path: &'static str,
    function: &'static str,
    args: &'static [Arg],
    summary: &'static str,
) -> RestRoute {
    RestRoute {
        verb,
        path,
        interface: Some(HOST_INTERFACE),
        function,
        args,
        summary,
    }
}

const ROOM: Arg = Arg::Path("room");
const CALL: Arg = Arg::Path("call");

/// Every REST route.
pub const ROUTES: &[RestRoute] = &[
    host(
        Verb::Get,
        "/api/v1/rooms",
        "rooms",
        &[],
        "Every room, with its participant count",
    ),
    host(
        Verb::Get,
        "/api/v1/rooms/{room}",
        "room",
        &[ROOM],
        "A room and its participants",
    ),
    host(
        Verb::Post,
        "/api/v1/rooms/{room}/participants/{call}/mute",
        "mute",
        &[ROOM, CALL],
        "Mutes a participant: it hears the room, nothing it says is mixed",
    ),
    host(
        Verb::Post,
        "/api/v1/rooms/{room}/participants/{call}/unmute",
        "unmute",
        &[ROOM, CALL],
        "Unmutes a participant",
    ),
    host(
        Verb::Delete,
        "/api/v1/rooms/{room}/participants/{call}",
        "kick",
        &[ROOM, CALL],
        "Hangs up a participant (its reason becomes \"kicked\")",
    ),
    host(
        Verb::Put,
        "/api/v1/rooms/{room}/lock",
        "lock",
        &[ROOM],
        "Locks the room: nobody new may join it",
    ),
    host(
        Verb::Delete,
        "/api/v1/rooms/{room}/lock",
        "unlock",
        &[ROOM],
        "Unlocks the room",
    ),
    host(
        Verb::Post,
        "/api/v1/rooms/{room}/dialout",
        "dialout",
        &[ROOM, Arg::Body("uri")],
        "Calls `uri` into the room, which must exist (404 otherwise: no room is opened); \
         answers the new call's id",
    ),
    host(
        Verb::Post,
        "/api/v1/rooms/{room}/recording",
        "startRecording",
        &[ROOM, Arg::Body("name"), Arg::Flag("tracks")],
        "Records the room's mix to a new WAV file named `name`; with `tracks`, each \
         participant's own audio to `<name>-<call>.wav` beside it too",
    ),
    host(
        Verb::Delete,
        "/api/v1/rooms/{room}/recording",
        "stopRecording",
        &[ROOM],
        "Ends the room's recording",
    ),
    host(
        Verb::Get,
        "/api/v1/recordings",
        "recordings",
        &[],
        "The recordings, by name: bytes and time of the last change",
    ),
    host(
        Verb::Delete,
        "/api/v1/recordings/{name}",
        "deleteRecording",
        &[Arg::Path("name")],
        "Deletes a recording no room is being recorded to",
    ),
    RestRoute {
        verb: Verb::Get,
        path: "/api/v1/guests",
        interface: None,
        function: "guestList",
        args: &[],
        summary: "Every guest version, with its live calls",
    },
    RestRoute {
        verb: Verb::Post,
        path: "/api/v1/guests/{guest}/versions",
        interface: None,
        function: "guestLoad",
        args: &[Arg::Path("guest"), Arg::Body("path")],
        summary: "Loads the component at `path` as the guest's next version",
    },
    RestRoute {
        verb: Verb::Get,
        path: "/api/v1/stats",
        interface: None,
        function: "stats",
        args: &[],
        summary: "What the host holds and has done",
    },
    RestRoute {
        verb: Verb::Post,
        path: "/api/v1/config/reload",
        interface: None,
        function: "configReload",
        args: &[],
        summary: "Reads the configuration file again, as SIGHUP does, once the reloads asked \
                  before it have run: what it applied, what waits for a restart, the guest \
                  versions loaded and the new settings a guest refused; 422 for a file that \
                  does not load (nothing changes), 409 for a server started without one, \
                  503 while the server stops or with 8 reloads waiting",
    },
];

/// The path arguments of a request: each `{name}` and its decoded value.
pub type PathArgs = Vec<(&'static str, String)>;

/// Why a request matches no route's call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// No route has this path.
    NoPath,
    /// Routes have this path, with these methods only (`HEAD` with `GET`).
    Methods(Vec<&'static str>),
    /// A path argument is not UTF-8 once percent-decoded.
    NotUtf8(NotUtf8),
}

/// The routes by path, built once.
fn router() -> &'static matchit::Router<Vec<usize>> {
    static ROUTER: std::sync::OnceLock<matchit::Router<Vec<usize>>> = std::sync::OnceLock::new();
    ROUTER.get_or_init(|| {
        let mut by_path: Vec<(&str, Vec<usize>)> = Vec::new();
        for (index, route) in ROUTES.iter().enumerate() {
            match by_path.iter_mut().find(|(path, _)| *path == route.path) {
                Some((_, indices)) => indices.push(index),
                None => by_path.push((route.path, vec![index])),
            }
        }
        let mut router = matchit::Router::new();
        for (path, indices) in by_path {
            router
                .insert(path, indices)
                .expect("the route table has no conflicting paths");
        }
        router
    })
}

/// The route of `verb` on `path`, and its path arguments (percent-decoded; one that is then
/// not UTF-8 is a mismatch). `HEAD` finds the `GET` route: its answer without the body (RFC
/// 9110 §9.3.2).
pub fn find(verb: &str, path: &str) -> Result<(&'static RestRoute, PathArgs), Mismatch> {
    let matched = router().at(path).map_err(|_| Mismatch::NoPath)?;
    let routes = matched.value.iter().map(|&i| &ROUTES[i]);
    let verb = if verb == "HEAD" { "GET" } else { verb };
    let Some(route) = routes.clone().find(|r| r.verb.name() == verb) else {
        let mut allowed = Vec::new();
        for route in routes {
            allowed.push(route.verb.name());
            if route.verb == Verb::Get {
                allowed.push("HEAD");
            }
        }
        return Err(Mismatch::Methods(allowed));
    };
    let params = route
        .args
        .iter()
        .filter_map(|arg| match arg {
            Arg::Path(name) => {
                Some(decode(matched.params.get(*name).unwrap_or("")).map(|value| (*name, value)))
            }
            Arg::Body(_) | Arg::Flag(_) => None,
        })
        .collect::<Result<_, _>>()
        .map_err(Mismatch::NotUtf8)?;
    Ok((route, params))
}

/// The call `route` makes with `path` arguments and the JSON `body` (an
/// object, or nothing when the route takes no body member). The error says
/// which argument is missing or wrong, or names a body member the route does
/// not take and those it does.
pub fn call(
    route: &RestRoute,
    path: &[(&'static str, String)],
    body: Option<&serde_json::Value>,
) -> Result<Route, String> {
    refuse_unknown_member(route, body)?;
    let params = route
        .args
        .iter()
        .filter_map(|arg| match arg {
            Arg::Path(name) => Some(Ok(Value::String(
                path.iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
            ))),
            Arg::Body(name) => Some(match body.and_then(|b| b.get(*name)) {
                Some(serde_json::Value::String(s)) => Ok(Value::String(s.clone())),
                Some(other) => Err(format!(
                    "body member \"{name}\" must be a string, not {other}"
                )),
                None => Err(format!("the JSON body needs a string member \"{name}\"")),
            }),
            Arg::Flag(name) => match body.and_then(|b| b.get(*name))? {
                serde_json::Value::Bool(flag) => Some(Ok(Value::Bool(*flag))),
                other => Some(Err(format!(
                    "body member \"{name}\" must be true or false, not {other}"
                ))),
            },
        })
        .collect::<Result<_, _>>()?;
    Ok(Route {
        interface: route.interface.map(str::to_owned),
        function: route.function.to_owned(),
        params,
    })
}

/// Whether the route takes a JSON body.
pub fn takes_body(route: &RestRoute) -> bool {
    body_members(route).next().is_some()
}

/// The names of the body members `route` takes, in order.
fn body_members(route: &RestRoute) -> impl Iterator<Item = &'static str> + '_ {
    route.args.iter().filter_map(|arg| match arg {
        Arg::Body(name) | Arg::Flag(name) => Some(*name),
        Arg::Path(_) => None,
    })
}

/// The error naming the first member of `body` that `route` does not take, and those it
/// does. Left out, a member's meaning would be dropped while the call goes ahead all the
/// same (`"track": true` for `"tracks"`, a recording without its tracks).
fn refuse_unknown_member(
    route: &RestRoute,
    body: Option<&serde_json::Value>,
) -> Result<(), String> {
    let Some(members) = body.and_then(serde_json::Value::as_object) else {
        return Ok(());
    };
    let Some(unknown) = members
        .keys()
        .find(|member| !body_members(route).any(|taken| taken == member.as_str()))
    else {
        return Ok(());
    };
    let taken = body_members(route)
        .map(|taken| format!("\"{taken}\""))
        .collect::<Vec<_>>()
        .join(", ");
    Err(format!(
        "body member {unknown:?} is not one this operation takes ({taken})"
    ))
}

/// A path segment or query value whose `%XX` sequences decode to bytes that are not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    /// The text as the client wrote it (ASCII, as every URI is).
    pub written: String,
}

impl NotUtf8 {
    /// The `400` answering a request whose path has this segment.
    pub(crate) fn path_problem(&self) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("path segment is not UTF-8: {}", self.written),
        )
    }
}

/// `%XX` sequences decoded (a path segment as the client wrote it; `+` stays); an error
/// when the bytes they stand for are not UTF-8, rather than a name with U+FFFD in it that
/// the client never sent.
pub(crate) fn decode(segment: &str) -> Result<String, NotUtf8> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| NotUtf8 {
            written: segment.to_owned(),
        })
}

/// A query string's value decoded as a form sends it (`+` a space, then percent-decoding;
/// WHATWG URL §5.1, what `URLSearchParams` writes).
pub(crate) fn decode_query_value(value: &str) -> Result<String, NotUtf8> {
    decode(&value.replace('+', " ")).map_err(|_| NotUtf8 {
        written: value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes_resolve_to_their_functions() {
        let (route, path) = find("POST", "/api/v1/rooms/12%203/participants/c7/mute").unwrap();
        assert_eq!(route.function, "mute");
        assert_eq!(
            path,
            [("room", "12 3".to_owned()), ("call", "c7".to_owned())]
        );
        let call = call(route, &path, None).unwrap();
        assert_eq!(call.interface.as_deref(), Some("switchyard"));
        assert_eq!(
            call.params,
            [Value::String("12 3".into()), Value::String("c7".into())]
        );
        assert_eq!(
            find("GET", "/api/v1/nothing").unwrap_err(),
            Mismatch::NoPath
        );
        assert_eq!(
            find("PATCH", "/api/v1/rooms/1/recording").unwrap_err(),
            Mismatch::Methods(vec!["POST", "DELETE"])
        );
    }

    #[test]
    fn head_finds_the_get_route_and_is_allowed_beside_it() {
        let (route, path) = find("HEAD", "/api/v1/rooms/12").unwrap();
        assert_eq!((route.verb, route.function), (Verb::Get, "room"));
        assert_eq!(path, [("room", "12".to_owned())]);
        assert_eq!(
            find("POST", "/api/v1/rooms").unwrap_err(),
            Mismatch::Methods(vec!["GET", "HEAD"])
        );
        assert_eq!(
            find("HEAD", "/api/v1/rooms/1/lock").unwrap_err(),
            Mismatch::Methods(vec!["PUT", "DELETE"])
        );
    }

    #[test]
    fn body_members_are_named_arguments() {
        let (route, path) = find("POST", "/api/v1/rooms/9/recording").unwrap();
        assert!(takes_body(route));
        let made = call(route, &path, Some(&json!({"name": "board"}))).unwrap();
        assert_eq!(made.params[1], Value::String("board".into()));
        assert_eq!(
            call(route, &path, Some(&json!({}))).unwrap_err(),
            "the JSON body needs a string member \"name\""
        );
        let tracked = call(route, &path, Some(&json!({"name": "b", "tracks": true}))).unwrap();
        assert_eq!(tracked.params[2], Value::Bool(true));
        assert_eq!(made.params.len(), 2, "an absent flag is no argument");
        assert_eq!(
            call(route, &path, Some(&json!({"name": "b", "tracks": "yes"}))).unwrap_err(),
            "body member \"tracks\" must be true or false, not \"yes\""
        );
        assert_eq!(
            call(route, &path, Some(&json!({"name": 3}))).unwrap_err(),
            "body member \"name\" must be a string, not 3"
        );
    }

    #[test]
    fn a_body_member_the_route_does_not_take_is_named_with_those_it_takes() {
        let (route, path) = find("POST", "/api/v1/rooms/9/recording").unwrap();
        assert_eq!(
            call(route, &path, Some(&json!({"name": "board", "track": true}))).unwrap_err(),
            "body member \"track\" is not one this operation takes (\"name\", \"tracks\")"
        );
        assert_eq!(
            call(route, &path, Some(&json!({"nmae": "board"}))).unwrap_err(),
            "body member \"nmae\" is not one this operation takes (\"name\", \"tracks\")",
            "named before the member it stands for is found missing"
        );
        let (route, path) = find("POST", "/api/v1/rooms/9/dialout").unwrap();
        assert_eq!(
            call(route, &path, Some(&json!({"uri": "sip:a@b", "from": "x"}))).unwrap_err(),
            "body member \"from\" is not one this operation takes (\"uri\")"
        );
    }

    #[test]
    fn a_reload_is_asked_for_with_a_post_and_no_body() {
        let (route, path) = find("POST", "/api/v1/config/reload").unwrap();
        assert!(!takes_body(route));
        let made = call(route, &path, None).unwrap();
        assert_eq!(made.interface, None);
        assert_eq!(made.function, "configReload");
        assert!(made.params.is_empty());
        assert_eq!(
            find("GET", "/api/v1/config/reload").unwrap_err(),
            Mismatch::Methods(vec!["POST"])
        );
    }

    #[test]
    fn a_path_argument_that_is_not_utf_8_is_a_mismatch_not_a_replacement_character() {
        let not_utf_8 = |written: &str| NotUtf8 {
            written: written.to_owned(),
        };
        assert_eq!(
            find("GET", "/api/v1/rooms/%FF").unwrap_err(),
            Mismatch::NotUtf8(not_utf_8("%FF"))
        );
        assert_eq!(
            find("DELETE", "/api/v1/recordings/a%C3.wav").unwrap_err(),
            Mismatch::NotUtf8(not_utf_8("a%C3.wav"))
        );
        let (_, path) = find("GET", "/api/v1/rooms/%C3%A9t%C3%A9").unwrap();
        assert_eq!(path, [("room", "\u{e9}t\u{e9}".to_owned())]);
        assert_eq!(decode_query_value("a+%FF"), Err(not_utf_8("a+%FF")));
        assert_eq!(decode_query_value("12+3").as_deref(), Ok("12 3"));
    }

    #[test]
    fn every_path_argument_is_in_its_path() {
        for route in ROUTES {
            for arg in route.args {
                if let Arg::Path(name) = arg {
                    assert!(
                        route.path.contains(&format!("{{{name}}}")),
                        "{}",
                        route.path
                    );
                }
            }
        }
    }
}
