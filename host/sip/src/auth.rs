//! Digest authentication of the requests we send (RFC 3261 §22.2-22.3, RFC 2617, RFC 7616):
//! reading `401`/`407` challenges, deciding whether to answer them, and computing the
//! `Authorization`/`Proxy-Authorization` values with the `digest_auth` crate.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use digest_auth::{AuthContext, HttpMethod, Qop, WwwAuthenticateHeader};

use crate::message;

/// Digest credentials for the challenges of proxies and servers on a call's path. `Debug`
/// never shows the password, and the endpoint never logs or reports it.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name sent in the `username` parameter.
    pub username: String,
    /// The password, used only to compute digests.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl Credentials {
    /// Why the user name cannot go in a quoted `username` parameter, if it cannot: a quote,
    /// backslash or control character would end or corrupt it (§25.1 quoted-string).
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        if self
            .username
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\')
        {
            return Err("the user name holds a quote, backslash or control character");
        }
        Ok(())
    }
}

/// Who challenged a request (§22.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Challenger {
    /// The UAS or registrar: `401` with `WWW-Authenticate`, answered with `Authorization`.
    Server,
    /// A proxy: `407` with `Proxy-Authenticate`, answered with `Proxy-Authorization`.
    Proxy,
}

impl Challenger {
    /// The challenger of a response with status `code`, if it is a challenge.
    pub(crate) fn of(code: u16) -> Option<Self> {
        match code {
            401 => Some(Self::Server),
            407 => Some(Self::Proxy),
            _ => None,
        }
    }

    fn challenge_header(self) -> &'static str {
        match self {
            Self::Server => "WWW-Authenticate",
            Self::Proxy => "Proxy-Authenticate",
        }
    }

    fn answer_header(self) -> &'static str {
        match self {
            Self::Server => "Authorization",
            Self::Proxy => "Proxy-Authorization",
        }
    }
}

/// One Digest challenge we can answer, and how often its nonce was used (`nc`).
#[derive(Debug, Clone)]
struct Challenge {
    from: Challenger,
    header: WwwAuthenticateHeader,
}

/// The most challenges a call keeps answering, and the most realms one request answers: a
/// server's and a few proxies' realms. A peer that challenges each new request with a new
/// realm would otherwise grow the list, and every request's headers, for the whole call; a
/// chain of proxies each challenging with a new realm would have a request sent again
/// without end.
const MAX_CHALLENGES: usize = 4;

/// A call's credentials and the challenges its requests answer, each with its nonce count.
#[derive(Debug)]
struct Answers {
    credentials: Credentials,
    challenges: Vec<Challenge>,
}

/// A realm one request answered, and whether its one retry for a stale nonce was spent.
#[derive(Debug, Clone)]
struct AnsweredRealm {
    from: Challenger,
    realm: String,
    stale_retried: bool,
}

/// The realms one request (an INVITE and its resends, or a BYE and its resends) answered.
#[derive(Debug, Clone, Default)]
struct RequestRealms {
    method: String,
    answered: Vec<AnsweredRealm>,
}

impl RequestRealms {
    /// Whether the request may be sent again to answer `header`, a challenge from `from`,
    /// noting it if so: a realm of that challenger not answered yet is, while fewer than
    /// [`MAX_CHALLENGES`] were (§22.3: each proxy on the path may challenge with its own
    /// realm, and the server too); an answered one only with `stale=true` (the nonce expired,
    /// the credentials were right, RFC 7616 §3.3), and that once. Any other challenge of an
    /// answered realm says its credentials were refused.
    fn admit(&mut self, from: Challenger, header: &WwwAuthenticateHeader) -> bool {
        let known = self
            .answered
            .iter_mut()
            .find(|answered| answered.from == from && answered.realm == header.realm);
        if let Some(realm) = known {
            let retry = header.stale && !realm.stale_retried;
            realm.stale_retried |= retry;
            return retry;
        }
        if self.answered.len() == MAX_CHALLENGES {
            return false;
        }
        self.answered.push(AnsweredRealm {
            from,
            realm: header.realm.clone(),
            stale_retried: false,
        });
        true
    }
}

