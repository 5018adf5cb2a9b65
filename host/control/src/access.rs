//! Who may use the endpoint: with a token configured, every request must
//! carry `Authorization: Bearer <token>` (RFC 6750); without one, anyone who
//! can reach the listen address may (the binary allows that only on
//! loopback).

use hyper::HeaderMap;
use hyper::header::AUTHORIZATION;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

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

    /// Only requests carrying `token` are let in.
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
        let offered = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            });
        let Some(offered) = offered else {
            return false;
        };
        let offered: [u8; 32] = Sha256::digest(offered.as_bytes()).into();
        offered.ct_eq(expected).into()
    }
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

    #[test]
    fn only_the_bearer_token_is_let_in() {
        let access = Access::token("s3cret");
        assert!(access.allows(&with("Bearer s3cret")));
        assert!(access.allows(&with("bearer  s3cret")));
        assert!(!access.allows(&with("Bearer s3cre")));
        assert!(!access.allows(&with("Basic s3cret")));
        assert!(!access.allows(&with("s3cret")));
        assert!(!access.allows(&HeaderMap::new()));
        assert!(Access::open().allows(&HeaderMap::new()));
        assert_eq!(format!("{access:?}"), "Access(bearer token)");
    }
}
