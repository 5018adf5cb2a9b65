//! Who may use the endpoint: with a token configured, every request must
//! carry it, as `Authorization: Bearer <token>` (RFC 6750) or as the password
//! of `Authorization: Basic` (RFC 7617, what stock XML-RPC clients send for a
//! URL's `user:password@`); without one, anyone who can reach the listen
//! address may (the binary allows that only on loopback).

use base64::Engine as _;
use hyper::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use hyper::{HeaderMap, StatusCode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::http::{HttpResponse, problem};
use crate::problem::Problem;

/// The endpoint's access rule.
#[derive(Clone, Default)]
pub struct Access {
    /// The SHA-256 of the token, if one is required.
    token: Option<[u8; 32]>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token's hash is no business of a log.
        f.write_str(if self.token.is_some() {
            "Access(bearer token)"
        } else {
            "Access(open)"
        })
    }
}

impl Access {
    /// Every request is let in.
    pub fn open() -> Self {
        Access::default()
    }

    /// Only requests carrying `token` (as a bearer token, or as the password of Basic
    /// credentials with any user name) are let in.
    pub fn token(token: &str) -> Self {
        Access {
            token: Some(Sha256::digest(token.as_bytes()).into()),
        }
    }

    /// Whether a request with `headers` is let in. The comparison takes the
    /// same time whatever the token offered: both are hashed, and the
    /// hashes compared in constant time.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.token else {
            return true;
        };
        let Some(offered) = headers.get(AUTHORIZATION).and_then(offered_token) else {
            return false;
        };
        let offered: [u8; 32] = Sha256::digest(offered).into();
        offered.ct_eq(expected).into()
    }
}

/// The token an `Authorization` value offers: a bearer token, or the password of Basic
/// credentials (`base64(user ":" password)`, RFC 7617 §2).
fn offered_token(value: &HeaderValue) -> Option<Vec<u8>> {
    let (scheme, credentials) = value.to_str().ok()?.split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(credentials.as_bytes().to_vec());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let pair = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()?;
    let colon = pair.iter().position(|&b| b == b':')?;
    Some(pair[colon + 1..].to_vec())
}

/// The `401` for a request that does not carry the token. It offers Basic as well only when
/// `basic` (the XML-RPC paths): a Basic challenge makes a browser put up its own login dialog
/// over the web console, which asks for the token itself.
pub(crate) fn refusal(basic: bool) -> HttpResponse {
    let detail = if basic {
        "this server requires `Authorization: Bearer <token>`, or Basic credentials with the \
         token as the password"
    } else {
        "this server requires `Authorization: Bearer <token>`"
    };
    let mut response = problem(&Problem::new(StatusCode::UNAUTHORIZED, detail));
    let headers = response.headers_mut();
    headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    if basic {
        headers.append(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"switchyard\""),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn with(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(authorization).unwrap());
        headers
    }

    fn basic(credentials: &str) -> String {
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        format!("Basic {encoded}")
    }

    #[test]
    fn only_the_token_is_let_in() {
        let access = Access::token("s3cret");
        assert!(access.allows(&with("Bearer s3cret")));
        assert!(access.allows(&with("bearer  s3cret")));
        assert!(!access.allows(&with("Bearer s3cre")));
        assert!(!access.allows(&with("s3cret")));
        assert!(access.allows(&with(&basic("admin:s3cret"))));
        assert!(access.allows(&with(&basic(":s3cret"))));
        assert!(access.allows(&with(&format!("basic  {}", &basic("u:s3cret")[6..]))));
        assert!(!access.allows(&with(&basic("s3cret:x"))));
        assert!(!access.allows(&with(&basic("s3cret"))));
        assert!(!access.allows(&with(&basic("admin:s3cret:"))));
        assert!(!access.allows(&with("Basic s3cret")));
        assert!(!access.allows(&HeaderMap::new()));
        assert!(Access::open().allows(&HeaderMap::new()));
        assert_eq!(format!("{access:?}"), "Access(bearer token)");
    }
}
