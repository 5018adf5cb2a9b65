//! SIPp as the tests' SIP peer: a caller run to completion, and a callee
//! waiting in the background for the call the server places.

use super::ports;
use super::server::Server;
use super::tools::{exit_within, output_within, require_sipp};
use std::ffi::OsStr;
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// How long one SIPp run may take, SIPp's own time-out included.
const RUN_LIMIT: Duration = Duration::from_secs(40);

/// The path of a scenario under `tests/scenarios/`.
pub fn scenario(name: &str) -> String {
    format!(
        "{}/../../tests/scenarios/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A port free on `ip` now for UDP and TCP alike (SIPp binds the one its `-t`
/// names, and the kernel's two port spaces are apart), for SIPp to bind a moment
/// later (SIPp takes `-p 0` as "not given" and counts up from 5060). At most 50
/// ports are tried.
pub fn free_port(ip: &str) -> u16 {
    let ip: std::net::IpAddr = ip.parse().expect("an IP address");
    (0..50)
        .find_map(|_| {
            let udp = UdpSocket::bind((ip, 0)).ok()?;
            let port = udp.local_addr().ok()?.port();
            std::net::TcpListener::bind((ip, port)).ok().map(|_| port)
        })
        .expect("a loopback port free for both UDP and TCP")
}

/// A UDP port free on `ip` now whose port + 2 is free as well, for SIPp's `-mp`
/// (it binds its audio RTP socket there and its video one 2 above). At most 50
/// ports are tried.
fn free_media_port(ip: &str) -> u16 {
    let ip: std::net::IpAddr = ip.parse().expect("an IP address");
    (0..50)
        .find_map(|_| {
            let audio = UdpSocket::bind((ip, 0)).ok()?;
            let port = audio.local_addr().ok()?.port();
            UdpSocket::bind((ip, port.checked_add(2)?))
                .ok()
                .map(|_| port)
        })
        .expect("a loopback port free for UDP, and the one 2 above it")
}

/// The common arguments of every run: one call from `local_ip`, no keyboard,
/// SIPp's own 20 s time-out counted as a failure.
fn one_call(command: &mut Command, local_ip: &str) {
    command.args(["-i", local_ip, "-m", "1", "-nostdin"]).args([
        "-timeout",
        "20s",
        "-timeout_error",
    ]);
}

/// Runs SIPp against the server with `args`, one call, bounded in time.
/// Panics unless the call succeeded (SIPp's exit status 0), saying what
/// `expected` and showing SIPp's output and the server's log.
pub fn call(server: &Server, args: &[&str], expected: &str) {
    call_to(server, server.sip, "127.0.0.1", args, expected);
}

/// Like [`call`], to `target` from `local_ip` (another family or transport).
pub fn call_to(server: &Server, target: SocketAddr, local_ip: &str, args: &[&str], expected: &str) {
    require_sipp();
    let output = ports::on_free_ports("SIPp", || {
        let mut command = Command::new("sipp");
        command
            .args(args)
            .args(["-p", &free_port(local_ip).to_string()]);
        one_call(&mut command, local_ip);
        // SIPp times the call out at 20 s; a SIPp wedged past that is killed.
        let output = output_within(
            command.arg(target.to_string()),
            Duration::from_secs(60),
            "sipp",
        );
        (!ports::sipp_lost_its_port(&output.stderr)).then_some(output)
    });
    check(output, expected, server);
}

fn check(output: Output, expected: &str, server: &Server) {
    assert!(
        output.status.success(),
        "expected {expected}, but sipp failed ({}):\n{}\n{}\nserver log:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
}

/// SIPp running one call in the background on a free loopback port: a
/// callee waiting for the call the server places, or a caller that waits for
/// what the server does to its call.
pub struct Sipp {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its RTP port (`-mp`) when it echoes RTP: its audio socket's, the video one's 2 above.
    media_port: Option<u16>,
    /// Where SIPp's stdout and stderr go, in `_dir`.
    output: PathBuf,
    /// A directory of its own, removed with it.
    _dir: tempfile::TempDir,
}

/// What a SIPp does with the RTP it receives.
#[derive(Clone, Copy)]
enum Media {
    /// What the scenario says, on SIPp's default RTP ports.
    Ignored,
    /// Sent back where it came from (`-rtp_echo`), on RTP ports found free.
    Echoed,
}

impl Sipp {
    /// A callee running `scenario_name` (a file under `tests/scenarios/`).
    pub fn callee(scenario_name: &str) -> Sipp {
        Sipp::callee_with(scenario_name, &[])
    }

    /// A callee running `scenario_name` with more SIPp arguments.
    pub fn callee_with(scenario_name: &str, args: &[&str]) -> Sipp {
        Sipp::callee_on("127.0.0.1", scenario_name, args)
    }

    /// A callee on the loopback address `ip` (`127.0.0.1` or `::1`) running
    /// `scenario_name` with more SIPp arguments.
    pub fn callee_on(ip: &str, scenario_name: &str, args: &[&str]) -> Sipp {
        Sipp::spawn_on(ip, &callee_args(scenario_name, args), None, Media::Ignored)
    }

    /// A callee running `scenario_name` that sends the RTP it receives back
    /// (`-rtp_echo`), on RTP ports of its own found free.
    pub fn callee_echoing_rtp(scenario_name: &str) -> Sipp {
        let args = callee_args(scenario_name, &[]);
        Sipp::spawn_on("127.0.0.1", &args, None, Media::Echoed)
    }

    /// Waits, at most 10 s for each, until SIPp's sockets are bound (its SIP
    /// port, and its RTP ports if it has its own): from then on what is sent
    /// to them waits for it; or until it exits. `false` when it exited because
    /// another process took one of its ports first; panics at 10 s.
    fn await_bound(&mut self) -> bool {
        let rtp = self
            .media_port
            .into_iter()
            .flat_map(|port| [port, port + 2]);
        let bound = std::iter::once(self.addr.port())
            .chain(rtp)
            .all(|port| ports::await_bound(&mut self.child, port, "SIPp"));
        // Exited otherwise: SIPp's status and output are for `finish` to judge.
        bound || !ports::sipp_lost_its_port(&std::fs::read(&self.output).unwrap_or_default())
    }

    /// SIPp with `args` for one call, towards `target` if given.
    pub fn spawn(args: &[&str], target: Option<SocketAddr>) -> Sipp {
        Sipp::spawn_on("127.0.0.1", args, target, Media::Ignored)
    }

    /// SIPp on the loopback address `ip` with `args` for one call, towards
    /// `target` if given, doing with RTP what `media` says.
    fn spawn_on(
        ip: &str,
        args: &[impl AsRef<OsStr>],
        target: Option<SocketAddr>,
        media: Media,
    ) -> Sipp {
        require_sipp();
        ports::on_free_ports("SIPp", || {
            let mut sipp = Sipp::start(ip, args, target, media);
            sipp.await_bound().then_some(sipp)
        })
    }

    /// SIPp started on free ports of `ip` with `args` for one call, towards
    /// `target` if given, doing with RTP what `media` says; perhaps not bound yet.
    fn start(
        ip: &str,
        args: &[impl AsRef<OsStr>],
        target: Option<SocketAddr>,
        media: Media,
    ) -> Sipp {
        let port = free_port(ip);
        let media_port = match media {
            Media::Ignored => None,
            Media::Echoed => Some(free_media_port(ip)),
        };
        // Files, not pipes: SIPp redraws its screen every second, and a pipe
        // nobody reads would fill and stall it.
        let dir = tempfile::tempdir().expect("a temporary directory");
        let output = dir.path().join("sipp.out");
        let stdout = std::fs::File::create(&output).expect("creating SIPp's output file");
        let stderr = stdout.try_clone().expect("cloning SIPp's output file");
        let mut command = Command::new("sipp");
        command
            .args(args)
            .args(["-p", &port.to_string()])
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr));
        if let Some(media_port) = media_port {
            command.args(["-rtp_echo", "-mp", &media_port.to_string()]);
        }
        one_call(&mut command, ip);
        if let Some(target) = target {
            command.arg(target.to_string());
        }
        let child = command.spawn().expect("starting sipp");
        let ip: std::net::IpAddr = ip.parse().expect("an IP address");
        Sipp {
            child,
            addr: SocketAddr::new(ip, port),
            media_port,
            output,
            _dir: dir,
        }
    }

    /// The URI that reaches this callee as `user`.
    pub fn uri(&self, user: &str) -> String {
        format!("sip:{user}@{}", self.addr)
    }

    /// Waits (bounded) for SIPp to finish its call; panics unless it
    /// succeeded, saying what `expected`, with SIPp's output and the server's
    /// log.
    pub fn finish(mut self, expected: &str, server: &Server) {
        let status = exit_within(&mut self.child, RUN_LIMIT).unwrap_or_else(|| {
            let _ = self.child.kill();
            self.child.wait().expect("waiting for the killed sipp")
        });
        let stdout = std::fs::read(&self.output).unwrap_or_default();
        check(
            Output {
                status,
                stdout,
                stderr: Vec::new(),
            },
            expected,
            server,
        );
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The arguments of a callee running `scenario_name` (a file under
/// `tests/scenarios/`), then `args`.
fn callee_args(scenario_name: &str, args: &[&str]) -> Vec<String> {
    ["-sf".to_owned(), scenario(scenario_name)]
        .into_iter()
        .chain(args.iter().map(|&arg| arg.to_owned()))
        .collect()
}

/// The cumulative value of a counter (`Successful call`, `Failed call`) on
/// SIPp's final statistics screen.
pub fn counter(screen: &str, name: &str) -> Option<i64> {
    screen
        .lines()
        .rfind(|line| line.trim_start().starts_with(name))?
        .rsplit('|')
        .next()?
        .trim()
        .parse()
        .ok()
}
