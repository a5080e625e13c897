//! Random streams keyed by purpose (MODEL.md section 5).
//!
//! [`stream`] is the only constructor of a random generator in telur. A stream is keyed by
//! (seed, replicate, kind, entity): what the draws are for and whom they concern. The
//! j-th KUBE of a region therefore meets the same luck in every placement (common random
//! numbers), and results do not depend on threads or on the order entities are visited.
//!
//! The generator is PCG-64 (`rand_pcg::Pcg64`, 32 bytes of state): its 128-bit state and
//! stream selector are derived from the key by SplitMix64 mixing, so every key gets its
//! own sequence. Households' weekly income shocks come from their KUBE's stream, member by
//! member, so a million households need a hundred thousand generators, not a million.

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
    /// Weekly transitory income shocks of a KUBE's member households.
    IncomeShocks = 8,
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

/// FNV-1a of a region code, so codes of any length key a stream.
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
}
