//! MODEL.md section 4 worked out by hand on one KUBE in one region.
//!
//! The data (`tests/data/hand/`) use round numbers: demand D = 52,000 x 10 / 52 = 10,000 kg
//! a week, baseline supply B = 1000 x 260 / 52 = 5,000 kg a week, a breed laying 90% of
//! days with 60 g eggs, eating 100 g a day and losing 1% a week. Each test writes the
//! arithmetic out and compares it with what the engine computed.

use telur::model::flock::Status;
use telur::results::metrics::{program_weekly as pw, region_weekly as rw, summary as sm};
use telur::sim::{Path, Run, outcome, simulate};

use crate::scenario_in;

/// One KUBE of 1000 hens placed at 18 weeks and culled at 20: two laying weeks, one week
/// of rest, then a restock it cannot afford, so it closes. Two members.
const ONE_KUBE: &str = r#"
name = "one-kube"
start_date = "2020-01-06"
weeks = 6
regions = "regions.csv"
breed = "breed.csv"

[market]
hub_egg_price_rp_per_kg = 20000
hub_feed_price_rp_per_kg = 5000
price_band_width = 0.5
farmgate_share = 0.8
food_inflation = 0.0
feed_inflation = 0.0
demand_season = [1,1,1,1,1,1,1,1,1,1,1,1]
price_season = [1,1,1,1,1,1,1,1,1,1,1,1]

[flock]
hens_per_kube = 1000
placement_age_weeks = 18
cull_age_weeks = 20
rest_weeks = 1
production_factor = 1.0
mortality_factor = 1.0
egg_price_factor = 1.0
vet_cost_rp_per_hen_week = 10
fixed_cost_rp_per_kube_week = 1000
tray_cost_rp_per_kg = 0
pullet_price_rp = 50000
spent_hen_price_rp = 20000

[kube]
members = 2
working_capital_rp = 1000000
reserve_target_rp = 2000000
retain_share = 0.5
payout_rule = "profit"
min_restock_fraction = 0.5

[household]
baseline_income_ratio = 0.5
income_dispersion_sigma = 0.5
income_growth = 0.0
poverty_line_growth = 0.0
graduation_threshold = 1.0
graduation_weeks = 2
smoothing_weeks = 3
forgone_rp_per_member_week = 0

[program]
capex_rp_per_kube = 5000000
mentoring_rp_per_kube_week = 40000
discount_rate = 0.04

[[placement]]
name = "one"
strategy = "explicit"
allocation = { "Testland" = 1 }
"#;

fn close(got: f64, want: f64, what: &str) {
    let tol = 1e-9 * want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tol,
        "{what}: engine {got}, by hand {want}"
    );
}

fn run(toml: &str) -> (telur::scenario::Scenario, Run, Run) {
    let s = scenario_in("hand", toml);
    let path = Path::new(&s.world);
    let baseline = simulate(&s.world, &path, None, None);
    let run = simulate(&s.world, &path, Some(&s.placements[0]), None);
    (s, baseline, run)
}

/// The hand computation of weeks 0 and 1 (both laying weeks), shared by several tests.
struct Weeks01 {
    price: [f64; 2],
    sales: [f64; 2],
    cost: [f64; 2],
    payout: [f64; 2],
    spent: f64,
}

fn weeks_0_and_1() -> Weeks01 {
    let d = 52_000.0 * 10.0 / 52.0; // 10,000 kg
    let b = 1000.0 * 260.0 / 52.0; // 5,000 kg
    let feed_price = 5000.0 + 500.0; // hub + feed transport

    // Week 0: the KUBE starts with N = 1000 hens aged 18 and C = 1,000,000.
    let kg0 = 1000.0 * 7.0 * 0.9 * 60.0 / 1000.0; // 6,300 eggs of 60 g = 378 kg
    let x0 = (b + kg0) / d; // 0.5378
    let p0 = 20_000.0 + 1000.0 * (1.0 - x0) / 0.5; // inside the band: 20,924.4
    let sales0 = kg0 * p0 * 0.8 * 1.0;
    let cost0 = (1000.0 * 7.0 * 100.0 / 1000.0) * feed_price + 1000.0 * 10.0 + 1000.0; // 3,861,000
    let net0 = sales0 - cost0;
    let mut payout0 = 0.5 * net0;
    let cash0 = 1_000_000.0 + net0 - payout0; // above the reserve target of 2,000,000
    payout0 += cash0 - 2_000_000.0;

    // Week 1: 990 hens aged 19; after deaths 980.1, age 20 = cull age: sold as spent hens.
    let kg1 = 990.0 * 7.0 * 0.9 * 60.0 / 1000.0;
    let x1 = (b + kg1) / d;
    let p1 = 20_000.0 + 1000.0 * (1.0 - x1) / 0.5;
    let sales1 = kg1 * p1 * 0.8;
    let cost1 = (990.0 * 7.0 * 100.0 / 1000.0) * feed_price + 990.0 * 10.0 + 1000.0;
    let spent = 990.0 * (1.0 - 0.01) * 20_000.0;
    let net1 = sales1 - cost1;
    let mut payout1 = 0.5 * net1;
    let cash1 = 2_000_000.0 + net1 - payout1 + spent;
    payout1 += cash1 - 2_000_000.0;
    Weeks01 {
        price: [p0, p1],
        sales: [sales0, sales1],
        cost: [cost0, cost1],
        payout: [payout0, payout1],
        spent,
    }
}

