//! Errors a user can fix: bad scenarios, data files, flags or output folders.
//!
//! Every such error names the file, the line where known and the key or column, and where
//! the culprit has a place in a file it shows that line with a caret under the value, in
//! the style of rustc and cargo (drawn by `annotate-snippets`). The binary prints them
//! and exits with code 2. Anything else (a failed write, a bug) travels as
//! `anyhow::Error` and exits with code 1.

use std::fmt;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// One problem with the user's input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// The file (or `--flag`, or `embedded defaults`) the problem is in.
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// The key or column, where known (`flock.cull_age_weeks`, `column population`).
    pub key: Option<String>,
    pub message: String,
    /// The offending line, to show under the message (boxed: errors travel in `Result`s).
    pub place: Option<Box<Place>>,
}

/// Where in a file an error is: the whole line and the bytes of the culprit in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// 1-based line number.
    pub line: usize,
    /// The line's text, without its line break.
    pub text: String,
    /// Byte range of the culprit within `text` (may be empty: a caret at that point).
    pub span: Range<usize>,
}

impl Place {
    /// The place of byte range `span` of `text` (a whole file): its line and the part of
    /// the span on that line.
    pub fn of(text: &str, span: Range<usize>) -> Place {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        let end = floor_char_boundary(text, span.end.clamp(start, line_end));
        let from = (start - line_start).min(line_text.len());
        let to = (end - line_start).clamp(from, line_text.len());
        Place {
            line: line_of(text, start),
            text: line_text.to_string(),
            span: from..to,
        }
    }

    /// 1-based column (in characters) where the culprit starts.
    pub fn column(&self) -> usize {
        self.text[..self.span.start].chars().count() + 1
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl InputError {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line: None,
            key: None,
            message: message.into(),
            place: None,
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

    /// Shows the bytes `span` of the file's `text` under the message (and sets the line).
    pub fn at(mut self, text: &str, span: Range<usize>) -> Self {
        let place = Place::of(text, span);
        self.line = Some(place.line);
        self.place = Some(Box::new(place));
        self
    }

    /// `key: message`, the error's title.
    pub fn title(&self) -> String {
        match &self.key {
            Some(key) => format!("{key}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// `file:line:column`, or as much of it as is known.
    pub fn location(&self) -> String {
        match (&self.place, self.line) {
            (Some(p), _) => format!("{}:{}:{}", self.file, p.line, p.column()),
            (None, Some(line)) => format!("{}:{line}", self.file),
            (None, None) => self.file.clone(),
        }
    }

    /// The error drawn for a terminal (`styled`: with colours), starting `error: `.
    pub fn render(&self, styled: bool) -> String {
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        match &self.place {
            Some(place) => {
                let title = self.title();
                let snippet = Snippet::source(place.text.as_str())
                    .line_start(place.line)
                    .path(self.file.as_str())
                    .annotation(AnnotationKind::Primary.span(place.span.clone()));
                let report = [Level::ERROR.primary_title(title.as_str()).element(snippet)];
                renderer.render(&report)
            }
            None => {
                let title = format!("{}: {}", self.location(), self.title());
                renderer.render(&[Group::with_title(Level::ERROR.primary_title(title))])
            }
        }
    }
}

impl fmt::Display for InputError {
    /// `file:line:column: key: message`, then the offending line with a caret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.title())?;
        if self.place.is_some() {
            // The drawing without its first line, which repeats the title.
            let drawn = self.render(false);
            for line in drawn.lines().skip(2) {
                write!(f, "\n{line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// All the problems found in one input, reported together so a user fixes them in one go.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
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

impl InputErrors {
    /// Every error drawn as rustc draws its diagnostics, separated by blank lines.
    pub fn render(&self, styled: bool) -> String {
        self.0
            .iter()
            .map(|e| e.render(styled))
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

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

/// The closest of `known` to `unknown`, if close enough to suggest.
pub fn closest<'k>(unknown: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(unknown, k), k))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score > 0.8)
        .map(|(_, k)| k)
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
    fn a_place_shows_the_line_with_a_caret_under_the_value() {
        let text = "name = \"t\"\n[kube]\nretain_share = 2\n";
        let span = text.find('2').unwrap()..text.find('2').unwrap() + 1;
        let e = InputError::new("s.toml", "2 is out of range: must be between 0 and 1")
            .key("kube.retain_share")
            .at(text, span);
        assert_eq!(e.line, Some(3));
        let shown = e.to_string();
        assert!(
            shown.starts_with(
                "s.toml:3:16: kube.retain_share: 2 is out of range: must be between 0 and 1\n"
            ),
            "{shown}"
        );
        assert!(shown.contains("3 | retain_share = 2"), "{shown}");
        assert!(shown.ends_with("  |                ^"), "{shown}");
        let drawn = e.render(false);
        assert!(drawn.starts_with("error: kube.retain_share: 2 is out of range"));
        assert!(drawn.contains(" --> s.toml:3:16"), "{drawn}");
    }

    #[test]
    fn places_stay_on_their_line_and_inside_the_text() {
        let text = "a = 1\nb = [1,\n 2]\n";
        let p = Place::of(text, 10..18);
        assert_eq!(
            (p.line, p.text.as_str(), p.span.clone()),
            (2, "b = [1,", 4..7)
        );
        let p = Place::of(text, 999..1000);
        assert_eq!(p.line, 4);
        assert_eq!(p.span, 0..0);
        assert_eq!(Place::of("é = 1", 1..2).span, 0..2);
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
