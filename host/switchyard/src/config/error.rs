//! Configuration errors, located in their file: the line and column of the key or value at
//! fault.

use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::KeyPath;
use super::duplicate::Duplicate;
use super::key_path::Segment;

/// A configuration error, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line and column of the offending key or value, when known.
    pub position: Option<(usize, usize)>,
    /// The dotted key path (`rtp.port_max`), when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// `message` about `key` of `file`, located by reading the file again, as a configuration
    /// is read (no position when it cannot be read, is larger than a configuration may be, or
    /// does not write the key). `key` is a [`KeyPath`], or text of bare keys and indices as
    /// guests write keys (see [`KeyPath::bare`]).
    pub fn at_key(file: &Path, key: impl Into<KeyPath>, message: String) -> ConfigError {
        let text = super::read(file).unwrap_or_default();
        ConfigError::in_text(file, &text, &key.into(), message)
    }

    /// `message` about `key` of `file`, whose text is `text`, at the key's place in it.
    pub(super) fn in_text(file: &Path, text: &str, key: &KeyPath, message: String) -> ConfigError {
        ConfigError {
            file: file.to_owned(),
            position: locate(text, key),
            key: Some(key.to_string()),
            message,
        }
    }

    /// `text`, of `file`, is no TOML: where and why. A key or table defined twice is named
    /// by its path, with the line of its first definition (see [`Duplicate`]).
    pub(super) fn of_syntax(file: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
        let duplicate = error
            .span()
            .filter(|_| error.message() == "duplicate key")
            .and_then(|span| Duplicate::at(text, span));
        let (key, message) = match duplicate {
            Some(duplicate) => (Some(duplicate.key.to_string()), duplicate.message()),
            None => (None, error.message().to_owned()),
        };
        ConfigError {
            file: file.to_owned(),
            position: position_of(text, error.span()),
            key,
            message,
        }
    }

    /// The bytes of `file` are not UTF-8, as TOML is (`error` says where they stop being):
    /// at the first byte that is not.
    pub(super) fn of_encoding(
        file: &Path,
        bytes: &[u8],
        error: std::str::Utf8Error,
    ) -> ConfigError {
        let valid = error.valid_up_to();
        // The bytes before it are UTF-8: the error says so.
        let text = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
        ConfigError {
            file: file.to_owned(),
            position: position_of(text, Some(valid..valid)),
            key: None,
            message: "not UTF-8 (a TOML file is UTF-8 text)".to_owned(),
        }
    }

    /// A value of `text`, of `file`, that is not of its key's type: at the value (else at its
    /// key), the type it needs in words.
    pub(super) fn of_value(
        file: &Path,
        text: &str,
        error: serde_path_to_error::Error<toml::de::Error>,
    ) -> ConfigError {
        let key = KeyPath::from(error.path());
        let inner = error.into_inner();
        let written = key.to_string();
        ConfigError {
            file: file.to_owned(),
            position: position_of(text, inner.span()).or_else(|| locate(text, &key)),
            message: in_words(&written, inner.message()),
            key: (!key.is_empty()).then_some(written),
        }
    }
}

/// Serde's `message` about `key` with the Rust type it expected (`u16`,
/// `socket address`, …) put in words (`a port number, 1–65535`, …); other
/// messages unchanged.
fn in_words(key: &str, message: &str) -> String {
    match message {
        "invalid socket address syntax" => return "not an address like 127.0.0.1:5060".to_owned(),
        "invalid IP address syntax" => return "not an IP address".to_owned(),
        _ => {}
    }
    let Some((problem, expected)) = message.rsplit_once(", expected ") else {
        return message.to_owned();
    };
    if let Some(most) = largest_written(expected) {
        let number = match key.ends_with("_s") {
            true => "a whole number of seconds",
            false => "a whole number",
        };
        return format!("{problem}, expected {number}, 0–{most}");
    }
    let words = match expected {
        "u16" => "a port number, 1–65535",
        "socket address" => "an address like 127.0.0.1:5060",
        "IP address" => "an IP address",
        "a boolean" => "true or false",
        "path string" => "a path",
        "a sequence" => "a list",
        "a map" => "a table",
        _ if expected.starts_with("struct ") => "a table",
        _ => return message.to_owned(),
    };
    format!("{problem}, expected {words}")
}

/// The largest value of the unsigned integer type `name` (`u32`, `u64`, `usize`) that a file
/// can write: its own largest, but no more than TOML's (its integers are 64-bit signed);
/// `None` for any other type. Serde says the same of a number too large for the type as of
/// one below 0, so the words say both bounds.
fn largest_written(name: &str) -> Option<u64> {
    let most = match name {
        "u32" => u64::from(u32::MAX),
        "u64" => u64::MAX,
        "usize" => u64::try_from(usize::MAX).unwrap_or(u64::MAX),
        _ => return None,
    };
    Some(most.min(i64::MAX.unsigned_abs()))
}