#[test]
fn market_4_1_demand_supply_self_sufficiency_price_and_deficit() {
    let (_, baseline, run) = run(ONE_KUBE);
    let w = weeks_0_and_1();
    // Baseline: x = 5,000 / 10,000 = 0.5, (1 - 0.5) / 0.5 = 1: import parity 20,000 + 1,000.
    close(baseline.region_weekly[[0, 0, rw::DEMAND_KG]], 10_000.0, "D");
    close(
        baseline.region_weekly[[0, 0, rw::BASELINE_SUPPLY_KG]],
        5_000.0,
        "B",
    );
    close(
        baseline.region_weekly[[0, 0, rw::SELF_SUFFICIENCY]],
        0.5,
        "x baseline",
    );
    close(
        baseline.region_weekly[[0, 0, rw::PRICE_RP_PER_KG]],
        21_000.0,
        "P baseline",
    );
    close(
        baseline.region_weekly[[0, 0, rw::DEFICIT_KG]],
        5_000.0,
        "deficit baseline",
    );
    // With the KUBE: K = 378 kg, x = 0.5378, P = 20,924.4; deficit 10,000 - 5,378 = 4,622.
    close(
        run.region_weekly[[0, 0, rw::KUBE_SUPPLY_KG]],
        378.0,
        "K week 0",
    );
    close(
        run.region_weekly[[0, 0, rw::SELF_SUFFICIENCY]],
        0.5378,
        "x week 0",
    );
    close(
        run.region_weekly[[0, 0, rw::PRICE_RP_PER_KG]],
        w.price[0],
        "P week 0",
    );
    close(w.price[0], 20_924.4, "P week 0 by hand");
    close(
        run.region_weekly[[0, 0, rw::DEFICIT_KG]],
        4_622.0,
        "deficit week 0",
    );
    close(
        run.region_weekly[[1, 0, rw::PRICE_RP_PER_KG]],
        w.price[1],
        "P week 1",
    );
    // Weeks 2 on the KUBE has no hens: the market is the baseline's.
    close(
        run.region_weekly[[2, 0, rw::KUBE_SUPPLY_KG]],
        0.0,
        "K week 2",
    );
    close(
        run.region_weekly[[2, 0, rw::PRICE_RP_PER_KG]],
        21_000.0,
        "P week 2",
    );
}

#[test]
fn market_4_1_growth_seasons_and_export_parity() {
    // Demand grows 10% a year and January demand is doubled; production is 10 times
    // larger, so the region is in surplus and sells at export parity.
    let toml = ONE_KUBE
        .replace("demand_season = [1,", "demand_season = [2,")
        .replace("price_season = [1,", "price_season = [1.5,")
        .replace("food_inflation = 0.0", "food_inflation = 0.1")
        .replace("feed_inflation = 0.0", "feed_inflation = 0.2");
    let s = scenario_in("hand", &toml);
    let path = Path::new(&s.world);
    // Week 2 (2020-01-20, Thursday in January): P_hub = 20,000 x 1.1^(2/52) x 1.5.
    let hub = 20_000.0 * 1.1f64.powf(2.0 / 52.0) * 1.5;
    close(path.hub_egg_rp_per_kg[2], hub, "P_hub");
    close(
        path.demand_kg[[2, 0]],
        52_000.0 * 10.0 / 52.0 * 2.0,
        "D in January",
    );
    // Week 4 is 2020-02-03: February, season 1 again.
    close(path.demand_kg[[4, 0]], 10_000.0, "D in February");
    close(
        path.feed_rp_per_kg[[4, 0]],
        5500.0 * 1.2f64.powf(4.0 / 52.0),
        "F",
    );
    // Export parity: x = 3 is beyond the band, so P = hub - transport.
    close(
        telur::model::market::egg_price(hub, 1000.0, 3.0, 0.5),
        hub - 1000.0,
        "export parity",
    );
}

