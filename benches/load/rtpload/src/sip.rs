//! Minimal SIP over UDP: one INVITE/200/ACK dialog per participant, each into a
//! room by its Request-URI user (`000777<room>`, the webconference default), and BYE.
//! While the media runs, requests from the server are answered and counted: a
//! BYE from it is a call it ended.

use std::io;
use std::net::{SocketAddrV4, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use switchyard_media::Codec;

/// How long an INVITE waits for a final response before it is sent again.
const RETRANSMIT_AFTER: Duration = Duration::from_secs(1);
/// How many times one INVITE is sent at most.
const MAX_SENDS: u32 = 4;
/// How long setup may run past its paced schedule.
const SETUP_GRACE: Duration = Duration::from_secs(30);
/// How long the BYEs' answers are awaited.
const BYE_WAIT: Duration = Duration::from_secs(5);
/// How long one read waits while the media runs: how soon [`Agent::watch`] sees its stop.
const WATCH_READ: Duration = Duration::from_millis(20);
/// How long one read waits otherwise.
const READ: Duration = Duration::from_millis(2);

/// One participant's call to set up.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    /// The room the call goes into.
    pub room: u32,
    /// Where the participant takes RTP (its SDP `c=`/`m=` address).
    pub rtp: SocketAddrV4,
}

/// An established call.
#[derive(Debug, Clone)]
pub struct Dialog {
    /// The server's RTP address for the call (its answer's SDP).
    pub media: SocketAddrV4,
    /// The payload type the server answered (the first of its `m=audio` line).
    pub payload_type: u8,
    to_tag: String,
}

/// A SIP user agent on one UDP socket, calling one server.
pub struct Agent {
    socket: UdpSocket,
    server: SocketAddrV4,
    local: SocketAddrV4,
    tag: String,
    codec: Codec,
}

/// What the server sent while [`Agent::watch`] ran.
#[derive(Debug, Default, Clone, Copy)]
pub struct Watched {
    /// BYEs from the server (retransmissions included): calls it ended.
    pub byes: u64,
    /// Other requests from the server.
    pub other_requests: u64,
}

/// How the hang-up went.
#[derive(Debug, Default, Clone, Copy)]
pub struct HungUp {
    /// BYEs answered 200: calls that were still up.
    pub ok: usize,
    /// BYEs answered otherwise (481: the server had no such call any more).
    pub refused: usize,
}

/// A setup's progress for one offer.
enum Progress {
    Waiting,
    Invited { at: Instant, sends: u32 },
    Answered(Dialog),
    Refused,
}

