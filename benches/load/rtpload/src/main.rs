//! rtpload: a media load generator for the server on loopback.
//!
//! It calls the server once per participant over SIP (UDP), into rooms of
//! `--room-size` by the webconference's direct-room prefix (`000777<room>`), then
//! has every participant send 20 ms frames of `--codec` (PCMU, or Opus at 48 kHz)
//! on absolute deadlines: `--talkers` per room a tone, the others digital silence
//! (phones without VAD or DTX), a second of frames encoded at start-up and sent
//! over and over. It stops when the server takes none of the calls or answers
//! another codec than the one offered. It reads
//! what the server sends back and, after `--warmup-s`, tallies it for
//! `--duration-s`: packets received, lost (by sequence number), late (more
//! than 20 ms behind their stream's schedule, by the kernel's receive stamps),
//! and gaps (the longest time a participant went without a packet, and how
//! often that was more than 60 ms). Meanwhile it answers the server's requests
//! and counts its BYEs: calls the server ended.
//!
//! Participants share a few sockets (`--per-socket` each); packets go out and
//! come in by `sendmmsg`/`recvmmsg` from buffers allocated once.
//!
//! Output, one line each, in this order: `established <n> of <participants>`,
//! `measure start`, `measure end`, `gaps_by_second <n> <n> ...` (the gaps over
//! 60 ms by the second of the measured interval they ended in), `result key=value ...`,
//! `hung up <n> of <n> (<m> refused)` (a refused BYE: a call the server no
//! longer had).

mod media;
mod sip;
mod stream;
mod sys;

use clap::{Parser, ValueEnum};
use std::io;
use std::net::{SocketAddr, SocketAddrV4, UdpSocket};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use switchyard_media::Codec;

/// Socket buffer size asked for (the kernel caps it at `net.core.[rw]mem_max`).
const SOCKET_BUFFER: i32 = 4 << 20;
/// INVITEs without a final response at once.
const SETUP_WINDOW: usize = 64;
/// How long the server's requests are answered past the media phase's planned end.
const WATCH_GRACE: Duration = Duration::from_secs(60);

/// The codecs the generator sends.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum CodecName {
    /// G.711 μ-law, 8 kHz.
    Pcmu,
    /// Opus, 48 kHz.
    Opus,
}

impl From<CodecName> for Codec {
    fn from(name: CodecName) -> Self {
        match name {
            CodecName::Pcmu => Codec::Pcmu,
            CodecName::Opus => Codec::Opus,
        }
    }
}

