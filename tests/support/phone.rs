//! A minimal SIP phone over UDP (RFC 3261 UAC with hand-written messages) that
//! sends a tone as RTP (PCMU unless told another codec) and records what it
//! hears.

use rtp_rs::{RtpPacketBuilder, RtpReader, Seq};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use switchyard_media::{Codec, Decoder, Encoder};

/// How long the phone waits for any one SIP answer.
const SIP_TIMEOUT: Duration = Duration::from_secs(10);
/// The RTP payload type the phone offers for RFC 4733 telephone-events.
const TELEPHONE_EVENT: u8 = 101;
/// The most datagrams [`Phone::discard_received`] throws away in one call.
const MAX_DISCARD: usize = 10_000;

/// A phone with one call.
pub struct Phone {
    sip: UdpSocket,
    rtp: UdpSocket,
    /// On the RTP port + 1 (RFC 3550 §11).
    rtcp: UdpSocket,
    server: SocketAddr,
    user: String,
    call_id: String,
    from_tag: String,
    to_tag: String,
    remote_rtp: SocketAddr,
    cseq: u32,
    /// The Via branch of the INVITE (an ACK to a non-2xx answer reuses it).
    invite_branch: String,
    /// When the INVITE was sent.
    invited_at: Instant,
    /// When the final answer to the INVITE arrived.
    answered_at: Option<Instant>,
    /// The final answer to the INVITE, once it came.
    final_answer: String,
    /// The next RTP frame: sequence number and timestamp (× one frame) of
    /// what the phone sends next, so later talk and key presses continue the
    /// stream.
    next_frame: AtomicU32,
    /// The only audio codec it offers.
    codec: Codec,
    /// It offers RFC 4733 telephone-event at its codec's clock rate.
    events: bool,
}

/// One RTP packet the phone was sent, as [`Phone::receive`] read it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Its payload type.
    pub payload_type: u8,
    /// Its sequence number.
    pub sequence: u16,
    /// Its timestamp.
    pub timestamp: u32,
    /// Its marker bit.
    pub marker: bool,
    /// Its payload.
    pub payload: Vec<u8>,
}

impl Received {
    /// Whether it is an RFC 4733 telephone-event (the payload type the phone offers).
    pub fn is_event(&self) -> bool {
        self.payload_type == TELEPHONE_EVENT
    }
}

/// The value of the first header `name` in `message`, a SIP message as text
/// (the name compared without regard to case).
pub fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn status(message: &str) -> Option<u16> {
    message.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
}

fn random_token(salt: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{salt}{:x}", nanos ^ u128::from(std::process::id()))
}

impl Phone {
    /// Calls `sip:<user>@server` from `caller`, with `extra_headers` (whole
    /// lines), and completes the INVITE/200/ACK exchange. Panics unless the
    /// call is answered.
    pub fn call(server: SocketAddr, user: &str, caller: &str, extra_headers: &[&str]) -> Phone {
        Phone::call_with(server, user, caller, extra_headers, Codec::Pcmu)
    }

    /// [`Phone::call`] offering `codec` only (with telephone-event at its
    /// clock rate).
    pub fn call_with(
        server: SocketAddr,
        user: &str,
        caller: &str,
        extra_headers: &[&str],
        codec: Codec,
    ) -> Phone {
        let mut phone = Phone::dial_with(server, user, caller, extra_headers, codec);
        let status = phone.await_answer();
        assert_eq!(
            status, 200,
            "the call was not answered:\n{}",
            phone.final_answer
        );
        phone
    }

    /// Sends an INVITE to `sip:<user>@server` from `caller` and returns at
    /// once; [`Phone::await_answer`] waits for its final answer.
    pub fn dial(server: SocketAddr, user: &str, caller: &str, extra_headers: &[&str]) -> Phone {
        Phone::dial_with(server, user, caller, extra_headers, Codec::Pcmu)
    }

    /// [`Phone::dial`] offering `codec` only.
    pub fn dial_with(
        server: SocketAddr,
        user: &str,
        caller: &str,
        extra_headers: &[&str],
        codec: Codec,
    ) -> Phone {
        Phone::dial_offering(server, user, caller, extra_headers, codec, true)
    }