impl Agent {
    /// An agent on a fresh loopback port, calling `server` and offering `codec` alone.
    pub fn new(server: SocketAddrV4, codec: Codec) -> io::Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        socket.set_read_timeout(Some(READ))?;
        let local = match socket.local_addr()? {
            std::net::SocketAddr::V4(v4) => v4,
            std::net::SocketAddr::V6(_) => unreachable!("bound to an IPv4 address"),
        };
        Ok(Agent {
            socket,
            server,
            local,
            tag: std::process::id().to_string(),
            codec,
        })
    }

    /// Calls every offer, at most `rate` new INVITEs a second and `window`
    /// unanswered at once. Each result is the offer's dialog, or `None` when it was
    /// refused or not answered within the paced schedule and 30 s more.
    pub fn establish(
        &self,
        offers: &[Offer],
        rate: u32,
        window: usize,
    ) -> io::Result<Vec<Option<Dialog>>> {
        let start = Instant::now();
        let interval = Duration::from_secs(1) / rate.max(1);
        let deadline = start + interval * offers.len() as u32 + SETUP_GRACE;
        let mut progress: Vec<Progress> = offers.iter().map(|_| Progress::Waiting).collect();
        let (mut next, mut open, mut done) = (0, 0, 0);
        let mut buffer = [0u8; 65_535];
        while done < offers.len() && Instant::now() < deadline {
            let now = Instant::now();
            if next < offers.len() && open < window && now >= start + interval * next as u32 {
                self.invite(next, offers[next])?;
                progress[next] = Progress::Invited { at: now, sends: 1 };
                (next, open) = (next + 1, open + 1);
            }
            for (index, state) in progress[..next].iter_mut().enumerate() {
                if let Progress::Invited { at, sends } = state
                    && now.duration_since(*at) >= RETRANSMIT_AFTER
                {
                    if *sends == MAX_SENDS {
                        *state = Progress::Refused;
                        (open, done) = (open - 1, done + 1);
                    } else {
                        self.invite(index, offers[index])?;
                        (*at, *sends) = (now, *sends + 1);
                    }
                }
            }
            let Ok(len) = self.socket.recv(&mut buffer) else {
                continue;
            };
            let message = String::from_utf8_lossy(&buffer[..len]);
            let Some(response) = Response::parse(&message) else {
                continue;
            };
            let (Some(state), Some(offer)) =
                (progress.get_mut(response.index), offers.get(response.index))
            else {
                continue;
            };
            if response.method != "INVITE" || response.status < 200 {
                continue;
            }
            if response.status >= 300 {
                self.ack(response.index, offer.room, response.to_tag, response.status)?;
                if matches!(state, Progress::Invited { .. }) {
                    *state = Progress::Refused;
                    (open, done) = (open - 1, done + 1);
                }
                continue;
            }
            // A retransmitted 200 (its ACK lost) is acknowledged again.
            self.ack(response.index, offer.room, response.to_tag, response.status)?;
            if let (Progress::Invited { .. }, Some((media, payload_type))) =
                (&state, response.media)
            {
                *state = Progress::Answered(Dialog {
                    media,
                    payload_type,
                    to_tag: response.to_tag.to_owned(),
                });
                (open, done) = (open - 1, done + 1);
            }
        }
        Ok(progress
            .into_iter()
            .map(|state| match state {
                Progress::Answered(dialog) => Some(dialog),
                _ => None,
            })
            .collect())
    }

    /// Hangs up every dialog (`Some` entries of [`establish`](Self::establish)'s
    /// result), at most `rate` BYEs a second; returns how the BYEs were answered.
    pub fn hang_up(
        &self,
        offers: &[Offer],
        dialogs: &[Option<Dialog>],
        rate: u32,
    ) -> io::Result<HungUp> {
        let interval = Duration::from_secs(1) / rate.max(1);
        let mut buffer = [0u8; 65_535];
        let mut answered = HungUp::default();
        let mut drain = |answered: &mut HungUp| {
            while let Ok(len) = self.socket.recv(&mut buffer) {
                let message = String::from_utf8_lossy(&buffer[..len]);
                match Response::parse(&message) {
                    Some(response) if response.method == "BYE" && response.status == 200 => {
                        answered.ok += 1;
                    }
                    Some(response) if response.method == "BYE" && response.status >= 300 => {
                        answered.refused += 1;
                    }
                    _ => {}
                }
            }
        };
        let start = Instant::now();
        for (index, (offer, dialog)) in offers.iter().zip(dialogs).enumerate() {
            if let Some(dialog) = dialog {
                self.socket.send_to(
                    self.request("BYE", "BYE2", index, offer.room, &dialog.to_tag, "")
                        .as_bytes(),
                    self.server,
                )?;
            }
            if let Some(wait) =
                (start + interval * index as u32).checked_duration_since(Instant::now())
            {
                std::thread::sleep(wait);
            }
            if index % 64 == 63 {
                drain(&mut answered);
            }
        }
        let deadline = Instant::now() + BYE_WAIT;
        let expected = dialogs.iter().flatten().count();
        while answered.ok + answered.refused < expected && Instant::now() < deadline {
            drain(&mut answered);
        }
        Ok(answered)
    }

    /// Until `stop` is set, or `limit` has passed: answers the server's requests
    /// 200 (a BYE, an OPTIONS) or 501 (anything else) and counts them, and
    /// acknowledges again a 200 to an INVITE of `offers` that comes again (its ACK
    /// was lost).
    pub fn watch(
        &self,
        offers: &[Offer],
        stop: &AtomicBool,
        limit: Duration,
    ) -> io::Result<Watched> {
        let deadline = Instant::now() + limit;
        let mut watched = Watched::default();
        let mut buffer = [0u8; 65_535];
        self.socket.set_read_timeout(Some(WATCH_READ))?;
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            let Ok(len) = self.socket.recv(&mut buffer) else {
                continue;
            };
            let message = String::from_utf8_lossy(&buffer[..len]);
            if let Some(method) = request_method(&message) {
                let status = match method {
                    "BYE" => {
                        watched.byes += 1;
                        "200 OK"
                    }
                    "OPTIONS" => {
                        watched.other_requests += 1;
                        "200 OK"
                    }
                    _ => {
                        watched.other_requests += 1;
                        "501 Not Implemented"
                    }
                };
                self.socket
                    .send_to(reply(&message, status).as_bytes(), self.server)?;
            } else if let Some(response) = Response::parse(&message)
                && response.method == "INVITE"
                && response.status == 200
                && let Some(offer) = offers.get(response.index)
            {
                self.ack(response.index, offer.room, response.to_tag, response.status)?;
            }
        }
        self.socket.set_read_timeout(Some(READ))?;
        Ok(watched)
    }

    fn invite(&self, index: usize, offer: Offer) -> io::Result<()> {
        let sdp = offer_sdp(index, offer.rtp, self.codec);
        let request = self.request("INVITE", "INVITE1", index, offer.room, "", &sdp);
        self.socket.send_to(request.as_bytes(), self.server)?;
        Ok(())
    }

    /// ACKs a final response to INVITE: in a new transaction for a 2xx, in the
    /// INVITE's own for any other (RFC 3261 §17.1.1.3).
    fn ack(&self, index: usize, room: u32, to_tag: &str, status: u16) -> io::Result<()> {
        let branch = if status < 300 { "ACK1" } else { "INVITE1" };
        let request = self.request("ACK", branch, index, room, to_tag, "");
        self.socket.send_to(request.as_bytes(), self.server)?;
        Ok(())
    }

    /// A request of call `index` into `room`, in the transaction named `branch`.
    /// Its CSeq is 2 for a BYE and 1 otherwise.
    fn request(
        &self,
        method: &str,
        branch: &str,
        index: usize,
        room: u32,
        to_tag: &str,
        body: &str,
    ) -> String {
        let cseq = if method == "BYE" { 2 } else { 1 };
        let to_tag = if to_tag.is_empty() {
            String::new()
        } else {
            format!(";tag={to_tag}")
        };
        let content_type = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        let (server, local, tag) = (self.server, self.local, &self.tag);
        let user = format!("000777{room}");
        format!(
            "{method} sip:{user}@{server} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch=z9hG4bK-{tag}-{index}-{branch}\r\n\
             From: <sip:p{index}@{local}>;tag=f{index}\r\n\
             To: <sip:{user}@{server}>{to_tag}\r\n\
             Call-ID: rtpload-{tag}-{index}\r\n\
             CSeq: {cseq} {method}\r\n\
             Contact: <sip:p{index}@{local}>\r\n\
             Max-Forwards: 70\r\n\
             {content_type}Content-Length: {len}\r\n\r\n{body}",
            len = body.len(),
        )
    }
}

