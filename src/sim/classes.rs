//! Deterministic mode over one KUBE of each kind.
//!
//! Without draws, two KUBE of one region that start in the same week follow the same path
//! to the last bit: the same flock, prices, payouts and moving averages, and members with
//! the same incomes, sizes and lines (MODEL.md 4). KUBE are numbered region by region with
//! start weeks that never decrease, so such KUBE are consecutive: a *class* is a run of
//! KUBE with one region and one start week. The national scenario's 100,000 KUBE in 24
//! provinces with a 52-week rollout make 75 classes (the rollout hands out start weeks in
//! KUBE order, across regions).
//!
//! Both sides of the week then run one KUBE per class. The KUBE passes run each class's
//! KUBE as a block of its own, and the week's sums (regional supply, the programme's
//! flows) are replayed in the order the blocks of every KUBE add them: per block of
//! [`BLOCK_KUBES`], from 0, each KUBE's value added once per KUBE, the blocks then added in
//! order ([`Replay`]); the same floating-point additions, so the same bits. The household
//! pass runs the members of each class's KUBE only; every count is that class's count
//! times its KUBE, the weekly quantiles are the order statistics of the values repeated as
//! often. After the last week the state is copied back to every KUBE of each class. Each
//! KUBE's and member's computation is the one the full passes do, so the outputs are the
//! same bytes (tested).

use super::households::{self, Counts};
use super::kube_pass::{BLOCK_KUBES, Block, add_part};
use super::luck::HouseholdLuck;
use super::rng::IncomeStreams;
use super::state::{ARMS, Households, Kubes, WITHOUT};
use crate::data::RegionId;
use crate::model::World;
use crate::results::metrics::program_weekly as pw;

/// The programme's weekly flows the KUBE passes fill: `program_weekly`'s first entries,
/// active KUBE to closed KUBE.
const KUBE_FLOWS: usize = pw::CLOSED_KUBES + 1;

/// Runs of KUBE with one region and one start week, and the scratch of their weekly pass.
pub struct Classes {
    /// Per class: its first KUBE, the number of KUBE it stands for, and its start week.
    first: Vec<usize>,
    weight: Vec<u64>,
    pub start_week: Vec<u32>,
    region: Vec<RegionId>,
    /// Scratch for the weekly quantiles: each representative's value and weight.
    values: Vec<f64>,
    pairs: Vec<(f64, u64)>,
}