    /// [`Phone::call`] of a phone that offers PCMU without telephone-event:
    /// its keys go in-band ([`Phone::press_inband`]).
    pub fn call_without_events(server: SocketAddr, user: &str, caller: &str) -> Phone {
        let mut phone = Phone::dial_offering(server, user, caller, &[], Codec::Pcmu, false);
        let status = phone.await_answer();
        assert_eq!(status, 200, "not answered:\n{}", phone.final_answer);
        phone
    }

    /// [`Phone::dial`] offering `codec` only, with telephone-event if `events`.
    fn dial_offering(
        server: SocketAddr,
        user: &str,
        caller: &str,
        extra_headers: &[&str],
        codec: Codec,
        events: bool,
    ) -> Phone {
        let Listening { sip, rtp, rtcp } = Listening::new();
        let phone = Phone {
            server,
            user: user.to_owned(),
            call_id: random_token(&format!("{caller}-")),
            from_tag: random_token("t"),
            to_tag: String::new(),
            remote_rtp: server,
            cseq: 1,
            invite_branch: random_token("z9hG4bK"),
            invited_at: Instant::now(),
            answered_at: None,
            final_answer: String::new(),
            next_frame: AtomicU32::new(0),
            codec,
            events,
            sip,
            rtp,
            rtcp,
        };
        let sip_port = phone.sip.local_addr().unwrap().port();
        let sdp = sdp_version(
            phone.rtp.local_addr().unwrap().port(),
            codec,
            events,
            1,
            "sendrecv",
        );
        let mut extra = String::new();
        for line in extra_headers {
            extra.push_str(line);
            extra.push_str("\r\n");
        }
        let invite = format!(
            "INVITE sip:{user}@{server} SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:{sip_port};branch={};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{caller}@127.0.0.1>;tag={}\r\n\
             To: <sip:{user}@{server}>\r\n\
             Call-ID: {}\r\n\
             CSeq: 1 INVITE\r\n\
             Contact: <sip:{caller}@127.0.0.1:{sip_port}>\r\n\
             {extra}Content-Type: application/sdp\r\n\
             Content-Length: {}\r\n\r\n{sdp}",
            phone.invite_branch,
            phone.from_tag,
            phone.call_id,
            sdp.len()
        );
        phone.sip.send_to(invite.as_bytes(), server).unwrap();
        phone
    }

    /// Waits for the final answer to the INVITE and returns its status code.
    /// A 200 is acknowledged and the call is up; any other final answer is
    /// acknowledged as RFC 3261 §17.1.1.3 says and the phone has no call.
    pub fn await_answer(&mut self) -> u16 {
        let (answer, at) = self.await_final(1, "INVITE");
        self.answered_at = Some(at);
        let code = status(&answer).expect("a final answer has a status");
        let to = header(&answer, "To").unwrap_or_else(|| panic!("no To header in:\n{answer}"));
        self.to_tag = to
            .split("tag=")
            .nth(1)
            .and_then(|tag| tag.split(';').next())
            .unwrap_or("")
            .trim()
            .to_owned();
        if code == 200 {
            self.remote_rtp = sdp_audio_address(&answer);
            self.send_in_dialog("ACK", 1);
        } else {
            self.ack_failure();
        }
        self.final_answer = answer;
        code
    }

    /// A header of the final answer to the INVITE, once [`Phone::await_answer`] returned.
    pub fn final_answer_header(&self, name: &str) -> Option<&str> {
        header(&self.final_answer, name)
    }

    /// Waits up to `timeout` for a provisional answer (1xx) to the INVITE and
    /// returns its status code, or `None` if none came (or a final one did).
    pub fn await_provisional(&self, timeout: Duration) -> Option<u16> {
        let (answer, _) = receive(&self.sip, timeout, |message| {
            header(message, "CSeq").is_some_and(|c| c.ends_with("INVITE"))
                && status(message).is_some()
        })?;
        status(&answer).filter(|&code| code < 200)
    }

    /// When the INVITE was sent.
    pub fn invited_at(&self) -> Instant {
        self.invited_at
    }

    /// When the final answer to the INVITE arrived, once it has.
    pub fn answered_at(&self) -> Option<Instant> {
        self.answered_at
    }

