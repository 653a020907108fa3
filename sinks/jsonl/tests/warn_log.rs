//! The warning about records without a payload, as the log shows it.
//!
//! A test binary of its own: tracing decides once per call site whether
//! anyone listens, and a test of another thread reaching the same `warn!`
//! without a subscriber at the wrong moment would hide it from this one.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;

use common::{board_records, read_lines, write};

/// A log that tests can read: what a `fmt` subscriber wrote.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn records_without_a_payload_are_left_out_counted_and_warned_about_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offres.jsonl.gz");
    let mut records = board_records("france_travail", 0, 80);
    records[5].raw = Some(" \n ".into());
    let without = records
        .iter()
        .filter(|r| r.raw.as_deref().is_none_or(|raw| raw.trim().is_empty()))
        .count();
    assert!(
        without > 10,
        "the generator leaves some records without raw"
    );

    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let log = log.clone();
            move || log.clone()
        })
        .with_ansi(false)
        .finish();
    let _listening = tracing::subscriber::set_default(subscriber);
    let warnings = || -> Vec<String> {
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .filter(|l| l.contains("WARN"))
            .map(String::from)
            .collect()
    };

    let report = write(&path, json!({}), &records, 8);
    assert_eq!(report.rows, (records.len() - without) as u64);
    assert_eq!(read_lines(&path).len(), records.len() - without);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].starts_with(&format!("{without} record(s) had no raw payload")),
        "{:?}",
        report.warnings
    );
    let logged = warnings();
    assert_eq!(logged.len(), 1, "one warning for 8 batches: {logged:?}");
    assert!(
        logged[0].contains(&format!("records={without}")),
        "{logged:?}"
    );

    // Every record with a payload: no warning, in the report or the log.
    let with_raw: Vec<_> = records
        .into_iter()
        .filter(|r| r.raw.as_deref().is_some_and(|raw| !raw.trim().is_empty()))
        .collect();
    let all_there = write(&dir.path().join("full.jsonl"), json!({}), &with_raw, 2);
    assert!(all_there.warnings.is_empty(), "{:?}", all_there.warnings);
    assert_eq!(warnings().len(), 1, "{:?}", warnings());
}
