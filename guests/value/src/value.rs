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
    fn conversions_and_kinds() {
        assert_eq!(Value::from("a"), Value::String("a".to_owned()));
        assert_eq!(Value::from(String::from("b")).kind(), "string");
        assert_eq!(Value::from(3), Value::Int(3));
        assert_eq!(Value::from(true), Value::Bool(true));
        assert_eq!(Value::from(0.5), Value::Double(0.5));
        assert_eq!(
            Value::from(vec![Value::Nil]),
            Value::Array(vec![Value::Nil])
        );
        let s = Value::Struct(vec![("k".into(), Value::Int(1))]);
        assert_eq!(s.kind(), "struct");
    }
}