/// The parts of a response the agent reads.
struct Response<'a> {
    status: u16,
    /// The call's index, from its Call-ID.
    index: usize,
    method: &'a str,
    to_tag: &'a str,
    /// The answer's RTP address and payload type, when it has SDP.
    media: Option<(SocketAddrV4, u8)>,
}

impl<'a> Response<'a> {
    fn parse(message: &'a str) -> Option<Self> {
        let (head, body) = message.split_once("\r\n\r\n")?;
        let mut lines = head.split("\r\n");
        let status = lines
            .next()?
            .strip_prefix("SIP/2.0 ")?
            .get(..3)?
            .parse()
            .ok()?;
        let (mut index, mut method, mut to_tag) = (None, None, "");
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "call-id" | "i" => index = value.rsplit('-').next()?.parse().ok(),
                "cseq" => method = value.split_whitespace().nth(1),
                "to" | "t" => {
                    to_tag = value
                        .split(';')
                        .find_map(|p| p.trim().strip_prefix("tag="))
                        .unwrap_or("");
                }
                _ => {}
            }
        }
        Some(Response {
            status,
            index: index?,
            method: method?,
            to_tag,
            media: sdp_media(body),
        })
    }
}

/// The method of `message` when it is a request.
fn request_method(message: &str) -> Option<&str> {
    let (method, rest) = message.split_once(' ')?;
    let first_line = rest.split("\r\n").next()?;
    (first_line.ends_with(" SIP/2.0") && !method.starts_with("SIP/")).then_some(method)
}

