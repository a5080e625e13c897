//! Criterion benchmarks of the engine: the weekly KUBE step, household step and market
//! step at national scale (100,000 KUBE, 1,000,000 households), and whole runs of the
//! embedded default scenario, and the writing of every replicate's results (Parquet
//! against CSV).
//!
//! Run: `cargo bench --bench engine`. Results and the machine are in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use telur::model::market;
use telur::scenario::{Overrides, Scenario, Source};
use telur::sim::households::{self, Week};
use telur::sim::kube_pass::{self, Context};
use telur::sim::luck::{HouseholdLuck, Shocks};
use telur::sim::rng::IncomeStreams;
use telur::sim::state::Households;
use telur::sim::{Draws, Mode, Path, run, run_scenario, simulate};
use telur::stats::Bands;

fn scenario(text: &str, name: &str) -> Scenario {
    let source = Source {
        name: name.into(),
        text: text.into(),
        dir: None,
    };
    Scenario::load(&source, &Overrides::default()).expect("a valid scenario")
}

fn national() -> Scenario {
    // All KUBE start in week 0 so the benchmarked week has every flock laying.
    let text = include_str!("../scenarios/national-scale.toml")
        .replace("rollout_weeks = 52", "rollout_weeks = 0");
    scenario(&text, "national-scale.toml")
}

fn kube_step(c: &mut Criterion) {
    let s = national();
    let path = Path::new(&s.world);
    let seed = s.ensemble.seed;
    let shocks = Shocks::draw(&s.world, seed, 0);
    let draws = Draws {
        seed,
        replicate: 0,
        shocks: &shocks,
    };
    let placement = &s.placements[0];
    let layout = run::place(&s.world, Some(placement));
    let mut blocks = kube_pass::blocks(&s.world, &layout, Some(&draws));
    let ctx = |t| Context::of_week(&s.world, Some(&placement.design), &path, Some(&draws), t);
    // Week 0 starts every KUBE; the benchmark then times week 1.
    blocks.par_iter_mut().for_each(|b| b.begin(&ctx(0)));
    let n_regions = s.world.regions.len();
    let prices = vec![26_000.0; n_regions];
    let feed = vec![5_800.0; n_regions];
    blocks
        .par_iter_mut()
        .for_each(|b| b.settle(&ctx(0), &prices, &feed));
    let mut group = c.benchmark_group("weekly step, national scale");
    // Each iteration is the next week, so flocks age, are culled and restocked as in a run.
    // The whole nation (state in memory), then its first ten blocks, whose state stays in
    // cache: the second is the walk's speed when main memory is not the limit (BENCHMARKS.md,
    // session 8). The weeks go on from one benchmark to the next.
    let mut week = 1;
    for (n_blocks, label) in [(blocks.len(), "100,000 KUBE"), (10, "10,240 KUBE in cache")] {
        let part = &mut blocks[..n_blocks];
        let kubes: usize = part.iter().map(|b| b.kubes.len()).sum();
        group.throughput(Throughput::Elements(kubes as u64));
        group.bench_function(format!("KUBE: begin + settle, {label}"), |b| {
            b.iter(|| {
                let c = ctx(week % 520);
                part.par_iter_mut().for_each(|b| b.begin(&c));
                part.par_iter_mut()
                    .for_each(|b| b.settle(&c, black_box(&prices), &feed));
                week += 1;
            })
        });
    }

    // The whole nation (state in memory, 76 MB), and 10,000 KUBE's 100,000 households
    // whose state (7.6 MB) stays in the 32 MB L3 cache: the second is the pass's speed
    // when main memory is not the limit (BENCHMARKS.md, roofline).
    for (kubes, label) in [
        (layout.keys.len(), "1,000,000 households"),
        (10_000, "100,000 households, state in cache"),
    ] {
        let n = kubes * placement.design.kube.members as usize;
        let people: Vec<f64> = (0..n).map(|h| 1.0 + (h % 7) as f64).collect();
        let mut hh = Households::new(
            (0..n)
                .map(|h| 1_200_000.0 + (h % 997) as f64 * 1000.0)
                .collect(),
            people.clone(),
            people.iter().map(|n| 450_000.0 * n).collect(),
        );
        let mut streams = IncomeStreams::with_capacity(n);
        for h in 0..n as u32 {
            streams.push([h, 1, 2, 3]);
        }
        let mut luck = HouseholdLuck {
            transitory: vec![0.0; n],
            spare_normal: vec![0.0; n],
            streams,
        };
        let block = households::BLOCK_WEEKS;
        let mut pass = households::Pass::new(n, kubes, 10, block);
        let programme = vec![15_000.0; kubes];
        let cash = vec![20_000.0; kubes];
        let (mut bands, mut bands_without) = (Bands::new(), Bands::new());
        // One block of weeks per iteration: every chunk runs the block, then each week's
        // quantiles, as a run does.
        group.throughput(Throughput::Elements((n * block) as u64));
        let mut first = 1;
        let week = |t: usize| Week {
            t,
            income_index: 1.0,
            line_index: 1.0,
            threshold: 1.0,
            alpha: 0.4,
            graduation_weeks: 26,
            members: 10,
            stochastic: true,
            income_rho: 0.994,
            income_sigma: 0.027,
            start_week: &layout.kubes.start_week[..kubes],
            programme_rp: &programme,
            cash_rp: &cash,
        };
        group.bench_function(
            format!("households: three arms, smoothing, graduation, {label}"),
            |b| {
                b.iter(|| {
                    let windows = households::windows(&bands, &bands_without, block);
                    let counts = pass.run(
                        &mut hh,
                        &mut luck,
                        block,
                        |i| week(first + i),
                        Some(&windows[..block]),
                    );
                    let starts = &layout.kubes.start_week[..kubes];
                    let started: Vec<usize> = (first..first + block)
                        .map(|t| starts.iter().filter(|&&s| s as usize <= t).count() * 10)
                        .collect();
                    let found = pass.select_ahead(&started);
                    for (i, w) in windows[..block].iter().enumerate() {
                        let q = pass.quantiles(
                            &hh,
                            i,
                            &week(first + i),
                            started[i],
                            w,
                            (&mut bands, &mut bands_without),
                            found[i],
                        );
                        black_box(q);
                    }
                    first = first % 512 + block;
                    black_box(counts)
                })
            },
        );
    }

    group.throughput(Throughput::Elements(n_regions as u64));
    let supply = vec![1000.0; n_regions];
    group.bench_function("market: price and deficit, 34 regions", |b| {
        b.iter(|| {
            let mut total = 0.0;
            for (r, region) in s.world.regions.regions.iter().enumerate() {
                let demand = path.demand_kg[[1, r]];
                let x =
                    market::self_sufficiency(path.baseline_supply_kg[[1, r]] + supply[r], demand);
                total += market::egg_price(
                    path.hub_egg_rp_per_kg[1],
                    region.transport_cost_rp_per_kg,
                    x,
                    0.15,
                ) + market::deficit_kg(demand, supply[r]);
            }
            black_box(total)
        })
    });
    group.finish();
}

