//! `switchyard guest new NAME`: a new guest crate that builds on its own,
//! anywhere, with `cargo build --target wasm32-wasip2 --release`.
//!
//! The crate holds an example call flow on the SDK, and carries the SDK, the
//! `switchyard-value` crate it depends on and the WIT files (embedded in this
//! binary) as path dependencies of its own small workspace. Its `Cargo.toml`
//! takes the dependency versions, package settings and lints of this
//! repository's workspace, and its `Cargo.lock` the locked versions of
//! everything the SDK needs, so it builds with the same crates (offline, if
//! the registry cache has them).

use crate::cli_output;
use std::path::Path;
use std::process::ExitCode;
use toml::{Table, Value};

mod lock;
mod manifest;

use lock::{lock, locked_names};
use manifest::manifest;

/// Where an embedded file goes in the new crate, and its text.
type File = (&'static str, &'static str);

/// The SDK's crate, as `sdk/` (checked against the disk by a test).
const SDK: [File; 12] = [
    (
        "sdk/Cargo.toml",
        include_str!("../../../../guests/sdk/Cargo.toml"),
    ),
    (
        "sdk/src/call.rs",
        include_str!("../../../../guests/sdk/src/call.rs"),
    ),
    (
        "sdk/src/clock.rs",
        include_str!("../../../../guests/sdk/src/clock.rs"),
    ),
    (
        "sdk/src/config_keys.rs",
        include_str!("../../../../guests/sdk/src/config_keys.rs"),
    ),
    (
        "sdk/src/flow.rs",
        include_str!("../../../../guests/sdk/src/flow.rs"),
    ),
    (
        "sdk/src/lib.rs",
        include_str!("../../../../guests/sdk/src/lib.rs"),
    ),
    (
        "sdk/src/params.rs",
        include_str!("../../../../guests/sdk/src/params.rs"),
    ),
    (
        "sdk/src/room_name.rs",
        include_str!("../../../../guests/sdk/src/room_name.rs"),
    ),
    (
        "sdk/src/source_limit.rs",
        include_str!("../../../../guests/sdk/src/source_limit.rs"),
    ),
    (
        "sdk/src/store.rs",
        include_str!("../../../../guests/sdk/src/store.rs"),
    ),
    (
        "sdk/src/tree.rs",
        include_str!("../../../../guests/sdk/src/tree.rs"),
    ),
    (
        "sdk/src/uri.rs",
        include_str!("../../../../guests/sdk/src/uri.rs"),
    ),
];

/// The `switchyard-value` crate, as `value/`.
const VALUE: [File; 3] = [
    (
        "value/Cargo.toml",
        include_str!("../../../../guests/value/Cargo.toml"),
    ),
    (
        "value/src/lib.rs",
        include_str!("../../../../guests/value/src/lib.rs"),
    ),
    (
        "value/src/value.rs",
        include_str!("../../../../guests/value/src/value.rs"),
    ),
];

/// The WIT package the SDK binds, as `wit/v0.4.0/`.
const WIT_CALL: [File; 1] = [(
    "wit/v0.4.0/call.wit",
    include_str!("../../../../wit/v0.4.0/call.wit"),
)];

/// The WIT package whose world the config check's package includes, as
/// `wit/v0.3.0/`: the SDK reads it to read that package, and binds none of it.
const WIT_CALL_OF_SETTINGS: [File; 1] = [(
    "wit/v0.3.0/call.wit",
    include_str!("../../../../wit/v0.3.0/call.wit"),
)];

/// The WIT package of the config check the SDK exports, as `wit/settings/v0.1.0/`.
const WIT_SETTINGS: [File; 1] = [(
    "wit/settings/v0.1.0/settings.wit",
    include_str!("../../../../wit/settings/v0.1.0/settings.wit"),
)];

/// The toolchain this repository builds with (it installs the wasm32-wasip2 target).
const TOOLCHAIN: File = (
    "rust-toolchain.toml",
    include_str!("../../../../rust-toolchain.toml"),
);

/// The example flow, `src/lib.rs`; `{{name}}` is the crate's name.
const EXAMPLE: &str = include_str!("../../scaffold/lib.rs");
/// The crate's README; `{{name}}` is its name, `{{file}}` its component's file name.
const README: &str = include_str!("../../scaffold/README.md");

/// This repository's workspace manifest and lock file, the source of versions.
const WORKSPACE_MANIFEST: &str = include_str!("../../../../Cargo.toml");
const WORKSPACE_LOCK: &str = include_str!("../../../../Cargo.lock");

/// The embedded crates: their directory in this repository and in the new crate.
const CRATES: [(&str, &str); 2] = [("guests/sdk", "sdk"), ("guests/value", "value")];

/// How the SDK names the WIT directories here, and in the new crate.
const WIT_PATH: (&str, &str) = (
    "path: [\"../../wit/v0.3.0\", \"../../wit/v0.4.0\", \"../../wit/settings/v0.1.0\"]",
    "path: [\"../wit/v0.3.0\", \"../wit/v0.4.0\", \"../wit/settings/v0.1.0\"]",
);

