//! The regions table (MODEL.md section 3): one row per province.

use std::collections::HashSet;

use super::table::Table;
use crate::error::InputError;

/// Index of a region in the regions table (its row, 0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionId(pub u32);

impl RegionId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One region, as read from its CSV row.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub name: String,
    pub code: String,
    pub lat: f64,
    pub lon: f64,
    pub population: f64,
    pub population_growth: f64,
    pub egg_consumption_kg_per_capita_year: f64,
    pub layer_egg_production_t_year: f64,
    pub production_growth: f64,
    pub transport_cost_rp_per_kg: f64,
    pub feed_transport_rp_per_kg: f64,
    pub poverty_line_rp_per_capita_month: f64,
    pub poor_people: f64,
    pub poor_household_size: f64,
}

/// The regions table, in file order (which fixes KUBE numbering and tie-breaks).
#[derive(Debug, Clone, PartialEq)]
pub struct Regions {
    pub regions: Vec<Region>,
}

pub const COLUMNS: [&str; 14] = [
    "region",
    "code",
    "lat",
    "lon",
    "population",
    "population_growth",
    "egg_consumption_kg_per_capita_year",
    "layer_egg_production_t_year",
    "production_growth",
    "transport_cost_rp_per_kg",
    "feed_transport_rp_per_kg",
    "poverty_line_rp_per_capita_month",
    "poor_people",
    "poor_household_size",
];

