//! Invariants over random valid scenarios: counts add up, stocks stay non-negative, the
//! KUBE cash ledger balances, shares stay within 0..1, and the three arms of MODEL.md 4.6
//! add up (graduates caused, cash of the same cost, a programme that adds nothing).

use proptest::prelude::*;
use telur::model::flock::Status;
use telur::results::metrics::{
    program_weekly as pw, region_summary as rs, region_weekly as rw, summary as sm,
};
use telur::scenario::{Overrides, Scenario, Source};
use telur::sim::luck::Shocks;
use telur::sim::{Draws, Path, outcome, simulate};

const REGIONS: [&str; 8] = [
    "Kepulauan Riau",
    "Gorontalo",
    "Papua",
    "Jawa Timur",
    "Maluku Utara",
    "Sulawesi Tengah",
    "DKI Jakarta",
    "Bali",
];

#[derive(Debug, Clone)]
struct Knobs {
    hens: u32,
    members: u32,
    placement_age: u32,
    laying_weeks: u32,
    rest_weeks: u32,
    mortality_factor: f64,
    fixed_cost: f64,
    working_capital: f64,
    reserve: f64,
    retain: f64,
    min_restock: f64,
    kubes: u32,
    weight: &'static str,
    regions: Vec<usize>,
    rollout: u32,
    breed: &'static str,
    stochastic: bool,
    replacement: bool,
    forgone: f64,
    food_inflation: f64,
    /// The KUBE keeps all its profit and members give up nothing: the programme arm can
    /// differ from the without arm only through closing or failure payouts.
    keeps_all: bool,
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (
        (
            1u32..800,
            1u32..12,
            10u32..24,
            1u32..60,
            0u32..5,
            0.0f64..20.0,
        ),
        (
            0.0f64..400_000.0,
            0.0f64..3e7,
            0.0f64..6e7,
            0.0f64..=1.0,
            0.0f64..=1.0,
        ),
        (
            1u32..40,
            prop::sample::select(vec!["poor_people", "population", "deficit", "equal"]),
            prop::sample::subsequence((0..REGIONS.len()).collect::<Vec<_>>(), 1..5),
            0u32..50,
            prop::sample::select(vec!["builtin:layer-brown", "builtin:kub"]),
            any::<bool>(),
        ),
        (
            any::<bool>(),
            prop::sample::select(vec![0.0, 3_000.0, 15_000.0]),
            -0.02f64..0.1,
            any::<bool>(),
        ),
    )
        .prop_map(|(a, b, c, d)| Knobs {
            hens: a.0,
            members: a.1,
            placement_age: a.2,
            laying_weeks: a.3,
            rest_weeks: a.4,
            mortality_factor: a.5,
            fixed_cost: b.0,
            working_capital: b.1,
            reserve: b.2,
            retain: b.3,
            min_restock: b.4,
            kubes: c.0,
            weight: c.1,
            regions: c.2,
            rollout: c.3,
            breed: c.4,
            stochastic: c.5,
            replacement: d.0,
            forgone: if d.3 { 0.0 } else { d.1 },
            food_inflation: d.2,
            keeps_all: d.3,
        })
}

fn toml(k: &Knobs) -> String {
    let regions: Vec<String> = k
        .regions
        .iter()
        .map(|&i| format!("{:?}", REGIONS[i]))
        .collect();
    let strategy = if k.weight == "equal" {
        "strategy = \"equal\"".to_string()
    } else {
        format!("strategy = \"proportional\"\nweight = \"{}\"", k.weight)
    };
    format!(
        r#"name = "prop"
mode = "{mode}"
weeks = 120
breed = "{breed}"
[market]
food_inflation = {inflation}
[household]
forgone_rp_per_member_week = {forgone}
[flock]
hens_per_kube = {hens}
placement_age_weeks = {pa}
cull_age_weeks = {ca}
rest_weeks = {rest}
mortality_factor = {mf}
fixed_cost_rp_per_kube_week = {fixed}
[kube]
members = {members}
working_capital_rp = {wc}
reserve_target_rp = {reserve}
retain_share = {retain}
payout_rule = "{rule}"
min_restock_fraction = {min_restock}
[stochastic]
outbreak_prob_week = 0.02
wave_prob_week = 0.01
[[placement]]
name = "p"
{strategy}
kubes = {kubes}
regions = [{regions}]
rollout_weeks = {rollout}
"#,
        breed = k.breed,
        mode = if k.stochastic {
            "stochastic"
        } else {
            "deterministic"
        },
        hens = k.hens,
        pa = k.placement_age,
        ca = k.placement_age + k.laying_weeks,
        rest = k.rest_weeks,
        mf = k.mortality_factor,
        fixed = k.fixed_cost,
        members = k.members,
        wc = k.working_capital,
        reserve = if k.keeps_all { 1e15 } else { k.reserve },
        retain = if k.keeps_all { 1.0 } else { k.retain },
        rule = if k.replacement {
            "replacement"
        } else {
            "profit"
        },
        inflation = k.food_inflation,
        forgone = k.forgone,
        min_restock = k.min_restock,
        kubes = k.kubes,
        regions = regions.join(", "),
        rollout = k.rollout,
    )
}