    /// The ACK of a non-2xx final answer: same branch as the INVITE, the
    /// answer's To tag, CSeq 1 ACK.
    fn ack_failure(&self) {
        let sip_port = self.sip.local_addr().unwrap().port();
        let ack = format!(
            "ACK sip:{}@{} SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:{sip_port};branch={};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:phone@127.0.0.1>;tag={}\r\n\
             To: <sip:{}@{}>;tag={}\r\n\
             Call-ID: {}\r\n\
             CSeq: 1 ACK\r\n\
             Content-Length: 0\r\n\r\n",
            self.user,
            self.server,
            self.invite_branch,
            self.from_tag,
            self.user,
            self.server,
            self.to_tag,
            self.call_id
        );
        self.sip.send_to(ack.as_bytes(), self.server).unwrap();
    }

    /// Waits for the final response to our `method` request of CSeq `cseq`
    /// (a late one to an earlier request is passed over); returns it and when
    /// it arrived.
    fn await_final(&self, cseq: u32, method: &str) -> (String, Instant) {
        let wanted = format!("{cseq} {method}");
        let (answer, _) = receive(&self.sip, SIP_TIMEOUT, |message| {
            header(message, "CSeq").is_some_and(|c| c.split_whitespace().eq(wanted.split(' ')))
                && status(message).is_some_and(|code| code >= 200)
        })
        .unwrap_or_else(|| panic!("no final response to {wanted} within {SIP_TIMEOUT:?}"));
        (answer, Instant::now())
    }

    /// Sends `method` in the call's dialog with CSeq `cseq`.
    fn send_in_dialog(&self, method: &str, cseq: u32) {
        self.send_in_dialog_with(method, cseq, "");
    }

    /// [`send_in_dialog`](Self::send_in_dialog) with `sdp` as its body (none
    /// when empty).
    fn send_in_dialog_with(&self, method: &str, cseq: u32, sdp: &str) {
        let sip_port = self.sip.local_addr().unwrap().port();
        let content_type = if sdp.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        let request = format!(
            "{method} sip:{}@{} SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:{sip_port};branch={};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:phone@127.0.0.1>;tag={}\r\n\
             To: <sip:{}@{}>;tag={}\r\n\
             Call-ID: {}\r\n\
             CSeq: {cseq} {method}\r\n\
             {content_type}Content-Length: {}\r\n\r\n{sdp}",
            self.user,
            self.server,
            random_token("z9hG4bK"),
            self.from_tag,
            self.user,
            self.server,
            self.to_tag,
            self.call_id,
            sdp.len()
        );
        self.sip.send_to(request.as_bytes(), self.server).unwrap();
    }

    /// The SSRC of everything the phone sends.
    fn ssrc(&self) -> u32 {
        std::process::id() ^ u32::from(self.rtp.local_addr().unwrap().port())
    }

    /// Takes `count` frames of the phone's RTP stream; returns the first.
    fn take_frames(&self, count: u32) -> u32 {
        self.next_frame.fetch_add(count, Ordering::Relaxed)
    }

    /// The sampling rate of what [`Phone::talk`] returns: its codec's.
    pub fn audio_rate(&self) -> u32 {
        self.codec.audio_rate()
    }

    /// RTP timestamp units in one 20 ms frame of its codec.
    fn frame_units(&self) -> u32 {
        self.codec.samples_per_frame(Duration::from_millis(20)) as u32
    }

    /// Sends `tone_hz` for `duration` as 20 ms packets of its codec on
    /// absolute deadlines, and returns what it heard meanwhile, decoded (at
    /// [`Phone::audio_rate`]). A later call continues the same RTP stream
    /// (sequence numbers and timestamps).
    pub fn talk(&self, tone_hz: f64, duration: Duration) -> Vec<i16> {
        self.talk_tones(&[tone_hz], duration).samples
    }

    /// [`Phone::talk`], with when each packet heard came.
    pub fn talk_timed(&self, tone_hz: f64, duration: Duration) -> Heard {
        self.talk_tones(&[tone_hz], duration)
    }

