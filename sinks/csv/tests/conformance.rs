//! The `csv` sink against the core's sink conformance suite, read back with
//! the `csv` crate.

use std::path::Path;

use jobharvest_core::Registry;
use jobharvest_core::testkit::Expected;
use jobharvest_core::testkit::sinks::SinkHarness;

struct Csv;

impl SinkHarness for Csv {
    type Cell = String;

    fn sink_type(&self) -> &'static str {
        "csv"
    }

    fn extension(&self) -> &'static str {
        "csv"
    }

    fn register(&self, registry: &mut Registry) {
        jobharvest_sink_csv::register(registry);
    }

    fn writes_raw_by_default(&self) -> bool {
        false
    }

    fn read(&self, path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header = reader.headers().unwrap().iter().map(String::from).collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        (header, rows)
    }

    /// Text a spreadsheet would run as a formula is defused by default
    /// (a leading `'`); numbers never are.
    fn assert_cell(&self, got: &String, want: &Expected, at: &str) {
        let text = want.to_text(" | ");
        let textual = matches!(want, Expected::Text(_) | Expected::List(_));
        let want = if textual && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text
        };
        assert_eq!(got, &want, "{at}");
    }
}

jobharvest_core::sink_conformance!(Csv);
