//! The `postgres` sink's options.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use jobharvest_core::merge::is_plain_identifier;
use jobharvest_core::{Error, Result, Secret, SinkConfig, SinkContext, select_columns};
use serde::Deserialize;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::writer::PostgresSink;

/// Options of the `postgres` sink.
///
/// ```yaml
/// sinks:
///   - type: postgres
///     url: ${DATABASE_URL}
///     table: offers
/// ```
///
/// TLS follows the URL's `sslmode` (see the crate's README): `require`,
/// `verify-ca` and `verify-full` encrypt and verify the server, anything
/// else connects in plaintext.
///
/// `Debug` shows the URL as `***`: it usually holds a password.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PostgresConfig {
    /// The connection URL, `postgresql://USER:PASSWORD@HOST:PORT/DATABASE`
    /// (or libpq's `key=value` form); best given as `${DATABASE_URL}`.
    pub url: Secret,
    /// The table the offers go to; the view of open offers is `open_<table>`.
    #[serde(default = "default_table")]
    pub table: String,
    /// The schema of the table and the view (created when missing).
    #[serde(default = "default_schema")]
    pub schema: String,
    /// Whether to write the `raw` JSON column (default true).
    #[serde(default = "default_include_raw")]
    pub include_raw: bool,
    /// How long to wait for the server to accept the connection.
    #[serde(default = "default_connect_timeout_secs")]
    pub connect_timeout_secs: u64,
    /// A PEM file of CA certificates to trust instead of the system's
    /// (libpq's `sslrootcert`), for a private CA such as Amazon RDS's or a
    /// self-signed server; only with an `sslmode` that asks for TLS. A
    /// relative path is from the spec's directory.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_table() -> String {
    "offers".into()
}

fn default_schema() -> String {
    "public".into()
}

fn default_include_raw() -> bool {
    true
}

fn default_connect_timeout_secs() -> u64 {
    10
}

impl PostgresConfig {
    /// The columns to write, as indices into [`jobharvest_core::COLUMNS`].
    ///
    /// # Errors
    /// Never for the defaults; kept fallible like the other sinks'.
    pub fn column_indices(&self) -> Result<Vec<usize>> {
        select_columns(None, self.include_raw)
    }

    /// The view of open offers.
    pub fn view(&self) -> String {
        format!("open_{}", self.table)
    }

    /// The parsed connection settings, with the connect timeout and the
    /// application name set.
    ///
    /// # Errors
    /// A config error when the URL is empty or not a PostgreSQL URL. The
    /// message never repeats the URL (it may hold a password).
    pub fn connection(&self) -> Result<tokio_postgres::Config> {
        if self.url.is_empty() {
            return Err(Error::config(
                "url: empty; set it to a PostgreSQL URL such as postgresql://USER:PASSWORD@HOST:5432/DATABASE, best through ${DATABASE_URL}",
            )
            .with_context("key", "url"));
        }
        let url = crate::tls::prepare_url(self.url.expose())?;
        let mut config = tokio_postgres::Config::from_str(&url).map_err(|_| {
            Error::config(
                "url: not a PostgreSQL connection URL; use postgresql://USER:PASSWORD@HOST:5432/DATABASE (special characters in the password percent-encoded)",
            )
            .with_context("key", "url")
        })?;
        if let Some(password) = config.get_password() {
            // The URL is a Secret (registered whole); its password alone can
            // come back in a server's message too.
            jobharvest_core::secret::register(&String::from_utf8_lossy(password));
        }
        if config.get_hosts().is_empty() {
            return Err(Error::config(
                "url: names no host; use postgresql://USER:PASSWORD@HOST:5432/DATABASE",
            )
            .with_context("key", "url"));
        }
        config
            .connect_timeout(Duration::from_secs(self.connect_timeout_secs))
            .application_name("jobharvest");
        Ok(config)
    }

    /// Whether the connection `pg` (from [`Self::connection`]) is
    /// encrypted: its `sslmode` is `require`, `verify-ca` or `verify-full`.
    fn encrypts(pg: &tokio_postgres::Config) -> bool {
        !matches!(pg.get_ssl_mode(), SslMode::Disable | SslMode::Prefer)
    }

    /// Refuses a `ca_file` the connection would not use: a user who gives
    /// one expects TLS, and plaintext would be a silent downgrade.
    fn check_ca_file(&self, pg: &tokio_postgres::Config) -> Result<()> {
        if self.ca_file.is_some() && !Self::encrypts(pg) {
            return Err(Error::config(
                "ca_file: set, but the url does not ask for TLS (its sslmode is absent, disable or prefer), so the connection would not be encrypted; add `?sslmode=verify-full` to the url (or `sslmode=verify-full` in the key=value form), or remove `ca_file`",
            )
            .with_context("key", "ca_file"));
        }
        Ok(())
    }

    /// The TLS connector when `pg` asks for TLS, `None` for plaintext.
    /// Reads `ca_file` (relative to the current directory here; the
    /// spec's sinks have it resolved against the spec's directory).
    pub(crate) fn tls(&self, pg: &tokio_postgres::Config) -> Result<Option<MakeRustlsConnect>> {
        self.check_ca_file(pg)?;
        if !Self::encrypts(pg) {
            return Ok(None);
        }
        crate::tls::connector(self.ca_file.as_deref()).map(Some)
    }
}

/// `user@host:port/database`, without the password: what messages and the
/// summary show of a connection.
pub(crate) fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            };
            let port = config
                .get_ports()
                .get(i)
                .or(config.get_ports().first())
                .copied()
                .unwrap_or(5432);
            format!("{host}:{port}")
        })
        .collect();
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or("");
    format!("postgresql://{user}{}/{db}", hosts.join(","))
}

impl SinkConfig for PostgresConfig {
    const TYPE: &'static str = crate::TYPE;
    const DESCRIPTION: &'static str = "PostgreSQL table (bulk COPY then upsert by source and source_id, a view of open offers, one transaction per run)";
    const EXTENSIONS: &'static [&'static str] = &[];

    fn target(&self) -> String {
        let at = self
            .connection()
            .map(|c| describe(&c))
            .unwrap_or_else(|_| "postgresql://***".into());
        format!("{at} {}.{}", self.schema, self.table)
    }

    fn writes_raw(&self) -> bool {
        self.include_raw
    }

    fn validate(&self) -> Result<()> {
        self.check_ca_file(&self.connection()?)?;
        for (key, name) in [("table", &self.table), ("schema", &self.schema)] {
            if !is_plain_identifier(name) || name.starts_with("pg_") {
                return Err(Error::config(format!(
                    "{key}: `{name}` is not a plain name; use letters, digits and `_` (not starting with a digit or `pg_`), such as `offers`"
                ))
                .with_context("key", key));
            }
        }
        if self.connect_timeout_secs == 0 {
            return Err(Error::config(
                "connect_timeout_secs: 0 would give up at once; use a few seconds, such as 10 (the default)",
            ));
        }
        self.column_indices()?;
        Ok(())
    }

    fn open(mut self, cx: &SinkContext) -> Result<Box<dyn jobharvest_core::Sink>> {
        self.ca_file = self.ca_file.map(|path| cx.resolve(&path));
        Ok(Box::new(PostgresSink::open(&self)?))
    }
}
