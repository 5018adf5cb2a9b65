//! XML-RPC documents: parsing a `methodCall`, writing a `methodResponse`.
//!
//! Parsing runs `quick-xml`'s pull reader (which checks well-formedness: matching tags,
//! attribute syntax, entity and character references) under a small recursive-descent grammar
//! for XML-RPC. It takes what real clients send:
//!
//! - typed values: `i4`, `int`, `i8` (when it fits 32 bits: a [`Value`] holds no wider int,
//!   so a wider one, whichever the tag, is fault `-32602`), `boolean` (`0`/`1`, also
//!   `true`/`false`), `double`, `string`, `base64` (line breaks and missing padding allowed),
//!   `dateTime.iso8601` (kept as text), `array` (with or without `<data>`), `struct`, and
//!   `nil` / `ex:nil` (namespace prefixes are ignored on every element);
//! - an untyped `<value>text</value>` (or `<value/>`) as a string, whitespace kept;
//! - whitespace between elements (pretty-printed or Python's line-per-element form), comments,
//!   processing instructions, the XML declaration, CDATA sections, the five predefined entities
//!   and character references; CRLF line ends are normalised to LF as XML 1.0 requires;
//! - a `methodCall` with no `<params>` at all.
//!
//! The body is UTF-8 unless its XML declaration names another encoding (XML 1.0 §4.3.3):
//! `ISO-8859-1` (also `latin1`, `latin-1`, `l1`, `ISO_8859-1` and IANA's other aliases) and
//! `US-ASCII` (also `ascii`), names in any case, are taken, as Python's
//! `ServerProxy(uri, encoding='iso-8859-1')` sends them; a body declaring any other
//! encoding is read while its bytes are ASCII (every ASCII-compatible encoding reads them
//! alike), and is a fault `-32700` naming the encoding at its first byte above 0x7F (see
//! `charset` for the encodings refused whatever their bytes, and UTF-16 and UTF-32). Byte
//! positions in parse errors count the text as decoded, in UTF-8.
//!
//! A param nests at most [`MAX_PARAM_DEPTH`] arrays/structs deep, so a hostile body cannot
//! exhaust the stack, and the params, handed on in one more array, nest no deeper than
//! [`MAX_DEPTH`]; a response's value, as deep as any value, at most [`MAX_DEPTH`].
//!
//! Anything else is a fault `-32700` whose message says what was wrong and where, e.g.
//! `parse error: expected <methodCall>, found <methodResponse> at byte 22`.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::num::IntErrorKind::{NegOverflow, PosOverflow};

use base64::Engine as _;
use quick_xml::Reader;
use quick_xml::events::Event;

use crate::{Fault, Value};
use charset::decode;

mod charset;

/// How many arrays/structs deep any value may nest.
pub const MAX_DEPTH: usize = switchyard_value::MAX_DEPTH;

/// How many arrays/structs deep a request's param may nest: one fewer than any value,
/// since the params are handed on to the guest in one more array, which must nest no
/// deeper than [`MAX_DEPTH`].
pub const MAX_PARAM_DEPTH: usize = MAX_DEPTH - 1;

/// Parses an XML-RPC `methodCall` into its method name and params.
///
/// Any problem (not in the encoding its XML declaration names, UTF-8 without one; a byte
/// above 0x7F in an encoding other than UTF-8 or ISO-8859-1; not well-formed XML, not a
/// `methodCall`, a bad value) is
/// `Fault { code: -32700, message: "parse error: <what>" }`; a well-formed call with an int
/// (`<i4>`, `<int>` or `<i8>`) beyond 32 bits is
/// `Fault { code: -32602, message: "invalid params: <what>" }`.
pub fn parse_method_call(body: &[u8]) -> Result<(String, Vec<Value>), Fault> {
    let text = decode(body)?;
    Parser::new(&text, MAX_PARAM_DEPTH).parse(Parser::method_call)
}

/// Parses an XML-RPC `methodResponse`: its value, or the fault it carries.
///
/// A body that is not a `methodResponse` (or whose fault has no `faultCode` and
/// `faultString`) is the outer error, a fault `-32700` as in [`parse_method_call`]; so is
/// an int beyond 32 bits, a fault `-32602`.
pub fn parse_method_response(body: &[u8]) -> Result<Result<Value, Fault>, Fault> {
    let text = decode(body)?;
    Parser::new(&text, MAX_DEPTH).parse(Parser::method_response)
}

