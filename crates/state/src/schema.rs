//! Opening a state file: checks first, then versioned migrations.
//!
//! The schema version lives in SQLite's `user_version` and the file is
//! marked as ours with `application_id`. `rusqlite_migration` does the same,
//! but its releases still build on rusqlite 0.40 while the workspace uses
//! 0.42, so the few lines are here.
//!
//! Nothing is ever reset: a file that is not a database, fails
//! `PRAGMA quick_check`, belongs to another program, comes from a newer
//! jobharvest or misses a table is refused with an error that says so, and
//! is left as it was.

use std::path::Path;
use std::time::Duration;

use jobharvest_core::{Error, ErrorKind, Result};
use rusqlite::{Connection, ErrorCode, OpenFlags};

/// `JBHV`: marks a SQLite file as a jobharvest state.
pub(crate) const APPLICATION_ID: i32 = 0x4a42_4856;

/// The migrations, in order; migration `i` brings the file to version `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // Version 1.
    "
    CREATE TABLE offers (
        source        TEXT NOT NULL,
        source_id     TEXT NOT NULL,
        source_name   TEXT NOT NULL,
        content_hash  BLOB NOT NULL,
        first_seen_at TEXT NOT NULL,
        last_seen_at  TEXT NOT NULL,
        updated_at    TEXT,
        removed_at    TEXT,
        record        BLOB NOT NULL,
        PRIMARY KEY (source, source_id)
    );
    CREATE INDEX offers_by_source_name ON offers (source_name, removed_at);
    CREATE TABLE cursors (
        source_name          TEXT PRIMARY KEY,
        newest_updated_at    TEXT,
        newest_created_at    TEXT,
        last_complete_run_id INTEGER,
        last_complete_run_at TEXT
    );
    CREATE TABLE budgets (
        source    TEXT NOT NULL,
        window    TEXT NOT NULL,
        used      INTEGER NOT NULL,
        resets_at TEXT,
        PRIMARY KEY (source, window)
    );
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        job         TEXT NOT NULL,
        mode        TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL,
        error       TEXT
    );
    CREATE TABLE run_sources (
        run_id      INTEGER NOT NULL REFERENCES runs (id),
        source_name TEXT NOT NULL,
        new         INTEGER NOT NULL,
        updated     INTEGER NOT NULL,
        unchanged   INTEGER NOT NULL,
        removed     INTEGER NOT NULL,
        PRIMARY KEY (run_id, source_name)
    );
    CREATE TABLE staged (
        run_id        INTEGER NOT NULL,
        source        TEXT NOT NULL,
        source_id     TEXT NOT NULL,
        source_name   TEXT NOT NULL,
        change        TEXT,
        content_hash  BLOB,
        first_seen_at TEXT NOT NULL,
        last_seen_at  TEXT,
        updated_at    TEXT,
        removed_at    TEXT,
        record        BLOB,
        PRIMARY KEY (run_id, source, source_id)
    );
    ",
];

/// The tables every current state has.
const TABLES: &[&str] = &[
    "offers",
    "cursors",
    "budgets",
    "runs",
    "run_sources",
    "staged",
];

/// The schema version this build writes and reads.
pub fn latest_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// Opens `path` (creating it when `create`), checks it and migrates it.
pub(crate) fn open(path: &Path, create: bool) -> Result<Connection> {
    if !create && !path.exists() {
        return Err(Error::config(format!(
            "no state at `{}`: a run with `mode: incremental` or `mode: mirror` creates it",
            path.display()
        )));
    }
    if let Some(dir) = path
        .parent()
        .filter(|d| create && !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create the state's folder", dir, e))?;
    }
    let conn = connect(path, create)?;
    check(&conn, path, MIGRATIONS)?;
    conn.pragma_update(None, "journal_mode", "wal")
        .map_err(|e| db_error(path, "switch to WAL mode", e))?;
    migrate(&conn, path, MIGRATIONS)?;
    check_tables(&conn, path)?;
    Ok(conn)
}

/// A connection with the settings every handle uses, no checks.
pub(crate) fn connect(path: &Path, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| db_error(path, "open the state", e))?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(|e| db_error(path, "configure the state", e))?;
    conn.pragma_update(None, "synchronous", "normal")
        .map_err(|e| db_error(path, "configure the state", e))?;
    Ok(conn)
}