    /// Presses `digit` (0-9, *, #, A-D) in-band: its ITU-T Q.23 tones for
    /// 100 ms, then 100 ms of silence, as a phone without telephone-event
    /// sends it.
    pub fn press_inband(&self, digit: char) {
        let code = "0123456789*#ABCD"
            .find(digit.to_ascii_uppercase())
            .unwrap_or_else(|| panic!("{digit:?} is not a DTMF key"));
        let (low, high) = switchyard_media::q23_frequencies(code as u8);
        self.talk_tones(
            &[f64::from(low), f64::from(high)],
            Duration::from_millis(100),
        );
        self.talk(0.0, Duration::from_millis(100));
    }

    /// [`Phone::talk`] of the sum of `tones`.
    fn talk_tones(&self, tones: &[f64], duration: Duration) -> Heard {
        let frames = (duration.as_millis() / 20) as usize;
        let ssrc = self.ssrc();
        let first = self.take_frames(frames as u32) as usize;
        let started = Instant::now();
        let rate = self.audio_rate();
        let samples = rate as usize / 50;
        let (mut encoder, mut decoder) = (Encoder::new(self.codec), Decoder::new(self.codec));
        let pt = self.codec.payload_type();
        let mut heard = Heard {
            samples: Vec::with_capacity(frames * samples),
            arrivals: Vec::with_capacity(frames),
        };
        let mut buffer = [0u8; 2048];
        let mut payload = Vec::new();
        let mut decoded = vec![0i16; 5760];
        for frame in 0..frames {
            let mut pcm = vec![0i16; samples];
            for &hz in tones {
                let tone = super::audio::tone_at(rate, hz, 8000.0, frame * samples, samples);
                for (sum, sample) in pcm.iter_mut().zip(tone) {
                    *sum = sum.saturating_add(sample);
                }
            }
            encoder.encode(&pcm, &mut payload);
            let packet = RtpPacketBuilder::new()
                .payload_type(pt)
                .ssrc(ssrc)
                .sequence(Seq::from((first + frame) as u16))
                .timestamp((first + frame) as u32 * self.frame_units())
                .marked(frame == 0)
                .payload(&payload)
                .build()
                .unwrap();
            self.rtp.send_to(&packet, self.remote_rtp).unwrap();
            let next = started + Duration::from_millis(20 * (frame as u64 + 1));
            while Instant::now() < next {
                if let Ok((len, _)) = self.rtp.recv_from(&mut buffer)
                    && let Ok(rtp) = RtpReader::new(&buffer[..len])
                    && rtp.payload_type() == pt
                {
                    let n = decoder.decode(rtp.payload(), &mut decoded);
                    heard.arrivals.push((Instant::now(), heard.samples.len()));
                    heard.samples.extend_from_slice(&decoded[..n]);
                }
            }
        }
        heard
    }

    /// The server's RTP address for this call (from its SDP answer).
    pub fn media_address(&self) -> SocketAddr {
        self.remote_rtp
    }

    /// Sends `packet` from the phone's RTCP port to the server's (its RTP
    /// port + 1).
    pub fn send_rtcp(&self, packet: &[u8]) {
        let mut server = self.remote_rtp;
        server.set_port(server.port() + 1);
        self.rtcp.send_to(packet, server).unwrap();
    }

    /// The first RTCP packet the phone's RTCP port is sent within `timeout`,
    /// and where it came from.
    pub fn await_rtcp(&self, timeout: Duration) -> Option<(Vec<u8>, SocketAddr)> {
        await_rtcp(&self.rtcp, timeout)
    }

    /// The phone's RTCP port, to read with [`await_rtcp`] once the phone
    /// has hung up.
    pub fn rtcp_socket(&self) -> UdpSocket {
        self.rtcp.try_clone().unwrap()
    }

    /// Presses `digit` (0-9, *, #, A-D) as RFC 4733 telephone-events on the
    /// phone's RTP stream: a start packet (marker set) and the end packet
    /// three times (§2.5.1.4), all with the event's timestamp.
    pub fn send_dtmf(&self, digit: char) {
        let code = "0123456789*#ABCD"
            .find(digit.to_ascii_uppercase())
            .unwrap_or_else(|| panic!("{digit:?} is not a DTMF key"));
        let packets: u32 = 4;
        let first = self.take_frames(packets);
        let ssrc = self.ssrc();
        for n in 0..packets {
            let end = n > 0;
            // Volume 10 (-10 dBm0); duration in timestamp units, 100 ms at the end.
            let units = self.frame_units() as u16;
            let duration: u16 = if end { 5 * units } else { units };
            let [high, low] = duration.to_be_bytes();
            let payload = [code as u8, if end { 0x80 | 10 } else { 10 }, high, low];
            let packet = RtpPacketBuilder::new()
                .payload_type(TELEPHONE_EVENT)
                .ssrc(ssrc)
                .sequence(Seq::from((first + n) as u16))
                .timestamp(first.wrapping_mul(self.frame_units()))
                .marked(n == 0)
                .payload(&payload)
                .build()
                .unwrap();
            self.rtp.send_to(&packet, self.remote_rtp).unwrap();
        }
    }

