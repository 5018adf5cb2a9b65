//! Packet times other than the 20 ms tick, and re-negotiated codecs and addresses, on virtual
//! time.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use rtp_rs::RtpReader;
use switchyard_media::{
    Codec, Encoder, FRAME_LEN, LegId, LegParams, MediaTransmit, PACKET_TIME, PlayId, Prompt, Worker,
};

const A: LegId = LegId(1);
const B: LegId = LegId(2);
const LEAD: Duration = Duration::from_millis(1);

fn with_ptime(codec: Codec, leg: LegId, ptime_ms: u32) -> LegParams {
    LegParams {
        ptime_ms,
        ..params(codec, 5000 + leg.0 as u16)
    }
}

/// A worker with leg A alone at `ptime_ms`, playing a 1 s tone.
fn alone_at(ptime_ms: u32) -> (Worker, Vec<i16>) {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 7);
    worker.add_leg(start, A, with_ptime(Codec::Pcmu, A, ptime_ms));
    let prompt = tone(440.0, 5000.0, 0, 8000);
    worker.play(
        A,
        vec![Arc::new(Prompt::from_pcm(prompt.clone()))],
        false,
        PlayId(1),
    );
    (worker, prompt)
}

/// What each of `ticks` ticks sent A.
fn run(worker: &mut Worker, ticks: usize) -> Vec<Vec<MediaTransmit>> {
    (0..ticks)
        .map(|_| sent_by(&tick(worker), A).into_iter().cloned().collect())
        .collect()
}

/// Checks that `packets` form one stream: payloads of `samples` bytes, sequence numbers +1,
/// timestamps +`samples`, the marker on the first only; returns their payloads joined.
fn one_stream(packets: &[&MediaTransmit], samples: usize) -> Vec<u8> {
    let (seq0, ts0, ssrc0, marker0) = header(packets[0]);
    assert!(marker0);
    let mut joined = Vec::new();
    for (i, packet) in packets.iter().enumerate() {
        let i = i as u16;
        let expected = (
            seq0.wrapping_add(i),
            ts0.wrapping_add(u32::from(i) * samples as u32),
            ssrc0,
            i == 0,
        );
        assert_eq!(header(packet), expected, "packet {i}");
        assert_eq!(rtp_payload(&packet.payload).len(), samples);
        joined.extend_from_slice(rtp_payload(&packet.payload));
    }
    joined
}

fn ulaw(pcm: &[i16]) -> Vec<u8> {
    let mut bytes = Vec::new();
    Encoder::new(Codec::Pcmu).encode(pcm, &mut bytes);
    bytes
}

#[test]
fn ptime_40_sends_every_other_tick() {
    let (mut worker, prompt) = alone_at(40);
    let ticks = run(&mut worker, 20);
    let counts: Vec<usize> = ticks.iter().map(Vec::len).collect();
    assert_eq!(counts, [0, 1].repeat(10));
    let packets: Vec<_> = ticks.iter().flatten().collect();
    let joined = one_stream(&packets, 320);
    assert_eq!(
        joined,
        ulaw(&prompt[..20 * FRAME_LEN]),
        "the prompt, in order"
    );
}

/// When, after the worker's start, each packet A got over `ticks` ticks left, following the
/// worker's own deadlines (half ticks included); and the packets.
fn departures(worker: &mut Worker, start: Instant, ticks: usize) -> (Vec<u64>, Vec<MediaTransmit>) {
    let end = start + PACKET_TIME * ticks as u32;
    let (mut times, mut packets) = (Vec::new(), Vec::new());
    while let Some(now) = worker.poll_timeout().filter(|&now| now <= end) {
        worker.handle_timeout(now);
        for packet in sent_by(&drain(worker), A) {
            times.push((now - start).as_millis() as u64);
            packets.push(packet.clone());
        }
    }
    (times, packets)
}

