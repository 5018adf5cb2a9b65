//! `dialout`: the call it places, the policy that may refuse it, and how the
//! placed call finds its room again.

use crate::{fields, limits};
use regex_lite::Regex;
use switchyard_sdk::types::{Error, ParticipantStatus};

/// The most extra header lines one dial-out may carry (the host's limit).
pub const MAX_HEADERS: usize = 32;

/// The reason of a dial-out refused by `dialout_allow`.
pub const NOT_ALLOWED: &str = "callee not allowed";
/// The reason a dial-out is listed with when it is placed, as SEMS lists it.
pub const PLACING_REASON: &str = "INVITE";
/// The reason of a dial-out refused by `max_dialouts_per_room`.
pub const TOO_MANY: &str = "too many dial-outs in progress in this room";

/// The SIP addressing of one dial-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Request-URI: `sip:callee@callee_domain`.
    pub uri: String,
    /// From: `<sip:from_user@domain>`.
    pub from: String,
    /// To: `<sip:callee@callee_domain>`.
    pub to: String,
    /// The extra header lines, as (name, value).
    pub headers: Vec<(String, String)>,
}

/// The addressing of `dialout(…, callee, from_user, domain, …, headers,
/// callee_domain)`. An empty `callee_domain` (also when not given) is
/// `domain`; `headers` is header lines separated by `|`. Errors name a header
/// line that is not `Name: value`, too many of them, or a Request-URI, From or
/// To longer than the host places (and lists) a call with.
pub fn target(
    callee: &str,
    from_user: &str,
    domain: &str,
    callee_domain: &str,
    headers: &str,
) -> Result<Target, String> {
    let callee_domain = if callee_domain.is_empty() {
        domain
    } else {
        callee_domain
    };
    let uri = format!("sip:{callee}@{callee_domain}");
    let target = Target {
        from: format!("<sip:{from_user}@{domain}>"),
        to: format!("<{uri}>"),
        uri,
        headers: header_lines(headers)?,
    };
    for (what, text) in [
        ("Request-URI", &target.uri),
        ("From", &target.from),
        ("To", &target.to),
    ] {
        if text.len() > limits::MAX_NUMBER_BYTES {
            return Err(format!(
                "{what} too long ({} bytes, at most {})",
                text.len(),
                limits::MAX_NUMBER_BYTES
            ));
        }
    }
    Ok(target)
}

/// The header lines of a `|`-separated list (a line break separates them
/// too); empty entries are skipped, and one beginning with a space or tab
/// continues the line before it. Errors name a line that is not
/// `Name: value`, or too many of them.
pub fn header_lines(text: &str) -> Result<Vec<(String, String)>, String> {
    let lines = unfolded_lines(text);
    if lines.len() > MAX_HEADERS {
        return Err(format!(
            "too many headers ({}, at most {MAX_HEADERS})",
            lines.len()
        ));
    }
    lines.iter().map(|line| header_line(line)).collect()
}

/// The trimmed, non-empty lines of `text` split at `|`, CR and LF, a line
/// beginning with a space or tab joined to the one before by a single space.
// RFC 3261 §7.3.1: such a line is a continuation, the same as that space.
// SEMS turns each `|` into a line break and sends the lines as they are, so
// its peers read them so; unfolding here also keeps a continuation from
// being taken for a header of its own.
fn unfolded_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for piece in text.split(['|', '\r', '\n']) {
        let content = piece.trim();
        if content.is_empty() {
            continue;
        }
        match lines.last_mut() {
            Some(line) if piece.starts_with([' ', '\t']) => {
                line.push(' ');
                line.push_str(content);
            }
            _ => lines.push(content.to_owned()),
        }
    }
    lines
}

/// The (name, value) of a line `Name: value`, sent as such; the error quotes
/// the line ([`limits::quoted`]) if its name is not a token.
// HCOLON (RFC 3261 §25.1) allows spaces and tabs before the colon.
fn header_line(line: &str) -> Result<(String, String), String> {
    line.split_once(':')
        .map(|(name, value)| (name.trim_end_matches([' ', '\t']), value.trim()))
        .filter(|(name, _)| is_token(name))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("bad header line {}", limits::quoted(line)))
}

/// A SIP header name: a non-empty RFC 3261 token.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c))
}

/// Which callees `dialout` may call (config `dialout_allow`).
#[derive(Debug, Clone)]
pub enum Allow {
    /// No pattern configured: any callee.
    All,
    /// Request-URIs matching the pattern.
    Matching(Regex),
    /// The configured pattern is not a valid regex: nobody, rather than anybody.
    Nothing,
}

