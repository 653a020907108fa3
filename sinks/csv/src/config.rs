//! The `csv` sink's options.

use std::path::PathBuf;

use jobharvest_core::sink::WriteMode;
use jobharvest_core::{Error, Result, SinkConfig, SinkContext, select_columns, selects_raw};
use serde::Deserialize;

use crate::writer::CsvSink;

/// Options of the `csv` sink.
///
/// ```yaml
/// sinks:
///   - type: csv
///     path: out/offres.csv
///     delimiter: ";"
///     bom: true
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CsvConfig {
    /// Where to write the file (relative to the spec's directory).
    pub path: PathBuf,
    /// The columns to write, in this order (default: every column).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    /// Whether to write the `raw` JSON column when `columns` is not given
    /// (default false).
    #[serde(default = "default_include_raw")]
    pub include_raw: bool,
    /// The field separator: one ASCII character such as `,`, `;` or a tab.
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// Whether to start the file with a UTF-8 byte order mark (for Excel).
    #[serde(default = "default_bom")]
    pub bom: bool,
    /// What joins the elements of list columns inside one field.
    #[serde(default = "default_list_separator")]
    pub list_separator: String,
    /// `overwrite` (default) replaces the file; `append` adds the run's rows
    /// after those of an existing file whose header matches the columns.
    #[serde(default)]
    pub write: WriteMode,
    /// What happens to text that a spreadsheet would run as a formula (it
    /// starts with `=`, `+`, `-`, `@`, a tab or a carriage return):
    /// `defuse` (the default) writes it with a leading `'`, as OWASP
    /// advises against CSV injection; `keep` writes it as it is, for
    /// pipelines that never meet a spreadsheet.
    #[serde(default)]
    pub formulas: Formulas,
    /// The older spelling of `formulas`: `true` is `defuse`, `false` is
    /// `keep`. `formulas` wins when both are given.
    #[serde(default)]
    pub escape_formulas: Option<bool>,
}

/// The `formulas` option of the `csv` sink.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Formulas {
    /// Not given: defused, unless `escape_formulas: false`.
    #[default]
    #[serde(skip)]
    Unset,
    /// A leading `'` before formula-like text (what spreadsheets show as
    /// text).
    Defuse,
    /// The exact text.
    Keep,
}

/// Off: the raw payload is kilobytes of JSON per offer, more than Excel
/// accepts in a cell (32,767 characters), and it triples the file. The
/// `jsonl` sink is the archive of payloads; set `include_raw: true` to keep
/// them here too.
fn default_include_raw() -> bool {
    false
}

fn default_delimiter() -> String {
    ",".into()
}

fn default_bom() -> bool {
    false
}

fn default_list_separator() -> String {
    " | ".into()
}

impl CsvConfig {
    /// Whether formula-like text gets a leading `'` (see
    /// [`CsvConfig::formulas`]): yes unless the spec says `keep`.
    pub fn escapes_formulas(&self) -> bool {
        match self.formulas {
            Formulas::Defuse => true,
            Formulas::Keep => false,
            Formulas::Unset => self.escape_formulas.unwrap_or(true),
        }
    }

    /// The delimiter as the byte the CSV writer wants.
    ///
    /// # Errors
    /// A config error when the delimiter is not one ASCII character, or is
    /// a quote or a line break.
    pub fn delimiter_byte(&self) -> Result<u8> {
        let d = &self.delimiter;
        let mut chars = d.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return Err(Error::config(format!(
                "delimiter: `{d}` is not one character; use a single character such as \",\", \";\" or \"\\t\""
            ))
            .with_context("key", "delimiter"));
        };
        if !c.is_ascii() {
            return Err(Error::config(format!(
                "delimiter: `{d}` is not an ASCII character; use a single ASCII character such as \",\", \";\" or \"\\t\""
            ))
            .with_context("key", "delimiter"));
        }
        if matches!(c, '"' | '\r' | '\n') {
            return Err(Error::config(format!(
                "delimiter: {c:?} cannot separate fields (it quotes or ends records); use \",\", \";\" or \"\\t\""
            ))
            .with_context("key", "delimiter"));
        }
        Ok(c as u8)
    }

    /// The columns to write, as indices into [`jobharvest_core::COLUMNS`].
    ///
    /// # Errors
    /// A config error naming an unknown or repeated column.
    pub fn column_indices(&self) -> Result<Vec<usize>> {
        select_columns(self.columns.as_deref(), self.include_raw)
    }
}

impl SinkConfig for CsvConfig {
    const TYPE: &'static str = crate::TYPE;
    const DESCRIPTION: &'static str = "CSV file (RFC 4180, UTF-8, optional BOM and delimiter)";
    const EXTENSIONS: &'static [&'static str] = &["csv"];

    fn target(&self) -> String {
        self.path.display().to_string()
    }

    fn writes_raw(&self) -> bool {
        selects_raw(self.columns.as_deref(), self.include_raw)
    }

    fn validate(&self) -> Result<()> {
        if self.path.as_os_str().is_empty() {
            return Err(Error::config(
                "path: empty; give the file to write, such as `out/offres.csv`",
            ));
        }
        self.delimiter_byte()?;
        if self.list_separator.is_empty() {
            return Err(Error::config(
                "list_separator: empty, so list elements would run together; use \" | \" or \", \"",
            ));
        }
        self.column_indices()?;
        Ok(())
    }

    fn open(self, cx: &SinkContext) -> Result<Box<dyn jobharvest_core::Sink>> {
        Ok(Box::new(CsvSink::create(&self, cx)?))
    }
}
