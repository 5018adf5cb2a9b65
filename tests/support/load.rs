//! Load: SIPp placing many calls at once against the server, and an RTP port
//! range large enough for them.

use super::ports;
use super::server::Server;
use super::sipp::{counter, free_port};
use super::tools::{exit_within, require_sipp};
use super::xmlrpc::calls;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An RTP range of 4,500 ports (2,250 even ones) of a load test's own: below
/// the kernel's ephemeral ports (32768–60999), clear of base_config's
/// 20000–27999, and one of four slots picked by the process id, so two runs at
/// once rarely share one. A port something else holds (SIPp takes 5060, 6000,
/// 8888 and up) is skipped by the server's allocator.
pub fn rtp_range() -> (u16, u16) {
    let slots = [1500u16, 6100, 10600, 15100];
    let port_min = slots[std::process::id() as usize % slots.len()];
    (port_min, port_min + 4499)
}

/// SIPp placing `calls` calls; killed if the test ends before it does.
pub struct Load {
    child: Child,
    calls: i64,
    screen: PathBuf,
    /// Where SIPp's stderr goes.
    errors: PathBuf,
    _dir: tempfile::TempDir,
}

impl Load {
    /// Starts SIPp with `scenario` (its `-sn`/`-sf` arguments and keys)
    /// placing `calls` calls at `rate` a second, all of them up at once
    /// (`-l`), within SIPp's own `-timeout` of `timeout`; returns once SIPp
    /// holds its port, or has exited for another reason than another process
    /// taking it.
    pub fn start(
        server: &Server,
        scenario: &[&str],
        calls: i64,
        rate: u32,
        timeout: Duration,
    ) -> Load {
        require_sipp();
        ports::on_free_ports("SIPp", || {
            let port = free_port("127.0.0.1");
            let mut load = Load::spawn(server, scenario, port, calls, rate, timeout);
            let lost = !ports::await_bound(&mut load.child, port, "SIPp")
                && ports::sipp_lost_its_port(&std::fs::read(&load.errors).unwrap_or_default());
            (!lost).then_some(load)
        })
    }

    /// SIPp started as [`Load::start`] says, on `port`; perhaps not bound yet.
    fn spawn(
        server: &Server,
        scenario: &[&str],
        port: u16,
        calls: i64,
        rate: u32,
        timeout: Duration,
    ) -> Load {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let screen = dir.path().join("sipp.out");
        let errors = dir.path().join("sipp.err");
        let output = std::fs::File::create(&screen).expect("SIPp's output file");
        let error_output = std::fs::File::create(&errors).expect("SIPp's error file");
        let child = Command::new("sipp")
            .args(scenario)
            .args(["-i", "127.0.0.1", "-t", "u1"])
            .args(["-p", &port.to_string()])
            .args(["-r", &rate.to_string(), "-m", &calls.to_string()])
            .args(["-l", &calls.to_string()])
            .args(["-nostdin", "-timeout", &format!("{}s", timeout.as_secs())])
            .arg("-timeout_error")
            .arg(server.sip.to_string())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(error_output)
            .spawn()
            .expect("starting sipp");
        Load {
            child,
            calls,
            screen,
            errors,
            _dir: dir,
        }
    }

    /// What SIPp's screen shows now.
    pub fn screen(&self) -> String {
        std::fs::read_to_string(&self.screen).unwrap_or_default()
    }

    /// Waits until the server counts every call up; panics after `within`.
    pub fn await_up(&self, server: &Server, within: Duration) {
        let started = Instant::now();
        loop {
            let active = calls(server);
            if active >= self.calls {
                return;
            }
            assert!(
                started.elapsed() < within,
                "expected {} calls up within {within:?}, {active} are; SIPp:\n{}",
                self.calls,
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits for SIPp to end, at most `within`, and returns its last screen;
    /// panics unless it exited 0 with every call successful.
    pub fn finish(self, within: Duration) -> String {
        let calls = self.calls;
        let (status, outcome) = self.end(within);
        let screen = outcome.screen;
        assert!(
            status.success(),
            "expected SIPp to exit 0 (every call successful), got {status}:\n{screen}"
        );
        assert_eq!(
            (outcome.successful, outcome.failed),
            (calls, 0),
            "expected {calls} successful calls and 0 failed on SIPp's screen:\n{screen}"
        );
        screen
    }

    /// Waits for SIPp to end, at most `within`, and returns how its calls
    /// went, successful or not.
    pub fn outcome(self, within: Duration) -> Outcome {
        self.end(within).1
    }

    fn end(mut self, within: Duration) -> (std::process::ExitStatus, Outcome) {
        let status = exit_within(&mut self.child, within).unwrap_or_else(|| {
            panic!(
                "expected SIPp to finish within {within:?}; SIPp:\n{}",
                self.screen()
            )
        });
        let screen = self.screen();
        let count = |name: &str| {
            counter(&screen, name)
                .unwrap_or_else(|| panic!("no {name:?} counter on SIPp's screen:\n{screen}"))
        };
        let (successful, failed) = (count("Successful call"), count("Failed call"));
        let outcome = Outcome {
            status,
            successful,
            failed,
            screen,
        };
        (status, outcome)
    }
}

/// How SIPp's calls went: its exit status and its last screen.
pub struct Outcome {
    /// SIPp's exit status: 0 every call successful, 1 some failed, others a
    /// fatal error.
    pub status: std::process::ExitStatus,
    /// Calls that went through their scenario.
    pub successful: i64,
    /// Calls that did not.
    pub failed: i64,
    /// The screen itself.
    pub screen: String,
}

impl Drop for Load {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
