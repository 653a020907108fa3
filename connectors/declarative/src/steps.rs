//! The steps a field's value goes through (`via:`): a closed, typed set,
//! parsed when the definition loads and applied per offer.
//!
//! Steps work on [`Val`]: a JSON value, an instant, or a parsed salary.
//! Steps on single values (`trim`, `number`, `html_to_text`, ...) apply to
//! each element of a list; `join` and `first` take the list itself.

use std::borrow::Cow;
use std::collections::HashMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use crate::text::salary::{Salary, parse_salary};
use crate::text::{html, time};

/// A value on its way through the steps: borrowed from the offer until a
/// step makes a new one, so that a long description is read in place.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// Nothing.
    Null,
    /// A value as the board sent it (or as a step made it).
    Json(Cow<'a, Value>),
    /// An instant (from a date step).
    Time(DateTime<Utc>),
    /// A salary label and what it says (from the `salary` step).
    Salary(String, Salary),
}

impl<'a> Val<'a> {
    /// `Null` for JSON null and empty texts and lists.
    pub fn from_json(value: Value) -> Val<'a> {
        if is_empty(&value) {
            Val::Null
        } else {
            Val::Json(Cow::Owned(value))
        }
    }

    /// As [`Val::from_json`], borrowing.
    pub fn from_ref(value: &'a Value) -> Val<'a> {
        if is_empty(value) {
            Val::Null
        } else {
            Val::Json(Cow::Borrowed(value))
        }
    }

    /// A text made by a step.
    fn text(text: String) -> Val<'a> {
        Val::from_json(Value::String(text))
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// One step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// HTML → text.
    HtmlToText,
    /// Seconds since 1970 → instant.
    UnixSeconds,
    /// Milliseconds since 1970 → instant.
    UnixMillis,
    /// Seconds or milliseconds, guessed from the magnitude.
    Unix,
    /// RFC 3339 text → instant; zone-less values read in the zone, if any.
    Datetime(Option<Tz>),
    /// Text in a strftime format → instant.
    Date(String),
    /// Numeric text → number.
    Number,
    /// Yes/no text → boolean.
    Bool,
    /// List → text.
    Join(String),
    /// Text → list.
    Split(String),
    /// Replaces values found in the map.
    Map(HashMap<String, Value>),
    /// Values in the list become null.
    NullIf(Vec<Value>),
    /// Trims spaces.
    Trim,
    /// Lower case.
    Lower,
    /// Upper case.
    Upper,
    /// The first element of a list.
    First,
    /// The value in place of `{}`.
    Template(String),
    /// Text → base64 (standard alphabet; without `=` padding when
    /// `false`).
    Base64 {
        /// Whether `=` pads the end.
        padded: bool,
    },
    /// A value when there is none.
    Default(Value),
    /// Any value becomes this one (null stays null): a constant that
    /// holds only when the board sent something.
    Set(Value),
    /// Whether the text, or any element of the list, contains this text
    /// (case-insensitive): `true` or `false`, null when there is nothing.
    Contains(String),
    /// A free-text salary label → what it says.
    Salary,
}

/// The names of the steps, for messages.
pub const STEP_NAMES: &[&str] = &[
    "html_to_text",
    "unix_seconds",
    "unix_millis",
    "unix",
    "datetime",
    "date",
    "number",
    "bool",
    "join",
    "split",
    "map",
    "null_if",
    "trim",
    "lower",
    "upper",
    "first",
    "template",
    "base64",
    "default",
    "set",
    "contains",
    "salary",
];

fn text_arg(name: &str, arg: &Value) -> Result<String, String> {
    match arg {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!(
            "`{name}` takes a text, e.g. `{{{name}: \", \"}}`; found {other}"
        )),
    }
}

