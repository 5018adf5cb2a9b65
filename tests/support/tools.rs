//! The external peers the tests use, found or failed on with a clear message.

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
