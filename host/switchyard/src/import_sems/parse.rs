//! The SEMS module config format, read as SEMS reads it: one `key=value` a
//! line, blank lines and lines starting with `#` skipped, and `@file` lines
//! reading another file in their place.
//!
//! A line is read from its first character that is not a space or tab. The
//! key runs to the first space, tab or `=`, and `=` must follow it (spaces and
//! tabs may stand around the `=`). A value in double quotes runs to the next
//! `"` not right after a `\` (the `\` stays: nothing is unescaped), and what
//! follows the closing quote is ignored; any other value ends at the first
//! space, tab or `#`, so the rest of the line is a comment. A line never
//! continues on the next, and carriage returns are dropped wherever they are.

use super::ImportError;
use std::path::PathBuf;

/// The longest line SEMS reads, in bytes: at a longer one it stops reading
/// the file, silently, so such a line is an error here.
const MAX_LINE_BYTES: usize = 2047;

/// How deep `@file` includes may nest below the file converted. SEMS sets no
/// bound (a cycle never ends there), so any bound is ours.
const MAX_INCLUDE_DEPTH: usize = 8;

/// The key that, as SEMS reads it, moves where later includes' relative
/// names are looked up.
const PLUGIN_CONFIG_PATH: &str = "plugin_config_path";

/// One `key=value` setting, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The file it is in: the file converted, as named, or a file it
    /// includes, as its path was resolved.
    pub file: String,
    /// 1-based line number in `file`.
    pub line: usize,
    /// Its place among all the settings read, included files in place: 0
    /// for the first.
    pub index: usize,
    /// The key.
    pub key: String,
    /// The value, unquoted.
    pub value: String,
}

/// The settings of `text`, the file `file` (as named on the command line), in
/// reading order with each included file's in place of its `@` line (a key
/// set twice is listed twice). A relative include name is looked up, as SEMS
/// does, in its plugin_config_path, which is where it reads `file` from:
/// `file`'s directory, until a `plugin_config_path` key sets another. The
/// error names the file and line of a line SEMS would not take, of an include
/// that cannot be read, or of one that nests too deep or forms a cycle.
pub fn parse(file: &str, text: &str) -> Result<Vec<Setting>, ImportError> {
    let mut reader = Reader {
        settings: Vec::new(),
        include_base: directory_of(file),
        reading: Vec::new(),
    };
    reader.read(file, text)?;
    Ok(reader.settings)
}

/// `file`'s directory with its trailing `/` (`./` for a bare name).
fn directory_of(file: &str) -> String {
    match file.rfind('/') {
        Some(slash) => file[..=slash].to_owned(),
        None => "./".to_owned(),
    }
}

/// What a path names, for telling whether a file is already being read: its
/// canonical path when it has one.
fn identity(path: &str) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path))
}

/// Reads a file and those it includes into `settings`.
struct Reader {
    settings: Vec<Setting>,
    /// What a relative include name is appended to (as a string, as SEMS
    /// does): see [`parse`].
    include_base: String,
    /// The files being read, outermost first, by [`identity`].
    reading: Vec<PathBuf>,
}

impl Reader {
    /// Reads `text`, the file `file`.
    fn read(&mut self, file: &str, text: &str) -> Result<(), ImportError> {
        self.reading.push(identity(file));
        for (index, raw) in text.split('\n').enumerate() {
            let line = index + 1;
            let located = |problem| ImportError {
                file: file.to_owned(),
                line: Some(line),
                problem,
            };
            match read_line(raw).map_err(located)? {
                Line::Nothing => {}
                Line::Include(name) => self.include(file, line, &name)?,
                Line::Setting { key, value } => self.push(file, line, key, value),
            }
        }
        self.reading.pop();
        Ok(())
    }

    fn push(&mut self, file: &str, line: usize, key: String, value: String) {
        if key == PLUGIN_CONFIG_PATH {
            self.include_base = value.clone();
        }
        self.settings.push(Setting {
            file: file.to_owned(),
            line,
            index: self.settings.len(),
            key,
            value,
        });
    }