/// Refuses files that are not (or no longer) a state this build can read.
fn check(conn: &Connection, path: &Path, migrations: &[&str]) -> Result<()> {
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| db_error(path, "read the state", e))?;
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| db_error(path, "read the state", e))?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| db_error(path, "read the state", e))?;
    let fresh = app == 0 && version == 0 && tables == 0;
    if !fresh && app != APPLICATION_ID {
        return Err(Error::new(
            ErrorKind::Io,
            format!(
                "`{}` is a SQLite database but not a jobharvest state; point `state:` at another file (it was left untouched)",
                path.display()
            ),
        ));
    }
    let latest = migrations.len() as u32;
    if version > latest {
        return Err(Error::new(
            ErrorKind::Io,
            format!(
                "the state `{}` was written by a newer jobharvest (state version {version}; this jobharvest reads up to version {latest}); upgrade jobharvest (the file was left untouched)",
                path.display()
            ),
        ));
    }
    let verdict: Vec<String> = {
        let mut stmt = conn
            .prepare("PRAGMA quick_check")
            .map_err(|e| db_error(path, "check the state", e))?;
        stmt.query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| db_error(path, "check the state", e))?
    };
    if verdict != ["ok"] {
        return Err(corrupt(path, &verdict.join("; ")));
    }
    Ok(())
}

/// Applies the migrations `path` lacks, each in its own transaction.
pub(crate) fn migrate(conn: &Connection, path: &Path, migrations: &[&str]) -> Result<()> {
    let from: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| db_error(path, "read the state", e))?;
    for (i, sql) in migrations.iter().enumerate().skip(from as usize) {
        let to = i as u32 + 1;
        let script = format!(
            "BEGIN IMMEDIATE;\n{sql};\nPRAGMA application_id = {APPLICATION_ID};\nPRAGMA user_version = {to};\nCOMMIT;"
        );
        if let Err(e) = conn.execute_batch(&script) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(db_error(
                path,
                &format!("upgrade the state to version {to}"),
                e,
            ));
        }
        tracing::info!(path = %path.display(), version = to, "Upgraded the state.");
    }
    Ok(())
}

/// Refuses a state whose tables were dropped by hand.
fn check_tables(conn: &Connection, path: &Path) -> Result<()> {
    for table in TABLES {
        let found: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .map_err(|e| db_error(path, "read the state", e))?;
        if found == 0 {
            return Err(corrupt(path, &format!("the table `{table}` is missing")));
        }
    }
    Ok(())
}

fn corrupt(path: &Path, detail: &str) -> Error {
    Error::new(
        ErrorKind::Io,
        format!(
            "the state `{}` is damaged ({detail}); it was left untouched: restore it from a backup, or move it away to start a new state (the next run then sees every offer as new)",
            path.display()
        ),
    )
}

/// Maps a SQLite error to a message that names the file and what to do.
pub(crate) fn db_error(path: &Path, action: &str, err: rusqlite::Error) -> Error {
    let code = err.sqlite_error_code();
    let message = match code {
        Some(ErrorCode::NotADatabase) => {
            return Error::new(
                ErrorKind::Io,
                format!(
                    "`{}` is not a jobharvest state (not a SQLite database); point `state:` at another file, or move this one away (it was left untouched)",
                    path.display()
                ),
            )
            .with_source(err);
        }
        Some(ErrorCode::DatabaseCorrupt) => {
            return corrupt(path, &err.to_string()).with_source(err);
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => format!(
            "could not {action} `{}`: another process kept it busy for 30 s ({err})",
            path.display()
        ),
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied | ErrorCode::ReadOnly) => {
            format!(
                "could not {action} `{}`: {err}; check that the folder exists and is writable",
                path.display()
            )
        }
        _ => format!("could not {action} `{}`: {err}", path.display()),
    };
    Error::new(ErrorKind::Io, message).with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_an_older_state_forward_and_only_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let conn = connect(&path, true).unwrap();
        let v2 = "CREATE TABLE notes (text TEXT)";
        migrate(&conn, &path, &MIGRATIONS[..1]).unwrap();
        conn.execute("INSERT INTO budgets VALUES ('adzuna', 'day', 3, NULL)", [])
            .unwrap();
        let two = [MIGRATIONS[0], v2];
        check(&conn, &path, &two).unwrap();
        migrate(&conn, &path, &two).unwrap();
        migrate(&conn, &path, &two).unwrap();
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 2);
        let used: i64 = conn
            .query_row("SELECT used FROM budgets", [], |r| r.get(0))
            .unwrap();
        assert_eq!(used, 3, "data survives a migration");
        // Version 2 is newer than this build (version 1): refused.
        let err = check(&conn, &path, MIGRATIONS).unwrap_err().to_string();
        assert!(err.contains("state version 2"), "{err}");
    }

    #[test]
    fn a_failed_migration_leaves_the_version_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let conn = connect(&path, true).unwrap();
        migrate(&conn, &path, &MIGRATIONS[..1]).unwrap();
        let broken = [MIGRATIONS[0], "CREATE TABLE t (x); SELECT * FROM nope"];
        let err = migrate(&conn, &path, &broken).unwrap_err().to_string();
        assert!(err.contains("upgrade the state to version 2"), "{err}");
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1);
        let t: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 't'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(t, 0, "the half-applied migration was rolled back");
    }
}
