//! The text of an XML-RPC body: UTF-8, or the encoding its XML declaration names
//! (XML 1.0 §4.3.3) of those clients send: ISO-8859-1 and US-ASCII.
//!
//! A body declaring another encoding is read as long as its bytes are all ASCII: every
//! ASCII-compatible encoding (windows-1252, ISO-8859-15, …) reads those as US-ASCII does,
//! and a body whose declaration is itself single-byte ASCII is no UTF-16 or UTF-32 whatever
//! it declares (.NET writes `encoding="utf-16"` on UTF-8 bytes). Its first byte above 0x7F
//! is a fault naming the encoding. Encodings whose ASCII bytes can stand for other
//! characters (UTF-7, HZ, ISO-2022) are refused by name whatever the bytes, and a body that
//! is UTF-16 or UTF-32 (XML 1.0 Appendix F) is refused as such.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::Fault;

/// An encoding a body may declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Charset {
    Utf8,
    /// Each byte is the code point U+0000–U+00FF of the same number.
    Latin1,
    /// Bytes 0x00–0x7F only.
    Ascii,
}

impl Charset {
    /// The charset an `encoding` pseudo-attribute names; `None` for one not supported.
    ///
    /// Encoding names are case-insensitive (XML 1.0 §4.3.3); the aliases are IANA's
    /// registered ones, plus `latin-1` and `utf8`, which Python writes as given.
    fn of(name: &str) -> Option<Charset> {
        const LATIN1: &[&str] = &[
            "iso-8859-1",
            "iso_8859-1",
            "iso_8859-1:1987",
            "iso8859-1",
            "iso-ir-100",
            "latin1",
            "latin-1",
            "l1",
            "ibm819",
            "cp819",
            "csisolatin1",
        ];
        const ASCII: &[&str] = &[
            "us-ascii",
            "ascii",
            "iso646-us",
            "iso_646.irv:1991",
            "ansi_x3.4-1968",
            "ansi_x3.4-1986",
            "iso-ir-6",
            "us",
            "ibm367",
            "cp367",
            "csascii",
        ];
        let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(name));
        if is(&["utf-8", "utf8"]) {
            Some(Charset::Utf8)
        } else if is(LATIN1) {
            Some(Charset::Latin1)
        } else if is(ASCII) {
            Some(Charset::Ascii)
        } else {
            None
        }
    }
}

/// The `encoding` the XML declaration at the start of `body` names, if it has one.
///
/// The declaration is ASCII in every encoding this reads, and comes first or not at all
/// (XML 1.0 §2.8, `XMLDecl`); quick-xml reads its pseudo-attributes. A body with no
/// declaration, or one whose pseudo-attributes cannot be read, is read as UTF-8, as it
/// would be without one.
fn declared_encoding(body: &[u8]) -> Option<String> {
    if !body.starts_with(b"<?xml") || !body.get(5).is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    let end = body.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&body[..end + 2]).ok()?;
    let Ok(Event::Decl(decl)) = Reader::from_str(decl).read_event() else {
        return None;
    };
    Some(decl.encoding()?.ok()?.into_owned())
}

/// `UTF-16` or `UTF-32` when the body's first bytes show it is in one of those (a byte
/// order mark, or `<` next to NULs, XML 1.0 Appendix F), whatever it declares.
fn wide_encoding(body: &[u8]) -> Option<&'static str> {
    match body {
        [0, 0, 0xfe, 0xff, ..]
        | [0xff, 0xfe, 0, 0, ..]
        | [0, 0, 0, b'<', ..]
        | [b'<', 0, 0, 0, ..] => Some("UTF-32"),
        [0xfe, 0xff, ..] | [0xff, 0xfe, ..] | [0, b'<', ..] | [b'<', 0, ..] => Some("UTF-16"),
        _ => None,
    }
}

/// Whether the encoding `name` reads some all-ASCII byte sequences as other characters:
/// UTF-7's `+…-` (RFC 2152), HZ's `~{…~}` (RFC 1843) and ISO-2022's escape sequences
/// (RFC 1468, RFC 1557).
fn shifts_within_ascii(name: &str) -> bool {
    let name: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    [
        "utf7",
        "unicode11utf7",
        "csunicode11utf7",
        "hz",
        "iso2022",
        "csiso2022",
    ]
    .iter()
    .any(|p| name.starts_with(p))
        || name == "u7"
}

/// The body as text, decoded as its XML declaration says (UTF-8 without one); bytes not in
/// that encoding, or a body in UTF-16 or UTF-32, are a parse error. A body declaring an
/// encoding not supported is read when its bytes are all ASCII, and is otherwise a parse
/// error naming the encoding and its first byte above 0x7F.
pub(super) fn decode(body: &[u8]) -> Result<Cow<'_, str>, Fault> {
    if let Some(wide) = wide_encoding(body) {
        return Err(Fault::parse_error(format_args!(
            "the body is {wide}: send UTF-8 or ISO-8859-1"
        )));
    }
    let non_ascii = || body.iter().position(|b| !b.is_ascii());
    match declared_encoding(body) {
        None => {}
        Some(name) => match Charset::of(&name) {
            Some(Charset::Utf8) => {}
            Some(Charset::Latin1) => {
                return Ok(Cow::Owned(body.iter().map(|&b| char::from(b)).collect()));
            }
            // US-ASCII is UTF-8's first 128 code points: checked here, decoded as UTF-8.
            Some(Charset::Ascii) => {
                if let Some(at) = non_ascii() {
                    return Err(Fault::parse_error(format_args!(
                        "the body declares US-ASCII but has byte 0x{:02X} at {at}",
                        body[at]
                    )));
                }
            }
            None if shifts_within_ascii(&name) => {
                return Err(Fault::parse_error(format_args!(
                    "encoding {name} is not supported: send UTF-8 or ISO-8859-1"
                )));
            }
            // A declaration that reads as ASCII makes the body ASCII-compatible (XML 1.0
            // Appendix F), so ASCII bytes are US-ASCII; only a byte above 0x7F needs the
            // encoding itself.
            None => {
                if let Some(at) = non_ascii() {
                    return Err(Fault::parse_error(format_args!(
                        "encoding {name} is not supported for byte 0x{:02X} at {at}: \
                         send UTF-8 or ISO-8859-1",
                        body[at]
                    )));
                }
            }
        },
    }
    std::str::from_utf8(body).map(Cow::Borrowed).map_err(|e| {
        Fault::parse_error(format_args!(
            "the body is not UTF-8 (invalid byte at {})",
            e.valid_up_to()
        ))
    })
}
