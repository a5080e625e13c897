//! The stochastic model (MODEL.md 5) against what it must reproduce: the deterministic
//! mean, its event probabilities, and common random numbers across placements.
//! Fixed seeds; tolerances of about four standard errors, stated in each test.

use telur::results::metrics::program_weekly as pw;
use telur::sim::luck::Shocks;
use telur::sim::{Draws, Engine, Path, replicate, simulate, simulate_with};

use crate::scenario_in;

/// 10 KUBE of 500 hens in Gorontalo for 60 weeks: one laying cycle, no restock.
const BASE: &str = r#"
name = "stoch"
mode = "stochastic"
weeks = 60
seed = 424242
[kube]
reserve_target_rp = 1e12
[stochastic]
management_sigma_production = 0.0
management_sigma_mortality = 0.0
outbreak_prob_week = 0.0
wave_prob_week = 0.0
egg_price_sigma = 0.0
feed_price_sigma = 0.0
income_sigma = 0.0
[[placement]]
name = "g"
strategy = "explicit"
allocation = { "Gorontalo" = 10 }
"#;

/// Replicate `replicate` of scenario `s`, its shocks drawn.
fn draws_of<'a>(s: &telur::scenario::Scenario, replicate: u32, shocks: &'a Shocks) -> Draws<'a> {
    Draws {
        seed: s.ensemble.seed,
        replicate,
        shocks,
    }
}

fn mean_and_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn with_only_binomial_mortality_the_ensemble_mean_matches_deterministic_mode() {
    let s = scenario_in("hand", BASE);
    let path = Path::new(&s.world);
    let det_run = simulate(&s.world, &path, Some(&s.placements[0]), None);
    let reps: Vec<_> = (0..300)
        .map(|rep| replicate(&s.world, &s.ensemble, &path, Some(&s.placements[0]), rep))
        .collect();
    for t in [10, 30, 59] {
        for metric in [pw::HENS, pw::EGGS_KG] {
            let values: Vec<f64> = reps.iter().map(|r| r.program_weekly[[t, metric]]).collect();
            let (mean, se) = mean_and_se(&values);
            let want = det_run.program_weekly[[t, metric]];
            assert!(se > 0.0, "binomial deaths make replicates differ");
            assert!(
                (mean - want).abs() < 4.0 * se + 1e-9 * want,
                "week {t} {}: ensemble mean {mean} (SE {se}) vs deterministic {want}",
                pw::NAMES[metric]
            );
        }
    }
    // Whole hens only.
    assert!(reps.iter().all(|r| {
        r.program_weekly
            .column(pw::HENS)
            .iter()
            .all(|h| h.fract() == 0.0)
    }));
}

/// Outbreaks per active KUBE-week over `reps` replicates of the first placement.
fn outbreak_rate(toml: &str, reps: u32) -> f64 {
    let s = scenario_in("hand", toml);
    let path = Path::new(&s.world);
    let (mut outbreaks, mut kube_weeks) = (0.0, 0.0);
    for rep in 0..reps {
        let shocks = Shocks::draw(&s.world, s.ensemble.seed, rep);
        let draws = draws_of(&s, rep, &shocks);
        let run = simulate(&s.world, &path, Some(&s.placements[0]), Some(&draws));
        outbreaks += run.totals.outbreaks as f64;
        kube_weeks += run.program_weekly.column(pw::ACTIVE_KUBES).sum();
    }
    outbreaks / kube_weeks
}

#[test]
fn outbreaks_happen_at_their_weekly_probability() {
    // p = 0.01 per active KUBE-week, no waves, outbreaks kill nobody and have no after-effect.
    let toml = BASE
        .replace(
            "outbreak_prob_week = 0.0",
            "outbreak_prob_week = 0.01\noutbreak_weeks = 0\noutbreak_mortality_mean = 0.0",
        )
        .replace("\"Gorontalo\" = 10", "\"Gorontalo\" = 50");
    let rate = outbreak_rate(&toml, 40);
    // 40 x 50 x 60 = 120,000 KUBE-weeks: SE of the rate = sqrt(0.01 x 0.99 / 120,000) = 0.00029.
    assert!((rate - 0.01).abs() < 0.0012, "{rate}");
}

