//! The keys a guest declares for its config table, and the check of a table against them.
//!
//! A guest built with the SDK declares them with `switchyard_sdk::config_keys!`, which writes a
//! custom section named [`SECTION`] into its component: one `key kind` line per key. A guest
//! that declares nothing (another language, a guest without the macro) gets its table
//! unchecked.

use std::collections::BTreeMap;
use std::fmt;

use wasmparser::{Parser, Payload};

use crate::context::one_line;

/// The name of the custom section holding the declared keys.
pub const SECTION: &str = "switchyard-config";

/// What a key's value may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `true`, `false`, `yes`, `no`, `1` or `0`.
    Flag,
    /// A whole number from 0 to 4294967295.
    Number,
    /// A regular expression in `regex-lite`'s syntax (the guests' regex crate); empty
    /// matches everything.
    Regex,
    /// Anything.
    Text,
    /// IP addresses (v4 or v6), separated by commas; empty: none.
    Addresses,
}

impl Kind {
    fn named(name: &str) -> Option<Kind> {
        match name {
            "flag" => Some(Kind::Flag),
            "number" => Some(Kind::Number),
            "regex" => Some(Kind::Regex),
            "text" => Some(Kind::Text),
            "addresses" => Some(Kind::Addresses),
            _ => None,
        }
    }

    /// Why `value` is not of this kind, if it is not.
    fn problem(self, value: &str) -> Option<String> {
        match self {
            Kind::Flag => (!matches!(value, "true" | "false" | "yes" | "no" | "1" | "0"))
                .then(|| format!("{value:?} is not true, false, yes or no")),
            Kind::Number => value
                .parse::<u32>()
                .is_err()
                .then(|| format!("{value:?} is not a whole number from 0 to 4294967295")),
            Kind::Regex => regex_lite::Regex::new(value)
                .err()
                .map(|e| format!("{value:?} is not a regular expression: {e}")),
            Kind::Text => None,
            Kind::Addresses => value
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .find(|part| part.parse::<std::net::IpAddr>().is_err())
                .map(|part| {
                    format!("{part:?} is not an IP address (addresses are separated by commas)")
                }),
        }
    }
}

/// The keys a guest declares, each with its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigKeys {
    kinds: BTreeMap<String, Kind>,
}

impl ConfigKeys {
    /// The keys the component `wasm` declares; `Ok(None)` when it declares none, `Err` when
    /// the component or its declaration cannot be read, saying why on one line of the log
    /// (see [`on_one_line`]).
    pub fn declared_by(wasm: &[u8]) -> Result<Option<ConfigKeys>, String> {
        let mut kinds = BTreeMap::new();
        let mut declared = false;
        for payload in Parser::new(0).parse_all(wasm) {
            let payload =
                payload.map_err(|e| on_one_line(&format!("not a readable component: {e}")))?;
            let Payload::CustomSection(section) = payload else {
                continue;
            };
            if section.name() != SECTION {
                continue;
            }
            declared = true;
            let text = std::str::from_utf8(section.data())
                .map_err(|_| format!("its {SECTION} section is not UTF-8"))?;
            for line in text.lines().filter(|line| !line.trim().is_empty()) {
                let (key, kind) = line.split_once(' ').unwrap_or((line, ""));
                let kind = Kind::named(kind.trim()).ok_or_else(|| {
                    on_one_line(&format!(
                        "its {SECTION} section gives key {key:?} an unknown kind {kind:?}"
                    ))
                })?;
                kinds.insert(key.to_owned(), kind);
            }
        }
        Ok(declared.then_some(ConfigKeys { kinds }))
    }

    /// Why `value` cannot be the value of `key`, if it cannot: a key not declared (naming the
    /// keys declared, as [`ConfigKeys`] shows them), or a value not of the key's kind.
    pub fn problem(&self, key: &str, value: &str) -> Option<String> {
        match self.kinds.get(key) {
            Some(kind) => kind.problem(value),
            None => Some(format!("not a key of this guest (its keys: {self})")),
        }
    }

    /// The first of `values` (key, value) that cannot be, with its [`ConfigKeys::problem`].
    pub fn first_problem<K: AsRef<str>, V: AsRef<str>>(
        &self,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Option<(K, String)> {
        values.into_iter().find_map(|(key, value)| {
            self.problem(key.as_ref(), value.as_ref())
                .map(|problem| (key, problem))
        })
    }
}

impl fmt::Display for ConfigKeys {
    /// The keys, comma-separated, as one line of the log of at most 4 KiB: a key is a line
    /// of the guest's section, of any length, and may hold any character but a line feed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self.kinds.keys().map(String::as_str).collect();
        f.write_str(&one_line(&keys.join(", ")))
    }
}

