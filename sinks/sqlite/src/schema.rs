//! The table's layout: SQLite types of the columns, creation, growth
//! (columns added when the record grows) and the compatibility check.

use jobharvest_core::merge::{KEY_COLUMNS, create_table};
use jobharvest_core::{COLUMNS, ColumnKind, Error, ErrorKind, Result};
use rusqlite::Connection;

/// The SQLite type of a column kind: lists and JSON are JSON text,
/// timestamps ISO-8601 UTC text (`2024-07-08T10:35:59.445000Z`, fixed
/// width so that text order is time order), booleans 0 or 1.
pub fn sql_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Text | ColumnKind::Json | ColumnKind::TextList | ColumnKind::Timestamp => {
            "TEXT"
        }
        ColumnKind::Float => "REAL",
        ColumnKind::Int | ColumnKind::Bool => "INTEGER",
    }
}

/// A column as the database describes it.
struct Existing {
    name: String,
    declared: String,
    pk: i64,
}

/// Makes `table` ready to receive every column: creates it (and the view
/// `view`) when missing, adds the columns it lacks. Returns the names of the
/// columns added.
///
/// # Errors
/// A sink error when `table` is a view, is not keyed by
/// `(source, source_id)`, or has a column of another type than the sink
/// writes; a database error otherwise.
pub(crate) fn ensure(conn: &Connection, table: &str, view: &str) -> Result<Vec<&'static str>> {
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE",
            [table],
            |row| row.get(0),
        )
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(|e| db_error(table, e))?;
    let mut added = Vec::new();
    match kind.as_deref() {
        None => create(conn, table)?,
        Some("table") => {
            let existing = describe(conn, table)?;
            check(table, &existing)?;
            for column in COLUMNS {
                if !existing
                    .iter()
                    .any(|e| e.name.eq_ignore_ascii_case(column.name))
                {
                    let sql = format!(
                        "ALTER TABLE \"{table}\" ADD COLUMN \"{}\" {}",
                        column.name,
                        sql_type(column.kind)
                    );
                    conn.execute_batch(&sql).map_err(|e| db_error(table, e))?;
                    added.push(column.name);
                }
            }
        }
        Some(other) => {
            return Err(incompatible(
                table,
                &format!("`{table}` is a {other}, not a table"),
            ));
        }
    }
    // SQLite expands `*` each time the view is read, so the view follows
    // the columns added later.
    conn.execute_batch(&format!(
        "CREATE VIEW IF NOT EXISTS \"{view}\" AS SELECT * FROM \"{table}\" WHERE \"removed_at\" IS NULL"
    ))
    .map_err(|e| db_error(table, e))?;
    Ok(added)
}

fn create(conn: &Connection, table: &str) -> Result<()> {
    let sql = create_table(&format!("\"{table}\""), sql_type);
    conn.execute_batch(&sql).map_err(|e| db_error(table, e))
}

fn describe(conn: &Connection, table: &str) -> Result<Vec<Existing>> {
    let mut stmt = conn
        .prepare("SELECT name, type, pk FROM pragma_table_info(?1)")
        .map_err(|e| db_error(table, e))?;
    stmt.query_map([table], |row| {
        Ok(Existing {
            name: row.get(0)?,
            declared: row.get(1)?,
            pk: row.get(2)?,
        })
    })
    .and_then(Iterator::collect)
    .map_err(|e| db_error(table, e))
}

/// Refuses a table that cannot hold the records as this sink writes them.
fn check(table: &str, existing: &[Existing]) -> Result<()> {
    let mut key: Vec<(i64, String)> = existing
        .iter()
        .filter(|e| e.pk > 0)
        .map(|e| (e.pk, e.name.to_ascii_lowercase()))
        .collect();
    key.sort();
    let key: Vec<&str> = key.iter().map(|(_, n)| n.as_str()).collect();
    if key != KEY_COLUMNS {
        return Err(incompatible(
            table,
            &format!(
                "its primary key is ({}), the sink needs (source, source_id)",
                key.join(", ")
            ),
        ));
    }
    for column in COLUMNS {
        let want = sql_type(column.kind);
        if let Some(e) = existing
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(column.name))
            && !e.declared.eq_ignore_ascii_case(want)
        {
            return Err(incompatible(
                table,
                &format!(
                    "its column `{}` is {}, the sink writes {want}",
                    column.name,
                    if e.declared.is_empty() {
                        "untyped"
                    } else {
                        &e.declared
                    }
                ),
            ));
        }
    }
    Ok(())
}

fn incompatible(table: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::Sink,
        format!(
            "the table `{table}` cannot hold the offers: {why}; give another `table` name, or rename or drop that table"
        ),
    )
}

/// A database error on `table`, with a fix for the common causes.
pub(crate) fn db_error(table: &str, err: rusqlite::Error) -> Error {
    let fix = match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            "; the file is not a SQLite database: give another `path`"
        }
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            "; another process is writing to the database: wait for it to finish, or raise `busy_timeout_secs`"
        }
        Some(rusqlite::ErrorCode::DiskFull) => "; the disk is full",
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen) => {
            "; check that the file and its folder are writable"
        }
        _ => "",
    };
    Error::new(
        ErrorKind::Sink,
        format!("SQLite table `{table}`: {err}{fix}"),
    )
    .with_source(err)
}
