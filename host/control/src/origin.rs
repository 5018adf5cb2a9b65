//! Requests another site's web page makes. A browser names the page's origin
//! in `Origin` on every cross-origin request, every `POST` and every
//! WebSocket handshake (RFC 6454 §7, RFC 6455 §10.2): one that is not this
//! server is refused. A page whose own host name its attacker re-points at
//! 127.0.0.1 (DNS rebinding) reaches a loopback listener same-origin, but
//! under that name in `Host`: a loopback listener answers only a loopback
//! `Host`. Behind a reverse proxy (TLS ended there, `Host` rewritten) a browser
//! names the proxy's origin: the endpoint takes the [`PublicOrigin`]s it is told
//! it is served under as its own. A page's `<audio>`, `<img>` or `<script>` sends
//! no `Origin`, but a browser says where it comes from in `Sec-Fetch-Site`
//! (W3C Fetch Metadata): one from another origin is refused too, but for the
//! console opened from a link.

use std::net::IpAddr;
use std::str::FromStr;

use hyper::header::{HOST, ORIGIN};
use hyper::http::uri::Authority;
use hyper::{HeaderMap, StatusCode, Uri};

use crate::problem::Problem;

/// An origin a browser reaches the endpoint under besides its own `Host`: the scheme, host
/// and port a reverse proxy serves it at (`https://switch.example`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicOrigin(Origin);

impl FromStr for PublicOrigin {
    type Err = String;

    /// A serialized origin (RFC 6454 §6.2): `http` or `https`, a host, a port if not the
    /// scheme's, and no path.
    fn from_str(text: &str) -> Result<Self, String> {
        let bare = text.strip_suffix('/').unwrap_or(text);
        match Origin::parse(bare) {
            Some(origin) if bare.parse::<Uri>().is_ok_and(|uri| uri.path() == "/") => {
                Ok(PublicOrigin(origin))
            }
            _ => Err(format!(
                "not an origin like https://switch.example or http://10.0.0.5:8090: {text:?}"
            )),
        }
    }
}

/// The parts of a serialized origin that tell two apart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    secure: bool,
    /// In lower case; an IPv6 address without its brackets.
    host: String,
    port: u16,
}

impl Origin {
    /// The origin `scheme://host[:port]` (RFC 6454 §6.2), the port its scheme's when it names
    /// none; none for `null` or a scheme with no default port.
    fn parse(origin: &str) -> Option<Origin> {
        let uri: Uri = origin.trim().parse().ok()?;
        let (secure, default) = match uri.scheme_str()? {
            "http" | "ws" => (false, 80),
            "https" | "wss" => (true, 443),
            _ => return None,
        };
        let (host, port) = host_and_port(uri.authority()?.as_str())?;
        Some(Origin {
            secure,
            host: host.to_ascii_lowercase(),
            port: port.unwrap_or(default),
        })
    }
}

/// Whether a request with `headers` and target `uri` is served by a server that listens on
/// `loopback` (or not) with HTTPS (`tls`) or plain HTTP, and is served under the `public`
/// origins besides; the error is the `403` or `421` to answer. A request that names no host
/// (no `Host`, no absolute target) and no origin is not a browser's, and is served. A request
/// without `Origin` that a browser says is another site's page's (see [`fetched_across`]) is
/// refused.
pub(crate) fn check(
    headers: &HeaderMap,
    uri: &Uri,
    loopback: bool,
    tls: bool,
    public: &[PublicOrigin],
) -> Result<(), Problem> {
    // RFC 9112 §3.2.2: an absolute-form target's authority takes the place of Host.
    let named = match uri.authority() {
        Some(authority) => Some(authority.as_str().to_owned()),
        None => headers
            .get(HOST)
            .map(|host| String::from_utf8_lossy(host.as_bytes()).into_owned())
            .filter(|host| !host.is_empty()),
    };
    let own = named.as_deref().and_then(host_and_port);
    // A name only its owner can point at us is no rebinding.
    let public_host = |host: &str| {
        public
            .iter()
            .any(|PublicOrigin(origin)| origin.host.eq_ignore_ascii_case(host))
    };
    if loopback
        && let Some(named) = &named
        && !own
            .as_ref()
            .is_some_and(|(host, _)| is_loopback(host) || public_host(host))
    {
        return Err(Problem::new(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this server listens on loopback and answers requests to localhost or a \
                 loopback address, not to {named}"
            ),
        ));
    }
    if !headers.contains_key(ORIGIN) && fetched_across(headers, uri) {
        return Err(cross_origin(
            "the browser says another site's page made it (Sec-Fetch-Site) and names no Origin"
                .into(),
        ));
    }
    let default_port = if tls { 443 } else { 80 };
    for origin in headers.get_all(ORIGIN) {
        let origin = String::from_utf8_lossy(origin.as_bytes());
        let parsed = Origin::parse(&origin);
        let same = match (&own, &parsed) {
            (Some((host, port)), Some(parsed)) => {
                host.eq_ignore_ascii_case(&parsed.host)
                    && port.unwrap_or(default_port) == parsed.port
            }
            _ => false,
        };
        let public = parsed.is_some_and(|parsed| public.iter().any(|p| p.0 == parsed));
        if !same && !public {
            return Err(cross_origin(format!(
                "Origin {origin} is not this server ({})",
                named.as_deref().unwrap_or("no Host")
            )));
        }
    }
    Ok(())
}