/// A `status` response (`"200 OK"`) to `request`, with its Via, From, To,
/// Call-ID and CSeq as they came.
fn reply(request: &str, status: &str) -> String {
    let head = request.split("\r\n\r\n").next().unwrap_or("");
    let mut response = format!("SIP/2.0 {status}\r\n");
    for line in head.split("\r\n").skip(1) {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "via" | "v" | "from" | "f" | "to" | "t" | "call-id" | "i" | "cseq"
        ) {
            response.push_str(line);
            response.push_str("\r\n");
        }
    }
    response.push_str("Content-Length: 0\r\n\r\n");
    response
}

/// Call `index`'s SDP offer: `codec` alone, in 20 ms packets, to be sent to `rtp`.
fn offer_sdp(index: usize, rtp: SocketAddrV4, codec: Codec) -> String {
    let (ip, port, pt) = (rtp.ip(), rtp.port(), codec.payload_type());
    let channels = match codec.sdp_channels() {
        1 => String::new(),
        n => format!("/{n}"),
    };
    let fmtp = if codec == Codec::Opus {
        format!("a=fmtp:{pt} useinbandfec=1\r\n")
    } else {
        String::new()
    };
    format!(
        "v=0\r\no=- {index} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP {pt}\r\na=rtpmap:{pt} {name}/{rate}{channels}\r\n\
         {fmtp}a=ptime:20\r\n",
        name = codec.encoding_name(),
        rate = codec.clock_rate(),
    )
}

/// The `c=` address, and the first `m=audio` line's port and payload type, of an SDP body.
fn sdp_media(body: &str) -> Option<(SocketAddrV4, u8)> {
    let ip = body
        .lines()
        .find_map(|l| l.strip_prefix("c=IN IP4 "))?
        .trim()
        .parse()
        .ok()?;
    let mut media = body
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))?
        .split_whitespace();
    let port = media.next()?.parse().ok()?;
    let payload_type = media.nth(1)?.parse().ok()?;
    Some((SocketAddrV4::new(ip, port), payload_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_200_with_its_answer() {
        let message = "SIP/2.0 200 OK\r\nVia: x\r\nTo: <sip:000777123@h>;tag=abc\r\n\
                       Call-ID: rtpload-7-42\r\nCSeq: 1 INVITE\r\n\r\n\
                       v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 20000 RTP/AVP 0\r\n";
        let response = Response::parse(message).expect("a response");
        assert_eq!(
            (
                response.status,
                response.index,
                response.method,
                response.to_tag
            ),
            (200, 42, "INVITE", "abc")
        );
        assert_eq!(
            response.media,
            Some(("127.0.0.1:20000".parse().unwrap(), 0))
        );
    }

    #[test]
    fn answers_a_bye_with_its_own_headers() {
        let bye = "BYE sip:p3@127.0.0.1:5000 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
                   Max-Forwards: 70\r\nFrom: <sip:000777123@h>;tag=abc\r\nTo: <sip:p3@h>;tag=f3\r\n\
                   Call-ID: rtpload-7-3\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(request_method(bye), Some("BYE"));
        assert_eq!(
            reply(bye, "200 OK"),
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
             From: <sip:000777123@h>;tag=abc\r\nTo: <sip:p3@h>;tag=f3\r\n\
             Call-ID: rtpload-7-3\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n"
        );
        assert_eq!(
            request_method("SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n"),
            None
        );
    }

    #[test]
    fn offers_opus_alone_and_reads_the_answers_payload_type() {
        let sdp = offer_sdp(7, "127.0.0.1:4000".parse().unwrap(), Codec::Opus);
        assert!(sdp.ends_with(
            "m=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n\
             a=fmtp:111 useinbandfec=1\r\na=ptime:20\r\n"
        ));
        let pcmu = offer_sdp(7, "127.0.0.1:4000".parse().unwrap(), Codec::Pcmu);
        assert!(pcmu.ends_with("m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n"));
        let answer = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 20002 RTP/AVP 111\r\n\
                      a=rtpmap:111 opus/48000/2\r\n";
        assert_eq!(
            sdp_media(answer),
            Some(("127.0.0.1:20002".parse().unwrap(), 111))
        );
    }
}