    /// Reads the file `name` names, included on `line` of `file`.
    fn include(&mut self, file: &str, line: usize, name: &str) -> Result<(), ImportError> {
        let relative = !name.starts_with('/');
        let path = if relative {
            format!("{}{name}", self.include_base)
        } else {
            name.to_owned()
        };
        let located = |problem: String| ImportError {
            file: file.to_owned(),
            line: Some(line),
            problem: format!("@{name}: {problem}"),
        };
        if self.reading.len() > MAX_INCLUDE_DEPTH {
            return Err(located(format!(
                "includes nest more than {MAX_INCLUDE_DEPTH} files deep"
            )));
        }
        if self.reading.contains(&identity(&path)) {
            return Err(located(format!(
                "{path} is already being read: the includes form a cycle"
            )));
        }
        let bytes = std::fs::read(&path).map_err(|e| {
            let looked_up = if relative {
                format!(
                    " (a relative name is looked up in SEMS's plugin_config_path, here {:?})",
                    self.include_base
                )
            } else {
                String::new()
            };
            located(format!("cannot read {path}: {e}{looked_up}"))
        })?;
        let text = super::text(&path, bytes)?;
        self.read(&path, &text)
    }
}

/// What one line holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// Nothing: a blank line, or a comment.
    Nothing,
    /// `@name`: the lines of the file named, read in its place.
    Include(String),
    /// `key=value`.
    Setting { key: String, value: String },
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn skip_spaces(text: &str) -> &str {
    text.trim_start_matches(is_space)
}

/// `raw`, one line without its line feed, as SEMS reads it; else why SEMS
/// would not take it.
fn read_line(raw: &str) -> Result<Line, String> {
    let line: String = raw.chars().filter(|&c| c != '\r').collect();
    if line.len() > MAX_LINE_BYTES {
        return Err(format!(
            "longer than the {MAX_LINE_BYTES} bytes SEMS reads of a line (SEMS stops reading \
             the file there)"
        ));
    }
    if line.contains('\0') {
        return Err("holds a NUL byte, where SEMS would end the line".to_owned());
    }
    let start = skip_spaces(&line);
    if start.is_empty() || start.starts_with('#') {
        return Ok(Line::Nothing);
    }
    match start.strip_prefix('@') {
        Some(include) => include_name(include).map(Line::Include),
        None => setting(start),
    }
}

/// The file name of an `@` line, from what follows the `@`: after any spaces
/// and tabs, its first character whatever it is, then up to a space, tab or
/// `#`.
fn include_name(after_at: &str) -> Result<String, String> {
    let name = skip_spaces(after_at);
    let Some(first) = name.chars().next() else {
        return Err("'@' names no file to include".to_owned());
    };
    let rest = &name[first.len_utf8()..];
    let end = rest.find(|c| is_space(c) || c == '#').unwrap_or(rest.len());
    Ok(name[..first.len_utf8() + end].to_owned())
}

/// A `key=value` line, from its key on.
fn setting(line: &str) -> Result<Line, String> {
    let shown = line.trim_end_matches(is_space);
    let key_end = line.find(|c| c == '=' || is_space(c)).unwrap_or(line.len());
    let (key, rest) = line.split_at(key_end);
    if key.is_empty() {
        return Err(format!("no key before '=' in {shown:?}"));
    }
    let Some(rest) = skip_spaces(rest).strip_prefix('=') else {
        return Err(format!("expected key=value, not {shown:?}"));
    };
    let rest = skip_spaces(rest);
    let value = match rest.strip_prefix('"') {
        Some(quoted) => quoted_value(quoted)
            .ok_or_else(|| format!("{key}: the value's opening '\"' has no closing '\"'"))?,
        None => &rest[..rest.find(|c| is_space(c) || c == '#').unwrap_or(rest.len())],
    };
    Ok(Line::Setting {
        key: key.to_owned(),
        value: value.to_owned(),
    })
}

