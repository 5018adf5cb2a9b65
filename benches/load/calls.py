#!/usr/bin/env python3
"""Load benchmark: SIPp call setup through the webconference guest, into ONE
room or into a room per call, measuring what the host holds as calls come and go.

Each run starts the release binary on loopback with free ports, drives SIPp at
--rate calls/s for --duration seconds (and 5 s more, so the last mark is taken
under full load), each call held --hold-ms, and samples the server every 0.5 s.
With --rooms one (the default) every call goes to room 123 (SIPp's built-in
uac); with --rooms per-call each call goes to a room of its own
(benches/load/room_per_call.xml). It reports, per run, and as medians over the
runs that passed:

  - failed calls (SIPp's count; the target is 0),
  - CPU: the server's cores used while the load ran (utime+stime / wall),
  - p99 INVITE->200 (SIPp's response-time trace),
  - RSS at every 10,000 calls received, and RSS(last) / RSS(10,000).

A run fails, and is left out of the medians, if SIPp exits other than 0 (it
exits 1 when any call failed), its counts of calls or its response times
cannot be read, or the server was not sampled; its line says why, and its
directory (the server's log, SIPp's output in sipp.out) is kept. The script
exits 1 if any run failed.

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
from harness import (WorkDir, cpu_seconds, exit_on_sigterm, free_port, rss_kb,  # noqa: E402
                     start_server, stop_process, total_calls)

TAIL_S = 5
SCENARIO_PER_CALL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "room_per_call.xml")


def run_once(args, number):
    """One run, printed: its figures and what failed (empty for a good run)."""
    with WorkDir("switchyard-load-") as workdir:
        sipp, samples, wall = measure(args, workdir.path)
        result = figures_of(args, sipp, samples, wall, workdir.path)
        print_run(number, result)
        found = failures(sipp, result)
        if found:
            print(f"run {number} FAILED: " + "; ".join(found) + " (SIPp's output is in sipp.out)",
                  flush=True)
            with open(os.path.join(workdir.path, "sipp.out"), "w") as f:
                f.write(sipp.stdout + sipp.stderr)
            workdir.keep()
    return result, found


def measure(args, workdir):
    """One run against a fresh server in `workdir`: SIPp's completed process,
    the server's samples (seconds since start, total calls, RSS kB, CPU s) and
    the seconds SIPp ran."""
    samples = []
    stop = threading.Event()
    sampler = None
    server, sip, control = start_server(args.binary, workdir, args.config)
    try:
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
        sipp = run_sipp(args, sip, workdir)
        wall = time.monotonic() - started
    finally:
        stop.set()
        if sampler is not None:
            sampler.join(timeout=5)
        stop_process(server)
    return sipp, samples, wall


def run_sipp(args, sip, workdir):
    """SIPp's calls against the server's SIP port `sip`, with its files in
    `workdir`; once it has ended, its completed process."""
    # The load goes on TAIL_S past --duration, so every mark up to rate x duration
    # calls is sampled under full load, not while the calls wind down.
    calls = args.rate * (args.duration + TAIL_S)
    scenario = (["-sn", "uac", "-s", "000777123"] if args.rooms == "one"
                else ["-sf", SCENARIO_PER_CALL, "-s", "000777"])
    return subprocess.run(
        ["sipp", *scenario, f"127.0.0.1:{sip}",
         "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)),
         "-r", str(args.rate), "-m", str(calls), "-l", str(args.rate * 4),
         "-d", str(args.hold_ms), "-t", "u1", "-nostdin", "-trace_rtt", "-rtt_freq", "1",
         "-timeout", str(args.duration + 120), "-timeout_error"],
        cwd=workdir, capture_output=True, text=True)


def figures_of(args, sipp, samples, wall, workdir):
    """A run's figures from SIPp's summary and response-time trace and the
    server's samples; None where what they come from is missing."""
    out = sipp.stdout + sipp.stderr
    successful = [int(x) for x in re.findall(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", out)]
    failed = [int(x) for x in re.findall(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", out)]
    rtts = []
    for path in glob.glob(os.path.join(workdir, "*_rtt.csv")):
        with open(path) as f:
            for row in csv.reader(f, delimiter=";"):
                try:
                    rtts.append(float(row[1]))
                except (ValueError, IndexError):
                    pass
    rtts.sort()
    rss_at = {}
    for _, total, rss, _ in samples:
        mark = (total // 10_000) * 10_000
        if 10_000 <= mark <= args.rate * args.duration and mark not in rss_at:
            rss_at[mark] = rss
    return {
        "sipp_status": sipp.returncode,
        "successful": successful[-1] if successful else None,
        "failed": failed[-1] if failed else None,
        "cores": ((samples[-1][3] - samples[0][3]) / (samples[-1][0] - samples[0][0])
                  if len(samples) > 1 else None),
        "p99_ms": rtts[int(len(rtts) * 0.99)] if rtts else None,
        "rss_kb": rss_at,
        "wall_s": wall,
    }


def failures(sipp, result):
    """What makes a run's figures wrong or void, in words; none for a good run.
    SIPp exits 0 only when every call succeeded (1 when some failed, other
    statuses when it could not run the load), so any other status fails the
    run, as does a figure that could not be read."""
    found = []
    if sipp.returncode != 0:
        found.append(f"SIPp exited with status {sipp.returncode}")
    if result["successful"] is None or result["failed"] is None:
        found.append("SIPp's counts of successful and failed calls could not be read")
    elif result["failed"]:
        found.append(f"{result['failed']} calls failed")
    if result["cores"] is None:
        found.append("the server was sampled fewer than twice")
    if result["p99_ms"] is None:
        found.append("SIPp traced no INVITE->200 time")
    return found


def print_run(number, result):
    """A run's figures, on one line."""
    def shown(value, form):
        return "?" if value is None else format(value, form)
    print(f"run {number}: {shown(result['successful'], 'd')} ok, "
          f"{shown(result['failed'], 'd')} failed, {shown(result['cores'], '.2f')} cores, "
          f"p99 INVITE->200 {shown(result['p99_ms'], '.1f')} ms, wall {result['wall_s']:.0f} s, "
          f"RSS at 10k-call marks (MiB): "
          + ", ".join(f"{k // 1000}k={v / 1024:.1f}" for k, v in sorted(result["rss_kb"].items())),
          flush=True)


def print_medians(args, passed):
    """The medians over the runs in `passed` (those that did not fail)."""
    if not passed:
        print(f"\nno medians: every one of the {args.runs} runs failed")
        return
    rooms = "one room" if args.rooms == "one" else "a room per call"
    print(f"\nmedians of the {len(passed)} of {args.runs} runs that passed (every one of "
          f"{args.rate * (args.duration + TAIL_S)} calls successful), at {args.rate} calls/s "
          f"for {args.duration} s, hold {args.hold_ms} ms, {rooms}:")
    print(f"  CPU: {statistics.median(r['cores'] for r in passed):.2f} cores")
    print(f"  p99 INVITE->200: {statistics.median(r['p99_ms'] for r in passed):.1f} ms")
    marks = sorted(set.intersection(*(set(r["rss_kb"]) for r in passed)))
    for mark in marks:
        print(f"  RSS after {mark:>6} calls: "
              f"{statistics.median(r['rss_kb'][mark] for r in passed) / 1024:.1f} MiB")
    if marks:
        ratio = statistics.median(r["rss_kb"][marks[-1]] / r["rss_kb"][marks[0]] for r in passed)
        print(f"  RSS({marks[-1]}) / RSS({marks[0]}): {ratio:.3f}")


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
    exit_on_sigterm()
    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary} is missing: run cargo build --release first")
    if shutil.which("sipp") is None:
        sys.exit("sipp is not on PATH: the load is SIPp's calls")
    runs = [run_once(args, n + 1) for n in range(args.runs)]
    print_medians(args, [result for result, found in runs if not found])
    failed = [f"run {number}: " + "; ".join(found)
              for number, (_, found) in enumerate(runs, start=1) if found]
    if failed:
        sys.exit(f"{len(failed)} of {args.runs} runs failed:\n  " + "\n  ".join(failed))


if __name__ == "__main__":
    main()
