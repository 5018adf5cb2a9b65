//! How a dial-in participant is listed: as SEMS lists it, by the caller's From
//! header without its parameters: the display name as written (quotes kept),
//! a space, and the URI in angle brackets (`"Alice" <sip:alice@192.0.2.7>`),
//! or only `<uri>` when there is no display name.

/// The participant's listing from the raw From header value `from` (`None`
/// when the INVITE had none readable) and the From URI `from_uri` the host
/// parsed, used when `from` is an addr-spec (RFC 3261 §20.10: no angle
/// brackets, so its parameters are the header's).
pub fn listing(from: Option<&str>, from_uri: &str) -> String {
    let (name, uri) = from.and_then(name_addr).unwrap_or(("", from_uri));
    if name.is_empty() {
        format!("<{uri}>")
    } else {
        format!("{name} <{uri}>")
    }
}

/// A name-addr's display name (trimmed, quotes kept) and the URI between its
/// angle brackets; `None` for an addr-spec or an unclosed `<`. A `<` inside
/// a quoted display name (RFC 3261 §25.1 quoted-string, with `\` escapes) is
/// part of the name.
fn name_addr(value: &str) -> Option<(&str, &str)> {
    let (mut quoted, mut escaped) = (false, false);
    for (at, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => {
                let rest = &value[at + 1..];
                let uri = &rest[..rest.find('>')?];
                return Some((value[..at].trim(), uri));
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_display_name_is_kept_as_written() {
        assert_eq!(
            listing(
                Some("\"Alice A.\" <sip:alice@192.0.2.7:5070>;tag=1928301774"),
                "sip:alice@192.0.2.7:5070"
            ),
            "\"Alice A.\" <sip:alice@192.0.2.7:5070>"
        );
    }

    #[test]
    fn a_token_display_name_stays_unquoted() {
        assert_eq!(
            listing(
                Some("alice <sip:alice@127.0.0.1>;tag=x"),
                "sip:alice@127.0.0.1"
            ),
            "alice <sip:alice@127.0.0.1>"
        );
    }

    #[test]
    fn without_a_display_name_only_the_uri_is_listed() {
        assert_eq!(
            listing(Some("<sip:100@example.com>;tag=x"), "sip:100@example.com"),
            "<sip:100@example.com>"
        );
        assert_eq!(
            listing(Some("sip:100@example.com;tag=x"), "sip:100@example.com"),
            "<sip:100@example.com>",
            "an addr-spec's parameters are the header's"
        );
        assert_eq!(
            listing(None, "sip:100@example.com"),
            "<sip:100@example.com>"
        );
    }

    #[test]
    fn an_angle_bracket_inside_quotes_belongs_to_the_name() {
        assert_eq!(
            listing(
                Some("\"a<b \\\" c\" <sip:x@example.com>;tag=1"),
                "sip:x@example.com"
            ),
            "\"a<b \\\" c\" <sip:x@example.com>"
        );
    }

    #[test]
    fn an_unclosed_bracket_falls_back_to_the_parsed_uri() {
        assert_eq!(
            listing(Some("Bob <sip:bob@example.com"), "sip:bob@example.com"),
            "<sip:bob@example.com>"
        );
    }
}