#[test]
fn during_a_wave_outbreaks_happen_at_the_wave_probability() {
    // A wave every week (probability 1, 1000 weeks long): the rate is wave_outbreak_prob_week.
    let toml = BASE
        .replace("wave_prob_week = 0.0", "wave_prob_week = 1.0\nwave_weeks = 1000\nwave_outbreak_prob_week = 0.05\noutbreak_weeks = 0\noutbreak_mortality_mean = 0.0")
        .replace("\"Gorontalo\" = 10", "\"Gorontalo\" = 50");
    let rate = outbreak_rate(&toml, 10);
    // 30,000 KUBE-weeks: SE = sqrt(0.05 x 0.95 / 30,000) = 0.0013.
    assert!((rate - 0.05).abs() < 0.005, "{rate}");
}

#[test]
fn common_random_numbers_kube_j_of_a_region_meets_the_same_luck_in_every_placement() {
    // Placement "a" puts 5 KUBE in Gorontalo, "b" puts 8 there and 3 in Papua (which comes
    // later in the table). KUBE 0..5 of Gorontalo exist in both, with the same start week.
    let toml = BASE
        .replace("outbreak_prob_week = 0.0", "outbreak_prob_week = 0.05")
        .replace("income_sigma = 0.0", "income_sigma = 0.03")
        .replace(
            "management_sigma_production = 0.0",
            "management_sigma_production = 0.1",
        )
        .replace(
            "allocation = { \"Gorontalo\" = 10 }",
            "allocation = { \"Gorontalo\" = 5 }",
        )
        + "[[placement]]\nname = \"b\"\nstrategy = \"explicit\"\nallocation = { \"Gorontalo\" = 8, \"Papua\" = 3 }\n";
    let s = scenario_in("hand", &toml);
    let path = Path::new(&s.world);
    let shocks = Shocks::draw(&s.world, s.ensemble.seed, 3);
    let draws = draws_of(&s, 3, &shocks);
    let a = simulate(&s.world, &path, Some(&s.placements[0]), Some(&draws));
    let b = simulate(&s.world, &path, Some(&s.placements[1]), Some(&draws));
    let (la, lb) = (a.luck.unwrap(), b.luck.unwrap());
    assert!(
        la.iter().map(|k| k.outbreaks).sum::<u32>() > 0,
        "the test needs some outbreaks"
    );
    for j in 0..5 {
        // The same outbreak stream, drawn as far (one uniform a week), with the same
        // outbreaks.
        assert_eq!(la[j].outbreak_rng, lb[j].outbreak_rng, "KUBE {j}");
        assert_eq!(la[j].outbreaks, lb[j].outbreaks, "KUBE {j}");
        assert_eq!(la[j].production_factor, lb[j].production_factor);
    }
    // Their families too: same sizes and baseline incomes.
    let members = s.design.kube.members as usize;
    let n = 5 * members;
    assert_eq!(a.households.people[..n], b.households.people[..n]);
    assert_eq!(
        a.households.baseline_month_rp[..n],
        b.households.baseline_month_rp[..n]
    );
    // And other KUBE do not share it: the 6th KUBE of Gorontalo differs from Papua's first.
    assert_ne!(lb[5].production_factor, lb[8].production_factor);
}

