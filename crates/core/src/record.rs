//! The normalized job offer, [`JobRecord`], and its column table.
//!
//! Every output format derives its layout from [`COLUMNS`]: the CSV header,
//! the Excel columns and the Arrow schema come from this one list, in this
//! order. A field is added to the record in one place, the `job_record!`
//! invocation below, and every sink picks it up.
//!
//! Missing values are real nulls (`None`), lists keep every element, and
//! `raw` keeps the payload the board sent so that nothing is ever lost.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The logical type of a column; sinks map it to their own types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// UTF-8 text.
    Text,
    /// A 64-bit float.
    Float,
    /// A 64-bit signed integer.
    Int,
    /// A boolean.
    Bool,
    /// An instant in UTC.
    Timestamp,
    /// A list of texts (never null: an empty list when there is nothing).
    TextList,
    /// JSON text (the untouched payload).
    Json,
}

/// One column of the normalized table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The column name, as it appears in every output.
    pub name: &'static str,
    /// The logical type.
    pub kind: ColumnKind,
    /// What the column holds.
    pub doc: &'static str,
    /// Whether the column holds personal data (kept out unless asked for).
    pub personal: bool,
}

/// One value of a record, borrowed, as sinks see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// No value.
    Null,
    /// Text (also JSON text).
    Text(&'a str),
    /// A float.
    Float(f64),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// An instant in UTC.
    Timestamp(DateTime<Utc>),
    /// A list of texts.
    List(&'a [String]),
}

impl Cell<'_> {
    /// Whether the cell holds no value (an empty list counts as a value).
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }
}

/// Turns a record field into a [`Cell`].
trait AsCell {
    fn as_cell(&self) -> Cell<'_>;
}

impl AsCell for String {
    fn as_cell(&self) -> Cell<'_> {
        Cell::Text(self)
    }
}
impl AsCell for Option<String> {
    fn as_cell(&self) -> Cell<'_> {
        self.as_deref().map_or(Cell::Null, Cell::Text)
    }
}
impl AsCell for Option<f64> {
    fn as_cell(&self) -> Cell<'_> {
        self.map_or(Cell::Null, Cell::Float)
    }
}
impl AsCell for Option<i64> {
    fn as_cell(&self) -> Cell<'_> {
        self.map_or(Cell::Null, Cell::Int)
    }
}
impl AsCell for Option<bool> {
    fn as_cell(&self) -> Cell<'_> {
        self.map_or(Cell::Null, Cell::Bool)
    }
}
impl AsCell for Option<DateTime<Utc>> {
    fn as_cell(&self) -> Cell<'_> {
        self.map_or(Cell::Null, Cell::Timestamp)
    }
}
impl AsCell for Vec<String> {
    fn as_cell(&self) -> Cell<'_> {
        Cell::List(self)
    }
}

/// One value to put into a record, owned: what [`JobRecord::set`] takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Owned {
    /// No value (an empty list for list columns).
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
    /// A list of texts.
    List(Vec<String>),
}

/// Sets a record field from an [`Owned`] value of the matching kind.
trait FromOwned: Sized {
    fn from_owned(value: Owned) -> Option<Self>;
}

