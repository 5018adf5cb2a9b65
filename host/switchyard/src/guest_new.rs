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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use toml::{Table, Value};

/// Where an embedded file goes in the new crate, and its text.
type File = (&'static str, &'static str);

/// The SDK's crate, as `sdk/` (checked against the disk by a test).
const SDK: [File; 7] = [
    (
        "sdk/Cargo.toml",
        include_str!("../../../guests/sdk/Cargo.toml"),
    ),
    (
        "sdk/src/call.rs",
        include_str!("../../../guests/sdk/src/call.rs"),
    ),
    (
        "sdk/src/flow.rs",
        include_str!("../../../guests/sdk/src/flow.rs"),
    ),
    (
        "sdk/src/lib.rs",
        include_str!("../../../guests/sdk/src/lib.rs"),
    ),
    (
        "sdk/src/params.rs",
        include_str!("../../../guests/sdk/src/params.rs"),
    ),
    (
        "sdk/src/store.rs",
        include_str!("../../../guests/sdk/src/store.rs"),
    ),
    (
        "sdk/src/tree.rs",
        include_str!("../../../guests/sdk/src/tree.rs"),
    ),
];

/// The `switchyard-value` crate, as `value/`.
const VALUE: [File; 3] = [
    (
        "value/Cargo.toml",
        include_str!("../../../guests/value/Cargo.toml"),
    ),
    (
        "value/src/lib.rs",
        include_str!("../../../guests/value/src/lib.rs"),
    ),
    (
        "value/src/value.rs",
        include_str!("../../../guests/value/src/value.rs"),
    ),
];

/// The WIT package the SDK binds, as `wit/`.
const WIT: [File; 1] = [(
    "wit/v0.2.0/call.wit",
    include_str!("../../../wit/v0.2.0/call.wit"),
)];

/// The toolchain this repository builds with (it installs the wasm32-wasip2 target).
const TOOLCHAIN: File = (
    "rust-toolchain.toml",
    include_str!("../../../rust-toolchain.toml"),
);

/// The example flow, `src/lib.rs`; `{{name}}` is the crate's name.
const EXAMPLE: &str = include_str!("../scaffold/lib.rs");
/// The crate's README; `{{name}}` is its name, `{{file}}` its component's file name.
const README: &str = include_str!("../scaffold/README.md");

/// This repository's workspace manifest and lock file, the source of versions.
const WORKSPACE_MANIFEST: &str = include_str!("../../../Cargo.toml");
const WORKSPACE_LOCK: &str = include_str!("../../../Cargo.lock");

/// The embedded crates: their directory in this repository and in the new crate.
const CRATES: [(&str, &str); 2] = [("guests/sdk", "sdk"), ("guests/value", "value")];

/// How the SDK names the WIT directory here, and in the new crate.
const WIT_PATH: (&str, &str) = ("path: \"../../wit/v0.2.0\"", "path: \"../wit/v0.2.0\"");