/// Writes a `methodCall` of `name` with `params`, values as [`encode_value`] writes them.
pub fn encode_method_call(name: &str, params: &[Value]) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>\n<methodCall><methodName>");
    escape_into(&mut out, name);
    out.push_str("</methodName><params>");
    for param in params {
        out.push_str("<param>");
        encode_value(&mut out, param);
        out.push_str("</param>");
    }
    out.push_str("</params></methodCall>\n");
    out
}

/// Writes a `methodResponse`: the value as its single param, or a fault as
/// `<fault><value><struct>` with `faultCode` and `faultString`.
///
/// Strings are escaped (`&`, `<`, `>`, and `\r` as `&#13;` so it survives XML line-end
/// normalisation); characters that XML 1.0 cannot carry at all (controls other than tab, LF and
/// CR; U+FFFE; U+FFFF) are replaced by U+FFFD. Doubles are written in plain decimal notation;
/// NaN and the infinities are written as `NaN`, `inf`, `-inf`, which Python reads back.
pub fn encode_response(result: &Result<Value, Fault>) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>\n<methodResponse>");
    match result {
        Ok(value) => {
            out.push_str("<params><param>");
            encode_value(&mut out, value);
            out.push_str("</param></params>");
        }
        Err(fault) => {
            out.push_str("<fault>");
            encode_value(
                &mut out,
                &Value::Struct(vec![
                    ("faultCode".into(), Value::Int(fault.code)),
                    ("faultString".into(), Value::String(fault.message.clone())),
                ]),
            );
            out.push_str("</fault>");
        }
    }
    out.push_str("</methodResponse>\n");
    out
}

/// Appends one `<value>…</value>` element.
///
/// Recursion depth follows the value's own nesting, which [`MAX_DEPTH`] bounds for every value
/// that comes from outside the host: parsed requests and guests' answers alike.
pub fn encode_value(out: &mut String, value: &Value) {
    out.push_str("<value>");
    match value {
        Value::Int(i) => {
            let _ = write!(out, "<i4>{i}</i4>");
        }
        Value::Bool(b) => {
            out.push_str(if *b {
                "<boolean>1</boolean>"
            } else {
                "<boolean>0</boolean>"
            });
        }
        Value::Double(d) => {
            let _ = if d.is_nan() {
                write!(out, "<double>NaN</double>")
            } else {
                write!(out, "<double>{d}</double>")
            };
        }
        Value::String(s) => {
            out.push_str("<string>");
            escape_into(out, s);
            out.push_str("</string>");
        }
        Value::Base64(bytes) => {
            out.push_str("<base64>");
            base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
            out.push_str("</base64>");
        }
        Value::DateTime(s) => {
            out.push_str("<dateTime.iso8601>");
            escape_into(out, s);
            out.push_str("</dateTime.iso8601>");
        }
        Value::Array(items) => {
            out.push_str("<array><data>");
            for item in items {
                encode_value(out, item);
            }
            out.push_str("</data></array>");
        }
        Value::Struct(members) => {
            out.push_str("<struct>");
            for (name, v) in members {
                out.push_str("<member><name>");
                escape_into(out, name);
                out.push_str("</name>");
                encode_value(out, v);
                out.push_str("</member>");
            }
            out.push_str("</struct>");
        }
        Value::Nil => out.push_str("<nil/>"),
    }
    out.push_str("</value>");
}

/// Whether XML 1.0 allows `c` in a document (§2.2, `Char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if !is_xml_char(c) => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
}

/// A token of the document, with the noise (comments, PIs, declarations) left out and
/// adjacent text, CDATA and references merged.
#[derive(Debug)]
enum Tok {
    Open(String),
    Close(String),
    Text(String),
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Open(n) => format!("<{n}>"),
            Tok::Close(n) => format!("</{n}>"),
            Tok::Text(t) => {
                let t = t.trim();
                let mut shown: String = t.chars().take(24).collect();
                if shown.len() < t.len() {
                    shown.push('…');
                }
                format!("text '{shown}'")
            }
            Tok::Eof => "the end of the document".into(),
        }
    }
}

