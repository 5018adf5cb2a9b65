//! Dialogs (RFC 3261 §12) on either side: identity, remote target, route set, CSeq numbering
//! and the in-dialog requests the endpoint sends (BYE, re-INVITE, OPTIONS, the ACK of a 2xx).

use std::fmt::Write;
use std::net::SocketAddr;

use rsip::headers::UntypedHeader;
use rsip::prelude::HeadersExt;

use crate::address;
use crate::build::LocalContact;
use crate::message::Request;
use crate::peer_address::{crossed_a_nat, may_be_sent_to};
use crate::request::Head;
use crate::transport::{Routed, Transport, TransportAddr};
use crate::uri;
use crate::wire::split_list;

/// The identity of a dialog (§12): Call-ID and both tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct DialogId {
    /// Call-ID.
    pub(crate) call_id: String,
    /// Our tag (the To tag of requests we receive).
    pub(crate) local_tag: String,
    /// The peer's tag (the From tag of requests we receive; "" from RFC 2543 peers).
    pub(crate) remote_tag: String,
}

impl DialogId {
    /// The dialog an in-dialog request names (§12.2.2): its Call-ID, its To tag as our tag and
    /// its From tag as the peer's.
    pub(crate) fn of_request(request: &Request) -> Self {
        Self {
            call_id: request.call_id.clone(),
            local_tag: request.to_tag.clone().unwrap_or_default(),
            remote_tag: request.from_tag.clone(),
        }
    }
}

/// The CSeq number of the peer's last request in a dialog, against which its next must be
/// higher (§12.2.2). Empty until the peer's first request (§12.1.2), which may carry any
/// number, 0 included (§8.1.1.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RemoteCSeq(Option<u32>);

impl RemoteCSeq {
    /// Records `cseq` if it is above the last one (or the first); returns whether it was.
    pub(crate) fn accept(&mut self, cseq: u32) -> bool {
        if self.0.is_some_and(|last| cseq <= last) {
            return false;
        }
        self.0 = Some(cseq);
        true
    }
}

/// What an in-dialog request carries beyond the headers every one has.
#[derive(Debug, Default)]
pub(crate) struct Parts<'a> {
    /// The CSeq number; `None` takes the next one (§12.2.1.1). An ACK repeats its INVITE's
    /// (§13.2.2.4, §17.1.1.3).
    pub(crate) cseq: Option<u32>,
    /// Header lines (name, value) added after User-Agent, in order.
    pub(crate) headers: &'a [(&'a str, String)],
    /// The body and its Content-Type.
    pub(crate) body: Option<(&'a str, &'a str)>,
}

/// The state of one dialog.
#[derive(Debug)]
pub(crate) struct Dialog {
    id: DialogId,
    local_uri: String,
    remote_uri: String,
    remote_target: String,
    /// The CSeq number of the peer's request whose Contact the remote target is, if one's is:
    /// only a later request of the peer's takes its place.
    target_cseq: RemoteCSeq,
    route_set: Vec<Route>,
    local_cseq: u32,
    remote_cseq: RemoteCSeq,
    /// Our address in the dialog and the transport it was created over.
    local: TransportAddr,
    /// Whether our Contact in the dialog is a SIPS URI ([`LocalContact::sips`]).
    sips: bool,
    fallback: SocketAddr,
    /// Whether we sent the INVITE that created it, and so chose its Call-ID.
    ours: bool,
}