impl FromOwned for String {
    fn from_owned(value: Owned) -> Option<Self> {
        match value {
            Owned::Text(t) => Some(t),
            _ => None,
        }
    }
}
impl FromOwned for Option<String> {
    fn from_owned(value: Owned) -> Option<Self> {
        match value {
            Owned::Null => Some(None),
            Owned::Text(t) => Some(Some(t)),
            _ => None,
        }
    }
}
impl FromOwned for Option<f64> {
    fn from_owned(value: Owned) -> Option<Self> {
        match value {
            Owned::Null => Some(None),
            Owned::Float(f) => Some(Some(f)),
            Owned::Int(i) => Some(Some(i as f64)),
            _ => None,
        }
    }
}
impl FromOwned for Option<i64> {
    fn from_owned(value: Owned) -> Option<Self> {
        match value {
            Owned::Null => Some(None),
            Owned::Int(i) => Some(Some(i)),
            _ => None,
        }
    }
}
impl FromOwned for Option<bool> {
    fn from_owned(value: Owned) -> Option<Self> {
        match value {
            Owned::Null => Some(None),
            Owned::Bool(b) => Some(Some(b)),
            _ => None,
        }
    }
}
impl FromOwned for Option<DateTime<Utc>> {
    fn from_owned(value: Owned) -> Option<Self> {
        match value {
            Owned::Null => Some(None),
            Owned::Timestamp(t) => Some(Some(t)),
            _ => None,
        }
    }
}
impl FromOwned for Vec<String> {
    fn from_owned(value: Owned) -> Option<Self> {
        match value {
            Owned::Null => Some(Vec::new()),
            Owned::List(l) => Some(l),
            _ => None,
        }
    }
}

macro_rules! field_type {
    (Key) => { String };
    (Text) => { Option<String> };
    (Json) => { Option<String> };
    (Float) => { Option<f64> };
    (Int) => { Option<i64> };
    (Bool) => { Option<bool> };
    (Timestamp) => { Option<DateTime<Utc>> };
    (TextList) => { Vec<String> };
}

macro_rules! column_kind {
    (Key) => {
        ColumnKind::Text
    };
    ($kind:ident) => {
        ColumnKind::$kind
    };
}

