//! The SEMS module config format, read as SEMS up to sipwise mr26.0 reads it:
//! one `key=value` a line, blank lines and lines starting with `#` skipped,
//! and `@file` lines reading another file in their place.
//!
//! A line is read from its first character that is not a space or tab. The
//! key runs to the first space, tab or `=`, and `=` must follow it (spaces and
//! tabs may stand around the `=`). A value in double quotes runs to the next
//! `"` not right after a `\` (the `\` stays: nothing is unescaped), and what
//! follows the closing quote is ignored; any other value ends at the first
//! space, tab or `#`, so the rest of the line is a comment. A line never
//! continues on the next, and carriage returns are dropped wherever they are.
//!
//! The config reader of sipwise SEMS mr26.1 and later reads otherwise: the
//! key runs to the first `=`, less one space before it; the value is the rest
//! of the line, `#` included, less one space after the `=` (and less its first
//! and last characters when it starts with `"`), carriage returns kept; a
//! line with nothing after its `=` leaves the key unset (`key= ` and
//! `key=""` set it empty, as the older reader does); a value ending in `\`
//! continues on the next line; `@file` lines are ignored. Each line the two
//! read differently is a [`Difference`], but for the carriage return ending
//! an unquoted value (CR LF line ends): only a file's first setting line
//! ending in one is, which says so of every other. A quoted value's line ending in one is a
//! [`Difference`] of its own, as the newer reader drops the carriage return
//! in place of the closing quote, which stays.

use super::ImportError;
use crate::config::MAX_CONFIG_BYTES;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The longest line sipwise SEMS up to mr26.0 reads, in bytes (its
/// `MAX_CONFIG_LINE` of 4096): at a longer one it stops reading the file,
/// silently, so such a line is an error here.
const MAX_LINE_BYTES: usize = 4095;

/// The longest line upstream SEMS reads, in bytes (`MAX_CONFIG_LINE` 2048):
/// a longer one is a [`Difference`], as it stops reading the file there.
const UPSTREAM_MAX_LINE_BYTES: usize = 2047;

/// How deep `@file` includes may nest below the file converted. SEMS sets no
/// bound (a cycle never ends there), so any bound is ours.
const MAX_INCLUDE_DEPTH: usize = 8;

/// The most lines read in all, the file converted and every file it includes
/// (each time it is included) together: far above any real config, it keeps
/// a file of short lines, or includes that fan out (a file including another
/// many times, which does the same), from taking unbounded time and memory.
/// SEMS sets no bound.
const MAX_TOTAL_LINES: usize = 100_000;

/// The most bytes read in all, counted as [`MAX_TOTAL_LINES`] counts lines:
/// 16 MiB, the most one file may hold, so that includes cannot multiply it
/// (100,000 lines of 4,095 bytes would be 400 MB); an include is read no
/// further than the bound leaves. SEMS sets no bound.
const MAX_TOTAL_BYTES: usize = MAX_CONFIG_BYTES as usize;

/// What the error at the line past [`MAX_TOTAL_LINES`] or
/// [`MAX_TOTAL_BYTES`] says after the bound.
const TOTAL_READ: &str = "read in all, the file converted and the files it includes together \
                          (each as often as it is included): a bound of the converter's, far \
                          above any real config (SEMS sets none)";

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

/// A line that sipwise SEMS mr26.1 and later, or upstream SEMS, read
/// otherwise than [`parse`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The file it is in (as [`Setting::file`]).
    pub file: String,
    /// 1-based line number in `file`.
    pub line: usize,
    /// Where it goes among the settings: the [`Setting::index`] of the
    /// setting on its line, or of the first one after an `@` line.
    pub index: usize,
    /// What the line sets or includes: its key, or `@` and the file's name.
    pub subject: String,
    /// What is used, and how the newer SEMS reads the line, in words.
    pub text: String,
    /// What the newer SEMS reads in place of the empty value the older
    /// reads, when that is all that differs.
    pub empty: Option<EmptyRead>,
}