/// Command-line options.
#[derive(Debug, Parser)]
#[command(
    about = "SIP calls into conference rooms, each sending 20 ms PCMU or Opus; counts what comes back"
)]
struct Args {
    /// The server's SIP address (UDP, IPv4).
    #[arg(long)]
    sip: SocketAddrV4,
    /// How many participants (calls).
    #[arg(long, default_value_t = 500)]
    participants: usize,
    /// Participants per room.
    #[arg(long, default_value_t = 10)]
    room_size: usize,
    /// Participants per room sending a tone.
    #[arg(long, default_value_t = 2)]
    talkers: usize,
    /// The first room's number; the others follow.
    #[arg(long, default_value_t = 1000)]
    first_room: u32,
    /// Seconds of media before the measured interval.
    #[arg(long, default_value_t = 10)]
    warmup_s: u64,
    /// Seconds of the measured interval.
    #[arg(long, default_value_t = 30)]
    duration_s: u64,
    /// Calls set up (and hung up) per second.
    #[arg(long, default_value_t = 500)]
    setup_rate: u32,
    /// Participants sharing one RTP socket.
    #[arg(long, default_value_t = 250)]
    per_socket: usize,
    /// The codec offered and sent.
    #[arg(long, value_enum, default_value_t = CodecName::Pcmu)]
    codec: CodecName,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rtpload: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Why the server's answers to calls offering `codec` leave nothing to measure:
/// no call was established, or one was answered with another payload type.
fn refusal(codec: Codec, dialogs: &[Option<sip::Dialog>]) -> Option<String> {
    let name = codec.encoding_name();
    if dialogs.iter().flatten().next().is_none() {
        return Some(format!(
            "the server established none of the {} calls offering {name}",
            dialogs.len()
        ));
    }
    let other = dialogs
        .iter()
        .flatten()
        .find(|dialog| dialog.payload_type != codec.payload_type())?;
    Some(format!(
        "the server answered payload type {} to an offer of {} ({name}): it did not accept {name}",
        other.payload_type,
        codec.payload_type(),
    ))
}

fn run(args: &Args) -> io::Result<()> {
    if args.room_size == 0 || args.per_socket == 0 {
        return Err(io::Error::other(
            "--room-size and --per-socket must be at least 1",
        ));
    }
    let sockets = (0..args.participants.div_ceil(args.per_socket))
        .map(|_| {
            let socket = UdpSocket::bind("127.0.0.1:0")?;
            sys::prepare(&socket, SOCKET_BUFFER)?;
            Ok(socket)
        })
        .collect::<io::Result<Vec<_>>>()?;
    let addresses = sockets
        .iter()
        .map(|socket| match socket.local_addr()? {
            SocketAddr::V4(address) => Ok(address),
            SocketAddr::V6(_) => Err(io::Error::other("an IPv6 socket")),
        })
        .collect::<io::Result<Vec<_>>>()?;
    let offers: Vec<sip::Offer> = (0..args.participants)
        .map(|i| sip::Offer {
            room: args.first_room + (i / args.room_size) as u32,
            rtp: addresses[i / args.per_socket],
        })
        .collect();
    let codec = Codec::from(args.codec);
    let agent = sip::Agent::new(args.sip, codec)?;
    let dialogs = agent.establish(&offers, args.setup_rate, SETUP_WINDOW)?;
    if let Some(reason) = refusal(codec, &dialogs) {
        let hung_up = agent.hang_up(&offers, &dialogs, args.setup_rate)?;
        return Err(io::Error::other(format!(
            "{reason} (hung up {})",
            hung_up.ok
        )));
    }
    let participants: Vec<media::Participant> = dialogs
        .iter()
        .enumerate()
        .filter_map(|(i, dialog)| {
            Some(media::Participant {
                socket: i / args.per_socket,
                server: dialog.as_ref()?.media,
                talker: i % args.room_size < args.talkers,
            })
        })
        .collect();
    println!(
        "established {} of {}",
        participants.len(),
        args.participants
    );
    let (warmup, duration) = (
        Duration::from_secs(args.warmup_s),
        Duration::from_secs(args.duration_s),
    );
    let stop = AtomicBool::new(false);
    let (totals, watched) = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| agent.watch(&offers, &stop, warmup + duration + WATCH_GRACE));
        let totals = media::run(&sockets, &participants, codec, warmup, duration, |mark| {
            println!("{mark}")
        });
        stop.store(true, Ordering::Relaxed);
        (totals, watcher.join())
    });
    let watched = watched.map_err(|_| io::Error::other("the SIP watcher panicked"))??;
    let expected = participants.len() as u128 * duration.as_nanos() / media::PERIOD.as_nanos();
    let by_second: Vec<String> = totals.gaps_by_second.iter().map(u64::to_string).collect();
    println!("gaps_by_second {}", by_second.join(" "));
    println!(
        "result participants={} sent={} unsent={} received={} expected={expected} late={} \
         lost={} silent_streams={} foreign={} slots={} slots_behind={} max_gap_us={} \
         gaps_over_60ms={} gap_streams={} byes_received={} other_requests={}",
        participants.len(),
        totals.sent,
        totals.unsent,
        totals.received,
        totals.late,
        totals.lost,
        totals.silent_streams,
        totals.foreign,
        totals.slots,
        totals.slots_behind,
        totals.max_gap_ns / 1000,
        totals.gaps,
        totals.gap_streams,
        watched.byes,
        watched.other_requests,
    );
    let hung_up = agent.hang_up(&offers, &dialogs, args.setup_rate)?;
    println!(
        "hung up {} of {} ({} refused)",
        hung_up.ok,
        participants.len(),
        hung_up.refused
    );
    Ok(())
}
