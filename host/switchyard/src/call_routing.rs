//! Which guest takes an incoming call: `[[routing.rules]]`, tried in order,
//! each matching the Request-URI and header values by regular expression;
//! the first rule that matches names the guest, and a call no rule matches
//! goes to `routing.guest`.

use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::config::KeyPath;

/// The most rules `[routing]` may hold.
pub const MAX_RULES: usize = 1000;

/// Longer patterns are refused: each is compiled once, but a huge one could
/// still make matching slow.
const MAX_PATTERN_BYTES: usize = 1024;

/// One `[[routing.rules]]` entry as the config file gives it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    /// The guest the calls this rule matches go to.
    pub guest: String,
    /// A regular expression the whole Request-URI text must match somewhere
    /// in (anchor it with `^…$` to match all of it). Unset: any Request-URI.
    pub uri: Option<String>,
    /// Header names (any case) to the regular expression one of that header's
    /// values must match (an empty one: any value, so only that the header is
    /// there); a call without the header does not match.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// The routing rules, compiled.
#[derive(Debug)]
pub struct CallRoutes {
    rules: Vec<CompiledRule>,
    default: String,
}

#[derive(Debug)]
struct CompiledRule {
    guest: String,
    uri: Option<Regex>,
    /// Lower-cased header names and their patterns.
    headers: Vec<(String, Regex)>,
}

impl CallRoutes {
    /// Compiles `rules`, in order, with `default` for the calls none matches.
    /// An error gives the key (`routing.rules[2].uri`) and what is wrong.
    pub fn new(rules: &[RouteRule], default: &str) -> Result<CallRoutes, (KeyPath, String)> {
        if rules.len() > MAX_RULES {
            return Err((
                rules_key(),
                format!("at most {MAX_RULES} rules, not {}", rules.len()),
            ));
        }
        let compiled = rules
            .iter()
            .enumerate()
            .map(|(index, rule)| compile(index, rule))
            .collect::<Result<_, _>>()?;
        Ok(CallRoutes {
            rules: compiled,
            default: default.to_owned(),
        })
    }

    /// The guest of a call whose INVITE has `request_uri` and `headers`
    /// (name, value).
    pub fn guest_for(&self, request_uri: &str, headers: &[(String, String)]) -> &str {
        self.rules
            .iter()
            .find(|rule| rule.matches(request_uri, headers))
            .map_or(&self.default, |rule| &rule.guest)
    }

    /// The guest of the calls no rule matches, which also answers control
    /// functions called without an interface name.
    pub fn default_guest(&self) -> &str {
        &self.default
    }
}

impl CompiledRule {
    fn matches(&self, request_uri: &str, headers: &[(String, String)]) -> bool {
        self.uri
            .as_ref()
            .is_none_or(|uri| uri.is_match(request_uri))
            && self.headers.iter().all(|(name, pattern)| {
                headers
                    .iter()
                    .any(|(n, value)| n.eq_ignore_ascii_case(name) && pattern.is_match(value))
            })
    }
}

/// The key of `[[routing.rules]]`.
fn rules_key() -> KeyPath {
    KeyPath::from(["routing", "rules"])
}

fn compile(index: usize, rule: &RouteRule) -> Result<CompiledRule, (KeyPath, String)> {
    let key = rules_key().index(index);
    if rule.uri.is_none() && rule.headers.is_empty() {
        return Err((
            key,
            "a rule needs `uri` or `headers` (a rule matching every call is routing.guest)"
                .to_owned(),
        ));
    }
    let uri = rule
        .uri
        .as_deref()
        .map(|pattern| uri_pattern_of(&key.key("uri"), pattern))
        .transpose()?;
    let headers = rule
        .headers
        .iter()
        .map(|(name, pattern)| {
            let key = key.key("headers").key(name);
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err((key, format!("{name:?} is not a SIP header name")));
            }
            Ok((name.to_ascii_lowercase(), pattern_of(&key, pattern)?))
        })
        .collect::<Result<_, _>>()?;
    Ok(CompiledRule {
        guest: rule.guest.clone(),
        uri,
        headers,
    })
}

