//! XML-RPC values as JSON and back, for the REST routes: the same answer
//! whichever protocol asked.
//!
//! | value | JSON |
//! |---|---|
//! | `int`, `double` | number |
//! | `boolean` | `true` / `false` |
//! | `string`, `dateTime.iso8601` (as written) | string |
//! | `base64` | string, base64 (RFC 4648, padded) |
//! | `array` | array |
//! | `struct` | object (a repeated member: the last one) |
//! | `nil` | `null` |

use crate::Value;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value as Json;

/// The JSON form of `value`.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Int(i) => Json::from(*i),
        Value::Bool(b) => Json::Bool(*b),
        Value::Double(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
        Value::String(s) | Value::DateTime(s) => Json::String(s.clone()),
        Value::Base64(bytes) => Json::String(STANDARD.encode(bytes)),
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Struct(members) => Json::Object(
            members
                .iter()
                .map(|(name, value)| (name.clone(), to_json(value)))
                .collect(),
        ),
        Value::Nil => Json::Null,
    }
}

/// The value of a JSON argument: integers that fit 32 bits are `int`,
/// other numbers `double`, objects `struct` (in the object's order).
pub fn from_json(json: &Json) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64().and_then(|i| i32::try_from(i).ok()) {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::Array(items.iter().map(from_json).collect()),
        Json::Object(members) => Value::Struct(
            members
                .iter()
                .map(|(name, value)| (name.clone(), from_json(value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_map_to_json() {
        let value = Value::Struct(vec![
            ("n".into(), Value::Int(3)),
            ("ok".into(), Value::Bool(true)),
            ("x".into(), Value::Double(0.5)),
            ("s".into(), Value::String("a".into())),
            ("b".into(), Value::Base64(vec![1, 2, 3])),
            ("list".into(), Value::Array(vec![Value::Nil])),
        ]);
        assert_eq!(
            to_json(&value),
            json!({"n": 3, "ok": true, "x": 0.5, "s": "a", "b": "AQID", "list": [null]})
        );
    }

    #[test]
    fn json_arguments_map_to_values() {
        let json = json!({"room": "123", "n": 7, "big": 5_000_000_000_i64, "on": false});
        let Value::Struct(members) = from_json(&json) else {
            panic!("an object is a struct");
        };
        let get = |name: &str| members.iter().find(|(n, _)| n == name).unwrap().1.clone();
        assert_eq!(get("room"), Value::String("123".into()));
        assert_eq!(get("n"), Value::Int(7));
        assert_eq!(get("big"), Value::Double(5e9));
        assert_eq!(get("on"), Value::Bool(false));
    }
}
