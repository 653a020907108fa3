//! The `xlsx` sink's options.

use std::path::PathBuf;

use jobharvest_core::sink::WriteMode;
use jobharvest_core::{Error, Result, SinkConfig, SinkContext, select_columns, selects_raw};
use serde::Deserialize;

use crate::writer::XlsxSink;

/// The most data rows an Excel sheet holds (1,048,576 rows, less the
/// header).
pub const MAX_ROWS_PER_SHEET: u32 = 1_048_575;

/// The longest sheet name accepted, leaving room in Excel's 31 characters
/// for the `_N` suffix of later sheets.
const MAX_SHEET_NAME_CHARS: usize = 24;

/// Options of the `xlsx` sink.
///
/// ```yaml
/// sinks:
///   - type: xlsx
///     path: out/offres.xlsx
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct XlsxConfig {
    /// Where to write the file (relative to the spec's directory).
    pub path: PathBuf,
    /// The columns to write, in this order (default: every column).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    /// Whether to write the `raw` JSON column when `columns` is not given.
    /// Off by default: it is the widest column and doubles the save time.
    #[serde(default = "default_include_raw")]
    pub include_raw: bool,
    /// What joins the elements of list columns inside one cell. With a line
    /// break (`"\n"`), list cells wrap so each element shows on its own line.
    #[serde(default = "default_list_separator")]
    pub list_separator: String,
    /// Data rows per sheet before continuing on a new sheet; at most
    /// 1,048,575 (Excel's limit, less the header row).
    #[serde(default = "default_max_rows_per_sheet")]
    pub max_rows_per_sheet: u32,
    /// The name of the first sheet; later ones get `_2`, `_3`, ...
    #[serde(default = "default_sheet_name")]
    pub sheet_name: String,
    /// The zip (deflate) level, from 1 (fastest) to 9 (smallest file).
    #[serde(default = "default_compression_level")]
    pub compression_level: u8,
    /// Only `overwrite` (the default): a workbook cannot be appended to in
    /// place, and rewriting it whole on every run would cost more each day.
    /// `append` is refused, pointing to the sinks that accumulate.
    #[serde(default)]
    pub write: WriteMode,
}

fn default_include_raw() -> bool {
    false
}

fn default_list_separator() -> String {
    " | ".into()
}

fn default_max_rows_per_sheet() -> u32 {
    MAX_ROWS_PER_SHEET
}

fn default_sheet_name() -> String {
    "offers".into()
}

fn default_compression_level() -> u8 {
    1
}

impl XlsxConfig {
    /// The columns to write, as indices into [`jobharvest_core::COLUMNS`].
    ///
    /// # Errors
    /// A config error naming an unknown or repeated column.
    pub fn column_indices(&self) -> Result<Vec<usize>> {
        select_columns(self.columns.as_deref(), self.include_raw)
    }
}

impl SinkConfig for XlsxConfig {
    const TYPE: &'static str = crate::TYPE;
    const DESCRIPTION: &'static str =
        "Excel workbook (typed cells, frozen and filtered header, new sheet past 1,048,575 rows)";
    const EXTENSIONS: &'static [&'static str] = &["xlsx"];

    fn target(&self) -> String {
        self.path.display().to_string()
    }

    fn writes_raw(&self) -> bool {
        selects_raw(self.columns.as_deref(), self.include_raw)
    }

    fn validate(&self) -> Result<()> {
        if self.path.as_os_str().is_empty() {
            return Err(Error::config(
                "path: empty; give the file to write, such as `out/offres.xlsx`",
            ));
        }
        if self.write == WriteMode::Append {
            return Err(Error::config(
                "write: `append` is not possible for an Excel workbook (it cannot be extended in place); to accumulate runs use `type: csv` with `write: append`, `type: parquet` with `dataset: true`, or `type: sqlite`, and keep xlsx for a full snapshot",
            )
            .with_context("key", "write"));
        }
        if self.list_separator.is_empty() {
            return Err(Error::config(
                "list_separator: empty, so list elements would run together; use \" | \" or \"\\n\"",
            ));
        }
        if !(1..=MAX_ROWS_PER_SHEET).contains(&self.max_rows_per_sheet) {
            return Err(Error::config(format!(
                "max_rows_per_sheet: {} is out of range; use a number from 1 to {MAX_ROWS_PER_SHEET} (Excel's limit)",
                self.max_rows_per_sheet
            )));
        }
        if !(1..=9).contains(&self.compression_level) {
            return Err(Error::config(format!(
                "compression_level: {} is out of range; use 1 (fastest, the default) to 9 (smallest)",
                self.compression_level
            )));
        }
        let name = &self.sheet_name;
        let bad = |c: char| matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\');
        if name.is_empty()
            || name.chars().count() > MAX_SHEET_NAME_CHARS
            || name.chars().any(bad)
            || name.starts_with('\'')
            || name.ends_with('\'')
            || name.eq_ignore_ascii_case("history")
        {
            return Err(Error::config(format!(
                "sheet_name: `{name}` is not a usable sheet name; use 1 to {MAX_SHEET_NAME_CHARS} characters, none of [ ] : * ? / \\, not starting or ending with ', such as `offers`"
            )));
        }
        self.column_indices()?;
        Ok(())
    }

    fn open(self, cx: &SinkContext) -> Result<Box<dyn jobharvest_core::Sink>> {
        Ok(Box::new(XlsxSink::create(&self, cx)?))
    }
}
