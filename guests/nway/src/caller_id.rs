//! Callers' numbers: as a room lists them, and in the From of the calls
//! this guest places, so that a callee sees who calls, not the server.

use crate::settings::Settings;

/// The longest user part, in bytes, put in a From header; a longer one is
/// cut before the character or escape that would pass it.
const MAX_NUMBER_BYTES: usize = 64;

/// The From header of a call placed on behalf of `user` (a From or
/// Request-URI user as the host hands it, still escaped) known at `uri`:
/// `<sip:user@host>`, the host (and port) being `uri`'s. The user keeps what
/// a SIP URI's user part holds as it is (RFC 3261 §25.1: escapes included),
/// loses its parameters (from the first `;`), has any other character
/// escaped, and is cut to 64 bytes. "" (the host's own identity) when no
/// user is left or `uri` is no `sip:` or `sips:` URI.
pub fn from_header(user: &str, uri: &str) -> String {
    let user = user_part(user);
    match host_of(uri) {
        Some(host) if !user.is_empty() && !host.is_empty() => format!("<sip:{user}@{host}>"),
        _ => String::new(),
    }
}

/// The From header of a call placed on behalf of `number`, a number this
/// guest calls (a callee or an invitee), text (a user decoded, or keys
/// typed): [`from_header`] of it as a URI's user ([`uri_user`]: a `%` or `;`
/// in it is escaped, not taken as an escape or parameters), at the host it is
/// called at; "" when it has no route.
pub fn of_number(settings: &Settings, number: &str) -> String {
    settings
        .uri_of(number)
        .map(|uri| from_header(&uri_user(number), &uri))
        .unwrap_or_default()
}

/// The longest number, in bytes, a room lists for a participant (the host's
/// limit).
const MAX_LISTED_BYTES: usize = 2048;

/// A caller's number (its From user) as this guest keeps it: cut to what a
/// room lists, at a character boundary.
pub fn number(from_user: &str) -> String {
    from_user[..from_user.floor_char_boundary(MAX_LISTED_BYTES)].to_owned()
}

/// `user` as a From's user part: without its parameters, since they
/// describe the caller's own leg in its network (`;isup-oli=62`, `;npdi`) and
/// the call placed is a new one; every character RFC 3261 §25.1's `user`
/// does not hold as it is `%`-escaped, a valid `%XX` escape kept whole; cut
/// before the character or escape that would pass [`MAX_NUMBER_BYTES`].
fn user_part(user: &str) -> String {
    let number = user.split(';').next().unwrap_or_default();
    let mut escaped = String::new();
    let mut chars = number.chars();
    while let Some(c) = chars.next() {
        let token = match c {
            '%' => {
                let hex: String = chars.clone().take(2).collect();
                if hex.len() == 2 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    chars.nth(1);
                    format!("%{hex}")
                } else {
                    "%25".to_owned()
                }
            }
            c => as_user(c),
        };
        if escaped.len() + token.len() > MAX_NUMBER_BYTES {
            break;
        }
        escaped.push_str(&token);
    }
    escaped
}

/// `number`, text (a user decoded, or typed), as a SIP URI's user part: every
/// character RFC 3261 §25.1's `user` does not hold as it is `%`-escaped,
/// `%` and `;` included.
pub fn uri_user(number: &str) -> String {
    number.chars().map(as_user).collect()
}

/// `c` as a user part holds it: as it is, or `%`-escaped (its UTF-8 bytes).
fn as_user(c: char) -> String {
    if c.is_ascii() && held_as_is(c as u8) {
        c.to_string()
    } else {
        c.to_string().bytes().map(|b| format!("%{b:02X}")).collect()
    }
}

/// Whether `byte` is one a user part holds unescaped (RFC 3261 §25.1:
/// `unreserved` and `user-unreserved`), `;` aside: it begins the user's
/// parameters, which [`user_part`] leaves out.
fn held_as_is(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,?/".contains(&byte)
}

