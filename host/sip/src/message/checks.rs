//! The checks a request passes before the endpoint acts on it, in the order their failures
//! are reported: size, start line and Request-URI scheme, the headers every request needs
//! (RFC 3261 §8.1.1), then the other headers the endpoint reads. Each failure is the response
//! that names it. A header the endpoint does not read, such as Date, is not checked: RFC 4475
//! §3.1.2.12 advises against refusing a request for one.

use rsip::headers::UntypedHeader;
use rsip::prelude::HeadersExt;

use super::{Party, call_id, check_content_length};
use crate::address::{self, Address};
use crate::fields::{self, CSeqError};
use crate::method::Method;
use crate::transport::Transport;
use crate::via;
use crate::wire::{RawRequest, split_list};

/// What the checks read from a request.
pub(super) struct Checked {
    pub(super) method: Method,
    pub(super) uri: String,
    pub(super) user: String,
    pub(super) call_id: String,
    pub(super) from: Party,
    pub(super) from_tag: Option<String>,
    pub(super) to: Party,
    pub(super) to_tag: Option<String>,
    pub(super) cseq: u32,
    pub(super) max_forwards: Option<u8>,
}

/// The Request-URI schemes the endpoint serves: SIP, SIPS and telephone numbers (RFC 3966).
const SCHEMES: [&str; 3] = ["sip", "sips", "tel"];

/// A status code and reason phrase refusing a request.
pub(super) type Refusal = (u16, String);

fn bad(reason: &str) -> Refusal {
    (400, reason.to_owned())
}

/// The checks of `raw`, received over `transport`, in the order their failures are reported:
/// the size, then the start line and the Request-URI scheme, then the headers every request
/// needs, then the others the endpoint reads.
pub(super) fn check_request(
    raw: &mut RawRequest,
    too_large: bool,
    transport: Transport,
) -> Result<Checked, Refusal> {
    if too_large {
        return Err((513, "Message Too Large".into()));
    }
    if let Some(reason) = &raw.malformed {
        return Err(bad(reason));
    }
    let Some((uri, version)) = &raw.line.target else {
        return Err(bad("Malformed Request-Line"));
    };
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        return Err((505, "Version Not Supported".into()));
    }
    // §19.1.1, table 1: a Request-URI carries no headers (RFC 4475 §3.1.2.11); it names its
    // host as every reader reads it, RFC 5118 §4.2 wanting 400 for an IPv6 host outside
    // brackets.
    let request_uri = crate::uri::parse(uri)
        .filter(|u| !u.has_headers && u.names_one_host())
        .ok_or_else(|| bad("Malformed Request-URI"))?;
    // §8.2.2.1 (RFC 4475 §3.3.2, §3.3.3).
    if !SCHEMES
        .iter()
        .any(|s| request_uri.scheme.eq_ignore_ascii_case(s))
    {
        return Err((416, "Unsupported URI Scheme".into()));
    }
    // §26.2.2: a SIPS Request-URI asks for TLS on every hop up to the entity responsible for
    // its domain, this one's too; over another transport that was not kept, and the scheme
    // is not served there (§8.2.2.1).
    if request_uri.is_sips() && transport != Transport::Tls {
        return Err((416, "Unsupported URI Scheme".into()));
    }
    let vias_ok = raw.headers.iter().all(|h| match h {
        rsip::Header::Via(via) => via::parse(via.value()).is_some_and(|v| v.params.is_some()),
        _ => true,
    });
    if !vias_ok {
        return Err(bad("Malformed Via header"));
    }
    check_single(&raw.headers)?;
    let (from, from_tag) = party(raw.from_header().map(|h| h.value()), "From")?;
    let (to, to_tag) = party(raw.to_header().map(|h| h.value()), "To")?;
    let call_id = call_id(raw).map_err(|reason| bad(&reason))?;
    let cseq = raw.cseq_header().map_err(|_| bad("Missing CSeq header"))?;
    let (cseq, cseq_method) = fields::cseq(cseq.value()).map_err(|error| match error {
        CSeqError::Malformed => bad("Malformed CSeq header"),
        CSeqError::OutOfRange => bad("CSeq number out of range"),
    })?;
    // §8.1.1.5: the CSeq method matches the request's, character for character.
    if cseq_method != &*raw.line.method {
        return Err(bad("CSeq method does not match request method"));
    }
    let max_forwards = match raw.max_forwards_header() {
        Ok(header) => Some(
            fields::max_forwards(header.value())
                .ok_or_else(|| bad("Malformed Max-Forwards header"))?,
        ),
        Err(_) => None,
    };
    check_contacts(&raw.headers)?;
    check_content_length(&raw.headers, &mut raw.body).map_err(|reason| bad(&reason))?;
    Ok(Checked {
        method: Method::from_token(&raw.line.method),
        uri: uri.to_string(),
        user: request_uri.user.to_owned(),
        call_id,
        from,
        from_tag,
        to,
        to_tag,
        cseq,
        max_forwards,
    })
}

/// Each header of [`single_name`] at most once (RFC 4475 §3.3.8); the first one repeated is
/// named.
fn check_single(headers: &rsip::Headers) -> Result<(), Refusal> {
    let mut seen = Vec::new();
    for name in headers.iter().filter_map(single_name) {
        if seen.contains(&name) {
            return Err(bad(&format!("Multiple {name} headers")));
        }
        seen.push(name);
    }
    Ok(())
}

/// The name of `header` if the endpoint reads it and a request carries it at most once
/// (§7.3.1: only a header whose value is a comma-separated list may repeat).
fn single_name(header: &rsip::Header) -> Option<&'static str> {
    match header {
        rsip::Header::From(_) => Some("From"),
        rsip::Header::To(_) => Some("To"),
        rsip::Header::CallId(_) => Some("Call-ID"),
        rsip::Header::CSeq(_) => Some("CSeq"),
        rsip::Header::MaxForwards(_) => Some("Max-Forwards"),
        _ => None,
    }
}

/// The From or To header `header` named `name` as a party and its tag. A `tag` without a
/// value is malformed (§25.1): read as no tag, it would have the response add a second one
/// after it, and a peer reading the first would miss ours.
fn party(
    header: Result<&str, rsip::Error>,
    name: &str,
) -> Result<(Party, Option<String>), Refusal> {
    let value = header.map_err(|_| bad(&format!("Missing {name} header")))?;
    let address = address::parse(value)
        .filter(|address| address.tag_param() != Some(None))
        .ok_or_else(|| bad(&format!("Malformed {name} header")))?;
    let tag = address.tag().map(str::to_owned);
    let Address {
        display_name,
        uri,
        user,
        ..
    } = address;
    let party = Party {
        uri: uri.to_owned(),
        user: user.to_owned(),
        display_name: display_name.map(str::to_owned),
    };
    Ok((party, tag))
}

/// Every Contact value must be an address or `*` (§20.10; RFC 4475 §3.1.2.13).
fn check_contacts(headers: &rsip::Headers) -> Result<(), Refusal> {
    for header in headers.iter() {
        if let rsip::Header::Contact(contact) = header {
            let all_ok = split_list(contact.value())
                .all(|value| value == "*" || address::parse(value).is_some());
            if !all_ok {
                return Err(bad("Malformed Contact header"));
            }
        }
    }
    Ok(())
}
