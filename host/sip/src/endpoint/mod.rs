//! The UA core for UDP and TCP: owns calls, dialogs and transactions, and is driven by the
//! shell through received messages, time and the application's decisions.

mod admission;
mod challenge;
mod early_dialog;
mod in_dialog;
mod inbound;
mod outbound;
#[cfg(test)]
mod placed_tests;
mod progress;
mod session;
#[cfg(test)]
mod tests;
mod transport_failure;
mod update;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use crate::auth::Authenticator;
use crate::build::{Extensions, ResponseBuilder, check_extra_header};
use crate::call::{Call, CallKey, CallTimeout, Phase};
use crate::counts::{RequestCounts, ResponseCounts};
use crate::dialog::{Dialog, DialogId};
use crate::event::{EndCause, Event};
use crate::expiring::Expiring;
use crate::hosts::{Host, HostCounts};
use crate::ids::Ids;
use crate::limits::Limits;
use crate::message::Request;
use crate::method::Method;
use crate::outgoing::{MAX_FORWARDS, Placed};
use crate::prack::{LatePracks, Reliable, Waiting};
use crate::rate::RateLimit;
use crate::reply::Reply;
use crate::session::OfferMethod;
use crate::session::reinvite::OrphanedReinvites;
use crate::session::timer::SessionTimers;
use crate::timer::Schedule;
use crate::transaction::{
    InviteLinger, InviteServer, Lingering, NonInviteClient, RefusedInvites, ServerKey, Transaction,
    TxId,
};
use crate::transmit::{Outbox, Transmit};
use crate::transport::{Transport, TransportAddr};
use crate::wire::{self, Datagram};
use challenge::Release;
use session::Ended;
use transport_failure::AwaitingAt;

/// How the endpoint presents itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointConfig {
    /// The Server header of responses and the User-Agent header of requests;
    /// empty: neither is sent.
    pub user_agent: String,
}

/// Counters of what the endpoint saw and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages handed to [`Endpoint::handle_message`] (or [`Endpoint::handle_datagram`]).
    pub datagrams_received: u64,
    /// Datagrams of only whitespace or NUL bytes (NAT keepalives), ignored.
    pub keepalives: u64,
    /// Datagrams that are no SIP message, dropped.
    pub dropped_unparseable: u64,
    /// Datagrams over [`Limits::max_message_bytes`] that are no request with a readable top
    /// Via (responses included), dropped, and such messages over it on a stream (TCP, TLS),
    /// which the shell drops unanswered as it frames them ([`Endpoint::framing_refused`]); a
    /// request whose head alone is over it is answered from the part read, if that holds a
    /// readable top Via.
    pub dropped_too_large: u64,
    /// New requests over [`Limits::max_requests_per_source_per_second`], dropped unanswered.
    pub dropped_rate_limited: u64,
    /// Requests that cannot be answered, dropped: those without a readable top Via (no
    /// response can be routed, §18.2.2), and those with a control character in a header that
    /// a response copies (§8.2.6.2: Via, From, To, Call-ID, CSeq), which no peer could read
    /// back safely; ACKs included. Those on a stream (TCP, TLS) whose Content-Length is
    /// missing or malformed are dropped by the shell as it frames them, and counted once it
    /// says so ([`Endpoint::framing_refused`]).
    pub dropped_unroutable_requests: u64,
    /// Responses with a missing or broken mandatory header, a short body or more than one Via
    /// (§8.1.3.3), dropped.
    pub dropped_malformed_responses: u64,
    /// Responses that match no client transaction, or 2xx responses from more forks of one
    /// of our INVITEs than the endpoint takes (16), dropped.
    pub dropped_stray_responses: u64,
    /// ACKs that match no transaction and no dialog, or are malformed or too large, dropped.
    pub dropped_acks: u64,
    /// Requests of ours (a call's INVITE, a BYE, a re-INVITE, ...) given up without waiting
    /// for their response because the transport failed towards their destination
    /// ([`Endpoint::transport_failed`]).
    pub transport_failures: u64,
    /// `400 Bad Request` responses the endpoint sent on its own for malformed requests, new or
    /// in a dialog (not their retransmissions, but one sent again to each copy of a request
    /// refused outside any transaction); one refusing a new INVITE for its malformed SDP or
    /// multipart body is counted in [`Stats::invites_refused_unusable_offer`] too. A 400 the
    /// application sends ([`Endpoint::reject`], [`Endpoint::refuse_offer`]) is not counted,
    /// one the shell writes for a message on a stream (TCP, TLS) without a readable
    /// Content-Length is, once it says so ([`Endpoint::framing_refused`]).
    pub bad_requests_sent: u64,
    /// `513 Message Too Large` responses sent for requests over
    /// [`Limits::max_message_bytes`], those the shell writes for messages on a stream (TCP,
    /// TLS) as it frames them included ([`Endpoint::framing_refused`]).
    pub too_large_sent: u64,
    /// Retransmitted requests answered or absorbed by their server transaction, and
    /// retransmitted INVITEs, and CANCELs of them, answered again (the 503, the 200) from the
    /// memory of refusals for want of room (see [`Stats::invites_refused_overloaded`]).
    pub request_retransmissions_received: u64,
    /// Retransmissions sent (requests and responses).
    pub retransmissions_sent: u64,
    /// INVITEs that became calls ([`Event::IncomingCall`]).
    pub incoming_calls: u64,
    /// New INVITEs (no To tag) answered `503 Service Unavailable` with `Retry-After` as the
    /// transaction table had no room for them, or, once it was half full, their source host
    /// held its share of it: as in the eight counts after it, INVITEs refused before any call
    /// started (no [`Event::IncomingCall`]), each under one cause. The 503 is sent outside any
    /// transaction, but the refusal is remembered for Timer H (64*T1): an INVITE retransmitted
    /// because its 503 was lost gets the 503 again and is not counted again (beyond the
    /// 131,072 most recent refusals it would be), the ACK of the 503 is absorbed and a CANCEL
    /// of the INVITE gets 200 (each copy of the CANCEL too, as a retransmission).
    pub invites_refused_overloaded: u64,
    /// New INVITEs refused for their offer: 488 (no usable audio stream, a connection address
    /// that is no IP address, media addresses the peer could not hold), 415 (a body type or
    /// content coding other than SDP and the identity), 406 (an Accept header excluding SDP)
    /// or 400 (malformed SDP or multipart body). Retransmissions, answered by the INVITE's
    /// server transaction, are not counted again.
    pub invites_refused_unusable_offer: u64,
    /// New INVITEs refused with `422 Session Interval Too Small` (RFC 4028 §9): a negotiation
    /// step rather than a lost call, as the caller normally sends the INVITE again with a
    /// Session-Expires of at least our Min-SE (§7.4). Retransmissions are not counted again.
    pub invites_refused_session_interval_too_small: u64,
    /// New INVITEs refused with `482 Loop Detected`: another copy of an INVITE already here,
    /// on another branch (§8.2.2.2). Retransmissions are not counted again.
    pub invites_refused_loop_detected: u64,
    /// New INVITEs refused with `483 Too Many Hops`: Max-Forwards 0 (§16.3 step 3).
    /// Retransmissions are not counted again.
    pub invites_refused_too_many_hops: u64,
    /// New INVITEs refused with `420 Bad Extension`: they require an extension the endpoint
    /// does not support (§8.2.2.3). Retransmissions are not counted again.
    pub invites_refused_unsupported_extension: u64,
    /// New INVITEs refused with `400 Bad Request` for a Contact or Record-Route no dialog can
    /// be made with (also counted in [`Stats::bad_requests_sent`]). Retransmissions are not
    /// counted again. A 400 or 513 for a request's form or size, sent before it is read as an
    /// INVITE, is counted only in [`Stats::bad_requests_sent`] or [`Stats::too_large_sent`]; a
    /// 416 or 505 for a new INVITE is counted under its own cause (the two counts after this).
    pub invites_refused_bad_request: u64,
    /// New INVITEs (their start line names INVITE, their To has no tag) refused with
    /// `416 Unsupported URI Scheme`: a Request-URI neither SIP, SIPS nor tel (§8.2.2.1). The
    /// 416 is sent outside any transaction, before the rest of the request is read: each
    /// retransmission is refused, and counted, again.
    pub invites_refused_unsupported_uri_scheme: u64,
    /// New INVITEs refused with `505 Version Not Supported`: a start line of another SIP
    /// version than 2.0 (§8.2.2). Like the 416, sent outside any transaction: each
    /// retransmission is refused, and counted, again.
    pub invites_refused_version_not_supported: u64,
    /// Calls placed with [`Endpoint::invite`].
    pub outgoing_calls: u64,
    /// Requests (INVITE, BYE) sent again with Digest credentials after a 401 or 407.
    pub auth_retries: u64,
    /// Retransmitted final responses to our INVITEs, absorbed (a 2xx gets its ACK again).
    pub response_retransmissions_received: u64,
    /// 2xx responses from a second fork of our INVITE, ACKed and released with a BYE.
    pub forked_2xx_released: u64,
    /// Well-formed requests received (retransmissions included), by method.
    pub requests_received: RequestCounts,
    /// Responses sent (retransmissions not included), by status class.
    pub responses_sent: ResponseCounts,
}

