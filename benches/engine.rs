//! Criterion benchmarks of the deterministic engine on the embedded default scenario:
//! one placement's weekly loop (300 KUBE, 3,000 households, 260 weeks), the exogenous
//! market path, and the whole scenario (baseline and four placements).
//!
//! Run: `cargo bench --bench engine`. Results and the machine are in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use telur::scenario::{Overrides, Scenario, Source};
use telur::sim::{Path, run_scenario, simulate};

fn default_scenario() -> Scenario {
    Scenario::load(&Source::builtin_default(), &Overrides::default())
        .expect("the default scenario is valid")
}

fn engine(c: &mut Criterion) {
    let s = default_scenario();
    let path = Path::new(&s);
    let placement = &s.placements[1];
    let kube_weeks = placement.total_kubes() * u64::from(s.weeks);
    let mut group = c.benchmark_group("deterministic");
    group.throughput(criterion::Throughput::Elements(kube_weeks));
    group.bench_function("one placement, 300 KUBE x 260 weeks", |b| {
        b.iter(|| simulate(black_box(&s), black_box(&path), Some(placement), None))
    });
    group.finish();
    c.bench_function("market path, 34 regions x 260 weeks", |b| {
        b.iter(|| Path::new(black_box(&s)))
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    c.bench_function("default scenario, 1 thread", |b| {
        b.iter(|| pool.install(|| run_scenario(black_box(&s))))
    });
}

criterion_group!(benches, engine);
criterion_main!(benches);