impl Allow {
    /// The policy a `dialout_allow` value gives, and the regex error if it
    /// does not compile.
    pub fn from_config(value: Option<&str>) -> (Allow, Option<regex_lite::Error>) {
        match value.filter(|v| !v.is_empty()) {
            None => (Allow::All, None),
            // Matched whole, as an allowlist must be: `sip:[0-9]{4}@pbx` must not let
            // `sip:1234@pbx.attacker.example` through.
            Some(pattern) => {
                match Regex::new(pattern).and_then(|_| Regex::new(&format!("^(?:{pattern})$"))) {
                    Ok(re) => (Allow::Matching(re), None),
                    Err(e) => (Allow::Nothing, Some(e)),
                }
            }
        }
    }

    /// Whether the Request-URI `uri` (`sip:callee@domain`) may be called: it matches the
    /// pattern whole.
    pub fn permits(&self, uri: &str) -> bool {
        match self {
            Allow::All => true,
            Allow::Matching(re) => re.is_match(uri),
            Allow::Nothing => false,
        }
    }
}

/// Decides a dial-out to `uri` with `in_progress` dial-outs of its room not
/// yet answered, of which `max_per_room` are allowed (0: no limit, as every
/// count of this guest): `Err` is the reason SEMS clients see.
pub fn check(
    allow: &Allow,
    uri: &str,
    in_progress: usize,
    max_per_room: usize,
) -> Result<(), &'static str> {
    if !allow.permits(uri) {
        return Err(NOT_ALLOWED);
    }
    if max_per_room > 0 && in_progress >= max_per_room {
        return Err(TOO_MANY);
    }
    Ok(())
}

/// The reason of a dial-out the host refused to place (`dialout.allow`,
/// `dialout.max_per_second`, a locked room, a Request-URI without a host,
/// credentials too long, shutting down…): `failed: ` and the host's text, on
/// one line, a control character in it (a line break in a room name it
/// quotes) written as a space, cut after [`MAX_REFUSAL_BYTES`] with `…`: the
/// host quotes what it refuses, a Request-URI, From or To of at most
/// [`limits::MAX_NUMBER_BYTES`], but also a header name as long as the
/// client sent it.
pub fn host_refusal(error: &Error) -> String {
    let text = match error {
        Error::NoSuchCall => "no such call",
        Error::NoSuchRoom => "no such room",
        Error::WrongState(text) | Error::InvalidArgument(text) | Error::Failed(text) => text,
    };
    let kept = limits::cut(text, MAX_REFUSAL_BYTES);
    let line: String = kept
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cut = if kept.len() < text.len() { "…" } else { "" };
    format!("failed: {line}{cut}")
}

/// The most of the host's text a refused dial-out's reason quotes: room for a
/// quoted URI of [`limits::MAX_NUMBER_BYTES`] and the words around it.
const MAX_REFUSAL_BYTES: usize = 2 * limits::MAX_NUMBER_BYTES;

/// Whether a participant listed in `status` with `reason` is a dial-out still
/// being placed, which counts against `max_dialouts_per_room`: Ringing, or
/// Connecting as listed by `dialout` ([`PLACING_REASON`]) or by the host on a
/// provisional response ("181 Call Is Being Forwarded"). A caller is
/// Connecting with its entry's reason ("entered") until its ACK, and never
/// rings: it does not count.
pub fn is_being_placed(status: ParticipantStatus, reason: &str) -> bool {
    match status {
        ParticipantStatus::Ringing => true,
        ParticipantStatus::Connecting => reason == PLACING_REASON || is_sip_status(reason),
        _ => false,
    }
}

/// Whether `reason` is a SIP status line's code and phrase ("181 Queued").
fn is_sip_status(reason: &str) -> bool {
    let bytes = reason.as_bytes();
    bytes.len() >= 3
        && bytes[..3].iter().all(u8::is_ascii_digit)
        && bytes.get(3).is_none_or(|&b| b == b' ')
}

/// What a placed call needs to join its room: given to the host as the dial
/// request's context and back with the call's `dialed` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The room to join.
    pub room: String,
    /// The number to list the participant with (the URI called, as SEMS lists it).
    pub number: String,
    /// The participant id given to `dialout` ("" if none).
    pub participant_id: String,
}

impl Context {
    /// The context string.
    pub fn encode(&self) -> String {
        fields::join(&[&self.room, &self.number, &self.participant_id])
    }