/// The `403` for a request from another origin's page, saying `why`.
fn cross_origin(why: String) -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        format!("cross-origin request refused: {why}"),
    )
}

const SEC_FETCH_SITE: &str = "sec-fetch-site";
const SEC_FETCH_MODE: &str = "sec-fetch-mode";
const SEC_FETCH_DEST: &str = "sec-fetch-dest";

/// Whether a browser says a request for `uri` comes from a page of another origin (a
/// `Sec-Fetch-Site` of `cross-site`, or `same-site`: another port or subdomain is another
/// origin all the same), other than the console opened in a window or tab from a link (a
/// top-level navigation to `/`, which holds no data). `none` (a URL typed, a bookmark),
/// `same-origin` and no `Sec-Fetch-Site` (a client that is no browser) are not.
fn fetched_across(headers: &HeaderMap, uri: &Uri) -> bool {
    let is = |name: &str, value: &str| headers.get(name).is_some_and(|v| v == value);
    let across = is(SEC_FETCH_SITE, "cross-site") || is(SEC_FETCH_SITE, "same-site");
    // A link opens the page where the other site cannot read it; in a frame it could be
    // dressed up to be clicked unseen.
    let console_link =
        uri.path() == "/" && is(SEC_FETCH_MODE, "navigate") && is(SEC_FETCH_DEST, "document");
    across && !console_link
}

/// The host (an IPv6 address without its brackets) and port, if any, of `authority`
/// (`host[:port]`, no user info).
fn host_and_port(authority: &str) -> Option<(String, Option<u16>)> {
    let parsed: Authority = authority.parse().ok()?;
    if authority.contains('@') {
        return None;
    }
    let host = parsed.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Some((host.to_owned(), parsed.port_u16()))
}