fn load(text: &str) -> Result<Scenario, String> {
    let source = Source {
        name: "prop.toml".into(),
        text: text.into(),
        dir: None,
    };
    Scenario::load(&source, &Overrides::default()).map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_random_scenarios(k in knobs()) {
        let s = match load(&toml(&k)) {
            Ok(s) => s,
            // Deficit weights over regions all in surplus are refused: nothing to check.
            Err(e) if e.contains("weight 0") => return Ok(()),
            Err(e) => panic!("{e}"),
        };
        let placement = &s.placements[0];
        prop_assert_eq!(placement.total_kubes(), u64::from(k.kubes), "allocation sums to the requested count");

        let path = Path::new(&s.world);
        // Deterministic mode, or one stochastic replicate: the invariants hold in both.
        let seed = s.ensemble.seed;
        let shocks = k.stochastic.then(|| Shocks::draw(&s.world, seed, 0));
        let draws = shocks.as_ref().map(|shocks| Draws { seed, replicate: 0, shocks });
        let baseline = simulate(&s.world, &path, None, draws.as_ref());
        let run = simulate(&s.world, &path, Some(placement), draws.as_ref());
        if k.stochastic {
            prop_assert!(run.kubes.hens.iter().all(|h| h.fract() == 0.0), "whole hens");
        }

        for t in 0..s.world.weeks as usize {
            prop_assert!(run.program_weekly[[t, pw::HENS]] >= 0.0);
            prop_assert!(run.program_weekly[[t, pw::CASH_RP]] >= 0.0);
            prop_assert!(run.program_weekly[[t, pw::PAYOUT_RP]] >= 0.0);
            for share in [pw::ABOVE_LINE_SHARE, pw::GRADUATED_SHARE] {
                let x = run.program_weekly[[t, share]];
                prop_assert!(x.is_nan() || (0.0..=1.0).contains(&x), "share {x}");
            }
            for r in 0..s.world.regions.len() {
                prop_assert!(run.region_weekly[[t, r, rw::DEFICIT_KG]] >= 0.0);
                // KUBE eggs can only reduce a deficit.
                prop_assert!(run.region_weekly[[t, r, rw::DEFICIT_KG]] <= baseline.region_weekly[[t, r, rw::DEFICIT_KG]]);
            }
        }

        let c0 = placement.design.kube.working_capital_rp;
        let inflation = s.world.market.food_inflation;
        let kubes = &run.kubes;
        for i in 0..kubes.len() {
            prop_assert!(kubes.hens[i] >= 0.0 && kubes.cash_rp[i] >= 0.0);
            if kubes.status[i] == Status::Pending {
                continue;
            }
            // The working capital the KUBE started with, at its start week's prices.
            let c0 = c0 * telur::model::growth(inflation, f64::from(kubes.start_week[i]));
            let ledger = c0 + kubes.total_net_rp[i] - kubes.total_payout_rp[i] + kubes.total_flock_sales_rp[i]
                - kubes.total_restock_rp[i] + kubes.total_written_off_rp[i];
            let scale = c0.abs().max(kubes.total_payout_rp[i].abs()).max(1.0);
            prop_assert!((kubes.cash_rp[i] - ledger).abs() <= 1e-9 * scale,
                "KUBE {i}: cash {} but ledger says {ledger}", kubes.cash_rp[i]);
        }

        let m = outcome::summary_metrics(&s.world, &outcome::Baseline::of(&baseline), &run);
        for share in [sm::KUBES_OPERATING_END_SHARE, sm::KUBES_FAILED_SHARE, sm::KUBES_CLOSED_SHARE, sm::GRADUATED_SHARE, sm::DEFICIT_REDUCTION_SHARE] {
            prop_assert!(m[share].is_nan() || (0.0..=1.0 + 1e-12).contains(&m[share]), "{} = {}", sm::NAMES[share], m[share]);
        }
        let ended = m[sm::KUBES_OPERATING_END_SHARE] + m[sm::KUBES_FAILED_SHARE] + m[sm::KUBES_CLOSED_SHARE];
        prop_assert!(ended.is_nan() || (ended - 1.0).abs() < 1e-12, "every started KUBE is operating, failed or closed");

        // Graduates caused: graduated minus graduated without, in the placement and in
        // every region, and the regions add up to the placement.
        let t = &run.totals;
        prop_assert_eq!(m[sm::ATTRIBUTABLE_GRADUATES], t.all.graduated[0] as f64 - t.all.graduated[1] as f64);
        let households = t.all.started_households as f64;
        if households > 0.0 {
            let caused = (m[sm::GRADUATED_SHARE] - m[sm::GRADUATED_SHARE_WITHOUT]) * households;
            prop_assert!((caused - m[sm::ATTRIBUTABLE_GRADUATES]).abs() < 1e-6);
        }
        let regions = outcome::region_metrics(&s.world, &outcome::Baseline::of(&baseline), &run);
        let mut caused_in_regions = 0.0;
        for (r, tally) in t.regions.iter().enumerate() {
            let share = regions[[r, rs::GRADUATION_ATTRIBUTABLE_SHARE]];
            let with = regions[[r, rs::GRADUATED_SHARE]];
            let without = regions[[r, rs::GRADUATED_SHARE_WITHOUT]];
            if tally.started_households == 0 {
                prop_assert!(share.is_nan());
                continue;
            }
            prop_assert_eq!(share, with - without);
            caused_in_regions += share * tally.started_households as f64;
        }
        prop_assert!((caused_in_regions - m[sm::ATTRIBUTABLE_GRADUATES]).abs() < 1e-6);

        // Cash of the same cost: each KUBE's transfers to its members over the weeks left
        // add up to what the programme spent on it.
        let members = f64::from(placement.design.kube.members);
        for i in 0..kubes.len() {
            let spent = kubes.program_cost_rp[i];
            let handed = kubes.cash_gain_rp[i] * members;
            prop_assert!((handed - spent).abs() <= 1e-9 * spent.max(1.0),
                "KUBE {i}: cash arm {handed} against programme cost {spent}");
        }

        // A programme that pays nothing and costs its members nothing changes no income:
        // its arm is the without arm bit for bit.
        let paid = run.program_weekly.column(pw::PAYOUT_RP).iter().any(|&p| p != 0.0);
        if k.keeps_all && !paid {
            prop_assert_eq!(&run.households.graduated_week[0], &run.households.graduated_week[1]);
            prop_assert_eq!(&run.households.weeks_above[0], &run.households.weeks_above[1]);
            for week in 0..s.world.weeks as usize {
                let (a, b) = (run.program_weekly[[week, pw::INCOME_P50]], run.program_weekly[[week, pw::INCOME_P50_WITHOUT]]);
                prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "week {week}: {a} vs {b}");
            }
        }
    }
}

