//! The four CSV outputs of MODEL.md section 7, written with the `csv` crate.
//!
//! Numbers are written in the shortest form that parses back to the same f64 (Rust's
//! `Display` for floats); undefined values (NaN inside telur) are written as empty cells;
//! an infinite self-sufficiency (no demand) is written `inf`.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::Range;

use crate::model::Uncertainty;
use crate::model::calendar::Calendar;
use crate::results::PlacementResult;
use crate::results::metrics::{program_weekly, region_summary, region_weekly, summary};
use crate::sim::uncertainty::ParameterDraws;
use crate::stats::Stat;

/// Header of `summary.csv`.
pub const SUMMARY_HEADER: [&str; 6] = ["placement", "metric", "mean", "p05", "p50", "p95"];
/// Header of `region_summary.csv`.
pub const REGION_SUMMARY_HEADER: [&str; 7] =
    ["placement", "region", "metric", "mean", "p05", "p50", "p95"];
/// Header of `region_weekly.csv`.
pub const REGION_WEEKLY_HEADER: [&str; 9] = [
    "placement",
    "week",
    "date",
    "region",
    "metric",
    "mean",
    "p05",
    "p50",
    "p95",
];
/// Header of `program_weekly.csv`.
pub const PROGRAM_WEEKLY_HEADER: [&str; 8] = [
    "placement",
    "week",
    "date",
    "metric",
    "mean",
    "p05",
    "p50",
    "p95",
];

/// A CSV file being written: rows of text cells followed by a statistic.
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
    /// Scratch for formatting numbers.
    number: String,
}

impl<W: Write> CsvWriter<W> {
    /// A writer that starts with the header line.
    pub fn new(out: W, header: &[impl AsRef<str>]) -> io::Result<CsvWriter<W>> {
        let mut inner = csv::WriterBuilder::new().from_writer(out);
        inner.write_record(header.iter().map(|h| h.as_ref()))?;
        Ok(CsvWriter {
            inner,
            number: String::new(),
        })
    }

    /// A writer that goes on with a file whose header is already written: what it writes
    /// is what the writer that wrote the header would have written next.
    pub fn resume(out: W) -> CsvWriter<W> {
        CsvWriter {
            inner: csv::WriterBuilder::new().from_writer(out),
            number: String::new(),
        }
    }

    /// One row: the key cells, then `mean,p05,p50,p95`.
    pub fn row(&mut self, keys: &[&str], stat: &Stat) -> io::Result<()> {
        self.cells(keys, &stat.values())
    }