/// A rule's `uri` pattern, at `key`, compiled as [`pattern_of`] compiles it; empty, or only
/// whitespace, is an error too.
fn uri_pattern_of(key: &KeyPath, pattern: &str) -> Result<Regex, (KeyPath, String)> {
    // An empty pattern matches every Request-URI, so its rule would take every call its
    // headers allow and shadow the rules after it: what leaving `uri` out says plainly. One of
    // only whitespace matches none (a Request-URI holds no whitespace, RFC 3261 §25.1): an
    // empty one mistyped, not a rule anybody means.
    if pattern.trim().is_empty() {
        return Err((
            key.clone(),
            "must not be empty (leave `uri` out to match any Request-URI; a rule matching \
             every call is routing.guest)"
                .to_owned(),
        ));
    }
    pattern_of(key, pattern)
}

/// `pattern` compiled; too long or not a regular expression is an error naming `key`. An
/// empty one matches every text.
fn pattern_of(key: &KeyPath, pattern: &str) -> Result<Regex, (KeyPath, String)> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err((
            key.clone(),
            format!("a pattern is at most {MAX_PATTERN_BYTES} bytes"),
        ));
    }
    regex_of(key, pattern)
}

/// `pattern` compiled to match whole texts only, checked as [`pattern_of`] checks it (its
/// errors name places in the pattern as written); empty is an error too.
pub(crate) fn whole_pattern_of(key: &KeyPath, pattern: &str) -> Result<Regex, (KeyPath, String)> {
    // An empty pattern matches a whole text only when it is empty: nobody writes it for that.
    if pattern.is_empty() {
        return Err((key.clone(), "must not be empty".to_owned()));
    }
    pattern_of(key, pattern)?;
    regex_of(key, &format!("^(?:{pattern})$"))
}

fn regex_of(key: &KeyPath, pattern: &str) -> Result<Regex, (KeyPath, String)> {
    Regex::new(pattern).map_err(|e| (key.clone(), format!("not a regular expression: {e}")))
}