#[test]
fn kube_4_3_sales_costs_culling_reserve_and_payouts() {
    let (_, _, run) = run(ONE_KUBE);
    let w = weeks_0_and_1();
    let week = |t: usize, m: usize| run.program_weekly[[t, m]];
    close(week(0, pw::ACTIVE_KUBES), 1.0, "active week 0");
    close(week(0, pw::EGGS_KG), 378.0, "eggs week 0");
    close(week(0, pw::REVENUE_RP), w.sales[0], "revenue week 0");
    close(week(0, pw::COST_RP), w.cost[0], "cost week 0");
    close(w.cost[0], 3_861_000.0, "cost week 0 by hand");
    close(
        week(0, pw::PAYOUT_RP),
        w.payout[0],
        "payout week 0 (half the profit plus the cash above the reserve)",
    );
    close(
        week(0, pw::CASH_RP),
        2_000_000.0,
        "cash capped at the reserve target",
    );
    close(week(0, pw::HENS), 990.0, "hens after 1% deaths");
    // Week 1: the flock reaches the cull age; the spent hens' value returns to the reserve.
    close(
        week(1, pw::REVENUE_RP),
        w.sales[1] + w.spent,
        "revenue week 1 includes spent hens",
    );
    close(week(1, pw::COST_RP), w.cost[1], "cost week 1");
    close(week(1, pw::PAYOUT_RP), w.payout[1], "payout week 1");
    close(week(1, pw::HENS), 0.0, "culled");
    close(
        week(1, pw::ACTIVE_KUBES),
        1.0,
        "week status of the culling week is active",
    );
    // Week 2: resting (rest_weeks = 1): no hens, no costs, no payout.
    close(week(2, pw::ACTIVE_KUBES), 0.0, "resting");
    close(week(2, pw::COST_RP), 0.0, "no costs while resting");
    close(week(2, pw::PAYOUT_RP), 0.0, "no payout while resting");
    close(week(2, pw::CASH_RP), 2_000_000.0, "cash kept while resting");
    // Week 3: restock n = min(1000, (2,000,000 - 1,000,000) / 50,000) = 20 < 0.5 x 1000:
    // the KUBE closes and pays out all its cash.
    close(week(3, pw::PAYOUT_RP), 2_000_000.0, "closing payout");
    close(week(3, pw::CLOSED_KUBES), 1.0, "closed");
    close(week(3, pw::CASH_RP), 0.0, "no cash after closing");
    close(week(5, pw::CLOSED_KUBES), 1.0, "closed is final");
    assert_eq!(run.kubes.status[0], Status::Closed);
}

#[test]
fn kube_4_3_restock_buys_what_the_cash_above_working_capital_affords() {
    // With a low minimum restock the KUBE restocks 20 pullets in week 3.
    let (_, _, run) =
        run(&ONE_KUBE.replace("min_restock_fraction = 0.5", "min_restock_fraction = 0.01"));
    let week = |t: usize, m: usize| run.program_weekly[[t, m]];
    close(week(3, pw::ACTIVE_KUBES), 1.0, "active again");
    // 20 hens laid this week then 1% died: 19.8 left; cash 2,000,000 - 20 x 50,000 = 1,000,000
    // before the week's profit.
    close(week(3, pw::HENS), 19.8, "restocked hens after deaths");
    close(
        week(3, pw::EGGS_KG),
        20.0 * 7.0 * 0.9 * 0.06,
        "eggs of the new flock",
    );
    close(
        run.kubes.total_restock_rp[0],
        1_000_000.0,
        "restocking cost",
    );
}

#[test]
fn kube_4_3_failure_sells_the_hens_and_pays_out_what_is_left() {
    // Fixed costs of 5,000,000 a week: week 0 loses 2,532,461.44, cash falls below zero.
    let (_, _, run) = run(&ONE_KUBE.replace(
        "fixed_cost_rp_per_kube_week = 1000",
        "fixed_cost_rp_per_kube_week = 5000000",
    ));
    let w = weeks_0_and_1();
    let cost0 = w.cost[0] - 1000.0 + 5_000_000.0;
    let cash = 1_000_000.0 + (w.sales[0] - cost0); // no payout from a loss
    assert!(cash < 0.0);
    let sold = 990.0 * 20_000.0;
    let week = |m: usize| run.program_weekly[[0, m]];
    close(
        week(pw::REVENUE_RP),
        w.sales[0] + sold,
        "revenue includes hens sold on failure",
    );
    close(
        week(pw::PAYOUT_RP),
        cash + sold,
        "what is left after the debts is paid out",
    );
    close(week(pw::FAILED_KUBES), 1.0, "failed");
    close(week(pw::HENS), 0.0, "no hens after failure");
    close(week(pw::CASH_RP), 0.0, "no cash after failure");
    close(
        run.program_weekly[[1, pw::ACTIVE_KUBES]],
        0.0,
        "failed is final",
    );
}

