//! Errors a user can fix: bad scenarios, data files, flags or output folders.
//!
//! Every such error names the file, the line where known and the key or column, so the
//! binary can print it as `file:line: key: message` and exit with code 2. Anything else
//! (a failed write, a bug) travels as `anyhow::Error` and exits with code 1.

use std::fmt;

/// One problem with the user's input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// The file (or `--flag`, or `embedded defaults`) the problem is in.
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// The key or column, where known (`flock.cull_age_weeks`, `population`).
    pub key: Option<String>,
    pub message: String,
}

impl InputError {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line: None,
            key: None,
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// All the problems found in one input, reported together so a user fixes them in one go.
#[derive(Debug, Clone, PartialEq)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

impl From<InputError> for InputErrors {
    fn from(e: InputError) -> Self {
        InputErrors(vec![e])
    }
}

/// 1-based line of a byte offset in a text.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_key() {
        let e = InputError::new("a.toml", "must be at least 1")
            .at_line(Some(3))
            .key("flock.members");
        assert_eq!(e.to_string(), "a.toml:3: flock.members: must be at least 1");
        assert_eq!(
            InputError::new("x.csv", "empty").to_string(),
            "x.csv: empty"
        );
    }

    #[test]
    fn line_of_counts_newlines_before_offset() {
        let text = "a = 1\nb = 2\nc = 3";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 6), 2);
        assert_eq!(line_of(text, 14), 3);
        assert_eq!(line_of(text, 999), 3);
    }
}
