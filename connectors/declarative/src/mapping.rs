//! A definition's `fields:`, compiled: one offer (JSON) → one
//! [`JobRecord`].
//!
//! Each field reads its value (pointers or a constant), runs its steps and
//! converts the result to its column's type. A value that does not convert
//! is left null and reported with the column's name, so the source can
//! count it as a data-quality warning; an offer without a `source_id` is
//! an error, which the source reports and skips.

use jobharvest_core::{
    COLUMNS, ColumnKind, Error, ErrorKind, JobRecord, NormalizeOptions, Normalizer, Owned, Result,
    column_index,
};
use std::borrow::Cow;

use serde_json::Value;

use crate::pointer::Pointer;
use crate::steps::{Step, Val, parse_number, scalar_str};
use crate::text::time;

/// Where a field's value comes from.
#[derive(Debug, Clone)]
pub enum From {
    /// One pointer (a list when it has `*`).
    One(Pointer),
    /// Several pointers: the list of their values.
    Many(Vec<Pointer>),
    /// A constant.
    Const(Value),
}

/// One compiled field.
#[derive(Debug, Clone)]
pub struct Field {
    /// The column's index in [`COLUMNS`].
    pub column: usize,
    /// Where the value comes from.
    pub from: From,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Whether this is `source_id` (set by [`Mapping::new`]).
    pub is_id: bool,
    /// Whether no other field reads its pointer, so that
    /// [`Mapping::map_owned`] may move the value out of the offer (set by
    /// [`Mapping::new`]).
    pub moves: bool,
    /// Its pointers as slots (set by [`Mapping::new`] when the mapping
    /// parses by slots).
    pub(crate) slotted: Slotted,
}

impl Field {
    /// The field's value in `offer`, through its steps; borrowed from the
    /// offer until a step makes a new one.
    pub fn read<'a>(&'a self, offer: &'a Value) -> Val<'a> {
        let value = match &self.from {
            From::One(p) if p.is_many() => match p.whole_list(offer) {
                Some(list) => Val::from_ref(list),
                None => p.resolve(offer).map_or(Val::Null, Val::from_json),
            },
            From::One(p) => p.get(offer).map_or(Val::Null, Val::from_ref),
            From::Many(ps) => {
                let mut found = Vec::new();
                for p in ps {
                    p.collect(offer, &mut found);
                }
                Val::from_json(Value::Array(found.into_iter().cloned().collect()))
            }
            From::Const(v) => Val::from_ref(v),
        };
        self.steps.iter().fold(value, |v, step| step.apply(v))
    }
}

/// The salary columns the `salary` step fills when the definition does
/// not map them itself.
const SALARY_PARTS: [&str; 4] = [
    "salary_min",
    "salary_max",
    "salary_period",
    "salary_currency",
];

/// A board's compiled `fields:`.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// The board's name: the `source` column.
    pub board: &'static str,
    /// The fields, `source_id` first.
    pub fields: Vec<Field>,
    /// The salary columns the `salary` step may fill (indexes, in
    /// [`SALARY_PARTS`] order; `None` for those mapped explicitly).
    salary_targets: [Option<usize>; 4],
    /// Written to `attribution` unless a field maps it.
    pub attribution: Option<String>,
    /// Written to `licence` unless a field maps it.
    pub licence: Option<String>,
    /// The offer's top-level keys the fields read, when every field reads
    /// below one: a replayed offer is then parsed into these slots only
    /// ([`Mapping::map_text`]), without building the whole JSON tree.
    slots: Option<Vec<String>>,
}

/// Where a field's pointers start among the [`Mapping`]'s slots: (slot,
/// the rest of the pointer), one per pointer of `from`.
type Slotted = Vec<(usize, Pointer)>;

/// A mapped offer.
#[derive(Debug)]
pub struct Mapped {
    /// The record.
    pub record: JobRecord,
    /// Columns whose value did not convert (left null).
    pub problems: Vec<&'static str>,
}

