//! Who may use the endpoint: with a token configured, every request must
//! carry it, as `Authorization: Bearer <token>` (RFC 6750) or as the password
//! of `Authorization: Basic` (RFC 7617, what stock XML-RPC clients send for a
//! URL's `user:password@`); without one, anyone who can reach the listen
//! address may (the binary allows that only on loopback). A second, read
//! token may be configured beside it: a request carrying that one may only
//! read (`GET` and `HEAD`). The tokens may change while the endpoint serves
//! ([`Access::adopt`]): each request is checked against those of its time, and a
//! request that lasts (an event stream) is told when they no longer let it in
//! ([`Admission::revoked`]).

use std::sync::Arc;

use base64::Engine as _;
use hyper::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use hyper::{HeaderMap, Method, StatusCode};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use tokio::sync::watch;

use crate::http::{HttpResponse, problem};
use crate::problem::Problem;

/// The SHA-256 of a token.
type TokenHash = [u8; 32];

/// The endpoint's access rule. Its clones share one rule: [`Access::adopt`] through any of
/// them changes what each lets in, from the next request it checks on, and tells the
/// [`Admission`]s it gave.
#[derive(Clone)]
pub struct Access {
    tokens: Arc<watch::Sender<Tokens>>,
}

/// The tokens an [`Access`] takes, as their SHA-256.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Tokens {
    /// The token that may do everything, if one is required.
    token: Option<TokenHash>,
    /// The token that may only read, if there is one.
    read_token: Option<TokenHash>,
}

/// Which tokens differ between two access rules ([`Access::changed_tokens`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenChanges {
    /// The token that may do everything: another, or one set or unset.
    pub token: bool,
    /// The read token: another, or one set or unset.
    pub read_token: bool,
}

/// What a request let in may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Everything: it carries the token, or none is required.
    Everything,
    /// Only read: it carries the read token.
    Read,
}

/// A request let in ([`Access::admit`]): what it may do, and what let it in, so that a
/// request that lasts (an event stream) can tell when the rule's tokens no longer let it in.
pub struct Admission {
    grant: Grant,
    method: Method,
    /// The SHA-256 of the token the request carried, if it carried one.
    offered: Option<TokenHash>,
    /// The rule's tokens, those it was let in by marked seen.
    tokens: watch::Receiver<Tokens>,
}

/// Why a request is not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It carries neither token: `401`.
    NoToken,
    /// It carries the read token, and is no read: `403`.
    ReadOnly,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The tokens' hashes are no business of a log.
        let tokens = self.tokens();
        f.write_str(match (tokens.token, tokens.read_token) {
            (None, _) => "Access(open)",
            (Some(_), None) => "Access(bearer token)",
            (Some(_), Some(_)) => "Access(bearer token, read token)",
        })
    }
}

impl Default for Access {
    /// [`Access::open`].
    fn default() -> Self {
        Access::open()
    }
}

impl Access {
    /// Every request is let in.
    pub fn open() -> Self {
        Access::of(Tokens::default())
    }

    /// Only requests carrying `token` (as a bearer token, or as the password of Basic
    /// credentials with any user name) are let in.
    pub fn token(token: &str) -> Self {
        Access::of(Tokens {
            token: Some(hash(token.as_bytes())),
            read_token: None,
        })
    }

    /// As [`Access::token`], and requests carrying `read_token` instead (the same ways) are
    /// let in to read: `GET` and `HEAD`. The two tokens are to differ: `token` is looked
    /// for first.
    pub fn with_read_token(token: &str, read_token: &str) -> Self {
        Access::of(Tokens {
            token: Some(hash(token.as_bytes())),
            read_token: Some(hash(read_token.as_bytes())),
        })
    }

    /// A rule of its own taking `tokens`.
    fn of(tokens: Tokens) -> Self {
        Access {
            tokens: Arc::new(watch::Sender::new(tokens)),
        }
    }

    /// Makes `new`'s tokens this rule's, and so those of each of its clones: the requests
    /// they check from now on are let in by them. Those already let in go on, but each
    /// [`Admission`] the new tokens no longer let in is told ([`Admission::revoked`]).
    pub fn adopt(&self, new: &Access) {
        let adopted = new.tokens();
        self.tokens.send_if_modified(|tokens| {
            let changed = *tokens != adopted;
            *tokens = adopted;
            changed
        });
    }

