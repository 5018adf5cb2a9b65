//! The parts of a SIP URI a guest compares: a user part as the text it stands for.

/// The user part of a URI (an `InviteInfo`'s `request-user`, say) with its
/// `%XX` escapes decoded, since RFC 3261 §19.1.4 makes an escaped character and
/// the character itself the same: `000777%31` dials what `0007771` dials.
/// `None` if an escape is broken (`%` not followed by two hex digits, which
/// §25.1's `escaped` rule forbids) or the decoded bytes are not UTF-8 text.
pub fn decoded_user(user: &str) -> Option<String> {
    let (bytes, well_formed) = unescaped(user);
    well_formed.then(|| String::from_utf8(bytes).ok()).flatten()
}

/// `text` with its `%XX` escapes decoded, a broken one kept as it is, and
/// whether there was none broken.
pub(crate) fn unescaped(text: &str) -> (Vec<u8>, bool) {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut well_formed = true;
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| text.get(at + 1..at + 3))
            .flatten()
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                well_formed &= bytes[at] != b'%';
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    (out, well_formed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_and_plain_characters_are_one_user() {
        assert_eq!(decoded_user("000777%C3%A9").as_deref(), Some("000777é"));
        assert_eq!(
            decoded_user("%30%30%30777123").as_deref(),
            Some("000777123")
        );
        assert_eq!(decoded_user("%2b49").as_deref(), Some("+49"));
        assert_eq!(decoded_user("alice").as_deref(), Some("alice"));
        assert_eq!(decoded_user("").as_deref(), Some(""));
    }

    #[test]
    fn broken_escapes_and_bytes_that_are_no_text_decode_to_nothing() {
        for user in ["%zz", "12%4", "12%", "%+1", "%C3", "%FF%FE"] {
            assert_eq!(decoded_user(user), None, "{user}");
        }
    }

    #[test]
    fn unescaping_keeps_a_broken_escape() {
        assert_eq!(unescaped("50%x%41"), (b"50%xA".to_vec(), false));
        assert_eq!(unescaped("%41"), (b"A".to_vec(), true));
    }
}
