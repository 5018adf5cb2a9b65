//! What the core asks the shell to do.

use std::sync::Arc;
use switchyard_media::{LegId, LegParams, PlayId, Prompt, PromptRole, RecordingTap, RoomId};
use switchyard_sip::IncomingCall;

use crate::call::CallId;
use crate::timers::TimerId;

/// Something the shell must carry out, in the order drained.
#[derive(Debug, Clone)]
pub enum Effect {
    /// A command to a media worker.
    Media(MediaOp),
    /// Work for a call's guest instance.
    Guest(GuestOp),
    /// Find where the INVITE of a call being placed goes: resolve `uri` as
    /// RFC 3263 says (an IP-literal host needs no DNS), then tell the core
    /// every target found, in order, with
    /// [`CallCore::resolved`](crate::CallCore::resolved).
    Resolve {
        /// The call.
        call: CallId,
        /// The SIP URI to resolve: the outbound proxy, else the Request-URI.
        uri: String,
    },
    /// The room's recording ended without being stopped: its file takes no more, its media
    /// worker failed, or its room is gone; nothing is asked of the shell but to tell whoever watches the room.
    RecordingEnded {
        /// The room.
        room: String,
        /// Why it ended.
        reason: RecordingEnd,
    },
    /// The call left `room` for a bridge (its guest bridged it, or the call it forwarded to
    /// answered); nothing is asked of the shell but to tell whoever watches the room.
    LeftRoom {
        /// The call.
        call: CallId,
        /// The room it left.
        room: String,
    },
}

/// Why a recording ended without being stopped ([`Effect::RecordingEnded`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingEnd {
    /// Its file takes no more: it could not be written, or reached its size limit.
    File,
    /// Its room was closed or expired.
    RoomGone,
    /// The media worker of its room failed (a bug): the file holds what came before.
    WorkerFailed,
}

impl RecordingEnd {
    /// How the event stream names it: `file`, `room`, `worker`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingEnd::File => "file",
            RecordingEnd::RoomGone => "room",
            RecordingEnd::WorkerFailed => "worker",
        }
    }
}

/// A command to the media worker numbered `worker` (0-based).
#[derive(Debug, Clone)]
pub enum MediaOp {
    /// Start the leg with the RTP socket reserved for it by
    /// [`Network::open_rtp`](crate::Network::open_rtp).
    AddLeg {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
        /// Codec and peer.
        params: LegParams,
    },
    /// New parameters for a live leg, from a re-negotiated session (codec,
    /// peer address, direction, packet time); it stays in its room or bridge.
    UpdateLeg {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
        /// Codec and peer.
        params: LegParams,
    },
    /// Count the leg's RTP timeout afresh, as if its peer's RTP had just come (see
    /// [`Worker::rearm_rtp_timeout`](switchyard_media::Worker::rearm_rtp_timeout)); its
    /// parameters and media carry on untouched.
    RearmRtpTimeout {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
    },
    /// The leg is gone; its socket closes.
    RemoveLeg {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
    },
    /// Hand the leg, with all its state, from one worker to another; later
    /// commands for it name `to`.
    Move {
        /// The leg.
        leg: LegId,
        /// Where it is.
        from: usize,
        /// Where it goes.
        to: usize,
    },
    /// Put the leg into a room of its worker, leaving any room or bridge.
    Join {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
        /// The room.
        room: RoomId,
    },
    /// Take the leg out of its room.
    Leave {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
    },
    /// Connect two legs of one worker to each other.
    Bridge {
        /// The worker.
        worker: usize,
        /// One leg.
        a: LegId,
        /// The other.
        b: LegId,
    },
    /// Separate the leg's bridge; both legs are alone.
    Unbridge {
        /// The worker.
        worker: usize,
        /// Either leg.
        leg: LegId,
    },
    /// The gain on what the leg says.
    SetGain {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
        /// The gain on what it says, in dB.
        gain_db: f32,
    },
    /// Whether what the leg says is heard.
    SetMuted {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
        /// True: nothing it says is mixed or relayed.
        muted: bool,
    },
    /// Whether the leg, in its room, hears nothing of it (only its prompts).
    SetDeaf {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
        /// True: deaf until it leaves the room.
        deaf: bool,
    },
    /// Send DTMF keys to the leg's peer after those it is still sending (see
    /// [`Worker::send_dtmf`](switchyard_media::Worker::send_dtmf)).
    SendDtmf {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
        /// The keys, checked by [`switchyard_media::check_dtmf`].
        digits: String,
    },
    /// Play prompts to the leg only, or as its voice.
    Play {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
        /// The prompts, in order.
        prompts: Vec<Arc<Prompt>>,
        /// Start over at the end instead of reporting a prompt-done.
        looped: bool,
        /// Who hears them.
        role: PromptRole,
        /// The number its [`MediaEvent::PromptDone`](switchyard_media::MediaEvent::PromptDone)
        /// names (of [`PromptRole::Heard`] only: voice prompts end without one).
        play: PlayId,
    },
    /// Play prompts into a room: all of it hears them.
    Announce {
        /// The room's worker.
        worker: usize,
        /// The room.
        room: RoomId,
        /// The prompts, in order.
        prompts: Vec<Arc<Prompt>>,
        /// Start over at the end, for as long as the room exists (music on hold), instead of
        /// playing them once.
        looped: bool,
    },
    /// Stop what is played into a room, once or looped.
    StopAnnouncement {
        /// The room's worker.
        worker: usize,
        /// The room.
        room: RoomId,
    },
    /// Record the room's mix into `tap`'s queue, ending any recording of it
    /// before (see [`Worker::start_recording`](switchyard_media::Worker::start_recording)).
    StartRecording {
        /// The room's worker.
        worker: usize,
        /// The room.
        room: RoomId,
        /// Where its frames go.
        tap: RecordingTap,
    },
    /// End the room's recording: its queue's reader sees the end.
    StopRecording {
        /// The room's worker.
        worker: usize,
        /// The room.
        room: RoomId,
    },
    /// Stop the leg's prompts of one role.
    Stop {
        /// The worker.
        worker: usize,
        /// The leg.
        leg: LegId,
        /// Which prompts.
        role: PromptRole,
    },
}

