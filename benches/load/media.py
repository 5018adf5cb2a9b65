#!/usr/bin/env python3
"""Media load benchmark: thousands of G.711 or Opus participants in rooms of 10, on loopback.

Each run starts the release binary with a generated config (free ports, an RTP
port range and instance limit for the load, session timers and RTP timeouts out
of the way), and runs the rtpload generator against it: one SIP call per
participant into rooms of 10 (Request-URI 000777<room>), then 20 ms frames of
--codec from every participant: PCMU (the default) or, with --codec opus, Opus
at 48 kHz (payload type 111, in-band FEC asked for; the generator stops if the
server answers another codec). Two talkers per room send a tone, the others
digital silence, as phones without VAD/DTX do, for --warmup seconds and
--duration more. Over the measured interval it samples the server's CPU
(utime+stime) and, at its end, its RSS, and reports per run and as medians over
the runs, per size:

  - server CPU in microseconds per participant-second, and per participant-second
    actually delivered (50 packets received; the same unless the server skipped ticks),
  - packets received more than 20 ms behind their stream's schedule (%),
  - RSS per participant: (RSS - RSS before any call) / participants, and the
    same of PSS, which counts a page mapped many times once (the guest's
    copy-on-write image is mapped once per call's instance),
  - packets lost (sequence gaps) and missing (fewer than 50/s per participant),
  - audio gaps: the longest time a participant went without a packet, and how
    many times that was more than 60 ms,
  - the server's own view: its media ticks run more than 20 ms late (%),
  - the generator's own CPU per participant-second, the server's CPU as a
    multiple of it (the generator moves the same packets with no audio work, so
    the ratio holds while the shared machine's speed changes), and its send
    slots (5 ms each) that went out more than a slot late (%): when that is not
    near 0, the generator did not get the CPU it needs and the run says little,
  - with --syscalls (needs `perf`), the server's system calls per RTP packet it
    received or sent over the measured interval.

Usage: benches/load/media.py [--participants 500,1000,2000,4000] [--runs 3]
       [--warmup 10] [--duration 30] [--codec pcmu|opus]
       [--binary target/release/switchyard] [--generator target/release/rtpload]
       [--syscalls]
Build first: cargo build --release -p switchyard -p rtpload
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (SETUP_RATE, Generator, control, cpu_seconds, pss_kb,  # noqa: E402
                     rss_kb, start_media_server)

MAX_PARTICIPANTS = 9000


def start_syscall_count(pid):
    """`perf stat` counting every system call of `pid`'s threads from now on."""
    return subprocess.Popen(
        ["perf", "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p", str(pid)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stop_syscall_count(counter):
    """The system calls `counter` counted, once stopped; None if it counted none."""
    counter.send_signal(2)
    _, err = counter.communicate(timeout=30)
    for line in err.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2] == "raw_syscalls:sys_enter":
            return int(fields[0])
    print(f"perf stat counted nothing: {err.strip()}", file=sys.stderr)
    return None


def syscalls_text(per_packet):
    """A run's system calls per packet, in words."""
    if per_packet is None:
        return "system calls not counted (--syscalls counts them)"
    return f"{per_packet:.3f} system calls per packet"


def run_once(args, participants, number):
    workdir = tempfile.mkdtemp(prefix="switchyard-media-")
    server, sip, control_port, idle_kb = start_media_server(args.binary, workdir, participants)
    idle_pss_kb = pss_kb(server.pid)
    stats = control(control_port).stats
    marks = {}
    syscalls = {}

    def on_line(generator, line):
        if line.startswith("measure "):
            marks[line] = (time.monotonic(), cpu_seconds(server.pid),
                           cpu_seconds(generator.process.pid), rss_kb(server.pid),
                           pss_kb(server.pid), stats())
            if args.syscalls and line == "measure start":
                syscalls["counter"] = start_syscall_count(server.pid)
            elif args.syscalls:
                syscalls["count"] = stop_syscall_count(syscalls["counter"])

    try:
        generator = Generator(args.generator, sip, participants, args.warmup, args.duration,
                              codec=args.codec, on_line=on_line)
        generator.finish(timeout=2 * participants / SETUP_RATE + args.warmup
                         + args.duration + 90)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = generator.result
    result_syscalls = syscalls.get("count")
    if "measure end" not in marks or not result:
        sys.exit(f"run {number}: the generator stopped early "
                 f"(exit {generator.process.returncode})")
    if result["participants"] != participants:
        # Figures of fewer calls would stand in the table under the size asked for.
        sys.exit(f"run {number}: {result['participants']} of the {participants} calls "
                 "were established")
    if args.syscalls and result_syscalls is None:
        sys.exit(f"run {number}: perf stat counted no system calls")
    (t0, cpu0, gen0, _, _, stats0), (t1, cpu1, gen1, rss, pss, stats1) = (
        marks["measure start"], marks["measure end"])
    ticks = stats1["ticks"] - stats0["ticks"]
    n = result["participants"]
    packets = stats1["packets_received"] - stats0["packets_received"] + (
        stats1["packets_sent"] - stats0["packets_sent"])
    figures = {
        "participants": n,
        "syscalls_per_packet": (result_syscalls / max(packets, 1)
                                if result_syscalls is not None else None),
        "cpu_us": (cpu1 - cpu0) / (t1 - t0) / n * 1e6,
        "delivered_us": (cpu1 - cpu0) * 1e6 / max(result["received"] / 50, 1),
        "generator_us": (gen1 - gen0) / (t1 - t0) / n * 1e6,
        "server_per_generator": (cpu1 - cpu0) / max(gen1 - gen0, 1e-9),
        "late_pct": 100 * result["late"] / max(result["received"], 1),
        "rss_kib": (rss - idle_kb) / n,
        "pss_kib": (pss - idle_pss_kb) / n,
        "lost": result["lost"],
        "max_gap_ms": result["max_gap_us"] / 1000,
        "gaps": result["gaps_over_60ms"],
        "missing": max(result["expected"] - result["received"], 0),
        "expected": result["expected"],
        "behind_pct": 100 * result["slots_behind"] / max(result["slots"], 1),
        "ticks_late_pct": 100 * (stats1["ticks_late_over_20ms"] - stats0["ticks_late_over_20ms"])
        / max(ticks, 1),
    }
    print(f"run {number}, {participants} {args.codec} participants: {n} calls up, "
          f"{figures['cpu_us']:.0f} us CPU/participant-s ({(cpu1 - cpu0) / (t1 - t0):.2f} cores; "
          f"{figures['delivered_us']:.0f} per delivered participant-s), "
          f"{figures['late_pct']:.3f}% > 20 ms late, {figures['rss_kib']:.1f} KiB RSS/participant "
          f"(idle {idle_kb / 1024:.0f} MiB), {figures['pss_kib']:.1f} KiB PSS/participant, lost {figures['lost']}, "
          f"missing {figures['missing']} of {figures['expected']}, "
          f"longest gap {figures['max_gap_ms']:.1f} ms, {figures['gaps']} gaps > 60 ms, "
          f"server ticks > 20 ms late {figures['ticks_late_pct']:.2f}%, "
          f"generator {figures['generator_us']:.0f} us/participant-s "
          f"(server/generator {figures['server_per_generator']:.2f}), "
          f"{figures['behind_pct']:.1f}% of its slots behind, "
          f"{syscalls_text(figures['syscalls_per_packet'])}", flush=True)
    return figures


def syscalls_median(runs):
    """The median of the runs' system calls per packet, or "-" if not counted."""
    counted = [r["syscalls_per_packet"] for r in runs if r["syscalls_per_packet"] is not None]
    return f"{statistics.median(counted):.3f}" if counted else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", default="500,1000,2000,4000",
                        help="comma-separated sizes, each run --runs times")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=10, help="seconds before measuring")
    parser.add_argument("--duration", type=int, default=30, help="seconds measured")
    parser.add_argument("--codec", choices=("pcmu", "opus"), default="pcmu",
                        help="what every participant offers and sends")
    parser.add_argument("--binary", default="target/release/switchyard")
    parser.add_argument("--generator", default="target/release/rtpload")
    parser.add_argument("--syscalls", action="store_true",
                        help="count the server's system calls per packet with perf")
    args = parser.parse_args()
    sizes = [int(n) for n in args.participants.split(",")]
    if not all(1 <= n <= MAX_PARTICIPANTS for n in sizes):
        sys.exit(f"participants must be 1 to {MAX_PARTICIPANTS}")
    for path in (args.binary, args.generator):
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run cargo build --release -p switchyard -p rtpload")
    results = {n: [run_once(args, n, r + 1) for r in range(args.runs)] for n in sizes}
    print(f"\nmedians of {args.runs} runs of {args.codec}, "
          f"{args.duration} s measured after {args.warmup} s:")
    print(f"{'participants':>12} {'CPU us/p-s':>10} {'delivered':>9} {'% late':>8} {'KiB RSS/p':>9} {'KiB PSS/p':>9} "
          f"{'lost':>6} {'missing':>8} {'max gap ms':>10} {'gaps>60':>7} {'ticks late%':>11} {'gen us/p-s':>10} {'srv/gen':>7} {'gen behind%':>11} "
          f"{'syscalls/pkt':>12}")
    for n, runs in results.items():
        def median(key):
            return statistics.median(r[key] for r in runs)
        print(f"{n:>12} {median('cpu_us'):>10.0f} {median('delivered_us'):>9.0f} "
              f"{median('late_pct'):>8.3f} "
              f"{median('rss_kib'):>9.1f} {median('pss_kib'):>9.1f} {median('lost'):>6.0f} {median('missing'):>8.0f} "
              f"{median('max_gap_ms'):>10.1f} {median('gaps'):>7.0f} "
              f"{median('ticks_late_pct'):>11.2f} "
              f"{median('generator_us'):>10.0f} {median('server_per_generator'):>7.2f} "
              f"{median('behind_pct'):>11.1f} "
              f"{syscalls_median(runs):>12}")


if __name__ == "__main__":
    main()
