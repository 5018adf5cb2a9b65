#!/usr/bin/env python3
"""Hot swap under load: the webconference guest swapped while 1,000 calls with media stay up.

Each run starts the release binary on loopback (the embedded webconference
guest is version 1; the compile cache is off, so every load compiles, unless
--compile-cache turns it on in the run's own directory), sized for the load,
and:

  1. brings up --calls calls with the rtpload generator: PCMU, rooms of 10
     (Request-URI 000777<room>), 20 ms packets both ways without a pause, two
     talkers per room sending a tone and the others digital silence;
  2. once their audio has run --warmup s, loads a new version --swaps times,
     every --interval s: guestLoad("webconference", --component). After each
     load it starts --new-calls NEW calls (a second rtpload, rooms of their
     own) that last past the next load, and checks guestList(): the new calls
     on the new, current version; the --calls calls still on version 1,
     draining; the previous load's new calls on theirs, draining, while they
     last; and no other version (an old one is unloaded when its last call
     ends);
  3. after load --refuse-after, tries three broken components (random bytes,
     a wasm core module that is not a component, the component cut in half):
     each must be refused with a fault and leave guestList() as it was, and
     --new-calls more calls must then land on the current version;
  4. once every call has hung up, checks that guestList() shows the current
     version alone.

Every generator tallies, per participant over its measured interval, the
longest time without a packet from the server (an audio gap) and the gaps
over 60 ms, packets lost and late; and the calls the server ended: BYEs it
sent, and BYEs of ours it refused at hang-up (481) or left unanswered.
Targets: 0 calls dropped, 0 gaps over 60 ms, every guestList() check passed,
every broken component refused, the current version alone at the end, and
every load made while the --calls calls were up. The report gives those per
run and as medians over the runs that met every target, with the guestLoad
times, the server's CPU over the measured interval (cores), its media ticks
run more than 20 ms late, and the share of the main generator's send slots
that went out late (when that is not near 0 the machine was short of CPU). It
exits 1 if any run misses a target.

Usage: benches/load/hot_swap.py [--calls 1000] [--swaps 5] [--interval 5]
       [--new-calls 10] [--refuse-after 3] [--warmup 5] [--slack 15]
       [--compile-cache] [--runs 1]
       [--binary target/release/switchyard] [--generator target/release/rtpload]
       [--component target/guests/wasm32-wasip2/release/webconference.wasm]
Build first: cargo build --release -p switchyard -p rtpload (the build also
leaves the webconference component in target/guests/wasm32-wasip2/release/).
"""

import argparse
import os
import random
import statistics
import sys
import time
import xmlrpc.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (SETUP_RATE, Generator, WorkDir, control, cpu_seconds,  # noqa: E402
                     exit_on_sigterm, start_media_server, stop_all)

GUEST = "webconference"
MAX_GAP_MS = 60
# The --calls calls take rooms from here; each batch of new calls the next ten
# rooms from NEW_ROOMS on.
FIRST_ROOM, NEW_ROOMS = 1000, 9000
# New calls: media this long before their measured interval.
NEW_WARMUP_S = 1
# How long guestList() may take to show a change (a hang-up reaching the registry).
SETTLE_S = 10
# The longest a guestLoad may take.
LOAD_TIMEOUT_S = 120
# A wasm core module with nothing in it: valid wasm, but not a component.
CORE_MODULE = b"\0asm\x01\0\0\0"