impl Dialog {
    /// The UAS side of the dialog that `invite` creates (§12.1.1), with our tag `local_tag`
    /// and our advertised address `local` (with the transport the INVITE came over). Our
    /// Contact in it is a SIPS URI if the INVITE came over TLS and asked for one
    /// ([`asks_for_sips`]). `Err` holds the 400 reason phrase when the INVITE has no usable
    /// Contact (none is needed from an RFC 2543 peer) or Record-Route.
    pub(crate) fn uas(
        invite: &Request,
        local_tag: String,
        local: TransportAddr,
    ) -> Result<Self, String> {
        let peer_contact = contact(&invite.raw.headers)?;
        let remote_target = match &peer_contact {
            Some(target) => target.clone(),
            // RFC 4475 §3.4.1: an RFC 2543 INVITE may come without the Contact that §8.1.1.8
            // requires; its From URI is then the one address of the peer it gives.
            None if invite.rfc2543 => invite.from.uri.clone(),
            None => return Err("Missing Contact header".into()),
        };
        let route_set = record_route(&invite.raw.headers)?;
        // A SIPS Contact over UDP or TCP would send the peer to TLS at an address that does
        // not serve it.
        let sips = local.transport == Transport::Tls
            && asks_for_sips(&invite.uri, &route_set, peer_contact.as_deref());
        // Both headers were checked by `validate_request`; their text is kept verbatim.
        let text = |header: Result<&str, rsip::Error>| header.unwrap_or_default().to_owned();
        Ok(Self {
            id: DialogId {
                call_id: invite.call_id.clone(),
                local_tag,
                remote_tag: invite.from_tag.clone(),
            },
            local_uri: text(invite.raw.to_header().map(|h| h.value())),
            remote_uri: text(invite.raw.from_header().map(|h| h.value())),
            remote_target,
            target_cseq: RemoteCSeq(Some(invite.cseq)),
            route_set,
            // §12.1.1: the local sequence number starts empty; §8.1.1.5 lets us pick any
            // value below 2^31 for the first request.
            local_cseq: 0,
            remote_cseq: RemoteCSeq(Some(invite.cseq)),
            local,
            sips,
            fallback: invite.peer,
            ours: false,
        })
    }

    /// The peer the dialog goes over a connection (TCP, TLS) to or from, if it goes over one:
    /// where the peer's INVITE or latest target refresh came from, or where our INVITE went.
    /// Only [`Dialog::heard_from`] changes it.
    pub(crate) fn tcp_peer(&self) -> Option<SocketAddr> {
        self.local.transport.is_reliable().then_some(self.fallback)
    }

    /// Whether we created the dialog (sent its INVITE) and so its Call-ID, which sets the
    /// wait after a 491 (§14.1).
    pub(crate) fn call_id_is_ours(&self) -> bool {
        self.ours
    }

    /// A target refresh by the 2xx to our re-INVITE or UPDATE, whose `headers` these are
    /// (§12.2.1.2): their Contact, if readable, becomes the remote target that later requests
    /// go to. A peer that moved (a new address, a re-anchoring SBC) is followed.
    pub(crate) fn refresh_target(&mut self, headers: &rsip::Headers) {
        if let Ok(Some(target)) = contact(headers) {
            self.remote_target = target;
        }
    }

    /// The peer's target refresh `request` (its re-INVITE or UPDATE) is accepted (§12.2.2 as
    /// RFC 6141 §4 makes it precise: with its 2xx): its Contact, if readable, becomes the
    /// remote target, unless a later request of the peer's (a higher CSeq) set it already. A
    /// re-INVITE's offer may wait for the application while a later UPDATE without one is
    /// accepted at once: the older Contact, accepted last, does not take the target back.
    pub(crate) fn accept_target_refresh(&mut self, request: &Request) {
        if let Ok(Some(target)) = contact(&request.raw.headers)
            && self.target_cseq.accept(request.cseq)
        {
            self.remote_target = target;
        }
    }

    /// A target refresh request from the peer (its re-INVITE or UPDATE, accepted or not) came
    /// from `source`: a peer behind NAT, whose mapping may have changed, is reached there from
    /// now on.
    pub(crate) fn heard_from(&mut self, source: SocketAddr) {
        self.fallback = source;
    }

