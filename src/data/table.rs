//! A strict reader for the small CSV tables telur takes as data.
//!
//! Columns are found by header name (order free, extra columns ignored); every missing
//! column, unparsable number or ragged row becomes an [`InputError`] naming the file, the
//! line and the column.

use crate::error::InputError;

/// A parsed CSV table with the required columns located.
pub struct Table {
    file: String,
    columns: Vec<(&'static str, usize)>,
    rows: Vec<(usize, csv::StringRecord)>,
}

/// One row of a [`Table`], with its line number for error messages.
pub struct Row<'a> {
    table: &'a Table,
    line: usize,
    record: &'a csv::StringRecord,
}

impl Table {
    /// Parses `text` and checks that every column in `required` is present.
    pub fn parse(file: &str, text: &str, required: &[&'static str]) -> Result<Table, InputError> {
        let err = |line: Option<usize>, msg: String| InputError::new(file, msg).at_line(line);
        if text.trim().is_empty() {
            return Err(err(
                None,
                format!(
                    "is empty; expected a header line with columns {}",
                    required.join(",")
                ),
            ));
        }
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| err(Some(1), format!("cannot read the header line: {e}")))?
            .clone();
        let mut columns = Vec::with_capacity(required.len());
        let mut missing = Vec::new();
        for &name in required {
            match headers.iter().position(|h| h == name) {
                Some(i) => columns.push((name, i)),
                None => missing.push(name),
            }
        }
        if !missing.is_empty() {
            return Err(err(
                Some(1),
                format!(
                    "missing column{} {} (the header has: {})",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(", "),
                    headers.iter().collect::<Vec<_>>().join(",")
                ),
            ));
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line() as usize);
                let msg = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("has {len} fields, the header has {expected_len}"),
                    csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text".to_string(),
                    _ => e.to_string(),
                };
                err(line, msg)
            })?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            rows.push((line, record));
        }
        if rows.is_empty() {
            return Err(err(None, "has a header but no rows".to_string()));
        }
        Ok(Table {
            file: file.to_string(),
            columns,
            rows,
        })
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(move |(line, record)| Row {
            table: self,
            line: *line,
            record,
        })
    }
}

impl Row<'_> {
    /// An error about a column of this row.
    pub fn error(&self, column: &str, message: impl Into<String>) -> InputError {
        InputError::new(&self.table.file, message)
            .at_line(Some(self.line))
            .key(format!("column {column}"))
    }

    /// The text of a required column.
    pub fn text(&self, column: &str) -> &str {
        let index = self
            .table
            .columns
            .iter()
            .find(|(name, _)| *name == column)
            .map(|&(_, i)| i)
            .expect("column was declared as required");
        self.record.get(index).unwrap_or("")
    }

    /// A finite number in a required column.
    pub fn number(&self, column: &str) -> Result<f64, InputError> {
        let text = self.text(column);
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            Ok(x) => Err(self.error(column, format!("{x} is not a finite number"))),
            Err(_) if text.is_empty() => Err(self.error(column, "is empty; expected a number")),
            Err(_) => Err(self.error(column, format!("{text:?} is not a number"))),
        }
    }

    /// A finite number in `range`, with the range named in the error.
    pub fn number_in(
        &self,
        column: &str,
        range: std::ops::RangeInclusive<f64>,
    ) -> Result<f64, InputError> {
        let x = self.number(column)?;
        if range.contains(&x) {
            Ok(x)
        } else if *range.end() == f64::INFINITY {
            Err(self.error(
                column,
                format!("{x} is out of range: must be {} or more", range.start()),
            ))
        } else {
            Err(self.error(
                column,
                format!(
                    "{x} is out of range: must be from {} to {}",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }

    /// A whole number of weeks or similar.
    pub fn whole(&self, column: &str) -> Result<u32, InputError> {
        let text = self.text(column);
        text.parse::<u32>()
            .map_err(|_| self.error(column, format!("{text:?} is not a whole number 0 or more")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_columns_by_name_and_reports_lines() {
        let t = Table::parse("t.csv", "b,a\n1,2\n3,x\n", &["a", "b"]).unwrap();
        let rows: Vec<_> = t.rows().collect();
        assert_eq!(rows[0].number("a").unwrap(), 2.0);
        assert_eq!(rows[0].number("b").unwrap(), 1.0);
        assert_eq!(
            rows[1].number("a").unwrap_err().to_string(),
            "t.csv:3: column a: \"x\" is not a number"
        );
    }

    #[test]
    fn missing_columns_ragged_rows_and_empty_files_are_errors() {
        let e = Table::parse("t.csv", "a\n1\n", &["a", "b", "c"])
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "t.csv:1: missing columns b, c (the header has: a)"
        );
        let e = Table::parse("t.csv", "a,b\n1,2\n3\n", &["a"])
            .err()
            .unwrap();
        assert_eq!(e.to_string(), "t.csv:3: has 1 fields, the header has 2");
        assert!(Table::parse("t.csv", "", &["a"]).is_err());
        assert!(Table::parse("t.csv", "a\n", &["a"]).is_err());
    }

    #[test]
    fn non_finite_numbers_and_ranges_are_refused() {
        let t = Table::parse("t.csv", "a,b\nNaN,1.5\n", &["a", "b"]).unwrap();
        let row = t.rows().next().unwrap();
        assert!(row.number("a").is_err());
        assert_eq!(
            row.number_in("b", 0.0..=1.0).unwrap_err().to_string(),
            "t.csv:2: column b: 1.5 is out of range: must be from 0 to 1"
        );
    }
}
