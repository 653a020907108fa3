//! How a table that accumulates runs merges a record into the row it
//! already holds for the same `(source, source_id)`.
//!
//! The database sinks (SQLite, PostgreSQL) upsert: a run inserts new offers
//! and updates known ones. The rules live here, once, so both sinks keep the
//! same table whatever the engine:
//!
//! - a live record replaces the stored row, except that `first_seen_at`
//!   keeps the earliest instant and `last_seen_at` keeps the stored one when
//!   the record has none (a run without state);
//! - a removal (a record whose `removed_at` is set) only marks the row:
//!   `change`, `removed_at` and `last_seen_at` are taken from it, the offer's
//!   content stays as last seen, and personal data is blanked;
//! - a live record for a row marked removed reopens it (`removed_at` is
//!   cleared).
//!
//! [`on_conflict_set`] renders these rules as the `SET` list of a standard
//! SQL `INSERT ... ON CONFLICT (source, source_id) DO UPDATE`, which SQLite
//! and PostgreSQL both accept.

use crate::record::{COLUMNS, Column, ColumnKind};

/// The columns that identify an offer across runs.
pub const KEY_COLUMNS: [&str; 2] = ["source", "source_id"];

/// How one column of a stored row takes a new record's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// Part of the key: never updated.
    Key,
    /// Takes the new value; a removal keeps the stored one.
    Replace,
    /// Keeps the earliest of the stored and new values (`first_seen_at`).
    Earliest,
    /// Takes the new value when there is one, else keeps the stored one
    /// (`last_seen_at`).
    Latest,
    /// Always takes the new value (`change`, `removed_at`): a removal sets
    /// it, a live record clears `removed_at`.
    Always,
    /// Personal data: takes the new value; a removal blanks it.
    Personal,
}

/// The merge rule of `column`.
pub fn merge_rule(column: &Column) -> Merge {
    match column.name {
        n if KEY_COLUMNS.contains(&n) => Merge::Key,
        "first_seen_at" => Merge::Earliest,
        "last_seen_at" => Merge::Latest,
        "change" | "removed_at" => Merge::Always,
        _ if column.personal => Merge::Personal,
        _ => Merge::Replace,
    }
}

/// The assignments of `ON CONFLICT (source, source_id) DO UPDATE SET ...`
/// for the columns `columns` (indices into [`COLUMNS`]), the stored row
/// being aliased `t` and the new one `excluded`, identifiers in double
/// quotes. Key columns are skipped.
pub fn on_conflict_set(columns: &[usize]) -> String {
    const REMOVAL: &str = "excluded.\"removed_at\" IS NOT NULL";
    let mut out = Vec::new();
    for &c in columns {
        let column = &COLUMNS[c];
        let name = column.name;
        let new = format!("excluded.\"{name}\"");
        let old = format!("t.\"{name}\"");
        let value = match merge_rule(column) {
            Merge::Key => continue,
            Merge::Replace => format!("CASE WHEN {REMOVAL} THEN {old} ELSE {new} END"),
            Merge::Earliest => {
                format!("CASE WHEN {old} IS NULL OR {new} < {old} THEN {new} ELSE {old} END")
            }
            Merge::Latest => format!("COALESCE({new}, {old})"),
            Merge::Always => new,
            Merge::Personal => format!("CASE WHEN {REMOVAL} THEN NULL ELSE {new} END"),
        };
        out.push(format!("\"{name}\" = {value}"));
    }
    out.join(", ")
}

/// `CREATE TABLE {table}` with every column of [`COLUMNS`], typed by
/// `sql_type`, the key columns `NOT NULL` and the primary key
/// `(source, source_id)`. `table` is inserted as given (quote it).
pub fn create_table(table: &str, sql_type: impl Fn(ColumnKind) -> &'static str) -> String {
    let mut columns: Vec<String> = COLUMNS
        .iter()
        .map(|c| {
            let not_null = if KEY_COLUMNS.contains(&c.name) {
                " NOT NULL"
            } else {
                ""
            };
            format!("\"{}\" {}{not_null}", c.name, sql_type(c.kind))
        })
        .collect();
    columns.push("PRIMARY KEY (\"source\", \"source_id\")".into());
    format!("CREATE TABLE {table} (\n  {}\n)", columns.join(",\n  "))
}

/// Whether `name` can name a table, schema or view as is: ASCII letters,
/// digits and `_`, not starting with a digit, at most 63 bytes (the
/// PostgreSQL limit). The database sinks accept only such names, so they
/// never need escaping.
pub fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column_index;

    #[test]
    fn rules_follow_the_column() {
        let rule = |n: &str| merge_rule(&COLUMNS[column_index(n).unwrap()]);
        assert_eq!(rule("source"), Merge::Key);
        assert_eq!(rule("source_id"), Merge::Key);
        assert_eq!(rule("title"), Merge::Replace);
        assert_eq!(rule("first_seen_at"), Merge::Earliest);
        assert_eq!(rule("last_seen_at"), Merge::Latest);
        assert_eq!(rule("removed_at"), Merge::Always);
        assert_eq!(rule("change"), Merge::Always);
        assert_eq!(rule("contact_phone"), Merge::Personal);
    }

    #[test]
    fn set_list_skips_keys_and_quotes_names() {
        let cols: Vec<usize> = ["source", "source_id", "title", "first_seen_at"]
            .iter()
            .map(|n| column_index(n).unwrap())
            .collect();
        let set = on_conflict_set(&cols);
        assert!(!set.contains("\"source\" ="), "{set}");
        assert!(
            set.starts_with(
                "\"title\" = CASE WHEN excluded.\"removed_at\" IS NOT NULL THEN t.\"title\""
            ),
            "{set}"
        );
        assert!(set.contains("\"first_seen_at\" = CASE WHEN t.\"first_seen_at\" IS NULL OR excluded.\"first_seen_at\" < t.\"first_seen_at\""), "{set}");
    }

    #[test]
    fn created_tables_are_keyed_and_typed() {
        let sql = create_table("\"offers\"", |k| {
            if k == ColumnKind::Float {
                "REAL"
            } else {
                "TEXT"
            }
        });
        assert!(sql.starts_with("CREATE TABLE \"offers\" (\n  \"source\" TEXT NOT NULL,\n  \"source_id\" TEXT NOT NULL,\n  \"title\" TEXT,"), "{sql}");
        assert!(sql.contains("\"latitude\" REAL,"), "{sql}");
        assert!(
            sql.ends_with("PRIMARY KEY (\"source\", \"source_id\")\n)"),
            "{sql}"
        );
    }

    #[test]
    fn plain_identifiers_only() {
        assert!(is_plain_identifier("offers"));
        assert!(is_plain_identifier("_offers_2024"));
        for bad in [
            "",
            "1offers",
            "off ers",
            "offers;drop",
            "\"x\"",
            "é",
            &"a".repeat(64),
        ] {
            assert!(!is_plain_identifier(bad), "{bad}");
        }
    }
}