/// Why the application's request about a call cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The call does not exist (it ended, or never existed).
    #[error("unknown call {0}")]
    UnknownCall(CallKey),
    /// The call is in a state where this is not possible.
    #[error("call {call} is {state}")]
    InvalidState {
        /// The call.
        call: CallKey,
        /// Where it stands.
        state: &'static str,
    },
    /// The status code does not fit the response: a final non-2xx code (300..=699) to
    /// reject, a provisional one (101..=199) for progress.
    #[error("status code {0} does not fit this response")]
    InvalidStatus(u16),
    /// The INVITE of an [`OutgoingCall`](crate::OutgoingCall) would not pass the checks the
    /// endpoint makes on requests it receives, e.g. for a SIPS Request-URI over UDP or TCP.
    #[error("the INVITE would be refused: {reason}")]
    InvalidRequest {
        /// The problem, as a 400 reason phrase would name it.
        reason: String,
    },
    /// A URI or address of an [`OutgoingCall`](crate::OutgoingCall) cannot be sent as given.
    #[error("the {field} {value:?} is no valid SIP URI or address for it")]
    InvalidAddress {
        /// The field: Request-URI, From, To or Route.
        field: &'static str,
        /// The value as given.
        value: String,
    },
    /// An extra header line cannot be sent as given.
    #[error("header {name:?} cannot be added: {problem}")]
    InvalidHeader {
        /// The header name as given.
        name: String,
        /// What is wrong with the line.
        problem: &'static str,
    },
}

/// Something that owns timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Owner {
    Tx(TxId),
    Call(CallKey),
    /// The call's mid-dialog timers: our re-INVITE, session refresh and expiry.
    Session(CallKey),
}

/// How a client transaction is found (§17.1.3): top Via branch and CSeq method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    branch: String,
    method: String,
}

/// What a request merged on its way shares with its other copies (§8.2.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct MergeKey {
    call_id: String,
    from_tag: String,
    cseq: u32,
}

/// How many merge keys of lingering INVITE server transactions each queue of
/// [`LingeringMerges`] keeps at most: 64*T1 of calls at 4,000 a second (the oldest goes first;
/// its copy would then be offered as a call of its own).
const LINGERING_MERGES_MAX: usize = 131_072;

/// The merge keys of lingering INVITE server transactions of offered calls, until they end:
/// one queue per state, as each state lasts its own fixed time (Timer L, Timer I), so that
/// each queue's keys expire in the order they came ([`Expiring`]).
#[derive(Debug)]
struct LingeringMerges {
    accepted: Expiring<MergeKey, ()>,
    confirmed: Expiring<MergeKey, ()>,
}