/// Deterministic mode runs one KUBE per class of region and start week through the KUBE
/// and household passes (`sim::classes`); the run must be the one of every KUBE, bit for
/// bit, also when classes cross the KUBE passes' blocks of 1,024 ("blocks": 2,600 KUBE).
#[test]
fn deterministic_classes_give_the_bits_of_every_kube() {
    let s = scenario_in(
        "classes",
        r#"
name = "classes"
mode = "deterministic"
weeks = 150
[household]
graduation_weeks = 8
[[placement]]
name = "spread"
strategy = "explicit"
allocation = { "Gorontalo" = 37, "Maluku" = 23, "Kepulauan Riau" = 11 }
start_week = 3
rollout_weeks = 40
[[placement]]
name = "at-once"
strategy = "equal"
regions = ["Papua", "Aceh"]
kubes = 9
[[placement]]
name = "blocks"
strategy = "explicit"
allocation = { "Gorontalo" = 1500, "Maluku" = 800, "Papua" = 300 }
rollout_weeks = 30
"#,
    );
    let path = Path::new(&s.world);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for p in &s.placements {
        let full = Engine {
            classes: false,
            ..Engine::default()
        };
        let a = simulate_with(&s.world, &path, Some(p), None, Engine::default());
        let b = simulate_with(&s.world, &path, Some(p), None, full);
        let (aw, bw) = (
            a.program_weekly.as_slice().unwrap(),
            b.program_weekly.as_slice().unwrap(),
        );
        assert_eq!(bits(aw), bits(bw), "{}: program_weekly", p.name);
        let (ar, br) = (
            a.region_weekly.as_slice().unwrap(),
            b.region_weekly.as_slice().unwrap(),
        );
        assert_eq!(bits(ar), bits(br), "{}: region_weekly", p.name);
        assert_eq!(
            bits(&a.households.smoothed_rp),
            bits(&b.households.smoothed_rp)
        );
        assert_eq!(a.households.weeks_above, b.households.weeks_above);
        assert_eq!(a.households.graduated_week, b.households.graduated_week);
        assert_eq!(a.totals.weeks_to_graduation, b.totals.weeks_to_graduation);
        assert_eq!(a.totals.poor_at_entry, b.totals.poor_at_entry);
        assert_eq!(a.totals.all.graduated, b.totals.all.graduated);
        // Every KUBE's state and ledger, and every total (Debug prints each f64 so that
        // it reads back to the same bits).
        assert_eq!(
            format!("{:?}", a.kubes),
            format!("{:?}", b.kubes),
            "{}",
            p.name
        );
        assert_eq!(
            format!("{:?}", a.totals),
            format!("{:?}", b.totals),
            "{}",
            p.name
        );
        // Not trivial: households graduated by the end.
        assert!(
            b.program_weekly[[149, pw::GRADUATED_SHARE]] > 0.0,
            "{}",
            p.name
        );
    }
}

/// The KUBE side walks each block once a week, week t's settlement and week t + 1's start
/// together (`Block::settle_then_begin`), and settles a KUBE that has closed or failed by
/// a shortcut that touches only the few numbers still changing; that must be the two
/// passes one after the other with every KUBE settled in full, bit for bit: every KUBE's
/// state, books and streams, each week's flows and supply. With outbreaks, waves, culls,
/// restocks, closures and failures frequent enough to happen here, over 2,100 KUBE (three
/// blocks).
#[test]
fn one_walk_per_week_gives_the_bits_of_separate_passes() {
    use telur::sim::kube_pass::{self, Context};
    use telur::sim::run;
    let s = scenario_in(
        "hand",
        r#"
name = "walk"
mode = "stochastic"
weeks = 200
seed = 99
[flock]
cull_age_weeks = 40
[stochastic]
outbreak_prob_week = 0.02
wave_prob_week = 0.05
[[placement]]
name = "walk"
strategy = "explicit"
allocation = { "Gorontalo" = 1200, "Papua" = 900 }
rollout_weeks = 30
"#,
    );
    let path = Path::new(&s.world);
    let shocks = Shocks::draw(&s.world, s.ensemble.seed, 0);
    let draws = draws_of(&s, 0, &shocks);
    let placement = &s.placements[0];
    let layout = run::place(&s.world, Some(placement));
    let ctx = |t| Context::of_week(&s.world, Some(&placement.design), &path, Some(&draws), t);
    let mut apart = kube_pass::blocks(&s.world, &layout, Some(&draws));
    let mut walked = kube_pass::blocks(&s.world, &layout, Some(&draws));
    assert_eq!(walked.len(), 3);
    for b in &mut walked {
        b.begin(&ctx(0));
    }
    let n_regions = s.world.regions.len();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let weeks = 200;
    // KUBE-weeks spent closed or failed: the shortcut's (all but each closing week's).
    let mut ended_weeks = 0.0;
    for t in 0..weeks {
        // Prices that move, so payouts and failures vary from week to week.
        let price: Vec<f64> = (0..n_regions)
            .map(|r| 21_000.0 + 9_000.0 * ((t * 7 + r) % 11) as f64 / 10.0)
            .collect();
        let feed = vec![5_800.0; n_regions];
        for (a, w) in apart.iter_mut().zip(&mut walked) {
            a.begin(&ctx(t));
            assert_eq!(bits(&a.supply_kg), bits(&w.supply_kg), "week {t}: supply");
            assert_eq!(a.started, w.started, "week {t}");
            a.settle_in_full(&ctx(t), &price, &feed);
            if t + 1 < weeks {
                w.settle_then_begin(&ctx(t), &ctx(t + 1), &price, &feed);
            } else {
                w.settle(&ctx(t), &price, &feed);
            }
            assert_eq!(bits(&a.flows), bits(&w.flows), "week {t}: flows");
            ended_weeks += w.flows[pw::CLOSED_KUBES] + w.flows[pw::FAILED_KUBES];
        }
    }
    for (a, w) in apart.iter().zip(&walked) {
        assert_eq!(
            format!("{:?}", a.severity_rng),
            format!("{:?}", w.severity_rng)
        );
    }
    let (kubes, luck) = kube_pass::flatten(apart);
    let (kubes_walked, luck_walked) = kube_pass::flatten(walked);
    // Every path was taken: outbreaks, culls and restocks, and KUBE closed or failed
    // early enough to be settled by the shortcut for many weeks.
    assert!(ended_weeks > 100_000.0, "{ended_weeks} KUBE-weeks ended");
    let luck = luck.expect("stochastic");
    assert!(luck.iter().map(|k| k.outbreaks).sum::<u32>() > 100);
    assert!(kubes.total_restock_rp.iter().filter(|&&r| r > 0.0).count() > 100);
    let ended = kubes.status.iter().filter(|s| s.is_final()).count();
    assert!(ended > 200, "{ended} KUBE ended");
    assert_eq!(format!("{kubes:?}"), format!("{kubes_walked:?}"));
    assert_eq!(format!("{luck:?}"), format!("{:?}", luck_walked.unwrap()));
}

