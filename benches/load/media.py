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

A run fails, and is left out of the medians, if rtpload exits with an error or
stops before its result, fewer calls come up than asked, any participant
receives nothing, a call does not last the run (the server sends a BYE, or
refuses or leaves unanswered one of ours at the end), any packet of the load
cannot be sent, less than 99% of the packets expected come back, or measuring
itself fails (a sample, `perf`); the run's line says why, and its directory
(the server's log) is kept. The script exits 1 if any run failed.

Usage: benches/load/media.py [--participants 500,1000,2000,4000] [--runs 3]
       [--warmup 10] [--duration 30] [--codec pcmu|opus]
       [--binary target/release/switchyard] [--generator target/release/rtpload]
       [--syscalls]
Build first: cargo build --release -p switchyard -p rtpload
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (SETUP_RATE, Generator, WorkDir, control, cpu_seconds,  # noqa: E402
                     exit_on_sigterm, load_failures, pss_kb, rss_kb, start_media_server,
                     stop_all, stop_process)

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


def measure(args, participants, workdir):
    """One run at `participants` against a fresh server in `workdir`: the
    generator once ended, the server's and generator's samples at the
    `measure` marks, its idle RSS and PSS (kB), and the system calls counted."""
    marks = {}
    syscalls = {}
    generator = None
    server, sip, control_port, idle_kb = start_media_server(args.binary, workdir, participants)
    try:
        stats = control(control_port).stats

        def on_line(generator, line):
            if line.startswith("measure "):
                marks[line] = (time.monotonic(), cpu_seconds(server.pid),
                               cpu_seconds(generator.process.pid), rss_kb(server.pid),
                               pss_kb(server.pid), stats())
                if args.syscalls and line == "measure start":
                    syscalls["counter"] = start_syscall_count(server.pid)
                elif args.syscalls:
                    syscalls["count"] = stop_syscall_count(syscalls["counter"])

        idle_pss_kb = pss_kb(server.pid)
        generator = Generator(args.generator, sip, participants, args.warmup, args.duration,
                              codec=args.codec, on_line=on_line)
        generator.finish(timeout=2 * participants / SETUP_RATE + args.warmup
                         + args.duration + 90)
    finally:
        if "counter" in syscalls:
            stop_process(syscalls["counter"], timeout=5)
        stop_all(server, [generator])
    return generator, marks, (idle_kb, idle_pss_kb), syscalls.get("count")


def failures(args, participants, generator, marks, syscall_count):
    """What makes a run's figures wrong or void, in words; none for a good run:
    the generator's load not carried in full (harness.load_failures), or
    measuring it failed."""
    found = load_failures(generator, participants)
    if generator.result and "measure end" not in marks:
        found.append("the server was not sampled at the end of the measured interval")
    if args.syscalls and syscall_count is None:
        found.append("perf stat counted no system calls")
    return found


def figures_of(generator, marks, idle, syscall_count):
    """A run's figures from the generator's result and the samples at its marks."""
    result = generator.result
    idle_kb, idle_pss_kb = idle
    (t0, cpu0, gen0, _, _, stats0), (t1, cpu1, gen1, rss, pss, stats1) = (
        marks["measure start"], marks["measure end"])
    ticks = stats1["ticks"] - stats0["ticks"]
    n = result["participants"]
    packets = stats1["packets_received"] - stats0["packets_received"] + (
        stats1["packets_sent"] - stats0["packets_sent"])
    return {
        "participants": n,
        "idle_kb": idle_kb,
        "cores": (cpu1 - cpu0) / (t1 - t0),
        "syscalls_per_packet": (syscall_count / max(packets, 1)
                                if syscall_count is not None else None),
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
        "silent": result["silent_streams"],
        "byes": result["byes_received"],
        "unsent": result["unsent"],
        "behind_pct": 100 * result["slots_behind"] / max(result["slots"], 1),
        "ticks_late_pct": 100 * (stats1["ticks_late_over_20ms"] - stats0["ticks_late_over_20ms"])
        / max(ticks, 1),
    }


def print_run(args, participants, number, figures):
    """A run's figures, on one line."""
    print(f"run {number}, {participants} {args.codec} participants: {figures['participants']} calls up, "
          f"{figures['cpu_us']:.0f} us CPU/participant-s ({figures['cores']:.2f} cores; "
          f"{figures['delivered_us']:.0f} per delivered participant-s), "
          f"{figures['late_pct']:.3f}% > 20 ms late, {figures['rss_kib']:.1f} KiB RSS/participant "
          f"(idle {figures['idle_kb'] / 1024:.0f} MiB), {figures['pss_kib']:.1f} KiB PSS/participant, "
          f"lost {figures['lost']}, missing {figures['missing']} of {figures['expected']}, "
          f"silent participants {figures['silent']}, calls the server hung up {figures['byes']}, "
          f"packets unsent {figures['unsent']}, "
          f"longest gap {figures['max_gap_ms']:.1f} ms, {figures['gaps']} gaps > 60 ms, "
          f"server ticks > 20 ms late {figures['ticks_late_pct']:.2f}%, "
          f"generator {figures['generator_us']:.0f} us/participant-s "
          f"(server/generator {figures['server_per_generator']:.2f}), "
          f"{figures['behind_pct']:.1f}% of its slots behind, "
          f"{syscalls_text(figures['syscalls_per_packet'])}", flush=True)


def run_once(args, participants, number):
    """One run at `participants`, printed: its figures (None if it has none)
    and what failed (empty for a good run)."""
    with WorkDir("switchyard-media-") as workdir:
        generator, marks, idle, syscall_count = measure(args, participants, workdir.path)
        found = failures(args, participants, generator, marks, syscall_count)
        figures = None
        if "measure end" in marks and generator.result.get("participants") == participants:
            figures = figures_of(generator, marks, idle, syscall_count)
            print_run(args, participants, number, figures)
        if found:
            print(f"run {number}, {participants} participants, FAILED: " + "; ".join(found),
                  flush=True)
            workdir.keep()
    return figures, found


def syscalls_median(runs):
    """The median of the runs' system calls per packet, or "-" if not counted."""
    counted = [r["syscalls_per_packet"] for r in runs if r["syscalls_per_packet"] is not None]
    return f"{statistics.median(counted):.3f}" if counted else "-"


def print_medians(args, passed):
    """The medians table over the runs of each size in `passed` (the runs that
    did not fail, by size)."""
    print(f"\nmedians of the runs that passed, of {args.runs} per size, of {args.codec}, "
          f"{args.duration} s measured after {args.warmup} s:")
    print(f"{'participants':>12} {'runs':>5} {'CPU us/p-s':>10} {'delivered':>9} {'% late':>8} {'KiB RSS/p':>9} {'KiB PSS/p':>9} "
          f"{'lost':>6} {'missing':>8} {'max gap ms':>10} {'gaps>60':>7} {'ticks late%':>11} {'gen us/p-s':>10} {'srv/gen':>7} {'gen behind%':>11} "
          f"{'syscalls/pkt':>12}")
    for n, runs in passed.items():
        if not runs:
            print(f"{n:>12} {0:>5}  (every run failed)")
            continue

        def median(key):
            return statistics.median(r[key] for r in runs)
        print(f"{n:>12} {len(runs):>5} {median('cpu_us'):>10.0f} {median('delivered_us'):>9.0f} "
              f"{median('late_pct'):>8.3f} "
              f"{median('rss_kib'):>9.1f} {median('pss_kib'):>9.1f} {median('lost'):>6.0f} {median('missing'):>8.0f} "
              f"{median('max_gap_ms'):>10.1f} {median('gaps'):>7.0f} "
              f"{median('ticks_late_pct'):>11.2f} "
              f"{median('generator_us'):>10.0f} {median('server_per_generator'):>7.2f} "
              f"{median('behind_pct'):>11.1f} "
              f"{syscalls_median(runs):>12}")


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
    exit_on_sigterm()
    sizes = [int(n) for n in args.participants.split(",")]
    if not all(1 <= n <= MAX_PARTICIPANTS for n in sizes):
        sys.exit(f"participants must be 1 to {MAX_PARTICIPANTS}")
    for path in (args.binary, args.generator):
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run cargo build --release -p switchyard -p rtpload")
    if args.syscalls and shutil.which("perf") is None:
        sys.exit("--syscalls needs perf, which is not on PATH")
    results = {n: [run_once(args, n, r + 1) for r in range(args.runs)] for n in sizes}
    print_medians(args, {n: [figures for figures, found in runs if not found]
                         for n, runs in results.items()})
    failed = [f"{n} participants, run {number}: " + "; ".join(found)
              for n, runs in results.items()
              for number, (_, found) in enumerate(runs, start=1) if found]
    if failed:
        sys.exit(f"{len(failed)} of {len(sizes) * args.runs} runs failed:\n  "
                 + "\n  ".join(failed))


if __name__ == "__main__":
    main()