    /// The UAC side of the dialog that `response`, a 2xx to our INVITE with CSeq `cseq` and
    /// the To tag `remote_tag`, creates (§12.1.2): the route set is its Record-Route reversed,
    /// the remote target its Contact, or without one the INVITE's Request-URI; `head` gives
    /// our side. Host names fall back to `fallback`, where the INVITE went. `Err` names an
    /// unreadable header, or a missing To.
    pub(crate) fn uac(
        head: &Head,
        response: &rsip::Response,
        remote_tag: String,
        cseq: u32,
        fallback: SocketAddr,
    ) -> Result<Self, &'static str> {
        // §12.1.2 requires the Contact, but an RFC 2543 peer may leave it out: refusing the
        // dialog would leave its 2xx unacknowledged (§13.2.2.4). The Request-URI reached it.
        let remote_target = contact(&response.headers)?.unwrap_or_else(|| head.uri.clone());
        let mut route_set = record_route(&response.headers)?;
        route_set.reverse();
        let remote_uri = response
            .to_header()
            .map_err(|_| "Missing To header")?
            .value()
            .to_owned();
        Ok(Self {
            id: DialogId {
                call_id: head.call_id.clone(),
                local_tag: head.from_tag.clone(),
                remote_tag,
            },
            local_uri: head.from.clone(),
            remote_uri,
            remote_target,
            target_cseq: RemoteCSeq::default(),
            route_set,
            local_cseq: cseq,
            // §12.1.2: the remote sequence number starts empty.
            remote_cseq: RemoteCSeq::default(),
            local: head.local,
            // Our INVITE's Contact, a `sip:` one (`Head::invite`), stays ours in the dialog.
            sips: false,
            fallback,
            ours: true,
        })
    }

    /// Our Contact in the dialog, which its responses and target refreshes carry.
    pub(crate) fn contact(&self) -> LocalContact {
        LocalContact {
            local: self.local,
            sips: self.sips,
        }
    }

    /// The dialog's identity.
    pub(crate) fn id(&self) -> &DialogId {
        &self.id
    }

    /// §12.2.2: an in-dialog request must carry a CSeq above the last one seen; records it and
    /// returns whether it was in order.
    pub(crate) fn accept_remote_cseq(&mut self, cseq: u32) -> bool {
        self.remote_cseq.accept(cseq)
    }

    /// The dialog goes on from the peer's requests in its early part: `early` is the CSeq
    /// number of the last one (§12.2.2).
    pub(crate) fn continue_remote_cseq(&mut self, early: RemoteCSeq) {
        self.remote_cseq = early;
    }

    /// A new in-dialog request (§12.2.1.1) with Via branch `branch` and the next CSeq number,
    /// without body, and where to send it; see [`Dialog::request_with`].
    pub(crate) fn request(
        &mut self,
        method: rsip::Method,
        branch: &str,
        user_agent: &str,
    ) -> (Vec<u8>, TransportAddr) {
        self.request_with(method, branch, user_agent, &Parts::default())
    }

    /// The CSeq number of the last request built.
    pub(crate) fn local_cseq(&self) -> u32 {
        self.local_cseq
    }

    /// An in-dialog request (§12.2.1.1) with Via branch `branch` and `parts`, and where to
    /// send it.
    ///
    /// The destination is the first route (loose or strict routing) or the remote target;
    /// without DNS in a sans-IO core, a host name there falls back to the address responses
    /// to the dialog-creating INVITE went to.
    pub(crate) fn request_with(
        &mut self,
        method: rsip::Method,
        branch: &str,
        user_agent: &str,
        parts: &Parts<'_>,
    ) -> (Vec<u8>, TransportAddr) {
        let cseq = parts.cseq.unwrap_or_else(|| {
            self.local_cseq += 1;
            self.local_cseq
        });
        self.build(method, cseq, branch, user_agent, parts)
    }

    /// The Request-URI of the dialog's requests (§12.2.1.1): the remote target, or the first
    /// route if that is a strict router.
    pub(crate) fn request_uri(&self) -> String {
        match self.route_set.first() {
            Some(first) if !first.loose => first.uri.clone(),
            _ => self.remote_target.clone(),
        }
    }

    /// The ACK of a 2xx to the INVITE with CSeq `cseq`, routed where it goes. §13.2.2.4: it is
    /// built like an in-dialog request, with the INVITE's CSeq number, a branch of its own and
    /// the INVITE's credentials, the header lines `credentials`; sent outside any transaction,
    /// it follows the size rule all our requests do ([`Routed::new`], §18.1.1).
    pub(crate) fn ack(
        &self,
        cseq: u32,
        branch: &str,
        user_agent: &str,
        credentials: &[(&str, String)],
    ) -> Routed {
        let parts = Parts {
            cseq: Some(cseq),
            headers: credentials,
            body: None,
        };
        let (ack, destination) = self.build(rsip::Method::Ack, cseq, branch, user_agent, &parts);
        Routed::new(ack, destination)
    }

    /// Whether `target`, the address the next hop names, is where a request reaches the peer
    /// rather than where its messages come from (the fallback), which is used instead.
    fn reaches_the_peer(&self, target: SocketAddr) -> bool {
        let source = self.fallback.ip();
        // §12.2.1.1 sends to the remote target. A peer behind NAT names there an address of its
        // own network, which does not reach it from here: it is reached where its messages come
        // from, as RFC 3581 does for responses and RFC 5626 §5 for a flow. An unspecified,
        // multicast or broadcast address names no one peer, and a loopback one from a peer
        // elsewhere would aim our requests at this host's own services ([`may_be_sent_to`]),
        // and no datagram or connection goes to port 0: in a Contact or a Record-Route alike,
        // each is no address of the peer's.
        let behind_nat = self.route_set.is_empty() && crossed_a_nat(target.ip(), source);
        !behind_nat && target.port() != 0 && may_be_sent_to(target.ip(), source)
    }

    fn build(
        &self,
        method: rsip::Method,
        cseq: u32,
        branch: &str,
        user_agent: &str,
        parts: &Parts<'_>,
    ) -> (Vec<u8>, TransportAddr) {
        let target = format!("<{}>", self.remote_target);
        let (uri, routes, next_hop): (_, Vec<&str>, _) = match self.route_set.first() {
            None => (&self.remote_target, Vec::new(), &self.remote_target),
            Some(first) if first.loose => (
                &self.remote_target,
                self.route_set.iter().map(|r| r.value.as_str()).collect(),
                &first.uri,
            ),
            // §12.2.1.1: a strict router gets the request with itself as Request-URI and the
            // remote target as the last Route.
            Some(first) => (
                &first.uri,
                self.route_set[1..]
                    .iter()
                    .map(|r| r.value.as_str())
                    .chain(std::iter::once(target.as_str()))
                    .collect(),
                &first.uri,
            ),
        };
        // No TLS connection is opened from here: a dialog over TLS goes on the connection the
        // peer opened, whatever its Contact says, and one over UDP or TCP whose next hop asks
        // for TLS goes where the peer's messages come from, as for a next hop named by host.
        let hop = uri::parse(next_hop)
            .and_then(|u| Some((u.socket_addr()?, hop_transport(&u))))
            .filter(|&(_, transport)| {
                self.local.transport != Transport::Tls && transport != Some(Transport::Tls)
            })
            .filter(|&(target, _)| self.reaches_the_peer(target));
        // §18.1.1 and RFC 3263 §4.1: the next hop's `transport` parameter picks the transport;
        // without one, and when the hop is not used (the peer's source address stands in for
        // it), the dialog keeps the transport it was created over.
        let destination = match hop {
            Some((addr, transport)) => {
                TransportAddr::new(transport.unwrap_or(self.local.transport), addr)
            }
            None => TransportAddr::new(self.local.transport, self.fallback),
        }
        .sent_from(self.local.addr);
        let mut text = format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/{} {};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n",
            destination.transport, self.local.addr
        );
        for route in routes {
            let _ = write!(text, "Route: {route}\r\n");
        }
        let _ = write!(
            text,
            "From: {};tag={}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {cseq} {method}\r\n",
            self.local_uri, self.id.local_tag, self.remote_uri, self.id.call_id
        );
        if !user_agent.is_empty() {
            let _ = write!(text, "User-Agent: {user_agent}\r\n");
        }
        for (name, value) in parts.headers {
            let _ = write!(text, "{name}: {value}\r\n");
        }
        let body = match parts.body {
            Some((content_type, body)) => {
                let _ = write!(text, "Content-Type: {content_type}\r\n");
                body
            }
            None => "",
        };
        let _ = write!(text, "Content-Length: {}\r\n\r\n{body}", body.len());
        (text.into_bytes(), destination)
    }
}

