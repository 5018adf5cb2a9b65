//! A minimal SIP phone over UDP (RFC 3261 UAC with hand-written messages) that
//! sends a tone as PCMU RTP and records what it hears.

use rtp_rs::{RtpPacketBuilder, RtpReader, Seq};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use switchyard_media::g711;

/// How long the phone waits for any one SIP answer.
const SIP_TIMEOUT: Duration = Duration::from_secs(10);

/// A phone with one call.
pub struct Phone {
    sip: UdpSocket,
    rtp: UdpSocket,
    server: SocketAddr,
    user: String,
    call_id: String,
    from_tag: String,
    to_tag: String,
    remote_rtp: SocketAddr,
    cseq: u32,
}

/// A SIP message as text.
fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
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
        let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
        let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
        sip.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        rtp.set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        let mut phone = Phone {
            server,
            user: user.to_owned(),
            call_id: random_token(&format!("{caller}-")),
            from_tag: random_token("t"),
            to_tag: String::new(),
            remote_rtp: server,
            cseq: 1,
            sip,
            rtp,
        };
        let sip_port = phone.sip.local_addr().unwrap().port();
        let rtp_port = phone.rtp.local_addr().unwrap().port();
        let sdp = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {rtp_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
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
            random_token("z9hG4bK"),
            phone.from_tag,
            phone.call_id,
            sdp.len()
        );
        phone.sip.send_to(invite.as_bytes(), server).unwrap();
        let answer = phone.await_final("INVITE");
        assert_eq!(
            status(&answer),
            Some(200),
            "the call was not answered:\n{answer}"
        );
        let to = header(&answer, "To").unwrap();
        phone.to_tag = to
            .split("tag=")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        phone.remote_rtp = sdp_audio_address(&answer);
        phone.send_in_dialog("ACK", 1);
        phone
    }

    /// Waits for the final response to our `method` request.
    fn await_final(&self, method: &str) -> String {
        let started = Instant::now();
        let mut buffer = [0u8; 8192];
        while started.elapsed() < SIP_TIMEOUT {
            let Ok((len, _)) = self.sip.recv_from(&mut buffer) else {
                continue;
            };
            let message = String::from_utf8_lossy(&buffer[..len]).into_owned();
            let for_us = header(&message, "CSeq").is_some_and(|c| c.ends_with(method));
            if for_us && status(&message).is_some_and(|code| code >= 200) {
                return message;
            }
        }
        panic!("no final response to {method} within {SIP_TIMEOUT:?}");
    }

    fn send_in_dialog(&self, method: &str, cseq: u32) {
        let sip_port = self.sip.local_addr().unwrap().port();
        let request = format!(
            "{method} sip:{}@{} SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:{sip_port};branch={};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:phone@127.0.0.1>;tag={}\r\n\
             To: <sip:{}@{}>;tag={}\r\n\
             Call-ID: {}\r\n\
             CSeq: {cseq} {method}\r\n\
             Content-Length: 0\r\n\r\n",
            self.user,
            self.server,
            random_token("z9hG4bK"),
            self.from_tag,
            self.user,
            self.server,
            self.to_tag,
            self.call_id
        );
        self.sip.send_to(request.as_bytes(), self.server).unwrap();
    }

    /// Sends `tone_hz` for `duration` as 20 ms PCMU packets on absolute
    /// deadlines, and returns what it heard meanwhile, decoded.
    pub fn talk(&self, tone_hz: f64, duration: Duration) -> Vec<i16> {
        let frames = (duration.as_millis() / 20) as usize;
        let ssrc = std::process::id() ^ self.rtp.local_addr().unwrap().port() as u32;
        let started = Instant::now();
        let mut heard = Vec::with_capacity(frames * 160);
        let mut buffer = [0u8; 2048];
        for frame in 0..frames {
            let pcm = super::audio::tone(tone_hz, 8000.0, frame * 160, 160);
            let mut payload = [0u8; 160];
            g711::encode_ulaw_slice(&pcm, &mut payload);
            let packet = RtpPacketBuilder::new()
                .payload_type(0)
                .ssrc(ssrc)
                .sequence(Seq::from(frame as u16))
                .timestamp((frame * 160) as u32)
                .marked(frame == 0)
                .payload(&payload)
                .build()
                .unwrap();
            self.rtp.send_to(&packet, self.remote_rtp).unwrap();
            let next = started + Duration::from_millis(20 * (frame as u64 + 1));
            while Instant::now() < next {
                if let Ok((len, _)) = self.rtp.recv_from(&mut buffer)
                    && let Ok(rtp) = RtpReader::new(&buffer[..len])
                    && rtp.payload_type() == 0
                {
                    let mut decoded = vec![0i16; rtp.payload().len()];
                    g711::decode_ulaw_slice(rtp.payload(), &mut decoded);
                    heard.extend_from_slice(&decoded);
                }
            }
        }
        heard
    }

    /// Sends BYE and waits for its 200.
    pub fn hang_up(mut self) {
        self.cseq += 1;
        self.send_in_dialog("BYE", self.cseq);
        let answer = self.await_final("BYE");
        assert_eq!(status(&answer), Some(200), "BYE not accepted:\n{answer}");
    }

    /// Waits up to `timeout` for the server's BYE, answers it 200, and returns true if it came.
    pub fn await_bye(&self, timeout: Duration) -> bool {
        let started = Instant::now();
        let mut buffer = [0u8; 8192];
        while started.elapsed() < timeout {
            let Ok((len, from)) = self.sip.recv_from(&mut buffer) else {
                continue;
            };
            let message = String::from_utf8_lossy(&buffer[..len]).into_owned();
            if !message.starts_with("BYE ") {
                continue;
            }
            let mut ok = String::from("SIP/2.0 200 OK\r\n");
            for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
                for line in message.lines().filter(|l| {
                    l.split_once(':')
                        .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
                }) {
                    ok.push_str(line);
                    ok.push_str("\r\n");
                }
            }
            ok.push_str("Content-Length: 0\r\n\r\n");
            self.sip.send_to(ok.as_bytes(), from).unwrap();
            return true;
        }
        false
    }
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
