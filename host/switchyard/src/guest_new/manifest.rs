//! The new crate's `Cargo.toml`, from this repository's workspace manifest.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use toml::{Table, Value};

use super::CRATES;

/// The new crate's `Cargo.toml`: the package `name` and a workspace of it and
/// the embedded crates (`members`: their manifests, the SDK's first), with
/// what those inherit from this repository's `workspace`.
pub(super) fn manifest(name: &str, workspace: &Table, members: &[Table]) -> Result<String, String> {
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
        inherit(
            member,
            "package",
            package,
            &mut inherited_package,
            |_, value| Ok(value.clone()),
        )?;
        inherit(
            member,
            "dependencies",
            dependencies,
            &mut inherited_dependencies,
            relocated,
        )?;
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

/// Copies into `into` what `member`'s `[section]` inherits (`key.workspace
/// = true`) from this workspace's `[workspace.section]`, `from`, each value
/// passed through `value`.
fn inherit(
    member: &Table,
    section: &str,
    from: &Table,
    into: &mut BTreeMap<String, Value>,
    value: impl Fn(&str, &Value) -> Result<Value, String>,
) -> Result<(), String> {
    for (key, own) in member
        .get(section)
        .and_then(Value::as_table)
        .into_iter()
        .flatten()
    {
        if inherits(own) {
            let inherited = from
                .get(key)
                .ok_or_else(|| format!("[workspace.{section}] has no {key}"))?;
            into.insert(key.clone(), value(key, inherited)?);
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest_new::{WORKSPACE_MANIFEST, files};

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
        assert!(
            file("sdk/src/lib.rs").contains(
                "path: [\"../wit/v0.3.0\", \"../wit/v0.4.0\", \"../wit/settings/v0.1.0\"]"
            )
        );
        assert!(file("src/lib.rs").starts_with("//! demo: a Switchyard call flow."));
        assert!(file("README.md").contains("demo.wasm"));
    }
}