impl Regions {
    /// Parses and checks a regions CSV; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Regions, InputError> {
        let table = Table::parse(file, text, &COLUMNS)?;
        let mut regions = Vec::new();
        let mut names = HashSet::new();
        let mut codes = HashSet::new();
        let non_negative = 0.0..=f64::INFINITY;
        // A growth rate below -1 would make (1+g)^(t/52) undefined.
        let rate = -0.999_999..=f64::INFINITY;
        for row in table.rows() {
            let name = row.text("region").to_string();
            let code = row.text("code").to_string();
            if name.is_empty() {
                return Err(row.error("region", "is empty; every region needs a name"));
            }
            if code.is_empty() {
                return Err(row.error("code", "is empty; every region needs a code"));
            }
            if !names.insert(name.clone()) {
                return Err(row.error(
                    "region",
                    format!("{name:?} appears twice; names must be unique"),
                ));
            }
            if !codes.insert(code.clone()) {
                return Err(row.error(
                    "code",
                    format!("{code:?} appears twice; codes must be unique"),
                ));
            }
            let population = row.number_in("population", non_negative.clone())?;
            if population <= 0.0 {
                return Err(row.error("population", "must be more than 0"));
            }
            let household_size = row.number_in("poor_household_size", non_negative.clone())?;
            if !(1.0..=50.0).contains(&household_size) {
                return Err(row.error(
                    "poor_household_size",
                    format!("{household_size} is out of range: must be from 1 to 50 people"),
                ));
            }
            regions.push(Region {
                name,
                code,
                lat: row.number_in("lat", -90.0..=90.0)?,
                lon: row.number_in("lon", -180.0..=180.0)?,
                population,
                population_growth: row.number_in("population_growth", rate.clone())?,
                egg_consumption_kg_per_capita_year: row
                    .number_in("egg_consumption_kg_per_capita_year", non_negative.clone())?,
                layer_egg_production_t_year: row
                    .number_in("layer_egg_production_t_year", non_negative.clone())?,
                production_growth: row.number_in("production_growth", rate.clone())?,
                transport_cost_rp_per_kg: row
                    .number_in("transport_cost_rp_per_kg", non_negative.clone())?,
                feed_transport_rp_per_kg: row
                    .number_in("feed_transport_rp_per_kg", non_negative.clone())?,
                poverty_line_rp_per_capita_month: row
                    .number_in("poverty_line_rp_per_capita_month", non_negative.clone())?,
                poor_people: row.number_in("poor_people", non_negative.clone())?,
                poor_household_size: household_size,
            });
        }
        if regions.len() > u32::MAX as usize / 2 {
            return Err(InputError::new(file, "has too many regions"));
        }
        Ok(Regions { regions })
    }

    pub fn len(&self) -> usize {
        self.regions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// Every region's name, in table order.
    pub fn names(&self) -> Vec<String> {
        self.regions.iter().map(|r| r.name.clone()).collect()
    }

    pub fn get(&self, id: RegionId) -> &Region {
        &self.regions[id.index()]
    }

    pub fn ids(&self) -> impl Iterator<Item = RegionId> + use<> {
        (0..self.regions.len() as u32).map(RegionId)
    }

    /// Finds a region by its name or its code.
    pub fn find(&self, name_or_code: &str) -> Option<RegionId> {
        self.regions
            .iter()
            .position(|r| r.name == name_or_code || r.code == name_or_code)
            .map(|i| RegionId(i as u32))
    }

    /// Writes the table back as CSV with the columns of MODEL.md section 3.
    pub fn write_csv<W: std::io::Write>(&self, out: W) -> csv::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(COLUMNS)?;
        for r in &self.regions {
            let numbers = [
                r.lat,
                r.lon,
                r.population,
                r.population_growth,
                r.egg_consumption_kg_per_capita_year,
                r.layer_egg_production_t_year,
                r.production_growth,
                r.transport_cost_rp_per_kg,
                r.feed_transport_rp_per_kg,
                r.poverty_line_rp_per_capita_month,
                r.poor_people,
                r.poor_household_size,
            ];
            let mut record = vec![r.name.clone(), r.code.clone()];
            record.extend(numbers.iter().map(|x| x.to_string()));
            w.write_record(&record)?;
        }
        w.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "region,code,lat,lon,population,population_growth,egg_consumption_kg_per_capita_year,layer_egg_production_t_year,production_growth,transport_cost_rp_per_kg,feed_transport_rp_per_kg,poverty_line_rp_per_capita_month,poor_people,poor_household_size";

    fn parse(rows: &str) -> Result<Regions, InputError> {
        Regions::parse("r.csv", &format!("{HEADER}\n{rows}"))
    }

    #[test]
    fn reads_rows_and_finds_by_name_or_code() {
        let r = parse("A,1,0,100,1000,0.01,18,10,0.01,500,100,400000,100,4.5\nB,2,1,101,2000,0,18,0,0,900,0,400000,10,4\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r.find("B"), Some(RegionId(1)));
        assert_eq!(r.find("1"), Some(RegionId(0)));
        assert_eq!(r.find("C"), None);
        assert_eq!(r.get(RegionId(0)).poor_household_size, 4.5);
    }

    #[test]
    fn duplicates_zero_population_and_negative_values_are_errors() {
        let row = "A,1,0,100,1000,0.01,18,10,0.01,500,100,400000,100,4.5\n";
        let e = parse(&format!("{row}{}", row.replace(",1,", ",2,"))).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("r.csv:3:1: column region: \"A\" appears twice; names must be unique"),
            "{e}"
        );
        let e = parse(&row.replace(",1000,", ",0,")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("r.csv:2:11: column population: must be more than 0"),
            "{e}"
        );
        let e = parse(&row.replace(",500,", ",-500,")).unwrap_err();
        assert!(
            e.to_string()
                .contains("column transport_cost_rp_per_kg: -500 is out of range"),
            "{e}"
        );
    }

    #[test]
    fn round_trips_through_write_csv() {
        let r = parse("A,1,0,100,1000,0.01,18,10,0.01,500,100,400000,100,4.5\n").unwrap();
        let mut out = Vec::new();
        r.write_csv(&mut out).unwrap();
        let again = Regions::parse("again.csv", std::str::from_utf8(&out).unwrap()).unwrap();
        assert_eq!(r, again);
    }
}