/// The transport `hop`, a request's next hop, asks for: TLS for a SIPS URI (RFC 3263 §4.1),
/// else its `transport` parameter's if the endpoint speaks it (§19.1.1); `None` if neither.
fn hop_transport(hop: &uri::Uri<'_>) -> Option<Transport> {
    if hop.is_sips() {
        return Some(Transport::Tls);
    }
    hop.transport().and_then(Transport::from_param)
}

/// Whether the INVITE with the Request-URI `request_uri`, the Record-Route values `route_set`
/// and the Contact URI `contact` asks for a SIPS URI as our Contact (§12.1.1): its Request-URI
/// is one, or its top Record-Route, or, without Record-Route, its Contact.
fn asks_for_sips(request_uri: &str, route_set: &[Route], contact: Option<&str>) -> bool {
    let sips = |text: &str| uri::parse(text).is_some_and(|u| u.is_sips());
    sips(request_uri)
        || match route_set.first() {
            Some(top) => sips(&top.uri),
            None => contact.is_some_and(sips),
        }
}

/// One entry of a dialog's route set (§12.1.1, §12.1.2).
#[derive(Debug)]
struct Route {
    /// The route's URI.
    uri: String,
    /// Whether that URI names a loose router (`lr`).
    loose: bool,
    /// The Record-Route value as received, written out as a Route value.
    value: String,
}

