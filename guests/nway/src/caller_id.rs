//! Callers' numbers: as a room lists them, and in the From of the calls
//! this guest places, so that a callee sees who calls, not the server.

/// The longest number, in bytes, put in a From header; a longer one is cut
/// at a character boundary.
const MAX_NUMBER_BYTES: usize = 64;

/// The From header of a call to `uri` on behalf of `number`:
/// `<sip:number@host>`, the host being `uri`'s, the number escaped as a
/// SIP URI's user part (RFC 3261 §25.1) and cut to 64 bytes. An empty
/// number gives "": the host's own identity.
pub fn from_header(number: &str, uri: &str) -> String {
    if number.is_empty() {
        return String::new();
    }
    format!(
        "<sip:{}@{}>",
        escaped_user(cut(number, MAX_NUMBER_BYTES)),
        host_of(uri)
    )
}

/// The longest number, in bytes, a room lists for a participant (the host's
/// limit).
const MAX_LISTED_BYTES: usize = 2048;

/// A caller's number (its From user) as this guest keeps it: cut to what a
/// room lists, at a character boundary.
pub fn number(from_user: &str) -> String {
    cut(from_user, MAX_LISTED_BYTES).to_owned()
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `user` with every byte a SIP URI's user part cannot hold as it is
/// `%`-escaped (`;`, `?` and `/` too, which some parsers take for the end
/// of the user).
fn escaped_user(user: &str) -> String {
    user.bytes()
        .map(|byte| match byte {
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')'
            | b'&'
            | b'='
            | b'+'
            | b'$'
            | b',' => char::from(byte).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The host (and port) of a `sip:` or `sips:` URI: what follows the user
/// part, up to its parameters or headers.
fn host_of(uri: &str) -> &str {
    let rest = uri.split_once(':').map_or(uri, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split([';', '?', '>']).next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_from_is_the_number_at_the_callees_host() {
        assert_eq!(
            from_header("100", "sip:102@pbx.example.com;transport=tcp"),
            "<sip:100@pbx.example.com>"
        );
        assert_eq!(
            from_header("+4930", "sips:192.0.2.9:5061"),
            "<sip:+4930@192.0.2.9:5061>"
        );
        assert_eq!(from_header("", "sip:102@pbx.example.com"), "");
    }

    #[test]
    fn a_number_is_escaped_and_cut() {
        assert_eq!(
            from_header("a b;c>@é", "sip:x@h"),
            "<sip:a%20b%3Bc%3E%40%C3%A9@h>"
        );
        let long = format!("{}é", "1".repeat(63));
        assert_eq!(
            cut(&long, MAX_NUMBER_BYTES),
            "1".repeat(63),
            "cut before the two-byte é"
        );
        assert_eq!(number(&"9".repeat(3000)).len(), MAX_LISTED_BYTES);
        assert_eq!(number("100"), "100");
    }
}