/// `guest new`: writes the crate `name` into `dir`, which must not exist.
pub fn new(name: &str, dir: &Path) -> ExitCode {
    let locked = match embedded_packages() {
        Ok(locked) => locked,
        Err(e) => {
            eprintln!("switchyard: cannot make the crate: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(problem) = check_name(name, &locked) {
        eprintln!("switchyard: {name:?} is not a valid crate name: {problem}");
        return ExitCode::FAILURE;
    }
    let files = match files(name) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("switchyard: cannot make the crate: {e}");
            return ExitCode::FAILURE;
        }
    };
    let made = match make_new_dir(dir) {
        Ok(made) => made,
        Err(problem) => {
            eprintln!("switchyard: {problem}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = write(dir, &files) {
        eprintln!("switchyard: {e}");
        unmake(made);
        return ExitCode::FAILURE;
    }
    let told = cli_output::print(&format!(
        "created guest {name} in {}; build it there with: cargo build --target wasm32-wasip2 --release\n",
        dir.display()
    ));
    if told != ExitCode::SUCCESS {
        unmake(made);
    }
    told
}

/// Makes the directory `dir`, which must not exist, and those of its parents that do not:
/// the outermost directory made, which holds all that was made; else the problem, with
/// nothing made.
fn make_new_dir(dir: &Path) -> Result<&Path, String> {
    let outermost = outermost_missing(dir);
    let made = make_dir_and_parents(dir);
    if made.is_err() && outermost != dir {
        // Parents made before the failure.
        unmake(outermost);
    }
    made.map(|()| outermost)
}

/// The outermost of `dir` and its parents that does not exist (`dir` when it does, or when
/// it goes up with `..`: its written parents are then not the directories that hold it).
fn outermost_missing(dir: &Path) -> &Path {
    if dir
        .components()
        .any(|part| part == std::path::Component::ParentDir)
    {
        return dir;
    }
    dir.ancestors()
        .take_while(|path| {
            !path.as_os_str().is_empty()
                && std::fs::symlink_metadata(path)
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        })
        .last()
        .unwrap_or(dir)
}

/// Makes the parents of `dir` that do not exist, then `dir`, which must not.
fn make_dir_and_parents(dir: &Path) -> Result<(), String> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::create_dir(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => format!(
            "{} already exists; give a new directory (--dir)",
            dir.display()
        ),
        _ => format!("{}: {e}", dir.display()),
    })
}

/// Removes `made`, the outermost directory [`make_new_dir`] made, and all in it: exit 1
/// leaves nothing made, so the same command can be run again.
fn unmake(made: &Path) {
    // It did not exist before: nothing of anyone else's is in it.
    let _ = std::fs::remove_dir_all(made);
}

fn write(dir: &Path, files: &[(String, String)]) -> Result<(), String> {
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Why `name` cannot name a crate: Cargo's rules, plus the names of the packages in
/// its lock file (`locked`, [`embedded_packages`]), which a second package of the
/// same name would make ambiguous.
fn check_name(name: &str, locked: &[String]) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err("it is empty".into());
    };
    if !first.is_ascii_alphabetic() {
        return Err("it must start with a letter".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "{bad:?} is not allowed (letters, digits, - and _ only)"
        ));
    }
    if name.len() > 64 {
        return Err("it is longer than 64 characters".into());
    }
    let normalized = name.replace('-', "_");
    if KEYWORDS.contains(&normalized.as_str()) {
        return Err("it is a Rust keyword".into());
    }
    if ["std", "core", "alloc", "proc_macro", "test"].contains(&normalized.as_str()) {
        return Err("it is the name of a Rust built-in crate".into());
    }
    if locked
        .iter()
        .any(|package| package.replace('-', "_") == normalized)
    {
        return Err(
            "the new crate's Cargo.lock holds a package of that name (the SDK's, or one it \
             depends on)"
                .into(),
        );
    }
    Ok(())
}

/// Rust's keywords, reserved ones included.
const KEYWORDS: [&str; 51] = [
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while",
];

/// The manifests of the embedded crates.
fn members() -> Result<Vec<Table>, String> {
    SDK.iter()
        .chain(&VALUE)
        .filter(|(path, _)| path.ends_with("/Cargo.toml"))
        .map(|(path, text)| toml::from_str(text).map_err(|e| format!("{path}: {e}")))
        .collect()
}

/// The package names of the manifests `members`.
fn package_names(members: &[Table]) -> Result<Vec<&str>, String> {
    members
        .iter()
        .map(|member| {
            member
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .ok_or_else(|| "an embedded manifest names no package".to_owned())
        })
        .collect()
}

/// The names of the packages the new crate's lock file holds besides its own.
fn embedded_packages() -> Result<Vec<String>, String> {
    let members = members()?;
    locked_names(WORKSPACE_LOCK, &package_names(&members)?)
}

