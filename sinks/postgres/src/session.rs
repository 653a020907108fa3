//! The connection and the run's transaction, async, on the sink's own
//! thread: connect and prepare the table, copy and merge each batch,
//! commit.

use std::pin::pin;

use jobharvest_core::merge::KEY_COLUMNS;
use jobharvest_core::{COLUMNS, Cell, ColumnKind, Error, ErrorKind, JobRecord, Result};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, NoTls, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::{PostgresConfig, describe};
use crate::schema::{
    copy_in, create_staging, create_table, merge, pg_type, qualified, staging_type,
};

/// An open connection inside the run's transaction.
pub(crate) struct Session {
    client: Client,
    /// `user@host:port/db`, for messages.
    server: String,
    table: String,
    columns: Vec<usize>,
    types: Vec<Type>,
    copy_sql: String,
    merge_sql: String,
    /// Columns the table was missing and got.
    pub(crate) added: Vec<&'static str>,
}

impl Session {
    /// Connects, begins the transaction, takes the table's lock and makes
    /// the table ready (created, grown, checked) with its view and the
    /// staging table. `tls` is the connector when the URL asks for TLS
    /// ([`PostgresConfig::tls`]), `None` for plaintext.
    pub(crate) async fn start(
        config: &PostgresConfig,
        tls: Option<MakeRustlsConnect>,
    ) -> Result<Self> {
        let pg = config.connection()?;
        let server = describe(&pg);
        let ca_file = config.ca_file.as_deref();
        let client = match tls {
            Some(tls) => connect(&pg, tls, &server, ca_file).await?,
            None => connect(&pg, NoTls, &server, ca_file).await?,
        };
        let table = qualified(&config.schema, &config.table);
        let columns = config.column_indices()?;
        let mut session = Session {
            client,
            server,
            types: columns
                .iter()
                .map(|&c| staging_type(COLUMNS[c].kind))
                .collect(),
            copy_sql: copy_in(&columns),
            merge_sql: merge(&table, &columns),
            table,
            columns,
            added: Vec::new(),
        };
        session.prepare(config).await?;
        Ok(session)
    }

    async fn prepare(&mut self, config: &PostgresConfig) -> Result<()> {
        let (schema, name) = (config.schema.as_str(), config.table.as_str());
        self.execute("BEGIN").await?;
        // One run per table at a time: a second one is refused at once
        // instead of waiting on row locks in the middle of its harvest.
        let lock_key = format!("jobharvest {schema}.{name}");
        let locked: bool = self
            .client
            .query_one(
                "SELECT pg_try_advisory_xact_lock(hashtext($1))",
                &[&lock_key],
            )
            .await
            .map_err(|e| self.error(&e))?
            .get(0);
        if !locked {
            return Err(Error::new(
                ErrorKind::Sink,
                format!(
                    "{}: another run is writing to {schema}.{name}; wait for it to finish",
                    self.server
                ),
            ));
        }
        let schema_exists = !self
            .client
            .query("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
            .await
            .map_err(|e| self.error(&e))?
            .is_empty();
        if !schema_exists {
            self.execute(&format!("CREATE SCHEMA \"{schema}\"")).await?;
        }
        let kind: Option<String> = self
            .client
            .query_opt(
                "SELECT table_type::text FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
                &[&schema, &name],
            )
            .await
            .map_err(|e| self.error(&e))?
            .map(|row| row.get(0));
        match kind.as_deref() {
            None => self.execute(&create_table(&self.table)).await?,
            Some("BASE TABLE") => self.grow(schema, name).await?,
            Some(other) => {
                return Err(self.incompatible(&format!(
                    "{schema}.{name} is a {}, not a table",
                    other.to_lowercase()
                )));
            }
        }
        let view = qualified(schema, &config.view());
        self.execute(&format!(
            "CREATE OR REPLACE VIEW {view} AS SELECT * FROM {} WHERE \"removed_at\" IS NULL",
            self.table
        ))
        .await?;
        self.execute(&create_staging(&self.columns)).await?;
        Ok(())
    }

    /// Checks an existing table and adds the columns it lacks.
    async fn grow(&mut self, schema: &str, name: &str) -> Result<()> {
        let key: Vec<String> = self
            .client
            .query(
                "SELECT a.attname::text FROM pg_index i \
                 JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                 WHERE i.indrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass AND i.indisprimary \
                 ORDER BY k.ord",
                &[&schema, &name],
            )
            .await
            .map_err(|e| self.error(&e))?
            .iter()
            .map(|row| row.get(0))
            .collect();
        if key != KEY_COLUMNS {
            return Err(self.incompatible(&format!(
                "its primary key is ({}), the sink needs (source, source_id)",
                key.join(", ")
            )));
        }
        let existing: Vec<(String, String)> = self
            .client
            .query(
                "SELECT column_name::text, udt_name::text FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
                &[&schema, &name],
            )
            .await
            .map_err(|e| self.error(&e))?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        for column in COLUMNS {
            let (ddl, udt) = pg_type(column.kind);
            match existing.iter().find(|(n, _)| n == column.name) {
                Some((_, have)) if have != udt => {
                    return Err(self.incompatible(&format!(
                        "its column `{}` is {have}, the sink writes {ddl}",
                        column.name
                    )));
                }
                Some(_) => {}
                None => {
                    self.execute(&format!(
                        "ALTER TABLE {} ADD COLUMN \"{}\" {ddl}",
                        self.table, column.name
                    ))
                    .await?;
                    self.added.push(column.name);
                }
            }
        }
        Ok(())
    }

    /// Copies `batch` into the staging table, then merges it into the
    /// table.
    pub(crate) async fn write(&mut self, batch: &[JobRecord]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let sink = self
            .client
            .copy_in(&self.copy_sql)
            .await
            .map_err(|e| self.error(&e))?;
        let mut writer = pin!(BinaryCopyInWriter::new(sink, &self.types));
        let mut row: Vec<PgCell<'_>> = Vec::with_capacity(self.columns.len());
        for record in batch {
            row.clear();
            row.extend(self.columns.iter().map(|&c| PgCell(record.cell(c))));
            let params: Vec<&(dyn ToSql + Sync)> =
                row.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
            writer
                .as_mut()
                .write(&params)
                .await
                .map_err(|e| self.error(&e))?;
        }
        writer.finish().await.map_err(|e| self.error(&e))?;
        self.execute(&self.merge_sql.clone()).await
    }

    /// Commits the run.
    pub(crate) async fn commit(self) -> Result<()> {
        self.execute("COMMIT").await
    }

    /// Rolls the run back (also what the server does when the connection
    /// drops).
    pub(crate) async fn rollback(self) {
        let _ = self.client.batch_execute("ROLLBACK").await;
    }

    async fn execute(&self, sql: &str) -> Result<()> {
        self.client
            .batch_execute(sql)
            .await
            .map_err(|e| self.error(&e))
    }

    fn error(&self, err: &tokio_postgres::Error) -> Error {
        query_error(&self.server, &self.table, err)
    }

    fn incompatible(&self, why: &str) -> Error {
        Error::new(
            ErrorKind::Sink,
            format!(
                "{}: the table {} cannot hold the offers: {why}; give another `table` name, or rename or drop that table",
                self.server, self.table
            ),
        )
    }
}

/// Connects with `tls` (rustls or none) and drives the connection on the
/// runtime.
async fn connect<T>(
    pg: &tokio_postgres::Config,
    tls: T,
    server: &str,
    ca_file: Option<&std::path::Path>,
) -> Result<Client>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let (client, connection) = pg
        .connect(tls)
        .await
        .map_err(|e| connect_error(server, &e, ca_file))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "The PostgreSQL connection closed.");
        }
    });
    Ok(client)
}