/// Whether `host` is a loopback address or a name no one else can point at one: `localhost`
/// and the names under it (RFC 6761 §6.3, which browsers resolve to loopback themselves),
/// each also fully qualified, with a trailing dot. Not `localhost.localdomain`: only some
/// hosts files name it, and elsewhere the DNS (or a network's DHCP names) answers it.
fn is_loopback(host: &str) -> bool {
    let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(HOST, HeaderValue::from_str(host).unwrap());
        }
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    fn status(host: Option<&str>, origin: Option<&str>, loopback: bool, tls: bool) -> u16 {
        let uri = Uri::from_static("/RPC2");
        match check(&headers(host, origin), &uri, loopback, tls, &[]) {
            Ok(()) => 200,
            Err(problem) => problem.status.as_u16(),
        }
    }

    /// The status of a request to a plain listener served under `public` origins.
    fn behind(public: &[&str], host: Option<&str>, origin: Option<&str>, loopback: bool) -> u16 {
        let public: Vec<PublicOrigin> = public.iter().map(|p| p.parse().unwrap()).collect();
        let uri = Uri::from_static("/RPC2");
        match check(&headers(host, origin), &uri, loopback, false, &public) {
            Ok(()) => 200,
            Err(problem) => problem.status.as_u16(),
        }
    }

    #[test]
    fn an_origin_must_be_the_requests_own_host_and_port() {
        let plain = |host, origin| status(Some(host), Some(origin), false, false);
        assert_eq!(
            plain("switch.example:8090", "http://switch.example:8090"),
            200
        );
        assert_eq!(plain("Switch.Example", "http://switch.example"), 200);
        assert_eq!(plain("switch.example:80", "ws://switch.example"), 200);
        assert_eq!(plain("switch.example", "http://switch.example:8090"), 403);
        assert_eq!(
            plain("switch.example:8090", "http://evil.example:8090"),
            403
        );
        assert_eq!(plain("switch.example:8090", "null"), 403);
        assert_eq!(plain("switch.example", "chrome-extension://abc"), 403);
        assert_eq!(plain("switch.example", "https://switch.example"), 403);
        assert_eq!(
            status(
                Some("switch.example"),
                Some("https://switch.example"),
                false,
                true
            ),
            200
        );
        assert_eq!(
            status(None, Some("http://switch.example"), false, false),
            403
        );
        assert_eq!(status(None, None, true, false), 200);
    }

    #[test]
    fn a_loopback_listener_answers_only_a_loopback_host() {
        let at = |host| status(Some(host), None, true, false);
        for host in [
            "localhost",
            "LOCALHOST:8090",
            "127.0.0.1:8090",
            "127.9.9.9",
            "[::1]:8090",
            "localhost.:8090",
            "console.localhost",
        ] {
            assert_eq!(at(host), 200, "{host}");
        }
        for host in [
            "evil.example:8090",
            "10.0.0.1",
            "user@127.0.0.1",
            "localhost.evil.example",
            "localhost.localdomain:8090",
            "localhost..",
            "localhost.example.",
        ] {
            assert_eq!(at(host), 421, "{host}");
        }
        assert_eq!(status(Some("evil.example"), None, false, false), 200);
        let absolute = Uri::from_static("http://evil.example/RPC2");
        let host = headers(Some("127.0.0.1"), None);
        assert_eq!(
            check(&host, &absolute, true, false, &[]).map_err(|p| p.status.as_u16()),
            Err(421)
        );
    }

    #[test]
    fn behind_a_proxy_its_public_origins_are_the_endpoints_own() {
        // TLS ended at the proxy, `Host` rewritten to the public name, a loopback listener.
        let public = ["https://switch.example"];
        let console = |host, origin| behind(&public, Some(host), Some(origin), true);
        assert_eq!(console("switch.example", "https://switch.example"), 200);
        assert_eq!(console("127.0.0.1:8090", "https://Switch.Example:443"), 200);
        assert_eq!(console("127.0.0.1:8090", "http://switch.example"), 403);
        assert_eq!(
            console("switch.example", "https://switch.example:8443"),
            403
        );
        assert_eq!(console("switch.example", "https://evil.example"), 403);
        // Its host is no rebinding; another name is.
        assert_eq!(behind(&public, Some("switch.example"), None, true), 200);
        assert_eq!(behind(&public, Some("evil.example"), None, true), 421);
        // Without it, the same requests are refused.
        assert_eq!(
            behind(
                &[],
                Some("switch.example"),
                Some("https://switch.example"),
                true
            ),
            421
        );
        assert_eq!(
            behind(&[], Some("127.0.0.1"), Some("https://switch.example"), true),
            403
        );
    }

    /// The status of a request for `path` to a loopback listener at 127.0.0.1:8090 with the
    /// `Sec-Fetch-*` headers `fetch` (site, mode, destination) and `origin`.
    fn fetched(path: &str, fetch: [Option<&str>; 3], origin: Option<&str>) -> u16 {
        let mut headers = headers(Some("127.0.0.1:8090"), origin);
        for (name, value) in [SEC_FETCH_SITE, SEC_FETCH_MODE, SEC_FETCH_DEST]
            .into_iter()
            .zip(fetch)
        {
            if let Some(value) = value {
                headers.insert(name, HeaderValue::from_str(value).unwrap());
            }
        }
        let uri: Uri = path.parse().unwrap();
        let public = ["https://switch.example".parse().unwrap()];
        match check(&headers, &uri, true, false, &public) {
            Ok(()) => 200,
            Err(problem) => problem.status.as_u16(),
        }
    }

    #[test]
    fn another_sites_page_cannot_load_what_the_endpoint_serves() {
        let recording = "/api/v1/recordings/a.wav";
        let audio = |site| fetched(recording, [site, Some("no-cors"), Some("audio")], None);
        // `<audio src>` on another site's page, or on another port of this one.
        assert_eq!(audio(Some("cross-site")), 403);
        assert_eq!(audio(Some("same-site")), 403);
        // The console's own, a URL typed or bookmarked, a client that is no browser.
        assert_eq!(audio(Some("same-origin")), 200);
        assert_eq!(audio(Some("none")), 200);
        assert_eq!(audio(None), 200);
        // A link to the console opens it; to anything else, or in a frame, it does not.
        let link = |path, dest| fetched(path, [Some("cross-site"), Some("navigate"), dest], None);
        assert_eq!(link("/", Some("document")), 200);
        assert_eq!(link("/?from=wiki", Some("document")), 200);
        assert_eq!(link(recording, Some("document")), 403);
        assert_eq!(link("/", Some("iframe")), 403);
        // With an Origin, the Origin decides: a public origin's page is the endpoint's own.
        let cors = |origin| {
            let fetch = [Some("cross-site"), Some("cors"), Some("empty")];
            fetched(recording, fetch, Some(origin))
        };
        assert_eq!(cors("https://switch.example"), 200);
        assert_eq!(cors("https://evil.example"), 403);
    }

    #[test]
    fn a_public_origin_is_a_scheme_a_host_and_a_port_only() {
        for good in [
            "https://switch.example",
            "http://10.0.0.5:8090",
            "https://[2001:db8::1]/",
        ] {
            assert!(good.parse::<PublicOrigin>().is_ok(), "{good}");
        }
        for bad in [
            "switch.example",
            "ftp://switch.example",
            "https://switch.example/console",
            "https://user@switch.example",
            "null",
            "",
        ] {
            let error = bad.parse::<PublicOrigin>().unwrap_err();
            assert!(error.starts_with("not an origin like"), "{bad}: {error}");
        }
    }
}