fn is_blank(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// The fault a response's `<fault>` value describes.
fn fault_of(value: Value) -> Option<Fault> {
    let Value::Struct(members) = value else {
        return None;
    };
    let member = |name: &str| members.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    match (member("faultCode")?, member("faultString")?) {
        (Value::Int(code), Value::String(message)) => Some(Fault::new(*code, message.clone())),
        _ => None,
    }
}

struct Parser<'a> {
    reader: Reader<&'a [u8]>,
    /// Tokens read ahead, next first.
    peeked: VecDeque<Tok>,
    /// The first well-formed value a [`Value`] cannot hold, if any: the document is read to
    /// its end all the same, so a malformed one is still a parse error.
    unrepresentable: Option<String>,
    /// How many arrays/structs deep a value of the document may nest: [`MAX_PARAM_DEPTH`]
    /// for a call's params, [`MAX_DEPTH`] for a response's value.
    max_depth: usize,
}

type PResult<T> = Result<T, String>;

impl<'a> Parser<'a> {
    fn new(text: &'a str, max_depth: usize) -> Self {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.trim_text_start = false;
        config.trim_text_end = false;
        Parser {
            reader,
            peeked: VecDeque::new(),
            unrepresentable: None,
            max_depth,
        }
    }

    /// The document `read` reads: a malformed one is a parse error, a well-formed one with a
    /// value no [`Value`] holds is an invalid-params fault.
    fn parse<T>(mut self, read: impl FnOnce(&mut Self) -> PResult<T>) -> Result<T, Fault> {
        let read = read(&mut self).map_err(Fault::parse_error)?;
        match self.unrepresentable {
            Some(what) => Err(Fault::invalid_params(what)),
            None => Ok(read),
        }
    }

    fn at(&self) -> String {
        format!(" at byte {}", self.reader.buffer_position())
    }

    /// The next token.
    fn next(&mut self) -> PResult<Tok> {
        if let Some(tok) = self.peeked.pop_front() {
            return Ok(tok);
        }
        let mut text: Option<String> = None;
        loop {
            let event = match self.reader.read_event() {
                Ok(e) => e,
                Err(e) => {
                    return Err(format!(
                        "malformed XML: {e} at byte {}",
                        self.reader.error_position()
                    ));
                }
            };
            let tok = match event {
                Event::Start(e) => Tok::Open(e.local_name().as_ref().to_owned()),
                Event::End(e) => Tok::Close(e.local_name().as_ref().to_owned()),
                // Not produced with `expand_empty_elements`; read as `<x></x>` regardless.
                Event::Empty(e) => {
                    let name = e.local_name().as_ref().to_owned();
                    self.peeked.push_back(Tok::Close(name.clone()));
                    Tok::Open(name)
                }
                Event::Text(t) => {
                    let content = t.xml10_content();
                    self.check_chars(&content)?;
                    text.get_or_insert_default().push_str(&content);
                    continue;
                }
                Event::CData(c) => {
                    let content = c.xml10_content();
                    self.check_chars(&content)?;
                    text.get_or_insert_default().push_str(&content);
                    continue;
                }
                Event::GeneralRef(r) => {
                    let c = match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => match &*r {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "apos" => '\'',
                            "quot" => '"',
                            other => return Err(format!("unknown entity &{other};{}", self.at())),
                        },
                        Err(e) => return Err(format!("bad character reference: {e}{}", self.at())),
                    };
                    self.check_chars(c.encode_utf8(&mut [0; 4]))?;
                    text.get_or_insert_default().push(c);
                    continue;
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => continue,
                Event::Eof => Tok::Eof,
            };
            return Ok(match text {
                Some(t) => {
                    self.peeked.push_front(tok);
                    Tok::Text(t)
                }
                None => tok,
            });
        }
    }

    /// An error unless every character of `text` is one XML 1.0 allows (§2.2,
    /// the `Char` production; a character reference must name one too, WFC:
    /// Legal Character), so that whatever is read can be written back.
    fn check_chars(&self, text: &str) -> PResult<()> {
        match text.chars().find(|&c| !is_xml_char(c)) {
            Some(c) => Err(format!(
                "character U+{:04X} is not allowed in XML{}",
                u32::from(c),
                self.at()
            )),
            None => Ok(()),
        }
    }

    /// The next token that is not whitespace; other text is an error.
    fn next_markup(&mut self) -> PResult<Tok> {
        match self.next()? {
            Tok::Text(t) if is_blank(&t) => self.next(),
            Tok::Text(t) => Err(self.unexpected(&Tok::Text(t), "an element")),
            tok => Ok(tok),
        }
    }

    fn unexpected(&self, found: &Tok, expected: &str) -> String {
        format!(
            "expected {expected}, found {}{}",
            found.describe(),
            self.at()
        )
    }