/// The host (and port) of a `sip:` or `sips:` URI: what follows the user
/// part, up to its parameters or headers; `None` for another scheme.
fn host_of(uri: &str) -> Option<&str> {
    let (scheme, rest) = uri.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("sip") && !scheme.eq_ignore_ascii_case("sips") {
        return None;
    }
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split([';', '?', '>']).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_from_is_the_number_at_the_host_of_the_uri_given() {
        assert_eq!(
            from_header("100", "sip:102@pbx.example.com;transport=tcp"),
            "<sip:100@pbx.example.com>"
        );
        assert_eq!(
            from_header("+4930", "sips:192.0.2.9:5061"),
            "<sip:+4930@192.0.2.9:5061>"
        );
        assert_eq!(
            from_header("100", "sip:100:secret@[2001:db8::1]:5070"),
            "<sip:100@[2001:db8::1]:5070>"
        );
        assert_eq!(from_header("", "sip:102@pbx.example.com"), "");
        assert_eq!(from_header("100", "tel:+4930123"), "", "no host to name");
    }

    #[test]
    fn a_user_escaped_already_is_not_escaped_again() {
        assert_eq!(from_header("%2B4930", "sip:h"), "<sip:%2B4930@h>");
        assert_eq!(from_header("*67%23", "sip:h"), "<sip:*67%23@h>");
        assert_eq!(from_header("a?b/c", "sip:h"), "<sip:a?b/c@h>");
    }

    #[test]
    fn what_a_user_part_cannot_hold_is_escaped() {
        assert_eq!(
            from_header("a b>@é", "sip:x@h"),
            "<sip:a%20b%3E%40%C3%A9@h>"
        );
        assert_eq!(from_header("50%", "sip:h"), "<sip:50%25@h>");
        assert_eq!(from_header("5%G1", "sip:h"), "<sip:5%25G1@h>");
    }

    #[test]
    fn a_users_parameters_are_left_out() {
        assert_eq!(from_header("100;isup-oli=62", "sip:h"), "<sip:100@h>");
        assert_eq!(from_header(";npdi", "sip:h"), "", "no number left");
    }

    #[test]
    fn a_long_user_is_cut_whole_escapes_and_characters_at_a_time() {
        let ending_in_an_escape = format!("{}%2B", "1".repeat(62));
        assert_eq!(user_part(&ending_in_an_escape), "1".repeat(62));
        let ending_in_an_e_acute = format!("{}é", "1".repeat(60));
        assert_eq!(
            user_part(&ending_in_an_e_acute),
            "1".repeat(60),
            "é, escaped, is 6 bytes"
        );
        assert_eq!(user_part(&"9".repeat(100)), "9".repeat(MAX_NUMBER_BYTES));
    }

    #[test]
    fn a_number_called_is_the_from_of_its_calls_as_it_reads() {
        let route = |key: &str| (key == "route").then(|| "sip:{number}@192.0.2.7".to_owned());
        let settings = Settings::load(route).unwrap();
        assert_eq!(of_number(&settings, "102"), "<sip:102@192.0.2.7>");
        assert_eq!(
            of_number(&settings, "50%41"),
            "<sip:50%2541@192.0.2.7>",
            "dialled as 50%2541: no escape of A"
        );
        assert_eq!(
            of_number(&settings, "1;2"),
            "<sip:1%3B2@192.0.2.7>",
            "dialled as 1%3B2: no parameter"
        );
        assert_eq!(of_number(&settings, "*67#"), "<sip:*67%23@192.0.2.7>");
    }

    #[test]
    fn a_listed_number_is_cut_at_a_character_boundary() {
        assert_eq!(number(&"9".repeat(3000)).len(), MAX_LISTED_BYTES);
        let long = format!("{}é", "1".repeat(MAX_LISTED_BYTES - 1));
        assert_eq!(number(&long), "1".repeat(MAX_LISTED_BYTES - 1));
        assert_eq!(number("100"), "100");
    }
}
