//! The `xlsx` sink: typed cells streamed through rust_xlsxwriter's constant
//! memory worksheets, saved into an [`AtomicFile`] by `finish`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use jobharvest_core::{
    AtomicFile, COLUMNS, Cell, ColumnKind, Error, ErrorKind, JobRecord, Result, Sink, SinkContext,
    SinkReport,
};
use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, Worksheet, XlsxError};

use crate::config::XlsxConfig;

/// Excel's limit on the length of a cell's text, in UTF-16 code units
/// (what Excel counts as characters).
pub const MAX_CELL_CHARS: usize = 32_767;

/// How dates are shown. The value is a real Excel date-time (UTC).
const DATE_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";

/// An Excel workbook being written. Dropped without [`Sink::finish`], it
/// removes its temporary files and leaves the destination as it was.
pub struct XlsxSink {
    workbook: Workbook,
    file: AtomicFile,
    path: PathBuf,
    layout: Layout,
    max_rows_per_sheet: u32,
    sheet_name: String,
    /// Data rows in each sheet so far; the last one is being written.
    sheet_rows: Vec<u32>,
    rows: u64,
    stats: Stats,
}

impl std::fmt::Debug for XlsxSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxSink")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .field("sheets", &self.sheet_rows.len())
            .finish_non_exhaustive()
    }
}

/// What every row needs: the columns and the cell formats.
struct Layout {
    columns: Vec<usize>,
    list_separator: String,
    header: Format,
    date: Format,
    /// Set when lists are joined with a line break.
    list: Option<Format>,
}

/// Cells that did not fit Excel, for the warnings.
#[derive(Default)]
struct Stats {
    truncated: u64,
    first_truncated: Option<String>,
    undated: u64,
    first_undated: Option<String>,
}

impl XlsxSink {
    /// Creates the temporary file and the first sheet with its header.
    ///
    /// # Errors
    /// A config error for invalid options, an I/O or sink error when the
    /// files cannot be created.
    pub fn create(config: &XlsxConfig, cx: &SinkContext) -> Result<Self> {
        let columns = config.column_indices()?;
        let path = cx.resolve(&config.path);
        let file = cx.create_file(&path)?;
        let mut workbook = Workbook::new();
        workbook.set_zip_compression_level(config.compression_level);
        // Constant-memory sheets spill rows to temporary files; keep them on
        // the output's disk rather than in /tmp, which is often in memory.
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        workbook
            .set_tempdir(&dir)
            .map_err(|e| xlsx_error(&path, e))?;
        let list = config
            .list_separator
            .contains('\n')
            .then(|| Format::new().set_text_wrap());
        let mut sink = XlsxSink {
            workbook,
            file,
            path,
            layout: Layout {
                columns,
                list_separator: config.list_separator.clone(),
                header: Format::new().set_bold(),
                date: Format::new().set_num_format(DATE_FORMAT),
                list,
            },
            max_rows_per_sheet: config.max_rows_per_sheet,
            sheet_name: config.sheet_name.clone(),
            sheet_rows: Vec::new(),
            rows: 0,
            stats: Stats::default(),
        };
        sink.add_sheet()?;
        Ok(sink)
    }

    /// Adds a sheet with the header row, frozen, and the column widths.
    fn add_sheet(&mut self) -> Result<()> {
        let n = self.sheet_rows.len() + 1;
        let name = if n == 1 {
            self.sheet_name.clone()
        } else {
            format!("{}_{n}", self.sheet_name)
        };
        let sheet = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(|e| xlsx_error(&self.path, e))?;
        write_header(sheet, &name, &self.layout).map_err(|e| xlsx_error(&self.path, e))?;
        self.sheet_rows.push(0);
        Ok(())
    }

    /// The data rows of the sheet being written, adding a new sheet when
    /// the current one is full.
    fn sheet_with_room(&mut self) -> Result<usize> {
        if self.sheet_rows.last() == Some(&self.max_rows_per_sheet) {
            self.add_sheet()?;
        }
        Ok(self.sheet_rows.len() - 1)
    }
}