/// What sipwise SEMS mr26.1 and later read of a line on which older SEMS
/// read an empty value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyRead {
    /// No value, nothing following the `=`: the key is unset there, a
    /// difference only for a key whose empty value SEMS reads otherwise
    /// than no value.
    Unset,
    /// The carriage return ending the line, `"\r"`: the value is not empty
    /// there.
    CarriageReturn,
}

/// What [`parse`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The settings, in reading order.
    pub settings: Vec<Setting>,
    /// The lines sipwise SEMS mr26.1 and later read otherwise, in reading order.
    pub differences: Vec<Difference>,
}

/// The settings of `text`, the bytes of the file `file` (as named on the
/// command line), in reading order with each included file's in place of its
/// `@` line (a key set twice is listed twice), and the lines newer SEMS reads
/// otherwise. A relative include name is looked up, as SEMS
/// does, in its plugin_config_path, which is where it reads `file` from:
/// `file`'s directory, until a `plugin_config_path` key sets another. The
/// error names the file and line of a line SEMS would not take, of an include
/// that cannot be read, or of one that nests too deep or forms a cycle, or of
/// the line past [`MAX_TOTAL_LINES`] or [`MAX_TOTAL_BYTES`].
pub fn parse(file: &str, text: &[u8]) -> Result<Parsed, ImportError> {
    let mut reader = Reader {
        parsed: Parsed {
            settings: Vec::new(),
            differences: Vec::new(),
        },
        include_base: directory_of(file),
        reading: Vec::new(),
        lines_read: 0,
        bytes_read: 0,
    };
    reader.read(file, text)?;
    Ok(reader.parsed)
}

/// The lines of `text`, each with its line feed if it has one: none for an
/// empty text, and no empty line after a final line feed.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split_inclusive(|&b| b == b'\n')
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

/// Reads a file and those it includes into `parsed`.
struct Reader {
    parsed: Parsed,
    /// What a relative include name is appended to (as a string, as SEMS
    /// does): see [`parse`].
    include_base: String,
    /// The files being read, outermost first, by [`identity`].
    reading: Vec<PathBuf>,
    /// The lines read so far, in all files: see [`MAX_TOTAL_LINES`].
    lines_read: usize,
    /// The bytes read so far, in all files: see [`MAX_TOTAL_BYTES`].
    bytes_read: usize,
}

impl Reader {
    /// Reads `text`, the bytes of the file `file`.
    fn read(&mut self, file: &str, text: &[u8]) -> Result<(), ImportError> {
        self.reading.push(identity(file));
        let mut returns_noted = false;
        for (index, with_feed) in lines(text).enumerate() {
            let line = index + 1;
            let located = |problem| ImportError {
                file: file.to_owned(),
                line: Some(line),
                problem,
            };
            self.count_line(with_feed.len()).map_err(located)?;
            let bytes = with_feed.strip_suffix(b"\n").unwrap_or(with_feed);
            // Measured before decoding, which turns each byte that is not
            // UTF-8 into the 3 bytes of U+FFFD.
            let length = line_bytes(bytes).map_err(located)?;
            let raw = super::line_text(bytes).map_err(located)?;
            let read = read_line(&raw).map_err(located)?;
            if length > UPSTREAM_MAX_LINE_BYTES {
                let subject = match &read {
                    Line::Nothing => "#".to_owned(),
                    Line::Include(name) => format!("@{name}"),
                    Line::Setting { key, .. } => key.clone(),
                };
                self.differs(file, line, subject, UPSTREAM_STOPS.to_owned(), None);
            }
            match read {
                Line::Nothing => {}
                Line::Include(name) => {
                    self.differs(
                        file,
                        line,
                        format!("@{name}"),
                        INCLUDE_DIFFERS.to_owned(),
                        None,
                    );
                    self.include(file, line, &name)?;
                }
                Line::Setting {
                    key,
                    value,
                    differs,
                    kept_return,
                } => {
                    if let Some(text) = kept_return.filter(|_| !returns_noted) {
                        returns_noted = true;
                        self.differs(file, line, key.clone(), text, None);
                    }
                    if let Some(Differs { text, empty }) = differs {
                        self.differs(file, line, key.clone(), text, empty);
                    }
                    self.push(file, line, key, value);
                }
            }
        }
        self.reading.pop();
        Ok(())
    }

