//! Sans-IO SIP for Switchyard: transactions, dialogs, SDP offer/answer.
//!
//! [`Endpoint`] is a user agent core over UDP and TCP ([`Transport`]) that answers calls,
//! places them ([`Endpoint::invite`]) and handles what follows in them: re-INVITE and UPDATE
//! offers both ways, session timers, OPTIONS probes and DTMF INFO. It performs no I/O and
//! reads no clock: the shell hands it messages (datagrams, or messages framed from TCP streams
//! by [`StreamFramer`]) and the current time, and sends what it polls out ([`Transmit`]).
//!
//! Layout, one job per module:
//! - `wire`: datagram to request or response (compact headers, folding, bare LF);
//!   `start_line`: the Request-Line and Status-Line (§7.1, §7.2);
//! - `message`: the checks every request passes, Via handling, Content-Length (RFC 3261 §8,
//!   §18); they read values through `syntax` (§25.1 tokens, control characters, parameters),
//!   `uri`, `address` (From, To, Contact), `via` and `fields` (CSeq, Max-Forwards, Content-Length);
//!   `method`: known and extension methods;
//! - [`Limits`]: what the endpoint takes from the network; `rate`: the per-source rate limit;
//! - `build`: responses (§8.2.6); `reply`: the ones the endpoint gives on its own;
//!   `request`: the INVITE, CANCEL and non-2xx ACK of calls we place (§8.1.1, §9.1, §17.1.1.3);
//! - `outgoing`: a call we place, checked, and its INVITE's state ([`OutgoingCall`]);
//!   `auth`: Digest answers to 401/407 challenges (§22, RFC 7616; [`Credentials`]);
//! - `transaction`: the §17 state machines; [`timer`]: their timers as data; `transport`:
//!   [`Transport`] and the addresses reached over one; `transmit`: what goes out;
//! - `dialog`: §12 dialogs; `call`: a call's phases and 2xx retransmission (§13.3.1.4);
//!   `prack`: reliable provisional responses (RFC 3262); `expiring`: what a call leaves
//!   behind for 64*T1 (ACKs of orphaned re-INVITEs, PRACKs owed after its end);
//! - `session`: a confirmed call's later offers and answers (§14, RFC 3311, RFC 3264 §8),
//!   our re-INVITE (carried by the INVITE client transaction), the o= line of our SDP and session timers
//!   ([`SessionTimers`], RFC 4028); `dtmf_relay`: the INFO body of out-of-band DTMF;
//! - `endpoint`: routing between them and the public API (`inbound` for what arrives,
//!   `in_dialog` for the peer's requests in a call, `outbound` for the calls we place,
//!   `challenge` for challenges to their BYE, `progress` for provisional responses,
//!   `session` for settling offers, our re-INVITE and OPTIONS, and session-timer
//!   deadlines); [`sdp`]: offer/answer;
//! - `testing` (cargo feature `testing`): a network simulator and a UAC for tests.

mod address;
mod auth;
mod body;
mod build;
mod call;
mod counts;
mod dialog;
mod dtmf_relay;
mod endpoint;
mod event;
mod expiring;
mod fields;
mod framing;
mod header_text;
mod hosts;
mod ids;
mod limits;
mod message;
mod method;
mod outgoing;
mod peer_address;
mod prack;
mod rate;
mod reply;
mod request;
pub mod sdp;
mod session;
mod start_line;
mod syntax;
#[cfg(feature = "testing")]
pub mod testing;
pub mod timer;
mod transaction;
mod transmit;
mod transport;
mod uri;
mod via;
mod wire;

pub use auth::Credentials;
pub use call::CallKey;
pub use counts::{RequestCounts, ResponseCounts};
pub use endpoint::{CallError, Endpoint, EndpointConfig, Stats};
pub use event::{EndCause, Event, IncomingCall};
pub use framing::{FramingError, PONG, StreamFramer};
pub use limits::{Limits, host_of};
pub use outgoing::{MAX_FORWARDS, OutgoingCall, check_call_fields};
pub use peer_address::crossed_a_nat;
pub use session::OfferMethod;
pub use session::timer::SessionTimers;
pub use transmit::Transmit;
pub use transport::Transport;
pub use uri::{RouteUri, route_uri};