impl Default for LingeringMerges {
    fn default() -> Self {
        Self {
            accepted: Expiring::new(LINGERING_MERGES_MAX),
            confirmed: Expiring::new(LINGERING_MERGES_MAX),
        }
    }
}

impl LingeringMerges {
    /// Keeps `key` of a transaction lingering in `state` until `until`, when it ends.
    fn insert(&mut self, state: InviteLinger, until: Instant, key: MergeKey) {
        match state {
            InviteLinger::Accepted => self.accepted.insert(until, key, ()),
            InviteLinger::Confirmed => self.confirmed.insert(until, key, ()),
        }
    }

    /// Whether a lingering transaction has `key`.
    fn contains(&self, key: &MergeKey) -> bool {
        self.accepted.get(key).is_some() || self.confirmed.get(key).is_some()
    }

    /// Drops the keys of transactions ended at `now`.
    fn expire(&mut self, now: Instant) {
        self.accepted.expire(now);
        self.confirmed.expire(now);
    }

    /// When the next transaction ends.
    fn next_expiry(&self) -> Option<Instant> {
        [self.accepted.next_expiry(), self.confirmed.next_expiry()]
            .into_iter()
            .flatten()
            .min()
    }

    /// How many keys are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.accepted.len() + self.confirmed.len()
    }
}

impl MergeKey {
    /// The merge key of `request`.
    fn of(request: &Request) -> Self {
        Self {
            call_id: request.call_id.clone(),
            from_tag: request.from_tag.clone(),
            cseq: request.cseq,
        }
    }
}

#[derive(Debug)]
enum TxKey {
    Server(ServerKey),
    Client(ClientKey),
}

#[derive(Debug)]
struct TxEntry {
    key: TxKey,
    tx: Transaction,
    /// Where the request of a client transaction of ours went, until a non-INVITE one's
    /// final response came (an INVITE one says itself whether it still waits for one).
    awaiting: Option<TransportAddr>,
    /// The merge key of an INVITE server transaction of an offered call.
    merge: Option<MergeKey>,
    /// The host whose request started a server transaction.
    host: Option<Host>,
}

/// What a non-INVITE client transaction of ours carries, which says who takes its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientRequest {
    /// A BYE, or a CANCEL, which no call waits for.
    Bye,
    /// The OPTIONS of [`Endpoint::probe`].
    Probe,
    /// Our UPDATE: a new offer or a session refresh.
    Update,
}

impl TxEntry {
    /// What this transaction carries, if it is a non-INVITE client one of ours.
    fn client_request(&self) -> ClientRequest {
        match &self.key {
            TxKey::Client(key) if key.method == "OPTIONS" => ClientRequest::Probe,
            TxKey::Client(key) if key.method == "UPDATE" => ClientRequest::Update,
            _ => ClientRequest::Bye,
        }
    }
}

/// The UA core for UDP and TCP: answers calls and places them.
///
/// Sans-IO: feed it received messages ([`Endpoint::handle_message`],
/// [`Endpoint::handle_datagram`]) and time
/// ([`Endpoint::handle_timeout`] at [`Endpoint::poll_timeout`]), then drain
/// [`Endpoint::poll_transmit`] and [`Endpoint::poll_event`]. Identifiers come from a PRNG
/// seeded at construction, so a run is reproducible.
#[derive(Debug)]
pub struct Endpoint {
    user_agent: String,
    max_message_bytes: usize,
    /// The per-source request-rate limit, if one is set.
    rate_limit: Option<RateLimit>,
    /// [`Limits::MAX_TRANSACTIONS`], lowered by tests.
    max_transactions: usize,
    ids: Ids,
    // Boxed: a call is over a kilobyte, and the table keeps twice the slots of the
    // most calls it ever held.
    calls: HashMap<CallKey, Box<Call>>,
    dialogs: HashMap<DialogId, CallKey>,
    /// The calls offered to us, by their INVITE's Call-ID, From tag and CSeq, for as long
    /// as they last: a later INVITE with the same three and no To tag, on another branch, is
    /// the same request merged on its way (§8.2.2.2).
    offered: HashMap<MergeKey, CallKey>,
    /// The live INVITE server transactions of offered calls, by merge key: a call may end
    /// (rejected, hung up) before its INVITE's transaction does, and the request is merged as
    /// long as the transaction lives (§8.2.2.2).
    merging: HashMap<MergeKey, TxId>,
    /// The merge keys of those transactions once they linger, until they end.
    lingering_merges: LingeringMerges,
    /// The new INVITEs recently refused for want of room, whose retransmissions, ACKs and
    /// CANCELs are answered as their transactions would.
    overload_refusals: RefusedInvites,
    /// The calls of our re-INVITEs under way, by Via branch.
    reinvites: HashMap<String, CallKey>,
    /// Our re-INVITEs whose call ended first, still acknowledged for a while.
    orphaned_reinvites: OrphanedReinvites,
    /// The PRACKs owed to calls that ended (RFC 3262 §3).
    late_pracks: LatePracks,
    session_timers: SessionTimers,
    /// How our own offers and session refreshes are sent.
    offer_method: OfferMethod,
    /// Calls we placed, from the INVITE until its final response (after a 2xx, until
    /// Timer M); an answered one is also in `calls`.
    placed: HashMap<CallKey, Box<Placed>>,
    /// The calls in `placed` with an ACK of a 2xx that went over TCP for its size only, bound
    /// for UDP: the ones a failure of TCP may send one again over UDP (§18.1.1).
    acks_moved_for_size: BTreeSet<CallKey>,
    /// The calls in `placed` by their Call-ID, which the callee's requests in an early dialog
    /// name.
    placed_call_ids: HashMap<String, CallKey>,
    /// The credentials of answered calls we placed, for challenges to their BYE.
    authenticators: HashMap<CallKey, Authenticator>,
    /// The dialogs we do not keep whose BYE carries credentials, by that BYE's transaction.
    releases: HashMap<TxId, Release>,
    /// Live transactions: INVITE servers until their final response is settled, clients.
    transactions: HashMap<TxId, TxEntry>,
    /// The client transactions among them awaiting a final response, by where they went.
    awaiting_at: AwaitingAt,
    server_index: HashMap<ServerKey, TxId>,
    client_index: HashMap<ClientKey, TxId>,
    /// How many of the live server transactions each source host's requests started.
    live_hosts: HostCounts,
    /// How many calls and placed calls use a TCP connection with each peer
    /// ([`Endpoint::uses_tcp_connection`]): each call's [`Dialog::tcp_peer`], each placed
    /// call's [`Placed::tcp_peer`].
    ///
    /// [`Dialog::tcp_peer`]: crate::dialog::Dialog::tcp_peer
    tcp_peers: HostCounts<SocketAddr>,
    /// Server transactions that only absorb retransmissions until their timer ends them.
    lingering: Lingering,
    schedule: Schedule<Owner>,
    out: Outbox,
    events: VecDeque<Event>,
    stats: Stats,
    next_id: u64,
}