#[test]
fn household_4_4_income_smoothing_line_and_graduation() {
    let (_, _, run) = run(ONE_KUBE);
    let w = weeks_0_and_1();
    // y_i = 0.5 x 300,000 x 4 x exp(0.5 Phi^-1((i + 0.5)/2) - 0.5^2/2), Phi^-1(0.25) = -0.67449.
    let z = 0.674_489_750_196_081_7;
    let y = [
        600_000.0 * (-0.5 * z - 0.125f64).exp(),
        600_000.0 * (0.5 * z - 0.125f64).exp(),
    ];
    let base = y.map(|y| y * 12.0 / 52.0);
    let line = 300_000.0 * 4.0 * 12.0 / 52.0; // 276,923 a week
    let alpha = 2.0 / (3.0 + 1.0);
    // S(-1) = base; S(0) = alpha (base + payout/2) + (1 - alpha) base, and so on.
    let mut s = base;
    let mut weeks_above = [0u32; 2];
    let mut graduated = [None; 2];
    let payouts = [w.payout[0], w.payout[1], 0.0, 2_000_000.0, 0.0, 0.0];
    for (t, payout) in payouts.iter().enumerate() {
        let mut per_capita = [0.0; 2];
        for i in 0..2 {
            s[i] = alpha * (base[i] + payout / 2.0) + (1.0 - alpha) * s[i];
            weeks_above[i] = if s[i] >= line { weeks_above[i] + 1 } else { 0 };
            if graduated[i].is_none() && weeks_above[i] >= 2 {
                graduated[i] = Some(t);
            }
            per_capita[i] = s[i] / 4.0 * 52.0 / 12.0;
        }
        let (lo, hi) = (
            per_capita[0].min(per_capita[1]),
            per_capita[0].max(per_capita[1]),
        );
        // Type-7 quantiles of two values: p10 = lo + 0.1 (hi - lo), and so on.
        close(
            run.program_weekly[[t, pw::INCOME_P10]],
            lo + 0.1 * (hi - lo),
            "p10",
        );
        close(
            run.program_weekly[[t, pw::INCOME_P50]],
            lo + 0.5 * (hi - lo),
            "p50",
        );
        close(
            run.program_weekly[[t, pw::INCOME_P90]],
            lo + 0.9 * (hi - lo),
            "p90",
        );
        let above = weeks_above.iter().filter(|&&n| n > 0).count() as f64 / 2.0;
        close(
            run.program_weekly[[t, pw::ABOVE_LINE_SHARE]],
            above,
            "above-line share",
        );
        let grads = graduated.iter().filter(|g| g.is_some()).count() as f64 / 2.0;
        close(
            run.program_weekly[[t, pw::GRADUATED_SHARE]],
            grads,
            "graduated share",
        );
    }
    // The big payouts of weeks 0 and 1 lift both households above the line two weeks running.
    assert_eq!(graduated, [Some(1), Some(1)]);
    assert_eq!(run.totals.weeks_to_graduation, [2, 2]);
}

#[test]
fn program_4_5_costs_discounting_and_summary_metrics() {
    let (s, baseline, run) = run(ONE_KUBE);
    let w = weeks_0_and_1();
    let disc = |t: f64| 1.04f64.powf(-t / 52.0);
    // Start: capex + H0 x pullet + C0; mentoring in weeks 0 and 1 (active) and 2 (resting).
    let start_cost = 5_000_000.0 + 1000.0 * 50_000.0 + 1_000_000.0;
    let cost = start_cost + 3.0 * 40_000.0;
    let npv_cost = (start_cost + 40_000.0) + 40_000.0 * disc(1.0) + 40_000.0 * disc(2.0);
    let payouts = [w.payout[0], w.payout[1], 0.0, 2_000_000.0];
    let npv_payouts: f64 = payouts
        .iter()
        .enumerate()
        .map(|(t, p)| p * disc(t as f64))
        .sum();
    let m = outcome::summary_metrics(&s.world, &outcome::Baseline::of(&baseline), &run);
    close(m[sm::PROGRAM_COST_RP], cost, "program cost");
    close(
        m[sm::NPV_PROGRAM_COST_RP],
        npv_cost,
        "NPV of programme cost",
    );
    close(
        m[sm::NPV_PAYOUTS_RP],
        npv_payouts,
        "NPV of payouts (no cash left at the end)",
    );
    close(
        m[sm::BENEFIT_COST_RATIO],
        npv_payouts / npv_cost,
        "benefit-cost ratio",
    );
    // Two households for 6 weeks: 12 x 12/52 household-months.
    close(
        m[sm::PAYOUT_PER_HOUSEHOLD_MONTH_RP],
        payouts.iter().sum::<f64>() / (12.0 * 12.0 / 52.0),
        "payout per household-month",
    );
    close(m[sm::GRADUATED_SHARE], 1.0, "both graduated");
    close(
        m[sm::MEDIAN_WEEKS_TO_GRADUATION],
        2.0,
        "graduated in week 1 of a KUBE started in week 0",
    );
    close(m[sm::COST_PER_GRADUATE_RP], cost / 2.0, "cost per graduate");
    close(m[sm::KUBES_CLOSED_SHARE], 1.0, "closed at the end");
    close(m[sm::KUBES_OPERATING_END_SHARE], 0.0, "not operating");
    // Deficit reduction: 378 kg in week 0 and 374.22 kg in week 1, at 1,000 Rp/kg transport.
    let reduction = 378.0 + 990.0 * 7.0 * 0.9 * 0.06;
    close(m[sm::DEFICIT_REDUCTION_KG], reduction, "deficit reduction");
    close(
        m[sm::DEFICIT_REDUCTION_SHARE],
        reduction / (6.0 * 5_000.0),
        "share of the baseline deficit",
    );
    close(
        m[sm::IMPORT_COST_SAVED_RP],
        reduction * 1000.0,
        "import cost saved",
    );
    // Consumer price change, demand-weighted over the six weeks (equal demand each week).
    let change = (w.price[0] / 21_000.0 - 1.0) + (w.price[1] / 21_000.0 - 1.0);
    close(
        m[sm::CONSUMER_PRICE_CHANGE_PCT],
        100.0 * change / 6.0,
        "consumer price change",
    );
}

