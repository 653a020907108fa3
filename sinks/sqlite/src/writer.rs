//! The `sqlite` sink: one prepared upsert, run for every record, inside the
//! run's transaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jobharvest_core::merge::{KEY_COLUMNS, on_conflict_set};
use jobharvest_core::{
    COLUMNS, Cell, Error, ErrorKind, JobRecord, Result, Sink, SinkContext, SinkReport,
};
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

use crate::config::SqliteConfig;
use crate::schema::{db_error, ensure};

/// The text form of timestamps: ISO-8601, UTC, always six fraction digits,
/// so that comparing texts compares instants.
pub(crate) const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// A run's writes to a SQLite table. Dropped without [`Sink::finish`], the
/// transaction rolls back and the database stays as it was.
pub struct SqliteSink {
    conn: Connection,
    path: PathBuf,
    table: String,
    columns: Vec<usize>,
    upsert: String,
    rows: u64,
    warnings: Vec<String>,
}

impl std::fmt::Debug for SqliteSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteSink")
            .field("path", &self.path)
            .field("table", &self.table)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl SqliteSink {
    /// Opens (or creates) the database, begins the run's transaction and
    /// makes the table ready: created when missing, grown when it lacks
    /// columns.
    ///
    /// # Errors
    /// An I/O error when the folder cannot be created, a sink error when
    /// the file is not a database, is locked by another writer, or holds an
    /// incompatible table of that name.
    pub fn open(config: &SqliteConfig, cx: &SinkContext) -> Result<Self> {
        let path = cx.resolve(&config.path);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create the directory", dir, e))?;
        }
        if path.is_dir() {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "the database path `{}` is a directory; give a file name such as `{}/offres.sqlite`",
                    path.display(),
                    path.display()
                ),
            ));
        }
        let table = config.table.clone();
        let at = |e: Error| e.prefixed(format!("`{}`", path.display()));
        let conn = Connection::open(&path).map_err(|e| at(db_error(&table, e)))?;
        conn.busy_timeout(Duration::from_secs(config.busy_timeout_secs))
            .map_err(|e| at(db_error(&table, e)))?;
        // IMMEDIATE takes the write lock now: a second writer waits (up to
        // the busy timeout) or fails here, before anything is fetched.
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| at(db_error(&table, e)))?;
        let added = ensure(&conn, &table, &config.view()).map_err(at)?;
        let warnings = if added.is_empty() {
            Vec::new()
        } else {
            vec![format!(
                "table `{table}`: added the columns {}",
                added.join(", ")
            )]
        };
        let columns = config.column_indices()?;
        let upsert = upsert_sql(&table, &columns);
        // Compiled once, here, so a bad statement fails before the harvest;
        // `write` takes it from the connection's statement cache.
        conn.prepare_cached(&upsert)
            .map_err(|e| at(db_error(&table, e)))?;
        Ok(SqliteSink {
            conn,
            path,
            table,
            columns,
            upsert,
            rows: 0,
            warnings,
        })
    }

    fn error(&self, err: rusqlite::Error) -> Error {
        db_error(&self.table, err).prefixed(format!("`{}`", self.path.display()))
    }
}

/// `INSERT INTO "table" AS t (...) VALUES (?1, ...) ON CONFLICT DO UPDATE`.
fn upsert_sql(table: &str, columns: &[usize]) -> String {
    let names: Vec<String> = columns
        .iter()
        .map(|&c| format!("\"{}\"", COLUMNS[c].name))
        .collect();
    let params: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let key: Vec<String> = KEY_COLUMNS.iter().map(|k| format!("\"{k}\"")).collect();
    format!(
        "INSERT INTO \"{table}\" AS t ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
        names.join(", "),
        params.join(", "),
        key.join(", "),
        on_conflict_set(columns)
    )
}

/// The SQLite value of `cell`; see [`crate::sql_type`].
fn to_sql(cell: Cell<'_>) -> ToSqlOutput<'_> {
    match cell {
        Cell::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        Cell::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        Cell::Float(f) => ToSqlOutput::Owned(Value::Real(f)),
        Cell::Int(i) => ToSqlOutput::Owned(Value::Integer(i)),
        Cell::Bool(b) => ToSqlOutput::Owned(Value::Integer(i64::from(b))),
        Cell::Timestamp(t) => {
            ToSqlOutput::Owned(Value::Text(t.format(TIMESTAMP_FORMAT).to_string()))
        }
        Cell::List(items) => ToSqlOutput::Owned(Value::Text(
            serde_json::to_string(items).unwrap_or_else(|_| "[]".into()),
        )),
    }
}

impl Sink for SqliteSink {
    fn write(&mut self, batch: &[JobRecord]) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached(&self.upsert)
            .map_err(|e| db_error(&self.table, e))?;
        for record in batch {
            for (i, &c) in self.columns.iter().enumerate() {
                stmt.raw_bind_parameter(i + 1, to_sql(record.cell(c)))
                    .map_err(|e| db_error(&self.table, e))?;
            }
            stmt.raw_execute().map_err(|e| db_error(&self.table, e))?;
        }
        drop(stmt);
        self.rows += batch.len() as u64;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<SinkReport> {
        self.conn
            .execute_batch("COMMIT")
            .map_err(|e| self.error(e))?;
        let SqliteSink {
            conn,
            path,
            table,
            rows,
            warnings,
            ..
        } = *self;
        conn.close().map_err(|(_, e)| db_error(&table, e))?;
        Ok(SinkReport {
            rows,
            bytes: file_size(&path),
            warnings,
        })
    }
}

fn file_size(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}