/// The 1-based line and column of a byte offset's span start.
fn position_of(text: &str, span: Option<std::ops::Range<usize>>) -> Option<(usize, usize)> {
    let start = span?.start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    Some((line, column))
}

/// Where `key` is written in `text`: the key, or the array element for an index; else the
/// nearest enclosing key that is written; `None` when `text` is no TOML.
pub(super) fn locate(text: &str, key: &KeyPath) -> Option<(usize, usize)> {
    let root = DeTable::parse(text).ok()?;
    locate_in(text, root.get_ref(), key)
}

/// Where `key` is written in `text`, as [`locate`] tells it, found in `root`: the tree of
/// `text`, which may be one parsed despite errors in it.
pub(super) fn locate_in(text: &str, root: &DeTable<'_>, key: &KeyPath) -> Option<(usize, usize)> {
    position_of(text, written_part(root, key).0)
}

/// Whether `text` writes `key` itself, not only a table enclosing it.
pub(super) fn writes(text: &str, key: &KeyPath) -> bool {
    DeTable::parse(text).is_ok_and(|root| written_part(root.get_ref(), key).1)
}

/// The span of the longest part of `key` written in the tree `root` (none for no part), and
/// whether that part is all of `key`.
fn written_part(root: &DeTable<'_>, key: &KeyPath) -> (Option<std::ops::Range<usize>>, bool) {
    let mut value: Option<&Spanned<DeValue<'_>>> = None;
    let mut found = None;
    for segment in key.segments() {
        let next = match (segment, value.map(Spanned::get_ref)) {
            (Segment::Key(name), None) => key_in(root, name),
            (Segment::Key(name), Some(DeValue::Table(table))) => key_in(table, name),
            (Segment::Index(index), Some(DeValue::Array(array))) => array
                .get::<usize>(*index)
                .map(|element| (element.span(), element)),
            _ => None,
        };
        let Some((span, next)) = next else {
            return (found, false);
        };
        found = Some(span);
        value = Some(next);
    }
    (found, true)
}

