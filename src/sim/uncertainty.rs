//! Parameter values for every replicate of a parameter-uncertainty run: a Latin hypercube
//! over the replicates, keyed by the seed.
//!
//! Each parameter's range is cut into as many equal strata as there are replicates; each
//! replicate takes one stratum of each parameter (a random permutation per parameter) and a
//! uniform point inside it. Every parameter has its own stream, keyed by its name, so
//! adding or removing one parameter leaves the others' draws unchanged. The draws do not
//! depend on the placement: every placement of a replicate meets the same parameters, so
//! placements still compare under common random numbers.

use rand::RngExt;

use super::rng::{Entity, Kind, stream};
use crate::model::Uncertainty;

/// The values of every uncertain parameter in every replicate.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterDraws {
    /// `values[replicate][parameter]`, in the order of [`Uncertainty::parameters`].
    pub values: Vec<Vec<f64>>,
}

/// The design's name, as the manifest records it.
pub const DESIGN: &str = "latin-hypercube";

impl ParameterDraws {
    /// A Latin hypercube of `replicates` rows over the parameters' ranges.
    pub fn latin_hypercube(
        uncertainty: &Uncertainty,
        seed: u64,
        replicates: u32,
    ) -> ParameterDraws {
        let n = replicates as usize;
        let mut values = vec![Vec::with_capacity(uncertainty.parameters.len()); n];
        for p in &uncertainty.parameters {
            let mut rng = stream(seed, 0, Kind::Uncertainty, Entity::Parameter(&p.key));
            // Fisher-Yates: stratum of each replicate.
            let mut strata: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                let j = rng.random_range(0..=i);
                strata.swap(i, j);
            }
            for (row, &stratum) in values.iter_mut().zip(&strata) {
                let u: f64 = rng.random();
                let x = p.at((stratum as f64 + u) / n as f64);
                row.push(if p.whole { x.round() } else { x });
            }
        }
        ParameterDraws { values }
    }

    /// One replicate's values.
    pub fn replicate(&self, rep: u32) -> &[f64] {
        &self.values[rep as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::uncertainty::{Home, UncertainParam};

    fn param(key: &str, low: f64, high: f64, whole: bool) -> UncertainParam {
        UncertainParam {
            key: key.into(),
            low,
            high,
            whole,
            home: Home::World,
            basis: String::new(),
        }
    }

    #[test]
    fn every_stratum_is_drawn_once_and_draws_stay_in_range() {
        let u = Uncertainty {
            parameters: vec![
                param("market.farmgate_share", 0.7, 0.9, false),
                param("flock.hens_per_kube", 180.0, 540.0, true),
            ],
            own: vec![],
        };
        let d = ParameterDraws::latin_hypercube(&u, 7, 50);
        assert_eq!(d.values.len(), 50);
        let mut strata: Vec<usize> = d
            .values
            .iter()
            .map(|row| ((row[0] - 0.7) / 0.2 * 50.0).floor() as usize)
            .collect();
        strata.sort_unstable();
        assert_eq!(strata, (0..50).collect::<Vec<_>>(), "one draw per stratum");
        assert!(
            d.values
                .iter()
                .all(|row| row[1].fract() == 0.0 && (180.0..=540.0).contains(&row[1]))
        );
        // Keyed by name: dropping the first parameter leaves the second's draws alone.
        let alone = Uncertainty {
            parameters: vec![u.parameters[1].clone()],
            own: vec![],
        };
        let d2 = ParameterDraws::latin_hypercube(&alone, 7, 50);
        for (a, b) in d.values.iter().zip(&d2.values) {
            assert_eq!(a[1], b[0]);
        }
        assert_ne!(
            ParameterDraws::latin_hypercube(&u, 8, 50),
            d,
            "the seed keys the design"
        );
    }
}
