//! baresip, a softphone written independently of Switchyard, as a peer: SIP
//! over UDP and TCP, RTP with RTCP, Opus, G.722 and G.711, RFC 4733 keys, hold and
//! resume by re-INVITE. Each one sends a tone read from a WAV file, records
//! what it decodes (its `sndfile` module) and is driven over its TCP control
//! interface (`ctrl_tcp`: JSON commands, responses and events in netstrings).

use super::ports;
use super::sipp::free_port;
use super::tools::exit_within;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where Debian and Ubuntu install baresip's modules.
const MODULE_DIRS: [&str; 2] = [
    "/usr/lib/baresip/modules",
    "/usr/lib/x86_64-linux-gnu/baresip/modules",
];
/// How long baresip may take to be ready, its control port open.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a command's response may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long baresip may take to exit once told to.
const EXIT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the tone file lasts: longer than any test's call.
const TONE_SECONDS: u32 = 60;
/// The tone file's rate: baresip resamples it to each codec's.
const TONE_RATE: u32 = 48_000;
/// The tone's amplitude, full scale 1.
pub const TONE_AMPLITUDE: f64 = 0.25;
/// baresip's RTP ports: below the kernel's ephemeral ports (32768 on), which
/// the tests' own sockets take, and the test servers' RTP blocks (20000 on).
const RTP_PORTS: &str = "10000-19998";
/// The pause between two keys pressed.
const KEY_GAP: Duration = Duration::from_millis(250);

/// Whether the softphone answers an incoming call by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// It rings until told; the tests only call out with these.
    Manual,
    /// It answers at once (baresip's `answermode=auto`).
    Auto,
}

/// What a softphone decoded during its call: the first channel, at the
/// decoder's rate (48 kHz for Opus, 16 kHz for G.722, 8 kHz for G.711).
pub struct Heard {
    /// Samples per second.
    pub rate: u32,
    /// The samples, one channel.
    pub samples: Vec<i16>,
}

impl Heard {
    /// The samples from `from` to `to` after the recording's start (clamped to
    /// what was recorded).
    pub fn between(&self, from: Duration, to: Duration) -> &[i16] {
        let at = |t: Duration| {
            ((t.as_secs_f64() * f64::from(self.rate)) as usize).min(self.samples.len())
        };
        &self.samples[at(from)..at(to)]
    }

    /// Its last 2 s before its last 0.3 s (the call's end, as the hang-up
    /// goes out).
    pub fn tail(&self) -> &[i16] {
        let end = self.duration().saturating_sub(Duration::from_millis(300));
        self.between(end.saturating_sub(Duration::from_secs(2)), end)
    }

    /// How long the recording lasts.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.samples.len() as f64 / f64::from(self.rate))
    }
}

/// One running baresip with one account, `name@127.0.0.1:<port>`.
pub struct Softphone {
    child: Child,
    /// Its name, the user part of its account.
    pub name: String,
    /// Where it takes SIP (UDP and TCP).
    pub sip: SocketAddr,
    control: Mutex<TcpStream>,
    inbox: Arc<Mutex<Vec<Value>>>,
    tokens: AtomicU32,
    dir: tempfile::TempDir,
}

impl Softphone {
    /// Starts baresip as `name`, offering only `codec` (baresip's spelling:
    /// `opus/48000/2`, `G722/16000/1`, `PCMU/8000/1`) and telephone-event at
    /// 8 kHz, sending a `tone_hz` tone. Panics with what to do if baresip is
    /// not installed.
    pub fn start(name: &str, codec: &str, tone_hz: f64, answer: Answer) -> Softphone {
        let modules = module_dir();
        ports::on_free_ports("baresip", || {
            Softphone::start_on_free_ports(name, codec, tone_hz, answer, &modules)
        })
    }