/// The span of the key `name` of `table`, and its value.
fn key_in<'t, 'a>(
    table: &'t DeTable<'a>,
    name: &str,
) -> Option<(std::ops::Range<usize>, &'t Spanned<DeValue<'a>>)> {
    table
        .get_key_value(name)
        .map(|(key, value)| (key.span(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::config::tests::parse;

    #[test]
    fn type_errors_name_the_expected_value_in_words() {
        let cases = [
            (
                "[rtp]\nport_max = 70000\n",
                "test.toml:2:12: rtp.port_max: invalid value: integer `70000`, expected a port number, 1–65535",
            ),
            (
                "[rtp]\ntimeout_s = -1\n",
                "test.toml:2:13: rtp.timeout_s: invalid value: integer `-1`, expected a whole number of seconds, 0–9223372036854775807",
            ),
            (
                "[rooms]\nexpire_delay_s = \"2h\"\n",
                "test.toml:2:18: rooms.expire_delay_s: invalid type: string \"2h\", expected a whole number of seconds, 0–9223372036854775807",
            ),
            (
                "[limits]\nmemory_mb = 1.5\n",
                "test.toml:2:13: limits.memory_mb: invalid type: floating point `1.5`, expected a whole number, 0–4294967295",
            ),
            (
                "[sip]\nsession_max_s = 5000000000\n",
                "test.toml:2:17: sip.session_max_s: invalid value: integer `5000000000`, expected a whole number of seconds, 0–4294967295",
            ),
            (
                "[limits]\nmax_instances = 4294967296\n",
                "test.toml:2:17: limits.max_instances: invalid value: integer `4294967296`, expected a whole number, 0–4294967295",
            ),
            (
                "[media]\nworkers = -1\n",
                "test.toml:2:11: media.workers: invalid value: integer `-1`, expected a whole number, 0–9223372036854775807",
            ),
            (
                "[control]\nlisten = 8090\n",
                "test.toml:2:10: control.listen: invalid type: integer `8090`, expected an address like 127.0.0.1:5060",
            ),
            (
                "[sip]\nlisten = \"localhost\"\n",
                "test.toml:2:10: sip.listen: not an address like 127.0.0.1:5060",
            ),
            (
                "[rtp]\naddress = 0\n",
                "test.toml:2:11: rtp.address: invalid type: integer `0`, expected an IP address",
            ),
            (
                "[sip]\nadvertise = \"example.com\"\n",
                "test.toml:2:13: sip.advertise: not an IP address",
            ),
            (
                "[rooms]\npredefined = \"1\"\n",
                "test.toml:2:14: rooms.predefined: invalid type: string \"1\", expected a list",
            ),
            (
                "limits = 5\n",
                "test.toml:1:10: limits: invalid type: integer `5`, expected a table",
            ),
            (
                "[media]\npacket_io = \"epoll\"\n",
                "test.toml:2:13: media.packet_io: unknown variant `epoll`, expected one of `auto`, `io_uring`, `sweep`",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).expect_err(expected);
            assert_eq!(err.to_string(), expected, "for {text:?}");
        }
    }

    #[test]
    fn serde_types_become_words() {
        let cases = [
            (
                "invalid type: string \"y\", expected a boolean",
                "invalid type: string \"y\", expected true or false",
            ),
            (
                "invalid type: integer `1`, expected path string",
                "invalid type: integer `1`, expected a path",
            ),
            (
                "invalid type: integer `1`, expected a map",
                "invalid type: integer `1`, expected a table",
            ),
            (
                "unknown field `y`, expected one of `a`, `b`",
                "unknown field `y`, expected one of `a`, `b`",
            ),
            (
                "invalid type: integer `1`, expected a string",
                "invalid type: integer `1`, expected a string",
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(in_words("x", message), expected, "for {message:?}");
        }
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = parse("[sip]\nlisten = \"0.0.0.0:5060\"\nadvertise = \n").unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(3), "{err}");
        assert!(err.to_string().starts_with("test.toml:3:"), "{err}");
    }

    #[test]
    fn unknown_keys_name_their_path_and_line() {
        let err = parse("[sip]\nlisen = \"0.0.0.0:5060\"\n").unwrap_err();
        assert_eq!(err.position, Some((2, 1)), "{err}");
        assert!(err.message.contains("unknown field `lisen`"), "{err}");
    }

    #[test]
    fn bad_values_name_their_key_and_line() {
        let err = parse("[rtp]\nport_min = 1\n\n[control]\nlisten = \"nowhere\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("control.listen"), "{err}");
        assert_eq!(err.position.map(|p| p.0), Some(5), "{err}");
    }

    #[test]
    fn errors_about_a_quoted_key_point_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("g.wasm"), b"").unwrap();
        let file = dir.path().join("switchyard.toml");
        for (header, key) in [
            ("[guests.\"my guest\"]", "guests.\"my guest\""),
            ("[guests.\"a.b\"]", "guests.\"a.b\""),
            ("[guests.'x y']", "guests.\"x y\""),
            ("[guests.\"tab\\there\"]", "guests.\"tab\\u0009here\""),
            ("[guests.\"q\\\"\"]", "guests.\"q\\\"\""),
        ] {
            let text = format!(
                "[guests.webconference]\nrecords_max_file_mb = 5\n\n{header}\nwasm = \"g.wasm\"\n"
            );
            let err = Config::parse(&file, &text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{err}");
            assert_eq!(err.position.map(|p| p.0), Some(4), "{err}");
        }
        let text =
            "[guests.webconference.config]\nprivate_rooms = true\n\"private rooms\" = true\n";
        let err = parse(text).unwrap_err();
        assert_eq!(
            err.key.as_deref(),
            Some("guests.webconference.config.\"private rooms\""),
            "{err}"
        );
        assert_eq!(err.position, Some((3, 1)), "{err}");
    }

    #[test]
    fn errors_under_keys_toml_quotes_are_located_at_their_line_and_column() {
        for key in ["\"a.b\"", "\"my key\"", "\"q\\\"x\"", "\"é\"", "'lit.eral'"] {
            let line = format!("config = {{ private_rooms = true, {key} = 1 }}");
            let text = format!("[guests.webconference]\nwatch = false\n{line}\n");
            let err = parse(&text).unwrap_err();
            let column = line.find(key).unwrap() + 1;
            assert_eq!(err.position, Some((3, column)), "{key}: {err}");
            assert!(err.message.contains("not a key of this guest"), "{err}");
        }
    }

    #[test]
    fn a_key_is_located_in_a_file_read_again_only_up_to_the_configurations_limit() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("switchyard.toml");
        let key = KeyPath::from(["rtp", "port_min"]);
        let written = "[rtp]\nport_min = 1\n#";
        std::fs::write(&file, written).unwrap();
        let located = ConfigError::at_key(&file, key.clone(), "wrong".to_owned());
        assert_eq!(located.position, Some((2, 1)), "{located}");
        // The same key, with a comment that takes the file one byte past the limit.
        let comment = "x".repeat(crate::config::MAX_CONFIG_BYTES as usize + 1 - written.len());
        std::fs::write(&file, format!("{written}{comment}")).unwrap();
        let unread = ConfigError::at_key(&file, key, "wrong".to_owned());
        assert_eq!(unread.position, None, "{unread}");
        assert_eq!(
            unread.to_string(),
            format!("{}: rtp.port_min: wrong", file.display())
        );
    }

    #[test]
    fn a_value_s_error_names_its_key_as_toml_writes_it() {
        let text = "[guests.\"my guest\".limits]\nfuel = \"x\"\n";
        let err = parse(text).unwrap_err();
        assert_eq!(
            err.key.as_deref(),
            Some("guests.\"my guest\".limits.fuel"),
            "{err}"
        );
        assert_eq!(err.position, Some((2, 8)), "{err}");
    }
}