#[test]
fn placement_4_2_rollout_start_weeks_and_pending_kubes() {
    // Three KUBE over a 4-week rollout starting week 1: KUBE j starts at 1 + floor(4j/3) =
    // 1, 2, 3. Before its start a KUBE is pending: no hens, no households counted.
    let toml = ONE_KUBE.replace(
        "allocation = { \"Testland\" = 1 }",
        "allocation = { \"99\" = 3 }\nstart_week = 1\nrollout_weeks = 4",
    );
    let (_, _, run) = run(&toml);
    assert_eq!(run.kubes.start_week, [1, 2, 3]);
    close(
        run.program_weekly[[0, pw::ACTIVE_KUBES]],
        0.0,
        "nothing before the start week",
    );
    assert!(
        run.program_weekly[[0, pw::GRADUATED_SHARE]].is_nan(),
        "no households yet: undefined"
    );
    close(run.program_weekly[[1, pw::ACTIVE_KUBES]], 1.0, "first KUBE");
    close(
        run.program_weekly[[2, pw::ACTIVE_KUBES]],
        2.0,
        "second KUBE",
    );
    close(
        run.program_weekly[[3, pw::ACTIVE_KUBES]],
        2.0,
        "third KUBE starts as the first rests",
    );
}

// Readings of MODEL.md where it is silent or ambiguous, each named as such.

#[test]
fn ambiguity_a_failed_kube_whose_hens_do_not_cover_its_debt_has_the_rest_written_off() {
    // MODEL.md sets C to 0 on failure even when selling the hens leaves C below 0. The
    // unpaid remainder is recorded as written off so the cash ledger still balances.
    let (_, _, run) = run(&ONE_KUBE.replace(
        "fixed_cost_rp_per_kube_week = 1000",
        "fixed_cost_rp_per_kube_week = 30000000",
    ));
    let w = weeks_0_and_1();
    let cost0 = w.cost[0] - 1000.0 + 30_000_000.0;
    let after_sale = 1_000_000.0 + (w.sales[0] - cost0) + 990.0 * 20_000.0;
    assert!(after_sale < 0.0);
    close(
        run.program_weekly[[0, pw::PAYOUT_RP]],
        0.0,
        "nothing to pay out",
    );
    close(run.kubes.cash_rp[0], 0.0, "cash set to 0");
    close(
        run.kubes.total_written_off_rp[0],
        -after_sale,
        "debt written off",
    );
}

#[test]
fn ambiguity_no_demand_means_infinite_self_sufficiency_and_export_parity() {
    // MODEL.md: x = +inf when D = 0. The price is then export parity and the CSV says inf.
    let toml = ONE_KUBE
        .replace("regions.csv", "no-demand.csv")
        .replace("\"Testland\"", "\"Emptyland\"");
    let (_, baseline, run) = run(&toml);
    assert_eq!(
        baseline.region_weekly[[0, 0, rw::SELF_SUFFICIENCY]],
        f64::INFINITY
    );
    close(
        baseline.region_weekly[[0, 0, rw::PRICE_RP_PER_KG]],
        20_000.0 - 1000.0,
        "export parity",
    );
    close(
        run.region_weekly[[0, 0, rw::DEFICIT_KG]],
        0.0,
        "no deficit without demand",
    );
}

#[test]
fn ambiguity_hen_day_times_production_factor_is_not_capped_in_deterministic_mode() {
    // The 0.98 cap of MODEL.md 5 belongs to the stochastic model; section 4 has none.
    let (_, _, run) = run(&ONE_KUBE.replace("production_factor = 1.0", "production_factor = 1.5"));
    close(
        run.program_weekly[[0, pw::EGGS_KG]],
        1000.0 * 7.0 * 0.9 * 1.5 * 0.06,
        "eggs at 135% hen-day",
    );
}

#[test]
fn ambiguity_target_regions_are_those_placed_even_if_no_kube_has_started_yet() {
    // A placement starting after the horizon has target regions but no started KUBE:
    // its shares over started KUBE and households are undefined, its deficit share is 0.
    let toml = ONE_KUBE.replace(
        "allocation = { \"Testland\" = 1 }",
        "allocation = { \"Testland\" = 1 }\nstart_week = 100",
    );
    let (s, baseline, run) = run(&toml);
    let m = outcome::summary_metrics(&s.world, &outcome::Baseline::of(&baseline), &run);
    close(m[sm::KUBES], 1.0, "placed");
    close(m[sm::DEFICIT_REDUCTION_SHARE], 0.0, "nothing reduced");
    assert!(m[sm::GRADUATED_SHARE].is_nan() && m[sm::KUBES_FAILED_SHARE].is_nan());
    close(m[sm::CONSUMER_PRICE_CHANGE_PCT], 0.0, "prices unchanged");
}

