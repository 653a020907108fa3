//! Shared helpers for testing sinks (cargo feature `testkit`).
//!
//! Every sink is tested the same way: write a deterministic, deliberately
//! awkward batch of records ([`Generator`]) in several `write` calls, finish,
//! read the file back with an independent reader, and compare cell by cell
//! against [`expected_row`]. The checks every file sink must pass whatever
//! its format (dropping without `finish` leaves nothing, unknown keys are
//! named, ...) are the `check_*` functions, so a new sink gets them for one
//! line each.
//!
//! The generator needs no random number generator: each column picks from a
//! pool with its own stride, so values are varied, every nullable column is
//! null in some rows and set in others, and the same call always gives the
//! same records.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::record::{COLUMNS, Cell, ColumnKind, JobRecord};
use crate::registry::Registry;
use crate::sink::{SinkContext, SinkReport};

/// Texts that trip up writers: delimiters, quotes, line breaks, accents,
/// emoji, leading zeros, formula-like and XML-escape-like text.
pub const TEXTS: &[&str] = &[
    "Développeur·se Rust (H/F)",
    "Commas, everywhere, here",
    "He said \"hello\" and left",
    "line one\nline two\r\nline three",
    "semi;colon;separated",
    "Crème brûlée 🍮 & œufs — «niño» ñ",
    "01000",
    "=1+1",
    "  leading and trailing spaces  ",
    "tab\tinside",
    "emoji 🦀👩‍💻 only",
    "a | b",
    "bell \u{7} control",
    "literal _x0041_ escape",
    "<tag attr='x'>&amp;</tag>",
    "Zürich, Bâle; Genève",
];

/// List elements, including ones holding a separator or a line break.
pub const LIST_ITEMS: &[&str] = &[
    "SQL",
    "Python, R",
    "C | C++",
    "Français courant",
    "multi\nline",
    "🚗 Permis B",
    "semi;colon",
    "\"quoted\"",
];

/// Floats with signs, fractions, tiny and large magnitudes.
pub const FLOATS: &[f64] = &[
    48.856_614,
    -0.5,
    2.352_222,
    35_000.0,
    -1.0e-7,
    123_456_789.123_456_78,
    1.0e300,
    -2.5e15,
    0.1,
    0.0,
    -0.0,
    1.0 / 3.0,
];

/// Integers (kept within ±2^53 so spreadsheets hold them exactly).
pub const INTS: &[i64] = &[1, 0, -1, 3, 42, 1_000_000, 9_007_199_254_740_992];

/// Timestamps in microseconds since the epoch, with and without a
/// millisecond part, one with microseconds (all after 1900-03-01, inside
/// every format's range).
pub const TIMESTAMPS_US: &[i64] = &[
    1_720_435_000_000_000,  // 2024-07-08T10:36:40Z
    1_720_434_959_445_000,  // 2024-07-08T10:35:59.445Z
    1_720_434_959_445_123,  // 2024-07-08T10:35:59.445123Z
    946_684_799_999_000,    // 1999-12-31T23:59:59.999Z
    1_893_456_000_000_000,  // 2030-01-01T00:00:00Z
    0,                      // 1970-01-01T00:00:00Z
    -2_203_891_199_939_000, // 1900-03-01T00:00:00.061Z
    4_102_444_799_001_000,  // 2099-12-31T23:59:59.001Z
];

/// Builds deterministic, varied [`JobRecord`]s.
#[derive(Debug, Clone, Default)]
pub struct Generator {
    long_description_chars: Option<usize>,
}

impl Generator {
    /// A generator of ordinary records.
    pub fn new() -> Self {
        Generator::default()
    }

    /// Gives every seventh record (index 1, 8, 15, ...) a description of
    /// `chars` characters (see [`long_text`]).
    pub fn long_description(mut self, chars: usize) -> Self {
        self.long_description_chars = Some(chars);
        self
    }

    /// Records `start..start + n`. Record `i` is always the same record.
    pub fn records(&self, start: usize, n: usize) -> Vec<JobRecord> {
        (start..start + n).map(|i| self.record(i)).collect()
    }

