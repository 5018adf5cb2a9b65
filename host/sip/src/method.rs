//! Request methods (RFC 3261 §7.1, §27.4): the ones rsip names, and extension methods, which
//! rsip cannot represent.

use std::hash::{Hash, Hasher};
use std::mem;

/// The method of a received request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// A method rsip names; the endpoint implements some of them.
    Known(rsip::Method),
    /// Any other token: an extension method, which the endpoint does not implement.
    Extension,
}

impl Method {
    pub(crate) const ACK: Self = Self::Known(rsip::Method::Ack);
    pub(crate) const BYE: Self = Self::Known(rsip::Method::Bye);
    pub(crate) const CANCEL: Self = Self::Known(rsip::Method::Cancel);
    pub(crate) const INFO: Self = Self::Known(rsip::Method::Info);
    pub(crate) const INVITE: Self = Self::Known(rsip::Method::Invite);
    pub(crate) const OPTIONS: Self = Self::Known(rsip::Method::Options);
    pub(crate) const PRACK: Self = Self::Known(rsip::Method::PRack);
    pub(crate) const UPDATE: Self = Self::Known(rsip::Method::Update);

    /// The method named `token`. Method names are case-sensitive (§25.1 spells them as
    /// %x strings: `INVITEm = %x49.4E.56.49.54.45`), so `invite` is an extension method, though
    /// rsip would read it as INVITE.
    pub(crate) fn from_token(token: &str) -> Self {
        match token.parse::<rsip::Method>() {
            Ok(method) if method.to_string() == token => Self::Known(method),
            _ => Self::Extension,
        }
    }
}

// rsip's `Method` is not `Hash`; its variants carry no data, so the discriminant is the value.
impl Hash for Method {
    fn hash<H: Hasher>(&self, state: &mut H) {
        mem::discriminant(self).hash(state);
        if let Self::Known(method) = self {
            mem::discriminant(method).hash(state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_are_case_sensitive() {
        assert_eq!(Method::from_token("INVITE"), Method::INVITE);
        assert_eq!(
            Method::from_token("PRACK"),
            Method::Known(rsip::Method::PRack)
        );
        for extension in [
            "invite",
            "FROBNICATE",
            "RE%47IST%45R",
            "!interesting-Method'~",
        ] {
            assert_eq!(
                Method::from_token(extension),
                Method::Extension,
                "{extension}"
            );
        }
    }
}