    /// Which of `self`'s tokens differ from `other`'s.
    pub fn changed_tokens(&self, other: &Access) -> TokenChanges {
        let (mine, theirs) = (self.tokens(), other.tokens());
        // Configured tokens compared with each other, not with one a request offers: no
        // need for constant time.
        TokenChanges {
            token: mine.token != theirs.token,
            read_token: mine.read_token != theirs.read_token,
        }
    }

    /// The tokens it takes now.
    fn tokens(&self) -> Tokens {
        *self.tokens.borrow()
    }

    /// Whether a `method` request with `headers` is let in, and what it may then do
    /// ([`Admission::grant`]); if not, why not. The comparisons take the same time whatever
    /// the token offered: it is hashed, and the hash compared with both tokens' in constant
    /// time.
    pub fn admit(&self, method: &Method, headers: &HeaderMap) -> Result<Admission, Refusal> {
        // Subscribed before checking: tokens adopted from now on are news to the admission.
        let mut tokens = self.tokens.subscribe();
        let offered = headers
            .get(AUTHORIZATION)
            .and_then(offered_token)
            .map(|offered| hash(&offered));
        let grant = tokens.borrow_and_update().grant(method, offered.as_ref())?;
        Ok(Admission {
            grant,
            method: method.clone(),
            offered,
            tokens,
        })
    }
}

impl Admission {
    /// What the request may do.
    pub fn grant(&self) -> Grant {
        self.grant
    }

    /// Resolves once the rule's tokens no longer let the request do all its grant let it
    /// do: its token replaced or unset, one set where none was needed, or its token now
    /// letting it only read. Pending while they do, more too (a read token made the admin
    /// token, or every token unset: all it could read it still can), and for good once the
    /// rule is gone.
    pub async fn revoked(&mut self) {
        let Admission {
            grant,
            method,
            offered,
            tokens,
        } = self;
        let lets_in = |tokens: &Tokens| {
            tokens
                .grant(method, offered.as_ref())
                .is_ok_and(|now| now.covers(*grant))
        };
        if tokens.wait_for(|tokens| !lets_in(tokens)).await.is_err() {
            // Every clone of the rule dropped: nothing can change its tokens any more.
            std::future::pending::<()>().await;
        }
    }
}

impl Grant {
    /// Whether a request granted `self` may do all that one granted `other` may.
    fn covers(self, other: Grant) -> bool {
        self == Grant::Everything || self == other
    }
}

impl Tokens {
    /// What a `method` request that carried the token hashed to `offered` may do, or why it
    /// is not let in; the hash is compared with both tokens' in constant time.
    fn grant(&self, method: &Method, offered: Option<&TokenHash>) -> Result<Grant, Refusal> {
        let Some(token) = &self.token else {
            return Ok(Grant::Everything);
        };
        let Some(offered) = offered else {
            return Err(Refusal::NoToken);
        };
        let is_token = offered.ct_eq(token);
        let is_read_token = self
            .read_token
            .map_or(Choice::from(0), |read_token| offered.ct_eq(&read_token));
        if is_token.into() {
            Ok(Grant::Everything)
        } else if !bool::from(is_read_token) {
            Err(Refusal::NoToken)
        } else if reads(method) {
            Ok(Grant::Read)
        } else {
            Err(Refusal::ReadOnly)
        }
    }
}

/// The SHA-256 of `token`: what is kept of a token and compared.
fn hash(token: &[u8]) -> TokenHash {
    Sha256::digest(token).into()
}