/// Households run in blocks of weeks (time blocking), their weekly quantiles taken from
/// tallies against bands placed before the block, tallied again from the block's history,
/// or selected in full: every block length must give the bits of running week by week
/// (blocks of one week), stochastic mode with income shocks, payouts and closures, over a
/// horizon that no block length here divides.
#[test]
fn blocks_of_any_length_give_the_bits_of_week_by_week() {
    let s = scenario_in(
        "hand",
        r#"
name = "blocks"
mode = "stochastic"
weeks = 97
seed = 7
[flock]
cull_age_weeks = 40
[stochastic]
outbreak_prob_week = 0.02
[[placement]]
name = "blocks"
strategy = "explicit"
allocation = { "Gorontalo" = 400, "Papua" = 300 }
rollout_weeks = 20
"#,
    );
    let path = Path::new(&s.world);
    let shocks = Shocks::draw(&s.world, s.ensemble.seed, 1);
    let draws = draws_of(&s, 1, &shocks);
    let run = |block_weeks| {
        let engine = Engine {
            block_weeks: Some(block_weeks),
            ..Engine::default()
        };
        simulate_with(
            &s.world,
            &path,
            Some(&s.placements[0]),
            Some(&draws),
            engine,
        )
    };
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let weekly = run(1);
    // Not trivial: the quantiles move and households graduate.
    let p50 = weekly.program_weekly.column(pw::INCOME_P50);
    assert!(p50[96] != p50[60] && p50[60] > 0.0);
    assert!(weekly.totals.all.graduated[0] > 0);
    for block_weeks in [3, 4, 32] {
        let blocked = run(block_weeks);
        assert_eq!(
            bits(weekly.program_weekly.as_slice().unwrap()),
            bits(blocked.program_weekly.as_slice().unwrap()),
            "{block_weeks}"
        );
        assert_eq!(
            bits(weekly.region_weekly.as_slice().unwrap()),
            bits(blocked.region_weekly.as_slice().unwrap()),
            "{block_weeks}"
        );
        assert_eq!(
            bits(&weekly.households.smoothed_rp),
            bits(&blocked.households.smoothed_rp)
        );
        assert_eq!(
            weekly.households.graduated_week,
            blocked.households.graduated_week
        );
        assert_eq!(
            format!("{:?}", weekly.totals),
            format!("{:?}", blocked.totals),
            "{block_weeks}"
        );
    }
}