/// A call's credentials, the challenges its requests answer, and the retry rule: for each
/// request (an INVITE and its resends, then a BYE and its resends), the first challenge of
/// each challenger's realm is answered, for up to [`MAX_CHALLENGES`] realms; a later one of
/// the same realm only if it says `stale=true`, and that only once (see
/// [`RequestRealms::admit`]). At most [`MAX_CHALLENGES`] challenges are kept, the oldest
/// going first: as many as one request answers. The requests of one call answered apart
/// (its own, and the BYEs releasing other forks' dialogs) each have an authenticator
/// ([`Authenticator::share`]), all answering the same challenges.
#[derive(Debug)]
pub(crate) struct Authenticator {
    // One state for every authenticator of the call: RFC 7616 §3.4 has the client count up
    // `nc` with each request using a nonce, and a server refuses a count it saw (a replay).
    answers: Arc<Mutex<Answers>>,
    /// The realms the current request answered.
    request: RequestRealms,
}

impl Authenticator {
    /// An authenticator with `credentials` that has taken no challenge yet.
    pub(crate) fn new(credentials: Credentials) -> Self {
        Self {
            answers: Arc::new(Mutex::new(Answers {
                credentials,
                challenges: Vec::new(),
            })),
            request: RequestRealms::default(),
        }
    }

    /// An authenticator for requests of the same call answered apart from this one's, with
    /// this one's retry state: each takes the challenges the other takes, and no two
    /// requests of theirs carry one nonce with one count.
    pub(crate) fn share(&self) -> Self {
        Self {
            answers: Arc::clone(&self.answers),
            request: self.request.clone(),
        }
    }

    /// The state all authenticators of the call share.
    fn answers(&self) -> MutexGuard<'_, Answers> {
        // A panic while it was held left at worst a count taken and not sent: still valid.
        self.answers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a new request, though of the method the last was (a re-INVITE after the call's
    /// INVITE): its challenges are answered as a first request's are.
    pub(crate) fn next_request(&mut self) {
        self.request = RequestRealms::default();
    }

    /// Takes the challenges in `response` (status 401 or 407 from `from`) to a request of
    /// `method`, one per realm (§22.3: a forking proxy gathers its branches' challenges
    /// into one response, and each is answered) that the retry rule admits (see
    /// [`Authenticator`]); returns whether the request is to be sent again with
    /// [`Authenticator::headers`], which keeps answering the realms answered before. A
    /// response without a Digest challenge of a known algorithm (MD5, SHA-256, SHA-512-256,
    /// `-sess` or not) that offers `qop=auth` or no qop is not retried: one offering only
    /// `auth-int` is not answered.
    pub(crate) fn on_challenge(
        &mut self,
        response: &rsip::Response,
        from: Challenger,
        method: &str,
    ) -> bool {
        let mut headers = find_challenges(response, from);
        if headers.is_empty() {
            return false;
        }
        if self.request.method != method {
            self.request = RequestRealms {
                method: method.to_owned(),
                answered: Vec::new(),
            };
        }
        headers.retain(|header| self.request.admit(from, header));
        let challenges = &mut self.answers().challenges;
        let admitted = !headers.is_empty();
        for header in headers {
            take_challenge(challenges, Challenge { from, header });
        }
        admitted
    }

    /// The header lines (name, value) that answer every challenge taken so far, for a
    /// request with `method` and Request-URI `uri`; `cnonce` gives each a client nonce. Each
    /// use of a nonce counts up its `nc`.
    pub(crate) fn headers(
        &mut self,
        method: &str,
        uri: &str,
        mut cnonce: impl FnMut() -> String,
    ) -> Vec<(&'static str, String)> {
        let answers = &mut *self.answers();
        let credentials = &answers.credentials;
        answers
            .challenges
            .iter_mut()
            .filter_map(|challenge| {
                let value = answer(&mut challenge.header, credentials, method, uri, &cnonce())?;
                Some((challenge.from.answer_header(), value))
            })
            .collect()
    }
}

/// Adds `challenge` to `challenges`: §22.3, a new challenge of the same realm replaces the
/// old one; at most [`MAX_CHALLENGES`] are kept, the oldest going, since the newest are the
/// ones the next request meets.
fn take_challenge(challenges: &mut Vec<Challenge>, mut challenge: Challenge) {
    let same_realm =
        |c: &Challenge| c.from == challenge.from && c.header.realm == challenge.header.realm;
    if let Some(at) = challenges.iter().position(same_realm) {
        let old = challenges.remove(at);
        // RFC 7616 §3.4: the nonce counts on, whichever challenge carried it again.
        if old.header.nonce == challenge.header.nonce {
            challenge.header.nc = old.header.nc;
        }
    }
    if challenges.len() == MAX_CHALLENGES {
        challenges.remove(0);
    }
    challenges.push(challenge);
}

/// The Digest challenges of `response` from `from` whose parameters we can read, the first
/// of each realm (RFC 8760 §2.4: a server offering several algorithms lists the one it
/// prefers first). Only ASCII challenges are read: `digest_auth` indexes its input by
/// characters as if they were bytes and would panic on some others.
fn find_challenges(response: &rsip::Response, from: Challenger) -> Vec<WwwAuthenticateHeader> {
    let mut found: Vec<WwwAuthenticateHeader> = Vec::new();
    let readable = message::header_pairs(&response.headers)
        .into_iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case(from.challenge_header()))
        .filter_map(|(_, value)| {
            let (scheme, params) = value.trim().split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("Digest") || !params.is_ascii() {
                return None;
            }
            WwwAuthenticateHeader::parse(&canonical_params(params)?).ok()
        })
        .filter(answerable);
    for header in readable {
        if !found.iter().any(|f| f.realm == header.realm) {
            found.push(header);
        }
    }
    found
}