macro_rules! job_record {
    ($( #[doc = $doc:literal] $(#[$personal:ident])? $name:ident : $kind:ident, )*) => {
        /// A job offer, normalized across boards.
        ///
        /// Build one with [`JobRecord::new`] and set the public fields; the
        /// struct is `#[non_exhaustive]` so columns can be added without
        /// breaking connectors.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[non_exhaustive]
        pub struct JobRecord {
            $( #[doc = $doc] pub $name: field_type!($kind), )*
        }

        /// Every column of [`JobRecord`], in output order.
        pub const COLUMNS: &[Column] = &[
            $( Column {
                name: stringify!($name),
                kind: column_kind!($kind),
                doc: $doc,
                personal: job_record!(@personal $($personal)?),
            }, )*
        ];

        const GETTERS: &[for<'a> fn(&'a JobRecord) -> Cell<'a>] = &[
            $( |r| r.$name.as_cell(), )*
        ];

        const SETTERS: &[fn(&mut JobRecord, Owned) -> bool] = &[
            $( |r, v| match FromOwned::from_owned(v) {
                Some(v) => {
                    r.$name = v;
                    true
                }
                None => false,
            }, )*
        ];
    };
    (@personal personal) => { true };
    (@personal) => { false };
}

job_record! {
    /// The connector that produced the record (`france_travail`, ...).
    source: Key,
    /// The offer's id on its board.
    source_id: Key,
    /// The offer's title.
    title: Text,
    /// The offer's full text.
    description: Text,
    /// The employer's name, when the board discloses it.
    company_name: Text,
    /// The place of work as the board labels it.
    location_label: Text,
    /// The postal code of the place of work.
    postal_code: Text,
    /// The official code of the commune (INSEE code in France).
    commune_code: Text,
    /// The département (or region) code of the place of work.
    department_code: Text,
    /// Latitude of the place of work (WGS 84).
    latitude: Float,
    /// Longitude of the place of work (WGS 84).
    longitude: Float,
    /// The contract type code (`CDI`, `CDD`, `MIS`, ...).
    contract_type: Text,
    /// The contract type as the board labels it.
    contract_label: Text,
    /// The nature of the contract (`Contrat travail`, `Contrat apprentissage`, ...).
    contract_nature: Text,
    /// When the offer was created (UTC).
    created_at: Timestamp,
    /// When the offer was last updated (UTC).
    updated_at: Timestamp,
    /// The salary as the board labels it.
    salary_label: Text,
    /// The lowest amount of the salary range, in `salary_period` units.
    salary_min: Float,
    /// The highest amount of the salary range (equal to `salary_min` for a single amount).
    salary_max: Float,
    /// `hourly`, `daily`, `weekly`, `monthly` or `yearly`.
    salary_period: Text,
    /// A free comment on the salary.
    salary_comment: Text,
    /// Benefits listed with the salary (meal vouchers, bonuses, ...).
    salary_extras: TextList,
    /// Every skill asked for.
    skills: TextList,
    /// Every soft skill (professional quality) asked for.
    soft_skills: TextList,
    /// Every education requirement (level and field).
    education: TextList,
    /// Every language requirement.
    languages: TextList,
    /// Every driving licence requirement.
    driving_licences: TextList,
    /// Experience code (`D` beginner accepted, `S` desired, `E` required).
    experience_code: Text,
    /// Experience as the board labels it.
    experience_label: Text,
    /// The occupation code (ROME code in France).
    occupation_code: Text,
    /// The occupation label.
    occupation_label: Text,
    /// The job title in the occupation nomenclature.
    job_title_label: Text,
    /// The industry code (NAF code in France).
    industry_code: Text,
    /// The industry label.
    industry_label: Text,
    /// The qualification level label.
    qualification_label: Text,
    /// Working hours as labelled (`35H/semaine`).
    work_hours_label: Text,
    /// Full or part time as labelled (`Temps plein`).
    work_time: Text,
    /// How many people are hired through this offer.
    positions: Int,
    /// Whether the offer is a work-study (alternance) contract.
    alternance: Bool,
    /// Whether the offer is open to disabled workers (RQTH).
    disability_friendly: Bool,
    /// Whether the board flags the occupation as short of candidates.
    candidate_shortage: Bool,
    /// The employer's self-description.
    company_description: Text,
    /// The employer's website.
    company_url: Text,
    /// Whether the employer is an adapted company (entreprise adaptée).
    company_adapted: Bool,
    /// Where the offer comes from on the board (`france_travail`, `partner`).
    origin: Text,
    /// Partner sites that also carry the offer.
    partners: TextList,
    /// Where to apply, when the board gives a link.
    apply_url: Text,
    /// The offer's page.
    url: Text,
    /// Whether the job can be done remotely, as the board flags it (null when it says nothing).
    remote: Bool,
    /// Free tags the board attaches to the offer.
    tags: TextList,
    /// The salary's currency (ISO 4217: `EUR`, `GBP`, ...).
    salary_currency: Text,
    /// Whether the board estimated the salary (true) rather than the employer posting it (false).
    salary_predicted: Bool,
    /// The attribution the board's terms ask reusers to show (source and update date, "Jobs by Adzuna", ...).
    attribution: Text,
    /// The licence the board publishes its offers under, as it names it.
    licence: Text,
    /// A cross-board duplicate key: normalized company, title, city and publication week, hashed.
    fingerprint: Text,
    /// What this run saw happen to the offer: `new`, `updated`, `removed` (null in a full run).
    change: Text,
    /// When a harvest first saw the offer (UTC; set by runs that keep state).
    first_seen_at: Timestamp,
    /// When a harvest last saw the offer (UTC; set by runs that keep state).
    last_seen_at: Timestamp,
    /// When the board was confirmed to have removed the offer (UTC).
    removed_at: Timestamp,
    /// Recruiter's name (personal data: only with `include_personal_data`).
    #[personal]
    contact_name: Text,
    /// Recruiter's phone (personal data: only with `include_personal_data`).
    #[personal]
    contact_phone: Text,
    /// Recruiter's e-mail or postal details (personal data: only with `include_personal_data`).
    #[personal]
    contact_details: Text,
    /// The untouched payload from the board, as JSON text.
    raw: Json,
}

impl JobRecord {
    /// A record with its key set and every other field empty.
    pub fn new(source: impl Into<String>, source_id: impl Into<String>) -> Self {
        JobRecord {
            source: source.into(),
            source_id: source_id.into(),
            ..JobRecord::default()
        }
    }

    /// The value of column `index` (an index into [`COLUMNS`]).
    ///
    /// # Panics
    /// When `index >= COLUMNS.len()`.
    pub fn cell(&self, index: usize) -> Cell<'_> {
        GETTERS[index](self)
    }

    /// Sets column `index` (an index into [`COLUMNS`]) to `value`, which
    /// must be of the column's kind ([`Owned::Int`] also fits a float
    /// column, [`Owned::Null`] any column but the key). Returns whether it
    /// was set: `false` leaves the record as it was.
    ///
    /// # Panics
    /// When `index >= COLUMNS.len()`.
    pub fn set(&mut self, index: usize, value: Owned) -> bool {
        SETTERS[index](self, value)
    }

    /// Every cell, in [`COLUMNS`] order.
    pub fn cells(&self) -> impl Iterator<Item = Cell<'_>> {
        GETTERS.iter().map(move |get| get(self))
    }
}