    /// [`Softphone::start`] with its modules in `modules`, on ports found
    /// free; `None` when another process took one of them first.
    fn start_on_free_ports(
        name: &str,
        codec: &str,
        tone_hz: f64,
        answer: Answer,
        modules: &Path,
    ) -> Option<Softphone> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (sip_port, control_port) = configure(dir.path(), name, codec, tone_hz, answer, modules);
        let log = dir.path().join("log");
        let log_file = std::fs::File::create(&log).expect("baresip's log");
        let mut child = Command::new("baresip")
            .arg("-f")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("the log file"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("baresip could not be started: {e}"));
        let control = match await_start(&mut child, control_port, &log) {
            Start::Listening => TcpStream::connect(("127.0.0.1", control_port))
                .map_err(|e| format!("its control port {control_port} refused: {e}")),
            Start::LostAPort => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Start::Failed(why) => Err(why),
        };
        let control = control.unwrap_or_else(|why| {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "baresip {name}: {why}\nits log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let reader = control.try_clone().expect("the control connection");
        let filed = inbox.clone();
        std::thread::spawn(move || read_messages(reader, &filed));
        Some(Softphone {
            child,
            name: name.to_owned(),
            sip: SocketAddr::from(([127, 0, 0, 1], sip_port)),
            control: Mutex::new(control),
            inbox,
            tokens: AtomicU32::new(0),
            dir,
        })
    }

    /// Runs the menu command `command` with `params`; panics unless baresip
    /// answers that it did.
    pub fn command(&self, command: &str, params: &str) {
        let token = format!("t{}", self.tokens.fetch_add(1, Ordering::Relaxed));
        let body =
            serde_json::json!({"command": command, "params": params, "token": token}).to_string();
        let framed = format!("{}:{body},", body.len());
        self.control
            .lock()
            .unwrap()
            .write_all(framed.as_bytes())
            .unwrap_or_else(|e| panic!("{}: sending {command}: {e}", self.name));
        let response = self.take(COMMAND_TIMEOUT, |m| {
            m["response"] == true && m["token"] == token.as_str()
        });
        let response =
            response.unwrap_or_else(|| self.fail(&format!("no response to {command} {params}")));
        if response["ok"] != true {
            self.fail(&format!("{command} {params} failed: {response}"));
        }
    }

    /// Calls `uri` (over UDP, or TCP when it says `;transport=tcp`).
    pub fn dial(&self, uri: &str) {
        self.command("dial", uri);
    }

    /// Waits up to `timeout` for an event of type `kind` (CALL_ESTABLISHED,
    /// CALL_CLOSED, …) and takes it; panics with baresip's log if none comes.
    pub fn await_event(&self, kind: &str, timeout: Duration) -> Value {
        self.take(timeout, |m| m["event"] == true && m["type"] == kind)
            .unwrap_or_else(|| self.fail(&format!("no {kind} event within {timeout:?}")))
    }

    /// Runs `command` (`hold`, `resume`), which re-INVITEs, and waits for the
    /// answer to it: an SDP answer in a 2xx (a refusal brings none).
    pub fn renegotiate(&self, command: &str) {
        let is_answer = |m: &Value| {
            m["event"] == true && m["type"] == "CALL_REMOTE_SDP" && m["param"] == "answer"
        };
        // Those of earlier offers, the call's own among them, are not this one's.
        self.inbox.lock().unwrap().retain(|m| !is_answer(m));
        self.command(command, "");
        if self.take(COMMAND_TIMEOUT, is_answer).is_none() {
            self.fail(&format!(
                "no answer to its {command} within {COMMAND_TIMEOUT:?}"
            ));
        }
    }

    /// Presses `keys` one after the other (RFC 4733 telephone-events).
    pub fn press(&self, keys: &str) {
        for key in keys.chars() {
            self.command("sndcode", &key.to_string());
            std::thread::sleep(KEY_GAP);
        }
    }

    /// Hangs up its call and waits until it is closed.
    pub fn hang_up(&self) {
        self.command("hangup", "");
        self.await_event("CALL_CLOSED", COMMAND_TIMEOUT);
    }

    /// Stops baresip (SIGTERM, after which it ends its calls and closes its
    /// recordings) and returns what it decoded in its one call.
    pub fn finish(mut self) -> Heard {
        super::tools::run_ok(
            Command::new("kill").args(["-s", "TERM", &self.child.id().to_string()]),
            "kill -s TERM baresip",
        );
        if exit_within(&mut self.child, EXIT_TIMEOUT).is_none() {
            self.fail(&format!(
                "baresip did not exit within {EXIT_TIMEOUT:?} of SIGTERM"
            ));
        }
        let recording = std::fs::read_dir(self.dir.path().join("heard"))
            .expect("the recordings' directory")
            .map(|entry| entry.expect("a directory entry").path())
            .find(|path| path.to_string_lossy().ends_with("-dec.wav"))
            .unwrap_or_else(|| self.fail("no recording of what it decoded"));
        let mut reader = hound::WavReader::open(&recording)
            .unwrap_or_else(|e| self.fail(&format!("{}: {e}", recording.display())));
        let spec = reader.spec();
        let channels = usize::from(spec.channels);
        let samples = reader
            .samples::<i16>()
            .step_by(channels)
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| self.fail(&format!("{}: {e}", recording.display())));
        Heard {
            rate: spec.sample_rate,
            samples,
        }
    }

    /// What baresip logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// The first message `wanted` holds for, taken from the inbox, waiting up
    /// to `timeout` for it.
    fn take(&self, timeout: Duration, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let mut inbox = self.inbox.lock().unwrap();
                if let Some(at) = inbox.iter().position(&wanted) {
                    return Some(inbox.remove(at));
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "baresip {}: {what}\nits messages: {:?}\nits log:\n{}",
            self.name,
            self.inbox.lock().unwrap(),
            self.log()
        )
    }
}

impl Drop for Softphone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// baresip's module directory; panics with the install command if there is none.
fn module_dir() -> PathBuf {
    MODULE_DIRS
        .iter()
        .map(PathBuf::from)
        .find(|dir| dir.join("aufile.so").is_file())
        .unwrap_or_else(|| {
            panic!(
                "baresip is needed by this test and is not installed (no aufile.so in {MODULE_DIRS:?}): \
                 apt-get install -y baresip-core (or run tests/run, which installs it)"
            )
        })
}