impl Mapping {
    /// A mapping of `fields` (with `source_id` among them) for `board`.
    pub fn new(
        board: &'static str,
        mut fields: Vec<Field>,
        attribution: Option<String>,
        licence: Option<String>,
    ) -> Mapping {
        let id = column_index("source_id").expect("source_id column");
        fields.sort_by_key(|f| f.column != id);
        let mut readers: std::collections::HashMap<String, usize> = Default::default();
        for f in &fields {
            match &f.from {
                From::One(p) => *readers.entry(p.as_str().to_string()).or_default() += 1,
                From::Many(ps) => {
                    for p in ps {
                        *readers.entry(p.as_str().to_string()).or_default() += 1;
                    }
                }
                From::Const(_) => {}
            }
        }
        for f in &mut fields {
            f.is_id = f.column == id;
            // A pointer that another field reads, or one inside another's
            // (`/a` and `/a/b`), must stay in the offer.
            f.moves = match &f.from {
                From::One(p) if !p.is_many() => {
                    readers.get(p.as_str()) == Some(&1)
                        && !readers.keys().any(|other| {
                            other != p.as_str()
                                && (other.starts_with(&format!("{}/", p.as_str()))
                                    || p.as_str().starts_with(&format!("{other}/")))
                        })
                }
                _ => false,
            };
        }
        let slots = slot_keys(&fields);
        if let Some(keys) = &slots {
            for f in &mut fields {
                let pointers: Vec<&Pointer> = match &f.from {
                    From::One(p) => vec![p],
                    From::Many(ps) => ps.iter().collect(),
                    From::Const(_) => vec![],
                };
                f.slotted = pointers
                    .into_iter()
                    .filter_map(|p| {
                        let (key, rest) = p.split_first()?;
                        Some((keys.iter().position(|k| k == key)?, rest))
                    })
                    .collect();
            }
        }
        let mapped = |name: &str| fields.iter().any(|f| COLUMNS[f.column].name == name);
        let salary_targets =
            SALARY_PARTS.map(|name| (!mapped(name)).then(|| column_index(name)).flatten());
        let attribution = attribution.filter(|_| !mapped("attribution"));
        let licence = licence.filter(|_| !mapped("licence"));
        Mapping {
            board,
            fields,
            salary_targets,
            attribution,
            licence,
            slots,
        }
    }

    /// Maps one offer; `raw` is its JSON text, kept in `raw` unless the
    /// options leave it out.
    ///
    /// # Errors
    /// [`ErrorKind::Parse`] when the offer has no `source_id`.
    pub fn map(
        &self,
        offer: &Value,
        raw: Option<String>,
        options: &NormalizeOptions,
    ) -> Result<Mapped> {
        let mut out = Building::new(self.board);
        for field in &self.fields {
            if !out.wants(field, options) {
                continue;
            }
            out.put(self, field, field.read(offer));
        }
        let raw = (!options.leave_out_raw)
            .then(|| raw.or_else(|| serde_json::to_string(offer).ok()))
            .flatten();
        out.finish(self, raw)
    }

    /// As [`Mapping::map`], taking the offer: a value only one field reads
    /// is moved into the record rather than copied (most of an offer's
    /// text, on most boards).
    ///
    /// # Errors
    /// As [`Mapping::map`].
    pub fn map_owned(
        &self,
        mut offer: Value,
        raw: Option<String>,
        options: &NormalizeOptions,
    ) -> Result<Mapped> {
        let raw = if options.leave_out_raw {
            None
        } else {
            raw.or_else(|| serde_json::to_string(&offer).ok())
        };
        let mut out = Building::new(self.board);
        for field in &self.fields {
            if !out.wants(field, options) {
                continue;
            }
            match (&field.from, field.moves) {
                (From::One(p), true) => {
                    let value = p.take(&mut offer).map_or(Val::Null, Val::from_json);
                    let value = field.steps.iter().fold(value, |v, step| step.apply(v));
                    out.put(self, field, value);
                }
                _ => out.put(self, field, field.read(&offer)),
            }
        }
        out.finish(self, raw)
    }
}