/// Every file of the crate `name`: path in the crate, text.
fn files(name: &str) -> Result<Vec<(String, String)>, String> {
    let workspace: Table =
        toml::from_str(WORKSPACE_MANIFEST).map_err(|e| format!("the workspace manifest: {e}"))?;
    let mut files: Vec<(String, String)> = SDK
        .iter()
        .chain(&VALUE)
        .chain(&WIT_CALL)
        .chain(&WIT_CALL_OF_SETTINGS)
        .chain(&WIT_SETTINGS)
        .chain([&TOOLCHAIN])
        .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
        .collect();
    let lib = files
        .iter_mut()
        .find(|(path, _)| path == "sdk/src/lib.rs")
        .expect("the SDK has a lib.rs");
    if lib.1.matches(WIT_PATH.0).count() != 1 {
        return Err(format!(
            "the SDK does not name its WIT files as {}",
            WIT_PATH.0
        ));
    }
    lib.1 = lib.1.replace(WIT_PATH.0, WIT_PATH.1);
    let members = members()?;
    let names = package_names(&members)?;
    files.push(("Cargo.toml".into(), manifest(name, &workspace, &members)?));
    files.push(("Cargo.lock".into(), lock(name, WORKSPACE_LOCK, &names)?));
    files.push(("src/lib.rs".into(), EXAMPLE.replace("{{name}}", name)));
    files.push((
        "README.md".into(),
        README
            .replace("{{name}}", name)
            .replace("{{file}}", &format!("{}.wasm", name.replace('-', "_"))),
    ));
    files.push((".gitignore".into(), "/target\n".into()));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn repository() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn a_directory_reached_through_dot_dot_is_the_one_a_failure_removes() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().join("missing/../flow");
        assert_eq!(outermost_missing(&dir), dir.as_path());
        let plain = scratch.path().join("a/b/flow");
        assert_eq!(outermost_missing(&plain), scratch.path().join("a"));
    }

    /// Every file under `dir` of the repository, as repository paths, sorted.
    fn on_disk(dir: &str) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    let relative = path.strip_prefix(root).unwrap();
                    out.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        let root = repository();
        let mut out = Vec::new();
        walk(&root, &root.join(dir), &mut out);
        out.sort();
        out
    }

    #[test]
    fn the_embedded_files_are_every_file_of_the_sdk_value_and_wit_directories() {
        for (dir, files, here) in [
            ("guests/sdk", &SDK[..], "sdk/"),
            ("guests/value", &VALUE[..], "value/"),
            ("wit/v0.4.0", &WIT_CALL[..], "wit/v0.4.0/"),
            ("wit/v0.3.0", &WIT_CALL_OF_SETTINGS[..], "wit/v0.3.0/"),
            (
                "wit/settings/v0.1.0",
                &WIT_SETTINGS[..],
                "wit/settings/v0.1.0/",
            ),
        ] {
            let embedded: Vec<String> = files
                .iter()
                .map(|(path, _)| {
                    let relative = path.strip_prefix(here).unwrap();
                    format!("{dir}/{relative}")
                })
                .collect();
            assert_eq!(embedded, on_disk(dir), "the files embedded from {dir}");
            for (path, text) in files {
                let relative = path.strip_prefix(here).unwrap();
                let disk = std::fs::read_to_string(repository().join(dir).join(relative)).unwrap();
                assert_eq!(*text, disk, "{path} is {dir}/{relative}");
            }
        }
    }

    #[test]
    fn names_follow_cargo_rules() {
        let locked = embedded_packages().unwrap();
        let check_name = |name: &str| check_name(name, &locked);
        for good in ["demo", "my-flow", "flow_2", "A1"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("", "it is empty"),
            ("2fast", "it must start with a letter"),
            ("-x", "it must start with a letter"),
            (
                "my flow",
                "' ' is not allowed (letters, digits, - and _ only)",
            ),
            ("../x", "it must start with a letter"),
            ("a/b", "'/' is not allowed (letters, digits, - and _ only)"),
            ("fn", "it is a Rust keyword"),
            ("std", "it is the name of a Rust built-in crate"),
        ] {
            assert_eq!(check_name(bad), Err(why.to_owned()), "{bad:?}");
        }
        assert!(check_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn a_name_of_a_package_in_the_new_lock_file_is_refused() {
        let locked = embedded_packages().unwrap();
        for name in [
            "switchyard-sdk",
            "switchyard_value",
            "bitflags",
            "wit_bindgen",
        ] {
            assert!(
                locked
                    .iter()
                    .any(|p| p.replace('-', "_") == name.replace('-', "_")),
                "{name} in {locked:?}"
            );
            assert_eq!(
                check_name(name, &locked),
                Err(
                    "the new crate's Cargo.lock holds a package of that name (the SDK's, or one \
                     it depends on)"
                        .to_owned()
                ),
                "{name}"
            );
        }
        // What the host alone needs is no package of the new crate's lock.
        assert_eq!(check_name("tokio", &locked), Ok(()));
    }
}
