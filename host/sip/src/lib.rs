//! Sans-IO SIP for Switchyard: transactions, dialogs, SDP offer/answer.
//!
//! [`Endpoint`] is a UDP user agent core that answers calls and handles what follows in them:
//! re-INVITE and UPDATE offers both ways, session timers, OPTIONS probes and DTMF INFO. It
//! performs no I/O and reads no clock: the shell hands it datagrams and the current time and
//! sends what it polls out.
//!
//! Layout, one job per module:
//! - `wire`: datagram to request or response (compact headers, folding, bare LF);
//!   `start_line`: the Request-Line and Status-Line (§7.1, §7.2);
//! - `message`: the checks every request passes, Via handling, Content-Length (RFC 3261 §8,
//!   §18); they read values through `syntax` (§25.1 tokens, control characters, parameters),
//!   `uri`, `address` (From, To, Contact), `via` and `fields` (CSeq, Max-Forwards, Date);
//!   `method`: known and extension methods;
//! - [`Limits`]: what the endpoint takes from the network; `rate`: the per-source rate limit;
//! - `build`: responses (§8.2.6); `reply`: the ones the endpoint gives on its own;
//! - `transaction`: the §17 state machines; [`timer`]: their timers as data;
//! - `dialog`: §12 dialogs; `call`: a call's phases and 2xx retransmission (§13.3.1.4);
//! - `session`: a confirmed call's later offers and answers (§14, RFC 3311, RFC 3264 §8),
//!   our re-INVITE's client transaction, the o= line of our SDP and session timers
//!   ([`SessionTimers`], RFC 4028); `dtmf_relay`: the INFO body of out-of-band DTMF;
//! - `endpoint`: routing between them and the public API (`endpoint::in_dialog`: the peer's
//!   requests in a call; `endpoint::session`: settling offers, our re-INVITE and OPTIONS,
//!   session-timer deadlines); [`sdp`]: offer/answer;
//! - `testing` (cargo feature `testing`): a network simulator and a UAC for tests.

mod address;
mod build;
mod call;
mod dialog;
mod dtmf_relay;
mod endpoint;
mod event;
mod fields;
mod framing;
mod ids;
mod limits;
mod message;
mod method;
mod rate;
mod reply;
pub mod sdp;
mod session;
mod start_line;
mod syntax;
#[cfg(feature = "testing")]
pub mod testing;
pub mod timer;
mod transaction;
mod transmit;
mod uri;
mod via;
mod wire;

pub use call::CallKey;
pub use endpoint::{CallError, Endpoint, EndpointConfig, Stats};
pub use event::{EndCause, Event, IncomingCall};
pub use framing::{FramingError, PONG, StreamFramer};
pub use limits::Limits;
pub use session::timer::SessionTimers;
pub use transmit::Transmit;