impl Endpoint {
    /// An endpoint with no calls and [`Limits::default`]; `seed` fixes every tag and branch it
    /// will generate.
    pub fn new(config: EndpointConfig, seed: u64) -> Self {
        Self {
            user_agent: config.user_agent,
            // Both set by `with_limits` below.
            max_message_bytes: 0,
            rate_limit: None,
            max_transactions: Limits::MAX_TRANSACTIONS,
            ids: Ids::new(seed),
            calls: HashMap::new(),
            dialogs: HashMap::new(),
            offered: HashMap::new(),
            merging: HashMap::new(),
            lingering_merges: LingeringMerges::default(),
            overload_refusals: RefusedInvites::new(admission::OVERLOAD_REFUSALS_MAX),
            reinvites: HashMap::new(),
            orphaned_reinvites: OrphanedReinvites::default(),
            late_pracks: LatePracks::default(),
            session_timers: SessionTimers::default(),
            offer_method: OfferMethod::default(),
            placed: HashMap::new(),
            acks_moved_for_size: BTreeSet::new(),
            placed_call_ids: HashMap::new(),
            authenticators: HashMap::new(),
            releases: HashMap::new(),
            transactions: HashMap::new(),
            awaiting_at: AwaitingAt::default(),
            server_index: HashMap::new(),
            client_index: HashMap::new(),
            live_hosts: HostCounts::default(),
            tcp_peers: HostCounts::default(),
            lingering: Lingering::default(),
            schedule: Schedule::default(),
            out: Outbox::default(),
            events: VecDeque::new(),
            stats: Stats::default(),
            next_id: 0,
        }
        .with_limits(Limits::default())
    }

    /// The endpoint with `limits` in place of the ones it has (the defaults, from
    /// [`Endpoint::new`]); the rate limit starts afresh.
    pub fn with_limits(self, limits: Limits) -> Self {
        Self {
            max_message_bytes: limits.max_message_bytes,
            rate_limit: limits
                .max_requests_per_source_per_second
                .map(RateLimit::new),
            ..self
        }
    }

