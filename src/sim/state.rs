//! Simulation state as struct-of-arrays, sized once before the first week.

use crate::data::RegionId;
use crate::model::flock::{Kube, Status};

/// Declares a struct-of-arrays of KUBE state: one vector per field, all of one length,
/// created with every entry at its initial value and appendable block after block.
macro_rules! kube_arrays {
    ($(#[$meta:meta])* pub struct $Name:ident / $View:ident {
        $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $init:expr ),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default)]
        pub struct $Name {
            pub region: Vec<RegionId>,
            pub start_week: Vec<u32>,
            $( $(#[$fmeta])* pub $field: Vec<$ty>, )*
        }

        impl $Name {
            pub fn new(region: Vec<RegionId>, start_week: Vec<u32>) -> $Name {
                let n = region.len();
                $Name {
                    region,
                    start_week,
                    $( $field: vec![$init; n], )*
                }
            }

            /// Each KUBE repeated as often as `counts` says, in order.
            pub fn repeat(&self, counts: &[usize]) -> $Name {
                fn each<T: Clone>(v: &[T], counts: &[usize]) -> Vec<T> {
                    v.iter()
                        .zip(counts)
                        .flat_map(|(x, &n)| std::iter::repeat_n(x.clone(), n))
                        .collect()
                }
                $Name {
                    region: each(&self.region, counts),
                    start_week: each(&self.start_week, counts),
                    $( $field: each(&self.$field, counts), )*
                }
            }

            /// Appends another state's KUBE after this one's.
            pub fn append(&mut self, mut other: $Name) {
                self.region.append(&mut other.region);
                self.start_week.append(&mut other.start_week);
                $( self.$field.append(&mut other.$field); )*
            }

            /// Every field as a slice of the same length, for a loop over the KUBE.
            pub fn view(&mut self) -> $View<'_> {
                let n = self.region.len();
                $View {
                    region: &self.region[..n],
                    start_week: &self.start_week[..n],
                    $( $field: &mut self.$field[..n], )*
                }
            }
        }

        /// The state borrowed as slices cut to one length. Held in locals, their addresses
        /// and that length stay in registers through a loop, and an index checked against
        /// the length is checked for every field; behind `&mut self`, a struct of vectors
        /// has each vector's address and length reloaded and checked at every access.
        pub struct $View<'a> {
            pub region: &'a [RegionId],
            pub start_week: &'a [u32],
            $( pub $field: &'a mut [$ty], )*
        }

        impl $View<'_> {
            pub fn len(&self) -> usize {
                self.region.len()
            }

            pub fn is_empty(&self) -> bool {
                self.region.is_empty()
            }

            #[inline(always)]
            pub fn get(&self, k: usize) -> Kube {
                Kube {
                    status: self.status[k],
                    hens: self.hens[k],
                    age_weeks: self.age_weeks[k],
                    cash_rp: self.cash_rp[k],
                    rest_weeks_left: self.rest_weeks_left[k],
                }
            }

            #[inline(always)]
            pub fn set(&mut self, k: usize, kube: Kube) {
                self.status[k] = kube.status;
                self.hens[k] = kube.hens;
                self.age_weeks[k] = kube.age_weeks;
                self.cash_rp[k] = kube.cash_rp;
                self.rest_weeks_left[k] = kube.rest_weeks_left;
            }
        }
    };
}

