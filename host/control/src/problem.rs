//! Errors of the REST routes as RFC 9457 problem details
//! (`application/problem+json`): `type`, `title`, `status`, `detail`, and
//! the XML-RPC fault code the same request would have answered.

use crate::Fault;
use hyper::StatusCode;
use serde_json::{Value as Json, json};

/// One problem: an HTTP status and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The response's status.
    pub status: StatusCode,
    /// What went wrong, for a person.
    pub detail: String,
    /// The XML-RPC fault code of the same failure, if it came from one.
    pub fault_code: Option<i32>,
    /// Seconds after which the same request may succeed (`Retry-After`), if it may.
    pub retry_after: Option<u32>,
}

/// When a busy server's client may try again, in seconds.
const BUSY_RETRY_AFTER: u32 = 1;

impl Problem {
    /// A problem with `status` and `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem {
            status,
            detail: detail.into(),
            fault_code: None,
            retry_after: None,
        }
    }

    /// The problem body.
    pub fn to_json(&self) -> Json {
        let mut body = json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(code) = self.fault_code {
            body["fault_code"] = Json::from(code);
        }
        body
    }
}

impl From<Fault> for Problem {
    /// A fault's status: wrong or invalid arguments and parse errors are 400; an
    /// unknown function 404; a [`Fault::busy`] 503, to be tried again after a
    /// second; a code that is an HTTP error status (404, 409, 500, …) that
    /// status; anything else 500.
    fn from(fault: Fault) -> Self {
        if fault.is_busy() {
            return Problem {
                status: StatusCode::SERVICE_UNAVAILABLE,
                retry_after: Some(BUSY_RETRY_AFTER),
                detail: fault.message,
                fault_code: Some(fault.code),
            };
        }
        let status = match fault.code {
            Fault::BAD_PARAMS | Fault::BAD_DI_CALL | Fault::PARSE_ERROR | Fault::INVALID_PARAMS => {
                StatusCode::BAD_REQUEST
            }
            Fault::UNKNOWN_METHOD => StatusCode::NOT_FOUND,
            code @ 400..=599 => u16::try_from(code)
                .ok()
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Problem {
            status,
            detail: fault.message,
            fault_code: Some(fault.code),
            retry_after: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_become_statuses() {
        let status = |code| Problem::from(Fault::new(code, "x")).status.as_u16();
        assert_eq!(status(300), 400);
        assert_eq!(status(-32700), 400);
        assert_eq!(status(-32602), 400);
        assert_eq!(status(504), 404);
        assert_eq!(status(500), 500);
        assert_eq!(status(404), 404);
        assert_eq!(status(409), 409);
        assert_eq!(status(-32603), 500);
        let busy = Problem::from(Fault::busy("every thread is in use"));
        assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.retry_after, Some(1));
        assert_eq!(busy.fault_code, Some(-32603));
        assert_eq!(status(1), 500);
    }

    #[test]
    fn problems_are_rfc_9457_bodies() {
        let body = Problem::from(Fault::new(404, "no room 7")).to_json();
        assert_eq!(
            body,
            json!({"type": "about:blank", "title": "Not Found", "status": 404,
                   "detail": "no room 7", "fault_code": 404})
        );
        let plain = Problem::new(StatusCode::UNAUTHORIZED, "a bearer token is required");
        assert!(plain.to_json().get("fault_code").is_none());
    }
}
