//! Resolving SEMS's three spellings of a call.

use crate::{Fault, Value};

/// Where a method call goes, after SEMS's three spellings are resolved:
///
/// | method call | route |
/// |---|---|
/// | `di("webconference", "roomInfo", a, b)` | `interface: Some("webconference"), function: "roomInfo", params: [a, b]` |
/// | `webconference.roomInfo(a, b)` | `interface: Some("webconference"), function: "roomInfo", params: [a, b]` |
/// | `roomInfo(a, b)` | `interface: None, function: "roomInfo", params: [a, b]` |
///
/// The dotted form splits at the first `.`; a name that starts or ends with `.` is taken whole as
/// a function name (so the dispatcher answers it as an unknown method).
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// The DI interface (SEMS plug-in) named, if any.
    pub interface: Option<String>,
    /// The function within it (or the bare method name).
    pub function: String,
    /// The function's arguments.
    pub params: Vec<Value>,
}

/// Resolves a parsed method call into a [`Route`].
///
/// `di` with fewer than two params, or whose first two params are not strings, is answered with
/// fault 400 (as SEMS's xmlrpc2di does).
pub fn route(method: &str, params: Vec<Value>) -> Result<Route, Fault> {
    if method == "di" {
        if params.len() < 2 {
            return Err(Fault::bad_di_call(format!(
                "di needs at least 2 parameters (interface, function), got {}",
                params.len()
            )));
        }
        let mut params = params.into_iter();
        let interface = di_name(params.next(), "interface")?;
        let function = di_name(params.next(), "function")?;
        return Ok(Route {
            interface: Some(interface),
            function,
            params: params.collect(),
        });
    }
    if let Some((interface, function)) = method.split_once('.')
        && !interface.is_empty()
        && !function.is_empty()
    {
        return Ok(Route {
            interface: Some(interface.to_owned()),
            function: function.to_owned(),
            params,
        });
    }
    Ok(Route {
        interface: None,
        function: method.to_owned(),
        params,
    })
}

fn di_name(value: Option<Value>, what: &str) -> Result<String, Fault> {
    match value {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(Fault::bad_di_call(format!(
            "di: the {what} name must be a string, got {}",
            other.kind()
        ))),
        None => Err(Fault::bad_di_call(format!("di: missing the {what} name"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> Vec<Value> {
        vec![Value::from("room1"), Value::from("1234")]
    }

    #[test]
    fn di_spelling() {
        let mut params = vec![Value::from("webconference"), Value::from("roomInfo")];
        params.extend(args());
        let r = route("di", params).unwrap();
        assert_eq!(
            r,
            Route {
                interface: Some("webconference".into()),
                function: "roomInfo".into(),
                params: args(),
            }
        );
    }

    #[test]
    fn di_with_exactly_two_params_has_no_args() {
        let r = route(
            "di",
            vec![Value::from("webconference"), Value::from("serverInfo")],
        )
        .unwrap();
        assert_eq!(r.interface.as_deref(), Some("webconference"));
        assert_eq!(r.function, "serverInfo");
        assert!(r.params.is_empty());
    }

    #[test]
    fn dotted_spelling() {
        let r = route("webconference.roomInfo", args()).unwrap();
        assert_eq!(
            r,
            Route {
                interface: Some("webconference".into()),
                function: "roomInfo".into(),
                params: args(),
            }
        );
        // Split at the first dot.
        let r = route("a.b.c", vec![]).unwrap();
        assert_eq!(r.interface.as_deref(), Some("a"));
        assert_eq!(r.function, "b.c");
    }

    #[test]
    fn plain_spelling() {
        let r = route("roomInfo", args()).unwrap();
        assert_eq!(
            r,
            Route {
                interface: None,
                function: "roomInfo".into(),
                params: args(),
            }
        );
    }

    #[test]
    fn degenerate_dots_are_plain_names() {
        for name in [".roomInfo", "webconference.", "."] {
            let r = route(name, vec![]).unwrap();
            assert_eq!(r.interface, None, "{name}");
            assert_eq!(r.function, name);
        }
    }

    #[test]
    fn di_faults() {
        let f = route("di", vec![]).unwrap_err();
        assert_eq!(f.code, 400);
        assert!(f.message.contains("got 0"), "{}", f.message);

        let f = route("di", vec![Value::from("webconference")]).unwrap_err();
        assert_eq!(f.code, 400);
        assert!(f.message.contains("at least 2"), "{}", f.message);

        let f = route("di", vec![Value::Int(1), Value::from("roomInfo")]).unwrap_err();
        assert_eq!(f.code, 400);
        assert_eq!(
            f.message,
            "di: the interface name must be a string, got int"
        );

        let f = route("di", vec![Value::from("webconference"), Value::Nil]).unwrap_err();
        assert_eq!(f.code, 400);
        assert_eq!(f.message, "di: the function name must be a string, got nil");
    }
}