fn whole_runs(c: &mut Criterion) {
    let mut s = Scenario::load(&Source::builtin_default(), &Overrides::default())
        .expect("the default scenario");
    s.ensemble.mode = Mode::Deterministic;
    let path = Path::new(&s.world);
    let placement = &s.placements[1];
    let mut group = c.benchmark_group("deterministic default scenario");
    group.throughput(Throughput::Elements(
        placement.total_kubes() * u64::from(s.world.weeks),
    ));
    group.bench_function("one placement, 300 KUBE x 260 weeks", |b| {
        b.iter(|| simulate(black_box(&s.world), black_box(&path), Some(placement), None))
    });
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    group.bench_function("baseline + 4 placements, 1 thread", |b| {
        b.iter(|| one.install(|| run_scenario(black_box(&s.world), &s.ensemble, &s.placements)))
    });
    group.finish();
}

/// One evaluation of the optimiser (300 KUBE, 10 stochastic replicates) with what does not
/// change between evaluations kept (each replicate's shocks and baseline), against the
/// same evaluation building everything again (`sim::evaluate::summaries`).
fn optimizer_evaluation(c: &mut Criterion) {
    let mut s = Scenario::load(&Source::builtin_default(), &Overrides::default())
        .expect("the default scenario");
    s.ensemble.replicates = 10;
    let design = &s.placements[0];
    let kubes = design.kubes_per_region.clone();
    let ev = telur::optimize::Evaluator::new(&s.world, s.ensemble, None, design, 0, 10);
    ev.evaluate(&[(&kubes, 0..10)]);
    // One thread: `summaries` runs its replicates one after another.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut group = c.benchmark_group("optimizer evaluation, 300 KUBE x 10 replicates, 1 thread");
    group.bench_function("kept shocks and baselines", |b| {
        b.iter(|| one.install(|| ev.evaluate(black_box(&[(&kubes, 0..10)]))))
    });
    group.bench_function("everything rebuilt", |b| {
        b.iter(|| {
            one.install(|| {
                telur::sim::evaluate::summaries(
                    black_box(&s.world),
                    &s.ensemble,
                    std::slice::from_ref(design),
                )
            })
        })
    });
    group.finish();
}

