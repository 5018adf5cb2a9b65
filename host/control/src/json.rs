//! XML-RPC values as JSON, for the REST routes: the same answer whichever
//! protocol asked.
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
}
