//! What a guest costs the host: loading the webconference guest by compiling
//! it or from the on-disk compile cache (`load`), creating a call's instance
//! from the pre-instantiated guest, its memory allocated for it (`instantiate`),
//! and delivering one event into a live instance (`dispatch`: a `talk` event
//! the guest takes without calling the host, for a guest of the current WIT
//! version, 0.4.0, and of the draft, 0.1.0).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use switchyard_guest::{CompileCache, Event, GuestConfig, Limits, Runtime, TalkState, bundled};

// The fake host of the runtime's tests; the bench uses only part of the module.
#[allow(dead_code)]
#[path = "../host/guest/tests/support/mod.rs"]
mod support;

use support::{FakeHost, invite};

fn runtime() -> Runtime {
    Runtime::new(Limits::default()).expect("a runtime")
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    let compiling = runtime();
    group.bench_function("compile", |b| {
        b.iter(|| {
            compiling
                .load(
                    "webconference",
                    bundled::WEBCONFERENCE,
                    GuestConfig::default(),
                )
                .expect("the guest loads")
        })
    });
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cached = runtime().with_cache(Some(CompileCache::new(dir.path(), 4)));
    let warm = cached
        .load(
            "webconference",
            bundled::WEBCONFERENCE,
            GuestConfig::default(),
        )
        .expect("the guest loads");
    assert!(!warm.from_cache());
    group.bench_function("cache", |b| {
        b.iter(|| {
            let guest = cached
                .load(
                    "webconference",
                    bundled::WEBCONFERENCE,
                    GuestConfig::default(),
                )
                .expect("the guest loads");
            assert!(guest.from_cache());
            guest
        })
    });
    group.finish();
}

fn instantiate(c: &mut Criterion) {
    let runtime = runtime();
    let guest = runtime
        .load(
            "webconference",
            bundled::WEBCONFERENCE,
            GuestConfig::default(),
        )
        .expect("the guest loads");
    let host = Arc::new(FakeHost::default());
    c.bench_function("instantiate", |b| {
        b.iter(|| black_box(guest.instantiate(host.clone()).expect("an instance")))
    });
}

fn dispatch(c: &mut Criterion) {
    let mut group = c.benchmark_group("dispatch");
    let runtime = runtime();
    let guests = [
        ("v0.4", std::fs::read(env!("SWITCHYARD_GUEST_MISBEHAVE"))),
        ("v0.1", std::fs::read(env!("SWITCHYARD_GUEST_DRAFT"))),
    ];
    for (version, wasm) in guests {
        let wasm = wasm.expect("the build script built the test guests");
        let guest = runtime
            .load(version, &wasm, GuestConfig::default())
            .expect("the guest loads");
        let host = Arc::new(FakeHost::default());
        let mut instance = guest.instantiate(host).expect("an instance");
        instance
            .on_invite(&invite("c1", "alone", &[]))
            .expect("the guest takes the call");
        group.bench_function(version, |b| {
            b.iter(|| {
                instance
                    .on_event(
                        "c1",
                        Event::Talk(TalkState {
                            talking: true,
                            level_dbov: -20,
                        }),
                    )
                    .expect("the guest takes the event")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, load, instantiate, dispatch);
criterion_main!(benches);