proptest! {
    #[test]
    fn largest_remainder_sums_and_stays_within_one_of_the_quota(
        total in 0u32..10_000,
        weights in prop::collection::vec(0.0f64..1e6, 1..40),
    ) {
        let sum: f64 = weights.iter().sum();
        match telur::model::largest_remainder(total, &weights) {
            None => prop_assert!(sum == 0.0),
            Some(counts) => {
                prop_assert_eq!(counts.iter().map(|&c| u64::from(c)).sum::<u64>(), u64::from(total));
                for (c, w) in counts.iter().zip(&weights) {
                    let quota = f64::from(total) * w / sum;
                    prop_assert!((f64::from(*c) - quota).abs() < 1.0 + 1e-9, "count {c} for quota {quota}");
                }
            }
        }
    }
}

/// Applies `edits` (position, kind, byte) to a text: delete, insert or replace one byte.
fn mutate(text: &str, edits: &[(usize, u8, u8)]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(at, kind, byte) in edits {
        if bytes.is_empty() {
            break;
        }
        let at = at % bytes.len();
        match kind % 3 {
            0 => {
                bytes.remove(at);
            }
            1 => bytes.insert(at, byte),
            _ => bytes[at] = byte,
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// A poor man's fuzzer on stable (the cargo-fuzz targets in fuzz/ need nightly):
    /// mutated scenarios and data tables load or fail with errors, never panic.
    #[test]
    fn mutated_inputs_never_panic(edits in prop::collection::vec((any::<usize>(), any::<u8>(), prop::sample::select(b"=[]{}\",.0123456789-ae\n #".to_vec())), 1..8)) {
        let scenario = mutate(telur::scenario::DEFAULT_SCENARIO_TOML, &edits);
        let _ = load(&scenario);
        let table = mutate(telur::data::builtin_text("builtin:indonesia").unwrap(), &edits);
        let _ = telur::data::Regions::parse("r.csv", &table);
        let curve = mutate(telur::data::builtin_text("builtin:kub").unwrap(), &edits);
        let _ = telur::data::Breed::parse("b", "b.csv", &curve);
    }
}