    fn expect_open(&mut self, name: &str) -> PResult<()> {
        match self.next_markup()? {
            Tok::Open(n) if n == name => Ok(()),
            tok => Err(self.unexpected(&tok, &format!("<{name}>"))),
        }
    }

    fn expect_close(&mut self, name: &str) -> PResult<()> {
        match self.next_markup()? {
            Tok::Close(n) if n == name => Ok(()),
            tok => Err(self.unexpected(&tok, &format!("</{name}>"))),
        }
    }

    /// The text up to `</name>`; no child elements allowed.
    fn text_until_close(&mut self, name: &str) -> PResult<String> {
        let mut text = String::new();
        loop {
            match self.next()? {
                Tok::Text(t) => text.push_str(&t),
                Tok::Close(n) if n == name => return Ok(text),
                tok => return Err(self.unexpected(&tok, &format!("text or </{name}>"))),
            }
        }
    }

    fn method_call(&mut self) -> PResult<(String, Vec<Value>)> {
        self.expect_open("methodCall")?;
        self.expect_open("methodName")?;
        let name = self.text_until_close("methodName")?.trim().to_owned();
        if name.is_empty() {
            return Err(format!("empty <methodName>{}", self.at()));
        }
        let mut params = Vec::new();
        match self.next_markup()? {
            Tok::Open(n) if n == "params" => {
                loop {
                    match self.next_markup()? {
                        Tok::Open(n) if n == "param" => {
                            self.expect_open("value")?;
                            params.push(self.value_body(0)?);
                            self.expect_close("param")?;
                        }
                        Tok::Close(n) if n == "params" => break,
                        tok => return Err(self.unexpected(&tok, "<param> or </params>")),
                    }
                }
                self.expect_close("methodCall")?;
            }
            Tok::Close(n) if n == "methodCall" => {}
            tok => return Err(self.unexpected(&tok, "<params> or </methodCall>")),
        }
        match self.next_markup()? {
            Tok::Eof => Ok((name, params)),
            tok => Err(self.unexpected(&tok, "nothing after </methodCall>")),
        }
    }

    fn method_response(&mut self) -> PResult<Result<Value, Fault>> {
        self.expect_open("methodResponse")?;
        let result = match self.next_markup()? {
            Tok::Open(n) if n == "params" => {
                self.expect_open("param")?;
                self.expect_open("value")?;
                let value = self.value_body(0)?;
                self.expect_close("param")?;
                self.expect_close("params")?;
                Ok(value)
            }
            Tok::Open(n) if n == "fault" => {
                self.expect_open("value")?;
                let value = self.value_body(0)?;
                self.expect_close("fault")?;
                Err(fault_of(value).ok_or_else(|| {
                    format!("a fault without faultCode and faultString{}", self.at())
                })?)
            }
            tok => return Err(self.unexpected(&tok, "<params> or <fault>")),
        };
        self.expect_close("methodResponse")?;
        match self.next_markup()? {
            Tok::Eof => Ok(result),
            tok => Err(self.unexpected(&tok, "nothing after </methodResponse>")),
        }
    }

    /// The content of a `<value>` whose start tag was just read, through `</value>`.
    fn value_body(&mut self, depth: usize) -> PResult<Value> {
        let text = match self.next()? {
            Tok::Close(n) if n == "value" => return Ok(Value::String(String::new())),
            Tok::Text(t) => t,
            tok => {
                self.peeked.push_front(tok);
                String::new()
            }
        };
        match self.next()? {
            Tok::Close(n) if n == "value" => Ok(Value::String(text)),
            Tok::Open(tag) if is_blank(&text) => {
                let v = self.typed(&tag, depth)?;
                self.expect_close("value")?;
                Ok(v)
            }
            tok => Err(self.unexpected(&tok, "a typed value, text, or </value>")),
        }
    }