/// An error while connecting: the server unreachable (temporary), the
/// credentials or the database refused, the TLS handshake failed
/// (permanent). Built from the server's message and the redacted URL,
/// never from the URL itself.
pub(crate) fn connect_error(
    server: &str,
    err: &tokio_postgres::Error,
    ca_file: Option<&std::path::Path>,
) -> Error {
    if let Some(db) = err.as_db_error() {
        let code = db.code();
        let (kind, fix) = if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            (
                ErrorKind::Auth,
                "check the user and password in the sink's `url` (DATABASE_URL)",
            )
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            (
                ErrorKind::Sink,
                "create the database (`createdb NAME`) or fix its name in the `url`",
            )
        } else {
            (ErrorKind::Sink, "check the sink's `url`")
        };
        return Error::new(
            kind,
            format!(
                "PostgreSQL at {server} refused the connection: {}; {fix}",
                db.message()
            ),
        );
    }
    if let Some(tls) = crate::tls::handshake_error(server, err, ca_file) {
        return tls;
    }
    // The cause (connection refused, timed out, ...) is one level down.
    let cause = std::error::Error::source(err)
        .map(|c| format!(": {c}"))
        .unwrap_or_default();
    Error::new(
        ErrorKind::Network,
        format!(
            "could not connect to PostgreSQL at {server}: {err}{cause}; check that the server is running and that the sink's `url` (DATABASE_URL) points to it"
        ),
    )
}

fn query_error(server: &str, table: &str, err: &tokio_postgres::Error) -> Error {
    match err.as_db_error() {
        Some(db) => {
            let detail = db.detail().map(|d| format!(" ({d})")).unwrap_or_default();
            Error::new(
                ErrorKind::Sink,
                format!("{server}, table {table}: {}{detail}", db.message()),
            )
        }
        None if err.is_closed() => Error::new(
            ErrorKind::Network,
            format!(
                "{server}: the connection to PostgreSQL closed: {err}; nothing of this run was committed"
            ),
        ),
        None => Error::new(ErrorKind::Sink, format!("{server}, table {table}: {err}")),
    }
}

/// One cell as a `COPY` value of its staging column's type.
#[derive(Debug)]
struct PgCell<'a>(Cell<'a>);

impl ToSql for PgCell<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Cell::Null => Ok(IsNull::Yes),
            Cell::Text(s) => s.to_sql(ty, out),
            Cell::Float(f) => f.to_sql(ty, out),
            Cell::Int(i) => i.to_sql(ty, out),
            Cell::Bool(b) => b.to_sql(ty, out),
            Cell::Timestamp(t) => t.to_sql(ty, out),
            Cell::List(items) => items.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [
            ColumnKind::Text,
            ColumnKind::Float,
            ColumnKind::Int,
            ColumnKind::Bool,
            ColumnKind::Timestamp,
            ColumnKind::TextList,
        ]
        .iter()
        .any(|&k| staging_type(k) == *ty)
    }

    to_sql_checked!();
}