impl Mapping {
    /// Maps an offer given as JSON text: parsed into the slots of the keys
    /// the fields read when the mapping allows it (keys no field reads are
    /// skipped unparsed, no key is allocated), else into a JSON tree.
    ///
    /// # Errors
    /// [`ErrorKind::Parse`] when the text is not a JSON object, or the
    /// offer has no `source_id`.
    pub fn map_text(&self, text: &str, options: &NormalizeOptions) -> Result<Mapped> {
        let invalid = |e: serde_json::Error| {
            Error::new(
                ErrorKind::Parse,
                format!("not a {} offer (invalid JSON: {e})", self.board),
            )
        };
        let raw = (!options.leave_out_raw).then(|| text.to_string());
        let Some(keys) = &self.slots else {
            let offer: Value = serde_json::from_str(text).map_err(invalid)?;
            return self.map_owned(offer, raw, options);
        };
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_str(text);
        let mut slots = SlotsSeed(keys).deserialize(&mut de).map_err(invalid)?;
        de.end().map_err(invalid)?;
        let mut out = Building::new(self.board);
        for field in &self.fields {
            if !out.wants(field, options) {
                continue;
            }
            let value = match (&field.from, field.slotted.as_slice()) {
                (From::Const(v), _) => Val::from_ref(v),
                (From::One(p), [(slot, rest)]) if field.moves && !p.is_many() => rest
                    .take(&mut slots[*slot])
                    .map_or(Val::Null, Val::from_json),
                (From::One(p), [(slot, rest)]) if !p.is_many() => {
                    rest.get(&slots[*slot]).map_or(Val::Null, Val::from_ref)
                }
                (_, slotted) => {
                    let mut found = Vec::new();
                    for (slot, rest) in slotted {
                        rest.collect(&slots[*slot], &mut found);
                    }
                    let list = found.into_iter().cloned().collect();
                    Val::from_json(Value::Array(list))
                }
            };
            let value = field.steps.iter().fold(value, |v, step| step.apply(v));
            out.put(self, field, value);
        }
        out.finish(self, raw)
    }
}

/// The top-level keys the fields read, when every pointer starts with a
/// key (none reads the whole offer or every key with `*`).
fn slot_keys(fields: &[Field]) -> Option<Vec<String>> {
    let mut keys: Vec<String> = Vec::new();
    for f in fields {
        let pointers: Vec<&Pointer> = match &f.from {
            From::One(p) => vec![p],
            From::Many(ps) => ps.iter().collect(),
            From::Const(_) => continue,
        };
        for p in pointers {
            let (key, _) = p.split_first()?;
            if !keys.iter().any(|k| k == key) {
                keys.push(key.to_string());
            }
        }
    }
    Some(keys)
}

/// Parses a JSON object into the values of `keys` (null where absent),
/// skipping the others.
struct SlotsSeed<'k>(&'k [String]);

impl<'de> serde::de::DeserializeSeed<'de> for SlotsSeed<'_> {
    type Value = Vec<Value>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Vec<Value>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for SlotsSeed<'_> {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an offer (a JSON object)")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Vec<Value>, A::Error> {
        let mut slots = vec![Value::Null; self.0.len()];
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match self.0.iter().position(|k| *k == *key) {
                Some(i) => slots[i] = map.next_value()?,
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(slots)
    }
}

/// A record being filled, and the columns whose value did not fit.
struct Building {
    record: JobRecord,
    problems: Vec<&'static str>,
}

impl Building {
    fn new(board: &'static str) -> Self {
        Building {
            record: JobRecord::new(board, String::new()),
            problems: Vec::new(),
        }
    }

    /// Whether `field` is written at all (personal data only on request).
    fn wants(&self, field: &Field, options: &NormalizeOptions) -> bool {
        !COLUMNS[field.column].personal || options.include_personal_data
    }

    fn put(&mut self, mapping: &Mapping, field: &Field, value: Val<'_>) {
        let column = &COLUMNS[field.column];
        if let Val::Salary(_, salary) = &value {
            let parts = [
                salary.min.map(Owned::Float),
                salary.max.map(Owned::Float),
                salary.period.map(|p| Owned::Text(p.to_string())),
                salary.currency.map(|c| Owned::Text(c.to_string())),
            ];
            for (target, part) in mapping.salary_targets.iter().zip(parts) {
                if let (Some(target), Some(part)) = (target, part) {
                    self.record.set(*target, part);
                }
            }
        }
        match convert(value, column.kind) {
            Ok(Owned::Text(id)) if field.is_id => self.record.source_id = id,
            Ok(_) if field.is_id => {}
            Ok(owned) => {
                self.record.set(field.column, owned);
            }
            Err(()) => self.problems.push(column.name),
        }
    }

