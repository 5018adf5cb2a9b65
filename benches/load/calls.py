#!/usr/bin/env python3
"""Load benchmark: SIPp call setup through the webconference guest, into ONE
room or into a room per call, measuring what the host holds as calls come and go.

Each run starts the release binary on loopback with free ports, drives SIPp at
--rate calls/s for --duration seconds (and 5 s more, so the last mark is taken
under full load), each call held --hold-ms, and samples the server every 0.5 s.
With --rooms one (the default) every call goes to room 123 (SIPp's built-in
uac); with --rooms per-call each call goes to a room of its own
(benches/load/room_per_call.xml). It reports, per run and as medians over the
runs:

  - failed calls (SIPp's count; the target is 0),
  - CPU: the server's cores used while the load ran (utime+stime / wall),
  - p99 INVITE->200 (SIPp's response-time trace),
  - RSS at every 10,000 calls received, and RSS(last) / RSS(10,000).

Usage: benches/load/calls.py [--runs 3] [--rate 1000] [--duration 60]
       [--hold-ms 1000] [--rooms one|per-call] [--binary target/release/switchyard]
       [--config TOML]
Build first: cargo build --release
"""

import argparse
import csv
import glob
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import xmlrpc.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (WorkDir, cpu_seconds, free_port, rss_kb, start_server,  # noqa: E402
                     stop_process, total_calls)

TAIL_S = 5
SCENARIO_PER_CALL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "room_per_call.xml")


def run_once(args, number):
    """One run, printed: its figures."""
    with WorkDir("switchyard-load-") as workdir:
        return measure(args, number, workdir)


def measure(args, number, workdir):
    """One run against a fresh server in `workdir` (kept if SIPp failed): its figures."""
    server, sip, control = start_server(args.binary, workdir.path, args.config)
    # The load goes on TAIL_S past --duration, so every mark up to rate x duration
    # calls is sampled under full load, not while the calls wind down.
    calls = args.rate * (args.duration + TAIL_S)
    samples = []  # (seconds since start, total calls, rss kB, cpu s)
    stop = threading.Event()

    def sample():
        start = time.monotonic()
        while not stop.is_set():
            try:
                samples.append((time.monotonic() - start, total_calls(control),
                                rss_kb(server.pid), cpu_seconds(server.pid)))
            except (OSError, xmlrpc.client.Error):
                pass
            stop.wait(0.5)

    # A daemon, so that a sample still waiting on the server cannot keep the script alive.
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    scenario = (["-sn", "uac", "-s", "000777123"] if args.rooms == "one"
                else ["-sf", SCENARIO_PER_CALL, "-s", "000777"])
    try:
        sipp = subprocess.run(
            ["sipp", *scenario, f"127.0.0.1:{sip}",
             "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)),
             "-r", str(args.rate), "-m", str(calls), "-l", str(args.rate * 4),
             "-d", str(args.hold_ms), "-t", "u1", "-nostdin", "-trace_rtt", "-rtt_freq", "1",
             "-timeout", str(args.duration + 120), "-timeout_error"],
            cwd=workdir.path, capture_output=True, text=True)
        wall = time.monotonic() - started
    finally:
        stop.set()
        sampler.join(timeout=5)
        stop_process(server)

    out = sipp.stdout + sipp.stderr
    successful = [int(x) for x in re.findall(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", out)]
    failed = [int(x) for x in re.findall(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", out)]
    rtts = []
    for path in glob.glob(os.path.join(workdir.path, "*_rtt.csv")):
        with open(path) as f:
            for row in csv.reader(f, delimiter=";"):
                try:
                    rtts.append(float(row[1]))
                except (ValueError, IndexError):
                    pass
    rtts.sort()
    p99 = rtts[int(len(rtts) * 0.99)] if rtts else float("nan")
    rss_at = {}
    for _, total, rss, _ in samples:
        mark = (total // 10_000) * 10_000
        if 10_000 <= mark <= args.rate * args.duration and mark not in rss_at:
            rss_at[mark] = rss
    cpu = (samples[-1][3] - samples[0][3]) / (samples[-1][0] - samples[0][0]) if len(samples) > 1 else float("nan")
    result = {
        "successful": successful[-1] if successful else None,
        "failed": failed[-1] if failed else None,
        "cores": cpu,
        "p99_ms": p99,
        "rss_kb": rss_at,
        "wall_s": wall,
    }
    print(f"run {number}: {result['successful']} ok, {result['failed']} failed, "
          f"{cpu:.2f} cores, p99 INVITE->200 {p99:.1f} ms, wall {wall:.0f} s, "
          f"RSS at 10k-call marks (MiB): "
          + ", ".join(f"{k // 1000}k={v / 1024:.1f}" for k, v in sorted(rss_at.items())),
          flush=True)
    if sipp.returncode not in (0, 1):
        print(f"  sipp exited {sipp.returncode}; its output is in sipp.out", flush=True)
        with open(os.path.join(workdir.path, "sipp.out"), "w") as f:
            f.write(out)
        workdir.keep()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--hold-ms", type=int, default=1000)
    parser.add_argument("--rooms", choices=["one", "per-call"], default="one")
    parser.add_argument("--binary", default="target/release/switchyard")
    parser.add_argument("--config", default="",
                        help=r"TOML added to the server's config, e.g. '[limits]\nmax_instances = 2000'")
    args = parser.parse_args()
    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary} is missing: run cargo build --release first")
    if shutil.which("sipp") is None:
        sys.exit("sipp is not on PATH: the load is SIPp's calls")
    results = [run_once(args, n + 1) for n in range(args.runs)]
    marks = sorted(set.intersection(*(set(r["rss_kb"]) for r in results)))
    rooms = "one room" if args.rooms == "one" else "a room per call"
    print(f"\nmedians of {len(results)} runs at {args.rate} calls/s for {args.duration} s, "
          f"hold {args.hold_ms} ms, {rooms}:")
    if any(r["failed"] is None for r in results):
        print("  failed calls: unknown (SIPp's summary could not be read)")
    else:
        print(f"  failed calls: {statistics.median(r['failed'] for r in results)} "
              f"of {args.rate * (args.duration + TAIL_S)}")
    print(f"  CPU: {statistics.median(r['cores'] for r in results):.2f} cores")
    print(f"  p99 INVITE->200: {statistics.median(r['p99_ms'] for r in results):.1f} ms")
    for mark in marks:
        print(f"  RSS after {mark:>6} calls: "
              f"{statistics.median(r['rss_kb'][mark] for r in results) / 1024:.1f} MiB")
    if marks:
        ratio = statistics.median(r["rss_kb"][marks[-1]] / r["rss_kb"][marks[0]] for r in results)
        print(f"  RSS({marks[-1]}) / RSS({marks[0]}): {ratio:.3f}")


if __name__ == "__main__":
    main()
