//! The external peers the tests use, found or failed on with a clear message.

use std::path::Path;
use std::process::Command;

/// Panics with the install command unless `program` runs.
pub fn require(program: &str, version_arg: &str, install: &str) {
    let found = Command::new(program).arg(version_arg).output().is_ok();
    assert!(
        found,
        "{program} is needed by this test and is not installed: {install}"
    );
}

/// Fails unless SIPp is installed.
pub fn require_sipp() {
    require(
        "sipp",
        "-v",
        "apt-get install -y sip-tester (or run tests/run, which installs it)",
    );
}

/// Fails unless python3 is installed.
pub fn require_python() {
    require("python3", "--version", "apt-get install -y python3");
}

/// Fails unless this host has IPv6 on loopback (`::1`).
pub fn require_ipv6_loopback() {
    let bound = std::net::UdpSocket::bind("[::1]:0");
    assert!(
        bound.is_ok(),
        "this test needs IPv6 on loopback (::1), which this host lacks: {:?}; \
         enable it (sysctl net.ipv6.conf.lo.disable_ipv6=0)",
        bound.err()
    );
}

/// The Python of a virtual environment under the target directory holding
/// `package` at `version` (pip installs it the first time); panics, with what
/// to do, if that cannot be done.
pub fn python_with(package: &str, version: &str) -> std::path::PathBuf {
    require_python();
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target")
        .join(format!("python-{package}-{version}"));
    let python = venv.join("bin/python");
    let installed = || {
        Command::new(&python)
            .args(["-m", "pip", "show", "--quiet", package])
            .output()
            .is_ok_and(|out| out.status.success())
    };
    install_once(&venv, installed, || {
        run_ok(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            "python3 -m venv failed (on Debian: apt-get install -y python3-venv)",
        );
        run_ok(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .arg(format!("{package}=={version}")),
            &format!("pip could not install {package} {version}"),
        );
    });
    python
}

/// The `node_modules` directory of an npm prefix under the target directory
/// holding `package` at `version` (npm installs it the first time); panics,
/// with what to do, if node or npm is missing or the install fails.
pub fn node_with(package: &str, version: &str) -> std::path::PathBuf {
    require(
        "node",
        "--version",
        "apt-get install -y nodejs npm (or run tests/run)",
    );
    require(
        "npm",
        "--version",
        "apt-get install -y npm (or run tests/run)",
    );
    let prefix = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target")
        .join(format!("node-{package}-{version}"));
    let modules = prefix.join("node_modules");
    let installed = || modules.join(package).join("package.json").is_file();
    install_once(&prefix, installed, || {
        run_ok(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&prefix)
                .arg(format!("{package}@{version}")),
            &format!("npm could not install {package} {version}"),
        );
    });
    modules
}

/// Runs `install` unless `installed` says it ran, under an exclusive lock on
/// `<dir>.lock`: the tests that need one tool, threads of one binary or binaries
/// run at once, then install it once, each after the other's install is whole.
fn install_once(dir: &Path, installed: impl Fn() -> bool, install: impl FnOnce()) {
    if installed() {
        return;
    }
    let mut lock_path = dir.as_os_str().to_owned();
    lock_path.push(".lock");
    std::fs::create_dir_all(dir.parent().expect("a directory under target"))
        .expect("the target directory can be created");
    let lock = std::fs::File::create(&lock_path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", Path::new(&lock_path).display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", Path::new(&lock_path).display()));
    if !installed() {
        install();
    }
}

/// The path of the headless browser the console tests drive: Debian's
/// chromium, found on the PATH.
pub fn require_chromium() -> std::path::PathBuf {
    require(
        "chromium",
        "--version",
        "apt-get install -y chromium (or run tests/run)",
    );
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("chromium"))
        .find(|path| path.is_file())
        .expect("chromium runs, so it is on the PATH")
}

/// Runs `command` to its end, for at most half an hour; panics with `failure` and what it
/// wrote on stderr unless it ran and succeeded.
pub fn run_ok(command: &mut Command, failure: &str) {
    // An install, or the fuzz targets' first build on 2 cores, may take many minutes;
    // half an hour means it is stuck.
    let out = output_within(command, std::time::Duration::from_secs(1800), failure);
    assert!(
        out.status.success(),
        "{failure}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `command` to its end as [`Command::output`] does, for at most `timeout`:
/// past it the process is killed and the test fails, naming `what` and showing
/// what it wrote.
pub fn output_within(
    command: &mut Command,
    timeout: std::time::Duration,
    what: &str,
) -> std::process::Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} could not be run: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = exit_within(&mut child, timeout);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    let Some(status) = status else {
        panic!(
            "{what} still ran after {timeout:?} and was killed; its stdout:\n{}\nits stderr:\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    };
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

/// Waits for `child` to exit, at most `timeout`: its status, or `None` if it
/// is still running then.
pub fn exit_within(
    child: &mut std::process::Child,
    timeout: std::time::Duration,
) -> Option<std::process::ExitStatus> {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waiting for a child process") {
            return Some(status);
        }
        if started.elapsed() >= timeout {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