kube_arrays! {
    /// Every KUBE of one placement: one vector per field, indexed by KUBE number.
    pub struct Kubes / KubesView {
        status: Status = Status::Pending,
        hens: f64 = 0.0,
        age_weeks: u32 = 0,
        cash_rp: f64 = 0.0,
        rest_weeks_left: u32 = 0,
        /// This week's payout (zero unless paid this week).
        payout_rp: f64 = 0.0,
        /// The programme's outlay at the KUBE's start (MODEL.md 4.5), paid out over the
        /// weeks left in the cash arm.
        outlay_rp: f64 = 0.0,
        /// The outlay over the weeks from the start to the horizon, `outlay / (T - t_s)`.
        outlay_per_week_rp: f64 = 0.0,
        /// What the member households read each week (MODEL.md 4.6): the moving averages
        /// of what the programme adds to a member's income (`payout / M - W`) and of what
        /// cash of the same cost adds (`cash_k / M`), both 0 before the KUBE starts.
        programme_ema_rp: f64 = 0.0,
        cash_ema_rp: f64 = 0.0,
        /// Since the start: the sums of those weekly additions, per member.
        programme_gain_rp: f64 = 0.0,
        cash_gain_rp: f64 = 0.0,
        /// The programme's cost of this KUBE (MODEL.md 4.5), and discounted.
        program_cost_rp: f64 = 0.0,
        npv_program_cost_rp: f64 = 0.0,
        /// Discounted payouts, and payouts net of the members' forgone earnings.
        npv_payout_rp: f64 = 0.0,
        npv_benefit_rp: f64 = 0.0,
        /// The KUBE's books since the start: what the region totals sum and what the cash
        /// identity `cash = C0(t_s) + net - payouts + flock sales - restocking + written
        /// off` is checked against.
        total_net_rp: f64 = 0.0,
        total_payout_rp: f64 = 0.0,
        total_flock_sales_rp: f64 = 0.0,
        total_restock_rp: f64 = 0.0,
        total_written_off_rp: f64 = 0.0,
    }
}

impl Kubes {
    pub fn len(&self) -> usize {
        self.region.len()
    }

    pub fn is_empty(&self) -> bool {
        self.region.is_empty()
    }
}

/// The three arms each member household is followed in (MODEL.md 4.6).
pub const ARMS: usize = 3;
/// With its KUBE.
pub const PROGRAMME: usize = 0;
/// Without the programme: the counterfactual.
pub const WITHOUT: usize = 1;
/// With cash of the same cost as its KUBE.
pub const CASH: usize = 2;

/// Every member household of one placement; household `k * M + i` is member `i` of KUBE `k`.
///
/// A national run walks a million of them every week, so each field is one flat array the
/// household pass reads straight through; weeks fit in `u16` (horizons stop at 5,200 weeks).
/// Only the smoothed income without the programme is kept per household: the programme
/// and cash arms add their KUBE's moving averages to it (MODEL.md 4.6 is linear in the
/// income), while streaks and graduation weeks are kept per arm.
#[derive(Debug, Clone, Default)]
pub struct Households {
    /// Baseline monthly income `y_i` at t = 0, size and permanent income included.
    pub baseline_month_rp: Vec<f64>,
    /// Household size `n_i`: whole people in stochastic mode, the region's mean size in
    /// deterministic mode.
    pub people: Vec<f64>,
    /// The household's monthly poverty line at t = 0: `poverty_line_r * n_i`.
    pub line_month_rp: Vec<f64>,
    /// `52 / (12 n_i)`: turns weekly household income into monthly income per person.
    pub month_per_person: Vec<f64>,
    /// Smoothed weekly income without the programme, `S_wo(t)`.
    pub smoothed_rp: Vec<f64>,
    /// Per arm ([`PROGRAMME`], [`WITHOUT`], [`CASH`]): consecutive weeks above the line.
    pub weeks_above: [Vec<u16>; ARMS],
    /// Per arm: week of graduation, [`NOT_GRADUATED`] if not (yet) graduated.
    pub graduated_week: [Vec<u16>; ARMS],
}

/// `graduated_week` of a household that has not graduated.
pub const NOT_GRADUATED: u16 = u16::MAX;

impl Households {
    /// Households with these fixed traits (equal lengths), before their first week.
    pub fn new(
        baseline_month_rp: Vec<f64>,
        people: Vec<f64>,
        line_month_rp: Vec<f64>,
    ) -> Households {
        let n = baseline_month_rp.len();
        debug_assert!(people.len() == n && line_month_rp.len() == n);
        Households {
            baseline_month_rp,
            month_per_person: people.iter().map(|n| 52.0 / (12.0 * n)).collect(),
            people,
            line_month_rp,
            smoothed_rp: vec![0.0; n],
            weeks_above: std::array::from_fn(|_| vec![0; n]),
            graduated_week: std::array::from_fn(|_| vec![NOT_GRADUATED; n]),
        }
    }

    pub fn len(&self) -> usize {
        self.baseline_month_rp.len()
    }

    pub fn is_empty(&self) -> bool {
        self.baseline_month_rp.is_empty()
    }
}