/// `text` on one line, as an error of `check-config` is (`file:line:column: key: problem`):
/// each line break, with the indentation around it, made one space, then the rest made one
/// line of the log as a guest's log lines are (other control characters and Unicode line
/// separators escaped, cut at 4 KiB). A parser's message may span lines (wasmparser's "bad
/// magic number" lists the bytes it expected and found).
pub fn on_one_line(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    one_line(&joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MAX_LOG_LINE;
    use crate::test_wasm::{section, sized};

    /// A module with a custom section `name` holding `data`.
    fn module_with(name: &str, data: &str) -> Vec<u8> {
        let custom = [sized(name.as_bytes()), data.as_bytes().to_vec()].concat();
        [b"\0asm\x01\0\0\0".to_vec(), section(0, &custom)].concat()
    }

    #[test]
    fn declared_keys_are_checked_by_kind_and_others_refused() {
        let wasm = module_with(
            SECTION,
            "private_rooms flag\nmax_room_attempts number\ndirect_room_re regex\nheader text\n\
             proxies addresses\n",
        );
        let keys = ConfigKeys::declared_by(&wasm).unwrap().unwrap();
        for (key, value) in [
            ("private_rooms", "yes"),
            ("private_rooms", "false"),
            ("max_room_attempts", "3"),
            ("direct_room_re", "^000777"),
            ("direct_room_re", ""),
            ("header", "X-Anything"),
            ("proxies", ""),
            ("proxies", "192.0.2.10"),
            ("proxies", "192.0.2.10, 2001:db8::7 ,10.0.0.1"),
        ] {
            assert_eq!(keys.problem(key, value), None, "{key} = {value:?}");
        }
        assert_eq!(
            keys.problem("private_rooms", "on").as_deref(),
            Some(r#""on" is not true, false, yes or no"#)
        );
        assert!(keys.problem("max_room_attempts", "-1").is_some());
        assert!(keys.problem("max_room_attempts", "").is_some());
        assert!(keys.problem("direct_room_re", "(").is_some());
        assert_eq!(
            keys.problem("proxies", "192.0.2.10; 192.0.2.11").as_deref(),
            Some(
                r#""192.0.2.10; 192.0.2.11" is not an IP address (addresses are separated by commas)"#
            )
        );
        assert!(keys.problem("proxies", "proxy.example.com").is_some());
        assert_eq!(
            keys.problem("privte_rooms", "true").as_deref(),
            Some(
                "not a key of this guest (its keys: direct_room_re, header, max_room_attempts, \
                 private_rooms, proxies)"
            )
        );
    }

    #[test]
    fn a_guest_that_declares_nothing_is_unchecked_and_a_bad_declaration_is_an_error() {
        assert_eq!(
            ConfigKeys::declared_by(&module_with("other", "x")),
            Ok(None)
        );
        let bad = ConfigKeys::declared_by(&module_with(SECTION, "key colour\n"));
        assert_eq!(
            bad,
            Err(format!(
                "its {SECTION} section gives key \"key\" an unknown kind \"colour\""
            ))
        );
    }

    #[test]
    fn the_keys_a_guest_declares_are_named_on_one_line_of_the_log() {
        let forged = format!("k\rERROR\u{1b}[2J\u{2028}{}", "k".repeat(5000));
        let wasm = module_with(SECTION, &format!("{forged} text\n"));
        let keys = ConfigKeys::declared_by(&wasm).unwrap().unwrap();
        let problem = keys.problem("other", "").expect("a key not declared");
        assert!(
            problem.starts_with(r"not a key of this guest (its keys: k\rERROR\u{1b}[2J\u{2028}kkk"),
            "{problem}"
        );
        assert!(!problem.contains(['\r', '\u{1b}', '\u{2028}']), "{problem}");
        assert!(problem.len() < MAX_LOG_LINE + 64, "{}", problem.len());
    }

    #[test]
    fn text_on_one_line_escapes_what_would_end_a_line_of_the_log() {
        assert_eq!(
            on_one_line("bad magic number - expected=[\n    0x0,\n] a\rb\u{1b}c\u{2028}d"),
            r"bad magic number - expected=[ 0x0, ] a\rb\u{1b}c\u{2028}d"
        );
    }

    #[test]
    fn a_component_that_is_no_webassembly_is_an_error_on_one_line() {
        let error = ConfigKeys::declared_by(b"not wasm").expect_err("no WebAssembly");
        assert!(
            error.starts_with("not a readable component: ") && error.contains("bad magic number"),
            "{error}"
        );
        assert_eq!(error.lines().count(), 1, "{error}");
        assert!(!error.contains("  "), "{error}");
    }
}
