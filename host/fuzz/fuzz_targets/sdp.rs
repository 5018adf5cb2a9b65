//! An SDP offer: parsed, negotiated against what the media core supports, answered.
//!
//! The answer to an offer the host accepts must itself be an SDP body that parses and
//! negotiates to the same codec, at the address and payload types it names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_media::SUPPORTED_ENCODINGS;
use switchyard_sip::sdp::{self, Offer};

fuzz_target!(|data: &[u8]| {
    let Ok(offer) = Offer::parse(data) else {
        return;
    };
    let Ok(negotiated) = sdp::negotiate(&offer, SUPPORTED_ENCODINGS) else {
        return;
    };
    for format in &negotiated.remote.formats {
        if format.encoding.eq_ignore_ascii_case("opus")
            && let Some(fmtp) = &format.fmtp
        {
            let _ = sdp::opus_fmtp(fmtp);
        }
    }
    let local = "127.0.0.1:10000".parse().unwrap();
    let answer = sdp::answer(&negotiated, local, 1);
    let reparsed = Offer::parse(answer.as_bytes())
        .unwrap_or_else(|e| panic!("our answer does not parse ({e}):\n{answer}"));
    assert_eq!(
        reparsed.sole_stream().map(|stream| stream.connection),
        Some(local),
        "{answer}"
    );
    let again = sdp::negotiate(&reparsed, SUPPORTED_ENCODINGS)
        .unwrap_or_else(|e| panic!("our answer does not negotiate ({e}):\n{answer}"));
    assert_eq!(
        again.audio.payload_type, negotiated.audio.payload_type,
        "{answer}"
    );
    assert!(
        again
            .audio
            .encoding
            .eq_ignore_ascii_case(&negotiated.audio.encoding),
        "{answer}"
    );
    assert_eq!(
        again.telephone_event, negotiated.telephone_event,
        "{answer}"
    );
});