/// One unit's results (a placement in one replicate of the default scenario: 520 weeks x
/// 34 regions) written as `--keep-replicates` writes them, four Parquet tables, against the
/// same rows as tidy CSV (`placement,replicate,[week,region,]metric,value`).
fn replicate_files(c: &mut Criterion) {
    use std::fmt::Write as _;
    use telur::report::replicates::{Codec, Table, TableWriter};
    let s = scenario(
        include_str!("../scenarios/kube-bekerja.toml"),
        "kube-bekerja.toml",
    );
    let inputs = s.inputs();
    let out = telur::sim::run_units(&inputs, &[(Some(0), 0)], &telur::sim::Quiet)
        .pop()
        .unwrap();
    let jobs: Vec<String> = ["baseline", "a"].map(String::from).to_vec();
    let regions = inputs.world.regions.names();
    let weeks = inputs.world.weeks as usize;
    let rows = out.summary.len()
        + out.region_summary.len()
        + out.region_weekly.len()
        + out.program_weekly.len();
    const UNITS: u32 = 8;
    // A file's writer encodes the columns every unit shares once, when it is made: not
    // timed, as a run makes it once for all of its units.
    let writers = || {
        Table::ALL
            .map(|t| TableWriter::new(t, Vec::new(), &jobs, &regions, weeks, Codec::Zstd).unwrap())
    };
    let write = |writers: [TableWriter<Vec<u8>>; 4]| {
        writers.map(|mut w| {
            for rep in 0..UNITS {
                w.unit(1, rep, &out).unwrap();
            }
            w.finish().unwrap().len()
        })
    };
    let parquet = || write(writers());
    let metric_names = |t: Table| -> &'static [&'static str] {
        use telur::results::metrics::*;
        match t {
            Table::Summary => &summary::NAMES,
            Table::RegionSummary => &region_summary::NAMES,
            Table::RegionWeekly => &region_weekly::NAMES,
            Table::ProgramWeekly => &program_weekly::NAMES,
        }
    };
    let csv = || {
        let mut bytes = 0;
        let mut cell = String::new();
        for t in Table::ALL {
            let mut w = csv::Writer::from_writer(Vec::new());
            let values: &[f64] = match t {
                Table::Summary => out.summary.as_slice(),
                Table::RegionSummary => out.region_summary.as_slice().unwrap(),
                Table::RegionWeekly => out.region_weekly.as_slice().unwrap(),
                Table::ProgramWeekly => out.program_weekly.as_slice().unwrap(),
            };
            let metrics = metric_names(t);
            let per_week = values.len()
                / if t == Table::RegionWeekly || t == Table::ProgramWeekly {
                    weeks
                } else {
                    1
                };
            for rep in 0..UNITS {
                let rep = rep.to_string();
                for (i, v) in values.iter().enumerate() {
                    cell.clear();
                    if !v.is_nan() {
                        write!(cell, "{v}").unwrap();
                    }
                    let week = (i / per_week).to_string();
                    let region = regions[(i / metrics.len()) % regions.len()].as_str();
                    let metric = metrics[i % metrics.len()];
                    match t {
                        Table::Summary => w.write_record(["a", &rep, metric, &cell]),
                        Table::RegionSummary => w.write_record(["a", &rep, region, metric, &cell]),
                        Table::RegionWeekly => {
                            w.write_record(["a", &rep, &week, region, metric, &cell])
                        }
                        Table::ProgramWeekly => w.write_record(["a", &rep, &week, metric, &cell]),
                    }
                    .unwrap();
                }
            }
            bytes += w.into_inner().unwrap().len();
        }
        bytes
    };
    let p: usize = parquet().iter().sum();
    let c_bytes = csv();
    println!(
        "every replicate, {UNITS} units of {rows} rows: Parquet {p} bytes ({:.2} per row), CSV {c_bytes} bytes ({:.2} per row)",
        p as f64 / (rows as f64 * f64::from(UNITS)),
        c_bytes as f64 / (rows as f64 * f64::from(UNITS))
    );
    let mut group = c.benchmark_group("every replicate kept, 8 units of the default scenario");
    group.throughput(Throughput::Elements(rows as u64 * u64::from(UNITS)));
    group.bench_function("Parquet (four tables, ZSTD)", |b| {
        b.iter_batched(
            writers,
            |w| black_box(write(w)),
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("tidy CSV, the same rows", |b| b.iter(|| black_box(csv())));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = kube_step, whole_runs, optimizer_evaluation, replicate_files
}
criterion_main!(benches);
