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
}

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
        let mut record = JobRecord::new(self.board, String::new());
        let mut problems = Vec::new();
        for field in &self.fields {
            let column = &COLUMNS[field.column];
            if column.personal && !options.include_personal_data {
                continue;
            }
            let value = field.read(offer);
            if let Val::Salary(_, salary) = &value {
                let parts = [
                    salary.min.map(Owned::Float),
                    salary.max.map(Owned::Float),
                    salary.period.map(|p| Owned::Text(p.to_string())),
                    salary.currency.map(|c| Owned::Text(c.to_string())),
                ];
                for (target, part) in self.salary_targets.iter().zip(parts) {
                    if let (Some(target), Some(part)) = (target, part) {
                        record.set(*target, part);
                    }
                }
            }
            match convert(value, column.kind) {
                Ok(owned) => {
                    if column.name == "source_id" {
                        if let Owned::Text(id) = owned {
                            record.source_id = id;
                        }
                    } else {
                        record.set(field.column, owned);
                    }
                }
                Err(()) => problems.push(column.name),
            }
        }
        if record.source_id.is_empty() {
            return Err(Error::new(
                ErrorKind::Parse,
                format!("a {} offer without a `source_id`", self.board),
            ));
        }
        if record.attribution.is_none() {
            record.attribution = self.attribution.clone();
        }
        if record.licence.is_none() {
            record.licence = self.licence.clone();
        }
        if !options.leave_out_raw {
            record.raw = raw.or_else(|| serde_json::to_string(offer).ok());
        }
        Ok(Mapped { record, problems })
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
        let offer: Value = serde_json::from_str(raw).map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!("not a {} offer (invalid JSON: {e})", self.0.board),
            )
        })?;
        let raw = (!options.leave_out_raw).then(|| raw.to_string());
        Ok(self.0.map(&offer, raw, options)?.record)
    }
}
