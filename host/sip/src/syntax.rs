//! The RFC 3261 §25.1 lexical rules the endpoint checks itself rather than through rsip:
//! tokens, control characters, quoted strings and generic parameters.

/// Whether `b` may appear in a token (§25.1): alphanumeric or one of ``-.!%*_+`'~``.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// Whether `text` is a token (§25.1): one or more token bytes.
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_token_byte)
}

/// Whether the unfolded header value `value` holds a control character: %x00-1F but HTAB, or
/// DEL. Inside a quoted string a backslash may escape one of them (§25.1 quoted-pair), except
/// CR and LF, which no header value holds once its folding is undone (§7.3.1).
pub(crate) fn has_control(value: &str) -> bool {
    let (mut quoted, mut escaped) = (false, false);
    for b in value.bytes() {
        match b {
            b'\r' | b'\n' => return true,
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b'\t' => {}
            0..=0x1f | 0x7f => return true,
            _ => {}
        }
    }
    false
}

/// The length of the quoted string (§25.1) that `text` starts with, both quotes included;
/// `None` if `text` does not start with one or it is never closed.
pub(crate) fn quoted_string_len(text: &str) -> Option<usize> {
    let rest = text.strip_prefix('"')?;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 2),
            _ => {}
        }
    }
    None
}

/// A generic parameter (§25.1): its name and, after `=`, its value.
pub(crate) type Param<'a> = (&'a str, Option<&'a str>);

/// The parameters of `text`, a run of `;name` or `;name=value` (SEMI and EQUAL without
/// surrounding whitespace, as `wire` leaves them), each name a token and each value a token,
/// a host (token bytes, `:`, `[` and `]`) or a quoted string; `None` if anything else is
/// there, such as an empty parameter.
pub(crate) fn params(mut text: &str) -> Option<Vec<Param<'_>>> {
    let mut params = Vec::new();
    while !text.is_empty() {
        let rest = text.strip_prefix(';')?;
        let name_end = rest.find(['=', ';']).unwrap_or(rest.len());
        let name = &rest[..name_end];
        if !is_token(name) {
            return None;
        }
        let after = &rest[name_end..];
        let Some(value) = after.strip_prefix('=') else {
            params.push((name, None));
            text = after;
            continue;
        };
        let quoted = value.starts_with('"');
        let value_len = if quoted {
            quoted_string_len(value)?
        } else {
            value.find(';').unwrap_or(value.len())
        };
        let (value, rest) = value.split_at(value_len);
        let host_like = |b: u8| is_token_byte(b) || b":[]".contains(&b);
        if !quoted && (value.is_empty() || !value.bytes().all(host_like)) {
            return None;
        }
        params.push((name, Some(value)));
        text = rest;
    }
    Some(params)
}

/// The value of the parameter `name` (case-insensitive) among `params`: `Some(None)` when it
/// has no value, `None` when it is absent.
pub(crate) fn param<'a>(params: &[Param<'a>], name: &str) -> Option<Option<&'a str>> {
    params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(is_token("!interesting-Method0123456789_*+`.%indeed'~"));
        for not in ["", "IN VITE", "A:B", "Ü", "a\"b"] {
            assert!(!is_token(not), "{not:?} is no token");
        }
    }

    #[test]
    fn control_characters_pass_only_as_quoted_pairs() {
        assert!(!has_control("plain\tvalue with tab"));
        assert!(!has_control("\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:a@b>"));
        for bad in [
            "a\0b",
            "a\x7fb",
            "x\rX-Evil: 1",
            "\"\\\r\"",
            "\\\0",
            "\"a\"\0",
        ] {
            assert!(has_control(bad), "{bad:?} holds a control character");
        }
    }

    #[test]
    fn quoted_strings_end_at_the_unescaped_quote() {
        assert_eq!(
            quoted_string_len(r#""J Rosenberg \\\"" <sip:a@b>"#),
            Some(18)
        );
        assert_eq!(
            quoted_string_len(r#""Mr. J. User <sip:j.user@example.com>"#),
            None
        );
        assert_eq!(quoted_string_len("no quote"), None);
    }

    #[test]
    fn params_are_read_and_broken_ones_refused() {
        let read = params(";branch=z9hG4bK-.!%66*_+`'~;rport;received=[2001:db8::9];x=\"a;b\"");
        assert_eq!(
            read,
            Some(vec![
                ("branch", Some("z9hG4bK-.!%66*_+`'~")),
                ("rport", None),
                ("received", Some("[2001:db8::9]")),
                ("x", Some("\"a;b\"")),
            ])
        );
        assert_eq!(
            param(&read.unwrap(), "BRANCH"),
            Some(Some("z9hG4bK-.!%66*_+`'~"))
        );
        assert_eq!(params(""), Some(vec![]));
        for bad in [";;", ";", ";a=", ";a=<b>", "a", ";a b", ";a=\"open"] {
            assert_eq!(params(bad), None, "{bad:?}");
        }
    }
}