    /// Reads every RTP packet the phone is sent for `duration` (sending
    /// nothing), in the order they arrive.
    pub fn receive(&self, duration: Duration) -> Vec<Received> {
        let started = Instant::now();
        let mut buffer = [0u8; 2048];
        let mut received = Vec::new();
        while started.elapsed() < duration {
            if let Ok((len, _)) = self.rtp.recv_from(&mut buffer)
                && let Ok(rtp) = RtpReader::new(&buffer[..len])
            {
                received.push(Received {
                    payload_type: rtp.payload_type(),
                    sequence: u16::from(rtp.sequence_number()),
                    timestamp: rtp.timestamp(),
                    marker: rtp.mark(),
                    payload: rtp.payload().to_vec(),
                });
            }
        }
        received
    }

    /// Throws away the RTP queued on the phone's socket (what it was sent
    /// while nobody listened); returns how many datagrams that was.
    pub fn discard_received(&self) -> usize {
        let mut buffer = [0u8; 2048];
        self.rtp.set_nonblocking(true).unwrap();
        let discarded = (0..MAX_DISCARD)
            .take_while(|_| self.rtp.recv_from(&mut buffer).is_ok())
            .count();
        self.rtp.set_nonblocking(false).unwrap();
        discarded
    }

    /// Offers the session again by re-INVITE, its audio `direction`
    /// (`sendonly` to hold the call, `sendrecv` to resume it), and
    /// acknowledges the 200; returns the answer's SDP. Panics unless it is
    /// 200.
    pub fn reoffer(&mut self, direction: &str) -> String {
        self.cseq += 1;
        let port = self.rtp.local_addr().unwrap().port();
        let sdp = sdp_version(port, self.codec, self.events, self.cseq, direction);
        self.send_in_dialog_with("INVITE", self.cseq, &sdp);
        let (answer, _) = self.await_final(self.cseq, "INVITE");
        assert_eq!(status(&answer), Some(200), "re-INVITE refused:\n{answer}");
        self.send_in_dialog("ACK", self.cseq);
        answer
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    }

    /// Sends BYE and waits for its 200.
    pub fn hang_up(mut self) {
        self.cseq += 1;
        self.send_in_dialog("BYE", self.cseq);
        let (answer, _) = self.await_final(self.cseq, "BYE");
        assert_eq!(status(&answer), Some(200), "BYE not accepted:\n{answer}");
    }

    /// Waits up to `timeout` for the server's BYE, answers it 200, and returns true if it came.
    #[must_use = "whether the BYE came; assert it (or its absence)"]
    pub fn await_bye(&self, timeout: Duration) -> bool {
        self.await_bye_at(timeout).is_some()
    }

    /// Waits up to `timeout` for the server's BYE of this call, answers it
    /// 200, and returns when it arrived, or `None` if it did not. A BYE of
    /// another dialog (sent by an earlier user of the phone's port) is
    /// passed over.
    pub fn await_bye_at(&self, timeout: Duration) -> Option<Instant> {
        let ours = |m: &str| {
            m.starts_with("BYE ")
                && header(m, "Call-ID").or_else(|| header(m, "i")) == Some(self.call_id.as_str())
        };
        let (message, from) = receive(&self.sip, timeout, ours)?;
        let arrived = Instant::now();
        self.sip.send_to(ok_to(&message).as_bytes(), from).unwrap();
        Some(arrived)
    }
}

/// The 200 OK to `request`, a SIP request as text: its Via, From, To, Call-ID
/// and CSeq lines, and no body.
pub fn ok_to(request: &str) -> String {
    let mut ok = String::from("SIP/2.0 200 OK\r\n");
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        for line in request.lines().filter(|l| {
            l.split_once(':')
                .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        }) {
            ok.push_str(line);
            ok.push_str("\r\n");
        }
    }
    ok.push_str("Content-Length: 0\r\n\r\n");
    ok
}

