//! A key or table the configuration file defines twice. toml tells only "duplicate key", at
//! the key of the second definition; this names it by its whole path, with the line of the
//! first definition.

use std::ops::Range;
use toml::de::{DeArray, DeTable, DeValue};

use super::KeyPath;
use super::error::locate_in;

/// A key defined a second time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Duplicate {
    /// Its path from the top table.
    pub(super) key: KeyPath,
    /// The header of the second definition (`[sip]`, `[[a]]`) when a table header defines it
    /// again; `None` for a key set again.
    header: Option<String>,
    /// The 1-based line of the first definition, when it is found.
    first_line: Option<usize>,
}

impl Duplicate {
    /// The key of `text` at the byte range `second`, which toml found defined already; `None`
    /// when its place in the file cannot be told.
    pub(super) fn at(text: &str, second: Range<usize>) -> Option<Duplicate> {
        let name = key_name(text.get(second.clone())?)?;
        // The second definition's key renamed, at the same length so that everything keeps its
        // place: the renamed key is in the tree where the duplicate would be, and the first
        // definition still at its own.
        let placeholder = "_".repeat(second.len());
        let renamed = format!(
            "{}{placeholder}{}",
            &text[..second.start],
            &text[second.end..]
        );
        let (root, _) = DeTable::parse_recoverable(&renamed);
        let found = find_key(root.get_ref(), &second, &KeyPath::default())?;
        let key = found.parent.key(&name);
        let header = found
            .value_span
            .filter(|span| span.start < second.start)
            .and_then(|span| text.get(span))
            .map(str::to_owned);
        // The tree parsed despite errors, so that another error in the file (a second
        // duplicate, a syntax error further on) does not lose the first definition.
        let placeholder_key = found.parent.key(&placeholder);
        let first_line = first_line(&renamed, root.get_ref(), &key, &placeholder_key);
        Some(Duplicate {
            key,
            header,
            first_line,
        })
    }

    /// What is wrong, in words: `duplicate key (first set at line 2)`,
    /// `table [sip] defined twice (first at line 1)`.
    pub(super) fn message(&self) -> String {
        let (what, first) = match &self.header {
            Some(header) => (format!("table {header} defined twice"), "first at line"),
            None => ("duplicate key".to_owned(), "first set at line"),
        };
        match self.first_line {
            Some(line) => format!("{what} ({first} {line})"),
            None => what,
        }
    }
}

/// The 1-based line of the first definition of `key` in `renamed`, the text whose tree is
/// `root` and whose second definition of `key` is renamed to `placeholder_key`; `None` when the
/// tree has it nowhere before that second definition.
fn first_line(
    renamed: &str,
    root: &DeTable<'_>,
    key: &KeyPath,
    placeholder_key: &KeyPath,
) -> Option<usize> {
    let first = locate_in(renamed, root, key)?;
    let second = locate_in(renamed, root, placeholder_key)?;
    // Recovering from a later definition of the same key (a third one, a table header over
    // the value), toml may keep the key where that one is written: a line after the second
    // definition, not the first's.
    (first < second).then_some(first.0)
}

/// The key a TOML key part written as `written` (bare or quoted) names.
fn key_name(written: &str) -> Option<String> {
    let line = format!("{written} = 0");
    let table = DeTable::parse(&line).ok()?;
    let (key, _) = table.get_ref().iter().next()?;
    Some(key.get_ref().to_string())
}

/// Where a key was found in the tree: the path of its table, and the span of its value.
struct Found {
    parent: KeyPath,
    /// `None` when the value has no span of its own.
    value_span: Option<Range<usize>>,
}

/// The key of `table` (at `path`), or of a table under it, written at `span`.
fn find_key(table: &DeTable<'_>, span: &Range<usize>, path: &KeyPath) -> Option<Found> {
    table.iter().find_map(|(key, value)| {
        if key.span() == *span {
            let value_span = value.span();
            return Some(Found {
                parent: path.clone(),
                value_span: (!value_span.is_empty()).then_some(value_span),
            });
        }
        let path = path.key(key.get_ref());
        match value.get_ref() {
            DeValue::Table(inner) => find_key(inner, span, &path),
            DeValue::Array(array) => find_in_array(array, span, &path),
            _ => None,
        }
    })
}

/// The key written at `span` in a table of `array` (at `path`), or under one.
fn find_in_array(array: &DeArray<'_>, span: &Range<usize>, path: &KeyPath) -> Option<Found> {
    array
        .iter()
        .enumerate()
        .find_map(|(index, element)| match element.get_ref() {
            DeValue::Table(table) => find_key(table, span, &path.index(index)),
            DeValue::Array(inner) => find_in_array(inner, span, &path.index(index)),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use crate::config::tests::parse;

    #[test]
    fn a_key_set_twice_is_named_by_its_path_with_the_line_it_was_first_set_at() {
        for (text, expected) in [
            (
                "[sip]\nring_timeout_s = 30\nring_timeout_s = 40\n",
                "test.toml:3:1: sip.ring_timeout_s: duplicate key (first set at line 2)",
            ),
            (
                "[sip]\ndial_user = \"a\"\n\n[sip]\nring_timeout_s = 40\n",
                "test.toml:4:2: sip: table [sip] defined twice (first at line 1)",
            ),
            (
                "[[routing.rules]]\nguest = \"a\"\n[[routing.rules]]\nguest = \"b\"\nuri = \"x\"\n\
                 guest = \"c\"\n",
                "test.toml:6:1: routing.rules[1].guest: duplicate key (first set at line 4)",
            ),
            (
                "[guests.webconference]\nconfig = { \"a.b\" = 1, 'a.b' = 2 }\n",
                "test.toml:2:23: guests.webconference.config.\"a.b\": duplicate key \
                 (first set at line 2)",
            ),
            (
                "rtp.port_min = 20000\nrtp.port_min = 20002\n",
                "test.toml:2:5: rtp.port_min: duplicate key (first set at line 1)",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.to_string(), expected, "for {text:?}");
        }
    }

    #[test]
    fn a_first_definition_found_only_after_the_second_is_not_named() {
        for (text, expected) in [
            (
                "[sip]\na = 1\n[sip]\nb = 2\n[sip]\nc = 3\n",
                "test.toml:3:2: sip: table [sip] defined twice",
            ),
            (
                "[sip]\nx = 1\nx = 2\n[sip.x]\n",
                "test.toml:3:1: sip.x: duplicate key",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.to_string(), expected, "for {text:?}");
        }
    }

    #[test]
    fn the_first_definition_is_found_in_a_file_with_other_errors_further_on() {
        let first = "[sip]\nring_timeout_s = 30\nring_timeout_s = 40\n";
        for rest in ["dial_user = \"a\"\ndial_user = \"b\"\n", "dial_user = \n"] {
            let text = format!("{first}{rest}");
            let err = parse(&text).unwrap_err();
            assert_eq!(
                err.to_string(),
                "test.toml:3:1: sip.ring_timeout_s: duplicate key (first set at line 2)",
                "for {text:?}"
            );
        }
    }
}
