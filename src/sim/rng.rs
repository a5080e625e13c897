//! Random streams keyed by purpose (MODEL.md section 5).
//!
//! [`stream`] is the only constructor of a random generator in telur. A stream is keyed by
//! (seed, replicate, kind, entity): what the draws are for and whom they concern. The
//! j-th KUBE of a region therefore meets the same luck in every placement (common random
//! numbers), and results do not depend on threads or on the order entities are visited.
//!
//! The generator is PCG-64 (`rand_pcg::Pcg64`, 32 bytes of state): its 128-bit state and
//! stream selector are derived from the key by SplitMix64 mixing, so every key gets its
//! own sequence.
//!
//! Households' weekly income shocks, a million draws a week, come instead from
//! [`IncomeStreams`]: one xoshiro128++ generator per household (16 bytes of state, keyed the
//! same way), stored lane by lane so that a loop over households steps many generators at
//! once in SIMD registers.

use rand_pcg::Pcg64;

/// What a stream's draws are for. Each purpose has its own stream so that drawing more
/// for one (say, deaths in a larger flock) never shifts the draws of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Kind {
    /// A KUBE's management factors, drawn once.
    Management = 1,
    /// A KUBE's weekly outbreak test: one uniform every week, whatever its state.
    Outbreak = 2,
    /// A KUBE's weekly deaths.
    Mortality = 3,
    /// The share of hens an outbreak kills.
    OutbreakSeverity = 4,
    /// A household's size and permanent income, drawn once.
    Household = 5,
    /// The replicate's egg and feed price deviations.
    Prices = 6,
    /// A region's avian-influenza waves.
    Waves = 7,
    /// A household's weekly transitory income shocks.
    IncomeShocks = 8,
    /// The replicates' draws of an uncertain parameter (a Latin hypercube column).
    Uncertainty = 9,
    /// Sample points of a sensitivity analysis (Morris trajectories, Sobol matrices).
    Sensitivity = 10,
}