#[test]
fn ptime_30_sends_a_packet_every_30_ms() {
    let (mut worker, prompt) = alone_at(30);
    let start = worker.next_tick() - PACKET_TIME;
    let (times, packets) = departures(&mut worker, start, 18);
    // The first goes once its 240th sample is made (the 2nd tick), then one every 30 ms: the
    // next one's audio is there at the 3rd tick and waits half of it.
    let every_30_ms: Vec<u64> = (0..11).map(|k| 40 + 30 * k).collect();
    assert_eq!(times, every_30_ms);
    let joined = one_stream(&packets.iter().collect::<Vec<_>>(), 240);
    assert_eq!(joined, ulaw(&prompt[..joined.len()]));
}

#[test]
fn ptime_10_sends_a_packet_every_10_ms() {
    let (mut worker, prompt) = alone_at(10);
    let start = worker.next_tick() - PACKET_TIME;
    let (times, packets) = departures(&mut worker, start, 10);
    let every_10_ms: Vec<u64> = (0..19).map(|k| 20 + 10 * k).collect();
    assert_eq!(times, every_10_ms);
    let joined = one_stream(&packets.iter().collect::<Vec<_>>(), 80);
    assert_eq!(joined, ulaw(&prompt[..joined.len()]));
}

#[test]
fn a_packet_waiting_half_a_tick_goes_before_its_leg_s_last_report() {
    let (mut worker, _) = alone_at(10);
    let now = worker.next_tick();
    worker.handle_timeout(now);
    let sent = drain(&mut worker);
    let goodbye = worker.remove_leg(now, A).expect("a last report");
    let after = drain(&mut worker);
    assert_eq!(
        (sent.len(), after.len()),
        (1, 1),
        "the second half goes at the removal"
    );
    let seq = |t: &MediaTransmit| header(t).0;
    assert_eq!(seq(&after[0]), seq(&sent[0]).wrapping_add(1));
    assert!(is_rtcp(&goodbye));
    assert_eq!(
        worker.poll_timeout(),
        Some(worker.next_tick()),
        "nothing waits"
    );
}

#[test]
fn a_new_codec_sends_the_packet_waiting_half_a_tick_first() {
    for (codec, restarts) in [(Codec::Pcma, false), (Codec::Opus, true)] {
        let (mut worker, _) = alone_at(30);
        // The 3rd tick's packet waits half a tick when the peer re-negotiates.
        let mut sent: Vec<_> = (0..3).flat_map(|_| tick(&mut worker)).collect();
        assert_eq!(sent.len(), 1);
        let now = worker.next_tick() - PACKET_TIME;
        worker.update_leg(now, A, with_ptime(codec, A, 30));
        let flushed = drain_all(&mut worker);
        let kinds: Vec<bool> = flushed.iter().map(is_rtcp).collect();
        // The waiting packet goes at once; then, for a new stream, the old one's report and
        // BYE (RFC 3550 §6.1: nothing of a stream after its BYE).
        let expected = [&[false][..], &[false, true][..]][usize::from(restarts)];
        assert_eq!(kinds, expected, "{codec:?}");
        sent.extend(flushed.into_iter().filter(|t| !is_rtcp(t)));
        let numbers: Vec<u16> = sent.iter().map(|t| header(t).0).collect();
        let first = numbers[0];
        let in_order: Vec<u16> = (0..numbers.len() as u16)
            .map(|i| first.wrapping_add(i))
            .collect();
        assert_eq!(numbers, in_order, "{codec:?}");
    }
}

#[test]
fn unsupported_ptimes_are_served_as_the_nearest_supported() {
    for (asked, served) in [(0, 80), (25, 240), (1000, 1600)] {
        let (mut worker, _) = alone_at(asked);
        let packets: Vec<_> = run(&mut worker, 10).into_iter().flatten().collect();
        assert_eq!(
            rtp_payload(&packets[0].payload).len(),
            served,
            "ptime {asked}"
        );
    }
}