impl Step {
    /// Parses one entry of a `via:` list: a name, or a one-key map.
    ///
    /// # Errors
    /// A sentence naming the unknown step or the bad argument.
    pub fn parse(entry: &Value) -> Result<Step, String> {
        let (name, arg) = match entry {
            Value::String(name) => (name.as_str(), None),
            Value::Object(map) if map.len() == 1 => {
                let (k, v) = map.iter().next().expect("one key");
                (k.as_str(), Some(v))
            }
            other => {
                return Err(format!(
                    "a step is a name (`trim`) or a map with one key (`{{join: \", \"}}`); found {other}"
                ));
            }
        };
        let needs = |what: &str| format!("`{name}` needs an argument: `{{{name}: {what}}}`");
        let step = match (name, arg) {
            ("html_to_text", None) => Step::HtmlToText,
            ("unix_seconds", None) => Step::UnixSeconds,
            ("unix_millis", None) => Step::UnixMillis,
            ("unix", None) => Step::Unix,
            ("datetime", None) => Step::Datetime(None),
            ("datetime", Some(zone)) => {
                Step::Datetime(Some(time::parse_zone(&text_arg(name, zone)?)?))
            }
            ("date", Some(format)) => {
                let format = text_arg(name, format)?;
                time::check_format(&format)?;
                Step::Date(format)
            }
            ("date", None) => return Err(needs("\"%d/%m/%Y\"")),
            ("number", None) => Step::Number,
            ("bool", None) => Step::Bool,
            ("join", Some(sep)) => Step::Join(text_arg(name, sep)?),
            ("join", None) => Step::Join(", ".into()),
            ("split", Some(sep)) => Step::Split(text_arg(name, sep)?),
            ("split", None) => return Err(needs("\",\"")),
            ("map", Some(Value::Object(map))) => {
                Step::Map(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            }
            ("map", _) => return Err(needs("{FROM: TO, ...}")),
            ("null_if", Some(Value::Array(values))) => Step::NullIf(values.clone()),
            ("null_if", Some(value)) => Step::NullIf(vec![value.clone()]),
            ("null_if", None) => return Err(needs("[0, \"\"]")),
            ("trim", None) => Step::Trim,
            ("lower", None) => Step::Lower,
            ("upper", None) => Step::Upper,
            ("first", None) => Step::First,
            ("template", Some(t)) => {
                let t = text_arg(name, t)?;
                if !t.contains("{}") {
                    return Err(format!(
                        "`template: {t:?}` has no `{{}}` to put the value in"
                    ));
                }
                Step::Template(t)
            }
            ("template", None) => return Err(needs("\"https://example.org/jobs/{}\"")),
            ("base64", None) => Step::Base64 { padded: true },
            ("base64", Some(Value::String(mode))) if mode == "unpadded" => {
                Step::Base64 { padded: false }
            }
            ("base64", Some(other)) => {
                return Err(format!(
                    "`base64` takes no argument, or `unpadded` (`{{base64: unpadded}}`); found {other}"
                ));
            }
            ("default", Some(v)) => Step::Default(v.clone()),
            ("set", Some(v)) => Step::Set(v.clone()),
            ("set", None) => return Err(needs("VALUE")),
            ("contains", Some(t)) => Step::Contains(text_arg(name, t)?.to_lowercase()),
            ("contains", None) => return Err(needs("\"remote\"")),
            ("default", None) => return Err(needs("VALUE")),
            ("salary", None) => Step::Salary,
            (known, Some(_)) if STEP_NAMES.contains(&known) => {
                return Err(format!(
                    "`{known}` takes no argument; write it as `{known}`"
                ));
            }
            (unknown, _) => {
                let hint = STEP_NAMES
                    .iter()
                    .find(|k| jobharvest_core::registry::similar(k, unknown))
                    .map(|k| format!(" Did you mean `{k}`?"))
                    .unwrap_or_default();
                return Err(format!(
                    "unknown step `{unknown}`; the steps are {}.{hint}",
                    STEP_NAMES.join(", ")
                ));
            }
        };
        Ok(step)
    }

    /// Applies the step.
    pub fn apply<'a>(&self, value: Val<'a>) -> Val<'a> {
        match self {
            Step::Default(v) => match value {
                Val::Null => Val::from_json(v.clone()),
                other => other,
            },
            _ if value == Val::Null => Val::Null,
            Step::Set(v) => Val::from_json(v.clone()),
            Step::Contains(needle) => {
                let found = match &value {
                    Val::Json(v) => match v.as_ref() {
                        Value::Array(items) => items
                            .iter()
                            .filter_map(scalar_str)
                            .any(|t| t.to_lowercase().contains(needle.as_str())),
                        other => scalar_str(other)
                            .is_some_and(|t| t.to_lowercase().contains(needle.as_str())),
                    },
                    Val::Salary(label, _) => label.to_lowercase().contains(needle.as_str()),
                    _ => false,
                };
                Val::Json(Cow::Owned(Value::Bool(found)))
            }
            Step::Join(sep) => match value {
                Val::Json(v) => match v.as_ref() {
                    Value::Array(items) => {
                        let parts: Vec<Cow<'_, str>> =
                            items.iter().filter_map(scalar_str).collect();
                        Val::text(parts.join(sep))
                    }
                    _ => Val::Json(v),
                },
                other => other,
            },
            Step::First => match value {
                Val::Json(Cow::Borrowed(Value::Array(items))) => items
                    .iter()
                    .map(Val::from_ref)
                    .find(|v| *v != Val::Null)
                    .unwrap_or(Val::Null),
                Val::Json(Cow::Owned(Value::Array(items))) => items
                    .into_iter()
                    .map(Val::from_json)
                    .find(|v| *v != Val::Null)
                    .unwrap_or(Val::Null),
                other => other,
            },
            Step::NullIf(values) => match value {
                Val::Json(v) => match v.as_ref() {
                    Value::Array(items) => Val::from_json(Value::Array(
                        items
                            .iter()
                            .filter(|v| !matches(values, v))
                            .cloned()
                            .collect(),
                    )),
                    single if matches(values, single) => Val::Null,
                    _ => Val::Json(v),
                },
                other => other,
            },
            Step::Salary => self.one(value),
            _ => match value {
                Val::Json(v) if v.is_array() => {
                    let items = match v {
                        Cow::Borrowed(Value::Array(items)) => {
                            items.iter().map(Val::from_ref).collect::<Vec<_>>()
                        }
                        Cow::Owned(Value::Array(items)) => {
                            items.into_iter().map(Val::from_json).collect()
                        }
                        _ => Vec::new(),
                    };
                    let mapped: Vec<Value> = items
                        .into_iter()
                        .filter_map(|item| match self.one(item) {
                            Val::Json(v) => Some(v.into_owned()),
                            Val::Time(t) => Some(Value::String(t.to_rfc3339())),
                            Val::Null | Val::Salary(..) => None,
                        })
                        .collect();
                    Val::from_json(Value::Array(mapped))
                }
                single => self.one(single),
            },
        }
    }

    /// Applies the step to one value (not a list).
    fn one<'a>(&self, value: Val<'a>) -> Val<'a> {
        let text = || -> Option<Cow<'_, str>> {
            match &value {
                Val::Json(v) => scalar_str(v.as_ref()),
                Val::Time(t) => Some(Cow::Owned(t.to_rfc3339())),
                Val::Salary(label, _) => Some(Cow::Borrowed(label.as_str())),
                Val::Null => None,
            }
        };
        let number = || match &value {
            Val::Json(v) => match v.as_ref() {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => parse_number(s),
                _ => None,
            },
            _ => None,
        };
        let time = |t: Option<DateTime<Utc>>| t.map_or(Val::Null, Val::Time);
        match self {
            Step::HtmlToText => text().map_or(Val::Null, |t| Val::text(html::to_text(&t))),
            Step::UnixSeconds => time(number().and_then(time::from_unix_seconds)),
            Step::UnixMillis => time(number().and_then(time::from_unix_millis)),
            Step::Unix => time(number().and_then(time::from_unix_guess)),
            Step::Datetime(zone) => match value {
                Val::Time(t) => Val::Time(t),
                _ => time(text().and_then(|t| time::parse_datetime(&t, *zone))),
            },
            Step::Date(format) => {
                time(text().and_then(|t| time::parse_with_format(&t, format, None)))
            }
            Step::Number => number()
                .and_then(serde_json::Number::from_f64)
                .map_or(Val::Null, |n| Val::Json(Cow::Owned(Value::Number(n)))),
            Step::Bool => match &value {
                Val::Json(v) if v.is_boolean() => value,
                _ => text()
                    .and_then(|t| parse_bool(&t))
                    .map_or(Val::Null, |b| Val::Json(Cow::Owned(Value::Bool(b)))),
            },
            Step::Split(sep) => text().map_or(Val::Null, |t| {
                Val::from_json(Value::Array(
                    t.split(sep.as_str())
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| Value::String(s.to_string()))
                        .collect(),
                ))
            }),
            Step::Map(map) => match text().as_deref().and_then(|t| map.get(t)) {
                Some(to) => Val::from_json(to.clone()),
                None => value,
            },
            Step::Trim => match text() {
                Some(t) if t.trim().len() == t.len() => value,
                Some(t) => Val::text(t.trim().to_string()),
                None => Val::Null,
            },
            Step::Lower => text().map_or(Val::Null, |t| Val::text(t.to_lowercase())),
            Step::Upper => text().map_or(Val::Null, |t| Val::text(t.to_uppercase())),
            Step::Template(template) => {
                text().map_or(Val::Null, |t| Val::text(template.replacen("{}", &t, 1)))
            }
            Step::Base64 { padded } => text().map_or(Val::Null, |t| {
                let encoded = if *padded {
                    base64::engine::general_purpose::STANDARD.encode(t.as_bytes())
                } else {
                    base64::engine::general_purpose::STANDARD_NO_PAD.encode(t.as_bytes())
                };
                Val::text(encoded)
            }),
            Step::Salary => match text() {
                Some(label) => {
                    let label = label.trim().to_string();
                    match parse_salary(&label) {
                        Some(salary) => Val::Salary(label, salary),
                        None => Val::text(label),
                    }
                }
                None => Val::Null,
            },
            Step::Join(_)
            | Step::First
            | Step::NullIf(_)
            | Step::Default(_)
            | Step::Set(_)
            | Step::Contains(_) => value,
        }
    }
}

