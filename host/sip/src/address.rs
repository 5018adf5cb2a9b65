//! The values of From, To and Contact (RFC 3261 §20.10, §20.20, §20.39): a name-addr or an
//! addr-spec, then header parameters. Read here rather than by rsip, whose parser accepts
//! unbalanced quotes and unquoted display names with separators (RFC 4475 §3.1.2.6,
//! §3.1.2.15) and refuses some valid display names (§3.1.1.2).

use crate::syntax::{self, Param};
use crate::{uri, wire};

/// An address that passed [`parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address<'a> {
    /// The display name as written: a quoted string with its quotes, or tokens; `None` if
    /// there is none.
    pub(crate) display_name: Option<&'a str>,
    /// The URI, without angle brackets.
    pub(crate) uri: &'a str,
    /// The user of a SIP or SIPS URI ("" otherwise).
    pub(crate) user: &'a str,
    /// The header parameters (such as `tag`).
    pub(crate) params: Vec<Param<'a>>,
}

impl Address<'_> {
    /// The `tag` parameter's value, if any.
    pub(crate) fn tag(&self) -> Option<&str> {
        self.tag_param().flatten()
    }

    /// The `tag` parameter: `Some(None)` when it has no value, which §25.1 does not allow
    /// (`tag-param = "tag" EQUAL token`); `None` when it is absent.
    pub(crate) fn tag_param(&self) -> Option<Option<&str>> {
        syntax::param(&self.params, "tag")
    }
}

/// `value` (unfolded, separators tightened by `wire`) as an address; `None` if it is none:
/// an unterminated quoted string, an unquoted display name that is not tokens, whitespace or
/// a missing `>` in the angle brackets, or an addr-spec holding `?` or `,` (§20.10: such a
/// URI must be in angle brackets).
pub(crate) fn parse(value: &str) -> Option<Address<'_>> {
    let value = value.trim();
    let (display_name, rest) = if value.starts_with('"') {
        let len = syntax::quoted_string_len(value)?;
        (Some(&value[..len]), value[len..].trim_start())
    } else if let Some((open, _)) = wire::unquoted(value).find(|&(_, c)| c == '<') {
        let name = value[..open].trim();
        if !name.split_whitespace().all(syntax::is_token) {
            return None;
        }
        (Some(name).filter(|n| !n.is_empty()), &value[open..])
    } else {
        (None, value)
    };
    let (uri, params) = match rest.strip_prefix('<') {
        Some(bracketed) => bracketed.split_once('>')?,
        None if display_name.is_some() => return None,
        None => {
            let (uri, _) = rest.split_once(';').unwrap_or((rest, ""));
            if uri.contains(['?', ',']) {
                return None;
            }
            rest.split_at(uri.len())
        }
    };
    let parsed = uri::parse(uri)?;
    Some(Address {
        display_name,
        uri,
        user: parsed.user,
        params: syntax::params(params)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_addrs_and_addr_specs_are_read() {
        let a = parse(r#""J Rosenberg \\\""       <sip:jdrosen@example.com>;tag=98asjd8"#).unwrap();
        assert_eq!(a.display_name, Some(r#""J Rosenberg \\\"""#));
        assert_eq!(
            (a.uri, a.user, a.tag()),
            ("sip:jdrosen@example.com", "jdrosen", Some("98asjd8"))
        );
        let b = parse("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;tag=_t~1'+`*%!-.")
            .unwrap();
        assert_eq!(b.display_name, Some("token1~` token2'+_ token3*%!.-"));
        assert_eq!(b.tag(), Some("_t~1'+`*%!-."));
        let c = parse("caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(
            (c.display_name, c.uri),
            (Some("caller"), "sip:caller@example.com")
        );
        let d = parse("sip:vivekg@chair-dnrc.example.com;tag=1918181833n").unwrap();
        assert_eq!(
            (d.display_name, d.uri),
            (None, "sip:vivekg@chair-dnrc.example.com")
        );
        assert_eq!(d.tag(), Some("1918181833n"));
        let e = parse("<sip:a@b;lr>").unwrap();
        assert_eq!((e.uri, e.tag()), ("sip:a@b;lr", None));
        assert_eq!(e.tag_param(), None);
        let valueless = parse("<sip:a@b>;tag").unwrap();
        assert_eq!((valueless.tag(), valueless.tag_param()), (None, Some(None)));
    }

    #[test]
    fn an_addr_specs_quoted_parameter_may_hold_angle_brackets() {
        let instance = r#""<urn:uuid:0C67446E-F1A1-11D9-94D3-000A95A0E128>""#;
        let value = format!("sip:alice@192.0.2.7;+sip.instance={instance}");
        let a = parse(&value).unwrap();
        assert_eq!((a.display_name, a.uri), (None, "sip:alice@192.0.2.7"));
        assert_eq!(a.params, [("+sip.instance", Some(instance))]);
        let b = parse(r#"sip:a@b;x="\"<";y=1"#).unwrap();
        assert_eq!(b.params, [("x", Some(r#""\"<""#)), ("y", Some("1"))]);
    }

    #[test]
    fn a_user_may_hold_an_unescaped_hash() {
        let a = parse("<sip:*31#0123@gw>;tag=1").unwrap();
        assert_eq!(
            (a.uri, a.user, a.tag()),
            ("sip:*31#0123@gw", "*31#0123", Some("1"))
        );
        assert_eq!(parse("<sip:0123@gw#1>"), None);
    }

    #[test]
    fn rfc_4475_invalid_addresses_are_refused() {
        for value in [
            // §3.1.2.6: unterminated quoted string.
            "\"Mr. J. User <sip:j.user@example.com>",
            // §3.1.2.14: spaces within the addr-spec.
            "\"Watson, Thomas\" < sip:t.watson@example.org >",
            // §3.1.2.15: a display name with a separator, unquoted.
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            // §3.1.2.13: an addr-spec with headers outside angle brackets.
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            // §3.1.2.1: empty parameters.
            "\"Joe\" <sip:joe@example.org>;;;;",
            "\"Joe\" sip:joe@example.org",
            "<sip:a@b",
            "",
        ] {
            assert_eq!(parse(value), None, "{value:?}");
        }
    }
}