    /// Record number `i`.
    pub fn record(&self, i: usize) -> JobRecord {
        let mut r = JobRecord::new(
            ["france_travail", "adzuna", "jobteaser"][i % 3],
            format!("{:03}KLT{}", i, ["P", "é", "🦀"][i % 3]),
        );
        // Every tenth record has nothing but its key.
        if i % 10 == 3 {
            return r;
        }
        let text = |k: usize| pick(i, k, TEXTS).map(|s| (*s).to_string());
        let float = |k: usize| pick(i, k, FLOATS).copied();
        let int = |k: usize| pick(i, k, INTS).copied();
        let boolean = |k: usize| pick(i, k, &[true, false]).copied();
        let ts = |k: usize| {
            pick(i, k, TIMESTAMPS_US)
                .map(|&us| DateTime::from_timestamp_micros(us).expect("timestamp in range"))
        };
        let list = |k: usize| -> Vec<String> {
            let len = (i + k) % 4; // 0, 1, 2 or 3 elements
            (0..len)
                .map(|j| LIST_ITEMS[mix(i, k * 8 + j) % LIST_ITEMS.len()].to_string())
                .collect()
        };

        r.title = text(2);
        r.description = match self.long_description_chars {
            Some(chars) if i % 7 == 1 => Some(long_text(chars)),
            _ => text(3),
        };
        r.company_name = text(4);
        r.location_label = text(5);
        r.postal_code = text(6);
        r.commune_code = text(7);
        r.department_code = text(8);
        r.latitude = float(9);
        r.longitude = float(10);
        r.contract_type = text(11);
        r.contract_label = text(12);
        r.contract_nature = text(13);
        r.created_at = ts(14);
        r.updated_at = ts(15);
        r.salary_label = text(16);
        r.salary_min = float(17);
        r.salary_max = float(18);
        r.salary_period = text(19);
        r.salary_comment = text(20);
        r.salary_extras = list(21);
        r.skills = list(22);
        r.soft_skills = list(23);
        r.education = list(24);
        r.languages = list(25);
        r.driving_licences = list(26);
        r.experience_code = text(27);
        r.experience_label = text(28);
        r.occupation_code = text(29);
        r.occupation_label = text(30);
        r.job_title_label = text(31);
        r.industry_code = text(32);
        r.industry_label = text(33);
        r.qualification_label = text(34);
        r.work_hours_label = text(35);
        r.work_time = text(36);
        r.positions = int(37);
        r.alternance = boolean(38);
        r.disability_friendly = boolean(39);
        r.candidate_shortage = boolean(40);
        r.company_description = text(41);
        r.company_url = text(42);
        r.company_adapted = boolean(43);
        r.origin = text(44);
        r.partners = list(45);
        r.apply_url = text(46);
        r.url = text(47);
        r.remote = boolean(52);
        r.tags = list(53);
        r.salary_currency = text(54);
        r.salary_predicted = boolean(55);
        r.attribution = text(56);
        r.licence = text(57);
        r.fingerprint = text(58);
        r.change = text(59);
        r.first_seen_at = ts(60);
        r.last_seen_at = ts(61);
        r.removed_at = ts(62);
        r.contact_name = text(48);
        r.contact_phone = text(49);
        r.contact_details = text(50);
        r.raw = pick(i, 51, &[()]).map(|_| {
            json!({
                "id": r.source_id,
                "intitule": r.title,
                "lieuTravail": {"libelle": r.location_label, "latitude": r.latitude},
                "competences": r.skills,
            })
            .to_string()
        });
        r
    }
}

/// Picks from `pool` for column `k` of record `i`; `None` for one record in
/// four, at a different place for each column.
fn pick<T>(i: usize, k: usize, pool: &[T]) -> Option<&T> {
    if (i + k).is_multiple_of(4) {
        None
    } else {
        Some(&pool[mix(i, k) % pool.len()])
    }
}

/// A well-spread number for column `k` of record `i` (SplitMix64), so
/// that columns vary independently of each other and of pool sizes.
fn mix(i: usize, k: usize) -> usize {
    let mut z = ((i as u64) << 8 ^ k as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as usize
}

/// A text of exactly `chars` characters mixing ASCII, accented letters
/// (2 bytes in UTF-8), CJK (3 bytes) and emoji (4 bytes, 2 UTF-16 units),
/// so a limit counted in bytes, chars or UTF-16 units each cuts it
/// somewhere else.
pub fn long_text(chars: usize) -> String {
    const UNITS: &[char] = &['a', 'é', ' ', '漢', '🦀', 'Z', ',', '\n', '"'];
    (0..chars).map(|i| UNITS[i % UNITS.len()]).collect()
}

/// A value as a test expects to read it back, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// No value.
    Null,
    /// Text (also JSON text).
    Text(String),
    /// A float.
    Float(f64),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// An instant in UTC.
    Timestamp(DateTime<Utc>),
    /// A list of texts (possibly empty).
    List(Vec<String>),
}

impl From<Cell<'_>> for Expected {
    fn from(cell: Cell<'_>) -> Self {
        match cell {
            Cell::Null => Expected::Null,
            Cell::Text(s) => Expected::Text(s.to_string()),
            Cell::Float(f) => Expected::Float(f),
            Cell::Int(i) => Expected::Int(i),
            Cell::Bool(b) => Expected::Bool(b),
            Cell::Timestamp(t) => Expected::Timestamp(t),
            Cell::List(l) => Expected::List(l.to_vec()),
        }
    }
}

