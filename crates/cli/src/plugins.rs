//! Every connector and sink this binary ships, one registration line each.

use jobharvest_core::Registry;

/// The registry of every type this binary knows.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    jobharvest_core::register(&mut registry);
    jobharvest_france_travail::register(&mut registry);
    jobharvest_adzuna::register(&mut registry);
    jobharvest_declarative::register(&mut registry);
    jobharvest_sink_csv::register(&mut registry);
    jobharvest_sink_xlsx::register(&mut registry);
    jobharvest_sink_parquet::register(&mut registry);
    jobharvest_sink_sqlite::register(&mut registry);
    jobharvest_sink_postgres::register(&mut registry);
    jobharvest_sink_jsonl::register(&mut registry);
    jobharvest_sink_report::register(&mut registry);
    registry
}