#[test]
fn a_codec_change_flushes_the_old_payload_and_carries_the_stream_on() {
    let (mut worker, prompt) = alone_at(40);
    let first: Vec<_> = run(&mut worker, 3).into_iter().flatten().collect();
    // Half a packet (tick 3's frame) is gathered when PCMA is negotiated.
    let now = worker.next_tick();
    worker.update_leg(now, A, with_ptime(Codec::Pcma, A, 40));
    let flushed = drain(&mut worker);
    assert_eq!(flushed.len(), 1, "the gathered half goes out at once");
    assert_eq!(rtp_payload(&flushed[0].payload), ulaw(&prompt[320..480]));
    let after: Vec<_> = run(&mut worker, 4).into_iter().flatten().collect();
    let (seq0, ts0, ssrc0, _) = header(&first[0]);
    let stream: Vec<_> = first.iter().chain(&flushed).chain(&after).collect();
    let types: Vec<u8> = stream
        .iter()
        .map(|t| RtpReader::new(&t.payload).unwrap().payload_type())
        .collect();
    assert_eq!(types, [0, 0, 8, 8]);
    let headers: Vec<_> = stream.iter().map(|t| header(t)).collect();
    assert_eq!(
        headers,
        [
            (seq0, ts0, ssrc0, true),
            (seq0.wrapping_add(1), ts0.wrapping_add(320), ssrc0, false),
            (seq0.wrapping_add(2), ts0.wrapping_add(480), ssrc0, false),
            (seq0.wrapping_add(3), ts0.wrapping_add(800), ssrc0, false),
        ]
    );
    let mut alaw = Vec::new();
    Encoder::new(Codec::Pcma).encode(&prompt[480..800], &mut alaw);
    assert_eq!(rtp_payload(&after[0].payload), alaw, "PCMA from then on");
}

#[test]
fn a_new_remote_address_takes_effect_at_the_next_packet() {
    let (mut worker, _) = alone_at(20);
    let before = run(&mut worker, 2);
    let moved = SocketAddr::from(([192, 0, 2, 7], 40_000));
    let now = worker.next_tick();
    let params = LegParams {
        remote: moved,
        ..with_ptime(Codec::Pcmu, A, 20)
    };
    worker.update_leg(now, A, params);
    let after = run(&mut worker, 2);
    assert!(
        before
            .iter()
            .flatten()
            .all(|t| t.destination.port() == 5001)
    );
    assert!(after.iter().flatten().all(|t| t.destination == moved));
    let (seq0, _, ssrc0, _) = header(&before[1][0]);
    let (seq1, _, ssrc1, _) = header(&after[0][0]);
    assert_eq!((seq1, ssrc1), (seq0.wrapping_add(1), ssrc0));
}

#[test]
fn a_bridge_relays_each_way_at_the_listener_s_ptime() {
    let mut worker = worker_at(Instant::now(), 7, &[]);
    let now = worker.next_tick();
    worker.add_leg(now, A, with_ptime(Codec::Pcmu, A, 10));
    worker.add_leg(now, B, with_ptime(Codec::Pcmu, B, 40));
    worker.bridge(A, B);
    // Both peers send 20 ms packets just before a tick; on a clean network each is relayed at
    // that tick.
    let mut peer_a = TonePeer::new(A, Codec::Pcmu, 1010.0);
    let mut peer_b = TonePeer::new(B, Codec::Pcmu, 730.0);
    let (mut said_a, mut said_b, mut to_a, mut to_b) = (vec![], vec![], vec![], vec![]);
    for _ in 0..40 {
        said_a.extend_from_slice(rtp_payload(&peer_a.send(&mut worker, LEAD)));
        said_b.extend_from_slice(rtp_payload(&peer_b.send(&mut worker, LEAD)));
        let out = tick(&mut worker);
        to_a.extend(sent_by(&out, A).into_iter().cloned());
        to_b.extend(sent_by(&out, B).into_iter().cloned());
    }
    let heard_a = one_stream(&to_a.iter().collect::<Vec<_>>(), 80);
    let heard_b = one_stream(&to_b.iter().collect::<Vec<_>>(), 320);
    assert_eq!(heard_a, said_b[..heard_a.len()]);
    assert_eq!(heard_b, said_a[..heard_b.len()]);
    let stats = worker.stats();
    assert_eq!(stats.relayed_frames, 2 * 40, "relayed, not transcoded");
    assert_eq!(stats.bridged_transcodes, 0);
}