/// Whether we can answer the challenge `header`: it offers `qop=auth`, or no qop (RFC 2069
/// digests). RFC 2617 §3.2.2.3's `auth-int` alone would need the body hashed in, which
/// `digest_auth` leaves out here, and answering `auth` instead is what the server refused.
fn answerable(header: &WwwAuthenticateHeader) -> bool {
    header
        .qop
        .as_ref()
        .is_none_or(|offered| offered.contains(&Qop::AUTH))
}

/// The algorithms `digest_auth` knows, as it spells them.
const ALGORITHMS: [&str; 6] = [
    "MD5",
    "MD5-sess",
    "SHA-256",
    "SHA-256-sess",
    "SHA-512-256",
    "SHA-512-256-sess",
];

/// A challenge's parameters as `digest_auth` reads them: names in lower case with no space
/// around `=`, `algorithm` and `qop` spelled as it spells them. RFC 3261 §25.1 makes the
/// names and those values case-insensitive and allows linear white space around `=`
/// (`EQUAL = SWS "=" SWS`); quoted values are kept as they are. `None` if a parameter has no
/// `=` or an unclosed quote.
fn canonical_params(params: &str) -> Option<String> {
    let mut rest = params.trim();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let name = name.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = closing_quote(quoted)?;
                (&after[..end + 2], &quoted[end + 1..])
            }
            None => after.split_at(after.find(',').unwrap_or(after.len())),
        };
        let value = value.trim();
        let value = match name.as_str() {
            "algorithm" => ALGORITHMS
                .iter()
                .find(|known| known.eq_ignore_ascii_case(value.trim_matches('"')))
                .map_or_else(|| value.to_owned(), |known| (*known).to_owned()),
            "qop" => value.to_ascii_lowercase(),
            _ => value.to_owned(),
        };
        out.push(format!("{name}={value}"));
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Some(out.join(", "))
}

/// Where the quoted string that `quoted` continues (after its opening quote) ends: the index
/// of its closing quote, past `\` escapes (§25.1 quoted-pair).
fn closing_quote(quoted: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in quoted.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(at),
            _ => {}
        }
    }
    None
}

