//! The `parquet` sink: one Arrow record batch per `write`, encoded by
//! parquet's `ArrowWriter` into an [`AtomicFile`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use jobharvest_core::{
    AtomicFile, COLUMNS, Error, ErrorKind, JobRecord, Result, Sink, SinkContext, SinkReport,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use crate::config::ParquetConfig;
use crate::schema::{ColumnBuilder, arrow_schema};

/// A Parquet file being written. Dropped without [`Sink::finish`], it
/// removes its temporary file and leaves the destination as it was.
pub struct ParquetSink {
    writer: ArrowWriter<AtomicFile>,
    schema: SchemaRef,
    path: PathBuf,
    columns: Vec<usize>,
    builders: Vec<ColumnBuilder>,
    rows: u64,
}

impl std::fmt::Debug for ParquetSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetSink")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl ParquetSink {
    /// Creates the temporary file and the Parquet writer.
    ///
    /// # Errors
    /// A config error for invalid options, an I/O error when the file
    /// cannot be created.
    pub fn create(config: &ParquetConfig, cx: &SinkContext) -> Result<Self> {
        let columns = config.column_indices()?;
        let path = cx.resolve(&config.path);
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(config.zstd_level()?))
            // The writer closes a row group at whichever limit comes first,
            // splitting a batch if needed: memory stays bounded whatever the
            // batch size.
            .set_max_row_group_row_count(Some(config.max_row_group_rows))
            .set_max_row_group_bytes(Some(config.max_row_group_bytes))
            .build();
        let schema = Arc::new(arrow_schema(&columns));
        let file = AtomicFile::create(&path)?;
        let writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(props))
            .map_err(|e| parquet_error(&path, e))?;
        let builders = columns
            .iter()
            .map(|&c| ColumnBuilder::new(&COLUMNS[c]))
            .collect();
        Ok(ParquetSink {
            writer,
            schema,
            path,
            columns,
            builders,
            rows: 0,
        })
    }
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
        for record in batch {
            for (builder, &c) in self.builders.iter_mut().zip(&self.columns) {
                builder.append(record.cell(c));
            }
        }
        let arrays = self
            .builders
            .iter_mut()
            .map(ColumnBuilder::finish)
            .collect();
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), arrays).map_err(|e| {
            Error::new(
                ErrorKind::Sink,
                format!("could not write `{}`: {e}", self.path.display()),
            )
            .with_source(e)
        })?;
        self.writer
            .write(&batch)
            .map_err(|e| parquet_error(&self.path, e))?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<SinkReport> {
        let ParquetSink {
            writer, path, rows, ..
        } = *self;
        // Writes the last row group and the footer, flushes the buffer.
        let file = writer.into_inner().map_err(|e| parquet_error(&path, e))?;
        let bytes = file.commit()?;
        Ok(SinkReport {
            rows,
            bytes: Some(bytes),
            warnings: Vec::new(),
        })
    }
}