#[test]
fn gathered_payload_carries_over_a_handover() {
    let t0 = Instant::now();
    let mut from = Worker::new(Default::default(), t0, 1);
    let mut to = worker_at(t0 + Duration::from_millis(7), 2, &[]);
    from.add_leg(t0, A, with_ptime(Codec::Pcmu, A, 40));
    from.play(
        A,
        vec![Arc::new(Prompt::from_pcm(tone(440.0, 5000.0, 0, 8000)))],
        false,
        PlayId(1),
    );
    let mut sent = run(&mut from, 3);
    // The new worker has run up to the handover too: next tick at 67 ms, the old one's at 60.
    for _ in 0..3 {
        tick(&mut to);
    }
    to.attach(A, from.detach(A).unwrap());
    sent.extend(run(&mut to, 3));
    let counts: Vec<usize> = sent.iter().map(Vec::len).collect();
    assert_eq!(
        counts,
        [0, 1, 0, 1, 0, 1],
        "every other tick, across workers"
    );
    let packets: Vec<_> = sent.iter().flatten().collect();
    one_stream(&packets, 320);
}

/// What A (at ptime 20) gets over 30 ticks in a bridge with B, whose peer sends a tone in
/// packets of `ptime_ms` (each as soon as the tick time reaches its first sample), and what
/// that peer said.
fn relayed_from_packets_of(ptime_ms: usize) -> (Vec<u8>, Vec<u8>, Worker) {
    let mut worker = worker_at(Instant::now(), 7, &[(A, Codec::Pcmu), (B, Codec::Pcmu)]);
    worker.bridge(A, B);
    let samples = ptime_ms * 8;
    let (mut said, mut heard) = (Vec::new(), Vec::new());
    for k in 0..30 {
        let due = worker.next_tick();
        while said.len() <= k * FRAME_LEN {
            let n = said.len() / samples;
            let payload = ulaw(&tone(730.0, 6000.0, said.len(), samples));
            let packet = rtp(0, n as u16, said.len() as u32, 0xB0B, n == 0, &payload);
            worker.handle_rtp(due - LEAD, B, sdp_addr(B), &packet);
            said.extend(payload);
        }
        let out = tick(&mut worker);
        heard.extend_from_slice(rtp_payload(&sent_by(&out, A)[0].payload));
    }
    (said, heard, worker)
}

#[test]
fn packets_of_other_ptimes_are_received_as_20_ms_frames_and_relayed() {
    for ptime_ms in [10, 30, 40, 60] {
        let (said, heard, worker) = relayed_from_packets_of(ptime_ms);
        // Playout starts at the tick after the first packet, or one later when packets end
        // part-way through a tick (10 and 30 ms): the first frame waits for its second part.
        let delay_ticks = if ptime_ms % 20 == 0 { 0 } else { 1 };
        let delay = delay_ticks * FRAME_LEN;
        assert_eq!(
            heard[delay..],
            said[..heard.len() - delay],
            "ptime {ptime_ms}: every byte, in order"
        );
        let stats = worker.stats();
        assert_eq!(
            stats.relayed_frames,
            30 - delay_ticks as u64,
            "ptime {ptime_ms}"
        );
        assert_eq!(
            stats.jitter.underruns + stats.jitter.lost,
            0,
            "ptime {ptime_ms}"
        );
    }
}

