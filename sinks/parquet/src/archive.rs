//! The `raw` column of a Parquet output read back as JSON lines, so that the
//! `replay` source re-normalizes an archive after a mapping change without
//! an export step.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch, StringArray};
use jobharvest_core::{Archive, Error, ErrorKind, Result};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

/// Rows decoded at a time: about 4 MB of payloads.
const ROWS_PER_READ: usize = 1024;

/// Opens `path`, a Parquet file written with its `raw` column, as JSON
/// lines of the payloads of `board`, with the file's row count (the
/// [`jobharvest_core::ArchiveOpener`] this crate registers for `.parquet`
/// and `.pq`).
///
/// Each row gives one line, so line numbers in replay messages are row
/// numbers. A row without a payload, or from another board (its `source`),
/// gives an empty line, which the replay skips. JSON needs no line break
/// outside its strings, and inside them a break is always escaped, so any
/// raw break (a pretty-printed payload) becomes a space.
///
/// # Errors
/// When the file cannot be opened or is not Parquet, or has no `raw`
/// column (the sink's default, without `include_raw: true`), with the fix.
pub fn open_raw_archive(path: &Path, board: &str) -> Result<Archive> {
    let file = File::open(path).map_err(|e| Error::io("open the replay file", path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
        Error::new(
            ErrorKind::Parse,
            format!(
                "could not read `{}` as Parquet: {e}; replay reads JSON lines (`.jsonl`, `.jsonl.gz`) or a Parquet output of jobharvest",
                path.display()
            ),
        )
        .with_source(e)
    })?;
    let leaf = |name: &str| {
        builder
            .parquet_schema()
            .columns()
            .iter()
            .position(|c| c.path().string() == name)
    };
    let raw = leaf("raw").ok_or_else(|| {
        Error::config(format!(
            "`{}` has no `raw` column, so there are no payloads to replay (the parquet sink leaves it out unless `include_raw: true`); replay the JSON lines the offers came from, or write the Parquet file with `include_raw: true` next time",
            path.display()
        ))
    })?;
    let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).ok();
    let leaves: Vec<usize> = std::iter::once(raw).chain(leaf("source")).collect();
    let mask = ProjectionMask::leaves(builder.parquet_schema(), leaves);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(ROWS_PER_READ)
        .build()
        .map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!("could not read `{}`: {e}", path.display()),
            )
            .with_source(e)
        })?;
    let lines = Box::new(RawLines {
        reader,
        path: path.to_path_buf(),
        board: board.to_string(),
        lines: Vec::new(),
        at: 0,
        other_boards: 0,
        ours: 0,
        ended: false,
    });
    Ok(Archive { lines, rows })
}

/// The payloads of a Parquet file, as the bytes of JSON lines.
struct RawLines {
    reader: ParquetRecordBatchReader,
    path: PathBuf,
    board: String,
    /// The lines of the rows decoded last, and how far they were read.
    lines: Vec<u8>,
    at: usize,
    /// Rows of other boards, and payloads of this one, read so far.
    other_boards: u64,
    ours: u64,
    ended: bool,
}

impl RawLines {
    /// Decodes the next rows into `lines`; `false` at the end of the file.
    fn refill(&mut self) -> io::Result<bool> {
        self.lines.clear();
        self.at = 0;
        let batch = match self.reader.next() {
            Some(batch) => batch.map_err(io::Error::other)?,
            // Readers ask again after the end: say it once.
            None if self.ended => return Ok(false),
            None => {
                self.ended = true;
                if self.other_boards > 0 && self.ours == 0 {
                    tracing::warn!(
                        path = %self.path.display(),
                        rows = self.other_boards,
                        board = %self.board,
                        "No row of the archive is from this board; check the replay's `connector`."
                    );
                } else if self.other_boards > 0 {
                    tracing::info!(
                        path = %self.path.display(),
                        rows = self.other_boards,
                        board = %self.board,
                        "Rows of other boards in the archive were left out."
                    );
                }
                return Ok(false);
            }
        };
        let raw = text_column(&batch, "raw").ok_or_else(|| {
            io::Error::other("the `raw` column does not hold text; it is not a jobharvest archive")
        })?;
        let source = text_column(&batch, "source");
        for row in 0..batch.num_rows() {
            let ours = source.is_none_or(|s| s.is_valid(row) && s.value(row) == self.board);
            if !ours {
                self.other_boards += 1;
            } else if raw.is_valid(row) {
                self.ours += 1;
                let start = self.lines.len();
                self.lines.extend_from_slice(raw.value(row).as_bytes());
                for b in &mut self.lines[start..] {
                    if matches!(*b, b'\n' | b'\r') {
                        *b = b' ';
                    }
                }
            }
            self.lines.push(b'\n');
        }
        Ok(true)
    }
}

fn text_column<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a StringArray> {
    batch.column_by_name(name)?.as_string_opt::<i32>()
}

impl Read for RawLines {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.lines.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.lines.len() - self.at);
        buf[..n].copy_from_slice(&self.lines[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