/// The value inside quotes, from what follows the opening `"`: up to the
/// first `"` not right after a `\`. None when there is no such `"`.
fn quoted_value(after_quote: &str) -> Option<&str> {
    let mut previous = None;
    for (at, c) in after_quote.char_indices() {
        if c == '"' && previous != Some('\\') {
            return Some(&after_quote[..at]);
        }
        previous = Some(c);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(key: &str, value: &str) -> Line {
        Line::Setting {
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    /// `(line, key, value)` of each setting of `text`, a file with no includes.
    fn settings(text: &str) -> Vec<(usize, String, String)> {
        parse("webconference.conf", text)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|s| (s.line, s.key, s.value))
            .collect()
    }

    #[test]
    fn comments_and_blank_lines_are_skipped_and_spaces_around_the_equals_sign_too() {
        let text = "# a comment\n\n   \n  #indented comment\nkey=value\n \tspaced\t =  value  \r\n";
        assert_eq!(
            settings(text),
            [
                (5, "key".to_owned(), "value".to_owned()),
                (6, "spaced".to_owned(), "value".to_owned()),
            ],
        );
    }

    #[test]
    fn an_unquoted_value_ends_at_a_space_tab_or_hash() {
        for (line, value) in [
            ("private_rooms=yes # invited only", "yes"),
            ("master_password=s3cret # gui", "s3cret"),
            ("lonely_user_timer=120\t# 2 min", "120"),
            ("master_password=s3cret#gui", "s3cret"),
            ("master_password=two words", "two"),
            ("master_password=", ""),
            ("master_password= # none", ""),
            ("e=x=y", "x=y"),
            ("c=say \"hi\"", "say"),
            ("master_password=abc\\", "abc\\"),
            ("a=x\ry", "xy"),
        ] {
            let key = line.split('=').next().unwrap();
            assert_eq!(read_line(line), Ok(setting(key, value)), "for {line:?}");
        }
    }

    #[test]
    fn a_quoted_value_ends_at_its_closing_quote_and_keeps_its_backslashes() {
        for (line, value) in [
            ("a=\"with spaces # and hash\"", "with spaces # and hash"),
            ("a=\"\"", ""),
            ("a=\"x\" # comment", "x"),
            ("a=\"x\"y z", "x"),
            ("a=\"very \\\"secret\\\" #1\"", "very \\\"secret\\\" #1"),
            ("a=\"x=\"y\"\"", "x="),
            ("a = \t\"q\"", "q"),
        ] {
            assert_eq!(read_line(line), Ok(setting("a", value)), "for {line:?}");
        }
    }

    #[test]
    fn a_trailing_backslash_does_not_continue_the_value() {
        assert_eq!(
            settings("master_password=abc\\\nprivate_rooms=yes\n"),
            [
                (1, "master_password".to_owned(), "abc\\".to_owned()),
                (2, "private_rooms".to_owned(), "yes".to_owned()),
            ],
        );
    }

    #[test]
    fn lines_sems_would_not_take_are_named_by_number() {
        let cases = [
            (
                "a=1\njust words\n",
                2,
                "expected key=value, not \"just words\"",
            ),
            ("a=1\n\n = 2\n", 3, "no key before '=' in \"= 2\""),
            (
                "key value=1\n",
                1,
                "expected key=value, not \"key value=1\"",
            ),
            (
                "key # comment\n",
                1,
                "expected key=value, not \"key # comment\"",
            ),
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
                "a=\"ends in a backslash\\\"\n",
                1,
                "a: the value's opening '\"' has no closing '\"'",
            ),
            ("a=1\n@\n", 2, "'@' names no file to include"),
            (
                "a=\0\n",
                1,
                "holds a NUL byte, where SEMS would end the line",
            ),
        ];
        for (text, line, problem) in cases {
            assert_eq!(
                parse("webconference.conf", text),
                Err(ImportError {
                    file: "webconference.conf".to_owned(),
                    line: Some(line),
                    problem: problem.to_owned()
                }),
                "for {text:?}"
            );
        }
        let long = format!("a=1\npredefined_rooms={}\n", "r:1;".repeat(600));
        let error = parse("webconference.conf", &long).unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(
            error.problem.starts_with("longer than the 2047 bytes"),
            "{error}"
        );
        let longest = format!("a={}", "x".repeat(MAX_LINE_BYTES - 2));
        assert!(read_line(&longest).is_ok());
    }

    #[test]
    fn an_include_name_runs_from_after_the_at_sign_to_a_space_tab_or_hash() {
        for (line, name) in [
            ("@extra.conf", "extra.conf"),
            ("  @ \t/etc/sems/extra.conf # more", "/etc/sems/extra.conf"),
            ("@extra.conf\tignored", "extra.conf"),
            ("@#odd", "#odd"),
        ] {
            assert_eq!(
                read_line(line),
                Ok(Line::Include(name.to_owned())),
                "for {line:?}"
            );
        }
    }

    /// Writes `files` (name, text) into a new directory.
    fn files(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    /// `(file name, line, key=value)` of each setting read from `main` in
    /// `dir`; else the error, with `dir`'s path left out of the file it names.
    fn read(dir: &tempfile::TempDir, main: &str) -> Result<Vec<(String, usize, String)>, String> {
        let file = dir.path().join(main).display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let settings = parse(&file, &text).map_err(|e| {
            let name = e.file.rsplit('/').next().unwrap().to_owned();
            format!("{name}:{}: {}", e.line.unwrap(), e.problem)
        })?;
        Ok(settings
            .into_iter()
            .map(|s| {
                let name = s.file.rsplit('/').next().unwrap().to_owned();
                (name, s.line, format!("{}={}", s.key, s.value))
            })
            .collect())
    }

    #[test]
    fn an_include_is_read_in_place_from_the_directory_of_the_file_converted() {
        let dir = files(&[
            ("webconference.conf", "a=1\n@timers.conf\nb=2\n"),
            ("timers.conf", "# timers\nc=3\n@nested.conf # nested\n"),
            ("nested.conf", "d=4\n"),
        ]);
        assert_eq!(
            read(&dir, "webconference.conf").unwrap(),
            [
                ("webconference.conf".to_owned(), 1, "a=1".to_owned()),
                ("timers.conf".to_owned(), 2, "c=3".to_owned()),
                ("nested.conf".to_owned(), 1, "d=4".to_owned()),
                ("webconference.conf".to_owned(), 3, "b=2".to_owned()),
            ]
        );
        let absolute = dir.path().join("nested.conf").display().to_string();
        std::fs::write(dir.path().join("abs.conf"), format!("@{absolute}\n")).unwrap();
        assert_eq!(
            read(&dir, "abs.conf").unwrap(),
            [("nested.conf".to_owned(), 1, "d=4".to_owned())]
        );
    }

    #[test]
    fn plugin_config_path_moves_where_later_includes_are_looked_up() {
        let dir = files(&[("webconference.conf", "")]);
        let other = files(&[("extra.conf", "e=5\n")]);
        std::fs::write(
            dir.path().join("webconference.conf"),
            format!(
                "plugin_config_path={}/\n@extra.conf\n",
                other.path().display()
            ),
        )
        .unwrap();
        let read = read(&dir, "webconference.conf").unwrap();
        assert_eq!(read[1], ("extra.conf".to_owned(), 1, "e=5".to_owned()));
    }

    #[test]
    fn a_missing_include_a_cycle_and_too_deep_a_nesting_are_errors_at_their_line() {
        let dir = files(&[
            ("missing.conf", "a=1\n@nowhere.conf\n"),
            ("loop.conf", "a=1\n@back.conf\n"),
            ("back.conf", "\n\n@loop.conf\n"),
            ("self.conf", "@self.conf\n"),
            ("bad.conf", "@worse.conf\n"),
            ("worse.conf", "ok=1\nno equals\n"),
        ]);
        let d = dir.path().display();
        let missing = read(&dir, "missing.conf").unwrap_err();
        let looked_up =
            format!("(a relative name is looked up in SEMS's plugin_config_path, here \"{d}/\")");
        assert!(
            missing.starts_with(&format!(
                "missing.conf:2: @nowhere.conf: cannot read {d}/nowhere.conf: "
            )) && missing.ends_with(&looked_up),
            "{missing}"
        );
        assert_eq!(
            read(&dir, "loop.conf").unwrap_err(),
            format!(
                "back.conf:3: @loop.conf: {d}/loop.conf is already being read: the includes \
                 form a cycle"
            )
        );
        assert_eq!(
            read(&dir, "self.conf").unwrap_err(),
            format!(
                "self.conf:1: @self.conf: {d}/self.conf is already being read: the includes \
                 form a cycle"
            )
        );
        assert_eq!(
            read(&dir, "bad.conf").unwrap_err(),
            "worse.conf:2: expected key=value, not \"no equals\""
        );
        let deep = files(&[]);
        for depth in 0..=MAX_INCLUDE_DEPTH + 1 {
            let next = format!("@{}.conf\n", depth + 1);
            std::fs::write(deep.path().join(format!("{depth}.conf")), next).unwrap();
        }
        assert_eq!(
            read(&deep, "0.conf").unwrap_err(),
            format!(
                "{MAX_INCLUDE_DEPTH}.conf:1: @{}.conf: includes nest more than \
                 {MAX_INCLUDE_DEPTH} files deep",
                MAX_INCLUDE_DEPTH + 1
            )
        );
    }
}