/// The index of the column called `name`.
pub fn column_index(name: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| c.name == name)
}

/// A batch of records, the unit that flows from sources to sinks.
pub type Batch = std::sync::Arc<Vec<JobRecord>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_table_matches_struct() {
        assert_eq!(COLUMNS.len(), GETTERS.len());
        let mut r = JobRecord::new("france_travail", "048KLTP");
        r.latitude = Some(48.8);
        r.skills = vec!["SQL".into(), "Python".into()];
        assert_eq!(
            r.cell(column_index("source").unwrap()),
            Cell::Text("france_travail")
        );
        assert_eq!(
            r.cell(column_index("source_id").unwrap()),
            Cell::Text("048KLTP")
        );
        assert_eq!(r.cell(column_index("latitude").unwrap()), Cell::Float(48.8));
        assert_eq!(r.cell(column_index("title").unwrap()), Cell::Null);
        match r.cell(column_index("skills").unwrap()) {
            Cell::List(l) => assert_eq!(l, ["SQL", "Python"]),
            other => panic!("skills is {other:?}"),
        }
    }

    #[test]
    fn set_takes_values_of_the_column_kind_only() {
        let mut r = JobRecord::new("s", "1");
        let at = |name| column_index(name).unwrap();
        assert!(r.set(at("title"), Owned::Text("Data analyst".into())));
        assert!(r.set(at("salary_min"), Owned::Int(42000)));
        assert!(r.set(at("remote"), Owned::Bool(true)));
        assert!(r.set(at("tags"), Owned::List(vec!["a".into()])));
        assert_eq!(r.title.as_deref(), Some("Data analyst"));
        assert_eq!(r.salary_min, Some(42000.0));
        assert_eq!(r.remote, Some(true));
        assert_eq!(r.tags, ["a"]);
        assert!(!r.set(at("latitude"), Owned::Text("north".into())));
        assert!(
            !r.set(at("source_id"), Owned::Null),
            "the key is never null"
        );
        assert!(r.set(at("tags"), Owned::Null));
        assert!(r.tags.is_empty());
        assert_eq!(r.latitude, None);
    }

    #[test]
    fn fixed_columns_are_present_with_their_kinds() {
        for (name, kind) in [
            ("source", ColumnKind::Text),
            ("source_id", ColumnKind::Text),
            ("created_at", ColumnKind::Timestamp),
            ("salary_min", ColumnKind::Float),
            ("skills", ColumnKind::TextList),
            ("raw", ColumnKind::Json),
        ] {
            let i = column_index(name).unwrap_or_else(|| panic!("missing column {name}"));
            assert_eq!(COLUMNS[i].kind, kind, "{name}");
        }
        let personal: Vec<_> = COLUMNS
            .iter()
            .filter(|c| c.personal)
            .map(|c| c.name)
            .collect();
        assert_eq!(
            personal,
            ["contact_name", "contact_phone", "contact_details"]
        );
    }
}