/// A loopback port free now for SIP over UDP and TCP, with the next one free
/// for TCP too: baresip listens for SIP over TLS there. At most 50 ports are
/// tried.
fn free_sip_port() -> u16 {
    (0..50)
        .map(|_| free_port("127.0.0.1"))
        .find(|&port| port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok())
        .expect("a loopback port free for SIP, with the next one free for SIP over TLS")
}

/// A TCP port free on loopback now.
fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Writes into `dir` baresip's config and accounts for [`Softphone::start`]
/// (modules from `modules`), its tone file and the directory of its
/// recordings; returns the ports found free for its SIP and its control
/// interface.
fn configure(
    dir: &Path,
    name: &str,
    codec: &str,
    tone_hz: f64,
    answer: Answer,
    modules: &Path,
) -> (u16, u16) {
    let tone = dir.join("tone.wav");
    write_tone(&tone, tone_hz);
    let recordings = dir.join("heard");
    std::fs::create_dir(&recordings).expect("the recordings' directory");
    let sip_port = free_sip_port();
    let control_port = free_tcp_port();
    let config = format!(
        "poll_method epoll\n\
         sip_listen 127.0.0.1:{sip_port}\n\
         audio_player alsa,null\n\
         audio_alert alsa,null\n\
         audio_source aufile,{tone}\n\
         ausrc_srate {TONE_RATE}\nauplay_srate {TONE_RATE}\n\
         ausrc_channels 1\nauplay_channels 1\n\
         rtp_ports {RTP_PORTS}\n\
         module_path {modules}\n\
         module g711.so\nmodule g722.so\nmodule opus.so\n\
         module aufile.so\nmodule alsa.so\nmodule sndfile.so\n\
         snd_path {recordings}\n\
         module_app account.so\nmodule_app menu.so\nmodule_app ctrl_tcp.so\n\
         ctrl_tcp_listen 127.0.0.1:{control_port}\n",
        tone = tone.display(),
        modules = modules.display(),
        recordings = recordings.display(),
    );
    std::fs::write(dir.join("config"), config).expect("baresip's config");
    let answermode = match answer {
        Answer::Manual => "manual",
        Answer::Auto => "auto",
    };
    std::fs::write(
        dir.join("accounts"),
        format!(
            "<sip:{name}@127.0.0.1:{sip_port}>;regint=0;audio_codecs={codec};\
             answermode={answermode}\n"
        ),
    )
    .expect("baresip's accounts");
    (sip_port, control_port)
}

/// How a baresip start went.
enum Start {
    /// It is ready and its control interface listens on its port.
    Listening,
    /// Another process bound one of its ports first: it exited (its SIP
    /// ports) or runs without its control interface.
    LostAPort,
    /// Anything else, in words.
    Failed(String),
}

/// Waits, at most [`START_TIMEOUT`], until baresip (`child`, logging to `log`)
/// says it is ready (its modules loaded, `ctrl_tcp` listening if it could) or
/// exits, and tells whether it holds `control_port`.
fn await_start(child: &mut Child, control_port: u16, log: &Path) -> Start {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let logged = std::fs::read_to_string(log).unwrap_or_default();
        let exited = child.try_wait().expect("waiting for baresip");
        let ready = exited.is_none() && logged.contains("baresip is ready.");
        if ready && ports::bound_by(child.id(), control_port) {
            return Start::Listening;
        }
        if ready || exited.is_some() {
            if logged.contains("Address already in use") {
                return Start::LostAPort;
            }
            return Start::Failed(match exited {
                Some(status) => format!("exited during start-up ({status})"),
                None => format!("ready, but not listening on its control port {control_port}"),
            });
        }
        if Instant::now() >= deadline {
            return Start::Failed(format!("not ready within {START_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads netstrings (`<length>:<JSON>,`) from `stream` into `inbox` until the
/// connection closes.
fn read_messages(stream: TcpStream, inbox: &Mutex<Vec<Value>>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = Vec::new();
        match reader.read_until(b':', &mut length) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let Some(length) = std::str::from_utf8(&length[..length.len() - 1])
            .ok()
            .and_then(|text| text.trim().parse::<usize>().ok())
        else {
            return;
        };
        let mut body = vec![0; length + 1];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if let Ok(message) = serde_json::from_slice(&body[..length]) {
            inbox.lock().unwrap().push(message);
        }
    }
}

/// Writes [`TONE_SECONDS`] of a `hz` sine at [`TONE_AMPLITUDE`] to `path`.
fn write_tone(path: &Path, hz: f64) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: TONE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).expect("the tone file");
    for sample in super::audio::tone_at(
        TONE_RATE,
        hz,
        TONE_AMPLITUDE * 32767.0,
        0,
        (TONE_SECONDS * TONE_RATE) as usize,
    ) {
        writer.write_sample(sample).expect("a tone sample");
    }
    writer.finalize().expect("the tone file");
}
