//! The `parquet` sink: one Arrow record batch per `write`, its columns
//! encoded and compressed in parallel, into an [`AtomicFile`].
//!
//! Encoding and zstd compression are most of a Parquet sink's work, and one
//! thread doing all of it was the slowest stage of a replay. So columns are
//! shared out between encoder threads (the widest, `raw`, on its own), each
//! owning the column writers of its columns; this thread builds the Arrow
//! arrays, cuts row groups at the configured limits, and assembles the
//! encoded column chunks into the file in column order. This is parquet's
//! documented way to encode in parallel (`ArrowColumnWriter`), so the file
//! is exactly what `ArrowWriter` would write.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;
use jobharvest_core::{
    AtomicFile, COLUMNS, ColumnKind, Error, ErrorKind, JobRecord, Result, Sink, SinkContext,
    SinkReport,
};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory,
    compute_leaves,
};
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;

use crate::config::ParquetConfig;
use crate::schema::{arrow_schema, column_array};

/// Columns of long, unique free text.
const LONG_TEXT: &[&str] = &["description", "company_description", "salary_comment"];

/// Short text that is different on every offer: a dictionary would hold
/// every value of the row group once more, plus an index per row.
const UNIQUE_TEXT: &[&str] = &["source_id", "url", "apply_url", "fingerprint"];

/// Encoder threads at most (the machine's cores, up to this).
const MAX_ENCODERS: usize = 4;

/// What an encoder thread is asked to do.
enum Job {
    /// Encode these leaves (column index, leaf) into the current row group.
    Write(Vec<(usize, ArrowLeafColumn)>),
    /// Close the row group's writers and send back their chunks, then take
    /// these writers for the next row group (none at the end).
    Close(Vec<(usize, ArrowColumnWriter)>),
}

type Chunks = std::result::Result<Vec<(usize, ArrowColumnChunk)>, ParquetError>;

/// One encoder thread: its queue, its reply channel, its encoded size.
struct Encoder {
    jobs: SyncSender<Job>,
    chunks: Receiver<Chunks>,
    bytes: Arc<AtomicUsize>,
    handle: JoinHandle<()>,
}

impl Encoder {
    fn spawn(writers: Vec<(usize, ArrowColumnWriter)>) -> Self {
        let (jobs, rx) = sync_channel::<Job>(2);
        let (done, chunks) = sync_channel::<Chunks>(1);
        let bytes = Arc::new(AtomicUsize::new(0));
        let size = Arc::clone(&bytes);
        let handle = std::thread::spawn(move || encode(writers, rx, done, size));
        Encoder {
            jobs,
            chunks,
            bytes,
            handle,
        }
    }
}

fn encode(
    mut writers: Vec<(usize, ArrowColumnWriter)>,
    jobs: Receiver<Job>,
    done: SyncSender<Chunks>,
    bytes: Arc<AtomicUsize>,
) {
    let mut failed: Option<ParquetError> = None;
    for job in jobs {
        match job {
            Job::Write(leaves) => {
                if failed.is_some() {
                    continue;
                }
                for (index, leaf) in &leaves {
                    let writer = writers.iter_mut().find(|(i, _)| i == index);
                    if let Some((_, w)) = writer
                        && let Err(e) = w.write(leaf)
                    {
                        failed = Some(e);
                        break;
                    }
                }
                let size = writers
                    .iter()
                    .map(|(_, w)| w.get_estimated_total_bytes())
                    .sum();
                bytes.store(size, Ordering::Relaxed);
            }
            Job::Close(next) => {
                let closed = std::mem::replace(&mut writers, next);
                let result = match failed.take() {
                    Some(e) => Err(e),
                    None => closed
                        .into_iter()
                        .map(|(i, w)| w.close().map(|c| (i, c)))
                        .collect(),
                };
                bytes.store(0, Ordering::Relaxed);
                if done.send(result).is_err() {
                    return;
                }
            }
        }
    }
}