impl Expected {
    /// The value as a text format writes it: nulls empty, timestamps
    /// RFC 3339 in UTC with `Z` ([`rfc3339`]), floats in their shortest
    /// round-trip form, booleans `true`/`false`, lists joined with
    /// `list_separator`.
    pub fn to_text(&self, list_separator: &str) -> String {
        match self {
            Expected::Null => String::new(),
            Expected::Text(s) => s.clone(),
            Expected::Float(f) => {
                let text = f.to_string();
                debug_assert_eq!(text.parse::<f64>().ok(), Some(*f));
                text
            }
            Expected::Int(i) => i.to_string(),
            Expected::Bool(b) => b.to_string(),
            Expected::Timestamp(t) => rfc3339(t),
            Expected::List(l) => l.join(list_separator),
        }
    }
}

/// `t` in RFC 3339, UTC, with `Z`: seconds when the instant has no
/// fraction, milliseconds when it has some (micro- or nanoseconds when it
/// has those).
pub fn rfc3339(t: &DateTime<Utc>) -> String {
    let nanos = t.timestamp_subsec_nanos();
    let fraction = if nanos == 0 {
        String::new()
    } else if nanos.is_multiple_of(1_000_000) {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    };
    format!("{}{fraction}Z", t.format("%Y-%m-%dT%H:%M:%S"))
}

/// The expected values of `record` for the columns `columns` (indices into
/// [`COLUMNS`]), in that order.
pub fn expected_row(record: &JobRecord, columns: &[usize]) -> Vec<Expected> {
    columns.iter().map(|&c| record.cell(c).into()).collect()
}

/// The indices of the columns called `names`.
///
/// # Panics
/// When a name is not a column.
pub fn column_indices(names: &[&str]) -> Vec<usize> {
    names
        .iter()
        .map(|n| crate::column_index(n).unwrap_or_else(|| panic!("no column `{n}`")))
        .collect()
}

/// Panics unless `records` exercise every column: each nullable column null
/// somewhere and set elsewhere, each list column empty somewhere and with
/// two or more elements elsewhere. Fails when a column is added to
/// [`JobRecord`] and not to [`Generator`].
pub fn assert_varied(records: &[JobRecord]) {
    for (c, column) in COLUMNS.iter().enumerate() {
        let cells: Vec<Cell<'_>> = records.iter().map(|r| r.cell(c)).collect();
        let key = matches!(column.name, "source" | "source_id");
        match column.kind {
            ColumnKind::TextList => {
                let lens: Vec<usize> = cells
                    .iter()
                    .map(|cell| match cell {
                        Cell::List(l) => l.len(),
                        other => panic!("{}: a list column gave {other:?}", column.name),
                    })
                    .collect();
                assert!(lens.contains(&0), "{}: never empty", column.name);
                assert!(lens.iter().any(|&n| n >= 2), "{}: never 2+", column.name);
            }
            _ => {
                let nulls = cells.iter().filter(|c| c.is_null()).count();
                assert!(nulls < cells.len(), "{}: always null", column.name);
                if !key {
                    assert!(nulls > 0, "{}: never null", column.name);
                }
            }
        }
    }
}

/// A sink config as JSON: `type`, `path` and the `extra` keys.
pub fn sink_config(type_name: &str, path: &Path, extra: Value) -> Value {
    let mut config = json!({"type": type_name, "path": path.to_string_lossy()});
    if let (Value::Object(map), Value::Object(extra)) = (&mut config, extra) {
        map.extend(extra);
    }
    config
}

/// Prepares and opens the sink `config` through `registry`, writes
/// `records` in `batches` calls of roughly equal size, and finishes it.
///
/// # Panics
/// When preparing, opening, writing or finishing fails.
pub fn write_all(
    registry: &Registry,
    config: Value,
    records: &[JobRecord],
    batches: usize,
) -> SinkReport {
    let prepared = registry
        .prepare_sink(config, "sinks[0]")
        .unwrap_or_else(|e| panic!("prepare: {e}"));
    let mut sink = prepared
        .open(&SinkContext::new("."))
        .unwrap_or_else(|e| panic!("open: {e}"));
    let size = records.len().div_ceil(batches.max(1)).max(1);
    for chunk in records.chunks(size) {
        sink.write(chunk).unwrap_or_else(|e| panic!("write: {e}"));
    }
    sink.finish().unwrap_or_else(|e| panic!("finish: {e}"))
}

