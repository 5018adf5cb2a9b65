//! The WIT files: one frozen directory per version the host serves, each
//! holding its package at that version, and every item of a released
//! version documented.

use std::path::{Path, PathBuf};
use switchyard_guest::WitVersion;

/// The draft, frozen as it was before versions were released.
const DRAFT: WitVersion = WitVersion::V0_1;

/// The directory of `switchyard:settings`, the config check any version's guest may export.
const SETTINGS_DIR: &str = "settings";

/// The config check's WIT, the version the host asks.
fn settings_source() -> String {
    let path = wit_dir().join(SETTINGS_DIR).join("v0.1.0/settings.wit");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn wit_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit")
}

fn source(version: WitVersion) -> String {
    let path = wit_dir()
        .join(format!("v{}", version.number()))
        .join("call.wit");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn each_served_version_has_its_own_directory_and_nothing_else_does() {
    let mut dirs: Vec<String> = std::fs::read_dir(wit_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut served: Vec<String> = WitVersion::SUPPORTED
        .iter()
        .map(|v| format!("v{}", v.number()))
        .chain([SETTINGS_DIR.to_owned()])
        .collect();
    served.sort();
    assert_eq!(dirs, served);
    for version in WitVersion::SUPPORTED {
        let package = format!("package {version};");
        assert!(
            source(version).lines().any(|line| line == package),
            "wit/v{} does not declare `{package}`",
            version.number()
        );
    }
}

/// The lines of `wit` that declare an item (a package, interface, world,
/// type, field, case or function) with no `///` line right above.
fn undocumented(wit: &str) -> Vec<String> {
    let mut previous = "";
    let mut missing = Vec::new();
    for line in wit.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let first = line.split_whitespace().next().unwrap_or_default();
        let declares = !line.starts_with("///")
            && !line.starts_with('}')
            && !["use", "import", "export", "include"].contains(&first);
        if declares && !previous.starts_with("///") {
            missing.push(line.to_owned());
        }
        previous = line;
    }
    missing
}

#[test]
fn every_item_of_a_released_version_is_documented() {
    for version in WitVersion::SUPPORTED.into_iter().filter(|&v| v != DRAFT) {
        assert_eq!(
            undocumented(&source(version)),
            Vec::<String>::new(),
            "wit/v{}",
            version.number()
        );
    }
    let settings = settings_source();
    assert!(
        settings
            .lines()
            .any(|l| l == "package switchyard:settings@0.1.0;")
    );
    assert_eq!(
        undocumented(&settings),
        Vec::<String>::new(),
        "wit/settings"
    );
    // The check finds what the draft left undocumented.
    assert!(undocumented(&source(DRAFT)).contains(&"from-uri: string,".to_owned()));
}
