//! Starting the real binary on free loopback ports.

use super::ports;
use super::tools::exit_within;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the binary may take to start (it compiles its guest first).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the log may take to reach its end once the binary exited: the last lines
/// still in the pipe and the reader's turn to take them.
const LOG_END_TIMEOUT: Duration = Duration::from_secs(5);

/// How many servers this test process configured: each gets the next block
/// of RTP ports.
static SERVERS_CONFIGURED: AtomicU16 = AtomicU16::new(0);
/// RTP blocks of 40 ports from 20000, all below the kernel's ephemeral
/// ports (32768 on), where the test phones bind.
const RTP_BLOCKS: u16 = 300;

/// The config every test server starts from: loopback only, ports chosen by the
/// kernel, a small RTP range of its own. Servers of one test process get
/// blocks of their own, so a port one closed is never another's new leg
/// while a phone still sends to it (the leg would latch to that phone).
pub fn base_config() -> String {
    let started = SERVERS_CONFIGURED.fetch_add(1, Ordering::Relaxed);
    let block = (std::process::id() % u32::from(RTP_BLOCKS)) as u16;
    let port_min = 20000 + (block + started % RTP_BLOCKS) % RTP_BLOCKS * 40;
    format!(
        "{}[media]\nworkers = 2\n",
        loopback_config("info,switchyard=debug", port_min, port_min + 39)
    )
}

/// Loopback only, SIP and XML-RPC on ports chosen by the kernel, RTP on
/// `port_min..=port_max`, logging at `log_level`; everything else at its
/// default (no `[media]`, `[limits]`, `[rooms]`, `[routing]` sections, so a
/// caller may append them).
pub fn loopback_config(log_level: &str, port_min: u16, port_max: u16) -> String {
    format!(
        "[log]\nlevel = \"{log_level}\"\n\
         [sip]\nlisten = \"127.0.0.1:0\"\n\
         [control]\nlisten = \"127.0.0.1:0\"\n\
         [rtp]\naddress = \"127.0.0.1\"\nport_min = {port_min}\nport_max = {port_max}\n"
    )
}

/// `config`, made from [`loopback_config`], with RTP bound to `address` (another loopback
/// one, such as 127.0.0.2) while SIP stays on 127.0.0.1, as with a NIC for media.
pub fn with_rtp_address(config: &str, address: &str) -> String {
    let loopback = "[rtp]\naddress = \"127.0.0.1\"\n";
    assert!(
        config.contains(loopback),
        "not a loopback config:\n{config}"
    );
    config.replace(loopback, &format!("[rtp]\naddress = \"{address}\"\n"))
}

/// A test guest's component (`misbehave`, `draft`), built by host/guest's
/// build script; panics with what to do if it is missing.
pub fn test_guest_wasm(name: &str) -> String {
    let path = format!(
        "{}/../../target/guests/wasm32-wasip2/release/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    assert!(
        std::path::Path::new(&path).is_file(),
        "expected the {name} guest at {path}; it is built with the host \
         (cargo build -p switchyard-guest, which needs rustup target add wasm32-wasip2)"
    );
    path
}

/// [`base_config`] with every call and XML-RPC function routed to the
/// `misbehave` test guest.
pub fn misbehave_config() -> String {
    format!(
        "{}[routing]\nguest = \"misbehave\"\n[guests.misbehave]\nwasm = \"{}\"\n",
        base_config(),
        test_guest_wasm("misbehave")
    )
}

/// Runs the binary with `--config` `config` (a file) as a start that is to
/// fail: waits up to `timeout` for it to exit, killing it then. Returns its
/// exit status (`None`: it was still running and was killed) and what it
/// wrote on stderr.
pub fn run_to_exit(config: &Path, timeout: Duration) -> (Option<ExitStatus>, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = dir.path().join("stderr");
    let mut child = Command::new(binary())
        .arg("--config")
        .arg(config)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("a file for stderr"))
        .spawn()
        .expect("starting switchyard");
    let status = exit_within(&mut child, timeout);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let stderr = std::fs::read_to_string(&log).expect("its stderr");
    (status, stderr)
}

