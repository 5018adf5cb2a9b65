"""What the load benchmarks share: the server on loopback with a generated
config, the XML-RPC control client, /proc samples of a process, the rtpload
generator run in the background with its output read as it comes, what makes a
generator's run fail, and an exit on SIGTERM that stops what a script started."""

import contextlib
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
# Below the kernel's ephemeral range (32768 and up), where every other port here
# comes from: 10,000 even ports, one per participant.
RTP_PORT_MIN, RTP_PORT_MAX = 10000, 29999
# rtpload's calls set up (and hung up) per second.
SETUP_RATE = 500
# Seconds a fresh media server is left to settle before it is measured.
SETTLE_S = 2
# A generator's run fails when less than this share of the packets expected back
# came: the server skipped ticks or packets were dropped, so the run did not
# carry the load its figures are given per.
RECEIVED_AT_LEAST = 0.99


def exit_on_sigterm():
    """Makes SIGTERM end the script as an exit does, with status 143: every
    `finally` runs, so the processes the script started are stopped and a
    failed run's directory is kept. A second SIGTERM is ignored, so that
    stopping them is not cut short."""

    def exit_now(signum, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("stopped by SIGTERM", file=sys.stderr, flush=True)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, exit_now)


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_sip_port(outside=range(0)):
    """A loopback port free for UDP and TCP both, as SIP listens on both, and
    not in `outside` (the RTP range, where the server refuses its SIP port)."""
    for _ in range(50):
        port = free_port(socket.SOCK_DGRAM)
        if port in outside:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    sys.exit("no loopback port is free for both UDP and TCP")


def rss_kb(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE_KB


def pss_kb(pid):
    """The process's proportional set size: each resident page divided by the
    number of mappings of it, so a page mapped many times (a guest's
    copy-on-write image, once per instance) counts once in all."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise RuntimeError(f"no Pss line in /proc/{pid}/smaps_rollup")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of stat (utime, stime), counted after the command name.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout):
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


def control(port, timeout=60):
    """An XML-RPC client of the server's control port; a call that takes more
    than `timeout` seconds raises OSError."""
    return xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/RPC2",
                                     transport=_TimeoutTransport(timeout))


def total_calls(port):
    info = control(port).serverInfo()[0]
    return int(re.search(r"(\d+) total", info).group(1))


def start_server(binary, workdir, extra, sip_keys="",
                 rtp_keys="port_min = 30000\nport_max = 39998\n"):
    """The server on loopback with `sip_keys` and `rtp_keys` added to its [sip]
    and [rtp] tables and `extra` (more TOML, `\\n` read as a newline) after
    them; once it answers XML-RPC, the process and its SIP and control ports.
    If it does not answer, or this is interrupted, the server is stopped."""
    rtp = {key: int(value) for key, value in
           re.findall(r"^(port_min|port_max) = (\d+)$", rtp_keys, re.M)}
    sip = free_sip_port(range(rtp["port_min"], rtp["port_max"] + 1))
    control_port = free_port(socket.SOCK_STREAM)
    config = os.path.join(workdir, "switchyard.toml")
    with open(config, "w") as f:
        f.write(
            f'[log]\nlevel = "warn"\n'
            f'[sip]\nlisten = "127.0.0.1:{sip}"\n{sip_keys}'
            f'[control]\nlisten = "127.0.0.1:{control_port}"\n'
            f'[rtp]\naddress = "127.0.0.1"\n{rtp_keys}'
            + extra.replace("\\n", "\n") + "\n"
        )
    log = open(os.path.join(workdir, "server.log"), "w")
    server = subprocess.Popen([binary, "--config", config], stdin=subprocess.DEVNULL,
                              stdout=log, stderr=log)
    with stopped_on_failure(server):
        wait_until_answering(server, control_port, log.name)
    return server, sip, control_port


def wait_until_answering(server, control_port, log_name):
    """Returns once the server answers XML-RPC; exits naming its log if it
    exited or did not answer within 60 s."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            total_calls(control_port)
            return
        except OSError:
            time.sleep(0.2)
    if server.poll() is not None:
        sys.exit(f"the server exited with status {server.returncode}; see {log_name}")
    sys.exit(f"the server did not answer XML-RPC within 60 s; see {log_name}")


@contextlib.contextmanager
def stopped_on_failure(process):
    """Stops `process` if the block ends by an exception or an exit (SIGTERM's
    too, see `exit_on_sigterm`), and lets that go on: a process started here
    must not outlive the script before the caller's own cleanup holds it."""
    try:
        yield
    except BaseException:
        stop_process(process)
        raise


def stop_process(process, timeout=30):
    """Ends `process`: SIGTERM, then SIGKILL if it is still running after
    `timeout` s; returns once it has exited."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stop_all(server, generators):
    """Kills every generator of `generators` still running (None entries are
    skipped), then stops the server: what every exit path of a run does, so
    that no process outlives the script."""
    try:
        for generator in generators:
            if generator is not None:
                generator.kill()
    finally:
        stop_process(server)


class WorkDir:
    """A fresh directory for one run's files (the server's config and log).

    As a context manager it removes the directory when the block ends, unless
    the block ended by an exception or exit or `keep()` was called: then it
    prints where the directory is, so that the server's log can be read."""

    def __init__(self, prefix):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self._kept = False

    def keep(self):
        self._kept = True

    def __enter__(self):
        return self

    def __exit__(self, kind, _value, _traceback):
        if kind is None and not self._kept:
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            print(f"the run's files, the server's log among them, are kept in {self.path}",
                  file=sys.stderr, flush=True)
        return False


