//! Where the guest's records go for SEMS's `feedback_file`. The guest's
//! records store counts every file of its `records_dir` against its limit,
//! and `resetFeedback` empties whichever file of it it is named, so the
//! directory must be the feedback file's own: not one other programs write
//! in, and holding no other file.

use crate::config::same_path;
use std::path::{Path, PathBuf};

/// Directories other programs write in, never taken as a records directory
/// (nor is any directory of `/home`).
const SHARED: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/dev/shm",
    "/etc",
    "/home",
    "/lib",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/local",
    "/usr/share",
    "/var",
    "/var/cache",
    "/var/lib",
    "/var/local",
    "/var/log",
    "/var/mail",
    "/var/opt",
    "/var/run",
    "/var/spool",
    "/var/tmp",
];

/// How many of the other files a directory holds are named.
const NAMED_OTHERS: usize = 3;

/// Why the absolute directory `dir` is not the feedback file `name`'s own,
/// if it is not: it is `stats_dir` (SEMS's, when mapped), a system or home
/// directory (as written or with its links resolved), or, on this machine
/// now, it holds other files than `name` or cannot be listed. A directory
/// that does not exist holds none.
pub fn why_not_own(dir: &Path, name: &str, stats_dir: Option<&Path>) -> Option<String> {
    let shown = dir.display();
    if stats_dir.is_some_and(|stats_dir| same_path(dir, stats_dir)) {
        return Some(format!(
            "{shown} is stats_dir, where the server keeps its stats file"
        ));
    }
    if is_shared(dir) {
        return Some(format!(
            "{shown} is a system directory other programs write in"
        ));
    }
    match other_files(dir, name) {
        Ok(others) if others.is_empty() => None,
        Ok(others) => Some(format!("{shown} holds other files ({})", listed(&others))),
        Err(e) => Some(format!(
            "{shown} cannot be listed here ({e}), so it may hold other files"
        )),
    }
}

/// A directory of the feedback file `name`'s own beside it in `dir`: named
/// after it without its extension, or `<name>.d` when it has none.
pub fn own_dir(dir: &Path, name: &str) -> PathBuf {
    let stem = Path::new(name)
        .file_stem()
        .and_then(|stem| stem.to_str())
        .filter(|stem| *stem != name);
    match stem {
        Some(stem) => dir.join(stem),
        None => dir.join(format!("{name}.d")),
    }
}

fn is_shared(dir: &Path) -> bool {
    let resolved = dir.canonicalize().ok();
    std::iter::once(dir).chain(resolved.as_deref()).any(|dir| {
        SHARED.iter().any(|shared| dir == Path::new(shared))
            || dir.parent() == Some(Path::new("/home"))
    })
}

/// The names in `dir`, sorted, other than `name` and the directories (links
/// to them included), which the records store neither counts nor empties.
fn other_files(dir: &Path, name: &str) -> std::io::Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut others = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_name() != name && !entry.path().is_dir() {
            others.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    others.sort();
    Ok(others)
}

/// The first [`NAMED_OTHERS`] of `names`, and how many more there are.
fn listed(names: &[String]) -> String {
    let named = names[..names.len().min(NAMED_OTHERS)].join(", ");
    match names.len().saturating_sub(NAMED_OTHERS) {
        0 => named,
        more => format!("{named} and {more} more"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_and_home_directories_are_never_the_feedback_files_own() {
        for dir in [
            "/var/log",
            "/var/log/",
            "/var//log",
            "/tmp",
            "/var/tmp",
            "/",
            "/etc",
            "/home/someone",
            "/root",
        ] {
            let why = why_not_own(Path::new(dir), "feedback.txt", None);
            assert_eq!(
                why,
                Some(format!(
                    "{dir} is a system directory other programs write in"
                )),
                "for {dir}"
            );
        }
    }

    #[test]
    fn a_directory_holding_other_files_is_not_the_feedback_files_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path();
        assert_eq!(why_not_own(path, "feedback.txt", None), None, "empty");
        std::fs::write(path.join("feedback.txt"), "").unwrap();
        std::fs::create_dir(path.join("stats")).unwrap();
        assert_eq!(
            why_not_own(path, "feedback.txt", None),
            None,
            "the file itself and a directory"
        );
        for name in ["auth.log", "b", "c", "d"] {
            std::fs::write(path.join(name), "").unwrap();
        }
        assert_eq!(
            why_not_own(path, "feedback.txt", None),
            Some(format!(
                "{} holds other files (auth.log, b, c and 1 more)",
                path.display()
            ))
        );
        assert_eq!(
            why_not_own(&path.join("missing"), "feedback.txt", None),
            None,
            "a directory still to be made holds nothing"
        );
    }

    #[test]
    fn the_own_directory_is_named_after_the_file() {
        let var_log = Path::new("/var/log");
        assert_eq!(
            own_dir(var_log, "sems-webconference-feedback.txt"),
            Path::new("/var/log/sems-webconference-feedback")
        );
        assert_eq!(
            own_dir(var_log, "feedback"),
            Path::new("/var/log/feedback.d")
        );
    }
}
