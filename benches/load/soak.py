#!/usr/bin/env python3
"""Soak: an hour at 1,000 participants with joins and leaves churning, on loopback.

Starts the release binary sized for the load (harness.start_media_server), then:

  - a steady load: --steady participants (rtpload, PCMU, rooms of 10, two
    talkers each) for the whole soak;
  - churn: batches of --churn participants (rtpload, the same rooms of their own each time) that
    set up, send media for --churn-hold seconds and hang up, one after the
    other, so that calls join and leave all along;
  - every --sample seconds, between two churn batches (when only the steady
    calls are up), a sample of the server: RSS, open file descriptors, calls,
    rooms, and the 99th percentile of its media ticks' lateness over the
    interval since the last sample (from the /metrics histogram
    switchyard_media_tick_lateness_seconds: the upper bound of the bucket it
    falls in).

The report: every sample, then the figures the soak is judged by, after
--warmup minutes: RSS at the end against RSS after the warm-up (flat within
±5%), file descriptors at the end against after the warm-up (no growth), and
tick lateness p99 over the last --window minutes against the first --window
after the warm-up. It exits 1 if the load did not run as asked: the steady
load ended early, or was not carried in full as media.py judges a run
(harness.load_failures: rtpload failed or ended without its result, not every
call came up, a participant received nothing, the server hung up a call or
refused or left unanswered one of our BYEs at the end, packets were left
unsent, less than 99% of those expected came back), a sample saw other than
the steady calls up, or a churn batch failed by the same measure; if RSS or
file descriptors grew; or if the steady generator reported packets lost or gaps
over 60 ms. A failed soak keeps its directory (the server's log) and prints
where.

Usage: benches/load/soak.py [--minutes 60] [--steady 900] [--churn 100]
       [--churn-hold 20] [--sample 60] [--warmup 5] [--window 5]
       [--binary target/release/switchyard] [--generator target/release/rtpload]
Build first: cargo build --release -p switchyard -p rtpload
"""

import argparse
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Generator, WorkDir, control, exit_on_sigterm,  # noqa: E402
                     load_failures, rss_kb, start_media_server, stop_all)

HISTOGRAM = "switchyard_media_tick_lateness_seconds"
# Seconds the steady generator waits after its calls are up before it measures.
STEADY_WARMUP_S = 10


def lateness_buckets(control_port):
    """The tick-lateness histogram's cumulative bucket counts, {upper bound: count}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{control_port}/metrics", timeout=30) as r:
        text = r.read().decode()
    buckets = {}
    for line in text.splitlines():
        m = re.match(HISTOGRAM + r'_bucket\{.*le="([^"]+)".*\} (\S+)', line)
        if m:
            bound = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
            buckets[bound] = buckets.get(bound, 0) + float(m.group(2))
    return buckets


def p99(before, after):
    """The 99th percentile's bucket bound of the ticks between two scrapes, in ms."""
    deltas = sorted((bound, after[bound] - before.get(bound, 0)) for bound in after)
    total = deltas[-1][1] if deltas else 0
    if total <= 0:
        return None
    for bound, count in deltas:
        if count >= 0.99 * total:
            return bound * 1000
    return float("inf")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def settled_fds(pid, limit_s=10):
    """Open file descriptors once the last churn batch's are closed: a call's
    sockets close a few ticks after its BYE (the media worker lets go of the
    leg, its ring cancels the pending receive), so the count is read until it
    stops falling, for limit_s at most."""
    count = open_fds(pid)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = open_fds(pid)
        if now >= count:
            return now
        count = now
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--steady", type=int, default=900)
    parser.add_argument("--churn", type=int, default=100)
    parser.add_argument("--churn-hold", type=int, default=20)
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--window", type=float, default=5)
    parser.add_argument("--binary", default="target/release/switchyard")
    parser.add_argument("--generator", default="target/release/rtpload")
    args = parser.parse_args()
    exit_on_sigterm()

    with WorkDir("switchyard-soak-") as work:
        soak = run_soak(args, work.path)
        failed = judge(args, soak)
        if failed:
            print("soak failed: " + "; ".join(failed), file=sys.stderr, flush=True)
            work.keep()
    if failed:
        sys.exit(1)