def start_media_server(binary, workdir, participants, extra=""):
    """The server on loopback sized for `participants` media calls (an RTP port
    range below the ephemeral one, instances to spare, session timers off), with
    `extra` TOML; after SETTLE_S, the process, its SIP and control ports and its
    idle RSS (kB). If this fails or is interrupted, the server is stopped."""
    server, sip, control_port = start_server(
        binary, workdir,
        f"[limits]\nmax_instances = {participants + 100}\n{extra}",
        sip_keys="session_timers = false\n",
        # No call is silent for long here; the timeout only ends calls a dead
        # generator left behind.
        rtp_keys=f"port_min = {RTP_PORT_MIN}\nport_max = {RTP_PORT_MAX}\ntimeout_s = 300\n",
    )
    with stopped_on_failure(server):
        time.sleep(SETTLE_S)
        return server, sip, control_port, rss_kb(server.pid)


class Generator:
    """One rtpload run in the background, its output read as it comes.

    `on_line(generator, line)` is called in the reading thread as each line
    arrives (for samples that must be taken at that moment); `wait_for` waits
    for a line. Once it has ended, `established`, `result` (the `result`
    line's numbers), `gaps_by_second` (gaps over 60 ms by the second of the
    measured interval they ended in) and `hung_up` (BYEs answered 200, and
    refused) hold what it printed. If `on_line` (or reading a line) raises,
    `error` says what was raised and where, and the generator is killed: the
    run measures nothing more. A watchdog kills it if it runs more than 90 s
    past its schedule."""

    def __init__(self, path, sip, participants, warmup, duration, *, first_room=1000,
                 codec="pcmu", setup_rate=SETUP_RATE, on_line=None):
        self.on_line = on_line
        self.established = None
        self.result = {}
        self.gaps_by_second = []
        self.hung_up = None
        self.error = None
        self._lines = queue.Queue()
        self._seen = []
        self.process = subprocess.Popen(
            [path, "--sip", f"127.0.0.1:{sip}", "--participants", str(participants),
             "--warmup-s", str(warmup), "--duration-s", str(duration),
             "--setup-rate", str(setup_rate), "--codec", codec,
             "--first-room", str(first_room)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        limit = 2 * participants / setup_rate + warmup + duration + 90
        self._watchdog = threading.Timer(limit, self.process.kill)
        # Neither the watchdog nor the reader may keep the script alive once it is done.
        self._watchdog.daemon = True
        self._watchdog.start()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            line = line.strip()
            if self.error is None:
                try:
                    self._take(line)
                except Exception as error:
                    self.error = f"at the generator's line {line!r}: {type(error).__name__}: {error}"
                    self.process.kill()
            self._lines.put(line)
        self._lines.put(None)

    def _take(self, line):
        """Calls `on_line` with `line` and keeps what the line says."""
        if self.on_line:
            self.on_line(self, line)
        words = line.split()
        if line.startswith("established "):
            self.established = int(words[1])
        elif line.startswith("gaps_by_second"):
            self.gaps_by_second = [int(n) for n in words[1:]]
        elif line.startswith("result "):
            self.result = {k: int(v) for k, v in (kv.split("=") for kv in words[1:])}
        elif line.startswith("hung up "):
            self.hung_up = (int(words[2]), int(words[5].lstrip("(")))

    def wait_for(self, prefix, timeout):
        """Waits up to `timeout` s for a line starting with `prefix` (skipping
        the others); the line, or None if the generator ended or time ran out."""
        deadline = time.monotonic() + timeout
        seen = [line for line in self._seen if line.startswith(prefix)]
        if seen:
            return seen[0]
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                self._lines.put(None)
                return None
            self._seen.append(line)
            if line.startswith(prefix):
                return line
        return None

    def running(self):
        return self.process.poll() is None

    def finish(self, timeout):
        """Waits up to `timeout` s for the generator to end (killing it after);
        its exit status."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        return self.kill()

    def kill(self):
        """Kills the generator if it is still running, stops its watchdog and
        waits for its output to be read; its exit status."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._watchdog.cancel()
        self._reader.join(timeout=10)
        return self.process.returncode


def load_failures(generator, participants):
    """What kept an ended generator of `participants` calls from carrying its
    full load to the end, in words; none if it did. Figures are per
    participant-second of that load, so it fails when rtpload failed or
    stopped before its result, fewer calls came up, any participant received
    nothing, a call did not last the run (the server sent a BYE, or refused
    or left unanswered one of ours at the end), packets of the load were not
    sent, or less than RECEIVED_AT_LEAST of those expected came back."""
    if generator.error:
        return [f"measuring failed {generator.error}"]
    found = []
    status = generator.process.returncode
    if status != 0:
        found.append(f"rtpload exited with status {status}")
    result = generator.result
    if not result:
        return found + ["the generator stopped before its result"]
    if result["participants"] != participants:
        return found + [f"{result['participants']} of the {participants} calls were established"]
    if result["silent_streams"]:
        found.append(f"{result['silent_streams']} of {participants} participants received nothing")
    if result["byes_received"]:
        found.append(f"the server hung up {result['byes_received']} calls")
    found += hang_up_failures(generator.hung_up, participants)
    if result["unsent"]:
        found.append(f"{result['unsent']} packets were not sent (the generator's socket buffers "
                     "were full): the server got less than the load")
    if result["received"] < RECEIVED_AT_LEAST * result["expected"]:
        found.append(f"{result['received']} packets received of {result['expected']} expected "
                     f"({100 * result['received'] / max(result['expected'], 1):.1f}%)")
    return found


def hang_up_failures(hung_up, participants):
    """What went wrong as the generator hung up its `participants` calls
    (`Generator.hung_up`), in words."""
    if hung_up is None:
        return ["the generator did not hang up its calls"]
    ok, refused = hung_up
    found = []
    if refused:
        found.append(f"the server refused {refused} of our BYEs: it no longer had those calls")
    if participants - ok - refused:
        found.append(f"{participants - ok - refused} of our BYEs went unanswered")
    return found
