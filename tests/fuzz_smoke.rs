//! The fuzz targets of `host/fuzz`, briefly: each is built with cargo fuzz,
//! replays its committed seeds and regression inputs, then fuzzes for a few
//! seconds, with no crash, no timeout and no memory blow-up. The long runs (ten
//! million executions each) are `benches/fuzz/run.sh`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::tools::run_ok;

/// The cargo-fuzz release the targets are built with (installed under the
/// target directory if missing).
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Every target of `host/fuzz/Cargo.toml`.
const TARGETS: [&str; 9] = [
    "sip_message",
    "sip_endpoint",
    "sdp",
    "rtp",
    "rfc4733",
    "xmlrpc",
    "rest_json",
    "config",
    "wit_value",
];

/// How long each target fuzzes after its seeds, in seconds.
const FUZZ_SECONDS: u32 = 4;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_fuzz_target_replays_its_seeds_and_fuzzes_clean() {
    let out = root().join("target/fuzz");
    let cargo_fuzz = cargo_fuzz();
    run_ok(
        Command::new(&cargo_fuzz)
            .current_dir(root())
            .args([
                "fuzz",
                "build",
                "--fuzz-dir",
                "host/fuzz",
                "--sanitizer",
                "none",
            ])
            .arg("--target-dir")
            .arg(&out),
        "cargo fuzz build failed",
    );
    let host = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let bin = out.join(host).join("release");

    let listed = std::fs::read_to_string(root().join("host/fuzz/Cargo.toml")).unwrap();
    for target in TARGETS {
        assert!(
            listed.contains(&format!("name = \"{target}\"")),
            "{target} is not a target"
        );
    }
    assert_eq!(
        listed.matches("[[bin]]").count(),
        TARGETS.len(),
        "a target is not smoke-tested"
    );

    for target in TARGETS {
        let seeds = root().join("host/fuzz/seeds").join(target);
        let seed_count = std::fs::read_dir(&seeds)
            .unwrap_or_else(|e| panic!("{}: {e}", seeds.display()))
            .count();
        assert!(seed_count > 0, "{target} has no committed seeds");
        let corpus = out.join("smoke-corpus").join(target);
        let artifacts = out.join("smoke-artifacts").join(target);
        std::fs::create_dir_all(&corpus).unwrap();
        std::fs::create_dir_all(&artifacts).unwrap();
        let output = Command::new(bin.join(target))
            .arg(&corpus)
            .arg(&seeds)
            .args(extra_seeds(target))
            .arg(format!("-max_total_time={FUZZ_SECONDS}"))
            .args(["-timeout=10", "-rss_limit_mb=1024", "-print_final_stats=1"])
            .arg(format!("-artifact_prefix={}/", artifacts.display()))
            .output()
            .unwrap_or_else(|e| panic!("{target} could not be run: {e}"));
        let log = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "fuzz target {target} failed:\n{log}"
        );
        let executed: u64 = log
            .lines()
            .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{target} printed no statistics:\n{log}"));
        assert!(
            executed > seed_count as u64,
            "{target} ran {executed} inputs, no more than its {seed_count} seeds:\n{log}"
        );
    }
}

/// Seed directories of a target kept elsewhere: RFC 4475's torture messages,
/// with the SIP crate's tests.
fn extra_seeds(target: &str) -> Vec<PathBuf> {
    match target {
        "sip_message" => vec![root().join("host/sip/tests/rfc4475")],
        _ => Vec::new(),
    }
}

/// The cargo-fuzz binary, installed under the target directory the first time.
fn cargo_fuzz() -> PathBuf {
    let install = root()
        .join("target/tools")
        .join(format!("cargo-fuzz-{CARGO_FUZZ_VERSION}"));
    let binary = install.join("bin/cargo-fuzz");
    if !binary.is_file() {
        run_ok(
            Command::new(env!("CARGO"))
                .args([
                    "install",
                    "cargo-fuzz",
                    "--locked",
                    "--version",
                    CARGO_FUZZ_VERSION,
                ])
                .arg("--root")
                .arg(&install),
            "cargo install cargo-fuzz failed",
        );
    }
    binary
}