def broken_components(workdir, component):
    """Files guestLoad must refuse, as (what, path)."""
    with open(component, "rb") as f:
        wasm = f.read()
    files = [("random bytes", "random.wasm", random.Random(7).randbytes(4096)),
             ("a core module, not a component", "core.wasm", CORE_MODULE),
             ("the component cut in half", "truncated.wasm", wasm[:len(wasm) // 2])]
    for _, name, data in files:
        with open(os.path.join(workdir, name), "wb") as f:
            f.write(data)
    return [(what, os.path.join(workdir, name)) for what, name, _ in files]


def listed(rpc):
    """guestList() of GUEST as sorted (version, live calls, state)."""
    return sorted((v["version"], v["live_calls"], v["state"])
                  for v in rpc.guestList() if v["name"] == GUEST)


def expected(current, batches):
    """What guestList() should show: `current`, and every version with calls of
    a running generator of `batches` ((generator, version) pairs)."""
    live = {current: 0}
    for generator, version in batches:
        if generator.running():
            live[version] = live.get(version, 0) + (generator.established or 0)
    return sorted((version, calls, "current" if version == current else "draining")
                  for version, calls in live.items() if calls or version == current)


def check_versions(rpc, current, batches, timeout=SETTLE_S):
    """Polls guestList() until it shows what `expected` says, for up to
    `timeout` s; whether it did, and the last listing."""
    deadline = time.monotonic() + timeout
    while True:
        seen = listed(rpc)
        if seen == expected(current, batches):
            return True, seen
        if time.monotonic() >= deadline:
            return False, seen
        time.sleep(0.1)


def gap_timeline(gaps_by_second, events, start):
    """`second[events]:gaps` for every second of the measured interval (from
    monotonic time `start`) with gaps or events."""
    labels = {}
    for at, label in events:
        second = int(at - start)
        labels[second] = labels.get(second, "") + label
    seconds = range(max([len(gaps_by_second)] + [s + 1 for s in labels]))
    counts = [gaps_by_second[s] if s < len(gaps_by_second) else 0 for s in seconds]
    return " ".join(f"{s}{labels.get(s, '')}:{n}" for s, n in zip(seconds, counts)
                    if n or s in labels) or "none"


def show(versions):
    return ", ".join(f"v{v} {state} {calls}" for v, calls, state in versions) or "nothing"


def start_new_calls(args, sip, batches, current, duration):
    """--new-calls more calls, in rooms of their own, lasting `duration` s
    measured, added to `batches` on `current` as they start (so that every exit
    stops them); returns once they are established (or not)."""
    generator = Generator(args.generator, sip, args.new_calls, NEW_WARMUP_S, duration,
                          first_room=NEW_ROOMS + 10 * len(batches))
    batches.append((generator, current))
    generator.wait_for("established", 2 * args.new_calls / SETUP_RATE + 40)


def run_once(args, number):
    """One run, printed: its figures with the targets it missed, or None if a
    generator stopped early. Its directory (the server's log) is kept if the
    run missed anything."""
    with WorkDir("switchyard-swap-") as workdir:
        figures = swap_under_load(args, number, workdir.path)
        if figures is None or figures["failures"]:
            workdir.keep()
        return figures


def swap_under_load(args, number, workdir):
    """The run itself, against a fresh server in `workdir`."""
    broken = broken_components(workdir, args.component)
    cache = (f'enabled = true\ndir = "{os.path.join(workdir, "cache")}"' if args.compile_cache
             else "enabled = false")
    steps = []  # (what, matched, listing)
    loads = []  # (version or None, seconds, while the calls were up)
    events = []  # (monotonic time, "L" for a load or "R" for the refusals)
    refusals = []  # (what, refused, message)
    batches = []  # (new-call generator, version)
    failures = []
    marks = {}
    current = 1
    main = None
    server, sip, control_port, _ = start_media_server(
        args.binary, workdir, args.calls + 3 * args.new_calls, extra=f"[guest_cache]\n{cache}")
    try:
        rpc = control(control_port, timeout=LOAD_TIMEOUT_S)
        stats = control(control_port).stats  # a client of its own: called from another thread

        def on_line(generator, line):
            if line.startswith("measure "):
                marks[line] = (time.monotonic(), cpu_seconds(server.pid), stats())

        steps.append(("at start",) + check_versions(rpc, current, []))
        # Past the last load by --slack s, so slow loads still happen under load.
        measured = args.swaps * args.interval + args.slack
        main = Generator(args.generator, sip, args.calls, args.warmup, measured,
                         first_room=FIRST_ROOM, on_line=on_line)
        main.wait_for("established", 2 * args.calls / SETUP_RATE + 40)
        if main.established != args.calls:
            failures.append(f"{main.established} of {args.calls} calls established")
        if main.wait_for("measure start", args.warmup + 30) is None:
            sys.exit(f"run {number}: the generator did not start measuring")
        start = time.monotonic()
        steps.append((f"{main.established} calls up",)
                     + check_versions(rpc, current, [(main, 1)]))
        for k in range(1, args.swaps + 1):
            time.sleep(max(0.0, start + k * args.interval - time.monotonic()))
            began = time.monotonic()
            events.append((began, "L"))
            try:
                current = rpc.guestLoad(GUEST, args.component)
                loads.append((current, time.monotonic() - began,
                              main.running() and "measure end" not in marks))
            except xmlrpc.client.Fault as fault:
                loads.append((None, time.monotonic() - began, True))
                failures.append(f"load {k} refused: {fault.faultString}")
            start_new_calls(args, sip, batches, current, args.interval + 1)
            steps.append((f"load {k}, then {args.new_calls} new calls",)
                         + check_versions(rpc, current, [(main, 1)] + batches))
            if k == args.refuse_after:
                events.append((time.monotonic(), "R"))
                for what, path in broken:
                    try:
                        version = rpc.guestLoad(GUEST, path)
                        refusals.append((what, False, f"loaded as version {version}"))
                    except xmlrpc.client.Fault as fault:
                        refusals.append((what, True, " ".join(fault.faultString.split())))
                    steps.append((f"after {what}",)
                                 + check_versions(rpc, current, [(main, 1)] + batches))
                start_new_calls(args, sip, batches, current, 2)
                steps.append((f"then {args.new_calls} new calls",)
                              + check_versions(rpc, current, [(main, 1)] + batches))
        main.finish(timeout=measured + 2 * args.calls / SETUP_RATE + 60)
        for generator, _ in batches:
            generator.finish(timeout=60)
        steps.append(("every call ended",) + check_versions(rpc, current, []))
    finally:
        stop_all(server, [main] + [g for g, _ in batches])

    generators = [main] + [g for g, _ in batches]
    stopped = [f"generator {i}: measuring failed {g.error}" if g.error
               else f"generator {i} stopped early (exit {g.process.returncode})"
               for i, g in enumerate(generators)
               if g.error or not g.result or g.hung_up is None]
    if stopped:
        print(f"run {number}: " + "; ".join(failures + stopped))
        return None
    failures += [f"{g.established} of {args.new_calls} new calls established"
                 for g, _ in batches if g.established != args.new_calls]

    def dropped(generator):
        ok, refused = generator.hung_up
        return generator.result["byes_received"], refused, generator.established - ok - refused

    new = [g for g, _ in batches]
    (t0, cpu0, stats0), (t1, cpu1, stats1) = marks["measure start"], marks["measure end"]
    ticks = max(stats1["ticks"] - stats0["ticks"], 1)
    result = main.result
    figures = {
        "calls": main.established,
        "byes": sum(dropped(g)[0] for g in generators),
        "refused": sum(dropped(g)[1] for g in generators),
        "unanswered": sum(dropped(g)[2] for g in generators),
        "max_gap_ms": result["max_gap_us"] / 1000,
        "gaps": result["gaps_over_60ms"],
        "gap_calls": result["gap_streams"],
        "new_calls": sum(g.established for g in new),
        "new_max_gap_ms": max(g.result["max_gap_us"] for g in new) / 1000,
        "new_gaps": sum(g.result["gaps_over_60ms"] for g in new),
        "lost": sum(g.result["lost"] for g in generators),
        "late_pct": 100 * result["late"] / max(result["received"], 1),
        "load_s": statistics.median(s for _, s, _ in loads),
        "max_load_s": max(s for _, s, _ in loads),
        "cores": (cpu1 - cpu0) / (t1 - t0),
        "ticks_late_pct": 100 * (stats1["ticks_late_over_20ms"]
                                 - stats0["ticks_late_over_20ms"]) / ticks,
        "behind_pct": 100 * result["slots_behind"] / max(result["slots"], 1),
    }
    figures["dropped"] = figures["byes"] + figures["refused"] + figures["unanswered"]
    failures += [f"guestList() {what}: {show(seen)}" for what, ok, seen in steps if not ok]
    failures += [f"{what} was not refused: {message}" for what, ok, message in refusals if not ok]
    failures += [f"load of version {v} came after the {args.calls} calls ended"
                 for v, _, under_load in loads if not under_load]
    if figures["dropped"]:
        failures.append(f"{figures['dropped']} calls dropped")
    if figures["gaps"] or figures["new_gaps"]:
        failures.append(f"{figures['gaps'] + figures['new_gaps']} audio gaps over {MAX_GAP_MS} ms")
    figures["failures"] = failures

    print(f"run {number}: {figures['calls']} calls up, {len(loads)} loads "
          f"(versions {', '.join(str(v) for v, _, _ in loads)}) taking "
          f"{', '.join(f'{s:.2f}' for _, s, _ in loads)} s, {figures['new_calls']} new calls")
    print(f"  calls dropped: {figures['dropped']} (BYEs from the server {figures['byes']}, "
          f"our BYEs refused {figures['refused']}, unanswered {figures['unanswered']})")
    print(f"  audio of the {figures['calls']} calls: longest gap {figures['max_gap_ms']:.1f} ms, "
          f"{figures['gaps']} gaps over {MAX_GAP_MS} ms (on {figures['gap_calls']} calls), "
          f"{figures['late_pct']:.3f}% of packets > 20 ms late; new calls: longest gap "
          f"{figures['new_max_gap_ms']:.1f} ms, {figures['new_gaps']} over {MAX_GAP_MS} ms; "
          f"packets lost {figures['lost']}")
    print(f"  server {figures['cores']:.2f} cores over the measured {t1 - t0:.0f} s, media ticks "
          f"> 20 ms late {figures['ticks_late_pct']:.2f}%; generator behind on "
          f"{figures['behind_pct']:.1f}% of its send slots")
    print(f"  gaps over {MAX_GAP_MS} ms of the {figures['calls']} calls by second of the measured "
          f"interval (L: a load began, R: the broken components were tried): "
          + gap_timeline(main.gaps_by_second, events, t0))
    print("  guestList():")
    for what, ok, seen in steps:
        print(f"    {what + ':':<48} {show(seen)}{'' if ok else '   <- NOT as expected'}")
    for what, ok, message in refusals:
        print(f"  {what}: {'refused' if ok else 'NOT refused'}: {message}")
    for failure in failures:
        print(f"  MISSED: {failure}")
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls up through every load")
    parser.add_argument("--swaps", type=int, default=5, help="new versions loaded")
    parser.add_argument("--interval", type=int, default=5, help="seconds between loads")
    parser.add_argument("--new-calls", type=int, default=10,
                        help="calls started after each load (and after the refusals)")
    parser.add_argument("--refuse-after", type=int, default=3,
                        help="the load after which broken components are tried")
    parser.add_argument("--warmup", type=int, default=5,
                        help="seconds of media before the measured interval")
    parser.add_argument("--slack", type=int, default=15,
                        help="seconds the calls stay up after the last load is due")
    parser.add_argument("--compile-cache", action="store_true",
                        help="loads take the compiled guest from the cache instead of compiling")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--binary", default="target/release/switchyard")
    parser.add_argument("--generator", default="target/release/rtpload")
    parser.add_argument("--component",
                        default="target/guests/wasm32-wasip2/release/webconference.wasm",
                        help="the webconference component each load reads")
    args = parser.parse_args()
    exit_on_sigterm()
    if not (1 <= args.calls <= 8000 and 1 <= args.swaps <= 50 and 1 <= args.new_calls <= 100
            and 1 <= args.refuse_after <= args.swaps and args.interval >= 2 and args.runs >= 1
            and args.slack >= args.interval + NEW_WARMUP_S + 3):
        sys.exit("need 1-8000 calls, 1-50 swaps, 1-100 new calls, refuse-after within the "
                 "swaps, an interval of at least 2 s, a slack of at least the interval + 4 s "
                 "and at least 1 run")
    for path in (args.binary, args.generator, args.component):
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run cargo build --release -p switchyard -p rtpload")
    args.component = os.path.abspath(args.component)
    runs = [run_once(args, r + 1) for r in range(args.runs)]
    # A run that missed a target says little of what a swap costs: its figures
    # stay out of the medians, as media.py leaves out its failed runs.
    passed = [r for r in runs if r is not None and not r["failures"]]
    if passed:
        def median(key):
            return statistics.median(r[key] for r in passed)
        print(f"\nmedians of the {len(passed)} of {args.runs} runs that met every target: "
              f"{args.calls} calls, {args.swaps} loads {args.interval} s apart, "
              f"{args.new_calls} new calls after each:")
        print(f"  calls dropped {median('dropped'):g}; longest audio gap {median('max_gap_ms'):.1f} ms, "
              f"gaps > {MAX_GAP_MS} ms {median('gaps'):g} (new calls: "
              f"{median('new_max_gap_ms'):.1f} ms, {median('new_gaps'):g}); "
              f"packets lost {median('lost'):g}, late {median('late_pct'):.3f}%")
        print(f"  guestLoad {median('load_s'):.2f} s (longest {median('max_load_s'):.2f} s); "
              f"server {median('cores'):.2f} cores, ticks > 20 ms late "
              f"{median('ticks_late_pct'):.2f}%; generator behind {median('behind_pct'):.1f}%")
    missed = len(runs) - len(passed)
    print(f"\n{'PASS' if not missed else 'FAIL'}: {args.runs - missed} of {args.runs} runs met "
          f"every target (0 calls dropped, 0 gaps > {MAX_GAP_MS} ms, guestList() as expected "
          f"at every step, broken components refused, old versions unloaded)")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