/// Whether `method` only reads (RFC 9110 §9.2.1 calls `GET` and `HEAD` safe). XML-RPC is
/// `POST`ed: its methods are the guests', and any may change something.
fn reads(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
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

/// The answer to a request `refusal` keeps out; `basic` on the XML-RPC paths.
pub(crate) fn answer(refusal: Refusal, basic: bool) -> HttpResponse {
    match refusal {
        Refusal::NoToken => no_token(basic),
        Refusal::ReadOnly => read_only(),
    }
}

/// The `401` for a request that does not carry the token. It offers Basic as well only when
/// `basic` (the XML-RPC paths): a Basic challenge makes a browser put up its own login dialog
/// over the web console, which asks for the token itself.
fn no_token(basic: bool) -> HttpResponse {
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

/// The `403` for a request with the read token that would do more than read: the token is
/// known, so no challenge (RFC 9110 §15.5.4); on the XML-RPC paths too, as their `401` is.
fn read_only() -> HttpResponse {
    problem(&Problem::new(
        StatusCode::FORBIDDEN,
        "this token may only read: GET and HEAD requests (every XML-RPC call is a POST); \
         anything else needs the admin token",
    ))
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

    /// What `access` lets a `method` request with `headers` do, or why it is not let in.
    fn grant(access: &Access, method: &Method, headers: &HeaderMap) -> Result<Grant, Refusal> {
        access
            .admit(method, headers)
            .map(|admission| admission.grant())
    }

    /// Whether `access` lets in a `POST` (a request only the admin token may make) with
    /// `authorization`.
    fn lets_in(access: &Access, authorization: &HeaderMap) -> bool {
        grant(access, &Method::POST, authorization).is_ok()
    }

    #[test]
    fn only_the_token_is_let_in() {
        let access = Access::token("s3cret");
        assert!(lets_in(&access, &with("Bearer s3cret")));
        assert!(lets_in(&access, &with("bearer  s3cret")));
        assert!(!lets_in(&access, &with("Bearer s3cre")));
        assert!(!lets_in(&access, &with("s3cret")));
        assert!(lets_in(&access, &with(&basic("admin:s3cret"))));
        assert!(lets_in(&access, &with(&basic(":s3cret"))));
        assert!(lets_in(
            &access,
            &with(&format!("basic  {}", &basic("u:s3cret")[6..]))
        ));
        assert!(!lets_in(&access, &with(&basic("s3cret:x"))));
        assert!(!lets_in(&access, &with(&basic("s3cret"))));
        assert!(!lets_in(&access, &with(&basic("admin:s3cret:"))));
        assert!(!lets_in(&access, &with("Basic s3cret")));
        assert!(!lets_in(&access, &HeaderMap::new()));
        assert!(lets_in(&Access::open(), &HeaderMap::new()));
        assert_eq!(format!("{access:?}"), "Access(bearer token)");
    }

    #[test]
    fn the_read_token_may_only_get_and_head() {
        let access = Access::with_read_token("s3cret", "r3ad-only");
        let read_token = [with("Bearer r3ad-only"), with(&basic("scraper:r3ad-only"))];
        for headers in &read_token {
            for method in [Method::GET, Method::HEAD] {
                assert_eq!(
                    grant(&access, &method, headers),
                    Ok(Grant::Read),
                    "{method}"
                );
            }
            for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
                assert_eq!(
                    grant(&access, &method, headers),
                    Err(Refusal::ReadOnly),
                    "{method}"
                );
            }
        }
        for method in [Method::GET, Method::POST, Method::DELETE] {
            assert_eq!(
                grant(&access, &method, &with("Bearer s3cret")),
                Ok(Grant::Everything)
            );
            for wrong in [
                with("Bearer r3ad-onl"),
                with("Bearer wrong"),
                HeaderMap::new(),
            ] {
                assert_eq!(
                    grant(&access, &method, &wrong),
                    Err(Refusal::NoToken),
                    "{method}"
                );
            }
        }
        assert_eq!(
            format!("{access:?}"),
            "Access(bearer token, read token)",
            "no token shown"
        );
    }

    #[test]
    fn a_rule_adopted_through_a_clone_lets_in_only_its_tokens() {
        let serving = Access::with_read_token("s3cret", "r3ad-only");
        let kept = serving.clone();
        let rotated = Access::with_read_token("n3w-s3cret", "n3w-r3ad");
        assert_eq!(
            kept.changed_tokens(&rotated),
            TokenChanges {
                token: true,
                read_token: true
            }
        );
        kept.adopt(&rotated);
        assert_eq!(kept.changed_tokens(&rotated), TokenChanges::default());
        for old in ["Bearer s3cret", "Bearer r3ad-only"] {
            assert_eq!(
                grant(&serving, &Method::GET, &with(old)),
                Err(Refusal::NoToken),
                "{old}"
            );
        }
        assert_eq!(
            grant(&serving, &Method::POST, &with("Bearer n3w-s3cret")),
            Ok(Grant::Everything)
        );
        assert_eq!(
            grant(&serving, &Method::GET, &with("Bearer n3w-r3ad")),
            Ok(Grant::Read)
        );
        serving.adopt(&Access::token("n3w-s3cret"));
        assert_eq!(
            kept.changed_tokens(&rotated),
            TokenChanges {
                token: false,
                read_token: true
            }
        );
        assert_eq!(format!("{kept:?}"), "Access(bearer token)");
        serving.adopt(&Access::open());
        assert!(lets_in(&kept, &HeaderMap::new()), "a token unset");
        assert!(
            !lets_in(&rotated, &HeaderMap::new()),
            "the rule adopted is not changed"
        );
    }

    /// Whether `admission` is told, within a second, that it is no longer let in.
    async fn is_revoked(admission: &mut Admission) -> bool {
        let told = tokio::time::timeout(std::time::Duration::from_secs(1), admission.revoked());
        told.await.is_ok()
    }

    /// An admission of `access` for a `GET` carrying `token`.
    fn reading_with(access: &Access, token: &str) -> Admission {
        let admission = access.admit(&Method::GET, &with(&format!("Bearer {token}")));
        admission.unwrap_or_else(|refusal| panic!("{token} refused: {refusal:?}"))
    }

    #[tokio::test(start_paused = true)]
    async fn an_admission_is_revoked_once_the_tokens_adopted_no_longer_let_it_in_as_they_did() {
        let serving = Access::with_read_token("s3cret", "r3ad-only");
        let mut admin = reading_with(&serving, "s3cret");
        let mut reader = reading_with(&serving, "r3ad-only");
        serving.adopt(&Access::with_read_token("s3cret", "r3ad-only"));
        assert!(!is_revoked(&mut admin).await, "the same tokens adopted");
        serving.adopt(&Access::with_read_token("s3cret", "n3w-r3ad"));
        assert!(!is_revoked(&mut admin).await, "its token unchanged");
        assert!(is_revoked(&mut reader).await, "its token replaced");
        let mut reader = reading_with(&serving, "n3w-r3ad");
        serving.adopt(&Access::with_read_token("n3w-s3cret", "n3w-r3ad"));
        assert!(is_revoked(&mut admin).await, "its token replaced");
        assert!(!is_revoked(&mut reader).await, "its token unchanged");
        let mut admin = reading_with(&serving, "n3w-s3cret");
        serving.adopt(&Access::with_read_token("other-s3cret", "n3w-s3cret"));
        assert!(
            is_revoked(&mut admin).await,
            "let in for everything, now to read"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_admission_whose_token_now_does_more_is_not_revoked() {
        let serving = Access::with_read_token("s3cret", "r3ad-only");
        let mut promoted = reading_with(&serving, "r3ad-only");
        serving.adopt(&Access::token("r3ad-only"));
        assert!(
            !is_revoked(&mut promoted).await,
            "let in to read, now the admin token"
        );
        let serving = Access::with_read_token("s3cret", "r3ad-only");
        let mut reader = reading_with(&serving, "r3ad-only");
        serving.adopt(&Access::open());
        assert!(
            !is_revoked(&mut reader).await,
            "let in to read, now every request let in"
        );
        serving.adopt(&Access::with_read_token("s3cret", "n3w-r3ad"));
        assert!(
            is_revoked(&mut reader).await,
            "its token needed again, and replaced"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_admission_without_a_token_is_revoked_once_one_is_needed() {
        let serving = Access::open();
        let mut anyone = serving.admit(&Method::GET, &HeaderMap::new()).unwrap();
        let mut carrying = reading_with(&serving, "s3cret");
        assert_eq!(anyone.grant(), Grant::Everything);
        serving.adopt(&Access::token("s3cret"));
        assert!(is_revoked(&mut anyone).await);
        assert!(
            !is_revoked(&mut carrying).await,
            "it carries the token now needed"
        );
        serving.adopt(&Access::open());
        assert!(
            !is_revoked(&mut carrying).await,
            "every request let in, for everything"
        );
    }

    #[test]
    fn without_a_read_token_no_other_token_reads() {
        let access = Access::token("s3cret");
        assert_eq!(
            grant(&access, &Method::GET, &with("Bearer r3ad-only")),
            Err(Refusal::NoToken)
        );
        assert_eq!(
            grant(&access, &Method::GET, &with("Bearer s3cret")),
            Ok(Grant::Everything)
        );
        assert_eq!(
            grant(&access, &Method::POST, &HeaderMap::new()),
            Err(Refusal::NoToken)
        );
        assert_eq!(
            grant(&Access::open(), &Method::DELETE, &HeaderMap::new()),
            Ok(Grant::Everything)
        );
    }
}