#[test]
fn ambiguity_a_household_exactly_on_its_line_compares_as_the_literal_formulas_do() {
    // Baseline income equal to the line (ratio 1, no spread) and no payout (the KUBE keeps
    // all its profit): S(t) and L(t) are equal in exact arithmetic, so `above` depends on
    // rounding. telur evaluates both in MODEL.md's order, as a literal implementation would.
    let toml = ONE_KUBE
        .replace("baseline_income_ratio = 0.5", "baseline_income_ratio = 1.0")
        .replace(
            "income_dispersion_sigma = 0.5",
            "income_dispersion_sigma = 0.0",
        )
        .replace("retain_share = 0.5", "retain_share = 1.0")
        .replace("reserve_target_rp = 2000000", "reserve_target_rp = 1e12")
        .replace("cull_age_weeks = 20", "cull_age_weeks = 60");
    let (_, _, run) = run(&toml);
    let alpha = 2.0 / (3.0 + 1.0);
    let base = 1.0 * 300_000.0 * 4.0 * (0.0f64 * 0.0 - 0.0 * 0.0 / 2.0).exp() * 1.0 * 12.0 / 52.0;
    let line = 300_000.0 * 4.0 * 1.0 * 12.0 / 52.0;
    let mut s = base;
    for t in 0..6 {
        s = alpha * (base + 0.0 / 2.0) + (1.0 - alpha) * s;
        let above = if s >= line { 1.0 } else { 0.0 };
        assert_eq!(
            run.program_weekly[[t, pw::PAYOUT_RP]],
            0.0,
            "no payout in week {t}"
        );
        assert_eq!(
            run.program_weekly[[t, pw::ABOVE_LINE_SHARE]],
            above,
            "week {t}: S = {s}, L = {line}"
        );
    }
}

// MODEL.md v2: the price index, trays, the flock's loss of value, forgone earnings, and
// the three arms of 4.6, on the same KUBE.

/// ONE_KUBE with a reserve target too high to bind, so payouts are the payout rule's alone.
fn unbounded_reserve(toml: &str) -> String {
    toml.replace("reserve_target_rp = 2000000", "reserve_target_rp = 1e12")
}

#[test]
fn kube_4_3_trays_and_the_flocks_loss_of_value_under_both_payout_rules() {
    // Trays at 100 Rp/kg sold; spent hens at 49,000, so a pullet (50,000) loses 1,000 over
    // the flock's 2 laying weeks: dep = N x 1,000 / 2 with N the hens at the start of the week.
    let toml = unbounded_reserve(ONE_KUBE)
        .replace("tray_cost_rp_per_kg = 0", "tray_cost_rp_per_kg = 100")
        .replace("spent_hen_price_rp = 20000", "spent_hen_price_rp = 49000");
    let w = weeks_0_and_1();
    let cost = [
        w.cost[0] + 378.0 * 100.0,
        w.cost[1] + 990.0 * 7.0 * 0.9 * 0.06 * 100.0,
    ];
    let net = [w.sales[0] - cost[0], w.sales[1] - cost[1]];
    let dep = [1000.0 * 1000.0 / 2.0, 990.0 * 1000.0 / 2.0];
    let (_, _, profit) = run(&toml);
    let (_, _, replacement) =
        run(&toml.replace("payout_rule = \"profit\"", "payout_rule = \"replacement\""));
    for t in 0..2 {
        close(
            profit.program_weekly[[t, pw::COST_RP]],
            cost[t],
            "cost with trays",
        );
        close(
            profit.program_weekly[[t, pw::PAYOUT_RP]],
            0.5 * net[t],
            "profit rule: half the operating profit",
        );
        close(
            replacement.program_weekly[[t, pw::PAYOUT_RP]],
            0.5 * (net[t] - dep[t]),
            "replacement rule: half the profit beyond the loss of value",
        );
    }
    // What the replacement rule keeps: dep x (1 - retain) more each week.
    let kept = |run: &Run| run.program_weekly[[0, pw::CASH_RP]];
    close(
        kept(&replacement) - kept(&profit),
        0.5 * dep[0],
        "the group keeps half the loss of value",
    );
}