    /// Counts one more line read, of `bytes` bytes (its line feed
    /// included); an error once more than [`MAX_TOTAL_LINES`] lines or
    /// [`MAX_TOTAL_BYTES`] bytes are.
    fn count_line(&mut self, bytes: usize) -> Result<(), String> {
        self.lines_read += 1;
        self.bytes_read += bytes;
        if self.lines_read > MAX_TOTAL_LINES {
            return Err(format!("more than {MAX_TOTAL_LINES} lines {TOTAL_READ}"));
        }
        if self.bytes_read > MAX_TOTAL_BYTES {
            return Err(format!(
                "more than {} MiB ({MAX_TOTAL_BYTES} bytes) {TOTAL_READ}",
                MAX_TOTAL_BYTES >> 20
            ));
        }
        Ok(())
    }

    fn push(&mut self, file: &str, line: usize, key: String, value: String) {
        if key == PLUGIN_CONFIG_PATH {
            self.include_base = value.clone();
        }
        let settings = &mut self.parsed.settings;
        settings.push(Setting {
            file: file.to_owned(),
            line,
            index: settings.len(),
            key,
            value,
        });
    }

    /// Line `line` of `file`, on `subject`, is read otherwise by newer SEMS,
    /// as `text` and `empty` say.
    fn differs(
        &mut self,
        file: &str,
        line: usize,
        subject: String,
        text: String,
        empty: Option<EmptyRead>,
    ) {
        self.parsed.differences.push(Difference {
            file: file.to_owned(),
            line,
            index: self.parsed.settings.len(),
            subject,
            text,
            empty,
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
        let bytes = self.read_within_bound(Path::new(&path)).map_err(|e| {
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
        self.read(&path, &bytes)
    }

    /// The bytes of the file at `path`, at most one more than
    /// [`MAX_TOTAL_BYTES`] leaves to read: enough for
    /// [`count_line`](Self::count_line) to find the line past the bound,
    /// and no more held.
    fn read_within_bound(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let left = MAX_TOTAL_BYTES.saturating_sub(self.bytes_read);
        let mut bytes = Vec::new();
        std::fs::File::open(path)?
            .take(left as u64 + 1)
            .read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// What `lossy`, a line that held bytes that are not UTF-8 decoded with each
/// such sequence as U+FFFD, sets with one in its key or value: the key, or
/// `@` and the name of the file it includes. None for a comment, a line
/// whose key and value are whole, and a line SEMS would not take (which
/// [`parse`] reports).
pub fn replaced_in(lossy: &str) -> Option<String> {
    let replaced = |text: &str| text.contains(char::REPLACEMENT_CHARACTER);
    match read_line(lossy).ok()? {
        Line::Include(name) if replaced(&name) => Some(format!("@{name}")),
        Line::Setting { key, value, .. } if replaced(&key) || replaced(&value) => Some(key),
        _ => None,
    }
}

/// What one line holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// Nothing: a blank line, or a comment.
    Nothing,
    /// `@name`: the lines of the file named, read in its place.
    Include(String),
    /// `key=value`; `differs` says how sipwise SEMS mr26.1 and later read
    /// the line otherwise, if they do, but for a carriage return they keep
    /// ending the value; `kept_return` says what they read of a line ending
    /// in a carriage return, if it does.
    Setting {
        key: String,
        value: String,
        differs: Option<Differs>,
        kept_return: Option<String>,
    },
}

/// How newer SEMS reads a line otherwise: in words, and what it reads in
/// place of an empty value when that is all ([`Difference::empty`]).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Differs {
    text: String,
    empty: Option<EmptyRead>,
}

/// What an `@` line's [`Difference`] says.
const INCLUDE_DIFFERS: &str = "the file's lines are read in this line's place, as SEMS up to \
                               sipwise mr26.0 reads them; sipwise SEMS mr26.1 and later have no \
                               includes and ignore this line";

/// What the [`Difference`] of a line too long for upstream SEMS says.
const UPSTREAM_STOPS: &str = "longer than the 2047 bytes upstream SEMS reads of a line: it \
                              stops reading the file there, silently (sipwise SEMS reads lines \
                              of up to 4095 bytes)";

/// How many bytes of `raw`, one line without its line feed, SEMS keeps: all
/// but its carriage returns; else why SEMS would not take it.
fn line_bytes(raw: &[u8]) -> Result<usize, String> {
    let length = raw.iter().filter(|&&b| b != b'\r').count();
    if length > MAX_LINE_BYTES {
        return Err(format!(
            "longer than the {MAX_LINE_BYTES} bytes SEMS reads of a line (SEMS stops reading \
             the file there)"
        ));
    }
    Ok(length)
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn skip_spaces(text: &str) -> &str {
    text.trim_start_matches(is_space)
}

/// `raw`, one line without its line feed and of a length SEMS reads (see
/// [`line_bytes`]), as SEMS reads it; else why SEMS would not take it.
fn read_line(raw: &str) -> Result<Line, String> {
    let line: String = raw.chars().filter(|&c| c != '\r').collect();
    if line.contains('\0') {
        return Err("holds a NUL byte, where SEMS would end the line".to_owned());
    }
    let start = skip_spaces(&line);
    if start.is_empty() || start.starts_with('#') {
        return Ok(Line::Nothing);
    }
    match start.strip_prefix('@') {
        Some(include) => include_name(include).map(Line::Include),
        None => {
            let (key, value) = setting(start)?;
            Ok(Line::Setting {
                key: key.to_owned(),
                value: value.to_owned(),
                differs: differs(raw, key, value),
                kept_return: raw.ends_with('\r').then(|| kept_return(raw, value)),
            })
        }
    }
}

/// How sipwise SEMS mr26.1 and later read `raw`, a `key=value` line whole
/// but for its line feed, where it differs from `key` and `value`, as read
/// here; `None` when they read it alike. A carriage return they keep ending
/// the value is left to [`kept_return`], one note a file saying it of every
/// line, but for the value it makes of an empty one, a difference of its own.
fn differs(raw: &str, key: &str, value: &str) -> Option<Differs> {
    let used = format!("{value:?} is used, as SEMS up to sipwise mr26.0 reads it");
    let differs = |text, empty| Some(Differs { text, empty });
    if raw.ends_with('\\') {
        return differs(
            format!(
                "{used}, the next line a line of its own; sipwise SEMS mr26.1 and later drop \
                 the final '\\' and take the next line as the rest of the value"
            ),
            None,
        );
    }
    let (newer_key, newer_value) = newer_reading(raw);
    if newer_key != key {
        return differs(
            format!(
                "{used}; sipwise SEMS mr26.1 and later read the key as {newer_key:?}, so this \
                 line does not set {key} there"
            ),
            None,
        );
    }
    let Some(newer_value) = newer_value else {
        // Nothing follows the '=', so `value` is empty too.
        return differs(
            format!(
                "{used}; sipwise SEMS mr26.1 and later leave {key} unset when nothing follows \
                 the '=', so its default applies there"
            ),
            Some(EmptyRead::Unset),
        );
    };
    let kept_return = newer_value.ends_with('\r');
    let compared = newer_value.strip_suffix('\r').unwrap_or(newer_value);
    if compared == value {
        // Alike but for a kept carriage return, which leaves only an empty
        // value otherwise read.
        return (kept_return && value.is_empty()).then(|| Differs {
            text: format!(
                "{used}; this line ends in a carriage return, which sipwise SEMS mr26.1 and \
                 later keep as the value, \"\\r\", so {key} is not empty there"
            ),
            empty: Some(EmptyRead::CarriageReturn),
        });
    }
    // The reader drops a quoted value's last character, here the line's
    // carriage return, not its closing quote.
    let dropped_return = if raw.ends_with('\r') && !kept_return {
        " (this line's final carriage return is the character they drop in place of the \
         closing quote, which stays)"
    } else {
        ""
    };
    differs(
        format!(
            "{used}; sipwise SEMS mr26.1 and later read the value to the end of the line, \
             {newer_value:?}{dropped_return}"
        ),
        None,
    )
}

/// What the [`Difference`] of a file's first setting line ending in a
/// carriage return says: `raw` is that line (the carriage return included),
/// `value` what is read here.
fn kept_return(raw: &str, value: &str) -> String {
    let newer = newer_reading(raw).1.unwrap_or_default();
    format!(
        "{value:?} is used, as SEMS up to sipwise mr26.0 reads it; this line ends in a \
         carriage return (CR LF line ends), as any other of this file may: sipwise SEMS \
         mr26.1 and later read its value as {newer:?}, keeping the carriage return in an \
         unquoted value (a number written is read alike, its reading ending there, but an \
         empty value is not empty, a yes or no is not read as one, and a text keeps it) and \
         dropping it in place of a quoted \
         value's closing quote, which stays; convert the file to LF line ends for them"
    )
}

/// The key and value sipwise SEMS mr26.1 and later read from `line`, a
/// `key=value` line that does not end in `\\`: see the module docs. No
/// value when nothing follows the first `=`, which leaves the key unset
/// there (their `getline` for the value fails, reading nothing).
fn newer_reading(line: &str) -> (&str, Option<&str>) {
    let (key, value) = line.split_once('=').unwrap_or((line, ""));
    let key = key.strip_suffix(' ').unwrap_or(key);
    if value.is_empty() {
        return (key, None);
    }
    let value = value.strip_prefix(' ').unwrap_or(value);
    let value = match value.strip_prefix('"') {
        Some(quoted) => {
            let mut inside = quoted.chars();
            inside.next_back();
            inside.as_str()
        }
        None => value,
    };
    (key, Some(value))
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

/// The key and value of a `key=value` line, from its key on.
fn setting(line: &str) -> Result<(&str, &str), String> {
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
    Ok((key, value))
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
    use std::io::Write as _;
    use std::sync::mpsc;
    use std::time::Duration;

    /// The key and value `line` sets.
    fn key_value(line: &str) -> Result<(String, String), String> {
        match read_line(line)? {
            Line::Setting { key, value, .. } => Ok((key, value)),
            other => Err(format!("{other:?}")),
        }
    }

    /// `(line, subject, text)` of each line of `text` (a file with no
    /// includes) that newer SEMS reads otherwise.
    fn differences(text: &str) -> Vec<(usize, String, String)> {
        parse("webconference.conf", text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"))
            .differences
            .into_iter()
            .map(|d| (d.line, d.subject, d.text))
            .collect()
    }

    /// `(line, key, value)` of each setting of `text`, a file with no includes.
    fn settings(text: &str) -> Vec<(usize, String, String)> {
        parse("webconference.conf", text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"))
            .settings
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
            assert_eq!(
                key_value(line),
                Ok((key.to_owned(), value.to_owned())),
                "for {line:?}"
            );
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
            assert_eq!(
                key_value(line),
                Ok(("a".to_owned(), value.to_owned())),
                "for {line:?}"
            );
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
    fn lines_newer_sems_reads_otherwise_are_listed_with_what_each_reads() {
        let text = "private_rooms=yes # invited only\n\
                    master_password=\"x\" # gui\n\
                    master_password=two words\n\
                    a = 1\n\
                    b=\"q\"\n\
                    predefined_rooms=r1:1;\\\n\
                    g=7\n\
                    c  =  3\n\
                    \x20 d=4\n\
                    e=5   \n\
                    # f=6 \\\n";
        let differences = differences(text);
        let subjects: Vec<(usize, &str)> = differences
            .iter()
            .map(|(line, subject, _)| (*line, subject.as_str()))
            .collect();
        assert_eq!(
            subjects,
            [
                (1, "private_rooms"),
                (2, "master_password"),
                (3, "master_password"),
                (6, "predefined_rooms"),
                (8, "c"),
                (9, "d"),
                (10, "e"),
            ],
            "{differences:#?}"
        );
        let text_of = |line| &differences.iter().find(|d| d.0 == line).unwrap().2;
        assert_eq!(
            text_of(1),
            "\"yes\" is used, as SEMS up to sipwise mr26.0 reads it; sipwise SEMS mr26.1 and \
             later read the value to the end of the line, \"yes # invited only\""
        );
        assert_eq!(
            text_of(6),
            "\"r1:1;\\\\\" is used, as SEMS up to sipwise mr26.0 reads it, the next line a line \
             of its own; sipwise SEMS mr26.1 and later drop the final '\\' and take the next \
             line as the rest of the value"
        );
        assert!(
            text_of(8).contains("read the key as \"c \""),
            "{}",
            text_of(8)
        );
        assert!(
            text_of(9).contains("read the key as \"  d\""),
            "{}",
            text_of(9)
        );
        assert!(text_of(10).ends_with("\"5   \""), "{}", text_of(10));
    }

    #[test]
    fn a_file_with_crlf_line_ends_gets_one_difference_for_them_at_its_first_setting() {
        let text = "# comment\r\nprivate_rooms=yes\r\nmaster_password=abc\\\r\na=1 # c\r\n";
        let differences = differences(text);
        let subjects: Vec<(usize, &str)> = differences
            .iter()
            .map(|(line, subject, _)| (*line, subject.as_str()))
            .collect();
        // Line 3 does not continue there: its '\\' is followed by the CR.
        assert_eq!(
            subjects,
            [(2, "private_rooms"), (4, "a")],
            "{differences:#?}"
        );
        assert!(
            differences[0]
                .2
                .contains("read its value as \"yes\\r\", keeping the carriage return"),
            "{}",
            differences[0].2
        );
        assert!(
            differences[1]
                .2
                .ends_with("to the end of the line, \"1 # c\\r\""),
            "{}",
            differences[1].2
        );
    }

    #[test]
    fn a_quoted_value_on_a_crlf_line_is_a_difference_of_its_own_with_its_closing_quote_kept() {
        let text = "master_password=\"s3cret\"\r\nprivate_rooms=yes\r\nb=\"q\"\r\nc=\r\n";
        let differences = differences(text);
        let subjects: Vec<(usize, &str)> = differences
            .iter()
            .map(|(line, subject, _)| (*line, subject.as_str()))
            .collect();
        // Line 2's kept carriage return is the file's note; line 4's empty
        // value is "\r" there, not unset, a difference of its own.
        assert_eq!(
            subjects,
            [
                (1, "master_password"),
                (1, "master_password"),
                (3, "b"),
                (4, "c")
            ],
            "{differences:#?}"
        );
        assert!(
            differences[0]
                .2
                .contains("read its value as \"s3cret\\\"\", keeping the carriage return"),
            "{}",
            differences[0].2
        );
        assert_eq!(
            differences[2].2,
            "\"q\" is used, as SEMS up to sipwise mr26.0 reads it; sipwise SEMS mr26.1 and \
             later read the value to the end of the line, \"q\\\"\" (this line's final \
             carriage return is the character they drop in place of the closing quote, which \
             stays)"
        );
    }

    #[test]
    fn an_empty_value_on_a_crlf_line_is_a_difference_of_its_own_as_newer_sems_keeps_the_return() {
        let parsed = parse("webconference.conf", b"a=1\r\nb=\r\nc= \r\nd=2\r\ne=\n").unwrap();
        let read: Vec<(usize, &str, Option<EmptyRead>)> = parsed
            .differences
            .iter()
            .map(|d| (d.line, d.subject.as_str(), d.empty))
            .collect();
        assert_eq!(
            read,
            [
                (1, "a", None),
                (2, "b", Some(EmptyRead::CarriageReturn)),
                (3, "c", Some(EmptyRead::CarriageReturn)),
                (5, "e", Some(EmptyRead::Unset)),
            ],
            "{:#?}",
            parsed.differences
        );
        assert_eq!(
            parsed.differences[1].text,
            "\"\" is used, as SEMS up to sipwise mr26.0 reads it; this line ends in a carriage \
             return, which sipwise SEMS mr26.1 and later keep as the value, \"\\r\", so b is not \
             empty there"
        );
        let file_wide = &parsed.differences[0].text;
        assert!(
            file_wide.contains(
                "(a number written is read alike, its reading ending there, but an empty value \
                 is not empty, "
            ),
            "{file_wide}"
        );
    }

    #[test]
    fn an_include_is_read_no_further_than_the_bound_on_bytes_leaves() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("endless.conf");
        let mkfifo = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(mkfifo.expect("mkfifo (coreutils)").success());
        // Lines of 4,096 bytes up to about 1,000 bytes short of the bound,
        // then the include, which the first of its lines passes.
        let line = format!("#{}\n", "x".repeat(4094));
        let mut text = line.repeat((MAX_TOTAL_BYTES - 1000) / line.len());
        text.push_str("@endless.conf\n");
        let left = MAX_TOTAL_BYTES - text.len();
        // What the include's writer gets taken, until its reader closes it.
        let (taken, taken_by_reader) = mpsc::channel();
        let chunk = line.repeat(16);
        std::thread::spawn(move || {
            let mut pipe = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let mut written = 0;
            while pipe.write_all(chunk.as_bytes()).is_ok() {
                written += chunk.len();
            }
            taken.send(written)
        });
        let main = dir.path().join("main.conf").display().to_string();
        let error = parse(&main, text.as_bytes()).unwrap_err();
        assert_eq!(
            (error.file.rsplit('/').next(), error.line),
            (Some("endless.conf"), Some(1)),
            "{error}"
        );
        assert_eq!(
            error.problem,
            format!("more than 16 MiB (16777216 bytes) {TOTAL_READ}")
        );
        let written = taken_by_reader
            .recv_timeout(Duration::from_secs(5))
            .expect("the include was closed");
        // The pipe holds what was written but not read: 64 KiB by default.
        assert!(
            written < left + (1 << 20),
            "{written} bytes taken where {left} were left to read"
        );
    }

    #[test]
    fn only_nothing_after_the_equals_sign_is_a_difference_that_leaves_the_key_unset() {
        let parsed = parse("webconference.conf", b"a=\nb= \nc=\"\"\nd=  \ne = \n").unwrap();
        let read: Vec<(usize, Option<EmptyRead>)> = parsed
            .differences
            .iter()
            .map(|d| (d.line, d.empty))
            .collect();
        // b and c are set empty there too; d's value is one space there.
        assert_eq!(
            read,
            [(1, Some(EmptyRead::Unset)), (4, None)],
            "{:#?}",
            parsed.differences
        );
        assert!(
            parsed.differences[0].text.ends_with(
                "leave a unset when nothing follows the '=', so its default applies there"
            ),
            "{}",
            parsed.differences[0].text
        );
    }

    #[test]
    fn an_include_line_is_listed_as_one_newer_sems_ignores() {
        let dir = files(&[
            ("main.conf", "a=1\n@extra.conf\nb=2\n"),
            ("extra.conf", "c=3\n"),
        ]);
        let file = dir.path().join("main.conf").display().to_string();
        let parsed = parse(&file, b"a=1\n@extra.conf\nb=2\n").unwrap();
        let [include] = &parsed.differences[..] else {
            panic!("{:?}", parsed.differences);
        };
        assert_eq!(
            (include.line, include.index, include.subject.as_str()),
            (2, 1, "@extra.conf")
        );
        assert!(
            include.text.ends_with("ignore this line"),
            "{}",
            include.text
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
                parse("webconference.conf", text.as_bytes()),
                Err(ImportError {
                    file: "webconference.conf".to_owned(),
                    line: Some(line),
                    problem: problem.to_owned()
                }),
                "for {text:?}"
            );
        }
        let long = format!("a=1\npredefined_rooms={}\n", "r:1;".repeat(1100));
        let error = parse("webconference.conf", long.as_bytes()).unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(
            error.problem.starts_with("longer than the 4095 bytes"),
            "{error}"
        );
        let longest = format!("a={}", "x".repeat(MAX_LINE_BYTES - 2));
        assert!(parse("webconference.conf", longest.as_bytes()).is_ok());
    }

    #[test]
    fn a_line_only_sipwise_sems_reads_whole_is_read_with_a_difference() {
        let rooms = "r:1;".repeat(750);
        let text = format!("predefined_rooms={rooms}\n# {}\n", "x".repeat(2100));
        let parsed = parse("webconference.conf", text.as_bytes()).unwrap();
        assert_eq!(parsed.settings[0].value, rooms);
        let read: Vec<(usize, &str, &str)> = parsed
            .differences
            .iter()
            .map(|d| (d.line, d.subject.as_str(), d.text.as_str()))
            .collect();
        assert_eq!(
            read,
            [
                (1, "predefined_rooms", UPSTREAM_STOPS),
                (2, "#", UPSTREAM_STOPS)
            ]
        );
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
        let text = std::fs::read(&file).unwrap();
        let parsed = parse(&file, &text).map_err(|e| {
            let name = e.file.rsplit('/').next().unwrap().to_owned();
            format!("{name}:{}: {}", e.line.unwrap(), e.problem)
        })?;
        Ok(parsed
            .settings
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
    fn includes_that_fan_out_past_the_bound_on_lines_are_an_error_where_it_is_passed() {
        // Each `@` line of main.conf reads 1,001 lines: its own and wide.conf's
        // 1,000, so that the 100th reads the bound's last line at wide.conf:900.
        let includes = MAX_TOTAL_LINES / 1000 + 1;
        let dir = files(&[
            ("main.conf", &"@wide.conf\n".repeat(includes)),
            ("wide.conf", &"a=1\n".repeat(1000)),
        ]);
        assert_eq!(
            read(&dir, "main.conf").unwrap_err(),
            format!("wide.conf:901: more than {MAX_TOTAL_LINES} lines {TOTAL_READ}")
        );
        std::fs::write(
            dir.path().join("main.conf"),
            "@wide.conf\n".repeat(includes - 2),
        )
        .unwrap();
        assert_eq!(
            read(&dir, "main.conf").map(|settings| settings.len()),
            Ok((includes - 2) * 1000),
            "fewer lines than the bound"
        );
    }

    #[test]
    fn a_single_file_past_the_bound_on_lines_is_an_error_at_the_line_past_it() {
        let dir = files(&[("main.conf", &"#\n".repeat(MAX_TOTAL_LINES + 1))]);
        assert_eq!(
            read(&dir, "main.conf").unwrap_err(),
            format!(
                "main.conf:{}: more than {MAX_TOTAL_LINES} lines read in all, the file \
                 converted and the files it includes together (each as often as it is \
                 included): a bound of the converter's, far above any real config (SEMS sets \
                 none)",
                MAX_TOTAL_LINES + 1
            )
        );
    }

    #[test]
    fn includes_past_the_bound_on_bytes_are_an_error_at_the_line_past_it() {
        // Lines of 4,000 bytes and their line feed, 1,000 a file: the bound
        // is passed in the fifth include.
        let line_bytes = 4001;
        let line = format!("#{}\n", "x".repeat(line_bytes - 2));
        let dir = files(&[
            ("main.conf", &"@wide.conf\n".repeat(5)),
            ("wide.conf", &line.repeat(1000)),
        ]);
        let before = 4 * (11 + 1000 * line_bytes) + 11;
        let past = (MAX_TOTAL_BYTES - before) / line_bytes + 1;
        assert_eq!(
            read(&dir, "main.conf").unwrap_err(),
            format!("wide.conf:{past}: more than 16 MiB (16777216 bytes) {TOTAL_READ}")
        );
        std::fs::write(dir.path().join("main.conf"), "@wide.conf\n".repeat(4)).unwrap();
        assert_eq!(read(&dir, "main.conf"), Ok(Vec::new()), "under the bound");
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