    fn finish(self, mapping: &Mapping, raw: Option<String>) -> Result<Mapped> {
        let mut record = self.record;
        if record.source_id.is_empty() {
            return Err(Error::new(
                ErrorKind::Parse,
                format!("a {} offer without a `source_id`", mapping.board),
            ));
        }
        if record.attribution.is_none() {
            record.attribution.clone_from(&mapping.attribution);
        }
        if record.licence.is_none() {
            record.licence.clone_from(&mapping.licence);
        }
        record.raw = raw;
        Ok(Mapped {
            record,
            problems: self.problems,
        })
    }
}

/// A value → the column's kind. `Err` when it does not fit. Texts are
/// copied out of the offer once, or moved when a step made them.
fn convert(value: Val<'_>, kind: ColumnKind) -> std::result::Result<Owned, ()> {
    let json = match value {
        Val::Null => return Ok(Owned::Null),
        Val::Time(t) => {
            return match kind {
                ColumnKind::Timestamp => Ok(Owned::Timestamp(t)),
                ColumnKind::Text => Ok(Owned::Text(t.to_rfc3339())),
                _ => Err(()),
            };
        }
        Val::Salary(label, _) => Cow::Owned(Value::String(label)),
        Val::Json(v) => v,
    };
    match kind {
        ColumnKind::Text | ColumnKind::Json => match json {
            Cow::Owned(Value::String(s)) => Ok(text_or_null(s)),
            v => match v.as_ref() {
                Value::Array(items) => {
                    let parts: Vec<Cow<'_, str>> = items.iter().filter_map(scalar_str).collect();
                    Ok(text_or_null(parts.join(", ")))
                }
                Value::String(s) => Ok(borrowed_text(s)),
                other => scalar_str(other)
                    .map(|t| text_or_null(t.into_owned()))
                    .ok_or(()),
            },
        },
        ColumnKind::Float => match json.as_ref() {
            Value::Number(n) => n.as_f64().map(Owned::Float).ok_or(()),
            Value::String(s) => parse_number(s).map(Owned::Float).ok_or(()),
            _ => Err(()),
        },
        ColumnKind::Int => {
            let n = match json.as_ref() {
                Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
                Value::String(s) => parse_number(s).map(|f| f as i64),
                _ => None,
            };
            n.map(Owned::Int).ok_or(())
        }
        ColumnKind::Bool => match json.as_ref() {
            Value::Bool(b) => Ok(Owned::Bool(*b)),
            Value::Number(n) => match n.as_f64() {
                Some(0.0) => Ok(Owned::Bool(false)),
                Some(1.0) => Ok(Owned::Bool(true)),
                _ => Err(()),
            },
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(Owned::Bool(true)),
                "false" | "0" | "no" => Ok(Owned::Bool(false)),
                _ => Err(()),
            },
            _ => Err(()),
        },
        ColumnKind::Timestamp => match json.as_ref() {
            Value::String(s) => time::parse_datetime(s, None)
                .map(Owned::Timestamp)
                .ok_or(()),
            _ => Err(()),
        },
        ColumnKind::TextList => match json.as_ref() {
            Value::Array(items) => Ok(Owned::List(
                items
                    .iter()
                    .filter_map(scalar_str)
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
            )),
            v => scalar_str(v)
                .map(|t| Owned::List(vec![t.trim().to_string()]))
                .ok_or(()),
        },
    }
}

/// A text of the offer, trimmed, copied once.
fn borrowed_text(text: &str) -> Owned {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Owned::Null
    } else {
        Owned::Text(trimmed.to_string())
    }
}

fn text_or_null(text: String) -> Owned {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Owned::Null
    } else if trimmed.len() == text.len() {
        Owned::Text(text)
    } else {
        Owned::Text(trimmed.to_string())
    }
}

/// A board's mapping as a [`Normalizer`], so `replay` re-runs its archives.
#[derive(Debug, Clone)]
pub struct DefinitionNormalizer(pub std::sync::Arc<Mapping>);

impl Normalizer for DefinitionNormalizer {
    fn normalize(&self, raw: &str, options: &NormalizeOptions) -> Result<JobRecord> {
        Ok(self.0.map_text(raw, options)?.record)
    }
}