/// A Parquet file being written. Dropped without [`Sink::finish`], it
/// removes its temporary file and leaves the destination as it was.
pub struct ParquetSink {
    file: SerializedFileWriter<AtomicFile>,
    factory: ArrowRowGroupWriterFactory,
    encoders: Vec<Encoder>,
    /// For each column (schema order), the encoder that owns it.
    owner: Vec<usize>,
    schema: SchemaRef,
    path: PathBuf,
    columns: Vec<usize>,
    max_rows: usize,
    max_bytes: usize,
    group_rows: usize,
    row_groups: usize,
    rows: u64,
}

impl std::fmt::Debug for ParquetSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetSink")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .field("encoders", &self.encoders.len())
            .finish_non_exhaustive()
    }
}

impl ParquetSink {
    /// Creates the temporary file, the Parquet writer and its encoders.
    ///
    /// # Errors
    /// A config error for invalid options, an I/O error when the file
    /// cannot be created.
    pub fn create(config: &ParquetConfig, cx: &SinkContext) -> Result<Self> {
        let columns = config.column_indices()?;
        let path = cx.resolve(&config.path);
        // Statistics per column chunk, not per page: a row group of the
        // short columns is one or two pages, so a page index would repeat
        // the chunk's min and max, and the writer holds every page index in
        // memory until the file closes (3.4 MB of 9.8 at a million offers,
        // `examples/metadata_size.rs`). The offset index (where each page
        // starts) is still written, so readers can fetch single pages of
        // `raw`.
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(config.zstd_level()?))
            .set_statistics_enabled(EnabledStatistics::Chunk);
        // Long free text (descriptions, the raw payload) is unique per offer:
        // a dictionary never pays off there, and min/max statistics of
        // kilobyte-long strings cost a full comparison of every value while
        // no query filters on them. Unique ids lose the dictionary only:
        // their statistics are short and let readers skip row groups. Both
        // stay on for every other column.
        for &c in &columns {
            let column = &COLUMNS[c];
            if column.kind == ColumnKind::Json || LONG_TEXT.contains(&column.name) {
                let path = ColumnPath::from(column.name);
                props = props
                    .set_column_dictionary_enabled(path.clone(), false)
                    .set_column_statistics_enabled(path, EnabledStatistics::None);
            } else if UNIQUE_TEXT.contains(&column.name) {
                props = props.set_column_dictionary_enabled(ColumnPath::from(column.name), false);
            }
        }
        let schema = Arc::new(arrow_schema(&columns));
        let file = cx.create_file(&path)?;
        // ArrowWriter sets up the file exactly as usual (schema, Arrow
        // metadata), then hands over its lower-level writers.
        let (file, factory) = ArrowWriter::try_new(file, Arc::clone(&schema), Some(props.build()))
            .and_then(ArrowWriter::into_serialized_writer)
            .map_err(|e| parquet_error(&path, e))?;
        let owner = owners(&columns, encoder_threads());
        let mut sink = ParquetSink {
            file,
            factory,
            encoders: Vec::new(),
            owner,
            schema,
            path,
            columns,
            max_rows: config.max_row_group_rows,
            max_bytes: config.max_row_group_bytes,
            group_rows: 0,
            row_groups: 0,
            rows: 0,
        };
        let writers = sink.writers_by_encoder()?;
        sink.encoders = writers.into_iter().map(Encoder::spawn).collect();
        Ok(sink)
    }

    /// Fresh column writers for the next row group, grouped by encoder.
    fn writers_by_encoder(&self) -> Result<Vec<Vec<(usize, ArrowColumnWriter)>>> {
        let writers = self
            .factory
            .create_column_writers(self.row_groups)
            .map_err(|e| parquet_error(&self.path, e))?;
        let n = self.owner.iter().max().map_or(1, |m| m + 1);
        let mut grouped: Vec<Vec<_>> = (0..n).map(|_| Vec::new()).collect();
        for (i, w) in writers.into_iter().enumerate() {
            grouped[self.owner[i]].push((i, w));
        }
        Ok(grouped)
    }

    fn encoder_gone(&self) -> Error {
        Error::new(
            ErrorKind::Sink,
            format!(
                "could not write `{}`: a Parquet encoder thread stopped",
                self.path.display()
            ),
        )
    }

    /// Sends one batch's columns to their encoders.
    fn encode(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut jobs: Vec<Vec<(usize, ArrowLeafColumn)>> =
            self.encoders.iter().map(|_| Vec::new()).collect();
        for (i, (array, field)) in batch.columns().iter().zip(self.schema.fields()).enumerate() {
            for leaf in compute_leaves(field, array).map_err(|e| parquet_error(&self.path, e))? {
                jobs[self.owner[i]].push((i, leaf));
            }
        }
        for (encoder, job) in self.encoders.iter().zip(jobs) {
            encoder
                .jobs
                .send(Job::Write(job))
                .map_err(|_| self.encoder_gone())?;
        }
        self.group_rows += batch.num_rows();
        Ok(())
    }

    /// Closes the current row group and appends it to the file; with
    /// `next`, the encoders go on with fresh writers.
    fn close_row_group(&mut self, last: bool) -> Result<()> {
        let mut next = if last {
            (0..self.encoders.len()).map(|_| Vec::new()).collect()
        } else {
            self.writers_by_encoder()?
        };
        for (encoder, writers) in self.encoders.iter().zip(next.drain(..)) {
            encoder
                .jobs
                .send(Job::Close(writers))
                .map_err(|_| self.encoder_gone())?;
        }
        let mut chunks = Vec::with_capacity(self.owner.len());
        for encoder in &self.encoders {
            let got = encoder.chunks.recv().map_err(|_| self.encoder_gone())?;
            chunks.extend(got.map_err(|e| parquet_error(&self.path, e))?);
        }
        chunks.sort_by_key(|(i, _)| *i);
        let mut group = self
            .file
            .next_row_group()
            .map_err(|e| parquet_error(&self.path, e))?;
        for (_, chunk) in chunks {
            chunk
                .append_to_row_group(&mut group)
                .map_err(|e| parquet_error(&self.path, e))?;
        }
        group.close().map_err(|e| parquet_error(&self.path, e))?;
        self.row_groups += 1;
        self.group_rows = 0;
        Ok(())
    }

    fn group_bytes(&self) -> usize {
        self.encoders
            .iter()
            .map(|e| e.bytes.load(Ordering::Relaxed))
            .sum()
    }
}

