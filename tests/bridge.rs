//! A two-party bridge, end to end through the real binary: the `misbehave`
//! guest bridges the second call to `bridge` with the first, and their audio is
//! relayed leg to leg without the mixer.

mod support;

use std::time::Duration;
use support::audio::power;
use support::phone::Phone;
use support::server::{Server, misbehave_config};
use support::xmlrpc::stats;

/// The tones the two callers send.
const TONES: [f64; 2] = [600.0, 1100.0];
/// How long both talk.
const TALK: Duration = Duration::from_secs(3);
/// The analysed tail of what each caller heard: the last 1.5 s.
const TAIL_SAMPLES: usize = 12_000;
/// Frames relayed while both talk: 2 × 150 are sent; at least this many must
/// be relayed.
const MIN_RELAYED: i64 = 100;

#[test]
fn bridged_callers_hear_each_other_through_the_relay() {
    let server = Server::start_with(&misbehave_config());
    let first = Phone::call(server.sip, "bridge", "first", &[]);
    let second = Phone::call(server.sip, "bridge", "second", &[]);
    let before = stats(&server);
    assert_eq!(
        before.get("rooms"),
        0,
        "expected no room in a bridge test: {before:?}"
    );
    let heard: Vec<Vec<i16>> = std::thread::scope(|scope| {
        let talkers: Vec<_> = [&first, &second]
            .into_iter()
            .zip(TONES)
            .map(|(phone, tone)| scope.spawn(move || phone.talk(tone, TALK)))
            .collect();
        talkers.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let after = stats(&server);
    for (index, samples) in heard.iter().enumerate() {
        assert!(
            samples.len() > TAIL_SAMPLES,
            "expected caller {index} to hear more than {TAIL_SAMPLES} samples, heard {}",
            samples.len()
        );
        let tail = &samples[samples.len() - TAIL_SAMPLES..];
        let own = power(tail, TONES[index]);
        let theirs = power(tail, TONES[1 - index]);
        eprintln!(
            "caller {index} hears {} Hz: {theirs:.2e}, {} Hz (own): {own:.2e}",
            TONES[1 - index],
            TONES[index]
        );
        assert!(
            theirs > 0.01,
            "expected caller {index} to hear the other's {} Hz above 0.01, got {theirs}",
            TONES[1 - index]
        );
        assert!(
            theirs > own * 1000.0,
            "expected caller {index}'s own tone 1000x weaker than the other's: own {own}, other {theirs}"
        );
    }
    let relayed = after.get("relayed_frames") - before.get("relayed_frames");
    let encodes = after.get("encodes") - before.get("encodes");
    eprintln!("while talking: {relayed} frames relayed, {encodes} mixer encodes");
    assert!(
        relayed >= MIN_RELAYED,
        "expected at least {MIN_RELAYED} frames relayed while both talked, got {relayed}"
    );
    assert_eq!(
        encodes, 0,
        "expected no mixer encodes for a bridge (before {before:?}, after {after:?})"
    );
    let transcodes = after.get("bridged_transcodes") - before.get("bridged_transcodes");
    assert_eq!(
        transcodes, 0,
        "expected no transcoding between two PCMU legs, got {transcodes} transcodes"
    );
    first.hang_up();
    second.hang_up();
}
