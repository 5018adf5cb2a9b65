//! The SDP offer the test UAC sends.

use std::net::{IpAddr, SocketAddr};

/// An SDP offer of one audio stream receiving RTP at `rtp`: PCMU/8000 (payload type 0) and
/// telephone-event/8000 (payload type 101, events 0-15), send and receive.
pub fn audio_offer(rtp: SocketAddr) -> String {
    let (family, ip) = match rtp.ip() {
        IpAddr::V4(ip) => ("IP4", ip.to_string()),
        IpAddr::V6(ip) => ("IP6", ip.to_string()),
    };
    let port = rtp.port();
    format!(
        "v=0\r\no=user1 53655765 2353687637 IN {family} {ip}\r\ns=-\r\nc=IN {family} {ip}\r\n\
         t=0 0\r\nm=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::Offer;
    use crate::testing::addr;

    #[test]
    fn offers_pcmu_and_telephone_event_at_the_given_address() {
        for rtp in ["192.0.2.9:7000", "[2001:db8::9]:7002"] {
            let offer = Offer::parse(audio_offer(addr(rtp)).as_bytes()).unwrap();
            let stream = offer.sole_stream().unwrap();
            assert_eq!(stream.connection, addr(rtp));
            let formats: Vec<_> = stream
                .formats
                .iter()
                .map(|f| (f.payload_type, f.encoding.as_str(), f.clock_rate))
                .collect();
            assert_eq!(formats, [(0, "PCMU", 8000), (101, "telephone-event", 8000)]);
        }
    }
}
