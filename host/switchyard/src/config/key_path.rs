//! Where a value is in the configuration file: its keys and array indices from the top table,
//! shown as TOML writes them (`rooms.predefined[2]`, `guests."my guest".wasm`).

use std::fmt;

/// One step of a [`KeyPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    /// A key of a table.
    Key(String),
    /// An element of an array, the first 0.
    Index(usize),
}

/// The place of a value in the configuration file: keys and array indices from its top table.
/// Shown as a dotted TOML key, each key quoted exactly when TOML needs it (`rtp.port_max`,
/// `rooms.predefined[2]`, `guests."my guest".wasm`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(Vec<Segment>);

impl KeyPath {
    /// This path with the key `name` after it.
    pub fn key(&self, name: &str) -> KeyPath {
        self.with(Segment::Key(name.to_owned()))
    }

    /// This path with the array index `index` (the first 0) after it.
    pub fn index(&self, index: usize) -> KeyPath {
        self.with(Segment::Index(index))
    }

    /// The path written as `text` of bare keys and indices, as guests name keys
    /// (`rooms.101.pin`, `rooms[0]`): split at its dots and brackets. Quotes are not read: a
    /// key that needs them is made with [`key`](Self::key). An index that is not a number ends
    /// the path before it.
    pub fn bare(text: &str) -> KeyPath {
        let mut path = KeyPath::default();
        for part in text.split('.') {
            let mut pieces = part.split('[');
            path.0
                .extend(pieces.next().map(|name| Segment::Key(name.to_owned())));
            for index in pieces {
                match index.strip_suffix(']').and_then(|i| i.parse().ok()) {
                    Some(index) => path.0.push(Segment::Index(index)),
                    None => return path,
                }
            }
        }
        path
    }

    /// Whether the path names no key: the file's top table.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Its segments, from the top table.
    pub(super) fn segments(&self) -> &[Segment] {
        &self.0
    }

    fn with(&self, segment: Segment) -> KeyPath {
        let mut path = self.clone();
        path.0.push(segment);
        path
    }
}

impl<const N: usize> From<[&str; N]> for KeyPath {
    /// The path of the nested keys `keys`: `["rtp", "port_max"]` is `rtp.port_max`.
    fn from(keys: [&str; N]) -> KeyPath {
        KeyPath(keys.map(|key| Segment::Key(key.to_owned())).into())
    }
}

impl From<String> for KeyPath {
    /// The path written as `text` of bare keys and indices: see [`KeyPath::bare`].
    fn from(text: String) -> KeyPath {
        KeyPath::bare(&text)
    }
}

impl From<&serde_path_to_error::Path> for KeyPath {
    /// The path serde took to a value, up to the first step it could not name.
    fn from(path: &serde_path_to_error::Path) -> KeyPath {
        use serde_path_to_error::Segment as Step;
        let segments = path.iter().map_while(|step| match step {
            Step::Seq { index } => Some(Segment::Index(*index)),
            Step::Map { key } => Some(Segment::Key(key.clone())),
            Step::Enum { variant } => Some(Segment::Key(variant.clone())),
            Step::Unknown => None,
        });
        KeyPath(segments.collect())
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (at, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(name) => {
                    if at > 0 {
                        f.write_str(".")?;
                    }
                    write_key(f, name)?;
                }
            }
        }
        Ok(())
    }
}

/// `name` as one part of a dotted TOML key: as it is when it is a bare key (letters, digits,
/// `-` and `_`), else a basic string, quoted and escaped (TOML 1.0, "Keys").
fn write_key(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        return f.write_str(name);
    }
    f.write_str("\"")?;
    for c in name.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            c if c.is_control() => write!(f, "\\u{:04X}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path `guests.<name>.wasm`.
    fn wasm_of(name: &str) -> KeyPath {
        KeyPath::from(["guests"]).key(name).key("wasm")
    }

    #[test]
    fn keys_are_quoted_exactly_when_toml_needs_it() {
        for (name, written) in [
            ("ivr-2_b", "guests.ivr-2_b.wasm"),
            ("a.b", "guests.\"a.b\".wasm"),
            ("my guest", "guests.\"my guest\".wasm"),
            ("q\"\\", "guests.\"q\\\"\\\\\".wasm"),
            ("é", "guests.\"é\".wasm"),
            ("tab\there", "guests.\"tab\\u0009here\".wasm"),
            ("", "guests.\"\".wasm"),
        ] {
            assert_eq!(wasm_of(name).to_string(), written, "{name:?}");
        }
    }

    #[test]
    fn a_written_path_reads_back_as_its_keys() {
        for name in ["ivr", "a.b", "my guest", "q\"\\", "é", "\u{1}", "x'y", ""] {
            let text = format!("{} = 1", wasm_of(name));
            let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                table["guests"][name]["wasm"].as_integer(),
                Some(1),
                "{text}"
            );
        }
    }

    #[test]
    fn indices_follow_their_key() {
        let rules = KeyPath::from(["routing", "rules"]);
        assert_eq!(rules.index(2).to_string(), "routing.rules[2]");
        assert_eq!(
            rules.index(0).key("headers").key("X Bad").to_string(),
            "routing.rules[0].headers.\"X Bad\""
        );
        assert_eq!(
            KeyPath::from(["m"]).index(1).index(0).to_string(),
            "m[1][0]"
        );
        assert_eq!(KeyPath::default().to_string(), "");
    }

    #[test]
    fn bare_text_is_split_at_dots_and_brackets() {
        let rules = KeyPath::from(["routing", "rules"]);
        assert_eq!(
            KeyPath::bare("routing.rules[1].uri"),
            rules.index(1).key("uri")
        );
        assert_eq!(
            KeyPath::bare("guests.nway.config.rooms.101.pin"),
            KeyPath::from(["guests", "nway", "config", "rooms", "101", "pin"])
        );
        assert_eq!(
            KeyPath::bare("m[1][0]"),
            KeyPath::from(["m"]).index(1).index(0)
        );
        assert_eq!(KeyPath::bare("m[x].y"), KeyPath::from(["m"]));
    }

    #[test]
    fn serde_s_path_keeps_its_keys_and_indices() {
        type File = std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<u8>>>;
        let text = "[guests]\n\"my guest\" = [1, \"two\"]\n";
        let deserializer = toml::Deserializer::parse(text).unwrap();
        let error = serde_path_to_error::deserialize::<_, File>(deserializer).unwrap_err();
        assert_eq!(
            KeyPath::from(error.path()),
            KeyPath::from(["guests", "my guest"]).index(1)
        );
    }
}