    /// A typed value whose start tag `<tag>` was just read, through its end tag.
    fn typed(&mut self, tag: &str, depth: usize) -> PResult<Value> {
        let shown = |text: &str| text.trim().chars().take(40).collect::<String>();
        let bad =
            |p: &Self, text: &str| format!("invalid <{tag}> value '{}'{}", shown(text), p.at());
        Ok(match tag {
            "i4" | "int" | "i8" => {
                let t = self.text_until_close(tag)?;
                match t.trim().parse::<i32>() {
                    Ok(int) => Value::Int(int),
                    // A well-formed int out of range is a value this server cannot take,
                    // whichever width its tag names, not a malformed document.
                    Err(e) if matches!(e.kind(), PosOverflow | NegOverflow) => {
                        let what = format!(
                            "<{tag}> value {} does not fit in 32 bits, the widest int this \
                             server takes{}",
                            shown(&t),
                            self.at()
                        );
                        self.unrepresentable.get_or_insert(what);
                        Value::Nil
                    }
                    Err(_) => return Err(bad(self, &t)),
                }
            }
            "boolean" => {
                let t = self.text_until_close(tag)?;
                Value::Bool(match t.trim() {
                    "1" | "true" => true,
                    "0" | "false" => false,
                    _ => return Err(bad(self, &t)),
                })
            }
            "double" => {
                let t = self.text_until_close(tag)?;
                Value::Double(t.trim().parse().map_err(|_| bad(self, &t))?)
            }
            "string" => Value::String(self.text_until_close(tag)?),
            "base64" => {
                let t = self.text_until_close(tag)?;
                let compact: Vec<u8> = t.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
                Value::Base64(
                    BASE64_LENIENT
                        .decode(&compact)
                        .map_err(|e| format!("invalid <base64> value: {e}{}", self.at()))?,
                )
            }
            "dateTime.iso8601" => Value::DateTime(self.text_until_close(tag)?.trim().to_owned()),
            "nil" => {
                let t = self.text_until_close(tag)?;
                if !is_blank(&t) {
                    return Err(bad(self, &t));
                }
                Value::Nil
            }
            "array" | "struct" if depth >= self.max_depth => {
                let why = if self.max_depth == MAX_PARAM_DEPTH {
                    format!(
                        "a param nests deeper than {MAX_PARAM_DEPTH} arrays/structs (the \
                         params array around them makes {MAX_DEPTH}, the most a value takes)"
                    )
                } else {
                    format!("a value nests deeper than {MAX_DEPTH} arrays/structs")
                };
                return Err(format!("{why}{}", self.at()));
            }
            "array" => self.array_body(depth + 1)?,
            "struct" => self.struct_body(depth + 1)?,
            other => return Err(format!("unknown value type <{other}>{}", self.at())),
        })
    }

    fn array_body(&mut self, depth: usize) -> PResult<Value> {
        let mut items = Vec::new();
        let mut in_data = false;
        loop {
            match self.next_markup()? {
                Tok::Open(n) if n == "data" && !in_data && items.is_empty() => in_data = true,
                Tok::Open(n) if n == "value" => items.push(self.value_body(depth)?),
                Tok::Close(n) if n == "data" && in_data => {
                    self.expect_close("array")?;
                    break;
                }
                Tok::Close(n) if n == "array" && !in_data => break,
                tok => {
                    let expected = if in_data {
                        "<value> or </data>"
                    } else {
                        "<data>, <value> or </array>"
                    };
                    return Err(self.unexpected(&tok, expected));
                }
            }
        }
        Ok(Value::Array(items))
    }

    fn struct_body(&mut self, depth: usize) -> PResult<Value> {
        let mut members = Vec::new();
        loop {
            match self.next_markup()? {
                Tok::Open(n) if n == "member" => members.push(self.member(depth)?),
                Tok::Close(n) if n == "struct" => break,
                tok => return Err(self.unexpected(&tok, "<member> or </struct>")),
            }
        }
        Ok(Value::Struct(members))
    }

    /// A `<member>`'s `<name>` and `<value>` (in either order) through `</member>`.
    fn member(&mut self, depth: usize) -> PResult<(String, Value)> {
        let mut name = None;
        let mut value = None;
        loop {
            match self.next_markup()? {
                Tok::Open(n) if n == "name" && name.is_none() => {
                    name = Some(self.text_until_close("name")?);
                }
                Tok::Open(n) if n == "value" && value.is_none() => {
                    value = Some(self.value_body(depth)?);
                }
                Tok::Close(n) if n == "member" => match (name, value) {
                    (Some(n), Some(v)) => return Ok((n, v)),
                    (None, _) => return Err(format!("<member> without <name>{}", self.at())),
                    (_, None) => return Err(format!("<member> without <value>{}", self.at())),
                },
                tok => return Err(self.unexpected(&tok, "<name>, <value> or </member>")),
            }
        }
    }
}

/// Standard alphabet; padding optional on input.
const BASE64_LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

#[cfg(test)]
mod tests;