    /// The context a string made by [`Context::encode`] holds; `None` if it
    /// is not one (a call this guest did not place as a dial-out).
    pub fn decode(text: &str) -> Option<Context> {
        let [room, number, participant_id]: [String; 3] = fields::split(text).try_into().ok()?;
        Some(Context {
            room,
            number,
            participant_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_sems_does() {
        let t = target("200", "conf", "example.com", "", "").unwrap();
        assert_eq!(t.uri, "sip:200@example.com");
        assert_eq!(t.from, "<sip:conf@example.com>");
        assert_eq!(t.to, "<sip:200@example.com>");
        assert!(t.headers.is_empty());
    }

    #[test]
    fn the_callee_domain_overrides_the_domain_unless_empty() {
        let t = target("200", "conf", "a.example", "b.example:5070", "").unwrap();
        assert_eq!(t.uri, "sip:200@b.example:5070");
        assert_eq!(t.from, "<sip:conf@a.example>");
        let t = target("200", "conf", "a.example", "", "").unwrap();
        assert_eq!(t.uri, "sip:200@a.example");
    }

    #[test]
    fn addresses_longer_than_the_host_places_are_refused() {
        let long = "1".repeat(limits::MAX_NUMBER_BYTES);
        assert_eq!(
            target(&long, "conf", "example.com", "", "").unwrap_err(),
            format!(
                "Request-URI too long ({} bytes, at most {})",
                long.len() + "sip:@example.com".len(),
                limits::MAX_NUMBER_BYTES
            )
        );
        assert!(
            target("200", &long, "example.com", "", "")
                .unwrap_err()
                .starts_with("From too long")
        );
        // The To is the Request-URI in angle brackets: two bytes more.
        let callee = "1".repeat(limits::MAX_NUMBER_BYTES - "sip:@x".len());
        assert!(
            target(&callee, "conf", "x", "", "")
                .unwrap_err()
                .starts_with("To too long")
        );
    }

    #[test]
    fn a_long_bad_header_line_is_quoted_cut_after_64_characters() {
        let exact = "é".repeat(limits::MAX_QUOTED_CHARS);
        assert_eq!(
            header_lines(&exact).unwrap_err(),
            format!("bad header line \"{exact}\"")
        );
        let long = format!("{exact}{}", "x".repeat(700 * 1024));
        assert_eq!(
            header_lines(&long).unwrap_err(),
            format!("bad header line \"{exact}\"…")
        );
    }

    #[test]
    fn headers_are_separated_by_bars() {
        assert_eq!(
            header_lines("X-A: 1|X-B:two words ||").unwrap(),
            vec![
                ("X-A".to_owned(), "1".to_owned()),
                ("X-B".to_owned(), "two words".to_owned())
            ]
        );
    }

    #[test]
    fn bad_header_lines_are_refused() {
        assert_eq!(
            header_lines("X-A: 1|no colon").unwrap_err(),
            "bad header line \"no colon\""
        );
        assert!(header_lines(": empty name").is_err());
        assert!(header_lines(" : empty name after a space").is_err());
        assert!(header_lines("Bad Name: x").is_err());
        // A line break cannot smuggle a header in: it separates lines too.
        assert!(header_lines("X-A: 1\r\nInjected").is_err());
        assert_eq!(
            header_lines("X-A: 1|tab\there").unwrap_err(),
            "bad header line \"tab\\there\""
        );
        let many = vec!["X-A: 1"; MAX_HEADERS + 1].join("|");
        assert!(header_lines(&many).is_err());
    }

    #[test]
    fn spaces_and_tabs_before_the_colon_are_not_part_of_the_name() {
        assert_eq!(
            header_lines("X-Foo : bar|X-Tab\t:\tbaz").unwrap(),
            vec![
                ("X-Foo".to_owned(), "bar".to_owned()),
                ("X-Tab".to_owned(), "baz".to_owned())
            ]
        );
    }

    #[test]
    fn a_line_beginning_with_a_space_or_tab_continues_the_one_before() {
        assert_eq!(
            header_lines("X-A: one\r\n two\r\n\tX-Not-A-Header: three|X-B: 2").unwrap(),
            vec![
                ("X-A".to_owned(), "one two X-Not-A-Header: three".to_owned()),
                ("X-B".to_owned(), "2".to_owned())
            ]
        );
        // SEMS sends `|` as a line break: a space after it is a continuation too.
        assert_eq!(
            header_lines("X-A: one| two").unwrap(),
            vec![("X-A".to_owned(), "one two".to_owned())]
        );
        // Nothing before it to continue: a line of its own.
        assert_eq!(
            header_lines(" X-A: 1").unwrap(),
            vec![("X-A".to_owned(), "1".to_owned())]
        );
    }

    #[test]
    fn continuations_do_not_count_as_headers() {
        let long = format!("X-A: 0{}", "| more".repeat(MAX_HEADERS));
        assert_eq!(header_lines(&long).unwrap().len(), 1);
    }

    #[test]
    fn the_allowlist_matches_the_request_uri() {
        let (allow, error) = Allow::from_config(Some(r"sip:1\d\d@example\.com"));
        assert!(error.is_none());
        assert!(allow.permits("sip:100@example.com"));
        assert!(!allow.permits("sip:900@example.com"));
        // Whole: no longer URI whose start or part matches.
        assert!(!allow.permits("sip:100@example.com.attacker.example"));
        assert!(!allow.permits("sip:9sip:100@example.com"));
        let (allow, _) = Allow::from_config(Some(""));
        assert!(allow.permits("sip:900@example.com"));
        let (allow, _) = Allow::from_config(None);
        assert!(allow.permits("sip:900@example.com"));
    }

    #[test]
    fn an_invalid_allowlist_allows_nothing() {
        let (allow, error) = Allow::from_config(Some("("));
        assert!(error.is_some());
        assert!(!allow.permits("sip:100@example.com"));
    }

    #[test]
    fn refusals_have_their_reasons() {
        let all = Allow::All;
        assert_eq!(check(&all, "sip:1@x", 9, 10), Ok(()));
        assert_eq!(check(&all, "sip:1@x", 10, 10), Err(TOO_MANY));
        assert_eq!(check(&Allow::Nothing, "sip:1@x", 0, 10), Err(NOT_ALLOWED));
    }

    #[test]
    fn a_host_refusal_names_its_cause_on_one_line() {
        let rate = "more than dialout.max_per_second (1) calls placed this second";
        assert_eq!(
            host_refusal(&Error::WrongState(rate.to_owned())),
            format!("failed: {rate}")
        );
        let no_host = "dial URI \"sip:100@\" has no host";
        assert_eq!(
            host_refusal(&Error::InvalidArgument(no_host.to_owned())),
            format!("failed: {no_host}")
        );
        assert_eq!(
            host_refusal(&Error::WrongState("room a\r\nb is locked".to_owned())),
            "failed: room a  b is locked"
        );
        assert_eq!(host_refusal(&Error::NoSuchRoom), "failed: no such room");
    }

    #[test]
    fn a_host_refusal_quoting_a_huge_header_name_is_cut() {
        let name = "X".repeat(1_000_000);
        let text = format!("header {name:?} cannot be added: a control character");
        let reason = host_refusal(&Error::InvalidArgument(text));
        assert_eq!(
            reason.len(),
            "failed: ".len() + MAX_REFUSAL_BYTES + "…".len()
        );
        assert!(reason.starts_with("failed: header \"XXX") && reason.ends_with("X…"));
    }

    #[test]
    fn no_limit_on_dial_outs_at_zero() {
        assert_eq!(check(&Allow::All, "sip:1@x", 0, 0), Ok(()));
        assert_eq!(check(&Allow::All, "sip:1@x", 1000, 0), Ok(()));
        assert_eq!(check(&Allow::Nothing, "sip:1@x", 0, 0), Err(NOT_ALLOWED));
    }

    #[test]
    fn only_dial_outs_not_yet_answered_or_ended_are_being_placed() {
        use ParticipantStatus::*;
        let placing: Vec<ParticipantStatus> = [
            Disconnected,
            Connecting,
            Ringing,
            Connected,
            Disconnecting,
            Finished,
        ]
        .into_iter()
        .filter(|&s| is_being_placed(s, PLACING_REASON))
        .collect();
        assert_eq!(placing, [Connecting, Ringing]);
        assert!(is_being_placed(Connecting, "181 Call Is Being Forwarded"));
        assert!(is_being_placed(Ringing, "183 Session Progress"));
    }

    #[test]
    fn callers_not_yet_acknowledged_are_not_being_placed() {
        for reason in ["entered", "direct access: entered", "", "12", "1234 x"] {
            assert!(
                !is_being_placed(ParticipantStatus::Connecting, reason),
                "{reason:?}"
            );
        }
    }

    #[test]
    fn the_context_round_trips() {
        let context = Context {
            room: "12\t3".into(),
            number: "200".into(),
            participant_id: String::new(),
        };
        assert_eq!(Context::decode(&context.encode()), Some(context));
        assert_eq!(Context::decode("just a string"), None);
    }
}
