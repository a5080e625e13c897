//! Parameters we are unsure of: each with a plausible range, and how a value of one is put
//! into the world or a placement's design.
//!
//! The scenario reader builds an [`Uncertainty`] from the embedded `ranges.toml` and the
//! scenario's `[uncertainty]` table; parameter-uncertainty runs draw values from it for
//! every replicate, and sensitivity analysis moves them one at a time or together.

use super::params::{Kind, ParamTable, Value};
use super::placement::Design;
use super::world::World;

/// Where an uncertain parameter lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    /// The world every placement shares: `market`, `household`, `stochastic`,
    /// `program.discount_rate`.
    World,
    /// Each placement's design: `flock`, `kube`, `program` (but its discount rate).
    Design,
}

/// One uncertain parameter: its key (`flock.production_factor`) and range.
#[derive(Debug, Clone, PartialEq)]
pub struct UncertainParam {
    /// `table.key`, as in a scenario file.
    pub key: String,
    pub low: f64,
    pub high: f64,
    /// A whole-number parameter: drawn values are rounded to the nearest whole number.
    pub whole: bool,
    pub home: Home,
    /// Why this range: the basis ranges.toml gives, or that the scenario set it.
    pub basis: String,
}

impl UncertainParam {
    /// The value at position `u` (0 to 1) of the range.
    pub fn at(&self, u: f64) -> f64 {
        self.low + (self.high - self.low) * u
    }
}

/// The uncertain parameters of a scenario.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Uncertainty {
    pub parameters: Vec<UncertainParam>,
    /// Per placement, the parameters it sets itself in its design (indexes into
    /// `parameters`): a design choice, not an uncertainty, so drawn values leave them alone.
    pub own: Vec<Vec<usize>>,
}

/// Splits `table.key`.
fn split(key: &str) -> Option<(&str, &str)> {
    key.split_once('.')
}

/// Where a parameter key lives, if it is a numeric key of a parameter table.
pub fn home_of(key: &str) -> Option<(Home, Kind)> {
    use super::params::{
        FlockParams, HouseholdParams, KubeParams, MarketParams, ProgramParams, StochasticParams,
    };
    let (table, name) = split(key)?;
    let find = |keys: &'static [super::params::KeySpec]| {
        keys.iter().find(|k| k.name == name).map(|k| k.kind)
    };
    let (home, kind) = match table {
        MarketParams::SECTION => (Home::World, find(MarketParams::KEYS)?),
        HouseholdParams::SECTION => (Home::World, find(HouseholdParams::KEYS)?),
        StochasticParams::SECTION => (Home::World, find(StochasticParams::KEYS)?),
        ProgramParams::SECTION if name == "discount_rate" => {
            (Home::World, find(ProgramParams::KEYS)?)
        }
        ProgramParams::SECTION => (Home::Design, find(ProgramParams::KEYS)?),
        FlockParams::SECTION => (Home::Design, find(FlockParams::KEYS)?),
        KubeParams::SECTION => (Home::Design, find(KubeParams::KEYS)?),
        _ => return None,
    };
    matches!(kind, Kind::Real | Kind::Whole).then_some((home, kind))
}

/// Sets a world parameter (`market.*`, `household.*`, `stochastic.*`,
/// `program.discount_rate`) to `value`, checked against its range.
pub fn set_world(world: &mut World, key: &str, value: f64) -> Result<(), String> {
    let (table, name) = split(key).ok_or_else(|| format!("{key} is not table.key"))?;
    let v = Value::Real(value);
    match table {
        "market" => world.market.set(name, &v),
        "household" => world.household.set(name, &v),
        "stochastic" => world.stochastic.set(name, &v),
        "program" if name == "discount_rate" => {
            super::params::Check::Rate.real(value)?;
            world.discount_rate = value;
            Ok(())
        }
        _ => Err(format!("{key} is not a parameter of the world")),
    }
}

/// Sets a design parameter (`flock.*`, `kube.*`, `program.*`) to `value`.
pub fn set_design(design: &mut Design, key: &str, value: f64) -> Result<(), String> {
    let (table, name) = split(key).ok_or_else(|| format!("{key} is not table.key"))?;
    let v = Value::Real(value);
    match table {
        "flock" => design.flock.set(name, &v),
        "kube" => design.kube.set(name, &v),
        "program" => design.program.set(name, &v),
        _ => Err(format!("{key} is not a parameter of a design")),
    }
}

/// The value a parameter has in a world and design.
pub fn value_of(world: &World, design: &Design, key: &str) -> Option<f64> {
    let (table, name) = split(key)?;
    let v = match table {
        "market" => world.market.get(name),
        "household" => world.household.get(name),
        "stochastic" => world.stochastic.get(name),
        "program" if name == "discount_rate" => Some(Value::Real(world.discount_rate)),
        "flock" => design.flock.get(name),
        "kube" => design.kube.get(name),
        "program" => design.program.get(name),
        _ => None,
    }?;
    match v {
        Value::Real(x) => Some(x),
        Value::Whole(x) => Some(x as f64),
        _ => None,
    }
}

impl Uncertainty {
    /// Puts one set of values (one per parameter, in order) into a copy of the world.
    pub fn world_with(&self, world: &World, values: &[f64]) -> World {
        let mut w = world.clone();
        for (p, &v) in self.parameters.iter().zip(values) {
            if p.home == Home::World {
                set_world(&mut w, &p.key, v).expect("values are drawn inside checked ranges");
            }
        }
        w
    }

    /// Puts one set of values into a copy of placement `index`'s design, except the keys
    /// the placement sets itself.
    pub fn design_with(&self, design: &Design, index: usize, values: &[f64]) -> Design {
        let mut d = design.clone();
        let own = self.own.get(index).map_or(&[][..], Vec::as_slice);
        for (j, (p, &v)) in self.parameters.iter().zip(values).enumerate() {
            if p.home == Home::Design && !own.contains(&j) {
                set_design(&mut d, &p.key, v).expect("values are drawn inside checked ranges");
            }
        }
        d
    }
}