/// The files in `dir`, sorted, hidden ones (temporary files) included.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.expect("dir entry").path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// Checks that a sink of `type_name` dropped without `finish` leaves
/// nothing at its path (in a fresh nested directory), and leaves an older
/// file there untouched, with no temporary file behind. `extra` holds
/// additional config keys.
///
/// # Panics
/// When the check fails.
pub fn check_drop_leaves_nothing(registry: &Registry, type_name: &str, extra: Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let nested = dir.path().join("a/b");
    let path = nested.join(format!("out.{type_name}"));
    let records = Generator::new().records(0, 20);

    let open = |config: Value| {
        registry
            .prepare_sink(config, "sinks[0]")
            .unwrap_or_else(|e| panic!("prepare: {e}"))
            .open(&SinkContext::new(dir.path()))
            .unwrap_or_else(|e| panic!("open: {e}"))
    };

    let mut sink = open(sink_config(type_name, &path, extra.clone()));
    sink.write(&records).expect("write");
    drop(sink);
    assert!(!path.exists(), "a dropped sink left {}", path.display());
    assert_eq!(
        files_in(&nested),
        Vec::<PathBuf>::new(),
        "a dropped sink left files behind"
    );

    std::fs::write(&path, b"older output").expect("write older file");
    let mut sink = open(sink_config(type_name, &path, extra));
    sink.write(&records).expect("write");
    drop(sink);
    assert_eq!(
        std::fs::read(&path).expect("older file still there"),
        b"older output",
        "a dropped sink changed the older file"
    );
    assert_eq!(files_in(&nested), vec![path], "temporary files left behind");
}

/// Checks that an unknown key in a `type_name` config is refused with an
/// error naming the key and where it is.
///
/// # Panics
/// When the config is accepted or the message does not name the key.
pub fn check_unknown_key_named(registry: &Registry, type_name: &str) {
    let config = sink_config(type_name, Path::new("out.x"), json!({"delimter_typo": ";"}));
    let err = registry
        .prepare_sink(config, "sinks[3]")
        .expect_err("an unknown key must be refused");
    let msg = err.to_string();
    assert_eq!(err.kind(), crate::ErrorKind::Config, "{msg}");
    assert!(msg.contains("delimter_typo"), "key not named: {msg}");
    assert!(msg.starts_with("sinks[3]"), "position not named: {msg}");
}

/// Checks that a `type_name` config refuses an unknown column, an empty
/// `columns` list and a column listed twice, naming the culprit.
///
/// # Panics
/// When one of them is accepted or not named.
pub fn check_columns_validated(registry: &Registry, type_name: &str) {
    let cases = [
        (json!({"columns": ["title", "titel"]}), "titel"),
        (json!({"columns": []}), "columns"),
        (json!({"columns": ["title", "url", "title"]}), "title"),
    ];
    for (extra, culprit) in cases {
        let config = sink_config(type_name, Path::new("out.x"), extra.clone());
        let err = registry
            .prepare_sink(config, "sinks[0]")
            .expect_err(&format!("{extra} must be refused"));
        assert_eq!(err.kind(), crate::ErrorKind::Config, "{err}");
        assert!(err.to_string().contains(culprit), "{extra}: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_deterministic_and_varied() {
        let g = Generator::new().long_description(100);
        let a = g.records(0, 40);
        assert_eq!(a, g.records(0, 40));
        assert_eq!(a[10..20], g.records(10, 10)[..]);
        assert_varied(&a);
        assert_eq!(
            a[1].description.as_ref().map(|d| d.chars().count()),
            Some(100)
        );
    }

    #[test]
    fn rfc3339_uses_seconds_or_millis() {
        let t = |ms| DateTime::from_timestamp_millis(ms).unwrap();
        assert_eq!(rfc3339(&t(1_720_434_959_445)), "2024-07-08T10:35:59.445Z");
        assert_eq!(rfc3339(&t(1_720_434_959_000)), "2024-07-08T10:35:59Z");
        assert_eq!(rfc3339(&t(1_720_434_959_040)), "2024-07-08T10:35:59.040Z");
        let all: Vec<String> = TIMESTAMPS_US
            .iter()
            .map(|&us| rfc3339(&DateTime::from_timestamp_micros(us).unwrap()))
            .collect();
        assert!(
            all.contains(&"1900-03-01T00:00:00.061Z".to_string()),
            "{all:?}"
        );
        assert!(
            all.contains(&"1999-12-31T23:59:59.999Z".to_string()),
            "{all:?}"
        );
        assert!(
            all.contains(&"2024-07-08T10:35:59.445123Z".to_string()),
            "{all:?}"
        );
    }

    #[test]
    fn long_text_has_the_asked_length_and_wide_chars() {
        let s = long_text(1000);
        assert_eq!(s.chars().count(), 1000);
        assert!(s.encode_utf16().count() > 1000);
        assert!(s.len() > 1500);
    }
}