/// How many encoder threads: the machine's cores, from one up to
/// [`MAX_ENCODERS`].
fn encoder_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, MAX_ENCODERS)
}

/// Shares `columns` out between `threads` encoder threads (at most one per
/// column): `raw` has a thread of its own, and the other columns are spread
/// over the remaining threads by weight, long texts first.
///
/// `raw` alone costs about as much as the other 62 columns together (1.1 s
/// and 1.3 s of CPU for 100,000 offers). When it shared a thread with 30
/// short columns, that thread was busy 2.0 s of a 2.5 s replay and the
/// other 1.3 s; alone, 1.5 s against 1.4 s.
fn owners(columns: &[usize], threads: usize) -> Vec<usize> {
    let threads = threads.clamp(1, columns.len().max(1));
    let is_raw = |c: usize| COLUMNS[c].kind == ColumnKind::Json;
    // A long text costs roughly as much as two dozen short columns (about
    // 0.3 s of CPU each for 100,000 offers, against 0.01 s).
    let weight = |c: usize| {
        if LONG_TEXT.contains(&COLUMNS[c].name) {
            24
        } else {
            1
        }
    };
    let alone = threads > 1 && columns.iter().any(|&c| is_raw(c));
    let first_shared = usize::from(alone);
    let mut owner = vec![0; columns.len()];
    // Greedy: heaviest columns first, each to the least loaded thread.
    let mut order: Vec<usize> = (0..columns.len())
        .filter(|&i| !(alone && is_raw(columns[i])))
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(weight(columns[i])));
    let mut load = vec![0usize; threads - first_shared];
    for i in order {
        let t = (0..load.len()).min_by_key(|&t| load[t]).unwrap_or(0);
        owner[i] = first_shared + t;
        load[t] += weight(columns[i]);
    }
    owner
}

