//! Breed curves (MODEL.md section 3): lay rate, egg weight, feed and mortality by week of age.

use super::table::Table;
use crate::error::InputError;

/// One row of a breed curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    /// Fraction of hens laying per day, 0..1.
    pub hen_day: f64,
    pub egg_weight_g: f64,
    pub feed_g_per_hen_day: f64,
    /// Fraction of hens dying per week, 0..1.
    pub weekly_mortality: f64,
}

/// A breed's weekly curve, from `first_age_weeks` on, one point per consecutive week.
#[derive(Debug, Clone, PartialEq)]
pub struct Breed {
    pub name: String,
    pub first_age_weeks: u32,
    pub points: Vec<CurvePoint>,
}

pub const COLUMNS: [&str; 5] = [
    "age_weeks",
    "hen_day",
    "egg_weight_g",
    "feed_g_per_hen_day",
    "weekly_mortality",
];

impl Breed {
    /// Parses and checks a breed CSV: consecutive ages, no gaps, rates within 0..1.
    pub fn parse(name: &str, file: &str, text: &str) -> Result<Breed, InputError> {
        let table = Table::parse(file, text, &COLUMNS)?;
        let mut first_age = None;
        let mut points = Vec::new();
        for row in table.rows() {
            let age = row.whole("age_weeks")?;
            match first_age {
                None => first_age = Some(age),
                Some(first) => {
                    let expected = first.saturating_add(points.len() as u32);
                    if age != expected {
                        return Err(row.error(
                            "age_weeks",
                            format!(
                                "{age} follows {}; ages must be consecutive weeks with no gaps (expected {expected})",
                                expected - 1
                            ),
                        ));
                    }
                }
            }
            points.push(CurvePoint {
                hen_day: row.number_in("hen_day", 0.0..=1.0)?,
                egg_weight_g: row.number_in("egg_weight_g", 0.0..=f64::INFINITY)?,
                feed_g_per_hen_day: row.number_in("feed_g_per_hen_day", 0.0..=f64::INFINITY)?,
                weekly_mortality: row.number_in("weekly_mortality", 0.0..=1.0)?,
            });
        }
        Ok(Breed {
            name: name.to_string(),
            first_age_weeks: first_age.unwrap_or(0),
            points,
        })
    }

    /// The curve at a week of age. Before the first row a hen lays nothing (the first
    /// row's weight, feed and mortality apply); after the last row the last row holds.
    pub fn at(&self, age_weeks: u32) -> CurvePoint {
        if age_weeks < self.first_age_weeks {
            CurvePoint {
                hen_day: 0.0,
                ..self.points[0]
            }
        } else {
            let i = (age_weeks - self.first_age_weeks) as usize;
            self.points[i.min(self.points.len() - 1)]
        }
    }

    pub fn last_age_weeks(&self) -> u32 {
        self.first_age_weeks
            .saturating_add(self.points.len() as u32 - 1)
    }

    /// Writes the curve back as CSV with the columns of MODEL.md section 3.
    pub fn write_csv<W: std::io::Write>(&self, out: W) -> csv::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(COLUMNS)?;
        for (i, p) in self.points.iter().enumerate() {
            w.write_record([
                (self.first_age_weeks + i as u32).to_string(),
                p.hen_day.to_string(),
                p.egg_weight_g.to_string(),
                p.feed_g_per_hen_day.to_string(),
                p.weekly_mortality.to_string(),
            ])?;
        }
        w.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "age_weeks,hen_day,egg_weight_g,feed_g_per_hen_day,weekly_mortality\n\
                       18,0.1,40,90,0.01\n19,0.5,45,100,0.002\n20,0.9,50,110,0.001\n";

    #[test]
    fn before_first_row_lays_nothing_and_after_last_row_holds() {
        let b = Breed::parse("t", "b.csv", CSV).unwrap();
        let before = b.at(5);
        assert_eq!(before.hen_day, 0.0);
        assert_eq!(before.egg_weight_g, 40.0);
        assert_eq!(before.weekly_mortality, 0.01);
        assert_eq!(b.at(19).hen_day, 0.5);
        assert_eq!(b.at(200), b.at(20));
        assert_eq!(b.last_age_weeks(), 20);
    }

    #[test]
    fn gaps_and_hen_day_above_one_are_errors() {
        let gap = CSV.replace("19,", "21,");
        assert_eq!(
            Breed::parse("t", "b.csv", &gap).unwrap_err().to_string(),
            "b.csv:3:1: column age_weeks: 21 follows 18; ages must be consecutive weeks with no gaps (expected 19)\n  |\n3 | 21,0.5,45,100,0.002\n  | ^^"
        );
        let high = CSV.replace("0.9,", "1.2,");
        assert!(
            Breed::parse("t", "b.csv", &high)
                .unwrap_err()
                .to_string()
                .contains("column hen_day: 1.2 is out of range")
        );
        let frac = CSV.replace("18,", "18.5,");
        assert!(Breed::parse("t", "b.csv", &frac).is_err());
    }
}
