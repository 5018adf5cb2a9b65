//! XML-RPC faults and the codes Switchyard uses.

use std::fmt;

/// How a [`Fault::busy`] message starts.
const BUSY_PREFIX: &str = "busy: ";

/// An XML-RPC fault: sent as `<fault><value><struct>` with `faultCode` (int) and
/// `faultString` (string) members.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("XML-RPC fault {code}: {message}")]
pub struct Fault {
    /// `faultCode`.
    pub code: i32,
    /// `faultString`.
    pub message: String,
}

impl Fault {
    /// The request could not be parsed (malformed XML, or not a `methodCall`): the xmlrpc-epi
    /// convention, also used by Python's `SimpleXMLRPCServer` for the same case.
    pub const PARSE_ERROR: i32 = -32700;
    /// Something went wrong inside the server (the xmlrpc-epi convention).
    pub const INTERNAL_ERROR: i32 = -32603;
    /// A well-formed request with a parameter the server cannot take, e.g. an `<i8>` beyond
    /// 32 bits (the xmlrpc-epi convention).
    pub const INVALID_PARAMS: i32 = -32602;
    /// SEMS xmlrpc2di: wrong parameter count or type.
    pub const BAD_PARAMS: i32 = 300;
    /// SEMS xmlrpc2di: `di` called with fewer than two params, or with a non-string
    /// interface or function name.
    pub const BAD_DI_CALL: i32 = 400;
    /// SEMS xmlrpc2di: unknown interface or instance.
    pub const UNKNOWN_INTERFACE: i32 = 500;
    /// Unknown method (SEMS answers -1 "unknown method name" here; the reference asks for 504).
    pub const UNKNOWN_METHOD: i32 = 504;
    /// What the server's state refuses now, such as a limit reached (HTTP's 409 Conflict).
    pub const CONFLICT: i32 = 409;

    /// A fault with any code and message.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Fault {
            code,
            message: message.into(),
        }
    }

    /// `-32700 "parse error: <what>"`.
    pub fn parse_error(what: impl fmt::Display) -> Self {
        Fault::new(Self::PARSE_ERROR, format!("parse error: {what}"))
    }

    /// `-32602 "invalid params: <what>"`.
    pub fn invalid_params(what: impl fmt::Display) -> Self {
        Fault::new(Self::INVALID_PARAMS, format!("invalid params: {what}"))
    }

    /// `-32603` with a message.
    pub fn internal(message: impl Into<String>) -> Self {
        Fault::new(Self::INTERNAL_ERROR, message)
    }

    /// `-32603 "internal error"`: the call failed inside the server (a panic); what went
    /// wrong is for the server's log, not the client.
    pub fn internal_error() -> Self {
        Fault::internal("internal error")
    }

    /// `-32603 "busy: <what>"`: every place to answer the call in was taken; the same call
    /// may be answered once one is free (REST answers it `503` with `Retry-After`).
    pub fn busy(what: impl fmt::Display) -> Self {
        Fault::internal(format!("{BUSY_PREFIX}{what}"))
    }

    /// Whether this is a [`Fault::busy`]: the call may be tried again later.
    pub fn is_busy(&self) -> bool {
        self.code == Self::INTERNAL_ERROR && self.message.starts_with(BUSY_PREFIX)
    }

    /// `300` with a message: wrong parameter count or type.
    pub fn bad_params(message: impl Into<String>) -> Self {
        Fault::new(Self::BAD_PARAMS, message)
    }

    /// `400` with a message: a malformed `di` call.
    pub fn bad_di_call(message: impl Into<String>) -> Self {
        Fault::new(Self::BAD_DI_CALL, message)
    }

    /// `500 "unknown interface '<name>'"`.
    pub fn unknown_interface(name: &str) -> Self {
        Fault::new(
            Self::UNKNOWN_INTERFACE,
            format!("unknown interface '{name}'"),
        )
    }

    /// `504 "unknown method name '<name>'"`.
    pub fn unknown_method(name: &str) -> Self {
        Fault::new(
            Self::UNKNOWN_METHOD,
            format!("unknown method name '{name}'"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_and_display() {
        let f = Fault::parse_error("no <methodCall>");
        assert_eq!(f.code, -32700);
        assert_eq!(f.message, "parse error: no <methodCall>");
        assert_eq!(
            f.to_string(),
            "XML-RPC fault -32700: parse error: no <methodCall>"
        );
        assert_eq!(Fault::unknown_method("x").code, 504);
        assert_eq!(Fault::unknown_interface("y").code, 500);
        assert_eq!(Fault::bad_params("z"), Fault::new(300, "z"));
        assert_eq!(Fault::bad_di_call("d").code, 400);
        assert_eq!(Fault::internal("i").code, -32603);
        let busy = Fault::busy("every slot is in use");
        assert_eq!(busy, Fault::new(-32603, "busy: every slot is in use"));
        assert!(busy.is_busy());
        assert!(!Fault::internal("internal error").is_busy());
        assert_eq!(
            Fault::invalid_params("<i8> value 1"),
            Fault::new(-32602, "invalid params: <i8> value 1")
        );
    }
}
