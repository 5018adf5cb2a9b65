#!/usr/bin/env python3
"""Captures real SIP traffic as seeds for the sip_message fuzz target.

Starts the switchyard binary (target/debug, or the path given) on loopback
ports, runs SIPp scenarios against it with -trace_msg, and writes every message
SIPp sent or received to host/fuzz/seeds/sip_message/sipp-<scenario>-<n>.

    benches/fuzz/capture_sipp.py [path/to/switchyard]
"""
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ROOT / "host/fuzz/seeds/sip_message"
SCENARIOS = [
    ("uac", ["-sn", "uac", "-s", "000777123"]),
    ("info-options", ["-sf", "tests/scenarios/uac_info_options_in_dialog.xml", "-s", "000777123"]),
    ("reinvite", ["-sf", "tests/scenarios/uac_reinvite_hold_resume.xml", "-s", "000777123"]),
    ("update", ["-sf", "tests/scenarios/uac_session_refresh_by_update.xml", "-s", "000777123"]),
    ("unknown-method", ["-sf", "tests/scenarios/uac_unknown_method.xml", "-s", "000777123"]),
    ("options", ["-sf", "tests/scenarios/options.xml", "-s", "000777123"]),
]


def free_port(kind=socket.SOCK_DGRAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def messages(log_text):
    """The messages of a SIPp -trace_msg log, as bytes."""
    for entry in re.split(r"^-{20,}[^\n]*\n", log_text, flags=re.M):
        head, _, body = entry.partition("\n\n")
        if "message sent" in head or "message received" in head:
            body = body.rstrip("\n")
            if body:
                yield (body.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n").encode()


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target/debug/switchyard")
    sip, control = free_port(), free_port(socket.SOCK_STREAM)
    rtp = free_port() & ~1
    with tempfile.TemporaryDirectory() as work:
        config = pathlib.Path(work, "switchyard.toml")
        config.write_text(
            f'[sip]\nlisten = "127.0.0.1:{sip}"\n'
            f'[rtp]\naddress = "127.0.0.1"\nport_min = 30000\nport_max = 30200\n'
            f'[control]\nlisten = "127.0.0.1:{control}"\n'
        )
        server = subprocess.Popen([binary, "--config", str(config)], stderr=subprocess.DEVNULL)
        try:
            time.sleep(2)
            count = 0
            for name, args in SCENARIOS:
                log = pathlib.Path(work, f"{name}.log")
                try:
                    subprocess.run(
                        ["sipp", "-i", "127.0.0.1", "-p", str(free_port()), "-m", "1",
                         "-nostdin", "-timeout", "10s", "-trace_msg", "-message_file", str(log),
                         *args, f"127.0.0.1:{sip}"],
                        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        timeout=30,
                    )
                except subprocess.TimeoutExpired:
                    # What was exchanged until then is captured all the same.
                    pass
                if not log.exists():
                    print(f"{name}: no messages", file=sys.stderr)
                    continue
                for n, message in enumerate(messages(log.read_text(errors="replace"))):
                    (SEEDS / f"sipp-{name}-{n:02}").write_bytes(message)
                    count += 1
            print(f"{count} messages written to {SEEDS}")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