/// `guest new`: writes the crate `name` into `dir`, which must not exist.
pub fn new(name: &str, dir: &Path) -> ExitCode {
    if let Err(problem) = check_name(name) {
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
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty())
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        eprintln!("switchyard: {}: {e}", parent.display());
        return ExitCode::FAILURE;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "switchyard: {} already exists; give a new directory (--dir)",
                dir.display()
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("switchyard: {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = write(dir, &files) {
        eprintln!("switchyard: {e}");
        // The directory is new: nothing of anyone else's is in it.
        let _ = std::fs::remove_dir_all(dir);
        return ExitCode::FAILURE;
    }
    println!(
        "created guest {name} in {}; build it there with: cargo build --target wasm32-wasip2 --release",
        dir.display()
    );
    ExitCode::SUCCESS
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

/// Why `name` cannot name a crate (Cargo's rules, plus the embedded crates' names).
fn check_name(name: &str) -> Result<(), String> {
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
    if ["switchyard_sdk", "switchyard_value"].contains(&normalized.as_str()) {
        return Err("the new crate carries a crate of that name".into());
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

/// Every file of the crate `name`: path in the crate, text.
fn files(name: &str) -> Result<Vec<(String, String)>, String> {
    let workspace: Table =
        toml::from_str(WORKSPACE_MANIFEST).map_err(|e| format!("the workspace manifest: {e}"))?;
    let mut files: Vec<(String, String)> = SDK
        .iter()
        .chain(&VALUE)
        .chain(&WIT)
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
    let members: Vec<Table> = SDK
        .iter()
        .chain(&VALUE)
        .filter(|(path, _)| path.ends_with("/Cargo.toml"))
        .map(|(path, text)| toml::from_str(text).map_err(|e| format!("{path}: {e}")))
        .collect::<Result<_, _>>()?;
    let names: Vec<&str> = members
        .iter()
        .map(|member| {
            member
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .ok_or("an embedded manifest names no package")
        })
        .collect::<Result<_, _>>()?;
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

/// The new crate's `Cargo.toml`: the package `name` and a workspace of it and
/// the embedded crates (`members`: their manifests, the SDK's first), with
/// what those inherit from this repository's `workspace`.
fn manifest(name: &str, workspace: &Table, members: &[Table]) -> Result<String, String> {
    let section = |key: &str| -> Result<&Table, String> {
        workspace
            .get("workspace")
            .and_then(|w| w.get(key))
            .and_then(Value::as_table)
            .ok_or_else(|| format!("the workspace manifest has no [workspace.{key}]"))
    };
    let (package, dependencies) = (section("package")?, section("dependencies")?);
    let mut inherited_package = BTreeMap::new();
    let mut inherited_dependencies = BTreeMap::new();
    for member in members {
        for (key, value) in member
            .get("package")
            .and_then(Value::as_table)
            .into_iter()
            .flatten()
        {
            if inherits(value) {
                let value = package
                    .get(key)
                    .ok_or_else(|| format!("[workspace.package] has no {key}"))?;
                inherited_package.insert(key.clone(), value.clone());
            }
        }
        for (key, value) in member
            .get("dependencies")
            .and_then(Value::as_table)
            .into_iter()
            .flatten()
        {
            if inherits(value) {
                let value = dependencies
                    .get(key)
                    .ok_or_else(|| format!("[workspace.dependencies] has no {key}"))?;
                inherited_dependencies.insert(key.clone(), relocated(key, value)?);
            }
        }
    }
    let edition = inherited_package
        .get("edition")
        .ok_or("the embedded crates inherit no edition")?;
    let lints = section("lints")?;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "[package]\nname = {}\nversion = \"0.1.0\"\nedition = {edition}\npublish = false\n\n\
         [lib]\ncrate-type = [\"cdylib\"]\n\n\
         [dependencies]\nswitchyard-sdk = {{ path = \"sdk\" }}\n\n\
         [lints]\nworkspace = true\n\n\
         # The SDK and the crate it needs, carried here until they are published.\n\
         [workspace]\nmembers = [{}]\nresolver = \"3\"",
        Value::String(name.to_owned()),
        CRATES
            .iter()
            .map(|(_, dir)| format!("\"{dir}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    table(&mut out, "workspace.package", &inherited_package);
    table(&mut out, "workspace.dependencies", &inherited_dependencies);
    for (group, entries) in lints {
        let entries = entries
            .as_table()
            .ok_or_else(|| format!("[workspace.lints.{group}] is not a table"))?;
        table(&mut out, &format!("workspace.lints.{group}"), entries);
    }
    Ok(out)
}

/// `[name]` and its entries, inline.
fn table<'a>(
    out: &mut String,
    name: &str,
    entries: impl IntoIterator<Item = (&'a String, &'a Value)>,
) {
    let _ = writeln!(out, "\n[{name}]");
    for (key, value) in entries {
        let _ = writeln!(out, "{key} = {value}");
    }
}

/// `key.workspace = true`.
fn inherits(value: &Value) -> bool {
    value.get("workspace").and_then(Value::as_bool) == Some(true)
}

/// A workspace dependency for the new crate: a path to one of the embedded
/// crates points to its copy; any other path cannot be carried.
fn relocated(key: &str, value: &Value) -> Result<Value, String> {
    let Some(path) = value.get("path").and_then(Value::as_str) else {
        return Ok(value.clone());
    };
    let (_, dir) = CRATES
        .iter()
        .find(|(here, _)| *here == path)
        .ok_or_else(|| format!("{key} is at {path}, which the new crate does not carry"))?;
    let mut value = value.as_table().cloned().unwrap_or_default();
    value.insert("path".into(), Value::String((*dir).to_owned()));
    Ok(Value::Table(value))
}

/// One package of a lock file.
#[derive(Debug)]
struct Locked {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    dependencies: Vec<String>,
}

/// The new crate's `Cargo.lock`: the package `name` (depending on the first
/// of `crates`), the embedded `crates`, and every package they depend on at
/// the version `workspace_lock` (this repository's lock file) has.
fn lock(name: &str, workspace_lock: &str, crates: &[&str]) -> Result<String, String> {
    let parsed: Table =
        toml::from_str(workspace_lock).map_err(|e| format!("the workspace lock file: {e}"))?;
    let format = parsed
        .get("version")
        .and_then(Value::as_integer)
        .ok_or("the workspace lock file has no version")?;
    let packages: Vec<Locked> = parsed
        .get("package")
        .and_then(Value::as_array)
        .ok_or("the workspace lock file lists no packages")?
        .iter()
        .map(|package| {
            let text = |key: &str| package.get(key).and_then(Value::as_str).map(str::to_owned);
            Ok(Locked {
                name: text("name").ok_or("a locked package without a name")?,
                version: text("version").ok_or("a locked package without a version")?,
                source: text("source"),
                checksum: text("checksum"),
                dependencies: package
                    .get("dependencies")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|d| d.as_str().map(str::to_owned))
                    .collect(),
            })
        })
        .collect::<Result<_, &str>>()?;
    // A dependency is "name", or "name version" when the lock holds several.
    let find = |dependency: &str| -> Result<usize, String> {
        let mut words = dependency.split(' ');
        let name = words.next().unwrap_or_default();
        let version = words.next();
        packages
            .iter()
            .position(|p| p.name == name && version.is_none_or(|v| p.version == v))
            .ok_or_else(|| format!("the workspace lock file has no {dependency}"))
    };
    let roots: Vec<usize> = crates
        .iter()
        .map(|name| find(name))
        .collect::<Result<_, _>>()?;
    let mut kept = BTreeSet::new();
    let mut next = roots.clone();
    while let Some(index) = next.pop() {
        if kept.insert(index) {
            for dependency in &packages[index].dependencies {
                next.push(find(dependency)?);
            }
        }
    }
    let guest = Locked {
        name: name.to_owned(),
        version: "0.1.0".into(),
        source: None,
        checksum: None,
        dependencies: crates.iter().take(1).map(|c| (*c).to_owned()).collect(),
    };
    let mut listed: Vec<&Locked> = kept.iter().map(|&i| &packages[i]).collect();
    listed.push(&guest);
    listed.sort_by(|a, b| {
        (a.name.as_str(), version_key(&a.version)).cmp(&(b.name.as_str(), version_key(&b.version)))
    });
    let mut out = format!(
        "# This file is automatically @generated by Cargo.\n\
         # It is not intended for manual editing.\nversion = {format}\n"
    );
    for package in &listed {
        let _ = write!(
            out,
            "\n[[package]]\nname = \"{}\"\nversion = \"{}\"\n",
            package.name, package.version
        );
        if let Some(source) = &package.source {
            let _ = writeln!(out, "source = \"{source}\"");
        }
        if let Some(checksum) = &package.checksum {
            let _ = writeln!(out, "checksum = \"{checksum}\"");
        }
        if !package.dependencies.is_empty() {
            out.push_str("dependencies = [\n");
            for dependency in &package.dependencies {
                // "name version" only where the new lock has several versions.
                let name = dependency.split(' ').next().unwrap_or_default();
                let dependency = if listed.iter().filter(|p| p.name == name).count() == 1 {
                    name
                } else {
                    dependency
                };
                let _ = writeln!(out, " \"{dependency}\",");
            }
            out.push_str("]\n");
        }
    }
    Ok(out)
}

/// A version's numbers, for sorting as Cargo does ("0.10.0" after "0.9.1").
fn version_key(version: &str) -> Vec<u64> {
    version
        .split(['.', '-', '+'])
        .map_while(|part| part.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn repository() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
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
            ("wit/v0.2.0", &WIT[..], "wit/v0.2.0/"),
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
            (
                "switchyard-sdk",
                "the new crate carries a crate of that name",
            ),
        ] {
            assert_eq!(check_name(bad), Err(why.to_owned()), "{bad:?}");
        }
        assert!(check_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn the_manifest_inherits_the_workspace_versions_and_carries_the_crates() {
        let files = files("demo").unwrap();
        let file = |name: &str| &files.iter().find(|(path, _)| path == name).unwrap().1;
        let manifest: Table = toml::from_str(file("Cargo.toml")).unwrap();
        let workspace: Table = toml::from_str(WORKSPACE_MANIFEST).unwrap();
        assert_eq!(manifest["package"]["name"].as_str(), Some("demo"));
        assert_eq!(
            manifest["workspace"]["members"],
            Value::Array(vec!["sdk".into(), "value".into()])
        );
        let dependencies = &manifest["workspace"]["dependencies"];
        for crate_name in ["wit-bindgen", "thiserror"] {
            assert_eq!(
                dependencies[crate_name], workspace["workspace"]["dependencies"][crate_name],
                "{crate_name}"
            );
        }
        assert_eq!(
            dependencies["switchyard-value"]["path"].as_str(),
            Some("value")
        );
        assert_eq!(
            manifest["workspace"]["lints"], workspace["workspace"]["lints"],
            "the same lints"
        );
        assert!(file("sdk/src/lib.rs").contains("path: \"../wit/v0.2.0\""));
        assert!(file("src/lib.rs").starts_with("//! demo: a Switchyard call flow."));
        assert!(file("README.md").contains("demo.wasm"));
    }

    #[test]
    fn the_lock_file_has_the_workspace_versions_of_what_the_sdk_needs() {
        let text = lock(
            "my-flow",
            WORKSPACE_LOCK,
            &["switchyard-sdk", "switchyard-value"],
        )
        .unwrap();
        let parsed: Table = toml::from_str(&text).unwrap();
        let packages = parsed["package"].as_array().unwrap();
        let version_of = |lock: &[Value], name: &str| -> Vec<String> {
            lock.iter()
                .filter(|p| p["name"].as_str() == Some(name))
                .map(|p| p["version"].as_str().unwrap().to_owned())
                .collect()
        };
        let workspace: Table = toml::from_str(WORKSPACE_LOCK).unwrap();
        let all = workspace["package"].as_array().unwrap();
        let sdk = all
            .iter()
            .find(|p| p["name"].as_str() == Some("switchyard-sdk"))
            .unwrap();
        let wit_bindgen = sdk["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|d| d.as_str().unwrap().strip_prefix("wit-bindgen"))
            .unwrap()
            .trim()
            .to_owned();
        let wanted = if wit_bindgen.is_empty() {
            version_of(all, "wit-bindgen")
        } else {
            vec![wit_bindgen]
        };
        assert_eq!(version_of(packages, "wit-bindgen"), wanted);
        assert_eq!(version_of(packages, "my-flow"), ["0.1.0"]);
        for name in [
            "switchyard-sdk",
            "switchyard-value",
            "thiserror",
            "wit-bindgen-rust-macro",
        ] {
            assert_eq!(version_of(packages, name).len(), 1, "{name} in\n{text}");
        }
        // Nothing the host alone needs.
        for name in ["wasmtime", "tokio", "switchyard-core"] {
            assert!(version_of(packages, name).is_empty(), "{name} in\n{text}");
        }
        // Every dependency is listed, and each package once.
        for package in packages {
            for dependency in package
                .get("dependencies")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let mut words = dependency.as_str().unwrap().split(' ');
                let name = words.next().unwrap();
                let versions = version_of(packages, name);
                match words.next() {
                    Some(version) => assert!(versions.iter().any(|v| v == version), "{dependency}"),
                    None => assert_eq!(versions.len(), 1, "{dependency}"),
                }
            }
        }
        assert!(text.starts_with("# This file is automatically @generated by Cargo."));
    }

    #[test]
    fn versions_sort_by_number() {
        assert!(version_key("0.9.1") < version_key("0.10.0"));
        assert_eq!(version_key("1.2.1+spec-1.1.0"), [1, 2, 1]);
    }
}