/// The URI of the first Contact value in `headers`, the remote target of a dialog (§12.1.1,
/// §12.1.2); `None` without Contact, `Err` if it is unreadable.
fn contact(headers: &rsip::Headers) -> Result<Option<String>, &'static str> {
    let Some(value) = headers.iter().find_map(|h| match h {
        rsip::Header::Contact(contact) => Some(contact.value()),
        _ => None,
    }) else {
        return Ok(None);
    };
    let address = split_list(value)
        .next()
        .and_then(address::parse)
        .ok_or("Malformed Contact header")?;
    Ok(Some(address.uri.to_owned()))
}

/// The Record-Route values in `headers`, in order; `Err` if one is unreadable.
fn record_route(headers: &rsip::Headers) -> Result<Vec<Route>, &'static str> {
    let mut routes = Vec::new();
    for header in headers.iter() {
        if let rsip::Header::RecordRoute(record_route) = header {
            for value in split_list(record_route.value()) {
                let address = address::parse(value).ok_or("Malformed Record-Route header")?;
                let loose = uri::parse(address.uri).is_some_and(|u| u.is_loose_router());
                routes.push(Route {
                    uri: address.uri.to_owned(),
                    loose,
                    value: value.to_owned(),
                });
            }
        }
    }
    Ok(routes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::validate_request;
    use crate::testing::addr;
    use crate::wire::parse_request;

    fn invite(extra: &str) -> Request {
        invite_via("SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK1", extra)
    }

    /// An INVITE with the top Via `via` and the header lines `extra`.
    fn invite_via(via: &str, extra: &str) -> Request {
        invite_from("192.0.2.7:5062", via, extra)
    }

    /// An INVITE from `source` over UDP with the top Via `via` and the header lines `extra`.
    fn invite_from(source: &str, via: &str, extra: &str) -> Request {
        let text = format!(
            "INVITE sip:sut@192.0.2.1 SIP/2.0\r\nVia: {via}\r\n\
             From: \"A\" <sip:a@192.0.2.7>;tag=ft\r\nTo: <sip:sut@192.0.2.1>\r\nCall-ID: cid\r\n\
             CSeq: 10 INVITE\r\n{extra}\r\n"
        );
        validate_request(parse_request(&text), local().addr, local_udp(source), false).unwrap()
    }

    fn local_udp(addr: &str) -> TransportAddr {
        TransportAddr::udp(addr.parse().unwrap())
    }

    fn local() -> TransportAddr {
        local_udp("192.0.2.1:5060")
    }

    /// Where a request to `addr` over UDP goes: from our address, which its Via names.
    fn sent_to(addr: &str) -> TransportAddr {
        local_udp(addr).sent_from(local().addr)
    }

    /// Our side, with tag `lt` at `local`, of the dialog of an INVITE with the header lines
    /// `extra`.
    fn uas(extra: &str, local: TransportAddr) -> Dialog {
        Dialog::uas(&invite(extra), "lt".into(), local).unwrap()
    }

    #[test]
    fn a_peer_behind_nat_is_reached_where_its_invite_came_from() {
        // The INVITE comes from 192.0.2.7:5062.
        for (contact, reached) in [
            ("192.168.1.10:5060", "192.0.2.7:5062"),
            ("10.1.2.3", "192.0.2.7:5062"),
            ("172.20.0.9:5070", "192.0.2.7:5062"),
            ("100.64.7.7:5060", "192.0.2.7:5062"),
            ("169.254.3.3:5060", "192.0.2.7:5062"),
            ("[fd00::10]:5060", "192.0.2.7:5062"),
            ("[fe80::1]:5060", "192.0.2.7:5062"),
            // Not private, or the source's own: its Contact.
            ("192.0.2.8:5070", "192.0.2.8:5070"),
            ("100.128.0.1:5060", "100.128.0.1:5060"),
            ("[2001:db8::5]:5060", "[2001:db8::5]:5060"),
        ] {
            let mut dialog = uas(&format!("Contact: <sip:a@{contact}>\r\n"), local());
            let (bytes, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
            assert_eq!(dest, sent_to(reached), "{contact}");
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                text.starts_with(&format!("BYE sip:a@{contact} SIP/2.0\r\n")),
                "the Request-URI stays the Contact: {text}"
            );
        }
        // From a private source (a peer on this network, or a proxy on it): its Contact.
        let request = invite_from(
            "10.0.0.1:5060",
            "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1",
            "Contact: <sip:a@10.0.0.5:5070>\r\n",
        );
        let mut dialog = Dialog::uas(&request, "lt".into(), local()).unwrap();
        let (_, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
        assert_eq!(dest, sent_to("10.0.0.5:5070"));
        // A peer that moved, its re-INVITE from a new mapping: reached there.
        let mut moved = uas("Contact: <sip:a@192.168.1.10>\r\n", local());
        moved.heard_from("198.51.100.20:41000".parse().unwrap());
        let (_, dest) = moved.request(rsip::Method::Bye, "z9hG4bKb", "ua");
        assert_eq!(dest, sent_to("198.51.100.20:41000"));
        // With a route set the request goes to the first route, whatever the Contact says.
        let mut routed = uas(
            "Contact: <sip:a@192.168.1.10>\r\nRecord-Route: <sip:192.0.2.50;lr>\r\n",
            local(),
        );
        let (_, dest) = routed.request(rsip::Method::Bye, "z9hG4bKb", "ua");
        assert_eq!(dest, sent_to("192.0.2.50:5060"));
    }

    #[test]
    fn an_address_no_peer_holds_is_not_sent_to() {
        // The INVITE comes from 192.0.2.7:5062, a peer elsewhere.
        for header in [
            "Contact: <sip:a@127.0.0.1:8090;transport=tcp>",
            "Contact: <sip:a@[::1]:8090>",
            "Contact: <sip:a@[::ffff:127.0.0.1]:8090>",
            "Contact: <sip:a@0.0.0.0:8090>",
            "Contact: <sip:a@[::]:8090>",
            "Contact: <sip:a@224.0.1.75>",
            "Contact: <sip:a@255.255.255.255>",
            "Contact: <sip:a@192.0.2.8:0>",
            "Contact: <sip:a@192.0.2.8>\r\nRecord-Route: <sip:192.0.2.9:0;lr>",
            "Contact: <sip:a@192.0.2.8>\r\nRecord-Route: <sip:0.0.0.0:8090;lr>",
            "Contact: <sip:a@192.0.2.8>\r\nRecord-Route: <sip:127.0.0.1:8090>",
        ] {
            let mut dialog = uas(&format!("{header}\r\n"), local());
            let (_, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
            assert_eq!(dest.addr, addr("192.0.2.7:5062"), "{header}");
            // Over the transport the dialog came over: the peer's UDP source
            // port is no place for a TCP connection the hop asked for.
            assert_eq!(dest.transport, Transport::Udp, "{header}");
        }
        // A peer on this host is reached at its loopback Contact.
        let request = invite_from(
            "127.0.0.1:5062",
            "SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1",
            "Contact: <sip:a@127.0.0.1:8090>\r\n",
        );
        let mut dialog = Dialog::uas(&request, "lt".into(), local()).unwrap();
        let (_, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
        assert_eq!(dest.addr, addr("127.0.0.1:8090"));
    }

    #[test]
    fn bye_goes_to_remote_target_with_next_cseq() {
        let mut dialog = uas("Contact: <sip:a@192.0.2.8:5070>\r\n", local());
        let (bytes, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(dest, sent_to("192.0.2.8:5070"));
        assert!(
            text.starts_with("BYE sip:a@192.0.2.8:5070 SIP/2.0\r\n"),
            "{text}"
        );
        for line in [
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKb;rport\r\n",
            "From: <sip:sut@192.0.2.1>;tag=lt\r\n",
            "To: \"A\" <sip:a@192.0.2.7>;tag=ft\r\n",
            "Call-ID: cid\r\n",
            "CSeq: 1 BYE\r\n",
            "User-Agent: ua\r\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in {text}");
        }
        let (bytes, _) = dialog.request(rsip::Method::Bye, "z9hG4bKc", "ua");
        assert!(
            String::from_utf8(bytes)
                .unwrap()
                .contains("CSeq: 2 BYE\r\n")
        );
    }

    #[test]
    fn a_target_refresh_moves_later_requests_to_the_new_contact() {
        let mut dialog = uas("Contact: <sip:a@192.0.2.8:5070>\r\n", local());
        let refresh = invite("Contact: <sip:a@198.51.100.9:5070>\r\n");
        dialog.refresh_target(&refresh.raw.headers);
        let (bytes, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
        assert_eq!(dest, sent_to("198.51.100.9:5070"));
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.starts_with("BYE sip:a@198.51.100.9:5070 SIP/2.0\r\n"),
            "{text}"
        );
        // Without a Contact the target stays.
        dialog.refresh_target(&invite("").raw.headers);
        let (_, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKc", "ua");
        assert_eq!(dest, sent_to("198.51.100.9:5070"));
    }

    #[test]
    fn request_with_carries_headers_body_and_a_given_cseq() {
        let mut dialog = uas("Contact: <sip:a@192.0.2.8:5070>\r\n", local());
        let headers = [("Contact", "<sip:192.0.2.1:5060>".to_owned())];
        let parts = Parts {
            cseq: None,
            headers: &headers,
            body: Some(("application/sdp", "v=0\r\n")),
        };
        let (bytes, _) = dialog.request_with(rsip::Method::Invite, "z9hG4bKi", "ua", &parts);
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.ends_with(
                "CSeq: 1 INVITE\r\nUser-Agent: ua\r\nContact: <sip:192.0.2.1:5060>\r\n\
                 Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"
            ),
            "{text}"
        );
        assert_eq!(dialog.local_cseq(), 1);
        let ack = Parts {
            cseq: Some(1),
            ..Parts::default()
        };
        let (bytes, _) = dialog.request_with(rsip::Method::Ack, "z9hG4bKa", "ua", &ack);
        assert!(
            String::from_utf8(bytes)
                .unwrap()
                .contains("CSeq: 1 ACK\r\n")
        );
        assert_eq!(dialog.local_cseq(), 1, "an ACK takes no new number");
    }

    #[test]
    fn loose_route_set_is_used_in_order() {
        let mut dialog = uas(
            "Contact: <sip:a@192.0.2.8>\r\nRecord-Route: <sip:192.0.2.50:5080;lr>, <sip:p2.example.com;lr>\r\n",
            local(),
        );
        let (bytes, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(dest, sent_to("192.0.2.50:5080"));
        assert!(
            text.starts_with("BYE sip:a@192.0.2.8 SIP/2.0\r\n"),
            "{text}"
        );
        assert!(
            text.contains("Route: <sip:192.0.2.50:5080;lr>\r\nRoute: <sip:p2.example.com;lr>\r\n"),
            "{text}"
        );
    }

    #[test]
    fn a_tcp_dialog_sends_over_tcp_unless_the_next_hop_names_a_transport() {
        let tcp = TransportAddr::new(Transport::Tcp, local().addr);
        let mut dialog = uas("Contact: <sip:a@192.0.2.8:5070;transport=tcp>\r\n", tcp);
        let (bytes, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(dest.transport, Transport::Tcp);
        assert!(
            text.contains("Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKb;rport\r\n"),
            "{text}"
        );
        let mut udp_target = uas("Contact: <sip:a@192.0.2.8:5070;transport=UDP>\r\n", tcp);
        let (bytes, dest) = udp_target.request(rsip::Method::Bye, "z9hG4bKc", "ua");
        assert_eq!(dest, sent_to("192.0.2.8:5070"));
        assert!(
            String::from_utf8(bytes)
                .unwrap()
                .contains("Via: SIP/2.0/UDP ")
        );
    }

    #[test]
    fn a_tls_dialog_sends_on_the_peers_connection_whatever_its_contact_names() {
        let tls = TransportAddr::new(Transport::Tls, "192.0.2.1:5061".parse().unwrap());
        // The INVITE came from 192.0.2.7:5062, the peer's end of its connection.
        for contact in [
            "<sip:a@192.0.2.8:5070;transport=tls>",
            "<sip:a@192.0.2.8:5070;transport=tcp>",
            "<sip:a@192.0.2.7:5080>",
        ] {
            let mut dialog = uas(&format!("Contact: {contact}\r\n"), tls);
            assert_eq!(dialog.tcp_peer(), Some("192.0.2.7:5062".parse().unwrap()));
            let (bytes, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
            let text = String::from_utf8(bytes).unwrap();
            assert_eq!(
                (dest.transport, dest.addr.to_string()),
                (Transport::Tls, "192.0.2.7:5062".to_owned()),
                "{contact}"
            );
            assert!(
                text.contains("Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bKb;rport\r\n"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_dialog_over_udp_whose_next_hop_asks_for_tls_reaches_the_peer_where_it_sends_from() {
        // The INVITE came over UDP from 192.0.2.7:5062; no TLS connection is opened from here.
        for contact in [
            "<sip:a@192.0.2.8:5061;transport=tls>",
            "<sip:a@192.0.2.8:5061;transport=TLS>",
            "<sips:a@192.0.2.8:5061>",
        ] {
            let mut dialog = uas(&format!("Contact: {contact}\r\n"), local());
            let (bytes, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
            assert_eq!(dest, sent_to("192.0.2.7:5062"), "{contact}");
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains("Via: SIP/2.0/UDP "), "{text}");
        }
        // Over TCP when it says so, as before.
        let mut tcp = uas("Contact: <sip:a@192.0.2.8:5070;transport=tcp>\r\n", local());
        let (_, dest) = tcp.request(rsip::Method::Bye, "z9hG4bKb", "ua");
        assert_eq!(
            (dest.transport, dest.addr),
            (Transport::Tcp, "192.0.2.8:5070".parse().unwrap())
        );
    }

    #[test]
    fn host_name_target_falls_back_to_the_invite_source() {
        let mut dialog = uas("Contact: <sip:a@phone.example.com>\r\n", local());
        let (_, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
        assert_eq!(dest, sent_to("192.0.2.7:5062"));
    }

    #[test]
    fn an_rfc_2543_invite_without_contact_targets_its_from_uri() {
        let rfc2543 = invite_via("SIP/2.0/UDP 192.0.2.7:5062", "");
        let mut dialog = Dialog::uas(&rfc2543, "lt".into(), local()).unwrap();
        let (bytes, dest) = dialog.request(rsip::Method::Bye, "z9hG4bKb", "ua");
        assert!(
            String::from_utf8(bytes)
                .unwrap()
                .starts_with("BYE sip:a@192.0.2.7 SIP/2.0\r\n")
        );
        assert_eq!(dest, sent_to("192.0.2.7:5060"));
    }

    #[test]
    fn missing_contact_is_named_and_cseq_order_enforced() {
        assert_eq!(
            Dialog::uas(&invite(""), "lt".into(), local()).unwrap_err(),
            "Missing Contact header"
        );
        let mut dialog = uas("Contact: sip:a@192.0.2.8\r\n", local());
        assert!(!dialog.accept_remote_cseq(10));
        assert!(dialog.accept_remote_cseq(11));
        assert!(!dialog.accept_remote_cseq(11));
        assert_eq!(dialog.id().remote_tag, "ft");
    }

    #[test]
    fn the_peers_first_request_may_be_numbered_0() {
        let mut remote = RemoteCSeq::default();
        assert!(remote.accept(0), "§8.1.1.5: any number");
        assert!(!remote.accept(0));
        assert!(remote.accept(1));
    }
}
