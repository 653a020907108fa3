//! The table's layout in PostgreSQL: the type of each column, and the SQL
//! that creates, grows and checks the table.

use jobharvest_core::merge::on_conflict_set;
use jobharvest_core::{COLUMNS, ColumnKind};
use tokio_postgres::types::Type;

/// The PostgreSQL type of a column kind, as `CREATE TABLE` names it and as
/// `pg_type.typname` (what the compatibility check compares) names it.
/// Lists are `text[]`, instants `timestamptz`, the payload `json`: it
/// keeps the text as the board sent it (`jsonb` would rewrite it: key
/// order, `-0.0`), and queries can still cast it to `jsonb`.
pub(crate) fn pg_type(kind: ColumnKind) -> (&'static str, &'static str) {
    match kind {
        ColumnKind::Text => ("text", "text"),
        ColumnKind::Float => ("double precision", "float8"),
        ColumnKind::Int => ("bigint", "int8"),
        ColumnKind::Bool => ("boolean", "bool"),
        ColumnKind::Timestamp => ("timestamptz", "timestamptz"),
        ColumnKind::TextList => ("text[]", "_text"),
        ColumnKind::Json => ("json", "json"),
    }
}

/// The type a column has in the staging table, where binary `COPY` puts
/// it: the payload stays text there and is cast to `json` by the merge.
pub(crate) fn staging_type(kind: ColumnKind) -> Type {
    match kind {
        ColumnKind::Text | ColumnKind::Json => Type::TEXT,
        ColumnKind::Float => Type::FLOAT8,
        ColumnKind::Int => Type::INT8,
        ColumnKind::Bool => Type::BOOL,
        ColumnKind::Timestamp => Type::TIMESTAMPTZ,
        ColumnKind::TextList => Type::TEXT_ARRAY,
    }
}

/// The staging table: temporary, dropped at commit or rollback.
pub(crate) const STAGING: &str = "jobharvest_staging";

/// `"schema"."name"`.
pub(crate) fn qualified(schema: &str, name: &str) -> String {
    format!("\"{schema}\".\"{name}\"")
}

fn column_list(columns: &[usize]) -> String {
    columns
        .iter()
        .map(|&c| format!("\"{}\"", COLUMNS[c].name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `CREATE TABLE` with every column, keyed by `(source, source_id)`.
pub(crate) fn create_table(table: &str) -> String {
    jobharvest_core::merge::create_table(table, |kind| pg_type(kind).0)
}

/// The staging table for `columns`, with a sequence number so the merge
/// keeps the last of two records with the same key in one batch.
pub(crate) fn create_staging(columns: &[usize]) -> String {
    let defs: Vec<String> = columns
        .iter()
        .map(|&c| {
            let column = &COLUMNS[c];
            let ty = staging_type(column.kind);
            format!("\"{}\" {}", column.name, ty.name())
        })
        .collect();
    format!(
        "CREATE TEMPORARY TABLE {STAGING} (jobharvest_seq bigserial, {}) ON COMMIT DROP",
        defs.join(", ")
    )
}

/// `COPY` of `columns` into the staging table, binary.
pub(crate) fn copy_in(columns: &[usize]) -> String {
    format!(
        "COPY {STAGING} ({}) FROM STDIN (FORMAT binary)",
        column_list(columns)
    )
}

/// Merges the staging table into `table` (one row per key, the last staged
/// one), then empties it.
pub(crate) fn merge(table: &str, columns: &[usize]) -> String {
    let values: Vec<String> = columns
        .iter()
        .map(|&c| {
            let column = &COLUMNS[c];
            if column.kind == ColumnKind::Json {
                format!("\"{}\"::json", column.name)
            } else {
                format!("\"{}\"", column.name)
            }
        })
        .collect();
    let key = "\"source\", \"source_id\"";
    format!(
        "INSERT INTO {table} AS t ({}) \
         SELECT DISTINCT ON ({key}) {} FROM {STAGING} ORDER BY {key}, jobharvest_seq DESC \
         ON CONFLICT ({key}) DO UPDATE SET {}; \
         TRUNCATE {STAGING}",
        column_list(columns),
        values.join(", "),
        on_conflict_set(columns)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_type_and_staging_matches() {
        for column in COLUMNS {
            let (ddl, udt) = pg_type(column.kind);
            let staging = staging_type(column.kind);
            if column.kind == ColumnKind::Json {
                assert_eq!(staging, Type::TEXT);
            } else {
                assert_eq!(staging.name(), udt, "{}: {ddl}", column.name);
            }
        }
    }

    #[test]
    fn merge_casts_the_payload_and_keeps_the_last_of_a_key() {
        let all: Vec<usize> = (0..COLUMNS.len()).collect();
        let sql = merge("\"public\".\"offers\"", &all);
        assert!(sql.contains(" \"raw\"::json FROM"), "{sql}");
        assert!(
            sql.contains("ORDER BY \"source\", \"source_id\", jobharvest_seq DESC"),
            "{sql}"
        );
        assert!(
            sql.contains("ON CONFLICT (\"source\", \"source_id\") DO UPDATE SET \"title\""),
            "{sql}"
        );
    }
}
