//! Requests another site's web page makes. A browser names the page's origin
//! in `Origin` on every cross-origin request, every `POST` and every
//! WebSocket handshake (RFC 6454 §7, RFC 6455 §10.2): one that is not this
//! server is refused. A page whose own host name its attacker re-points at
//! 127.0.0.1 (DNS rebinding) reaches a loopback listener same-origin, but
//! under that name in `Host`: a loopback listener answers only a loopback
//! `Host`.

use std::net::IpAddr;

use hyper::header::{HOST, ORIGIN};
use hyper::http::uri::Authority;
use hyper::{HeaderMap, StatusCode, Uri};

use crate::problem::Problem;

/// Whether a request with `headers` and target `uri` is served by a server that listens on
/// `loopback` (or not) with HTTPS (`tls`) or plain HTTP; the error is the `403` or `421` to
/// answer. A request that names no host (no `Host`, no absolute target) and no origin is not
/// a browser's, and is served.
pub(crate) fn check(
    headers: &HeaderMap,
    uri: &Uri,
    loopback: bool,
    tls: bool,
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
    if loopback
        && let Some(named) = &named
        && !own.as_ref().is_some_and(|(host, _)| is_loopback(host))
    {
        return Err(Problem::new(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this server listens on loopback and answers requests to localhost or a \
                 loopback address, not to {named}"
            ),
        ));
    }
    let default_port = if tls { 443 } else { 80 };
    for origin in headers.get_all(ORIGIN) {
        let origin = String::from_utf8_lossy(origin.as_bytes());
        let same = match (&own, origin_host_and_port(&origin)) {
            (Some((host, port)), Some((origin_host, origin_port))) => {
                host.eq_ignore_ascii_case(&origin_host)
                    && port.unwrap_or(default_port) == origin_port
            }
            _ => false,
        };
        if !same {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                format!(
                    "cross-origin request refused: Origin {origin} is not this server ({})",
                    named.as_deref().unwrap_or("no Host")
                ),
            ));
        }
    }
    Ok(())
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

/// The host and port of a serialized origin (`scheme://host[:port]`, RFC 6454 §6.2), the
/// port its scheme's when it names none; none for `null` or a scheme with no default port.
fn origin_host_and_port(origin: &str) -> Option<(String, u16)> {
    let uri: Uri = origin.trim().parse().ok()?;
    let default = match uri.scheme_str()? {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        _ => return None,
    };
    let (host, port) = host_and_port(uri.authority()?.as_str())?;
    Some((host, port.unwrap_or(default)))
}

/// Whether `host` is `localhost` or a loopback address.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
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
        match check(&headers(host, origin), &uri, loopback, tls) {
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
        ] {
            assert_eq!(at(host), 200, "{host}");
        }
        for host in [
            "evil.example:8090",
            "10.0.0.1",
            "user@127.0.0.1",
            "localhost.evil.example",
        ] {
            assert_eq!(at(host), 421, "{host}");
        }
        assert_eq!(status(Some("evil.example"), None, false, false), 200);
        let absolute = Uri::from_static("http://evil.example/RPC2");
        let host = headers(Some("127.0.0.1"), None);
        assert_eq!(
            check(&host, &absolute, true, false).map_err(|p| p.status.as_u16()),
            Err(421)
        );
    }
}