/// What a phone heard while it talked, decoded.
pub struct Heard {
    /// The samples, in the order their packets came.
    pub samples: Vec<i16>,
    /// When each packet came, and where its samples start in `samples`.
    arrivals: Vec<(Instant, usize)>,
}

impl Heard {
    /// The samples of the packets that came before `at`, and those of the packets that
    /// came from `at` on.
    pub fn split_at(mut self, at: Instant) -> (Vec<i16>, Vec<i16>) {
        let cut = self
            .arrivals
            .iter()
            .find(|(came, _)| *came >= at)
            .map_or(self.samples.len(), |&(_, start)| start);
        let after = self.samples.split_off(cut);
        (self.samples, after)
    }
}

/// The first packet `rtcp`, a phone's RTCP port, is sent within `timeout`, and
/// where it came from.
pub fn await_rtcp(rtcp: &UdpSocket, timeout: Duration) -> Option<(Vec<u8>, SocketAddr)> {
    let started = Instant::now();
    let mut buffer = [0u8; 2048];
    while started.elapsed() < timeout {
        if let Ok((len, from)) = rtcp.recv_from(&mut buffer) {
            return Some((buffer[..len].to_vec(), from));
        }
    }
    None
}

/// The phone's first SDP: `codec` and telephone-event at its clock rate, on
/// `rtp_port`, sendrecv.
fn sdp_offer(rtp_port: u16, codec: Codec) -> String {
    sdp_version(rtp_port, codec, true, 1, "sendrecv")
}

/// [`sdp_offer`] at o= version `version`, its audio `direction` (`sendrecv`,
/// `sendonly`, …), with telephone-event if `events`.
fn sdp_version(rtp_port: u16, codec: Codec, events: bool, version: u32, direction: &str) -> String {
    let (pt, name, rate) = (
        codec.payload_type(),
        codec.encoding_name(),
        codec.clock_rate(),
    );
    let rtpmap = match codec {
        Codec::Opus => format!("a=rtpmap:{pt} {name}/{rate}/2\r\na=fmtp:{pt} useinbandfec=1\r\n"),
        _ => format!("a=rtpmap:{pt} {name}/{rate}\r\n"),
    };
    let (formats, event_lines) = if events {
        (
            format!("{pt} {TELEPHONE_EVENT}"),
            format!(
                "a=rtpmap:{TELEPHONE_EVENT} telephone-event/{rate}\r\na=fmtp:{TELEPHONE_EVENT} 0-16\r\n"
            ),
        )
    } else {
        (pt.to_string(), String::new())
    };
    format!(
        "v=0\r\no=- 1 {version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {rtp_port} RTP/AVP {formats}\r\n{rtpmap}{event_lines}\
         a=ptime:20\r\na={direction}\r\n"
    )
}

/// A phone waiting for one call on its own SIP port: a callee.
pub struct Listening {
    sip: UdpSocket,
    rtp: UdpSocket,
    rtcp: UdpSocket,
}

impl Default for Listening {
    fn default() -> Self {
        Listening::new()
    }
}

impl Listening {
    /// Binds the phone's SIP socket, and its RTP and RTCP sockets on an even
    /// port and the next, on free loopback ports.
    pub fn new() -> Listening {
        let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (rtp, rtcp) = (0..100)
            .find_map(|_| {
                let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
                let port = rtp.local_addr().unwrap().port();
                let rtcp = UdpSocket::bind(("127.0.0.1", port.checked_add(1)?));
                port.is_multiple_of(2).then_some((rtp, rtcp.ok()?))
            })
            .expect("a free pair of loopback ports");
        sip.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        for media in [&rtp, &rtcp] {
            media
                .set_read_timeout(Some(Duration::from_millis(5)))
                .unwrap();
        }
        Listening { sip, rtp, rtcp }
    }

    /// The SIP URI it is called at, with `user`.
    pub fn uri(&self, user: &str) -> String {
        format!("sip:{user}@{}", self.sip.local_addr().unwrap())
    }

