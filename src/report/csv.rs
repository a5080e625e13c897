//! The four CSV outputs of MODEL.md section 7.
//!
//! Numbers are written in the shortest form that parses back to the same f64 (Rust's
//! `Display` for floats); undefined values (NaN inside telur) are written as empty cells;
//! an infinite self-sufficiency (no demand) is written `inf`.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::metrics::{program_weekly, region_summary, region_weekly, summary};
use crate::model::calendar::Calendar;
use crate::sim::PlacementResult;
use crate::stats::Stat;

/// Appends `,mean,p05,p50,p95` to a line.
fn push_stat(line: &mut String, stat: &Stat) {
    for x in stat.values() {
        line.push(',');
        if !x.is_nan() {
            write!(line, "{x}").expect("writing to a String cannot fail");
        }
    }
}

/// A CSV cell: quoted if it holds a comma, quote or line break.
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

/// Header of `summary.csv`.
pub const SUMMARY_HEADER: &str = "placement,metric,mean,p05,p50,p95";
/// Header of `region_summary.csv`.
pub const REGION_SUMMARY_HEADER: &str = "placement,region,metric,mean,p05,p50,p95";
/// Header of `region_weekly.csv`.
pub const REGION_WEEKLY_HEADER: &str = "placement,week,date,region,metric,mean,p05,p50,p95";
/// Header of `program_weekly.csv`.
pub const PROGRAM_WEEKLY_HEADER: &str = "placement,week,date,metric,mean,p05,p50,p95";

/// One placement's rows of `summary.csv`.
pub fn summary_rows<W: Write + ?Sized>(p: &PlacementResult, out: &mut W) -> io::Result<()> {
    let mut line = String::new();
    for (name, stat) in summary::NAMES.iter().zip(&p.summary) {
        line.clear();
        write!(line, "{},{name}", cell(&p.name)).expect("String write");
        push_stat(&mut line, stat);
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// One placement's rows of `region_summary.csv`.
pub fn region_summary_rows<W: Write + ?Sized>(
    p: &PlacementResult,
    regions: &[String],
    out: &mut W,
) -> io::Result<()> {
    let mut line = String::new();
    for (r, region) in regions.iter().enumerate() {
        for (m, name) in region_summary::NAMES.iter().enumerate() {
            line.clear();
            write!(line, "{},{},{name}", cell(&p.name), cell(region)).expect("String write");
            push_stat(&mut line, &p.region_summary[[r, m]]);
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// One placement's rows of `region_weekly.csv`.
pub fn region_weekly_rows<W: Write + ?Sized>(
    p: &PlacementResult,
    calendar: &Calendar,
    regions: &[String],
    out: &mut W,
) -> io::Result<()> {
    let mut line = String::new();
    for t in 0..calendar.weeks() {
        let date = calendar.week_start(t).format("%Y-%m-%d").to_string();
        for (r, region) in regions.iter().enumerate() {
            for (m, name) in region_weekly::NAMES.iter().enumerate() {
                line.clear();
                write!(line, "{},{t},{date},{},{name}", cell(&p.name), cell(region))
                    .expect("String write");
                push_stat(&mut line, &p.region_weekly[[t as usize, r, m]]);
                writeln!(out, "{line}")?;
            }
        }
    }
    Ok(())
}

/// One placement's rows of `program_weekly.csv`.
pub fn program_weekly_rows<W: Write + ?Sized>(
    p: &PlacementResult,
    calendar: &Calendar,
    out: &mut W,
) -> io::Result<()> {
    let mut line = String::new();
    for t in 0..calendar.weeks() {
        let date = calendar.week_start(t).format("%Y-%m-%d").to_string();
        for (m, name) in program_weekly::NAMES.iter().enumerate() {
            line.clear();
            write!(line, "{},{t},{date},{name}", cell(&p.name)).expect("String write");
            push_stat(&mut line, &p.program_weekly[[t as usize, m]]);
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_round_trip_and_undefined_is_empty() {
        let mut line = String::new();
        push_stat(&mut line, &Stat::single(0.1 + 0.2));
        assert_eq!(
            line,
            ",0.30000000000000004,0.30000000000000004,0.30000000000000004,0.30000000000000004"
        );
        line.clear();
        push_stat(&mut line, &Stat::single(f64::NAN));
        assert_eq!(line, ",,,,");
        line.clear();
        push_stat(&mut line, &Stat::single(f64::INFINITY));
        assert_eq!(line, ",inf,inf,inf,inf");
        assert_eq!("inf".parse::<f64>().unwrap(), f64::INFINITY);
    }

    #[test]
    fn cells_with_commas_are_quoted() {
        assert_eq!(cell("Aceh"), "Aceh");
        assert_eq!(cell("A, B"), "\"A, B\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
