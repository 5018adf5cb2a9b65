#!/usr/bin/env python3
"""Latency benchmark: one way through the server, caller to caller, on loopback.

Starts the release binary (as calls.py does), dials two callers into room 123
with a minimal SIP UAC of its own, and has both send 20 ms PCMU packets on
absolute deadlines: silence, and from caller A --bursts tone bursts of 400 ms,
1.2 s apart. For each burst it measures the time from the first tone packet's
due time at A to B receiving the first packet that carries it (energy above
silence), and prints every figure and the median. A burst B has not heard by
the time A sends the burst's last packet (due 380 ms after its first) is not
measured, and a run with any such burst fails: the script prints what was
heard and exits 1 rather than give a median of the bursts that came through.
With --jitter-ms, A's packets leave up to that much after their due time
(uniformly), as over a jittery network, and that delay counts in the figure.

Usage: benches/load/latency.py [--bursts 7] [--jitter-ms 0] [--runs 3]
       [--binary target/release/switchyard]
Build first: cargo build --release
"""

import argparse
import math
import os
import random
import re
import select
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import WorkDir, exit_on_sigterm, start_server, stop_process  # noqa: E402

FRAME = 160
SILENCE = bytes([0xFF]) * FRAME
SIP_TIMEOUT_S = 10


def ulaw(sample):
    """G.711 mu-law encoding of one 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


TONE = [bytes(ulaw(int(8000 * math.sin(2 * math.pi * 1000 * (i * FRAME + n) / 8000)))
              for n in range(FRAME)) for i in range(8)]


class Caller:
    """A UAC with one call into room 123 and its RTP socket."""

    def __init__(self, name, server_sip):
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind(("127.0.0.1", 0))
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.server = ("127.0.0.1", server_sip)
        self.name = name
        self.seq = random.randrange(1 << 16)
        self.ts = random.randrange(1 << 32)
        self.ssrc = random.randrange(1 << 32)
        self.call_id = f"latency-{name}-{os.getpid()}"
        self.remote = self.invite()

    def request(self, method, cseq, to_tag="", body=""):
        port = self.sip.getsockname()[1]
        content = "Content-Type: application/sdp\r\n" if body else ""
        return (f"{method} sip:000777123@127.0.0.1:{self.server[1]} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{method}{cseq}{self.name}\r\n"
                f"From: <sip:{self.name}@127.0.0.1>;tag=t{self.name}\r\n"
                f"To: <sip:000777123@127.0.0.1>{to_tag}\r\nCall-ID: {self.call_id}\r\n"
                f"CSeq: {cseq} {method}\r\nContact: <sip:{self.name}@127.0.0.1:{port}>\r\n"
                f"Max-Forwards: 70\r\n{content}Content-Length: {len(body)}\r\n\r\n{body}")

    def invite(self):
        rtp_port = self.rtp.getsockname()[1]
        sdp = (f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        self.sip.sendto(self.request("INVITE", 1, body=sdp).encode(), self.server)
        self.sip.settimeout(SIP_TIMEOUT_S)
        while True:
            answer = self.sip.recv(65535).decode(errors="replace")
            if answer.startswith("SIP/2.0 200"):
                break
            if not answer.startswith("SIP/2.0 1"):
                sys.exit(f"{self.name}: the INVITE was refused:\n{answer}")
        self.to_tag = ";tag=" + re.search(r"^To:.*;tag=([^;\r\n]+)", answer, re.M | re.I).group(1)
        self.sip.sendto(self.request("ACK", 1, self.to_tag).encode(), self.server)
        port = int(re.search(r"^m=audio (\d+)", answer, re.M).group(1))
        return ("127.0.0.1", port)

    def send(self, payload):
        header = bytes([0x80, 0]) + self.seq.to_bytes(2, "big") + self.ts.to_bytes(4, "big") \
            + self.ssrc.to_bytes(4, "big")
        self.rtp.sendto(header + payload, self.remote)
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + FRAME) & 0xFFFFFFFF

    def hang_up(self):
        self.sip.sendto(self.request("BYE", 2, self.to_tag).encode(), self.server)


def loud(packet):
    """Whether an RTP PCMU packet carries sound: mu-law codes near 0xFF/0x7F are silence."""
    payload = packet[12:]
    return sum(1 for code in payload if (code & 0x7F) < 0x60) > len(payload) // 4


def measure(sip_port, bursts, jitter_ms):
    """Every burst's one-way time in ms, in order; None for a burst not heard
    before its last packet was sent."""
    a, b = Caller("a", sip_port), Caller("b", sip_port)
    period = 0.02
    start = time.perf_counter() + 0.5
    burst_frames, gap_frames = 20, 60
    total = (burst_frames + gap_frames) * bursts + 100
    onsets = []
    tone_started = None
    heard_since = None
    b.rtp.setblocking(False)
    for frame in range(total):
        deadline = start + frame * period
        position = (frame - 100) % (burst_frames + gap_frames) if frame >= 100 else None
        in_burst = position is not None and position < burst_frames
        delay = random.uniform(0, jitter_ms / 1000) if jitter_ms else 0
        send_at = deadline + delay
        while True:
            now = time.perf_counter()
            wait = send_at - now
            if wait <= 0:
                break
            ready, _, _ = select.select([b.rtp], [], [], wait)
            if ready:
                packet = b.rtp.recv(2048)
                if tone_started is not None and heard_since is None and loud(packet):
                    heard_since = time.perf_counter() - tone_started
        a.send(TONE[frame % len(TONE)] if in_burst else SILENCE)
        if in_burst and position == 0:
            # From when the audio was due to leave, so network jitter counts too.
            tone_started = deadline
            heard_since = None
        if position == burst_frames - 1 and tone_started is not None:
            onsets.append(heard_since * 1000 if heard_since is not None else None)
            tone_started = None
        b.send(SILENCE)
    a.hang_up()
    b.hang_up()
    return onsets


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=7)
    parser.add_argument("--jitter-ms", type=float, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", default="target/release/switchyard")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.bursts < 1:
        sys.exit("--bursts must be at least 1")
    medians = []
    for run in range(1, args.runs + 1):
        with WorkDir("switchyard-latency-") as workdir:
            server, sip, _control = start_server(args.binary, workdir.path, "")
            try:
                onsets = measure(sip, args.bursts, args.jitter_ms)
            finally:
                stop_process(server)
            shown = ", ".join("not heard" if o is None else f"{o:.1f}" for o in onsets)
            heard = [o for o in onsets if o is not None]
            if len(heard) < len(onsets):
                sys.exit(f"run {run}: heard {len(heard)} of {len(onsets)} bursts (one-way ms "
                         f"per burst: {shown}); no median of a run with bursts unheard")
        medians.append(statistics.median(onsets))
        print(f"run {run}: one-way ms per burst: {shown}; median {medians[-1]:.1f}")
    print(f"median of {args.runs} runs: {statistics.median(medians):.1f} ms one way"
          f" (jitter {args.jitter_ms:g} ms)")


if __name__ == "__main__":
    main()
