//! XML-RPC values as JSON, for the REST routes: the same answer whichever
//! protocol asked.
//!
//! | value | JSON |
//! |---|---|
//! | `int` | number, integer |
//! | `double` | number: integer when whole and within ±2^53, else float; `null` for NaN, ±inf |
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
        Value::Double(d) => double(*d),
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

/// The JSON number of a `double`: an integer when `d` is whole and |d| ≤ 2^53, a float when
/// it has a fraction or lies past 2^53, and `null` for NaN and the infinities, which JSON
/// cannot hold.
///
/// A count past 32 bits travels as a `double` (see `count`), exact up to 2^53; written as an
/// integer, the field keeps its JSON type as it grows, and clients reading it into a 64-bit
/// integer accept it.
fn double(d: f64) -> Json {
    // 2^53: every integer up to here is exact in a double, and in an i64.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if d.fract() == 0.0 && d.abs() <= EXACT {
        Json::from(d as i64)
    } else {
        serde_json::Number::from_f64(d).map_or(Json::Null, Json::Number)
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
    fn whole_doubles_are_integers_and_fractions_stay_floats() {
        let json = |d: f64| to_json(&Value::Double(d)).to_string();
        assert_eq!(
            to_json(&crate::count(3_000_000_000)).to_string(),
            "3000000000"
        );
        assert_eq!(json(9_007_199_254_740_992.0), "9007199254740992");
        assert_eq!(json(-125.0), "-125");
        assert_eq!(json(0.5), "0.5");
        assert_eq!(json(-0.25), "-0.25");
        assert_eq!(json(1e300), "1e+300");
        assert_eq!(json(f64::NAN), "null");
        assert_eq!(json(f64::INFINITY), "null");
        assert_eq!(json(f64::NEG_INFINITY), "null");
    }
}