fn parquet_error(path: &Path, err: ParquetError) -> Error {
    let (kind, fix) = match &err {
        ParquetError::External(_) => (
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

impl Sink for ParquetSink {
    fn write(&mut self, batch: &[JobRecord]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter()
            .map(|&c| column_array(c, batch))
            .collect();
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), arrays).map_err(|e| {
            Error::new(
                ErrorKind::Sink,
                format!("could not write `{}`: {e}", self.path.display()),
            )
            .with_source(e)
        })?;
        // Row groups end exactly at `max_row_group_rows`, splitting a batch
        // if needed (zero-copy slices), or once the encoded size reaches
        // `max_row_group_bytes`.
        let mut offset = 0;
        while offset < batch.num_rows() {
            let take = (self.max_rows - self.group_rows).min(batch.num_rows() - offset);
            self.encode(&batch.slice(offset, take))?;
            offset += take;
            if self.group_rows >= self.max_rows || self.group_bytes() >= self.max_bytes {
                self.close_row_group(false)?;
            }
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<SinkReport> {
        if self.group_rows > 0 {
            self.close_row_group(true)?;
        } else {
            // Retire the idle writers of a row group that never started
            // (an empty file has no row group at all, as ArrowWriter does).
            for encoder in &self.encoders {
                encoder
                    .jobs
                    .send(Job::Close(Vec::new()))
                    .map_err(|_| self.encoder_gone())?;
                encoder
                    .chunks
                    .recv()
                    .map_err(|_| self.encoder_gone())?
                    .map_err(|e| parquet_error(&self.path, e))?;
            }
        }
        let ParquetSink {
            file,
            encoders,
            path,
            rows,
            ..
        } = *self;
        for encoder in encoders {
            drop(encoder.jobs);
            let _ = encoder.handle.join();
        }
        // Writes the footer and flushes.
        let file = file.into_inner().map_err(|e| parquet_error(&path, e))?;
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
    use jobharvest_core::{column_index, select_columns};

    fn threads_of(columns: &[usize], owner: &[usize], name: &str) -> usize {
        let c = column_index(name).unwrap();
        owner[columns.iter().position(|&x| x == c).unwrap()]
    }

    #[test]
    fn raw_has_an_encoder_of_its_own() {
        let all = select_columns(None, true).unwrap();
        for threads in 2..=MAX_ENCODERS {
            let owner = owners(&all, threads);
            let raw = threads_of(&all, &owner, "raw");
            let sharing = owner.iter().filter(|&&t| t == raw).count();
            assert_eq!(sharing, 1, "{threads} threads: raw shares its thread");
            // Every thread has work, and the long texts are spread out.
            for t in 0..threads {
                assert!(owner.contains(&t), "{threads} threads: thread {t} idle");
            }
            if threads == MAX_ENCODERS {
                let long: Vec<usize> = LONG_TEXT
                    .iter()
                    .map(|n| threads_of(&all, &owner, n))
                    .collect();
                assert!(long.iter().all(|&t| t != raw));
                assert_ne!(long[0], long[1], "{long:?}");
                assert_ne!(long[1], long[2], "{long:?}");
            }
        }
    }

    #[test]
    fn one_thread_or_no_raw_shares_every_thread() {
        let all = select_columns(None, true).unwrap();
        assert!(owners(&all, 1).iter().all(|&t| t == 0));
        let without_raw = select_columns(None, false).unwrap();
        let owner = owners(&without_raw, 2);
        assert!(owner.contains(&0) && owner.contains(&1), "{owner:?}");
        // Never more threads than columns.
        let two = select_columns(Some(&["raw".into(), "title".into()]), true).unwrap();
        assert_eq!(owners(&two, 4), vec![0, 1]);
    }
}