    /// Processes one received UDP datagram: [`Endpoint::handle_message`] over
    /// [`Transport::Udp`].
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        self.handle_message(now, Transport::Udp, local, remote, data);
    }

    /// Processes one message received over `transport`: a whole UDP datagram, or one message
    /// framed from a TCP connection by [`StreamFramer`](crate::StreamFramer). `local` is the
    /// address to advertise to this peer (Contact and Via host:port), `remote` the datagram's
    /// or connection's source. Responses to a request over TCP go to `remote` over TCP, which
    /// the shell maps to the connection the request came on (§18.2.2); over UDP they follow
    /// the Via (§18.2.2, RFC 3581). Never panics; a bad request is answered with the response
    /// naming its problem (400, 505, 513) where one can be routed and would carry no control
    /// character, anything else bad is dropped, and both are counted in [`Endpoint::stats`].
    pub fn handle_message(
        &mut self,
        now: Instant,
        transport: Transport,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        self.stats.datagrams_received += 1;
        let too_large = data.len() > self.max_message_bytes;
        let (local, remote) = (
            TransportAddr::new(transport, local),
            TransportAddr::new(transport, remote),
        );
        match wire::parse(data) {
            Some(Datagram::Request(request)) => {
                self.on_request(now, local, remote, *request, too_large)
            }
            _ if too_large => self.stats.dropped_too_large += 1,
            None => self.stats.dropped_unparseable += 1,
            Some(Datagram::Keepalive) => self.stats.keepalives += 1,
            Some(Datagram::Response(response)) => self.on_response(now, remote.addr, *response),
        }
    }

    /// Runs every timer due at `now` (retransmissions, transaction and ACK timeouts).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.lingering.expire(now);
        self.lingering_merges.expire(now);
        self.overload_refusals.expire(now);
        self.orphaned_reinvites.expire(now);
        self.late_pracks.expire(now);
        while let Some(owner) = self.schedule.pop_due(now) {
            match owner {
                Owner::Tx(id) => {
                    let Some(entry) = self.transactions.get_mut(&id) else {
                        continue;
                    };
                    if let Transaction::InviteClient(_) = entry.tx {
                        self.on_invite_client_timeout(now, id);
                        continue;
                    }
                    let waiting = entry.tx.waiting_call();
                    let request = entry.client_request();
                    let outcome = entry.tx.on_timeout(now, &mut self.out);
                    self.reschedule(owner);
                    if outcome.is_some() {
                        self.client_done(now, request, waiting, Ended::TimedOut);
                    }
                }
                Owner::Call(key) => {
                    let Some(call) = self.calls.get_mut(&key) else {
                        continue;
                    };
                    match call.on_timeout(now, &mut self.out) {
                        // §13.3.1.4: no ACK within 64*T1 — end the session with a BYE.
                        CallTimeout::NoAck => self.end_with_bye(now, key, EndCause::NoAck),
                        CallTimeout::NoPrack => self.reject_offered(
                            now,
                            key,
                            500,
                            "Reliable Provisional Response Not Acknowledged",
                            &[],
                            EndCause::NoPrack,
                        ),
                        CallTimeout::Expired => self.reject_offered(
                            now,
                            key,
                            487,
                            "Request Terminated",
                            &[],
                            EndCause::Cancelled,
                        ),
                        CallTimeout::Nothing => self.reschedule(owner),
                    }
                }
                Owner::Session(key) => self.on_session_timeout(now, key),
            }
        }
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Endpoint::handle_timeout`] must next be called; `None` when no timer runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.schedule.next(),
            self.lingering.next_expiry(),
            self.lingering_merges.next_expiry(),
            self.overload_refusals.next_expiry(),
            self.orphaned_reinvites.next_expiry(),
            self.late_pracks.next_expiry(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Answers an offered call: 200 OK with `sdp_answer` and a Contact, retransmitted per
    /// RFC 3261 §13.3.1.4 until the ACK ([`Event::CallConfirmed`]). Without an ACK within
    /// 64*T1 a BYE is sent and [`EndCause::NoAck`] reported. If the INVITE asked for a
    /// session timer (RFC 4028), the 200 states it and the timer starts. For an INVITE without
    /// an offer (a late offer), `sdp_answer` is our offer: the ACK brings the answer
    /// ([`Event::OfferAnswered`] after [`Event::CallConfirmed`]), and an ACK without a usable
    /// one ends the call with a BYE ([`EndCause::LocalHangup`]). While a reliable provisional
    /// response with a session description waits for its PRACK (see [`Endpoint::progress`]),
    /// the 2xx waits too (RFC 3262 §3), and goes when it comes; without a PRACK within 64*T1
    /// the INVITE is rejected with 500 instead ([`EndCause::NoPrack`]). One without a session
    /// description is overtaken, and goes no more. Once answered, the call no longer expires
    /// with its INVITE's Expires (see [`Event::IncomingCall`]), even while its 2xx waits.
    pub fn answer(
        &mut self,
        now: Instant,
        call: CallKey,
        sdp_answer: String,
    ) -> Result<(), CallError> {
        let state = offered(&mut self.calls, call)?;
        // The INVITE's Expires bounds the wait for the application (§13.3.1), which has
        // answered: a 2xx held for a PRACK is not withdrawn by it.
        state.expires_at = None;
        if let Some(reliable) = state.reliable.as_mut() {
            if reliable.holds_the_answer() {
                reliable.wait(Waiting::Answer(sdp_answer));
                return Ok(());
            }
            reliable.stop();
        }
        let response = ResponseBuilder::new(
            &state.invite.raw,
            200,
            "OK",
            Some(&state.dialog.id().local_tag),
            &self.user_agent,
        )
        .contact(state.dialog.contact())
        .capabilities(Extensions::of(&self.session_timers))
        .record_route(&state.invite.raw);
        let sdp_answer = state.session.stamp(&sdp_answer);
        let agreed = state.session.timer;
        let response = in_dialog::with_timer(response, agreed)
            .sdp(&sdp_answer)
            .build();
        let tx = state.invite_tx;
        if inbound::without_offer(&state.invite) {
            // A late offer (§13.2.1): ours is in the 2xx, and the ACK brings the answer.
            state.session.offer_in_2xx = Some(sdp_answer.clone());
        }
        state.answered(now, sdp_answer, response.clone());
        state.session.refreshed(now, agreed);
        self.send_invite_final(now, tx, 200, response);
        self.reschedule(Owner::Call(call));
        self.reschedule(Owner::Session(call));
        Ok(())
    }

    /// Rejects an offered call with the final response `code` (300..=699) and `reason` as the
    /// reason phrase; [`EndCause::Rejected`] is reported at once. The response is retransmitted
    /// until the peer's ACK (Timer G, §17.2.1). Same as [`Endpoint::reject_with`] without extra
    /// headers.
    pub fn reject(
        &mut self,
        now: Instant,
        call: CallKey,
        code: u16,
        reason: &str,
    ) -> Result<(), CallError> {
        self.reject_with(now, call, code, reason, &[])
    }

    /// Like [`Endpoint::reject`], with `headers` (name, value) added to the response in order,
    /// e.g. `("Retry-After", "5")` on a `503` (RFC 3261 §20.33, §21.5.4). A name must be a
    /// token (§25.1) and not one the endpoint writes itself (Via, From, To, Call-ID, CSeq,
    /// Server, Content-Type, Content-Length or their compact forms); a value must hold no
    /// control character but tab. Otherwise [`CallError::InvalidHeader`] is returned and
    /// nothing is sent.
    pub fn reject_with(
        &mut self,
        now: Instant,
        call: CallKey,
        code: u16,
        reason: &str,
        headers: &[(&str, &str)],
    ) -> Result<(), CallError> {
        refusal(code)?;
        for (name, value) in headers {
            check_extra_header(name, value).map_err(|problem| CallError::InvalidHeader {
                name: (*name).to_owned(),
                problem,
            })?;
        }
        offered(&mut self.calls, call)?;
        self.reject_offered(now, call, code, reason, headers, EndCause::Rejected);
        Ok(())
    }

    /// Ends a call. An answered call gets a BYE (a non-INVITE client transaction, Timers E/F),
    /// sent once our 2xx is acknowledged (§15); [`EndCause::LocalHangup`] is reported when the
    /// BYE gets a final response, times out or is given up as its transport failed
    /// ([`Endpoint::transport_failed`]). An unanswered incoming call is rejected with
    /// `480 Temporarily Unavailable` and reported at once. An outgoing call without a final
    /// response is cancelled (§9.1): at once if a provisional response came, else as soon as
    /// one comes; [`EndCause::LocalHangup`] is reported when the INVITE gets its final
    /// response (a 2xx that crossed the CANCEL is ACKed and BYEd first) or times out.
    /// Hanging up a call whose BYE or CANCEL is already under way does nothing.
    pub fn hangup(&mut self, now: Instant, call: CallKey) -> Result<(), CallError> {
        if self.hangup_placed(now, call) {
            return Ok(());
        }
        let state = known(&mut self.calls, call)?;
        match state.phase {
            Phase::Offered => self.reject_offered(
                now,
                call,
                480,
                "Temporarily Unavailable",
                &[],
                EndCause::LocalHangup,
            ),
            Phase::Answered => state.hangup_requested = true,
            Phase::Confirmed => self.send_bye(now, call),
            Phase::Ending => {}
        }
        Ok(())
    }

    /// The Max-Forwards of an INVITE forwarded on behalf of the offered call `call`, as a
    /// proxy forwards a request (§16.6 step 3; §20.22 asks a B2BUA for the same, so that a
    /// loop of forwards ends): its INVITE's less one, [`MAX_FORWARDS`] less one when it had
    /// none. `None` for a call the endpoint does not know.
    pub fn forwarded_max_forwards(&self, call: CallKey) -> Option<u8> {
        let state = self.calls.get(&call)?;
        Some(
            state
                .invite
                .max_forwards
                .unwrap_or(MAX_FORWARDS)
                .saturating_sub(1),
        )
    }

    /// Transactions not yet terminated (each lingers its RFC 3261 §17 time after its final
    /// response, e.g. Timer J for a BYE, RFC 6026 Timer L for an answered INVITE).
    pub fn active_transactions(&self) -> usize {
        self.transactions.len() + self.lingering.len() + self.orphaned_reinvites.len()
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        Stats {
            retransmissions_sent: self.out.retransmissions(),
            responses_sent: self.out.responses(),
            ..self.stats
        }
    }

    /// The shell refused messages on stream connections (TCP, TLS) that it could not frame,
    /// closing each one's connection. It answered `bad_requests` of them with `400 Bad
    /// Request` and `too_large` with `513 Message Too Large`
    /// ([`FramingError::response`](crate::FramingError::response)), counted in
    /// [`Endpoint::stats`] as the endpoint's own responses are. It dropped unanswered
    /// `dropped_too_large` messages over the size limit (responses included) and
    /// `dropped_unroutable` requests within it that no response can be sent to, counted as
    /// such datagrams are ([`FramingError::is_dropped`](crate::FramingError::is_dropped),
    /// [`Stats::dropped_too_large`], [`Stats::dropped_unroutable_requests`]).
    pub fn framing_refused(
        &mut self,
        bad_requests: u64,
        too_large: u64,
        dropped_unroutable: u64,
        dropped_too_large: u64,
    ) {
        self.stats.bad_requests_sent += bad_requests;
        self.stats.too_large_sent += too_large;
        self.stats.dropped_unroutable_requests += dropped_unroutable;
        self.stats.dropped_too_large += dropped_too_large;
        self.out.count_sent_by_shell(400, bad_requests);
        self.out.count_sent_by_shell(513, too_large);
    }

    /// Calls that have not ended (no [`Event::CallEnded`] or [`Event::CallFailed`] yet).
    pub fn active_calls(&self) -> usize {
        let unanswered = self.placed.values().filter(|p| !p.answered()).count();
        self.calls.len() + unanswered
    }

    /// Whether a call goes over TCP to or from `remote`: a call being placed whose INVITE went
    /// there, or a dialog whose peer's INVITE or latest target refresh came from there, or
    /// whose INVITE we sent there. The connection to `remote` may still carry the call's
    /// messages: the final response to our INVITE, and our requests to a peer behind a NAT,
    /// which reach it on no other connection.
    pub fn uses_tcp_connection(&self, remote: SocketAddr) -> bool {
        self.tcp_peers.held_by(remote) > 0
    }

    /// [`Endpoint::uses_tcp_connection`] read from every call, which `tcp_peers` stands for.
    #[cfg(test)]
    fn scanned_tcp_use(&self, remote: SocketAddr) -> bool {
        let peer = Some(remote);
        self.calls
            .values()
            .any(|call| call.dialog.tcp_peer() == peer)
            || self.placed.values().any(|placed| placed.tcp_peer() == peer)
    }

    /// Source hosts ([`host_of`](crate::host_of)) the request-rate limit tracks now: those that
    /// sent requests recently enough for their bucket not to be full again, at most
    /// [`Limits::MAX_TRACKED_SOURCES`]; 0 without a limit.
    pub fn tracked_sources(&self) -> usize {
        self.rate_limit.as_ref().map_or(0, RateLimit::len)
    }

    /// Sends a final non-2xx response with the checked extra `headers` to an offered call's
    /// INVITE and ends the call.
    fn reject_offered(
        &mut self,
        now: Instant,
        call: CallKey,
        code: u16,
        reason: &str,
        headers: &[(&str, &str)],
        cause: EndCause,
    ) {
        let Some(state) = self.calls.get(&call) else {
            return;
        };
        let response = ResponseBuilder::new(
            &state.invite.raw,
            code,
            reason,
            Some(&state.dialog.id().local_tag),
            &self.user_agent,
        )
        .extra_headers(headers)
        .build();
        let tx = state.invite_tx;
        self.send_invite_final(now, tx, code, response);
        self.end_call(now, call, cause);
    }

    /// `reply` to `request` with To tag `tag` (added if its To has none), composed to be sent
    /// for the first time and counted (a lingering transaction rebuilding it for a
    /// retransmission does not count it again).
    fn compose(&mut self, reply: Reply, request: &Request, tag: Option<&str>) -> Vec<u8> {
        if reply.refuses_malformed_request() {
            self.stats.bad_requests_sent += 1;
        }
        reply.build(&request.raw, tag, &self.user_agent)
    }

    fn send_invite_final(&mut self, now: Instant, tx: TxId, code: u16, response: Vec<u8>) {
        if let Some(TxEntry {
            tx: Transaction::InviteServer(invite),
            ..
        }) = self.transactions.get_mut(&tx)
        {
            invite.send_final(now, code, response, &mut self.out);
        }
        self.reschedule_invite(now, tx);
    }

    /// Sends a BYE in the call's dialog; the call ends when it completes.
    fn send_bye(&mut self, now: Instant, call: CallKey) {
        self.end_offer(now, call);
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let branch = self.ids.branch();
        let (request, destination) =
            state
                .dialog
                .request(rsip::Method::Bye, &branch, &self.user_agent);
        state.phase = Phase::Ending;
        state.stop_retransmitting();
        state.session.stop();
        // §15.1.2: the peer ends our re-INVITE (487) once the BYE reaches it; it is no offer
        // to report any more, nor a request whose timeout loses the dialog again.
        self.drop_reinvite(now, call);
        let bye = (request, destination);
        self.start_non_invite(now, rsip::Method::Bye, branch, bye, Some(call));
        self.reschedule(Owner::Call(call));
    }

    /// Stops `call`'s re-INVITE, if one is under way: it is no longer retransmitted or
    /// cancelled, and its outcome is not reported; the final response it may still get is
    /// acknowledged for 64*T1 ([`OrphanedReinvites`]).
    fn drop_reinvite(&mut self, now: Instant, call: CallKey) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        if let Some(reinvite) = state.session.outgoing.take() {
            self.reinvites.remove(&reinvite.branch);
            self.orphaned_reinvites.adopt(
                now,
                reinvite,
                &state.dialog,
                &mut self.ids,
                &self.user_agent,
            );
        }
        self.reschedule(Owner::Session(call));
    }

    /// Our BYE got a final response or timed out: either way the call is over.
    fn bye_done(&mut self, now: Instant, waiting: Option<CallKey>) {
        if let Some(call) = waiting {
            self.end_call(now, call, EndCause::LocalHangup);
        }
    }

    /// Ends `call` at `now` for `cause` with a BYE, reported at once rather than when the
    /// BYE completes (the session expired, the dialog was lost, our 2xx went unacknowledged).
    /// The BYE releases the call's dialog ([`Endpoint::release`]) with the call's credentials,
    /// so that a proxy's challenge to it is still answered (§22.3) while its transaction
    /// lives.
    fn end_with_bye(&mut self, now: Instant, call: CallKey, cause: EndCause) {
        self.end_offer(now, call);
        if let Some((dialog, auth)) = self.end_call(now, call, cause) {
            self.release(now, dialog, auth);
        }
    }

    /// Forgets a call and reports its end (if it still exists) at `now`; returns its dialog
    /// and its authenticator, if it has one.
    fn end_call(
        &mut self,
        now: Instant,
        call: CallKey,
        cause: EndCause,
    ) -> Option<(Dialog, Option<Authenticator>)> {
        self.drop_reinvite(now, call);
        let state = self.calls.remove(&call)?;
        if let Some(peer) = state.dialog.tcp_peer() {
            self.tcp_peers.release(peer);
        }
        self.dialogs.remove(state.dialog.id());
        let merge_key = MergeKey::of(&state.invite);
        if self.offered.get(&merge_key) == Some(&call) {
            self.offered.remove(&merge_key);
        }
        if let Some(rseq) = state.reliable.as_ref().and_then(Reliable::outstanding) {
            let dialog = state.dialog.id().clone();
            self.late_pracks.owe(now, dialog, rseq, state.invite.cseq);
        }
        let auth = self.authenticators.remove(&call);
        self.schedule.set(Owner::Call(call), None);
        self.schedule.set(Owner::Session(call), None);
        self.events.push_back(Event::CallEnded { call, cause });
        Some((state.dialog, auth))
    }

    /// Whether an INVITE without To tag and of merge key `key` is a copy of an INVITE of a
    /// call offered to us, reaching us on another branch (§8.2.2.2): while the call lasts, or
    /// while its INVITE server transaction does (live, or lingering).
    fn is_merged(&self, key: &MergeKey) -> bool {
        self.offered.contains_key(key)
            || self.merging.contains_key(key)
            || self.lingering_merges.contains(key)
    }

    /// Files the merge key `key` of the INVITE server transaction `tx` of a new call, for as
    /// long as the transaction lives.
    fn file_merge_key(&mut self, tx: TxId, key: MergeKey) {
        if let Some(entry) = self.transactions.get_mut(&tx) {
            self.merging.insert(key.clone(), tx);
            entry.merge = Some(key);
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Sends `request`, a `method` request with Via branch `branch`, to `destination` in a new
    /// non-INVITE client transaction (§17.1.2), whose outcome the call `waiting` hears, if any;
    /// returns the transaction's id.
    fn start_non_invite(
        &mut self,
        now: Instant,
        method: rsip::Method,
        branch: String,
        (request, destination): (Vec<u8>, TransportAddr),
        waiting: Option<CallKey>,
    ) -> TxId {
        let tx = NonInviteClient::new(now, destination, request, waiting, &mut self.out);
        let key = ClientKey {
            branch,
            method: method.to_string(),
        };
        let tx = Transaction::NonInviteClient(tx);
        let sent_to = tx.sent_to();
        self.insert_tx(TxKey::Client(key), tx, sent_to)
    }

    /// Files the transaction `tx` under `key`; `awaiting` is where its request went, for a
    /// client transaction; a server transaction counts for the host its request came from.
    fn insert_tx(&mut self, key: TxKey, tx: Transaction, awaiting: Option<TransportAddr>) -> TxId {
        self.insert_entry(TxEntry {
            key,
            tx,
            awaiting,
            merge: None,
            host: None,
        })
    }

    /// Files `entry` under its key and counts it for its host, if any.
    fn insert_entry(&mut self, entry: TxEntry) -> TxId {
        let id = TxId(self.next_id());
        match &entry.key {
            TxKey::Server(k) => self.server_index.insert(k.clone(), id),
            TxKey::Client(k) => self.client_index.insert(k.clone(), id),
        };
        if let Some(host) = entry.host {
            self.live_hosts.add(host);
        }
        if let Some(to) = entry.awaiting {
            self.awaiting_at.file(to, id);
        }
        self.transactions.insert(id, entry);
        self.reschedule(Owner::Tx(id));
        id
    }

    /// Files `owner`'s next deadline; a terminated transaction is forgotten.
    fn reschedule(&mut self, owner: Owner) {
        let deadline = match owner {
            Owner::Tx(id) => {
                let terminated = self
                    .transactions
                    .get(&id)
                    .is_some_and(|e| e.tx.is_terminated());
                if terminated {
                    self.remove_tx(id);
                }
                self.transactions.get(&id).and_then(|e| e.tx.deadline())
            }
            Owner::Call(key) => self.calls.get(&key).and_then(|call| call.deadline()),
            Owner::Session(key) => self.calls.get(&key).and_then(|c| c.session.deadline()),
        };
        self.schedule.set(owner, deadline);
    }

    /// Forgets the live transaction `id`, and the release its BYE may carry; returns it.
    fn remove_tx(&mut self, id: TxId) -> Option<TxEntry> {
        self.releases.remove(&id);
        let entry = self.transactions.remove(&id)?;
        match &entry.key {
            TxKey::Server(k) => self.server_index.remove(k),
            TxKey::Client(k) => self.client_index.remove(k),
        };
        if let Some(merge) = &entry.merge {
            self.merging.remove(merge);
        }
        if let Some(host) = entry.host {
            self.live_hosts.release(host);
        }
        if let Some(to) = entry.awaiting {
            self.awaiting_at.forget(to, id);
        }
        Some(entry)
    }

    /// After a final response or an ACK at `now`: an INVITE server transaction that only
    /// absorbs retransmissions from now on moves to the lingering table (RFC 6026 "Accepted",
    /// §17.2.1 "Confirmed"); otherwise its next deadline is filed.
    fn reschedule_invite(&mut self, now: Instant, id: TxId) {
        if let Some(TxEntry {
            tx: Transaction::InviteServer(invite),
            ..
        }) = self.transactions.get(&id)
            && let Some(state) = invite.lingers()
        {
            let (to_tag, transport) = (invite.to_tag().map(str::to_owned), invite.transport());
            if let Some(TxEntry {
                key: TxKey::Server(key),
                merge,
                host: Some(host),
                ..
            }) = self.remove_tx(id)
            {
                let to_tag = to_tag.as_deref();
                let started = (key.id, host);
                let ends = self
                    .lingering
                    .invite(now, started, state, transport, to_tag);
                if let (Some(ends), Some(merge)) = (ends, merge) {
                    self.lingering_merges.insert(state, ends, merge);
                }
            }
        }
        self.reschedule(Owner::Tx(id));
    }

    /// A new INVITE server transaction of key `key` for `request` of `call`, if any, whose
    /// responses go to the request's destination and add our To tag `to_tag` if the INVITE
    /// has none; it counts for the request's source host while it lives, and lingers.
    fn new_invite_server(
        &mut self,
        key: ServerKey,
        request: &Request,
        call: Option<CallKey>,
        to_tag: Option<&str>,
    ) -> TxId {
        let tx = InviteServer::new(request.destination, call, to_tag);
        self.insert_entry(TxEntry {
            key: TxKey::Server(key),
            tx: Transaction::InviteServer(tx),
            awaiting: None,
            merge: None,
            host: Some(Host::of(request.source.ip())),
        })
    }

    /// How many transactions requests from `host` started that are live or linger.
    fn held_by(&self, host: Host) -> usize {
        self.live_hosts.held_by(host) + self.lingering.held_by(host)
    }
}

/// The call `call` among `calls`; [`CallError::UnknownCall`] if there is none.
fn known(calls: &mut HashMap<CallKey, Box<Call>>, call: CallKey) -> Result<&mut Call, CallError> {
    calls
        .get_mut(&call)
        .map(|state| &mut **state)
        .ok_or(CallError::UnknownCall(call))
}

/// The call `call` if it waits for an answer.
fn offered(calls: &mut HashMap<CallKey, Box<Call>>, call: CallKey) -> Result<&mut Call, CallError> {
    let state = known(calls, call)?;
    if state.phase != Phase::Offered {
        return Err(CallError::InvalidState {
            call,
            state: state.phase.describe(),
        });
    }
    Ok(state)
}

/// Whether `request` is a new INVITE: one without To tag, which would start a call.
fn is_new_invite(request: &Request) -> bool {
    request.method == Method::INVITE && request.to_tag.is_none()
}

/// `Ok` if `code` is a final response that refuses (300..=699), as a rejected call or offer
/// needs; [`CallError::InvalidStatus`] otherwise.
fn refusal(code: u16) -> Result<(), CallError> {
    if (300..=699).contains(&code) {
        Ok(())
    } else {
        Err(CallError::InvalidStatus(code))
    }
}

/// Files `state` among `calls` as call `call`, its TCP peer counted in `tcp_peers`
/// ([`Endpoint::uses_tcp_connection`]).
fn file_call(
    calls: &mut HashMap<CallKey, Box<Call>>,
    tcp_peers: &mut HostCounts<SocketAddr>,
    call: CallKey,
    state: Box<Call>,
) {
    if let Some(peer) = state.dialog.tcp_peer() {
        tcp_peers.add(peer);
    }
    calls.insert(call, state);
}