/// Work for the guest instance of one call. A call's work must reach its
/// instance in the order drained; after [`CallEvent::Hangup`] the instance is
/// dropped.
#[derive(Debug, Clone)]
pub enum GuestOp {
    /// A new call: create its instance and run its `on-invite`. When that
    /// returns, tell the core [`CallCore::invite_done`](crate::CallCore::invite_done);
    /// when no instance can be had, [`CallCore::guest_unavailable`](crate::CallCore::guest_unavailable).
    Invite(Box<Invite>),
    /// A call placed by a guest or a control request: run its instance's `on-event` with
    /// [`CallEvent::Dialed`], the instance the placing guest's dial made, or for a call a
    /// control request placed one created now; when no instance can be had, tell the core
    /// [`CallCore::guest_unavailable`](crate::CallCore::guest_unavailable).
    Dialed {
        /// The call.
        call: CallId,
        /// The request's context.
        context: String,
    },
    /// Something happened to the call.
    Event {
        /// The call.
        call: CallId,
        /// What.
        event: CallEvent,
    },
    /// A message to the call's instance from another instance, queued with
    /// the call's events: deliver it only if the call's instance is of the
    /// guest named `guest` and takes messages.
    Message {
        /// The call.
        call: CallId,
        /// The message and who sent it.
        message: Box<Message>,
    },
}

/// A message from one guest instance to the instance serving another call
/// (`messages.send`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The guest whose instance sent it.
    pub guest: String,
    /// The call the sending instance serves; `None` for an instance serving
    /// a control request.
    pub from: Option<CallId>,
    /// What it says, at most [`MAX_MESSAGE_BYTES`](crate::MAX_MESSAGE_BYTES).
    pub text: String,
}

/// A new incoming call, as its guest is told of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// The call.
    pub call: CallId,
    /// What the INVITE said: Request-URI, From, To, Call-ID, headers, source.
    pub sip: IncomingCall,
}

/// Something that happened to a call after its INVITE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// The first event of a placed call, with the context its request gave.
    Dialed(String),
    /// The callee's provisional response (180 Ringing, 183 Session Progress…);
    /// `early_media`: it brought SDP, so the callee's audio flows already.
    Progress {
        /// The status code.
        code: u16,
        /// The reason phrase.
        reason: String,
        /// Early media started.
        early_media: bool,
    },
    /// The callee answered a placed call.
    Answered,
    /// A placed call failed: the callee's final response, or a local one
    /// (408 when nothing answered or it rang past `ring_timeout`, 478 when the
    /// destination did not resolve, or none of its targets can be reached with
    /// our signalling and media). The call is over; `Hangup` follows.
    Failed {
        /// The status code.
        code: u16,
        /// The reason phrase, or what went wrong.
        reason: String,
    },
    /// The prompt list last played to it played to the end: the number it was played as
    /// (see [`CallCore::hears_event`](crate::CallCore::hears_event)).
    PromptDone(PlayId),
    /// A key press.
    Dtmf(char),
    /// One of its timers fired.
    Timer(TimerId),
    /// Its bridge ended because the peer hung up or left; it is alone now.
    Unbridged,
    /// Its voice activity in its room changed: it began talking, at
    /// `level_dbov` (0 is full scale, -127 silence), or stopped (after the
    /// hangover).
    Talk {
        /// It talks now.
        talking: bool,
        /// The level of the frame that began the talkspurt; -127 when it ended.
        level_dbov: i8,
    },
    /// The outcome of its guest's [`CallCore::hold`](crate::CallCore::hold):
    /// `Ok(held)` the peer took the new offer and the call is on hold (or off
    /// it); `Err` the peer refused it, or answered with nothing usable
    /// (`code phrase`: 488 Not Acceptable Here), and the session stays. After
    /// such an answer the peer is offered the session the call kept; the call
    /// is hung up if that is answered with nothing usable too.
    Held(Result<bool, String>),
    /// It is over; its guest instance goes after this.
    Hangup,
}