#[test]
fn kube_4_3_the_price_index_grows_working_capital_reserve_capex_and_costs() {
    // 10% food inflation, feed flat; the KUBE starts in week 2, at g(2) = 1.1^(2/52).
    let toml = ONE_KUBE
        .replace("food_inflation = 0.0", "food_inflation = 0.1")
        .replace("tray_cost_rp_per_kg = 0", "tray_cost_rp_per_kg = 100")
        .replace(
            "allocation = { \"Testland\" = 1 }",
            "allocation = { \"Testland\" = 1 }\nstart_week = 2",
        );
    let (s, baseline, run) = run(&toml);
    let g = 1.1f64.powf(2.0 / 52.0);
    // Outlay at the start: capex(t_s) + H0 x pullet(t_s) + C0(t_s).
    let outlay = 5_000_000.0 * g + 1000.0 * (50_000.0 * g) + 1_000_000.0 * g;
    close(
        run.kubes.outlay_rp[0],
        outlay,
        "outlay at the start week's prices",
    );
    // The first week's costs: feed (not inflated here), vet, fixed and trays at g(2).
    let kg = 378.0;
    let cost = 700.0 * 5_500.0 + 1000.0 * (10.0 * g) + 1000.0 * g + kg * (100.0 * g);
    close(run.program_weekly[[2, pw::COST_RP]], cost, "costs at g(2)");
    // Cash is capped at the reserve target R(2) = 2,000,000 g(2).
    close(
        run.program_weekly[[2, pw::CASH_RP]],
        2_000_000.0 * g,
        "R(t)",
    );
    let m = outcome::summary_metrics(&s.world, &outcome::Baseline::of(&baseline), &run);
    // Weeks 2 (active), 3 (active: culled at 20) and 4 (resting) pay mentoring, not inflated.
    close(
        m[sm::PROGRAM_COST_RP],
        outlay + 3.0 * 40_000.0,
        "programme cost",
    );
}

#[test]
fn household_4_4_members_give_up_earnings_while_the_flock_lays() {
    // W = 7,000 per member in the weeks the KUBE is active (0 and 1), nothing while it
    // rests (2) or once it has closed (3 on).
    let toml = ONE_KUBE.replace(
        "forgone_rp_per_member_week = 0",
        "forgone_rp_per_member_week = 7000",
    );
    let (s, baseline, run) = run(&toml);
    let w = weeks_0_and_1();
    let payouts = [w.payout[0], w.payout[1], 0.0, 2_000_000.0, 0.0, 0.0];
    let forgone = [7_000.0, 7_000.0, 0.0, 0.0, 0.0, 0.0];
    let disc = |t: f64| 1.04f64.powf(-t / 52.0);
    let m = outcome::summary_metrics(&s.world, &outcome::Baseline::of(&baseline), &run);
    // Benefits: payouts net of both members' forgone earnings, discounted (no cash or hens
    // left at the end).
    let benefits: f64 = (0..6)
        .map(|t| (payouts[t] - 2.0 * forgone[t]) * disc(t as f64))
        .sum();
    close(m[sm::NPV_BENEFITS_RP], benefits, "NPV of benefits");
    close(
        m[sm::BENEFIT_COST_RATIO],
        benefits / m[sm::NPV_PROGRAM_COST_RP],
        "benefit-cost ratio on benefits",
    );
    // Income gain: (payout/2 - W) per member-week, per person (4) per month, over the 12
    // household-weeks.
    let gain: f64 = (0..6).map(|t| payouts[t] / 2.0 - forgone[t]).sum::<f64>() * 2.0;
    close(
        m[sm::INCOME_GAIN_PC_MONTH_RP],
        gain * 52.0 / 12.0 / 4.0 / 12.0,
        "income gain per person-month",
    );
}