impl Classes {
    /// The classes of KUBE with these regions and start weeks (start weeks never decrease
    /// within a region).
    pub fn of(region: &[RegionId], start_week: &[u32]) -> Classes {
        let mut first = Vec::new();
        for k in 0..region.len() {
            if k == 0 || region[k] != region[k - 1] || start_week[k] != start_week[k - 1] {
                first.push(k);
            }
        }
        let weight = first
            .iter()
            .zip(first.iter().skip(1).chain([&region.len()]))
            .map(|(&a, &b)| (b - a) as u64)
            .collect();
        Classes {
            start_week: first.iter().map(|&k| start_week[k]).collect(),
            region: first.iter().map(|&k| region[k]).collect(),
            weight,
            first,
            values: Vec::new(),
            pairs: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.first.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// One block per class holding one of its KUBE, numbered by class.
    pub fn blocks(&self, world: &World) -> Vec<Block> {
        (0..self.len())
            .map(|c| {
                let kube = Kubes::new(vec![self.region[c]], vec![self.start_week[c]]);
                Block::new(c, kube, None, world.regions.len())
            })
            .collect()
    }

    /// The plan of the KUBE passes' sums over every KUBE: each class's KUBE cut at the
    /// boundaries of the blocks of [`BLOCK_KUBES`].
    pub fn replay(&self) -> Replay {
        let n: usize = self.weight.iter().sum::<u64>() as usize;
        let mut runs = vec![Vec::new(); n.div_ceil(BLOCK_KUBES)];
        for (c, (&first, &weight)) in self.first.iter().zip(&self.weight).enumerate() {
            let (mut k, end) = (first, first + weight as usize);
            while k < end {
                let block = k / BLOCK_KUBES;
                let stop = end.min((block + 1) * BLOCK_KUBES);
                runs[block].push((c, stop - k));
                k = stop;
            }
        }
        Replay {
            runs,
            part: Vec::new(),
        }
    }

    /// Every KUBE's state, each a copy of its class's KUBE in `reps` (one per class).
    pub fn expand_kubes(&self, reps: &Kubes) -> Kubes {
        let counts: Vec<usize> = self.weight.iter().map(|&w| w as usize).collect();
        reps.repeat(&counts)
    }

    /// The members of each class's first KUBE, and their (never drawn) luck.
    pub fn compact(&self, hh: &Households, members: usize) -> (Households, HouseholdLuck) {
        let pick = |v: &[f64]| -> Vec<f64> {
            self.first
                .iter()
                .flat_map(|&k| v[k * members..(k + 1) * members].iter().copied())
                .collect()
        };
        let compact = Households::new(
            pick(&hh.baseline_month_rp),
            pick(&hh.people),
            pick(&hh.line_month_rp),
        );
        let n = compact.len();
        let mut streams = IncomeStreams::with_capacity(n);
        for _ in 0..n {
            streams.push([0; 4]);
        }
        let luck = HouseholdLuck {
            transitory: vec![0.0; n],
            spare_normal: vec![0.0; n],
            streams,
        };
        (compact, luck)
    }

    /// Every KUBE's members, each a copy of its class's representatives: the state the
    /// full pass would have left.
    pub fn expand(&self, compact: &Households, members: usize, full: &mut Households) {
        let m = members;
        for (c, (&first, &weight)) in self.first.iter().zip(&self.weight).enumerate() {
            let from = c * m..(c + 1) * m;
            for k in first..first + weight as usize {
                let to = k * m..(k + 1) * m;
                full.smoothed_rp[to.clone()].copy_from_slice(&compact.smoothed_rp[from.clone()]);
                for arm in 0..ARMS {
                    full.weeks_above[arm][to.clone()]
                        .copy_from_slice(&compact.weeks_above[arm][from.clone()]);
                    full.graduated_week[arm][to.clone()]
                        .copy_from_slice(&compact.graduated_week[arm][from.clone()]);
                }
            }
        }
    }

    /// Classes started by week t (a prefix: start weeks never decrease).
    pub fn started(&self, t: usize) -> usize {
        self.start_week.partition_point(|&s| s as usize <= t)
    }

    /// What week t came to over every KUBE's members, from the representatives' state
    /// after the week's pass: a household is above the line in an arm exactly when its
    /// streak there is not 0, graduates now when its graduation week is t, and is poor at
    /// entry when it starts now with no streak without the programme.
    pub fn counts(&self, hh: &Households, members: usize, t: usize) -> Counts {
        let week = u16::try_from(t).unwrap_or(super::state::NOT_GRADUATED - 1);
        let mut counts = Counts::default();
        for c in 0..self.started(t) {
            let w = self.weight[c];
            let range = c * members..(c + 1) * members;
            for arm in 0..ARMS {
                let above = hh.weeks_above[arm][range.clone()]
                    .iter()
                    .filter(|&&s| s > 0);
                counts.above[arm] += above.count() as u64 * w;
                let now = hh.graduated_week[arm][range.clone()]
                    .iter()
                    .filter(|&&g| g == week);
                counts.graduated_now[arm] += now.count() as u64 * w;
            }
            if self.start_week[c] as usize == t {
                let poor = hh.weeks_above[WITHOUT][range].iter().filter(|&&s| s == 0);
                counts.poor_at_entry += poor.count() as u64 * w;
            }
        }
        counts
    }

    /// The type-7 quantiles `ps` of every started household's per-capita monthly income
    /// this week, with the programme (`programme_rp`: each class's addition this week) or
    /// without it: the representatives' values, each repeated as often as its class has
    /// KUBE, in the arithmetic of [`crate::stats::Bands::finish`]. NaN when no household
    /// started.
    pub fn quantiles<const N: usize>(
        &mut self,
        hh: &Households,
        programme_rp: Option<&[f64]>,
        members: usize,
        t: usize,
        ps: [f64; N],
    ) -> [f64; N] {
        let classes = self.started(t);
        let Classes {
            weight,
            values,
            pairs,
            ..
        } = self;
        values.clear();
        households::incomes(hh, programme_rp, members, classes * members, values);
        pairs.clear();
        pairs.extend(
            values
                .iter()
                .enumerate()
                .map(|(h, &x)| (x, weight[h / members])),
        );
        pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let n: u64 = pairs.iter().map(|p| p.1).sum();
        let pairs = &*pairs;
        // The value of rank r (0-based) among the repeated values.
        let at = |r: u64| -> f64 {
            let mut below = 0;
            for &(x, w) in pairs {
                below += w;
                if r < below {
                    return x;
                }
            }
            f64::NAN
        };
        ps.map(|p| {
            if n == 0 {
                return f64::NAN;
            }
            let h = (n - 1) as f64 * p;
            let k = h.floor() as u64;
            let frac = h - k as f64;
            let x_lo = at(k);
            if frac == 0.0 || k + 1 >= n {
                return x_lo;
            }
            let x_hi = at(k + 1);
            x_lo + frac * (x_hi - x_lo)
        })
    }
}

/// The KUBE passes' weekly sums over every KUBE, from the KUBE of each class: the same
/// additions in the same order as the blocks of every KUBE make them.
pub struct Replay {
    /// Per block of [`BLOCK_KUBES`] KUBE: its runs of KUBE of one class, as (class,
    /// KUBE), in KUBE order.
    runs: Vec<Vec<(usize, usize)>>,
    /// One block's partial sums of supply.
    part: Vec<f64>,
}

impl Replay {
    /// The week's supply per region, kg, in `total` (zeroed first), from the classes'
    /// blocks (`reps`, numbered by class) after their start of week; returns the KUBE that
    /// started this week. A KUBE that lays nothing adds nothing, and adding 0 to a partial
    /// sum (never -0, as it starts at +0) leaves it as it is, so every KUBE can add its
    /// class's value.
    pub fn supply(&mut self, reps: &[Block], total: &mut [f64]) -> u64 {
        total.fill(0.0);
        self.part.resize(total.len(), 0.0);
        for runs in &self.runs {
            let part = &mut self.part;
            part.fill(0.0);
            for &(c, n) in runs {
                let r = reps[c].kubes.region[0].index();
                let kg = reps[c].supply_kg[r];
                for _ in 0..n {
                    part[r] += kg;
                }
            }
            add_part(total, part);
        }
        self.runs
            .iter()
            .flatten()
            .map(|&(c, n)| reps[c].started * n as u64)
            .sum()
    }

    /// The week's flows over every KUBE (added to `total`), from the classes' blocks
    /// after their settlement. The KUBE passes write only the first [`KUBE_FLOWS`] entries
    /// (the others are the households'): adding the other entries' zeros would change
    /// nothing (see [`Replay::supply`]).
    pub fn flows(&self, reps: &[Block], total: &mut [f64; pw::NAMES.len()]) {
        for runs in &self.runs {
            let mut part = [0.0; KUBE_FLOWS];
            for &(c, n) in runs {
                let (value, rest) = reps[c].flows.split_at(KUBE_FLOWS);
                debug_assert!(rest.iter().all(|&x| x == 0.0));
                for _ in 0..n {
                    for (p, x) in part.iter_mut().zip(value) {
                        *p += x;
                    }
                }
            }
            add_part(total, &part);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::quantile_sorted;

    #[test]
    fn classes_are_runs_of_one_region_and_start_week() {
        let region = [0, 0, 0, 0, 1, 1, 2].map(RegionId);
        let start = [0, 0, 1, 1, 1, 2, 2];
        let c = Classes::of(&region, &start);
        assert_eq!(c.first, [0, 2, 4, 5, 6]);
        assert_eq!(c.weight, [2, 2, 1, 1, 1]);
        assert_eq!(c.start_week, [0, 1, 1, 2, 2]);
        assert_eq!(c.started(0), 1);
        assert_eq!(c.started(1), 3);
        assert_eq!(c.started(9), 5);
    }

    #[test]
    fn replay_runs_split_classes_at_block_boundaries() {
        // 1,000 KUBE of one class, 1,100 of a second, 3 of a third: blocks of 1,024.
        let region: Vec<RegionId> = (0..2103).map(|k| RegionId(u32::from(k >= 1000))).collect();
        let start: Vec<u32> = (0..2103).map(|k| u32::from(k >= 2100)).collect();
        let replay = Classes::of(&region, &start).replay();
        assert_eq!(
            replay.runs,
            [
                vec![(0, 1000), (1, 24)],
                vec![(1, 1024)],
                vec![(1, 52), (2, 3)]
            ]
        );
    }

    #[test]
    fn weighted_quantiles_are_those_of_the_repeated_values() {
        // Three classes of 2, 1 and 3 KUBE of 2 members: the quantiles of their members'
        // incomes repeated 2, 1 and 3 times, as a sort of all 12 gives them.
        let region = [0, 0, 1, 2, 2, 2].map(RegionId);
        let start = [0; 6];
        let mut c = Classes::of(&region, &start);
        let mut hh = Households::new(
            vec![1.0; 6],
            vec![1.0, 3.0, 2.0, 1.0, 4.0, 2.0],
            vec![0.0; 6],
        );
        hh.smoothed_rp = vec![100.0, 300.0, 50.0, 80.0, 400.0, 90.0];
        let mut all = Vec::new();
        for (c, reps) in [(0usize, 2), (1, 1), (2, 3)] {
            for _ in 0..reps {
                for h in c * 2..c * 2 + 2 {
                    all.push(hh.smoothed_rp[h] * hh.month_per_person[h]);
                }
            }
        }
        all.sort_by(f64::total_cmp);
        let ps = [0.0, 0.1, 0.25, 0.5, 0.9, 1.0];
        let got = c.quantiles(&hh, None, 2, 0, ps);
        for (g, p) in got.iter().zip(ps) {
            assert_eq!(g.to_bits(), quantile_sorted(&all, p).to_bits(), "p {p}");
        }
        // With the programme: each class's addition before the per-person factor.
        let programme = [10.0, 20.0, 30.0];
        let got = c.quantiles(&hh, Some(&programme), 2, 0, [0.5]);
        let mut with = Vec::new();
        for (c, reps) in [(0usize, 2), (1, 1), (2, 3)] {
            for _ in 0..reps {
                for h in c * 2..c * 2 + 2 {
                    with.push((hh.smoothed_rp[h] + programme[c]) * hh.month_per_person[h]);
                }
            }
        }
        with.sort_by(f64::total_cmp);
        assert_eq!(got[0].to_bits(), quantile_sorted(&with, 0.5).to_bits());
        assert!(Classes::of(&region, &[5; 6]).quantiles(&hh, None, 2, 0, [0.5])[0].is_nan());
    }
}
