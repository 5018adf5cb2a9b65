//! The first line of a message (RFC 3261 §7.1, §7.2), read strictly here: rsip has no value
//! for an extension method and refuses an empty reason phrase (RFC 4475 §3.1.1.2, §3.1.1.13).

use crate::syntax;

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartLine {
    /// A Request-Line, or a line that starts like one.
    Request(RequestLine),
    /// A SIP/2.0 Status-Line with its status code.
    Status(u16),
}

/// A line that starts with a method token and a space and ends with a SIP-Version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestLine {
    /// The method token, as sent.
    pub(crate) method: Box<str>,
    /// The Request-URI and the SIP-Version (`SIP/` major `.` minor), or `None` when the line
    /// is not `Method SP Request-URI SP SIP-Version` with exactly one space each
    /// (RFC 4475 §3.1.2.8-10).
    pub(crate) target: Option<(Box<str>, Box<str>)>,
}

/// `line` (without its line end) as a start line; `None` if it is neither: no SIP message.
pub(crate) fn parse(line: &str) -> Option<StartLine> {
    if let Some(status) = line.strip_prefix("SIP/2.0 ") {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; the phrase may be empty
        // (RFC 4475 §3.1.1.13).
        let (code, _reason) = status.split_once(' ')?;
        let three_digits = code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit());
        let code = code
            .parse::<u16>()
            .ok()
            .filter(|c| three_digits && (100..=699).contains(c))?;
        return Some(StartLine::Status(code));
    }
    let (method, rest) = line.split_once(' ')?;
    let version = rest.trim_end_matches([' ', '\t']).rsplit(' ').next()?;
    if !syntax::is_token(method) || !is_sip_version(version) {
        return None;
    }
    let target = rest
        .split_once(' ')
        .filter(|(uri, version)| !uri.is_empty() && !uri.contains(' ') && is_sip_version(version))
        .map(|(uri, version)| (uri.into(), version.into()));
    Some(StartLine::Request(RequestLine {
        method: method.into(),
        target,
    }))
}

/// Whether `text` is a SIP-Version: `SIP/` 1*DIGIT `.` 1*DIGIT.
fn is_sip_version(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    text.get(..4)
        .is_some_and(|sip| sip.eq_ignore_ascii_case("SIP/"))
        && text[4..]
            .split_once('.')
            .is_some_and(|(major, minor)| digits(major) && digits(minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, target: Option<(&str, &str)>) -> Option<StartLine> {
        Some(StartLine::Request(RequestLine {
            method: method.into(),
            target: target.map(|(uri, version)| (uri.into(), version.into())),
        }))
    }

    #[test]
    fn request_lines() {
        assert_eq!(
            parse("OPTIONS sip:a@b SIP/2.0"),
            request("OPTIONS", Some(("sip:a@b", "SIP/2.0")))
        );
        assert_eq!(
            parse("FROBNICATE <sip:a@b> SIP/7.0"),
            request("FROBNICATE", Some(("<sip:a@b>", "SIP/7.0"))),
            "the URI and version are judged later"
        );
        for malformed in [
            "INVITE  sip:a@b  SIP/2.0",
            "INVITE sip:a@b; lr SIP/2.0",
            "OPTIONS sip:a@b SIP/2.0  ",
            "INVITE SIP/2.0",
        ] {
            assert_eq!(
                parse(malformed),
                request(malformed.split(' ').next().unwrap(), None),
                "{malformed:?}"
            );
        }
    }

    #[test]
    fn status_lines() {
        assert_eq!(parse("SIP/2.0 200 OK"), Some(StartLine::Status(200)));
        assert_eq!(parse("SIP/2.0 100 "), Some(StartLine::Status(100)));
        assert_eq!(
            parse("SIP/2.0 200 = 2**3 * 5**2 но сто"),
            Some(StartLine::Status(200))
        );
        for line in [
            "SIP/2.0 4294967301 better not break the receiver",
            "SIP/2.0 099 x",
            "SIP/2.0 700 x",
            "SIP/2.0 +20 x",
            "SIP/2.0 0200 x",
            "SIP/2.0 200",
        ] {
            assert_eq!(parse(line), None, "{line:?}");
        }
    }

    #[test]
    fn other_lines_are_no_sip() {
        for line in [
            "hello world",
            "\x16\x03\x01 this is not SIP",
            "",
            "INVITE sip:a@b HTTP/1.1",
            "GET / HTTP/1.1",
        ] {
            assert_eq!(parse(line), None, "{line:?}");
        }
    }
}
