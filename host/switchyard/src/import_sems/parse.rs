//! The SEMS module config format (AmConfigReader): `key=value` lines, `#`
//! comment lines, blank lines, optional double quotes around a value, and a
//! trailing `\` that continues a value on the next line.

/// One `key=value` setting, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// 1-based line number of the key.
    pub line: usize,
    /// The key, trimmed.
    pub key: String,
    /// The value, trimmed and unquoted.
    pub value: String,
}

/// A line that is not a setting, a comment or blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, in words.
    pub problem: String,
}

/// The settings of `text`, in file order (a key set twice is listed twice).
pub fn parse(text: &str) -> Result<Vec<Setting>, Malformed> {
    let mut settings = Vec::new();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line));
    while let Some((number, line)) = lines.next() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let malformed = |problem: String| Malformed {
            line: number,
            problem,
        };
        let Some((key, value)) = line.split_once('=') else {
            return Err(malformed(format!("expected key=value, not {line:?}")));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(malformed(format!("no key before '=' in {line:?}")));
        }
        let mut value = value.trim().to_owned();
        while let Some(continued) = value.strip_suffix('\\') {
            let Some((_, next)) = lines.next() else {
                return Err(malformed(format!(
                    "{key}: the value ends with '\\' but no line follows"
                )));
            };
            value = format!("{continued}{}", next.trim());
        }
        if value.starts_with('"') {
            let Some(unquoted) = value
                .strip_prefix('"')
                .and_then(|rest| rest.strip_suffix('"'))
            else {
                return Err(malformed(format!(
                    "{key}: the value's opening '\"' has no closing '\"'"
                )));
            };
            value = unquoted.to_owned();
        }
        settings.push(Setting {
            line: number,
            key: key.to_owned(),
            value,
        });
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(line: usize, key: &str, value: &str) -> Setting {
        Setting {
            line,
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn comments_and_blank_lines_are_skipped_and_whitespace_trimmed() {
        let text =
            "# a comment\n\n   \n  #indented comment\nkey=value\n  spaced  =  some value  \r\n";
        assert_eq!(
            parse(text).unwrap(),
            [
                setting(5, "key", "value"),
                setting(6, "spaced", "some value")
            ],
        );
    }

    #[test]
    fn quotes_are_removed_once_and_inner_characters_kept() {
        let text = "a=\"with spaces # and hash\"\nb=\"\"\nc=say \"hi\"\nd=\"x=\"y\"\"\ne=x=y\n";
        assert_eq!(
            parse(text).unwrap(),
            [
                setting(1, "a", "with spaces # and hash"),
                setting(2, "b", ""),
                setting(3, "c", "say \"hi\""),
                setting(4, "d", "x=\"y\""),
                setting(5, "e", "x=y"),
            ],
        );
    }

    #[test]
    fn a_trailing_backslash_continues_the_value() {
        let text = "rooms=a:1;\\\n    b:2;\\\n\tc:3\nnext=1\n";
        assert_eq!(
            parse(text).unwrap(),
            [setting(1, "rooms", "a:1;b:2;c:3"), setting(4, "next", "1")],
        );
    }

    #[test]
    fn malformed_lines_are_named_by_number() {
        let cases = [
            (
                "a=1\njust words\n",
                2,
                "expected key=value, not \"just words\"",
            ),
            ("a=1\n\n = 2\n", 3, "no key before '=' in \"= 2\""),
            (
                "a=\"open\n",
                1,
                "a: the value's opening '\"' has no closing '\"'",
            ),
            (
                "a=\"\n",
                1,
                "a: the value's opening '\"' has no closing '\"'",
            ),
            (
                "a=1\nb=x\\",
                2,
                "b: the value ends with '\\' but no line follows",
            ),
        ];
        for (text, line, problem) in cases {
            assert_eq!(
                parse(text),
                Err(Malformed {
                    line,
                    problem: problem.to_owned()
                }),
                "for {text:?}"
            );
        }
    }
}