/// A string (borrowed), number or boolean as text; other values have
/// none.
pub fn scalar_str(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

/// A string, number or boolean as text; other values have none.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn matches(values: &[Value], v: &Value) -> bool {
    values.iter().any(|x| match (x, v) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    })
}

/// `"150 000"`, `"1,5"`, `"1.234,50"`, `"$40,000"` → a number.
pub fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+' | 'e' | 'E'))
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    if let Ok(n) = cleaned.parse::<f64>() {
        return n.is_finite().then_some(n);
    }
    // Separators: the last one followed by exactly three digits is a
    // thousands separator; otherwise it is the decimal mark.
    let last = cleaned.rfind(['.', ','])?;
    let decimals = cleaned.len() - last - 1;
    let normalized: String = if decimals == 3 {
        cleaned.chars().filter(|c| *c != '.' && *c != ',').collect()
    } else {
        let (int, frac) = cleaned.split_at(last);
        let int: String = int.chars().filter(|c| *c != '.' && *c != ',').collect();
        format!("{int}.{}", &frac[1..])
    };
    normalized.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "1" | "y" | "ja" | "oui" | "vrai" | "wahr" => Some(true),
        "false" | "no" | "0" | "n" | "nej" | "nei" | "non" | "faux" | "falsch" | "nein" => {
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(v: Value) -> Step {
        Step::parse(&v).unwrap()
    }

    fn run(steps: &[Value], v: Value) -> Val<'static> {
        steps
            .iter()
            .fold(Val::from_json(v), |acc, s| step(s.clone()).apply(acc))
    }

    #[allow(non_snake_case)]
    fn Json(v: Value) -> Val<'static> {
        Val::Json(Cow::Owned(v))
    }

    #[test]
    fn parses_names_and_maps_and_refuses_unknown_steps() {
        assert_eq!(step(json!("trim")), Step::Trim);
        assert_eq!(step(json!({"join": " | "})), Step::Join(" | ".into()));
        let err = Step::parse(&json!("html_to_txt")).unwrap_err();
        assert!(err.contains("Did you mean `html_to_text`?"), "{err}");
        let err = Step::parse(&json!({"trim": 1})).unwrap_err();
        assert!(err.contains("takes no argument"), "{err}");
        let err = Step::parse(&json!({"datetime": "Europe/Stokholm"})).unwrap_err();
        assert!(err.contains("Europe/Stokholm"), "{err}");
        assert!(Step::parse(&json!({"template": "no slot"})).is_err());
        assert!(Step::parse(&json!({"a": 1, "b": 2})).is_err());
    }

    #[test]
    fn list_steps_and_element_steps() {
        assert_eq!(
            run(
                &[json!("trim"), json!({"join": ", "})],
                json!([" a ", "", "b"])
            ),
            Json(json!("a, b"))
        );
        assert_eq!(run(&[json!("first")], json!([null, "x"])), Json(json!("x")));
        assert_eq!(
            run(&[json!({"split": ","}), json!("upper")], json!("a, b,,c")),
            Json(json!(["A", "B", "C"]))
        );
        assert_eq!(run(&[json!({"null_if": [0]})], json!(0)), Val::Null);
        assert_eq!(run(&[json!({"null_if": [0]})], json!(0.0)), Val::Null);
        assert_eq!(run(&[json!({"null_if": [0]})], json!(5)), Json(json!(5)));
        assert_eq!(
            run(&[json!({"map": {"year": "yearly"}})], json!("year")),
            Json(json!("yearly"))
        );
        assert_eq!(
            run(&[json!({"map": {"year": "yearly"}})], json!("hour")),
            Json(json!("hour"))
        );
        assert_eq!(run(&[json!({"default": "x"})], json!("")), Json(json!("x")));
        assert_eq!(
            run(&[json!({"template": "https://x/{}"})], json!(12)),
            Json(json!("https://x/12"))
        );
        assert_eq!(
            run(&[json!("base64")], json!("10001-1002716922-S")),
            Json(json!("MTAwMDEtMTAwMjcxNjkyMi1T"))
        );
        assert_eq!(run(&[json!("base64")], json!("ab")), Json(json!("YWI=")));
        assert_eq!(
            run(&[json!({"base64": "unpadded"})], json!("ab")),
            Json(json!("YWI"))
        );
    }

    #[test]
    fn set_and_contains_make_conditional_values() {
        assert_eq!(
            run(&[json!({"set": "yearly"})], json!(90000)),
            Json(json!("yearly"))
        );
        assert_eq!(run(&[json!({"set": "yearly"})], json!(null)), Val::Null);
        let remote = [json!({"contains": "remote"})];
        assert_eq!(
            run(&remote, json!(["Paris, France", "Flexible / Remote"])),
            Json(json!(true))
        );
        assert_eq!(run(&remote, json!(["Paris, France"])), Json(json!(false)));
        assert_eq!(run(&remote, json!([])), Val::Null);
    }

    #[test]
    fn numbers_and_booleans_from_text() {
        assert_eq!(parse_number("150 000"), Some(150000.0));
        assert_eq!(parse_number("1,5"), Some(1.5));
        assert_eq!(parse_number("1.234,50"), Some(1234.5));
        assert_eq!(parse_number("$40,000"), Some(40000.0));
        assert_eq!(parse_number("38000.0000"), Some(38000.0));
        assert_eq!(parse_number("n/a"), None);
        assert_eq!(run(&[json!("bool")], json!("Ja")), Json(json!(true)));
        assert_eq!(run(&[json!("bool")], json!("maybe")), Val::Null);
    }

    #[test]
    fn instants_from_unix_values() {
        let t = run(&[json!("unix_seconds")], json!(1733260504));
        let ms = run(&[json!("unix")], json!(1733260504000i64));
        assert_eq!(t, ms);
        match t {
            Val::Time(t) => assert_eq!(t.to_rfc3339(), "2024-12-03T21:15:04+00:00"),
            other => panic!("{other:?}"),
        }
        assert_eq!(run(&[json!("unix_seconds")], json!("soon")), Val::Null);
    }
}
