//! A strict reader for the small CSV tables telur takes as data.
//!
//! Columns are found by header name (order free, extra columns ignored); every missing
//! column, unparsable number or ragged row becomes an [`InputError`] naming the file, the
//! line and the column.

use std::ops::Range;

use crate::error::{InputError, Place};

/// A parsed CSV table with the required columns located.
pub struct Table {
    file: String,
    /// Each line of the file, to show the one an error is on.
    lines: Vec<String>,
    columns: Vec<(&'static str, usize)>,
    rows: Vec<(usize, csv::StringRecord)>,
}

/// The byte range of field `index` in a CSV line (quotes respected, spaces trimmed); the
/// end of the line if it has fewer fields.
fn field_span(line: &str, index: usize) -> Range<usize> {
    let (mut field, mut start, mut quoted) = (0, 0, false);
    for (i, b) in line.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                if field == index {
                    return trim(line, start..i);
                }
                field += 1;
                start = i + 1;
            }
            _ => {}
        }
    }
    if field == index {
        trim(line, start..line.len())
    } else {
        line.len()..line.len()
    }
}

fn trim(line: &str, r: Range<usize>) -> Range<usize> {
    let text = &line[r.clone()];
    let start = r.start + (text.len() - text.trim_start().len());
    let end = r.end - (text.len() - text.trim_end().len());
    start..end.max(start)
}

/// An error at a line of a file, showing the line with the culprit underlined.
fn error_at(
    file: &str,
    lines: &[String],
    line: usize,
    span: Option<Range<usize>>,
    message: String,
) -> InputError {
    let mut e = InputError::new(file, message).at_line(Some(line));
    if let Some(text) = lines.get(line.wrapping_sub(1)) {
        let span = span.unwrap_or(0..text.len());
        e.place = Some(Box::new(Place {
            line,
            text: text.clone(),
            span,
        }));
    }
    e
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
        let lines: Vec<String> = text
            .lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect();
        let err = |line: Option<usize>, msg: String| match line {
            Some(line) => error_at(file, &lines, line, None, msg),
            None => InputError::new(file, msg),
        };
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
            lines,
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
    /// An error about a column of this row, underlining its cell.
    pub fn error(&self, column: &str, message: impl Into<String>) -> InputError {
        let lines = &self.table.lines;
        let span = lines
            .get(self.line.wrapping_sub(1))
            .map(|l| field_span(l, self.index(column)));
        error_at(&self.table.file, lines, self.line, span, message.into())
            .key(format!("column {column}"))
    }

    fn index(&self, column: &str) -> usize {
        self.table
            .columns
            .iter()
            .find(|(name, _)| *name == column)
            .map(|&(_, i)| i)
            .expect("column was declared as required")
    }

    /// The text of a required column.
    pub fn text(&self, column: &str) -> &str {
        self.record.get(self.index(column)).unwrap_or("")
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
        let e = rows[1].number("a").unwrap_err().to_string();
        assert!(
            e.starts_with("t.csv:3:3: column a: \"x\" is not a number\n"),
            "{e}"
        );
        assert!(e.contains("3 | 3,x"), "{e}");
        assert!(e.ends_with("  |   ^"), "{e}");
        assert_eq!(field_span("a, \"b,c\" ,d", 1), 3..8);
        assert_eq!(field_span("a,b", 5), 3..3);
    }

    #[test]
    fn missing_columns_ragged_rows_and_empty_files_are_errors() {
        let e = Table::parse("t.csv", "a\n1\n", &["a", "b", "c"])
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .starts_with("t.csv:1:1: missing columns b, c (the header has: a)"),
            "{e}"
        );
        let e = Table::parse("t.csv", "a,b\n1,2\n3\n", &["a"])
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .starts_with("t.csv:3:1: has 1 fields, the header has 2"),
            "{e}"
        );
        assert!(Table::parse("t.csv", "", &["a"]).is_err());
        assert!(Table::parse("t.csv", "a\n", &["a"]).is_err());
    }

    #[test]
    fn non_finite_numbers_and_ranges_are_refused() {
        let t = Table::parse("t.csv", "a,b\nNaN,1.5\n", &["a", "b"]).unwrap();
        let row = t.rows().next().unwrap();
        assert!(row.number("a").is_err());
        assert!(
            row.number_in("b", 0.0..=1.0)
                .unwrap_err()
                .to_string()
                .starts_with("t.csv:2:5: column b: 1.5 is out of range: must be from 0 to 1"),
        );
    }
}
