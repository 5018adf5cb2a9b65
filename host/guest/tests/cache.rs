//! The on-disk cache of compiled guests: a restart takes a guest from it, an
//! entry that cannot be used is replaced, and old entries go.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use support::{FakeHost, invite, misbehave_wasm, small_limits};
use switchyard_guest::{CompileCache, Guest, GuestConfig, Limits, Runtime};

/// A runtime under `limits` caching in `dir`, at most `max_entries`.
fn runtime(limits: Limits, dir: &Path, max_entries: usize) -> Runtime {
    Runtime::new(limits)
        .unwrap()
        .with_cache(Some(CompileCache::new(dir, max_entries)))
}

fn load(runtime: &Runtime, wasm: &[u8]) -> Guest {
    runtime
        .load("misbehave", wasm, GuestConfig::default())
        .unwrap()
}

/// The guest answers a call: its code, cached or not, runs.
fn assert_serves(guest: &Guest) {
    let host = Arc::new(FakeHost::default());
    let mut call = guest.instantiate(host.clone()).unwrap();
    call.on_invite(&invite("c1", "hello", &[])).unwrap();
    assert_eq!(host.log(), ["join c1 ok alice \"entered\"", "answer c1"]);
}

/// The entries in `dir`, sorted.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    entries
}

/// `wasm` with a custom section named `name` appended: another component
/// with the same code.
fn variant(wasm: &[u8], name: &str) -> Vec<u8> {
    let len = u8::try_from(name.len()).unwrap();
    let mut out = wasm.to_vec();
    out.extend_from_slice(&[0, len + 1, len]);
    out.extend_from_slice(name.as_bytes());
    out
}

#[test]
fn a_restart_takes_the_compiled_guest_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = misbehave_wasm();
    let first = load(&runtime(small_limits(), dir.path(), 4), &wasm);
    assert!(!first.from_cache());
    assert_eq!(entries(dir.path()).len(), 1);

    let restarted = runtime(small_limits(), dir.path(), 4);
    let again = load(&restarted, &wasm);
    assert!(again.from_cache());
    assert_serves(&again);
    assert_eq!(entries(dir.path()).len(), 1);
}

#[test]
fn the_cache_is_created_for_its_user_alone_and_a_directory_others_may_write_is_not_trusted() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("components");
    let wasm = misbehave_wasm();
    load(&runtime(small_limits(), &dir, 4), &wasm);
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    assert!(load(&runtime(small_limits(), &dir, 4), &wasm).from_cache());
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let untrusted = load(&runtime(small_limits(), &dir, 4), &wasm);
    assert!(
        !untrusted.from_cache(),
        "an entry anyone could have written is native code nobody vouches for"
    );
    assert_serves(&untrusted);
}

/// A cache directory holding the one entry of the misbehave guest, compiled
/// by a runtime under `limits`; the guest's bytes; the entry.
fn one_entry(limits: Limits) -> (tempfile::TempDir, Vec<u8>, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let wasm = misbehave_wasm();
    load(&runtime(limits, dir.path(), 4), &wasm);
    let [entry] = entries(dir.path()).try_into().unwrap();
    (dir, wasm, entry)
}

/// Something that happens to an entry's bytes.
type Damage = fn(&mut Vec<u8>);

#[test]
fn a_corrupt_or_torn_entry_is_ignored_and_replaced() {
    let (dir, wasm, entry) = one_entry(small_limits());
    let runtime = runtime(small_limits(), dir.path(), 4);
    let damages: [(&str, Damage); 3] = [
        ("a flipped byte", |bytes| {
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x40;
        }),
        ("a torn write", |bytes| bytes.truncate(bytes.len() / 3)),
        ("another file", |bytes| *bytes = b"not an entry".to_vec()),
    ];
    for (damage, apply) in damages {
        let mut bytes = std::fs::read(&entry).unwrap();
        apply(&mut bytes);
        std::fs::write(&entry, bytes).unwrap();
        let recompiled = load(&runtime, &wasm);
        assert!(!recompiled.from_cache(), "{damage} was used");
        assert_serves(&recompiled);
        assert!(load(&runtime, &wasm).from_cache(), "{damage} not replaced");
    }
}

#[test]
fn an_entry_of_another_engine_configuration_is_ignored_and_replaced() {
    let (dir, wasm, small_entry) = one_entry(small_limits());
    let small = runtime(small_limits(), dir.path(), 4);
    let default = runtime(Limits::default(), dir.path(), 4);
    assert!(!load(&default, &wasm).from_cache());
    let default_entry = entries(dir.path())
        .into_iter()
        .find(|entry| *entry != small_entry)
        .expect("another engine has an entry of its own");

    std::fs::copy(&small_entry, &default_entry).unwrap();
    let recompiled = load(&default, &wasm);
    assert!(!recompiled.from_cache());
    assert_serves(&recompiled);
    assert!(load(&default, &wasm).from_cache());
    assert!(load(&small, &wasm).from_cache());
}

#[test]
fn the_least_recently_used_entries_go_past_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = misbehave_wasm();
    let runtime = runtime(small_limits(), dir.path(), 2);
    let [a, b, c] = ["a", "b", "c"].map(|name| variant(&wasm, name));
    load(&runtime, &a);
    load(&runtime, &b);
    // Used again, `a` is more recent than `b`.
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(load(&runtime, &a).from_cache());
    load(&runtime, &c);
    assert_eq!(entries(dir.path()).len(), 2);
    assert!(load(&runtime, &a).from_cache());
    assert!(load(&runtime, &c).from_cache());
    assert!(!load(&runtime, &b).from_cache());
}

#[test]
fn what_a_killed_write_left_goes_once_it_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = misbehave_wasm();
    let runtime = runtime(small_limits(), dir.path(), 4);
    load(&runtime, &variant(&wasm, "a"));
    // A write killed halfway, long ago, and one under way now (another host's).
    let stale = dir.path().join(".partial-killed");
    let fresh = dir.path().join(".partial-writing");
    for path in [&stale, &fresh] {
        std::fs::write(path, b"half an entry").unwrap();
    }
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .append(true)
        .open(&stale)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    load(&runtime, &variant(&wasm, "b"));
    assert!(!stale.exists(), "the stale one goes");
    assert!(fresh.exists(), "the one under way stays");
    assert_eq!(entries(dir.path()).len(), 3, "{:?}", entries(dir.path()));
}