    /// Waits up to `timeout` for an INVITE, which it leaves unanswered; true
    /// if one came (the phone was called).
    #[must_use = "whether the phone was called; assert it (or its absence)"]
    pub fn invited_within(&self, timeout: Duration) -> bool {
        receive(&self.sip, timeout, |m| m.starts_with("INVITE ")).is_some()
    }

    /// Waits up to `timeout` for an INVITE, rings (180) and answers it
    /// (200 with PCMU), and returns the phone with the call up once the
    /// ACK came. A retransmitted INVITE gets the 200 again. Panics if no
    /// INVITE or no ACK comes in time.
    pub fn answer(self, timeout: Duration) -> Phone {
        let (invite, server) = receive(&self.sip, timeout, |m| m.starts_with("INVITE "))
            .unwrap_or_else(|| panic!("no INVITE within {timeout:?}"));
        let tag = random_token("callee");
        let answer = |code: &str, body: &str| {
            let mut response = format!("SIP/2.0 {code}\r\n");
            for name in ["Via", "From", "Call-ID", "CSeq"] {
                let value =
                    header(&invite, name).unwrap_or_else(|| panic!("no {name} in:\n{invite}"));
                response.push_str(&format!("{name}: {value}\r\n"));
            }
            let to = header(&invite, "To").expect("a To header");
            let contact = self.uri("callee");
            response.push_str(&format!("To: {to};tag={tag}\r\nContact: <{contact}>\r\n"));
            if body.is_empty() {
                response.push_str("Content-Length: 0\r\n\r\n");
            } else {
                response.push_str(&format!(
                    "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                ));
            }
            response
        };
        let sdp = sdp_offer(self.rtp.local_addr().unwrap().port(), Codec::Pcmu);
        self.sip
            .send_to(answer("180 Ringing", "").as_bytes(), server)
            .unwrap();
        let ok = answer("200 OK", &sdp);
        self.sip.send_to(ok.as_bytes(), server).unwrap();
        let acked = (0..10).any(|_| {
            let got = receive(&self.sip, Duration::from_millis(500), |m| {
                m.starts_with("ACK ") || m.starts_with("INVITE ")
            });
            match got {
                Some((message, _)) if message.starts_with("ACK ") => true,
                _ => {
                    self.sip.send_to(ok.as_bytes(), server).unwrap();
                    false
                }
            }
        });
        assert!(acked, "no ACK to the 200 OK");
        let caller_tag = header(&invite, "From")
            .and_then(|from| from.split("tag=").nth(1))
            .and_then(|t| t.split(';').next())
            .unwrap_or("")
            .trim()
            .to_owned();
        Phone {
            server,
            user: "caller".to_owned(),
            call_id: header(&invite, "Call-ID").expect("a Call-ID").to_owned(),
            from_tag: tag,
            to_tag: caller_tag,
            remote_rtp: sdp_audio_address(&invite),
            cseq: 1,
            invite_branch: String::new(),
            invited_at: Instant::now(),
            answered_at: Some(Instant::now()),
            final_answer: invite,
            next_frame: AtomicU32::new(0),
            codec: Codec::Pcmu,
            events: true,
            sip: self.sip,
            rtp: self.rtp,
            rtcp: self.rtcp,
        }
    }
}

/// The first SIP message on `sip` that `wanted` takes within `timeout`, and
/// where it came from; others are dropped.
fn receive(
    sip: &UdpSocket,
    timeout: Duration,
    wanted: impl Fn(&str) -> bool,
) -> Option<(String, SocketAddr)> {
    let started = Instant::now();
    let mut buffer = [0u8; 8192];
    while started.elapsed() < timeout {
        let Ok((len, from)) = sip.recv_from(&mut buffer) else {
            continue;
        };
        let message = String::from_utf8_lossy(&buffer[..len]).into_owned();
        if wanted(&message) {
            return Some((message, from));
        }
    }
    None
}

/// The RTP address of the audio stream in a message's SDP body.
fn sdp_audio_address(message: &str) -> SocketAddr {
    let body = message.split("\r\n\r\n").nth(1).expect("a body");
    let ip = body
        .lines()
        .find_map(|l| l.strip_prefix("c=IN IP4 "))
        .expect("c= line")
        .trim();
    let port = body
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("m=audio line");
    format!("{ip}:{port}").parse().unwrap()
}
