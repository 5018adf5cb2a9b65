//! `system.multicall`: several calls in one request, answered in order, as the XML-RPC
//! server of SEMS (xmlrpc++) and Python's `xmlrpc.client.MultiCall` have them. Each entry of
//! its one argument is a struct `{methodName, params}`; each answer is the call's value in a
//! one-element array, or its fault as a struct `{faultCode, faultString}`, so one failing call
//! fails only its own entry.

use crate::route::{Route, route};
use crate::{Fault, Value};

/// The method's name.
pub const METHOD: &str = "system.multicall";

/// The most calls one request may batch: each runs in turn, and a request is answered once all
/// of them have been.
pub const MAX_CALLS: usize = 256;

/// The calls of a `system.multicall` with `params`: each entry as a [`Route`], or the fault
/// that answers that entry alone (not a `{methodName, params}` struct, or a nested
/// multicall). Fault 300 when `params` is not one array of at most [`MAX_CALLS`] entries.
pub fn calls(params: Vec<Value>) -> Result<Vec<Result<Route, Fault>>, Fault> {
    let entries = match <[Value; 1]>::try_from(params) {
        Ok([Value::Array(entries)]) => entries,
        Ok([other]) => {
            return Err(Fault::bad_params(format!(
                "{METHOD}: argument 1 must be an array of calls, got {}",
                other.kind()
            )));
        }
        Err(params) => {
            return Err(Fault::bad_params(format!(
                "{METHOD}: expected 1 argument, got {}",
                params.len()
            )));
        }
    };
    if entries.len() > MAX_CALLS {
        return Err(Fault::bad_params(format!(
            "{METHOD}: {} calls, more than {MAX_CALLS}",
            entries.len()
        )));
    }
    Ok(entries.into_iter().map(call).collect())
}

/// One entry as a call.
fn call(entry: Value) -> Result<Route, Fault> {
    let Value::Struct(members) = entry else {
        return Err(Fault::bad_params(format!(
            "{METHOD}: a call is a struct {{methodName, params}}, got {}",
            entry.kind()
        )));
    };
    let mut method = None;
    let mut params = None;
    for (name, value) in members {
        match (name.as_str(), value) {
            ("methodName", Value::String(name)) => method = Some(name),
            ("params", Value::Array(values)) => params = Some(values),
            _ => {}
        }
    }
    let (Some(method), Some(params)) = (method, params) else {
        return Err(Fault::bad_params(format!(
            "{METHOD}: a call needs methodName (a string) and params (an array)"
        )));
    };
    if method == METHOD {
        return Err(Fault::bad_params(format!(
            "{METHOD}: calls may not be nested"
        )));
    }
    route(&method, params)
}

/// The answer of one call as its entry in the multicall's answer.
pub fn entry(result: Result<Value, Fault>) -> Value {
    match result {
        Ok(value) => Value::Array(vec![value]),
        Err(fault) => Value::Struct(vec![
            ("faultCode".to_owned(), Value::Int(fault.code)),
            ("faultString".to_owned(), Value::String(fault.message)),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_of(method: &str, params: Vec<Value>) -> Value {
        Value::Struct(vec![
            ("methodName".to_owned(), Value::String(method.to_owned())),
            ("params".to_owned(), Value::Array(params)),
        ])
    }

    #[test]
    fn each_entry_is_a_call_or_its_own_fault() {
        let calls = calls(vec![Value::Array(vec![
            call_of("roomInfo", vec![Value::String("1".into())]),
            call_of("webconference.serverInfo", vec![]),
            Value::Int(7),
            call_of(METHOD, vec![]),
        ])])
        .unwrap();
        assert_eq!(calls.len(), 4);
        let first = calls[0].as_ref().unwrap();
        assert_eq!(
            (first.interface.as_deref(), first.function.as_str()),
            (None, "roomInfo")
        );
        assert_eq!(first.params, [Value::String("1".into())]);
        assert_eq!(
            calls[1].as_ref().unwrap().interface.as_deref(),
            Some("webconference")
        );
        for refused in &calls[2..] {
            assert_eq!(refused.as_ref().unwrap_err().code, Fault::BAD_PARAMS);
        }
    }

    #[test]
    fn the_argument_is_one_bounded_array() {
        for params in [
            vec![],
            vec![Value::Int(1)],
            vec![Value::Array(vec![]), Value::Array(vec![])],
            vec![Value::Array(vec![Value::Nil; MAX_CALLS + 1])],
        ] {
            assert_eq!(calls(params).unwrap_err().code, Fault::BAD_PARAMS);
        }
    }

    #[test]
    fn answers_are_a_one_value_array_or_a_fault_struct() {
        assert_eq!(entry(Ok(Value::Int(3))), Value::Array(vec![Value::Int(3)]));
        assert_eq!(
            entry(Err(Fault::new(504, "unknown"))),
            Value::Struct(vec![
                ("faultCode".to_owned(), Value::Int(504)),
                ("faultString".to_owned(), Value::String("unknown".into())),
            ])
        );
    }
}