fn write_header(sheet: &mut Worksheet, name: &str, layout: &Layout) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    for (col, &c) in layout.columns.iter().enumerate() {
        let col = col as ColNum;
        let column = &COLUMNS[c];
        sheet.write_string_with_format(0, col, column.name, &layout.header)?;
        sheet.set_column_width(col, column_width(column.name, column.kind))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A width (in characters) that shows a typical value and the header with
/// its filter button; set once, as constant memory mode cannot autofit.
fn column_width(name: &str, kind: ColumnKind) -> f64 {
    let typical = match kind {
        ColumnKind::Timestamp => 19,
        ColumnKind::Float => 12,
        ColumnKind::Int | ColumnKind::Bool => 8,
        ColumnKind::TextList => 30,
        ColumnKind::Json => 50,
        ColumnKind::Text if name.ends_with("description") || name.ends_with("comment") => 50,
        ColumnKind::Text if name.ends_with("url") => 40,
        ColumnKind::Text if name.ends_with("code") || name == "source_id" => 12,
        ColumnKind::Text => 24,
    };
    // Three more for the filter button.
    typical.max(name.len() + 3) as f64
}

/// `text` cut to Excel's limit at a character boundary, if it is longer.
fn truncate_for_excel(text: &str) -> Option<&str> {
    // A UTF-16 code unit takes at least one UTF-8 byte: short texts fit.
    if text.len() <= MAX_CELL_CHARS {
        return None;
    }
    let mut units = 0;
    for (at, c) in text.char_indices() {
        units += c.len_utf16();
        if units > MAX_CELL_CHARS {
            return Some(&text[..at]);
        }
    }
    None
}

/// Whether Excel can show `t` as a date (years 1900 to 9999).
fn excel_can_date(t: &DateTime<Utc>) -> bool {
    (1900..=9999).contains(&t.year())
}

/// Writes one record on `row` of `sheet`.
fn write_row(
    sheet: &mut Worksheet,
    row: RowNum,
    record: &JobRecord,
    layout: &Layout,
    stats: &mut Stats,
    locate: impl Fn(usize) -> String,
) -> Result<(), XlsxError> {
    for (col, &c) in layout.columns.iter().enumerate() {
        let col = col as ColNum;
        match record.cell(c) {
            Cell::Null => {}
            Cell::Text(s) => {
                let s = match truncate_for_excel(s) {
                    Some(cut) => {
                        stats.truncated += 1;
                        stats.first_truncated.get_or_insert_with(|| locate(c));
                        cut
                    }
                    None => s,
                };
                sheet.write_string(row, col, s)?;
            }
            Cell::Float(f) => {
                sheet.write_number(row, col, f)?;
            }
            Cell::Int(i) => {
                // Excel numbers are doubles: exact up to 2^53.
                sheet.write_number(row, col, i as f64)?;
            }
            Cell::Bool(b) => {
                sheet.write_boolean(row, col, b)?;
            }
            Cell::Timestamp(t) if excel_can_date(&t) => {
                sheet.write_datetime_with_format(row, col, t.naive_utc(), &layout.date)?;
            }
            Cell::Timestamp(t) => {
                stats.undated += 1;
                stats.first_undated.get_or_insert_with(|| locate(c));
                sheet.write_string(row, col, t.to_rfc3339_opts(SecondsFormat::AutoSi, true))?;
            }
            Cell::List(items) => {
                if items.is_empty() {
                    continue;
                }
                let joined = items.join(&layout.list_separator);
                let joined = match truncate_for_excel(&joined) {
                    Some(cut) => {
                        stats.truncated += 1;
                        stats.first_truncated.get_or_insert_with(|| locate(c));
                        cut.to_string()
                    }
                    None => joined,
                };
                match &layout.list {
                    Some(wrap) => sheet.write_string_with_format(row, col, joined, wrap)?,
                    None => sheet.write_string(row, col, joined)?,
                };
            }
        }
    }
    Ok(())
}

fn xlsx_error(path: &Path, err: XlsxError) -> Error {
    let (kind, fix) = match &err {
        XlsxError::IoError(_) | XlsxError::TempFileError(..) => (
            ErrorKind::Io,
            "; check that the disk has space and the folder is writable",
        ),
        _ => (ErrorKind::Sink, ""),
    };
    Error::new(
        kind,
        format!("could not write `{}`: {err}{fix}", path.display()),
    )
    .with_source(err)
}

impl Sink for XlsxSink {
    fn write(&mut self, batch: &[JobRecord]) -> Result<()> {
        let mut rest = batch;
        while !rest.is_empty() {
            let index = self.sheet_with_room()?;
            let used = self.sheet_rows[index];
            let take = rest.len().min((self.max_rows_per_sheet - used) as usize);
            let (now, later) = rest.split_at(take);
            let sheet = self
                .workbook
                .worksheet_from_index(index)
                .map_err(|e| xlsx_error(&self.path, e))?;
            let sheet_name = sheet.name();
            for (k, record) in now.iter().enumerate() {
                let row = used + 1 + k as u32;
                let locate = |c: usize| {
                    format!(
                        "sheet `{sheet_name}`, row {}, column `{}`",
                        row + 1,
                        COLUMNS[c].name
                    )
                };
                write_row(sheet, row, record, &self.layout, &mut self.stats, locate)
                    .map_err(|e| xlsx_error(&self.path, e))?;
            }
            self.sheet_rows[index] += take as u32;
            self.rows += take as u64;
            rest = later;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<SinkReport> {
        let XlsxSink {
            mut workbook,
            mut file,
            path,
            layout,
            sheet_rows,
            rows,
            stats,
            ..
        } = *self;
        let last_col = (layout.columns.len() - 1) as ColNum;
        for (index, &data_rows) in sheet_rows.iter().enumerate() {
            workbook
                .worksheet_from_index(index)
                .and_then(|sheet| sheet.autofilter(0, 0, data_rows, last_col))
                .map_err(|e| xlsx_error(&path, e))?;
        }
        workbook
            .save_to_writer(&mut file)
            .map_err(|e| xlsx_error(&path, e))?;
        let bytes = file.commit()?;

        let mut warnings = Vec::new();
        if stats.truncated > 0 {
            tracing::warn!(
                path = %path.display(),
                cells = stats.truncated,
                "Truncated texts longer than Excel's 32,767 characters."
            );
            warnings.push(format!(
                "{}: {} cell(s) longer than Excel's 32,767 characters were truncated (first: {}); use CSV or Parquet for the full text",
                path.display(),
                stats.truncated,
                stats.first_truncated.unwrap_or_default()
            ));
        }
        if stats.undated > 0 {
            tracing::warn!(
                path = %path.display(),
                cells = stats.undated,
                "Wrote dates outside Excel's years 1900-9999 as text."
            );
            warnings.push(format!(
                "{}: {} date(s) outside Excel's years 1900 to 9999 were written as text (first: {})",
                path.display(),
                stats.undated,
                stats.first_undated.unwrap_or_default()
            ));
        }
        Ok(SinkReport {
            rows,
            bytes: Some(bytes),
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_utf16_units_and_keeps_char_boundaries() {
        let short = "é".repeat(MAX_CELL_CHARS);
        assert_eq!(truncate_for_excel(&short), None, "exactly at the limit");
        let long = format!("{short}x");
        assert_eq!(truncate_for_excel(&long), Some(short.as_str()));
        // An emoji is two UTF-16 units: 16,384 of them are one too many.
        let crabs = "🦀".repeat(16_384);
        let cut = truncate_for_excel(&crabs).unwrap();
        assert_eq!(cut.chars().count(), 16_383);
        assert_eq!(cut.encode_utf16().count(), 32_766);
    }
}