#[test]
fn ptime_60_sends_every_third_tick() {
    let (mut worker, prompt) = alone_at(60);
    let ticks = run(&mut worker, 18);
    let counts: Vec<usize> = ticks.iter().map(Vec::len).collect();
    assert_eq!(counts, [0, 0, 1].repeat(6));
    let packets: Vec<_> = ticks.iter().flatten().collect();
    let joined = one_stream(&packets, 480);
    assert_eq!(joined, ulaw(&prompt[..18 * FRAME_LEN]));
}

/// A room of an Opus talker (A) sending a 1 kHz tone in packets of `ptime_ms` and a PCMU
/// listener (B, at `listener_ptime` ms): what B heard, and the worker.
fn opus_talker_at(ptime_ms: usize, listener: (Codec, u32)) -> (Vec<i16>, Worker) {
    let start = Instant::now();
    let mut worker = Worker::new(Default::default(), start, 5);
    worker.add_leg(start, A, with_ptime(Codec::Opus, A, 20));
    worker.add_leg(start, B, with_ptime(listener.0, B, listener.1));
    for leg in [A, B] {
        worker.join(leg, switchyard_media::RoomId("r".into()));
    }
    let mut encoder = Encoder::new(Codec::Opus);
    let per_packet = 48 * ptime_ms;
    let mut heard = Listener::new(B, listener.0);
    let (mut sent_samples, mut sequence) = (0, 0u16);
    for tick_index in 0..150 {
        // Every packet whose last sample is due by this tick's end goes before it.
        while sent_samples + per_packet <= (tick_index + 1) * 960 {
            let pcm = tone_at(48_000, 1000.0, 6000.0, sent_samples, per_packet);
            let mut payload = Vec::new();
            encoder.encode(&pcm, &mut payload);
            let packet = rtp(
                111,
                sequence,
                sent_samples as u32,
                0xA,
                sequence == 0,
                &payload,
            );
            let now = worker.next_tick() - LEAD;
            worker.handle_rtp(now, A, sdp_addr(A), &packet);
            sent_samples += per_packet;
            sequence += 1;
        }
        heard.take(&tick(&mut worker));
    }
    (heard.heard, worker)
}

#[test]
fn opus_packets_of_10_to_60_ms_are_heard_whole() {
    for ptime in [10, 40, 60] {
        let (heard, worker) = opus_talker_at(ptime, (Codec::Pcmu, 20));
        let stats = worker.stats().jitter;
        assert_eq!((stats.lost, stats.late), (0, 0), "ptime {ptime}: {stats:?}");
        // Past start-up, every 20 ms carries the tone at its level: no frame missing, none
        // repeated or cut short.
        for (i, level) in frame_levels(&heard, 1000.0, 8000)
            .iter()
            .enumerate()
            .skip(10)
        {
            assert!(
                (4500.0..7500.0).contains(level),
                "ptime {ptime}, frame {i}: {level}"
            );
        }
    }
}

#[test]
fn an_opus_listener_asking_for_40_ms_gets_two_frames_per_packet() {
    let (heard, mut worker) = opus_talker_at(20, (Codec::Opus, 40));
    let packets: Vec<MediaTransmit> = (0..10)
        .flat_map(|_| {
            sent_by(&tick(&mut worker), B)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(packets.len(), 5, "one packet every other tick");
    for pair in packets.windows(2) {
        let [a, b] = [&pair[0], &pair[1]].map(|t| RtpReader::new(&t.payload).unwrap());
        assert_eq!(b.timestamp().wrapping_sub(a.timestamp()), 1920);
        assert_eq!(b.sequence_number() - a.sequence_number(), 1);
    }
    for (i, level) in frame_levels(&heard, 1000.0, 48_000)
        .iter()
        .enumerate()
        .skip(10)
    {
        assert!((4500.0..7500.0).contains(level), "frame {i}: {level}");
    }
}