def run_soak(args, workdir):
    """The soak against a fresh server in `workdir`: what `judge` reads."""
    soak_s = int(args.minutes * 60)
    steady = churn = None
    server, sip, control_port, idle_rss = start_media_server(
        args.binary, workdir, args.steady + args.churn)
    try:
        steady = Generator(args.generator, sip, args.steady, STEADY_WARMUP_S, soak_s,
                           first_room=1000)
        if steady.wait_for("established", 120) is None:
            sys.exit("the steady load was not established")
        started = time.monotonic()
        samples = []
        last_buckets = lateness_buckets(control_port)
        next_sample = started + args.sample
        churn_batches = 0
        # Churn batches that did not bring all their calls up, or ended in failure.
        churn_failures = []
        while time.monotonic() - started < soak_s and steady.running():
            # One churn batch: set up, media, hang up.
            # The same rooms every batch, as callers come back to their rooms:
            # new rooms each time would measure the empty rooms kept for
            # rooms.expire_delay_s (2 h), not a leak.
            churn = Generator(args.generator, sip, args.churn, 1, args.churn_hold,
                              first_room=5000)
            churn.finish(args.churn_hold + 120)
            churn_batches += 1
            found = load_failures(churn, args.churn)
            if found:
                churn_failures.append(f"batch {churn_batches}: " + ", ".join(found))
            now = time.monotonic()
            if now >= next_sample:
                # Descriptors first: the control queries below open connections of
                # their own.
                fds = settled_fds(server.pid)
                buckets = lateness_buckets(control_port)
                stats = control(control_port).stats()
                sample = {
                    "minute": (now - started) / 60,
                    "rss_mib": rss_kb(server.pid) / 1024,
                    "fds": fds,
                    "calls": control(control_port).calls(),
                    "rooms": stats["rooms"],
                    "p99_ms": p99(last_buckets, buckets),
                }
                last_buckets = buckets
                samples.append(sample)
                print(f"{sample['minute']:6.1f} min: RSS {sample['rss_mib']:.1f} MiB, "
                      f"{sample['fds']} fds, {sample['calls']} calls, {sample['rooms']} rooms, "
                      f"tick lateness p99 {sample['p99_ms']} ms", flush=True)
                next_sample = now + args.sample
        soaked_s = time.monotonic() - started
        steady.finish(180)
    finally:
        stop_all(server, [steady, churn])
    return {"soak_s": soak_s, "soaked_s": soaked_s, "idle_rss": idle_rss, "steady": steady,
            "samples": samples, "churn_batches": churn_batches, "churn_failures": churn_failures}


def judge(args, soak):
    """The soak's figures, printed, and what failed, in words; none if it passed."""
    steady, samples = soak["steady"], soak["samples"]
    result = steady.result
    after_warmup = [s for s in samples if s["minute"] >= args.warmup]
    if len(after_warmup) < 2:
        return ["too few samples after the warm-up to judge"]
    first, last = after_warmup[0], after_warmup[-1]
    # A sample with no tick in its interval has no percentile.
    early = [s["p99_ms"] for s in after_warmup
             if s["minute"] < first["minute"] + args.window and s["p99_ms"] is not None]
    late = [s["p99_ms"] for s in after_warmup
            if s["minute"] > last["minute"] - args.window and s["p99_ms"] is not None]
    rss_change = 100 * (last["rss_mib"] - first["rss_mib"]) / first["rss_mib"]
    print(f"\n{soak['churn_batches']} churn batches of {args.churn} calls; "
          f"idle RSS {soak['idle_rss'] / 1024:.1f} MiB")
    print(f"RSS after the warm-up {first['rss_mib']:.1f} MiB, at the end {last['rss_mib']:.1f} MiB "
          f"({rss_change:+.1f}%)")
    print(f"open fds after the warm-up {first['fds']}, at the end {last['fds']}")
    print(f"tick lateness p99: first {args.window:g} min {max(early, default='n/a')} ms, "
          f"last {args.window:g} min {max(late, default='n/a')} ms")
    print(f"steady generator: {result}")
    # When the steady calls' gaps over 60 ms ended, by the second of the
    # generator's measured interval (which starts STEADY_WARMUP_S after the soak's clock),
    # to set against the samples above: a stall of the server or of the machine
    # shows as every stream's gap in the same second.
    stalls = [f"{s // 60}:{s % 60:02d} ({n})" for s, n in enumerate(steady.gaps_by_second) if n]
    print("gaps over 60 ms ended at (min:s, streams): " + (", ".join(stalls) or "none"))
    failed = []
    # The load itself first: figures of a soak whose load stopped, never came up
    # or was not carried in full judge nothing.
    if soak["soaked_s"] < soak["soak_s"]:
        failed.append(f"the steady load ended after {soak['soaked_s'] / 60:.1f} "
                      f"of {args.minutes:g} min")
    failed += [f"the steady load: {found}" for found in load_failures(steady, args.steady)]
    churn_failures = soak["churn_failures"]
    if churn_failures:
        failed.append(f"{len(churn_failures)} churn batches failed ("
                      + "; ".join(churn_failures[:3]) + ")")
    short = [s for s in samples if s["calls"] != args.steady]
    if short:
        failed.append(f"{len(short)} samples saw other than the {args.steady} steady calls up "
                      f"(first at {short[0]['minute']:.1f} min: {short[0]['calls']})")
    if abs(rss_change) > 5:
        failed.append(f"RSS changed {rss_change:+.1f}%")
    if last["fds"] > first["fds"]:
        failed.append(f"file descriptors grew from {first['fds']} to {last['fds']}")
    if result.get("gaps_over_60ms", 0) > 0 or result.get("lost", 0) > 0:
        failed.append("the steady calls lost packets or had gaps over 60 ms")
    return failed


if __name__ == "__main__":
    main()