/// The credentials value answering `challenge` for `method` to `uri` with client nonce
/// `cnonce` (used when the challenge asks for a `qop`); counts up the challenge's `nc`.
fn answer(
    challenge: &mut WwwAuthenticateHeader,
    credentials: &Credentials,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> Option<String> {
    let mut context = AuthContext::new_with_method(
        credentials.username.as_str(),
        credentials.password.as_str(),
        uri,
        Option::<&[u8]>::None,
        HttpMethod(method.to_owned().into()),
    );
    context.set_custom_cnonce(cnonce);
    challenge
        .respond(&context)
        .ok()
        .map(|header| header.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616 §3.9.1.
    const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const OPAQUE: &str = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
    const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

    fn mufasa() -> Credentials {
        Credentials {
            username: "Mufasa".into(),
            password: "Circle of Life".into(),
        }
    }

    fn challenge(code: u16, header: &str, value: &str) -> rsip::Response {
        let mut headers = rsip::Headers::default();
        headers.push(rsip::Header::Other(header.into(), value.into()));
        rsip::Response {
            status_code: code.into(),
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        }
    }

    fn rfc7616(algorithm: &str) -> rsip::Response {
        challenge(
            401,
            "WWW-Authenticate",
            &format!(
                "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", \
                 algorithm={algorithm}, nonce=\"{NONCE}\", opaque=\"{OPAQUE}\""
            ),
        )
    }

    fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
        value
            .trim_start_matches("Digest ")
            .split(", ")
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
            .map(|v| v.trim_matches('"'))
    }

    #[test]
    fn rfc_7616_example_md5_and_sha_256() {
        for (algorithm, expected) in [
            ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
            (
                "SHA-256",
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
        ] {
            let mut auth = Authenticator::new(mufasa());
            assert!(auth.on_challenge(&rfc7616(algorithm), Challenger::Server, "INVITE"));
            let headers = auth.headers("GET", "/dir/index.html", || CNONCE.into());
            let [(name, value)] = headers.as_slice() else {
                panic!("{headers:?}");
            };
            assert_eq!(*name, "Authorization");
            assert_eq!(param(value, "response"), Some(expected), "{value}");
            for (p, v) in [
                ("username", "Mufasa"),
                ("realm", "http-auth@example.org"),
                ("uri", "/dir/index.html"),
                ("nonce", NONCE),
                ("cnonce", CNONCE),
                ("opaque", OPAQUE),
                ("qop", "auth"),
                ("nc", "00000001"),
                ("algorithm", algorithm),
            ] {
                assert_eq!(param(value, p), Some(v), "{value}");
            }
            assert!(!value.contains("Circle"));
        }
    }

    #[test]
    fn a_challenge_is_read_whatever_the_case_of_its_names_and_the_space_around_equals() {
        let response = challenge(
            401,
            "WWW-Authenticate",
            &format!(
                "Digest Realm = \"http-auth@example.org\" ,QOP=\"Auth, auth-int\", \
                 algorithm=md5, NONCE=\"{NONCE}\", opaque =\"{OPAQUE}\""
            ),
        );
        let mut auth = Authenticator::new(mufasa());
        assert!(auth.on_challenge(&response, Challenger::Server, "INVITE"));
        let headers = auth.headers("GET", "/dir/index.html", || CNONCE.into());
        let [(_, value)] = headers.as_slice() else {
            panic!("{headers:?}");
        };
        // The same answer as to RFC 7616's own spelling of the challenge.
        assert_eq!(
            param(value, "response"),
            Some("8ca523f5e9506fed4657c9700eebdbec"),
            "{value}"
        );
    }

    #[test]
    fn canonical_params_keep_quoted_values_and_refuse_broken_ones() {
        assert_eq!(
            canonical_params(r#"Realm="a, \"b\" = c" , algorithm = "sha-256""#).as_deref(),
            Some(r#"realm="a, \"b\" = c", algorithm=SHA-256"#)
        );
        assert_eq!(canonical_params(r#"realm="open"#), None);
        assert_eq!(canonical_params("nonce"), None);
    }

    #[test]
    fn nonce_reuse_counts_up_and_no_qop_has_no_cnonce() {
        let mut auth = Authenticator::new(mufasa());
        let response = challenge(
            407,
            "Proxy-Authenticate",
            "digest realm=\"sip.example.com\", nonce=\"abc\"",
        );
        assert!(auth.on_challenge(&response, Challenger::Proxy, "INVITE"));
        let first = auth.headers("INVITE", "sip:bob@example.com", String::new);
        assert_eq!(first[0].0, "Proxy-Authorization");
        assert_eq!(param(&first[0].1, "cnonce"), None);
        assert_eq!(param(&first[0].1, "qop"), None);
        // RFC 2617 §3.2.2.1 without qop: MD5(MD5(A1):nonce:MD5(A2)).
        let md5 = |s: &str| {
            digest_auth::Algorithm::new(digest_auth::AlgorithmType::MD5, false).hash_str(s)
        };
        let ha1 = md5("Mufasa:sip.example.com:Circle of Life");
        let ha2 = md5("INVITE:sip:bob@example.com");
        assert_eq!(
            param(&first[0].1, "response"),
            Some(md5(&format!("{ha1}:abc:{ha2}")).as_str())
        );

        let mut auth = Authenticator::new(mufasa());
        let with_qop = challenge(
            401,
            "WWW-Authenticate",
            "Digest realm=\"r\", nonce=\"n\", qop=\"auth\"",
        );
        assert!(auth.on_challenge(&with_qop, Challenger::Server, "INVITE"));
        let mut n = 0;
        let mut cnonce = || {
            n += 1;
            format!("c{n}")
        };
        let one = auth.headers("INVITE", "sip:b@h", &mut cnonce);
        let two = auth.headers("BYE", "sip:b@h", &mut cnonce);
        assert_eq!(param(&one[0].1, "nc"), Some("00000001"));
        assert_eq!(param(&two[0].1, "nc"), Some("00000002"));
        assert_eq!(param(&two[0].1, "cnonce"), Some("c2"));
    }

    #[test]
    fn second_challenge_is_answered_only_when_stale_and_only_once() {
        let fresh = challenge(401, "WWW-Authenticate", "Digest realm=\"r\", nonce=\"n1\"");
        let stale = challenge(
            401,
            "WWW-Authenticate",
            "Digest realm=\"r\", nonce=\"n2\", stale=true",
        );
        let mut auth = Authenticator::new(mufasa());
        assert!(auth.on_challenge(&fresh, Challenger::Server, "INVITE"));
        assert!(!auth.on_challenge(&fresh, Challenger::Server, "INVITE"));
        let mut auth = Authenticator::new(mufasa());
        assert!(auth.on_challenge(&fresh, Challenger::Server, "INVITE"));
        assert!(auth.on_challenge(&stale, Challenger::Server, "INVITE"));
        assert!(!auth.on_challenge(&stale, Challenger::Server, "INVITE"));
        let headers = auth.headers("INVITE", "sip:b@h", String::new);
        assert_eq!(headers.len(), 1, "the stale challenge replaced the first");
        assert_eq!(param(&headers[0].1, "nonce"), Some("n2"));
        // A proxy's challenge and then the server's are each answered once, together.
        let proxy = challenge(407, "Proxy-Authenticate", "Digest realm=\"p\", nonce=\"x\"");
        assert!(auth.on_challenge(&proxy, Challenger::Proxy, "INVITE"));
        assert!(!auth.on_challenge(&proxy, Challenger::Proxy, "INVITE"));
        // A BYE is a new request: its first challenge is answered again.
        assert!(auth.on_challenge(&proxy, Challenger::Proxy, "BYE"));
        assert!(!auth.on_challenge(&proxy, Challenger::Proxy, "BYE"));
        assert_eq!(auth.headers("INVITE", "sip:b@h", String::new).len(), 2);
    }

    /// A 407 with one challenge of `realm`, its nonce `nonce`.
    fn proxy_challenge(realm: &str, nonce: &str, stale: bool) -> rsip::Response {
        challenge(
            407,
            "Proxy-Authenticate",
            &format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", stale={stale}"),
        )
    }

    /// The realm and nonce of each answer in `headers`, with its header's name.
    fn answered(headers: &[(&'static str, String)]) -> Vec<(&'static str, String, String)> {
        headers
            .iter()
            .map(|(name, value)| {
                let realm = param(value, "realm").unwrap_or_default();
                let nonce = param(value, "nonce").unwrap_or_default();
                (*name, realm.to_owned(), nonce.to_owned())
            })
            .collect()
    }

    #[test]
    fn each_proxy_on_the_path_is_answered_for_its_own_realm_and_refused_credentials_end_it() {
        let mut auth = Authenticator::new(mufasa());
        assert!(auth.on_challenge(
            &proxy_challenge("a", "na", false),
            Challenger::Proxy,
            "INVITE"
        ));
        // §22.3: past proxy A, proxy B challenges with its realm; A's answer stays.
        assert!(auth.on_challenge(
            &proxy_challenge("b", "nb", false),
            Challenger::Proxy,
            "INVITE"
        ));
        let headers = auth.headers("INVITE", "sip:b@h", String::new);
        let both = [
            ("Proxy-Authorization", "a".to_owned(), "na".to_owned()),
            ("Proxy-Authorization", "b".to_owned(), "nb".to_owned()),
        ];
        assert_eq!(answered(&headers), both);
        // A's realm again, not stale: A refused the credentials.
        assert!(!auth.on_challenge(
            &proxy_challenge("a", "na2", false),
            Challenger::Proxy,
            "INVITE"
        ));
        // Each realm's nonce may go stale once.
        assert!(auth.on_challenge(
            &proxy_challenge("b", "nb2", true),
            Challenger::Proxy,
            "INVITE"
        ));
        assert!(!auth.on_challenge(
            &proxy_challenge("b", "nb3", true),
            Challenger::Proxy,
            "INVITE"
        ));
        assert!(auth.on_challenge(
            &proxy_challenge("a", "na3", true),
            Challenger::Proxy,
            "INVITE"
        ));
        // The server's realm is its own, whatever its name.
        let server = challenge(401, "WWW-Authenticate", "Digest realm=\"a\", nonce=\"s\"");
        assert!(auth.on_challenge(&server, Challenger::Server, "INVITE"));
        assert!(!auth.on_challenge(&server, Challenger::Server, "INVITE"));
    }

    #[test]
    fn a_request_answers_at_most_max_challenges_realms() {
        let mut auth = Authenticator::new(mufasa());
        let realms: Vec<String> = (0..=MAX_CHALLENGES).map(|n| format!("r{n}")).collect();
        for realm in &realms[..MAX_CHALLENGES] {
            let response = proxy_challenge(realm, realm, false);
            assert!(
                auth.on_challenge(&response, Challenger::Proxy, "INVITE"),
                "{realm}"
            );
        }
        let one_more = proxy_challenge(&realms[MAX_CHALLENGES], "n", false);
        assert!(!auth.on_challenge(&one_more, Challenger::Proxy, "INVITE"));
        let headers = auth.headers("INVITE", "sip:b@h", String::new);
        let realms_answered: Vec<String> = answered(&headers).into_iter().map(|a| a.1).collect();
        assert_eq!(realms_answered, realms[..MAX_CHALLENGES]);
        // The BYE is a new request, with a bound of its own.
        assert!(auth.on_challenge(&one_more, Challenger::Proxy, "BYE"));
    }

    #[test]
    fn every_realm_of_a_forked_challenge_is_answered_with_its_preferred_algorithm() {
        let mut headers = rsip::Headers::default();
        for value in [
            "Digest realm=\"a.example\", nonce=\"na\", algorithm=SHA-256",
            "Digest realm=\"a.example\", nonce=\"na5\", algorithm=MD5",
            "Digest realm=\"b.example\", nonce=\"nb\"",
        ] {
            headers.push(rsip::Header::Other(
                "Proxy-Authenticate".into(),
                value.into(),
            ));
        }
        let response = rsip::Response {
            status_code: 407.into(),
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        };
        let mut auth = Authenticator::new(mufasa());
        assert!(auth.on_challenge(&response, Challenger::Proxy, "INVITE"));
        let answers = auth.headers("INVITE", "sip:b@h", String::new);
        let realms: Vec<_> = answers
            .iter()
            .map(|(name, value)| (*name, param(value, "realm"), param(value, "nonce")))
            .collect();
        assert_eq!(
            realms,
            [
                ("Proxy-Authorization", Some("a.example"), Some("na")),
                ("Proxy-Authorization", Some("b.example"), Some("nb")),
            ]
        );
        assert!(!auth.on_challenge(&response, Challenger::Proxy, "INVITE"));
    }

    #[test]
    fn a_new_realm_for_every_request_keeps_only_the_newest_challenges() {
        let mut auth = Authenticator::new(mufasa());
        for n in 0..100 {
            auth.next_request();
            let realm = challenge(
                401,
                "WWW-Authenticate",
                &format!("Digest realm=\"r{n}\", nonce=\"n{n}\""),
            );
            assert!(auth.on_challenge(&realm, Challenger::Server, "INVITE"));
        }
        let headers = auth.headers("INVITE", "sip:b@h", String::new);
        assert_eq!(headers.len(), MAX_CHALLENGES);
        assert_eq!(param(&headers[MAX_CHALLENGES - 1].1, "realm"), Some("r99"));
    }

    #[test]
    fn unknown_schemes_algorithms_and_qops_are_not_answered_and_password_is_hidden() {
        let mut auth = Authenticator::new(mufasa());
        for value in [
            "Basic realm=\"r\"",
            "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-1",
            "Digest nonce=\"n\"",
            "Digest a\u{e9}=x, realm=\"r\", nonce=\"n\"",
            "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",
        ] {
            let response = challenge(401, "WWW-Authenticate", value);
            assert!(
                !auth.on_challenge(&response, Challenger::Server, "INVITE"),
                "{value}"
            );
        }
        assert!(!auth.on_challenge(&challenge(401, "X", "y"), Challenger::Server, "INVITE"));
        let text = format!("{:?}", mufasa());
        assert!(
            text.contains("Mufasa") && !text.contains("Circle"),
            "{text}"
        );
        assert!(mufasa().check().is_ok());
        let bad = Credentials {
            username: "a\"b".into(),
            password: String::new(),
        };
        assert!(bad.check().is_err());
    }
}