#[test]
fn arms_4_6_cash_of_the_same_cost_spreads_the_outlay_over_the_weeks_left() {
    let (s, baseline, run) = run(ONE_KUBE);
    // cash_k(t) = outlay / (T - t_s) + mentoring_k(t): 56,000,000 / 6 each week, plus the
    // 40,000 of mentoring in weeks 0-2 (active, active, resting), none once closed.
    let outlay = 5_000_000.0 + 1000.0 * 50_000.0 + 1_000_000.0;
    let cash: Vec<f64> = (0..6)
        .map(|t| outlay / 6.0 + if t < 3 { 40_000.0 } else { 0.0 })
        .collect();
    let m = outcome::summary_metrics(&s.world, &outcome::Baseline::of(&baseline), &run);
    // The transfers add up to exactly what the programme spent.
    close(
        cash.iter().sum(),
        m[sm::PROGRAM_COST_RP],
        "cash = programme cost",
    );
    close(
        m[sm::INCOME_GAIN_PC_MONTH_CASH_RP],
        cash.iter().sum::<f64>() / 2.0 * 2.0 * 52.0 / 12.0 / 4.0 / 12.0,
        "cash gain per person-month",
    );
    // Each arm smoothed from the same S(-1) = base, by the literal formula.
    let z = 0.674_489_750_196_081_7;
    let base = [-z, z].map(|q| 600_000.0 * (0.5 * q - 0.125f64).exp() * 12.0 / 52.0);
    let line = 300_000.0 * 4.0 * 12.0 / 52.0;
    let alpha = 0.5;
    let (mut s_cash, mut s_wo) = (base, base);
    let (mut streak_cash, mut streak_wo) = ([0; 2], [0; 2]);
    for (t, c) in cash.iter().enumerate() {
        let (mut above_cash, mut above_wo) = (0.0, 0.0);
        for i in 0..2 {
            s_cash[i] = alpha * (base[i] + c / 2.0) + (1.0 - alpha) * s_cash[i];
            s_wo[i] = alpha * base[i] + (1.0 - alpha) * s_wo[i];
            streak_cash[i] = if s_cash[i] >= line {
                streak_cash[i] + 1
            } else {
                0
            };
            streak_wo[i] = if s_wo[i] >= line { streak_wo[i] + 1 } else { 0 };
            above_cash += f64::from(u8::from(s_cash[i] >= line)) / 2.0;
            above_wo += f64::from(u8::from(s_wo[i] >= line)) / 2.0;
        }
        close(
            run.program_weekly[[t, pw::ABOVE_LINE_SHARE_CASH]],
            above_cash,
            "above, cash",
        );
        close(
            run.program_weekly[[t, pw::ABOVE_LINE_SHARE_WITHOUT]],
            above_wo,
            "above, without",
        );
        // p50 without: the mean of the two per-capita incomes.
        let p50 = (s_wo[0] + s_wo[1]) / 2.0 / 4.0 * 52.0 / 12.0;
        close(
            run.program_weekly[[t, pw::INCOME_P50_WITHOUT]],
            p50,
            "p50 without",
        );
    }
    // Below the line without the programme (ratio 0.5), above with 4.7 M a week of cash.
    close(
        m[sm::GRADUATED_SHARE_WITHOUT],
        0.0,
        "nobody graduates without",
    );
    close(m[sm::GRADUATED_SHARE_CASH], 1.0, "both graduate with cash");
    close(
        m[sm::GRADUATION_ATTRIBUTABLE_SHARE_CASH],
        1.0,
        "caused by cash",
    );
    close(
        m[sm::ATTRIBUTABLE_GRADUATES],
        2.0,
        "both caused by the programme",
    );
    close(
        m[sm::GRADUATION_ATTRIBUTABLE_SHARE],
        1.0,
        "programme share caused",
    );
    close(
        m[sm::COST_PER_ATTRIBUTABLE_GRADUATE_RP],
        m[sm::PROGRAM_COST_RP] / 2.0,
        "cost per graduate caused",
    );
    close(m[sm::POOR_AT_ENTRY_SHARE], 1.0, "both poor at entry");
    close(
        m[sm::ABOVE_LINE_END_SHARE_WITHOUT],
        0.0,
        "without: below at the end",
    );
}

#[test]
fn arms_4_6_a_household_above_its_line_at_entry_graduates_in_every_arm_and_counts_for_nothing() {
    // Baseline income twice the line: above from its first week in every arm, so it
    // graduates in every arm and the programme caused nothing.
    let toml = ONE_KUBE.replace("baseline_income_ratio = 0.5", "baseline_income_ratio = 2.0");
    let (s, baseline, run) = run(&toml);
    let m = outcome::summary_metrics(&s.world, &outcome::Baseline::of(&baseline), &run);
    for metric in [
        sm::GRADUATED_SHARE,
        sm::GRADUATED_SHARE_WITHOUT,
        sm::GRADUATED_SHARE_CASH,
    ] {
        close(m[metric], 1.0, sm::NAMES[metric]);
    }
    close(m[sm::ATTRIBUTABLE_GRADUATES], 0.0, "nothing caused");
    close(m[sm::GRADUATION_ATTRIBUTABLE_SHARE], 0.0, "no share caused");
    assert!(
        m[sm::COST_PER_ATTRIBUTABLE_GRADUATE_RP].is_nan(),
        "no cost per graduate caused without a graduate caused"
    );
    close(m[sm::POOR_AT_ENTRY_SHARE], 0.0, "nobody poor at entry");
}

#[test]
fn arms_4_6_with_no_payout_and_no_forgone_earnings_the_programme_arm_is_the_without_arm() {
    // The KUBE keeps all its profit and members give up nothing: I = I_wo every week, and
    // the engine's programme arm (S_wo plus the KUBE's moving average of 0) is the without
    // arm bit for bit.
    let toml = unbounded_reserve(ONE_KUBE)
        .replace("retain_share = 0.5", "retain_share = 1.0")
        .replace("cull_age_weeks = 20", "cull_age_weeks = 60");
    let (_, _, run) = run(&toml);
    assert!(
        run.program_weekly
            .column(pw::PAYOUT_RP)
            .iter()
            .all(|&p| p == 0.0)
    );
    for t in 0..6 {
        assert_eq!(
            run.program_weekly[[t, pw::INCOME_P50]].to_bits(),
            run.program_weekly[[t, pw::INCOME_P50_WITHOUT]].to_bits(),
            "week {t}"
        );
        assert_eq!(
            run.program_weekly[[t, pw::ABOVE_LINE_SHARE]],
            run.program_weekly[[t, pw::ABOVE_LINE_SHARE_WITHOUT]]
        );
    }
    assert_eq!(
        run.households.graduated_week[0],
        run.households.graduated_week[1]
    );
}