    /// One row: text cells, then numbers (undefined: empty).
    pub fn cells(&mut self, keys: &[&str], values: &[f64]) -> io::Result<()> {
        for key in keys {
            self.inner.write_field(key)?;
        }
        for &x in values {
            self.number.clear();
            if !x.is_nan() {
                write!(self.number, "{x}").expect("writing to a String cannot fail");
            }
            self.inner.write_field(&self.number)?;
        }
        self.inner.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// One row of numbers after a whole-number key.
    pub fn record(&mut self, key: usize, values: &[f64]) -> io::Result<()> {
        self.number.clear();
        write!(self.number, "{key}").expect("writing to a String cannot fail");
        self.inner.write_field(&self.number)?;
        for x in values {
            self.number.clear();
            write!(self.number, "{x}").expect("writing to a String cannot fail");
            self.inner.write_field(&self.number)?;
        }
        self.inner.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// Flushes and hands back the underlying writer.
    pub fn into_inner(self) -> io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

/// One placement's rows of `summary.csv`.
pub fn summary_rows<W: Write>(
    placement: &str,
    summary: &[Stat],
    out: &mut CsvWriter<W>,
) -> io::Result<()> {
    for (name, stat) in summary::NAMES.iter().zip(summary) {
        out.row(&[placement, name], stat)?;
    }
    Ok(())
}

/// Header of `replicate_parameters.csv`: the replicate, then one column per uncertain
/// parameter (`table.key`).
pub fn replicate_parameters_header(u: &Uncertainty) -> Vec<String> {
    std::iter::once("replicate".to_string())
        .chain(u.parameters.iter().map(|p| p.key.clone()))
        .collect()
}

/// One row per replicate: the values its uncertain parameters were drawn at.
pub fn replicate_parameters_rows<W: Write>(
    draws: &ParameterDraws,
    out: &mut CsvWriter<W>,
) -> io::Result<()> {
    for (rep, values) in draws.values.iter().enumerate() {
        out.record(rep, values)?;
    }
    Ok(())
}

/// One placement's rows of `region_summary.csv`.
pub fn region_summary_rows<W: Write>(
    p: &PlacementResult,
    regions: &[String],
    out: &mut CsvWriter<W>,
) -> io::Result<()> {
    for (r, region) in regions.iter().enumerate() {
        for (m, name) in region_summary::NAMES.iter().enumerate() {
            out.row(&[&p.name, region, name], &p.region_summary[[r, m]])?;
        }
    }
    Ok(())
}

/// One placement's rows of `region_weekly.csv` of the weeks `weeks`.
pub fn region_weekly_rows<W: Write>(
    p: &PlacementResult,
    calendar: &Calendar,
    regions: &[String],
    weeks: Range<u32>,
    out: &mut CsvWriter<W>,
) -> io::Result<()> {
    for t in weeks {
        let date = calendar.week_start(t).format("%Y-%m-%d").to_string();
        let week = t.to_string();
        for (r, region) in regions.iter().enumerate() {
            for (m, name) in region_weekly::NAMES.iter().enumerate() {
                out.row(
                    &[&p.name, &week, &date, region, name],
                    &p.region_weekly[[t as usize, r, m]],
                )?;
            }
        }
    }
    Ok(())
}

/// One placement's rows of `program_weekly.csv` of the weeks `weeks`.
pub fn program_weekly_rows<W: Write>(
    p: &PlacementResult,
    calendar: &Calendar,
    weeks: Range<u32>,
    out: &mut CsvWriter<W>,
) -> io::Result<()> {
    for t in weeks {
        let date = calendar.week_start(t).format("%Y-%m-%d").to_string();
        let week = t.to_string();
        for (m, name) in program_weekly::NAMES.iter().enumerate() {
            out.row(
                &[&p.name, &week, &date, name],
                &p.program_weekly[[t as usize, m]],
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn written(keys: &[&str], stat: Stat) -> String {
        let header: Vec<String> = (0..keys.len() + 4).map(|i| format!("c{i}")).collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut w = CsvWriter::new(Vec::new(), &header).unwrap();
        w.row(keys, &stat).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn stats_round_trip_and_undefined_is_empty() {
        assert_eq!(
            written(&["x"], Stat::single(0.1 + 0.2)),
            "c0,c1,c2,c3,c4\nx,0.30000000000000004,0.30000000000000004,0.30000000000000004,0.30000000000000004\n"
        );
        assert_eq!(
            written(&["x"], Stat::single(f64::NAN)),
            "c0,c1,c2,c3,c4\nx,,,,\n"
        );
        assert_eq!(
            written(&["x"], Stat::single(f64::INFINITY)),
            "c0,c1,c2,c3,c4\nx,inf,inf,inf,inf\n"
        );
        assert_eq!("inf".parse::<f64>().unwrap(), f64::INFINITY);
    }

    #[test]
    fn weekly_rows_written_in_pieces_after_a_resume_are_the_rows_written_at_once() {
        // What `OutputFile::write_weeks` relies on: a writer resumed after the header
        // writes each row as the one that wrote the header would have.
        let (weeks, regions) = (9u32, ["Aceh".to_string(), "A, \"B\"".to_string()]);
        let calendar = Calendar::new(NaiveDate::from_ymd_opt(2020, 1, 6).unwrap(), weeks);
        let mut p = PlacementResult::empty("north, \"coast\"", weeks as usize, regions.len());
        for (i, x) in p.region_weekly.iter_mut().enumerate() {
            if i % 5 != 0 {
                *x = Stat::single(i as f64 / 7.0);
            }
        }
        for (i, x) in p.program_weekly.iter_mut().enumerate() {
            *x = Stat::single(if i % 3 == 0 {
                f64::INFINITY
            } else {
                i as f64 * 0.1
            });
        }
        let mut whole = CsvWriter::new(Vec::new(), &REGION_WEEKLY_HEADER).unwrap();
        region_weekly_rows(&p, &calendar, &regions, 0..weeks, &mut whole).unwrap();
        let mut whole_program = CsvWriter::new(Vec::new(), &PROGRAM_WEEKLY_HEADER).unwrap();
        program_weekly_rows(&p, &calendar, 0..weeks, &mut whole_program).unwrap();
        let mut pieces = CsvWriter::new(Vec::new(), &REGION_WEEKLY_HEADER)
            .unwrap()
            .into_inner()
            .unwrap();
        let mut pieces_program = CsvWriter::new(Vec::new(), &PROGRAM_WEEKLY_HEADER)
            .unwrap()
            .into_inner()
            .unwrap();
        for weeks in [0..4, 4..4, 4..9] {
            let mut w = CsvWriter::resume(Vec::new());
            region_weekly_rows(&p, &calendar, &regions, weeks.clone(), &mut w).unwrap();
            pieces.extend(w.into_inner().unwrap());
            let mut w = CsvWriter::resume(Vec::new());
            program_weekly_rows(&p, &calendar, weeks, &mut w).unwrap();
            pieces_program.extend(w.into_inner().unwrap());
        }
        let whole = String::from_utf8(whole.into_inner().unwrap()).unwrap();
        assert_eq!(whole, String::from_utf8(pieces).unwrap());
        assert!(whole.contains("\"north, \"\"coast\"\"\",3,2020-01-27,\"A, \"\"B\"\"\""));
        assert_eq!(
            whole.lines().count(),
            1 + 9 * 2 * region_weekly::NAMES.len()
        );
        let whole_program = whole_program.into_inner().unwrap();
        assert_eq!(whole_program, pieces_program);
    }

    #[test]
    fn cells_with_commas_and_quotes_are_quoted() {
        assert_eq!(
            written(&["A, B", "say \"hi\""], Stat::single(1.0)),
            "c0,c1,c2,c3,c4,c5\n\"A, B\",\"say \"\"hi\"\"\",1,1,1,1\n"
        );
    }
}
