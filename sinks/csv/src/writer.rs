//! The `csv` sink: streams rows through the `csv` crate into an
//! [`AtomicFile`].

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::SecondsFormat;
use jobharvest_core::{
    AtomicFile, COLUMNS, Cell, Error, ErrorKind, JobRecord, Result, Sink, SinkContext, SinkReport,
};

use crate::config::CsvConfig;

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes buffered before they go to the file. `csv::Writer` buffers by
/// itself, so there is no `BufWriter` under it (it would copy every byte
/// twice for nothing).
const BUFFER_BYTES: usize = 64 * 1024;

/// A CSV file being written. Dropped without [`Sink::finish`], it removes
/// its temporary file and leaves the destination as it was.
pub struct CsvSink {
    writer: csv::Writer<AtomicFile>,
    path: PathBuf,
    columns: Vec<usize>,
    list_separator: String,
    rows: u64,
    /// Reused for every non-text field, so rows allocate nothing.
    field: String,
    /// Whether formula-like text gets a leading `'`.
    escape_formulas: bool,
}

impl std::fmt::Debug for CsvSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvSink")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl CsvSink {
    /// Creates the temporary file and writes the BOM and the header row.
    ///
    /// # Errors
    /// A config error for invalid options, an I/O error when the file
    /// cannot be created or written.
    pub fn create(config: &CsvConfig, cx: &SinkContext) -> Result<Self> {
        let delimiter = config.delimiter_byte()?;
        let columns = config.column_indices()?;
        let path = cx.resolve(&config.path);
        // Appending continues a file that already has its BOM and header.
        let (mut file, fresh) =
            crate::append::open(config.write, &path, &columns, delimiter, cx.durable)?;
        if fresh && config.bom {
            file.write_all(BOM).map_err(|e| write_error(&path, e))?;
        }
        let writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            .buffer_capacity(BUFFER_BYTES)
            .from_writer(file);
        let mut sink = CsvSink {
            writer,
            path,
            columns,
            list_separator: config.list_separator.clone(),
            rows: 0,
            field: String::new(),
            escape_formulas: config.escapes_formulas(),
        };
        if fresh {
            let header: Vec<&str> = sink.columns.iter().map(|&c| COLUMNS[c].name).collect();
            sink.writer
                .write_record(&header)
                .map_err(|e| csv_error(&sink.path, e))?;
        }
        Ok(sink)
    }

    fn write_row(&mut self, record: &JobRecord) -> csv::Result<()> {
        for &c in &self.columns {
            let cell = record.cell(c);
            // Only text: a negative number is a number to Excel.
            let escape = self.escape_formulas && matches!(cell, Cell::Text(_) | Cell::List(_));
            if let Cell::Text(s) = cell
                && !(escape && runs_as_formula(s))
            {
                self.writer.write_field(s)?;
                continue;
            }
            self.field.clear();
            format_cell(&mut self.field, cell, &self.list_separator);
            if escape && runs_as_formula(&self.field) {
                self.field.insert(0, '\'');
            }
            self.writer.write_field(&self.field)?;
        }
        self.writer.write_record(None::<&[u8]>)
    }
}

/// Whether a spreadsheet opening the file would run `text` as a formula
/// (OWASP's list of leading characters for CSV injection).
fn runs_as_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Writes `cell` as CSV text: nothing for a null, RFC 3339 UTC with `Z`
/// for a timestamp (seconds, or as many fraction digits as it has), the
/// shortest text that reads back as the same float, `true`/`false`, list
/// elements joined with `list_separator`.
fn format_cell(out: &mut String, cell: Cell<'_>, list_separator: &str) {
    // Writing into a String cannot fail.
    let _ = match cell {
        Cell::Null => Ok(()),
        Cell::Text(s) => {
            out.push_str(s);
            Ok(())
        }
        Cell::Float(f) => write!(out, "{f}"),
        Cell::Int(i) => write!(out, "{i}"),
        Cell::Bool(b) => write!(out, "{b}"),
        Cell::Timestamp(t) => {
            out.push_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
            Ok(())
        }
        Cell::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(list_separator);
                }
                out.push_str(item);
            }
            Ok(())
        }
    };
}

fn write_error(path: &Path, err: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!(
            "could not write `{}`: {err}; check that the disk has space and the folder is writable",
            path.display()
        ),
    )
    .with_source(err)
}

fn csv_error(path: &Path, err: csv::Error) -> Error {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => write_error(path, e),
        other => Error::new(
            ErrorKind::Sink,
            format!("could not write `{}`: {other:?}", path.display()),
        ),
    }
}

impl Sink for CsvSink {
    fn write(&mut self, batch: &[JobRecord]) -> Result<()> {
        for record in batch {
            self.write_row(record)
                .map_err(|e| csv_error(&self.path, e))?;
            self.rows += 1;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<SinkReport> {
        let CsvSink {
            writer, path, rows, ..
        } = *self;
        let file = writer
            .into_inner()
            .map_err(|e| write_error(&path, e.into_error()))?;
        let bytes = file.commit()?;
        Ok(SinkReport {
            rows,
            bytes: Some(bytes),
            warnings: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn text(cell: Cell<'_>) -> String {
        let mut s = String::new();
        format_cell(&mut s, cell, " | ");
        s
    }

    #[test]
    fn cells_format_as_documented() {
        let t = |ms| Cell::Timestamp(DateTime::from_timestamp_millis(ms).unwrap());
        assert_eq!(text(t(1_720_434_959_445)), "2024-07-08T10:35:59.445Z");
        assert_eq!(text(t(1_720_434_959_000)), "2024-07-08T10:35:59Z");
        assert_eq!(text(Cell::Null), "");
        assert_eq!(text(Cell::Float(0.1)), "0.1");
        assert_eq!(text(Cell::Float(35_000.0)), "35000");
        assert_eq!(text(Cell::Float(-1.0e-7)), "-0.0000001");
        assert_eq!(text(Cell::Int(-3)), "-3");
        assert_eq!(text(Cell::Bool(true)), "true");
        assert_eq!(text(Cell::Bool(false)), "false");
        let list = ["SQL".to_string(), "Python".to_string()];
        assert_eq!(text(Cell::List(&list)), "SQL | Python");
        assert_eq!(text(Cell::List(&[])), "");
    }
}
