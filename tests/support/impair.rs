//! A bad network between one test phone and the server: a loopback relay for
//! the call's SIP and RTP that loses, delays, reorders and duplicates packets,
//! cuts everything for outages, and drops chosen SIP messages.
//!
//! The phone dials the relay as if it were the server. The relay forwards what
//! the phone sends from sockets of its own and rewrites the SDP and Contact so
//! that both sides send everything back through it (a media relay, as a session
//! border controller is): the server latches the call's RTP onto the relay.
//! Impairments are drawn from a seeded generator, so a run is reproducible up to
//! the timing of the host.

use std::collections::BinaryHeap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest a relay runs, whatever the test does.
const MAX_LIFETIME: Duration = Duration::from_secs(120);

/// What the network does to the packets between the phone and the server.
#[derive(Debug, Clone, Default)]
pub struct Impairment {
    /// The share of RTP packets lost, each way.
    pub loss: f64,
    /// Each RTP packet is delayed by a uniform 0..`jitter`.
    pub jitter: Duration,
    /// The share of RTP packets delivered twice.
    pub duplicate: f64,
    /// The share of RTP packets held back a further 40 ms (reordered).
    pub reorder: f64,
    /// SIP messages lost the first time they are sent: a request method
    /// (`"INVITE"`) or a response's status code (`"200"`), each way.
    pub lose_first_sip: Vec<&'static str>,
    /// The seed of the impairments.
    pub seed: u64,
}

/// Counts of what the relay did, in both directions.
#[derive(Debug, Default)]
pub struct RelayCounts {
    /// RTP packets taken in.
    pub rtp: AtomicU64,
    /// RTP packets lost (by `loss` or an outage).
    pub rtp_lost: AtomicU64,
    /// SIP messages lost.
    pub sip_lost: AtomicU64,
}

/// A running relay; stopped when dropped.
pub struct Relay {
    /// Where the phone sends its SIP (dial this as the server).
    pub sip: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// What the relay's thread shares with the test.
#[derive(Debug)]
struct Shared {
    started: Instant,
    /// Nothing gets through either way until this many µs after `started`.
    cut_until: AtomicU64,
    stop: AtomicBool,
    counts: RelayCounts,
}

/// The relay's sockets: `front` faces the phone, `back` the server.
struct Sockets {
    sip_front: UdpSocket,
    sip_back: UdpSocket,
    rtp_front: UdpSocket,
    rtp_back: UdpSocket,
}

/// A packet waiting for its delivery time.
struct Pending {
    due: Instant,
    order: u64,
    socket: usize,
    to: SocketAddr,
    bytes: Vec<u8>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.order) == (other.due, other.order)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    // Earliest first in a max-heap.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.due, other.order).cmp(&(self.due, self.order))
    }
}

/// Where each side is, as the relay learns it.
#[derive(Default)]
struct Peers {
    phone_sip: Option<SocketAddr>,
    phone_rtp: Option<SocketAddr>,
    server_rtp: Option<SocketAddr>,
}

impl Relay {
    /// Starts a relay to the server's SIP address `server`.
    pub fn start(server: SocketAddr, impairment: Impairment) -> Relay {
        let bind = || UdpSocket::bind("127.0.0.1:0").expect("a loopback UDP socket");
        let sockets = Sockets {
            sip_front: bind(),
            sip_back: bind(),
            rtp_front: bind(),
            rtp_back: bind(),
        };
        for socket in sockets.all() {
            socket.set_nonblocking(true).unwrap();
        }
        let sip = sockets.sip_front.local_addr().unwrap();
        let shared = Arc::new(Shared {
            started: Instant::now(),
            cut_until: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            counts: RelayCounts::default(),
        });
        let thread = {
            let shared = shared.clone();
            std::thread::spawn(move || run(sockets, server, impairment, &shared))
        };
        Relay {
            sip,
            shared,
            thread: Some(thread),
        }
    }

    /// What it did so far.
    pub fn counts(&self) -> &RelayCounts {
        &self.shared.counts
    }

