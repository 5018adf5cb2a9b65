//! The text of an XML-RPC body: UTF-8, or the encoding its XML declaration names
//! (XML 1.0 §4.3.3) of those clients send: ISO-8859-1 and US-ASCII.

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

/// The body as text, decoded as its XML declaration says (UTF-8 without one); bytes not in
/// that encoding, or an encoding not supported, are a parse error.
pub(super) fn decode(body: &[u8]) -> Result<Cow<'_, str>, Fault> {
    let charset = match declared_encoding(body) {
        None => Charset::Utf8,
        Some(name) => Charset::of(&name).ok_or_else(|| {
            Fault::parse_error(format_args!(
                "encoding {name} is not supported: send UTF-8 or ISO-8859-1"
            ))
        })?,
    };
    match charset {
        Charset::Latin1 => return Ok(Cow::Owned(body.iter().map(|&b| char::from(b)).collect())),
        // US-ASCII is UTF-8's first 128 code points: checked here, decoded as UTF-8.
        Charset::Ascii => {
            if let Some(at) = body.iter().position(|b| !b.is_ascii()) {
                return Err(Fault::parse_error(format_args!(
                    "the body declares US-ASCII but has byte 0x{:02X} at {at}",
                    body[at]
                )));
            }
        }
        Charset::Utf8 => {}
    }
    std::str::from_utf8(body).map(Cow::Borrowed).map_err(|e| {
        Fault::parse_error(format_args!(
            "the body is not UTF-8 (invalid byte at {})",
            e.valid_up_to()
        ))
    })
}
