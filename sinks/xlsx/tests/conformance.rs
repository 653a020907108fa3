//! The `xlsx` sink against the core's sink conformance suite, read back
//! with calamine (every sheet, in order).

use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use jobharvest_core::Registry;
use jobharvest_core::testkit::Expected;
use jobharvest_core::testkit::sinks::SinkHarness;

/// Excel keeps at most this many UTF-16 units in a cell; longer texts are
/// cut (and the sink warns).
const MAX_CELL_UNITS: usize = 32_767;

struct Excel;

impl SinkHarness for Excel {
    type Cell = Data;

    fn sink_type(&self) -> &'static str {
        "xlsx"
    }

    fn extension(&self) -> &'static str {
        "xlsx"
    }

    fn register(&self, registry: &mut Registry) {
        jobharvest_sink_xlsx::register(registry);
    }

    fn writes_raw_by_default(&self) -> bool {
        false
    }

    fn read(&self, path: &Path) -> (Vec<String>, Vec<Vec<Data>>) {
        let mut book: Xlsx<_> = open_workbook(path).unwrap();
        let mut header = Vec::new();
        let mut rows = Vec::new();
        for name in book.sheet_names() {
            let range = book.worksheet_range(&name).unwrap();
            let mut sheet = range.rows();
            header = sheet
                .next()
                .map(|h| h.iter().map(|c| c.to_string()).collect())
                .unwrap_or_default();
            rows.extend(sheet.map(<[Data]>::to_vec));
        }
        (header, rows)
    }

    fn assert_cell(&self, got: &Data, want: &Expected, at: &str) {
        match (want, got) {
            (Expected::Null, Data::Empty) => {}
            (Expected::List(items), Data::Empty) => assert!(items.is_empty(), "{at}"),
            (Expected::List(items), Data::String(s)) => assert_eq!(s, &items.join(" | "), "{at}"),
            (Expected::Text(t), Data::String(s)) if t.encode_utf16().count() > MAX_CELL_UNITS => {
                assert!(t.starts_with(s.as_str()), "{at}: not a prefix of the text");
                assert!(s.encode_utf16().count() <= MAX_CELL_UNITS, "{at}: too long");
            }
            (Expected::Text(t), Data::String(s)) => assert_eq!(s, t, "{at}"),
            (Expected::Float(f), Data::Float(g)) => assert_eq!(g, f, "{at}"),
            (Expected::Int(i), Data::Float(g)) => assert_eq!(*g, *i as f64, "{at}"),
            (Expected::Int(i), Data::Int(g)) => assert_eq!(g, i, "{at}"),
            (Expected::Bool(b), Data::Bool(g)) => assert_eq!(g, b, "{at}"),
            (Expected::Timestamp(t), Data::DateTime(d)) => {
                // Excel counts days since 1899-12-30.
                let serial = t.timestamp_millis() as f64 / 86_400_000.0 + 25_569.0;
                assert!((d.as_f64() - serial).abs() < 1e-8, "{at}: {d:?} vs {t}");
            }
            _ => panic!("{at}: wrote {want:?}, read {got:?}"),
        }
    }
}

jobharvest_core::sink_conformance!(Excel);