    /// Cuts the link both ways for `span` from now (an outage).
    pub fn cut(&self, span: Duration) {
        let until = (self.shared.started.elapsed() + span).as_micros() as u64;
        self.shared.cut_until.store(until, Ordering::Relaxed);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Sockets {
    fn all(&self) -> [&UdpSocket; 4] {
        [
            &self.sip_front,
            &self.sip_back,
            &self.rtp_front,
            &self.rtp_back,
        ]
    }
}

/// The relay's loop: read whatever arrived, schedule it, send what is due.
fn run(sockets: Sockets, server: SocketAddr, impairment: Impairment, shared: &Shared) {
    let Shared {
        started,
        cut_until,
        stop,
        counts,
    } = shared;
    let mut random = Random(impairment.seed | 1);
    let mut peers = Peers::default();
    let mut queue = BinaryHeap::new();
    let mut order = 0u64;
    let mut lost_once: Vec<&'static str> = Vec::new();
    let mut buffer = [0u8; 65536];
    let addr = |s: &UdpSocket| s.local_addr().unwrap();
    let (sip_front, sip_back) = (addr(&sockets.sip_front), addr(&sockets.sip_back));
    let (rtp_front, rtp_back) = (addr(&sockets.rtp_front), addr(&sockets.rtp_back));
    while !stop.load(Ordering::Relaxed) && started.elapsed() < MAX_LIFETIME {
        let mut idle = true;
        for (index, socket) in sockets.all().into_iter().enumerate() {
            let Ok((len, from)) = socket.recv_from(&mut buffer) else {
                continue;
            };
            idle = false;
            let now = Instant::now();
            let in_outage = (now.duration_since(*started).as_micros() as u64)
                < cut_until.load(Ordering::Relaxed);
            let bytes = &buffer[..len];
            match index {
                // SIP, from the phone to the server or back.
                0 | 1 => {
                    let (text, out, to) = if index == 0 {
                        peers.phone_sip = Some(from);
                        let text = rewrite(bytes, &mut peers.phone_rtp, rtp_back, sip_back);
                        (text, 1, Some(server))
                    } else {
                        let text = rewrite(bytes, &mut peers.server_rtp, rtp_front, sip_front);
                        (text, 0, peers.phone_sip)
                    };
                    let Some(to) = to else {
                        continue;
                    };
                    if in_outage || lose_once(&text, &impairment.lose_first_sip, &mut lost_once) {
                        counts.sip_lost.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    order += 1;
                    queue.push(Pending {
                        due: now,
                        order,
                        socket: out,
                        to,
                        bytes: text.into_bytes(),
                    });
                }
                // RTP, either way.
                _ => {
                    let (out, to) = if index == 2 {
                        peers.phone_rtp = Some(from);
                        (3, peers.server_rtp)
                    } else {
                        (2, peers.phone_rtp)
                    };
                    let Some(to) = to else { continue };
                    counts.rtp.fetch_add(1, Ordering::Relaxed);
                    if in_outage || random.chance(impairment.loss) {
                        counts.rtp_lost.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let copies = if random.chance(impairment.duplicate) {
                        2
                    } else {
                        1
                    };
                    for _ in 0..copies {
                        let mut delay = impairment.jitter.mul_f64(random.unit());
                        if random.chance(impairment.reorder) {
                            delay += Duration::from_millis(40);
                        }
                        order += 1;
                        queue.push(Pending {
                            due: now + delay,
                            order,
                            socket: out,
                            to,
                            bytes: bytes.to_vec(),
                        });
                    }
                }
            }
        }
        let now = Instant::now();
        while queue.peek().is_some_and(|p: &Pending| p.due <= now) {
            let packet = queue.pop().unwrap();
            let _ = sockets.all()[packet.socket].send_to(&packet.bytes, packet.to);
        }
        if idle {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
}

/// Whether `message` is one of `rules` not lost before (then it is lost now).
fn lose_once(message: &str, rules: &[&'static str], lost: &mut Vec<&'static str>) -> bool {
    let first_line = message.lines().next().unwrap_or("");
    let kind = match first_line.strip_prefix("SIP/2.0 ") {
        Some(status) => status.get(..3).unwrap_or(""),
        None => first_line.split(' ').next().unwrap_or(""),
    };
    match rules.iter().find(|rule| **rule == kind) {
        Some(rule) if !lost.contains(rule) => {
            lost.push(rule);
            true
        }
        _ => false,
    }
}

/// The SIP message with its SDP's audio port set to `media`'s (the sender's own
/// RTP address noted in `sender_rtp`), its Contact port set to `contact`'s,
/// so that the other side sends its requests in the dialog through the relay
/// too, and `rport` on its Vias; Content-Length follows.
fn rewrite(
    bytes: &[u8],
    sender_rtp: &mut Option<SocketAddr>,
    media: SocketAddr,
    contact: SocketAddr,
) -> String {
    let text = String::from_utf8_lossy(bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return text.into_owned();
    };
    let body: String = body
        .split_inclusive("\r\n")
        .map(|line| match line.strip_prefix("m=audio ") {
            Some(rest) => {
                let (port, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                if let Ok(port) = port.parse::<u16>() {
                    *sender_rtp = Some(SocketAddr::from(([127, 0, 0, 1], port)));
                }
                format!("m=audio {} {tail}", media.port())
            }
            None => line.to_owned(),
        })
        .collect();
    let head: Vec<String> = head
        .split("\r\n")
        .map(|line| {
            let lower = line.to_ascii_lowercase();
            if (lower.starts_with("via:") || lower.starts_with("v:")) && !lower.contains("rport") {
                // Answers come back through the relay (RFC 3581), wherever
                // the Via says the sender is.
                format!("{line};rport")
            } else if lower.starts_with("content-length:") || lower.starts_with("l:") {
                format!("Content-Length: {}", body.len())
            } else if lower.starts_with("contact:") || lower.starts_with("m:") {
                replace_port(line, contact.port())
            } else {
                line.to_owned()
            }
        })
        .collect();
    format!("{}\r\n\r\n{body}", head.join("\r\n"))
}

/// `line` with the port after `127.0.0.1:` replaced by `port`.
fn replace_port(line: &str, port: u16) -> String {
    let Some(at) = line.find("127.0.0.1:") else {
        return line.to_owned();
    };
    let start = at + "127.0.0.1:".len();
    let end = line[start..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(line.len(), |n| start + n);
    format!("{}{port}{}", &line[..start], &line[end..])
}

/// xorshift64*: the relay's seeded randomness.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in 0..1.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }
}
