//! Several strings in one: the form of values the guest keeps in room meta,
//! its key-value store and a placed call's context, which are plain strings.
//!
//! Fields are separated by tabs and records by newlines; `%`, tab, newline and
//! `/` inside a field are written as `%25`, `%09`, `%0A` and `%2F`, so any text
//! survives and an escaped field can also be one segment of a kv key.

use switchyard_sdk::hash::fnv1a;

/// `text` with `%`, tab, newline and `/` escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\t' => out.push_str("%09"),
            '\n' => out.push_str("%0A"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
    out
}

/// The text [`escape`] was given; an unknown escape is kept as written.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3);
        let decoded = match code {
            Some("25") => Some('%'),
            Some("09") => Some('\t'),
            Some("0A") => Some('\n'),
            Some("2F") => Some('/'),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` as one segment of a kv key of at most `max` bytes (18 at least):
/// escaped ([`escape`]) when that fits, else `%H` and a 64-bit digest of
/// `text` in hex, which no escaped text is (`%` is only ever escaped to
/// `%25`). Room names (up to 256 bytes) escaped may take three times that.
pub fn key_segment(text: &str, max: usize) -> String {
    let escaped = escape(text);
    if escaped.len() <= max {
        return escaped;
    }
    format!("%H{:016x}", fnv1a(text.as_bytes()))
}

/// One record: the fields, escaped and tab-separated.
pub fn join(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| escape(f))
        .collect::<Vec<_>>()
        .join("\t")
}

/// The fields of one record made by [`join`].
pub fn split(record: &str) -> Vec<String> {
    record.split('\t').map(unescape).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_text_survives_a_round_trip() {
        let fields = ["room/1", "a\tb", "line\nbreak", "100%", "", "%0A literal"];
        assert_eq!(split(&join(&fields)), fields);
    }

    #[test]
    fn escaped_fields_hold_no_separators() {
        let escaped = escape("a/b\tc\nd");
        assert!(
            !escaped.contains(['/', '\t', '\n']),
            "expected no separator left in {escaped:?}"
        );
    }

    #[test]
    fn key_segments_are_escaped_text_or_a_digest_of_long_text() {
        assert_eq!(key_segment("a/b", 128), "a%2Fb");
        let long = "/".repeat(64);
        let digest = key_segment(&long, 128);
        assert!(digest.starts_with("%H") && digest.len() == 18, "{digest:?}");
        assert_eq!(key_segment(&long, 128), digest, "stable");
        assert_ne!(key_segment(&"/".repeat(63), 128), digest);
        assert_eq!(key_segment(&"r".repeat(128), 128), "r".repeat(128));
    }

    #[test]
    fn unknown_escapes_are_kept() {
        assert_eq!(unescape("50%x%"), "50%x%");
    }
}