/// A child process, killed and reaped when dropped unless it exited: a start
/// that panics (not ready in time, a ready line it cannot read) leaves no
/// server running past the test.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A running `switchyard`.
pub struct Server {
    child: Reaped,
    /// Where it takes SIP (its first UDP address).
    pub sip: SocketAddr,
    /// Every SIP socket: transport ("UDP", "TCP") and address.
    pub listening: Vec<(String, SocketAddr)>,
    /// Where it takes XML-RPC.
    pub control: SocketAddr,
    log: Arc<Mutex<String>>,
    /// Reads its stderr into `log`, ending where the stderr does.
    log_reader: std::thread::JoinHandle<()>,
    /// Holds its configuration file, [`CONFIG_FILE`].
    dir: tempfile::TempDir,
}

/// The name of the configuration file a [`Server`] is started with, in a directory of its own.
const CONFIG_FILE: &str = "switchyard.toml";

/// The `listening=["UDP:127.0.0.1:5060", "TCP:[::1]:5060", …]` field of the
/// ready line, as (transport, address) pairs.
fn listening(ready: &str) -> Vec<(String, SocketAddr)> {
    let start = ready
        .find("listening=[")
        .unwrap_or_else(|| panic!("no listening= in {ready}"));
    let list = &ready[start + "listening=[".len()..];
    // The list ends at `"]`: a bare `]` also closes an IPv6 address.
    let end = list
        .find("\"]")
        .unwrap_or_else(|| panic!("unterminated listening= in {ready}"));
    let list = &list[..=end];
    list.split(", ")
        .map(|item| {
            let (transport, addr) = item
                .trim_matches('"')
                .split_once(':')
                .unwrap_or_else(|| panic!("listening item {item:?}"));
            let addr = addr
                .parse()
                .unwrap_or_else(|e| panic!("listening address {addr:?}: {e}"));
            (transport.to_owned(), addr)
        })
        .collect()
}

/// The path of the binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_switchyard"))
}

impl Server {
    /// The configuration file it was started with (its `--config`): a test may write it
    /// and send SIGHUP.
    pub fn config_file(&self) -> std::path::PathBuf {
        self.dir.path().join(CONFIG_FILE)
    }