/// Whom a stream's draws concern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity<'a> {
    /// The whole replicate (prices).
    Replicate,
    /// A region, by its code.
    Region(&'a str),
    /// The `index`-th KUBE (0-based) of a region, numbered within the region.
    Kube { region: &'a str, index: u32 },
    /// A parameter, by its name (`flock.production_factor`).
    Parameter(&'a str),
    /// Member `member` of the `kube`-th KUBE of a region.
    Household {
        region: &'a str,
        kube: u32,
        member: u32,
    },
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a of a region code or a parameter name, so names of any length key a stream.
fn hash_code(code: &str) -> u64 {
    code.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The 64-bit key of one purpose and one entity of one replicate.
pub fn key(seed: u64, replicate: u32, kind: Kind, entity: Entity) -> u64 {
    let (tag, a, b, c) = match entity {
        Entity::Replicate => (1u64, 0, 0, 0),
        Entity::Region(code) => (2, hash_code(code), 0, 0),
        Entity::Parameter(name) => (5, hash_code(name), 0, 0),
        Entity::Kube { region, index } => (3, hash_code(region), u64::from(index), 0),
        Entity::Household {
            region,
            kube,
            member,
        } => (4, hash_code(region), u64::from(kube), u64::from(member)),
    };
    let mut h = 0x9e37_79b9_7f4a_7c15u64;
    for word in [seed, u64::from(replicate), kind as u64, tag, a, b, c] {
        h = mix(h.wrapping_add(0x9e37_79b9_7f4a_7c15) ^ word);
    }
    h
}

/// The generator for one purpose and one entity of one replicate.
pub fn stream(seed: u64, replicate: u32, kind: Kind, entity: Entity) -> Pcg64 {
    let h = key(seed, replicate, kind, entity);
    let words: [u64; 4] = std::array::from_fn(|i| {
        mix(h.wrapping_add((i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)))
    });
    let state = (u128::from(words[0]) << 64) | u128::from(words[1]);
    let selector = (u128::from(words[2]) << 64) | u128::from(words[3]);
    Pcg64::new(state, selector)
}

/// The four 32-bit words of a xoshiro128++ state for one key: never all zero.
pub fn lane_seed(seed: u64, replicate: u32, kind: Kind, entity: Entity) -> [u32; 4] {
    let h = key(seed, replicate, kind, entity);
    let (a, b) = (
        mix(h ^ 0x6a09_e667_f3bc_c908),
        mix(h ^ 0xbb67_ae85_84ca_a73b),
    );
    let words = [a as u32, (a >> 32) as u32, b as u32, (b >> 32) as u32];
    if words == [0; 4] { [1, 0, 0, 0] } else { words }
}

/// One xoshiro128++ generator (Blackman and Vigna) per lane, struct-of-arrays: `s[j][i]` is
/// word j of lane i. [`xoshiro_next_into`] steps every lane of a range once.
#[derive(Debug, Clone, Default)]
pub struct IncomeStreams {
    pub s: [Vec<u32>; 4],
}

impl IncomeStreams {
    pub fn with_capacity(n: usize) -> IncomeStreams {
        IncomeStreams {
            s: std::array::from_fn(|_| Vec::with_capacity(n)),
        }
    }

    pub fn push(&mut self, words: [u32; 4]) {
        for (lane, w) in self.s.iter_mut().zip(words) {
            lane.push(w);
        }
    }
}

/// Steps the generators whose words are `s0..s3` (equal lengths) once each, writing each
/// one's 32-bit output to `out`. Straight-line integer code: the loop vectorises.
#[inline(always)]
pub fn xoshiro_next_into(s: [&mut [u32]; 4], out: &mut [u32]) {
    let [s0, s1, s2, s3] = s;
    let n = out.len();
    let (s0, s1, s2, s3) = (&mut s0[..n], &mut s1[..n], &mut s2[..n], &mut s3[..n]);
    for i in 0..n {
        let (a, b, c, d) = (s0[i], s1[i], s2[i], s3[i]);
        out[i] = a.wrapping_add(d).rotate_left(7).wrapping_add(a);
        let t = b << 9;
        let c = c ^ a;
        let d = d ^ b;
        let b = b ^ c;
        let a = a ^ d;
        s0[i] = a;
        s1[i] = b;
        s2[i] = c ^ t;
        s3[i] = d.rotate_left(11);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    fn first(seed: u64, rep: u32, kind: Kind, entity: Entity) -> [u64; 4] {
        let mut r = stream(seed, rep, kind, entity);
        std::array::from_fn(|_| r.random::<u64>())
    }

    #[test]
    fn same_key_same_draws() {
        let e = Entity::Kube {
            region: "21",
            index: 3,
        };
        assert_eq!(
            first(7, 0, Kind::Outbreak, e),
            first(7, 0, Kind::Outbreak, e)
        );
    }

    #[test]
    fn every_part_of_the_key_changes_the_draws() {
        let e = Entity::Kube {
            region: "21",
            index: 3,
        };
        let base = first(7, 0, Kind::Outbreak, e);
        assert_ne!(base, first(8, 0, Kind::Outbreak, e));
        assert_ne!(base, first(7, 1, Kind::Outbreak, e));
        assert_ne!(base, first(7, 0, Kind::Mortality, e));
        assert_ne!(
            base,
            first(
                7,
                0,
                Kind::Outbreak,
                Entity::Kube {
                    region: "71",
                    index: 3
                }
            )
        );
        assert_ne!(
            base,
            first(
                7,
                0,
                Kind::Outbreak,
                Entity::Kube {
                    region: "21",
                    index: 4
                }
            )
        );
        let h = |kube, member| {
            first(
                7,
                0,
                Kind::Household,
                Entity::Household {
                    region: "21",
                    kube,
                    member,
                },
            )
        };
        assert_ne!(h(0, 1), h(1, 0));
        assert_ne!(
            first(7, 0, Kind::Waves, Entity::Region("21")),
            first(7, 0, Kind::Waves, Entity::Region("12"))
        );
    }

    #[test]
    fn draws_look_uniform() {
        // Mean of 100,000 uniforms is 0.5 within 4 standard errors (0.0037).
        let mut r = stream(1, 0, Kind::Prices, Entity::Replicate);
        let mean: f64 = (0..100_000).map(|_| r.random::<f64>()).sum::<f64>() / 100_000.0;
        assert!((mean - 0.5).abs() < 0.0037, "{mean}");
    }

    #[test]
    fn lanes_step_exactly_like_the_reference_xoshiro128plusplus() {
        use rand::{Rng, SeedableRng};
        let seeds: Vec<[u32; 4]> = (0..37)
            .map(|i| {
                lane_seed(
                    9,
                    0,
                    Kind::IncomeShocks,
                    Entity::Household {
                        region: "64",
                        kube: i / 10,
                        member: i % 10,
                    },
                )
            })
            .collect();
        let mut lanes = IncomeStreams::default();
        for &w in &seeds {
            lanes.push(w);
        }
        let mut reference: Vec<rand_xoshiro::Xoshiro128PlusPlus> = seeds
            .iter()
            .map(|w| {
                let mut bytes = [0u8; 16];
                for (chunk, word) in bytes.chunks_mut(4).zip(w) {
                    chunk.copy_from_slice(&word.to_le_bytes());
                }
                rand_xoshiro::Xoshiro128PlusPlus::from_seed(bytes)
            })
            .collect();
        let mut out = vec![0u32; seeds.len()];
        for _ in 0..100 {
            let [a, b, c, d] = &mut lanes.s;
            xoshiro_next_into([a, b, c, d], &mut out);
            for (got, r) in out.iter().zip(&mut reference) {
                assert_eq!(*got, r.next_u32());
            }
        }
        // Distinct keys, distinct streams.
        assert!(seeds.windows(2).all(|w| w[0] != w[1]));
    }
}
