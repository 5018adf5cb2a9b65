//! The content type a request body must have: XML for XML-RPC from a browser,
//! JSON for REST. A web page may send a form or `text/plain` body to any site
//! without the site's consent (a CORS "simple request"), but not XML or JSON:
//! requiring them keeps other sites' pages from calling the endpoint.

use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use hyper::{HeaderMap, StatusCode};

use crate::http::{HttpResponse, problem};
use crate::problem::Problem;

/// What an XML-RPC body is: `text/xml`, as the XML-RPC specification has it, or
/// `application/xml` (RFC 7303).
pub(crate) const XML: &[&str] = &["text/xml", "application/xml"];

/// What a REST body is.
pub(crate) const JSON: &[&str] = &["application/json"];

/// None when `headers`' `Content-Type` is one of `accepted`, its parameters (`charset`, …)
/// aside and case-insensitive (RFC 9110 §8.3.1). Otherwise the `415` to answer: a problem
/// saying what the body of `what` takes and what it had, with `Accept` naming the types
/// taken (RFC 9110 §12.5.1).
pub(crate) fn refusal(headers: &HeaderMap, accepted: &[&str], what: &str) -> Option<HttpResponse> {
    let given = headers
        .get(CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let essence = given
        .as_deref()
        .map(|value| value.split(';').next().unwrap_or_default().trim());
    if essence.is_some_and(|essence| accepted.iter().any(|a| a.eq_ignore_ascii_case(essence))) {
        return None;
    }
    let wanted = accepted
        .iter()
        .map(|kind| format!("`{kind}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    let detail = match &given {
        Some(given) => format!("{what} takes Content-Type {wanted}, not `{given}`"),
        None => format!("{what} takes Content-Type {wanted}; the request has none"),
    };
    let mut response = problem(&Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, detail));
    if let Ok(value) = HeaderValue::from_str(&accepted.join(", ")) {
        response.headers_mut().insert(ACCEPT, value);
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        headers
    }

    #[test]
    fn a_type_is_taken_whatever_its_case_and_parameters() {
        assert!(refusal(&with("text/xml"), XML, "XML-RPC").is_none());
        let typed = with("Application/XML ; charset=\"utf-8\"");
        assert!(refusal(&typed, XML, "XML-RPC").is_none());
        assert!(refusal(&with("application/json;charset=utf-8"), JSON, "REST").is_none());
        for refused in [
            "text/plain",
            "text/xml-external-parsed-entity",
            "application/jsonx",
        ] {
            let response = refusal(&with(refused), XML, "XML-RPC").unwrap();
            assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert_eq!(response.headers()[ACCEPT], "text/xml, application/xml");
        }
        assert!(refusal(&HeaderMap::new(), JSON, "REST").is_some());
    }
}