    /// The process id of the running binary.
    pub fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// How many file descriptors the binary has open (sockets among them).
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("the server's /proc entry")
            .count()
    }

    /// Polls `read` every 50 ms until it returns `expected`, for at most
    /// `timeout`; panics with `what`, the last value read and the log.
    pub fn await_value<T: PartialEq + std::fmt::Debug>(
        &self,
        what: &str,
        expected: &T,
        timeout: Duration,
        mut read: impl FnMut() -> T,
    ) {
        let started = Instant::now();
        loop {
            let now = read();
            if &now == expected {
                return;
            }
            assert!(
                started.elapsed() < timeout,
                "expected {what} {expected:?} within {timeout:?}, still {now:?}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits, at most `timeout`, until the server has accepted `client`'s
    /// connection to its control endpoint and read all that `client` sent on
    /// it so far (a request it began is in progress); panics with the log then.
    pub fn await_control_read(&self, client: &TcpStream, timeout: Duration) {
        let from = client.local_addr().expect("the client's address");
        self.await_value(
            &format!("what came from {from} read by the control endpoint"),
            &true,
            timeout,
            || ports::read_by(self.pid(), self.control, from),
        );
    }

    /// The SIP socket of `transport` ("UDP", "TCP") in the family of `ipv6`.
    pub fn sip_on(&self, transport: &str, ipv6: bool) -> SocketAddr {
        self.listening
            .iter()
            .find(|(t, a)| t == transport && a.is_ipv6() == ipv6)
            .map(|(_, a)| *a)
            .unwrap_or_else(|| {
                panic!(
                    "no {transport} socket (IPv6: {ipv6}) in {:?}",
                    self.listening
                )
            })
    }

    /// Starts the binary with [`base_config`].
    pub fn start() -> Server {
        Server::start_with(&base_config())
    }

    /// Starts the binary with this config text and waits until it is ready.
    pub fn start_with(config: &str) -> Server {
        Server::start_within(config, START_TIMEOUT)
    }

    /// [`Server::start_with`], waiting up to `timeout` for it to be ready
    /// (a large guest compiles for longer than [`START_TIMEOUT`]).
    pub fn start_within(config: &str, timeout: Duration) -> Server {
        Server::launch(Command::new(binary()), config, timeout)
    }

    /// [`Server::start_with`], with the process's open-files limit (soft and
    /// hard) set to `limit` by the shell that starts it.
    pub fn start_with_open_files(config: &str, limit: u64) -> Server {
        let mut shell = Command::new("sh");
        shell.args(["-c", "ulimit -n \"$0\" && exec \"$@\""]);
        shell.arg(limit.to_string()).arg(binary());
        Server::launch(shell, config, START_TIMEOUT)
    }

    // Runs `command` (the binary, or what execs it) with `--config` and the
    // config's path appended, and waits until it is ready.
    fn launch(mut command: Command, config: &str, timeout: Duration) -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join(CONFIG_FILE);
        std::fs::write(&path, config).expect("writing the config");
        let mut child = Reaped(
            command
                .arg("--config")
                .arg(&path)
                .env_remove("RUST_LOG")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("starting switchyard"),
        );
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.0.stderr.take().expect("piped stderr");
        let sink = log.clone();
        let log_reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let started = Instant::now();
        let ready = loop {
            if let Some(line) = log
                .lock()
                .unwrap()
                .lines()
                .find(|l| l.contains("switchyard ready"))
            {
                break line.to_owned();
            }
            if let Ok(Some(status)) = child.0.try_wait() {
                panic!(
                    "switchyard exited during start-up ({status}):\n{}",
                    log.lock().unwrap()
                );
            }
            assert!(
                started.elapsed() < timeout,
                "switchyard not ready after {timeout:?}:\n{}",
                log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let field = |name: &str| -> SocketAddr {
            let start = ready
                .find(&format!("{name}="))
                .unwrap_or_else(|| panic!("no {name}= in {ready}"));
            let value = ready[start + name.len() + 1..]
                .split_whitespace()
                .next()
                .unwrap();
            value
                .parse()
                .unwrap_or_else(|e| panic!("{name}={value}: {e}"))
        };
        Server {
            sip: field("sip"),
            listening: listening(&ready),
            control: field("control"),
            child,
            log,
            log_reader,
            dir,
        }
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits up to `timeout` for a log line containing `needle` and returns
    /// that line; the error names the needle and holds the whole log.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        let started = Instant::now();
        loop {
            if let Some(line) = self
                .log
                .lock()
                .unwrap()
                .lines()
                .find(|l| l.contains(needle))
            {
                return Ok(line.to_owned());
            }
            if started.elapsed() >= timeout {
                return Err(format!(
                    "no log line containing {needle:?} within {timeout:?}; the log:\n{}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends it a signal (`TERM`, `INT`, …).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.pid().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -s {name} failed");
    }

    /// Waits for it to exit, at most `timeout`, then for its log to be read to the end
    /// (every line it wrote is in [`Server::log`]), at most [`LOG_END_TIMEOUT`].
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let status = exit_within(&mut self.child.0, timeout).unwrap_or_else(|| {
            panic!(
                "switchyard still running after {timeout:?}:\n{}",
                self.log()
            )
        });
        self.await_log_end();
        status
    }

    // Waits, at most LOG_END_TIMEOUT, until the reader has read the exited binary's stderr
    // to its end; panics with the log so far then.
    fn await_log_end(&self) {
        let started = Instant::now();
        while !self.log_reader.is_finished() {
            assert!(
                started.elapsed() < LOG_END_TIMEOUT,
                "switchyard's stderr still open {LOG_END_TIMEOUT:?} after it exited:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Server {
    /// The id (`c<n>`) the server gave the call from `caller` (the From
    /// user), read from its `incoming call` log line; waits up to `timeout`.
    pub fn call_id_of(&self, caller: &str, timeout: Duration) -> String {
        let from = format!("from=sip:{caller}@");
        let started = Instant::now();
        loop {
            let found = self.log.lock().unwrap().lines().find_map(|line| {
                if !line.contains("incoming call") || !line.contains(&from) {
                    return None;
                }
                let start = line.find(" call=")? + " call=".len();
                line[start..].split_whitespace().next().map(str::to_owned)
            });
            if let Some(id) = found {
                return id;
            }
            assert!(
                started.elapsed() < timeout,
                "expected an `incoming call` log line with {from} within {timeout:?}; the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