/// RFC 3261 §25.1 `token` characters, which header names are made of.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The guest `routes` picks for a call to `uri` with `headers`.
    fn routed<'a>(routes: &'a CallRoutes, uri: &str, headers: &[(&str, &str)]) -> &'a str {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        routes.guest_for(uri, &headers)
    }

    fn rule(guest: &str, uri: Option<&str>, headers: &[(&str, &str)]) -> RouteRule {
        RouteRule {
            guest: guest.to_owned(),
            uri: uri.map(str::to_owned),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn the_first_matching_rule_wins_and_the_rest_go_to_the_default() {
        let routes = CallRoutes::new(
            &[
                rule("ivr", Some("^sip:ivr@"), &[]),
                rule("acme", None, &[("X-Tenant", "^acme$")]),
                rule("both", Some("^sip:8"), &[("x-tenant", "^acme$")]),
            ],
            "conf",
        )
        .unwrap();
        assert_eq!(routed(&routes, "sip:ivr@example.com", &[]), "ivr");
        assert_eq!(
            routed(&routes, "sip:ivr@example.com", &[("X-Tenant", "acme")]),
            "ivr",
            "in order: the first rule matches first"
        );
        assert_eq!(
            routed(&routes, "sip:800@example.com", &[("x-TENANT", "acme")]),
            "acme",
            "header names match in any case"
        );
        assert_eq!(
            routed(&routes, "sip:800@example.com", &[("X-Tenant", "acme-west")]),
            "conf",
            "the value must match the pattern"
        );
        assert_eq!(routed(&routes, "sip:123@example.com", &[]), "conf");
        assert_eq!(routes.default_guest(), "conf");
    }

    #[test]
    fn one_of_several_values_of_a_header_may_match() {
        let routes =
            CallRoutes::new(&[rule("video", None, &[("Supported", "^timer$")])], "conf").unwrap();
        let two = [("Supported", "replaces"), ("Supported", "timer")];
        assert_eq!(routed(&routes, "sip:1@example.com", &two), "video");
    }

    #[test]
    fn bad_rules_are_refused_with_their_key() {
        let refused = |rules: &[RouteRule]| {
            let (key, message) = CallRoutes::new(rules, "conf").unwrap_err();
            (key.to_string(), message)
        };
        assert_eq!(
            refused(&[
                rule("a", Some("^x"), &[]),
                rule("b", Some("(unclosed"), &[])
            ])
            .0,
            "routing.rules[1].uri"
        );
        let (key, message) = refused(&[rule("a", None, &[])]);
        assert_eq!(key, "routing.rules[0]");
        assert!(message.contains("needs `uri` or `headers`"), "{message}");
        assert_eq!(
            refused(&[rule("a", None, &[("X Bad", "x")])]),
            (
                "routing.rules[0].headers.\"X Bad\"".to_owned(),
                "\"X Bad\" is not a SIP header name".to_owned()
            )
        );
        assert_eq!(
            refused(&[rule("a", None, &[("X-Ok", "[")])]).0,
            "routing.rules[0].headers.X-Ok"
        );
        let long = "a".repeat(MAX_PATTERN_BYTES + 1);
        assert_eq!(
            refused(&[rule("a", Some(&long), &[])]).1,
            "a pattern is at most 1024 bytes"
        );
        let many: Vec<_> = (0..=MAX_RULES).map(|_| rule("a", Some("x"), &[])).collect();
        assert_eq!(refused(&many).0, "routing.rules");
    }

    #[test]
    fn an_empty_uri_pattern_is_refused_rather_than_matching_every_call() {
        let (key, message) = CallRoutes::new(
            &[rule("a", Some(""), &[]), rule("b", Some("^sip:1"), &[])],
            "conf",
        )
        .unwrap_err();
        assert_eq!(key.to_string(), "routing.rules[0].uri");
        assert!(message.starts_with("must not be empty"), "{message}");
        assert!(message.contains("leave `uri` out"), "{message}");
    }

    #[test]
    fn a_uri_pattern_of_only_whitespace_is_refused_as_empty() {
        let (key, message) = CallRoutes::new(&[rule("a", Some(" \t"), &[])], "conf").unwrap_err();
        assert_eq!(key.to_string(), "routing.rules[0].uri");
        assert!(message.starts_with("must not be empty"), "{message}");
    }

    #[test]
    fn an_empty_header_pattern_routes_the_calls_carrying_that_header() {
        let routes = CallRoutes::new(
            &[rule("tenants", Some("^sip:"), &[("X-Tenant", "")])],
            "conf",
        )
        .unwrap();
        assert_eq!(
            routed(&routes, "sip:1@example.com", &[("x-tenant", "")]),
            "tenants",
            "an empty value is one the header carries"
        );
        assert_eq!(
            routed(&routes, "sip:1@example.com", &[("X-Tenant", "acme")]),
            "tenants"
        );
        assert_eq!(
            routed(&routes, "sip:1@example.com", &[("X-Other", "acme")]),
            "conf",
            "a call without the header goes on"
        );
        assert_eq!(routed(&routes, "sip:1@example.com", &[]), "conf");
    }

    #[test]
    fn a_header_name_with_a_dot_is_quoted_in_its_key() {
        let (key, message) =
            CallRoutes::new(&[rule("a", None, &[("X.Y", "(")])], "conf").unwrap_err();
        assert_eq!(key.to_string(), "routing.rules[0].headers.\"X.Y\"");
        assert!(message.starts_with("not a regular expression"), "{message}");
    }
}
