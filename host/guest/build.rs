//! Builds the bundled guests in `guests/` as wasm32-wasip2 components, so that a
//! plain `cargo build` embeds them (see `src/bundled.rs`).
//!
//! The guests are built by a nested `cargo build` into `target/guests`, a target
//! directory of their own: the outer build holds the lock on its own directory,
//! and sharing `target/guests` between debug, release and clippy builds means the
//! guests compile once.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, exit};

/// The guests built here, by package name: `webconference` and `nway` are
/// embedded in the host; `misbehave` (for tests of limits and fallbacks),
/// `draft` (a guest of the draft WIT 0.1.0, for tests of older versions) and
/// `wit03-probe` (a guest of WIT 0.3.0 written without the SDK) are only for
/// tests, which find them through the `SWITCHYARD_GUEST_<NAME>` paths this
/// script sets (`-` in a name becomes `_`, as in the component's file name).
const BUNDLED: &[&str] = &["webconference", "nway", "misbehave", "draft", "wit03-probe"];
/// The test guests built as examples of a package above, by example name:
/// `call-flow` (in `wit03-probe`, a guest of world `call-flow`, which has no
/// `control`). Their paths are set the same way.
const EXAMPLES: &[&str] = &["call-flow"];
const TARGET: &str = "wasm32-wasip2";

/// Environment passed through to the nested cargo; everything else the outer
/// cargo set for this build script (RUSTFLAGS for the host, clippy's wrapper,
/// CARGO_CFG_* of the host target, …) must not leak into a wasm build.
const KEEP: &[&str] = &[
    "PATH",
    "HOME",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "RUSTC",
    "CARGO_MAKEFLAGS",
    "TMPDIR",
];
const KEEP_PREFIXES: &[&str] = &[
    "CARGO_NET_",
    "CARGO_HTTP_",
    "CARGO_REGISTRIES_",
    "CARGO_REGISTRY_",
    "CARGO_SOURCE_",
];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.join("../..");
    println!("cargo::rerun-if-changed={}", root.join("guests").display());
    println!("cargo::rerun-if-changed={}", root.join("wit").display());
    println!(
        "cargo::rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );

    require_wasm_target();

    let target_dir = root.join("target").join("guests");
    let cargo = env::var_os("CARGO").expect("cargo sets CARGO");
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .env_clear()
        .envs(env::vars_os().filter(|(name, _)| {
            let name = name.to_string_lossy();
            KEEP.contains(&name.as_ref()) || KEEP_PREFIXES.iter().any(|p| name.starts_with(p))
        }))
        .args(["build", "--release", "--target", TARGET, "--target-dir"])
        .arg(&target_dir)
        // Debug info only bloats an embedded component. Whole-program optimization
        // leaves fewer functions reachable through a table (a third fewer in the
        // webconference guest), and every instance holds a function reference in
        // its VM context for each of them.
        .args([
            "--config",
            "profile.release.debug=false",
            "--config",
            "profile.release.strip=\"debuginfo\"",
            "--config",
            "profile.release.lto=true",
            "--config",
            "profile.release.codegen-units=1",
        ]);
    for guest in BUNDLED {
        command.args(["-p", guest]);
    }
    command.arg("--lib");
    for example in EXAMPLES {
        command.args(["--example", example]);
    }
    let status = command
        .status()
        .unwrap_or_else(|e| fail(&format!("could not run cargo to build the guests: {e}")));
    if !status.success() {
        fail(
            "building the guests in guests/ for wasm32-wasip2 failed (see the cargo output above)",
        );
    }
    let release = target_dir.join(TARGET).join("release");
    for guest in BUNDLED {
        set_path(guest, &release);
    }
    for example in EXAMPLES {
        set_path(example, &release.join("examples"));
    }
}

/// Sets `SWITCHYARD_GUEST_<NAME>` to the component `name` built in `dir`,
/// which must be there.
fn set_path(name: &str, dir: &Path) {
    let name = name.replace('-', "_");
    let wasm = dir.join(format!("{name}.wasm"));
    if !wasm.is_file() {
        fail(&format!(
            "the guest build did not produce {}",
            wasm.display()
        ));
    }
    println!(
        "cargo::rustc-env=SWITCHYARD_GUEST_{}={}",
        name.to_uppercase(),
        wasm.display()
    );
}

/// Fails with the one line a user needs when the wasm target is not installed.
fn require_wasm_target() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    let installed =
        sysroot.is_some_and(|root| Path::new(&root).join("lib/rustlib").join(TARGET).is_dir());
    if !installed {
        fail("the wasm32-wasip2 target is missing: run `rustup target add wasm32-wasip2`");
    }
}

/// Reports `message` as the build's error (cargo prints it first, as one line).
fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    exit(1);
}
