//! Header fields rsip keeps as text (RAck, RSeq, Session-Expires, Min-SE), and the option tags
//! of Supported and Require headers (RFC 3261 §19.2, §20.32, §20.37).

use rsip::headers::UntypedHeader;
use rsip::prelude::HasHeaders;

/// The value of the first header named `name` (case-insensitive) that rsip keeps as text.
pub(crate) fn text<'a>(message: &'a impl HasHeaders, name: &str) -> Option<&'a str> {
    texts(message, name).next()
}

/// The values of every header named `name` (case-insensitive) that rsip keeps as text, in
/// order.
pub(crate) fn texts<'a>(message: &'a impl HasHeaders, name: &str) -> impl Iterator<Item = &'a str> {
    message.headers().iter().filter_map(move |h| match h {
        rsip::Header::Other(n, v) if n.eq_ignore_ascii_case(name) => Some(v.as_str()),
        _ => None,
    })
}

/// Every option tag of `message`'s headers named `name` (`Supported` or `Require`), trimmed,
/// empty ones left out.
pub(crate) fn option_tags<'a>(
    message: &'a impl HasHeaders,
    name: &'a str,
) -> impl Iterator<Item = &'a str> {
    message
        .headers()
        .iter()
        .filter_map(move |h| match h {
            rsip::Header::Supported(s) if name == "Supported" => Some(s.value()),
            rsip::Header::Require(r) if name == "Require" => Some(r.value()),
            _ => None,
        })
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
}

/// Whether a header of `message` named `name` (`Supported` or `Require`) lists `tag`
/// (case-insensitively).
pub(crate) fn has_tag(message: &impl HasHeaders, name: &str, tag: &str) -> bool {
    option_tags(message, name).any(|t| t.eq_ignore_ascii_case(tag))
}
