//! Optimal computing budget allocation (OCBA): how many more replicates each of a few
//! designs should get so that the best one is picked correctly with the highest
//! probability (Chen, Lin, Yücesan and Chick 2000, "Simulation budget allocation for
//! further enhancing the efficiency of ordinal optimization", Discrete Event Dynamic
//! Systems 10; the algorithm as in Chen and Lee 2011, "Stochastic Simulation
//! Optimization: An Optimal Computing Budget Allocation", chapter 3).
//!
//! With `b` the best design by sample mean and `delta_i` its lead over design `i`:
//! `N_i / N_j = (sigma_i / delta_i)^2 / (sigma_j / delta_j)^2` for `i, j != b`, and
//! `N_b = sigma_b * sqrt(sum_{i != b} N_i^2 / sigma_i^2)`. Designs already past their
//! share keep what they have; the rest of the budget is shared again among the others.

/// The extra replicates each design should get, adding up to `extra`, for designs whose
/// sample means (more is better), variances and replicates so far are given.
///
/// Designs with zero variance and a mean equal to the best's are treated as ties and get
/// nothing beyond what they have (there is nothing left to learn about them).
pub fn allocate(means: &[f64], variances: &[f64], current: &[usize], extra: usize) -> Vec<usize> {
    let n = means.len();
    assert!(
        n == variances.len() && n == current.len(),
        "one entry per design"
    );
    if n == 0 {
        return Vec::new();
    }
    if n == 1 {
        return vec![extra];
    }
    let best = (0..n)
        .max_by(|&a, &b| means[a].total_cmp(&means[b]).then(b.cmp(&a)))
        .expect("at least two designs");
    let second = (0..n)
        .filter(|&i| i != best)
        .max_by(|&a, &b| means[a].total_cmp(&means[b]).then(b.cmp(&a)))
        .expect("at least two designs");
    // Variances of zero would make ratios undefined; a floor keeps such designs at the
    // smallest share without dividing by zero.
    let floor = variances.iter().copied().fold(0.0_f64, f64::max) * 1e-12 + f64::MIN_POSITIVE;
    let var = |i: usize| variances[i].max(floor);
    let gap = |i: usize| (means[best] - means[i]).max(f64::EPSILON * means[best].abs().max(1.0));
    let mut ratio = vec![0.0; n];
    ratio[second] = 1.0;
    for i in (0..n).filter(|&i| i != best && i != second) {
        let t = gap(second) / gap(i);
        ratio[i] = t * t * var(i) / var(second);
    }
    let sum: f64 = (0..n)
        .filter(|&i| i != best)
        .map(|i| ratio[i] * ratio[i] / var(i))
        .sum();
    ratio[best] = (var(best) * sum).sqrt();

    let total = current.iter().sum::<usize>() + extra;
    let mut target = vec![0usize; n];
    let mut open = vec![true; n];
    loop {
        let budget = total
            - (0..n)
                .filter(|&i| !open[i])
                .map(|i| target[i])
                .sum::<usize>();
        let share: f64 = (0..n).filter(|&i| open[i]).map(|i| ratio[i]).sum();
        let mut closed_one = false;
        for i in 0..n {
            if !open[i] {
                continue;
            }
            target[i] = (budget as f64 / share * ratio[i]) as usize;
            if target[i] < current[i] {
                target[i] = current[i];
                open[i] = false;
                closed_one = true;
            }
        }
        if !closed_one {
            break;
        }
    }
    // What rounding down left over goes to the best design.
    let given: usize = target.iter().sum();
    target[best] += total - given;
    target.iter().zip(current).map(|(t, c)| t - c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example shipped with Chen's reference implementation of OCBA (five designs,
    /// smaller is better there, so the means are negated here): 100 more replicates are
    /// split 48, 38, 11, 2, 1.
    #[test]
    fn matches_the_reference_implementation_on_its_example() {
        let means = [1.2, 2.1, 3.4, 4.87, 6.05].map(|m: f64| -m);
        let variances = [3.3, 2.0, 4.5, 5.3, 6.9];
        let current = [12, 6, 5, 5, 4];
        assert_eq!(
            allocate(&means, &variances, &current, 100),
            vec![48, 38, 11, 2, 1]
        );
    }

    #[test]
    fn spends_exactly_the_budget_and_never_takes_replicates_away() {
        let means = [10.0, 9.0, 2.0, 9.9];
        let variances = [1.0, 4.0, 1.0, 0.0];
        let current = [30, 5, 50, 5];
        for extra in [0, 1, 7, 100, 1000] {
            let more = allocate(&means, &variances, &current, extra);
            assert_eq!(more.iter().sum::<usize>(), extra, "{more:?}");
        }
        // The clearly worse design (mean 2, already 50 replicates) gets nothing more.
        assert_eq!(allocate(&means, &variances, &current, 100)[2], 0);
    }

    #[test]
    fn a_close_noisy_rival_gets_more_than_a_distant_one() {
        let more = allocate(&[5.0, 4.9, 3.0], &[1.0, 1.0, 1.0], &[10, 10, 10], 60);
        assert!(more[1] > more[2], "{more:?}");
    }
}
