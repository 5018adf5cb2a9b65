//! The XML-RPC value type.

/// An XML-RPC value, owned, recursive.
///
/// `DateTime` keeps the text of a `dateTime.iso8601` element as the client sent it (trimmed),
/// e.g. `20260618T00:02:01`: XML-RPC fixes no time zone and clients disagree on the form, so
/// interpreting it is left to whoever needs it. `Struct` keeps its members in document order
/// (duplicates included).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `<i4>` / `<int>` (and `<i8>` when it fits 32 bits).
    Int(i32),
    /// `<boolean>`: `0` or `1`.
    Bool(bool),
    /// `<double>`.
    Double(f64),
    /// `<string>`, or an untyped `<value>text</value>`.
    String(String),
    /// `<base64>`, decoded.
    Base64(Vec<u8>),
    /// `<dateTime.iso8601>`, as text.
    DateTime(String),
    /// `<array><data>…</data></array>`.
    Array(Vec<Value>),
    /// `<struct>` members, in document order.
    Struct(Vec<(String, Value)>),
    /// `<nil/>` (the common extension Python emits for `None` with `allow_none`).
    Nil,
}

impl Value {
    /// The XML-RPC type name of this value, as used in fault messages (`"int"`, `"string"`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Bool(_) => "boolean",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::Base64(_) => "base64",
            Value::DateTime(_) => "dateTime.iso8601",
            Value::Array(_) => "array",
            Value::Struct(_) => "struct",
            Value::Nil => "nil",
        }
    }

    /// The text of a `String` value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number in an `Int` value.
    pub fn as_i32(&self) -> Option<i32> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The flag in a `Bool` value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number in a `Double` value.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Double(d) => Some(*d),
            _ => None,
        }
    }

    /// The elements of an `Array` value.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The first member called `name` of a `Struct` value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(members) => members.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_and_conversions() {
        assert_eq!(Value::from("a").as_str(), Some("a"));
        assert_eq!(Value::from(String::from("b")).kind(), "string");
        assert_eq!(Value::from(3).as_i32(), Some(3));
        assert_eq!(Value::from(true).as_bool(), Some(true));
        assert_eq!(Value::from(0.5).as_f64(), Some(0.5));
        assert_eq!(Value::from(3).as_str(), None);
        let a = Value::from(vec![Value::Nil]);
        assert_eq!(a.as_array(), Some(&[Value::Nil][..]));
        let s = Value::Struct(vec![
            ("k".into(), Value::Int(1)),
            ("k".into(), Value::Int(2)),
        ]);
        assert_eq!(s.get("k"), Some(&Value::Int(1)));
        assert_eq!(s.get("x"), None);
        assert_eq!(s.kind(), "struct");
    }
}
