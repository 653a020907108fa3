//! The search parameters: checked before any request, and written the way
//! the API wants them.
//!
//! The spec passes the API's own parameter names through (`motsCles`,
//! `departement`, `minCreationDate`, ...; see `openapi.json`). Checks that
//! need no network run when the source is built, so `jobharvest validate`
//! catches them; the one that does (is `commune` a postal code?) runs at the
//! start of the harvest against the API's commune list.
//!
//! Values: strings are trimmed; numbers and booleans are written out; lists
//! are joined with commas (`departement: [75, 92]` → `75,92`).
//!
//! Dates (`minCreationDate`, `maxCreationDate`) are sent as
//! `yyyy-MM-ddTHH:mm:ssZ`. Any RFC 3339 date-time is accepted and converted
//! to UTC; a plain `yyyy-MM-dd` means the start of that day for
//! `minCreationDate` and its last second for `maxCreationDate`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use jobharvest_core::registry::similar;
use jobharvest_core::{Error, Result};
use serde::Deserialize;
use serde_json::Value;

use crate::normalize::is_department_code;

/// Every search parameter of the API (`openapi.json`, version 2.01), except
/// `range`, which the source sets itself.
pub const KNOWN: &[&str] = &[
    "sort",
    "domaine",
    "codeROME",
    "appellation",
    "theme",
    "secteurActivite",
    "codeNAF",
    "experience",
    "typeContrat",
    "natureContrat",
    "origineOffre",
    "qualification",
    "tempsPlein",
    "commune",
    "distance",
    "departement",
    "inclureLimitrophes",
    "region",
    "paysContinent",
    "niveauFormation",
    "permis",
    "motsCles",
    "salaireMin",
    "periodeSalaire",
    "accesTravailleurHandicape",
    "publieeDepuis",
    "minCreationDate",
    "maxCreationDate",
    "offresMRS",
    "experienceExigence",
    "grandDomaine",
    "partenaires",
    "modeSelectionPartenaires",
    "dureeHebdoMin",
    "dureeHebdoMax",
    "dureeContratMin",
    "dureeContratMax",
    "dureeHebdo",
    "offresManqueCandidats",
    "entreprisesAdaptees",
    "employeursHandiEngages",
];

/// Checked search parameters, in a stable order, ready for the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchParams(Vec<(String, String)>);

impl SearchParams {
    /// Checks the spec's `params` and writes them as the API wants them.
    ///
    /// # Errors
    /// A config error naming the parameter (`params.motsCles: ...`) and the
    /// fix.
    pub fn from_spec(params: &BTreeMap<String, Value>) -> Result<Self> {
        let mut out = BTreeMap::new();
        for (key, value) in params {
            // The API's own spec declares `dureeHebdo ` with a trailing space.
            let name = key.trim();
            let name = known_name(name)?;
            let value = to_text(name, value)?;
            if out.insert(name.to_string(), value).is_some() {
                return Err(param_error(
                    name,
                    "is given twice (once with a trailing space?); keep one",
                ));
            }
        }
        check_dates(&mut out)?;
        check_keywords(&mut out)?;
        check_salary(&out)?;
        check_places(&out)?;
        let sort = out.get("sort");
        if let Some(sort) = sort.filter(|s| !matches!(s.as_str(), "0" | "1" | "2")) {
            return Err(param_error(
                "sort",
                &format!(
                    "`{sort}` is not a sort order; use 0 (relevance), 1 (newest first) or 2 (distance)"
                ),
            ));
        }
        Ok(SearchParams(out.into_iter().collect()))
    }

    /// Parameters built from pairs, unchecked (for slices and tests).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        SearchParams(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The pairs, for the query string.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// These parameters with `name` set to `value` (replacing any value),
    /// names kept in order.
    pub fn with(&self, name: &str, value: impl Into<String>) -> Self {
        let mut map: BTreeMap<String, String> = self.0.iter().cloned().collect();
        map.insert(name.to_string(), value.into());
        SearchParams(map.into_iter().collect())
    }

    /// These parameters without `names`.
    pub fn without(&self, names: &[&str]) -> Self {
        SearchParams(
            self.0
                .iter()
                .filter(|(k, _)| !names.contains(&k.as_str()))
                .cloned()
                .collect(),
        )
    }

    /// The canonical query string: names sorted, values form-encoded
    /// (`departement=75%2C92&motsCles=data`). Equal parameters give equal
    /// strings, so it names a slice across runs.
    pub fn query_string(&self) -> String {
        let mut pairs: Vec<&(String, String)> = self.0.iter().collect();
        pairs.sort();
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            out.append_pair(k, v);
        }
        out.finish()
    }
}

impl std::fmt::Display for SearchParams {
    /// `motsCles=data, departement=75` (or `none`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

fn param_error(name: &str, problem: &str) -> Error {
    Error::config(format!("params.{name}: {problem}")).with_context("key", format!("params.{name}"))
}

fn known_name(name: &str) -> Result<&'static str> {
    if let Some(known) = KNOWN.iter().find(|k| **k == name) {
        return Ok(known);
    }
    match name {
        "range" => {
            return Err(param_error(
                "range",
                "paging is automatic (150 offers per request, up to the API's 3,150 per query); remove `range`, and set the run's limit to fetch fewer offers",
            ));
        }
        "page" | "size" | "limit" => {
            return Err(param_error(
                name,
                "the API ignores it: paging is automatic; remove it, and set the run's limit to fetch fewer offers",
            ));
        }
        _ => {}
    }
    let hint = KNOWN
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .or_else(|| KNOWN.iter().find(|k| similar(k, name)))
        .map(|k| format!(" Did you mean `{k}`?"))
        .unwrap_or_default();
    Err(param_error(
        name,
        &format!(
            "unknown France Travail search parameter (names are case-sensitive); known: {}.{hint}",
            KNOWN.join(", ")
        ),
    ))
}

fn to_text(name: &str, value: &Value) -> Result<String> {
    let scalar = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    let text = match value {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                scalar(item).ok_or_else(|| {
                    param_error(name, "a list may hold only texts, numbers and booleans")
                })
            })
            .collect::<Result<Vec<_>>>()?
            .join(","),
        Value::Null => {
            return Err(param_error(
                name,
                "has no value; give one or remove the key",
            ));
        }
        Value::Object(_) => {
            return Err(param_error(
                name,
                "expected a text, a number, a boolean or a list, found a map",
            ));
        }
        other => scalar(other).unwrap_or_default(),
    };
    if text.is_empty() {
        return Err(param_error(
            name,
            "is empty; give a value or remove the key",
        ));
    }
    Ok(text)
}

fn check_dates(params: &mut BTreeMap<String, String>) -> Result<()> {
    const MIN: &str = "minCreationDate";
    const MAX: &str = "maxCreationDate";
    let example = "for example minCreationDate: 2024-07-01T00:00:00Z and maxCreationDate: 2024-07-08T00:00:00Z";
    match (params.contains_key(MIN), params.contains_key(MAX)) {
        (false, false) => return Ok(()),
        (true, false) => {
            return Err(param_error(
                MIN,
                &format!("`{MAX}` is missing: the API needs both dates ({example})"),
            ));
        }
        (false, true) => {
            return Err(param_error(
                MAX,
                &format!("`{MIN}` is missing: the API needs both dates ({example})"),
            ));
        }
        (true, true) => {}
    }
    let min = parse_date(MIN, &params[MIN], false)?;
    let max = parse_date(MAX, &params[MAX], true)?;
    if min > max {
        return Err(param_error(
            MIN,
            &format!(
                "{} is after maxCreationDate {}; swap them",
                format_date(min),
                format_date(max)
            ),
        ));
    }
    params.insert(MIN.to_string(), format_date(min));
    params.insert(MAX.to_string(), format_date(max));
    Ok(())
}

pub(crate) fn format_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn parse_date(name: &str, text: &str, end_of_day: bool) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let time = if end_of_day {
            day.and_hms_opt(23, 59, 59)
        } else {
            day.and_hms_opt(0, 0, 0)
        };
        if let Some(time) = time {
            return Ok(time.and_utc());
        }
    }
    Err(param_error(
        name,
        &format!(
            "`{text}` is not a date the API understands; write it as yyyy-MM-ddTHH:mm:ssZ (2024-07-08T00:00:00Z), or yyyy-MM-dd for a whole day"
        ),
    ))
}

fn check_keywords(params: &mut BTreeMap<String, String>) -> Result<()> {
    let Some(value) = params.get("motsCles") else {
        return Ok(());
    };
    let words: Vec<&str> = value.split(',').map(str::trim).collect();
    if let Some(short) = words.iter().find(|w| w.chars().count() < 2) {
        let problem = if short.is_empty() {
            "has an empty keyword (two commas in a row?); remove it".to_string()
        } else {
            format!("the keyword `{short}` is too short: each keyword needs at least 2 characters")
        };
        return Err(param_error("motsCles", &problem));
    }
    if words.len() > 7 {
        return Err(param_error(
            "motsCles",
            &format!(
                "{} keywords given, the API takes at most 7 (they are combined with AND); keep the 7 that matter, or split the search into several sources",
                words.len()
            ),
        ));
    }
    let joined = words.join(",");
    params.insert("motsCles".to_string(), joined);
    Ok(())
}

fn check_salary(params: &BTreeMap<String, String>) -> Result<()> {
    match (params.get("salaireMin"), params.get("periodeSalaire")) {
        (Some(_), None) => Err(param_error(
            "salaireMin",
            "needs `periodeSalaire` too: M (monthly), A (yearly), H (hourly) or C (per engagement), for example salaireMin: 2000 and periodeSalaire: M",
        )),
        (None, Some(_)) => Err(param_error(
            "periodeSalaire",
            "needs `salaireMin` too, for example salaireMin: 2000 and periodeSalaire: M",
        )),
        (Some(amount), Some(period)) => {
            if !matches!(period.as_str(), "M" | "A" | "H" | "C") {
                return Err(param_error(
                    "periodeSalaire",
                    &format!(
                        "`{period}` is not a period; use M (monthly), A (yearly), H (hourly) or C (per engagement)"
                    ),
                ));
            }
            if amount.replace(',', ".").parse::<f64>().is_err() {
                return Err(param_error(
                    "salaireMin",
                    &format!("`{amount}` is not an amount; write a number such as 2000"),
                ));
            }
            Ok(())
        }
        (None, None) => Ok(()),
    }
}

fn check_places(params: &BTreeMap<String, String>) -> Result<()> {
    if let Some(communes) = params.get("commune") {
        let values: Vec<&str> = communes.split(',').map(str::trim).collect();
        if values.iter().any(|v| v.is_empty()) {
            return Err(param_error("commune", "has an empty value; remove it"));
        }
        if values.len() > 5 {
            return Err(param_error(
                "commune",
                &format!(
                    "{} communes given, the API takes at most 5; split the search into several sources",
                    values.len()
                ),
            ));
        }
    }
    if let Some(departements) = params.get("departement") {
        let values: Vec<&str> = departements.split(',').map(str::trim).collect();
        if values.len() > 5 {
            return Err(param_error(
                "departement",
                &format!(
                    "{} départements given, the API takes at most 5; split the search into several sources",
                    values.len()
                ),
            ));
        }
        for value in values {
            if is_department_code(value) {
                continue;
            }
            let problem = if value.len() == 5 && value.bytes().all(|b| b.is_ascii_digit()) {
                let code = if value.starts_with("97") {
                    &value[..3]
                } else {
                    &value[..2]
                };
                format!(
                    "`{value}` looks like a postal code; the API wants département codes: use `departement: \"{code}\"`"
                )
            } else {
                format!(
                    "`{value}` is not a département code; use codes such as \"75\", \"2A\" or \"974\""
                )
            };
            return Err(param_error("departement", &problem));
        }
    }
    Ok(())
}

/// One entry of `GET /v2/referentiel/communes`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase")]
pub struct Commune {
    /// The INSEE code.
    pub code: String,
    /// The name, upper-case (`VERSAILLES`).
    pub libelle: String,
    /// A postal code of the commune.
    pub code_postal: Option<String>,
}

/// Checks every value of `commune` against the API's commune list: INSEE
/// codes pass; postal codes and names fail with the INSEE codes to use.
///
/// # Errors
/// A config error suggesting the INSEE code(s).
pub fn check_communes(value: &str, communes: &[Commune]) -> Result<()> {
    for v in value.split(',').map(str::trim) {
        if communes.iter().any(|c| c.code == v) {
            continue;
        }
        let by_postal: Vec<&Commune> = communes
            .iter()
            .filter(|c| c.code_postal.as_deref() == Some(v))
            .collect();
        let wanted = fold(v);
        let by_name: Vec<&Commune> = communes
            .iter()
            .filter(|c| fold(&c.libelle) == wanted)
            .collect();
        let problem = if !by_postal.is_empty() {
            format!(
                "`{v}` looks like a postal code; the API wants INSEE codes: {}",
                suggest(&by_postal)
            )
        } else if !by_name.is_empty() {
            format!(
                "`{v}` is a commune name; the API wants INSEE codes: {}",
                suggest(&by_name)
            )
        } else {
            format!(
                "`{v}` is not an INSEE commune code known to France Travail; look the code up with the communes referentiel (GET /v2/referentiel/communes) or on insee.fr"
            )
        };
        return Err(param_error("commune", &problem));
    }
    Ok(())
}

fn suggest(found: &[&Commune]) -> String {
    const SHOWN: usize = 8;
    match found {
        [one] => format!("use `commune: \"{}\"` ({})", one.code, one.libelle),
        many => {
            let mut list: Vec<String> = many
                .iter()
                .take(SHOWN)
                .map(|c| format!("\"{}\" ({})", c.code, c.libelle))
                .collect();
            if many.len() > SHOWN {
                list.push(format!("and {} more", many.len() - SHOWN));
            }
            format!(
                "use the one you mean among {} (for example `commune: \"{}\"`), or several separated by commas",
                list.join(", "),
                many[0].code
            )
        }
    }
}

/// Upper case, without accents, hyphens or apostrophes, `SAINT` as `ST`:
/// "Saint-Étienne" and "ST ETIENNE" compare equal.
fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_uppercase) {
        let c = match c {
            'À' | 'Â' | 'Ä' | 'Á' | 'Ã' => 'A',
            'Ç' => 'C',
            'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'Î' | 'Ï' | 'Í' => 'I',
            'Ô' | 'Ö' | 'Ó' => 'O',
            'Ù' | 'Û' | 'Ü' | 'Ú' => 'U',
            'Ÿ' => 'Y',
            '-' | '\'' | '’' | '_' => ' ',
            c => c,
        };
        out.push(c);
    }
    out.split_whitespace()
        .map(|w| match w {
            "SAINT" => "ST",
            "SAINTE" => "STE",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Result<SearchParams> {
        let map: BTreeMap<String, Value> = serde_json::from_value(v).unwrap();
        SearchParams::from_spec(&map)
    }

    fn err(v: Value) -> String {
        params(v).unwrap_err().to_string()
    }

    #[test]
    fn values_are_written_as_the_api_wants() {
        let p = params(json!({
            "motsCles": ["data", " python "], "departement": [75, "92"],
            "tempsPlein": true, "distance": 10, "dureeHebdo ": "1"
        }))
        .unwrap();
        assert_eq!(
            p.pairs(),
            [
                ("departement".to_string(), "75,92".to_string()),
                ("distance".to_string(), "10".to_string()),
                ("dureeHebdo".to_string(), "1".to_string()),
                ("motsCles".to_string(), "data,python".to_string()),
                ("tempsPlein".to_string(), "true".to_string()),
            ]
        );
        assert_eq!(
            p.to_string(),
            "departement=75,92, distance=10, dureeHebdo=1, motsCles=data,python, tempsPlein=true"
        );
    }

    #[test]
    fn range_is_refused() {
        let msg = err(json!({"range": "0-149"}));
        assert!(msg.contains("params.range"), "{msg}");
        assert!(msg.contains("paging is automatic"), "{msg}");
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let msg = err(json!({"motscles": "data"}));
        assert!(msg.contains("Did you mean `motsCles`?"), "{msg}");
        let msg = err(json!({"departemnt": "75"}));
        assert!(msg.contains("Did you mean `departement`?"), "{msg}");
    }

    #[test]
    fn dates_go_in_pairs_and_are_normalized() {
        let msg = err(json!({"minCreationDate": "2024-07-01T00:00:00Z"}));
        assert!(msg.contains("`maxCreationDate` is missing"), "{msg}");
        let msg = err(json!({"maxCreationDate": "2024-07-01T00:00:00Z"}));
        assert!(msg.contains("`minCreationDate` is missing"), "{msg}");
        let p = params(json!({
            "minCreationDate": "2024-07-01", "maxCreationDate": "2024-07-08T12:30:00.500+02:00"
        }))
        .unwrap();
        assert_eq!(p.get("minCreationDate"), Some("2024-07-01T00:00:00Z"));
        assert_eq!(p.get("maxCreationDate"), Some("2024-07-08T10:30:00Z"));
        let p = params(json!({"minCreationDate": "2024-07-01", "maxCreationDate": "2024-07-01"}))
            .unwrap();
        assert_eq!(p.get("maxCreationDate"), Some("2024-07-01T23:59:59Z"));
        let msg = err(json!({"minCreationDate": "01/07/2024", "maxCreationDate": "2024-07-08"}));
        assert!(msg.contains("yyyy-MM-ddTHH:mm:ssZ"), "{msg}");
        let msg = err(json!({"minCreationDate": "2024-07-09", "maxCreationDate": "2024-07-08"}));
        assert!(msg.contains("swap them"), "{msg}");
    }

    #[test]
    fn keywords_are_checked() {
        let msg = err(json!({"motsCles": "data,R"}));
        assert!(msg.contains("`R` is too short"), "{msg}");
        let msg = err(json!({"motsCles": "a1,b2,c3,d4,e5,f6,g7,h8"}));
        assert!(msg.contains("8 keywords given"), "{msg}");
        let msg = err(json!({"motsCles": "data,,sql"}));
        assert!(msg.contains("empty keyword"), "{msg}");
        assert!(params(json!({"motsCles": "a1,b2,c3,d4,e5,f6,g7"})).is_ok());
    }

    #[test]
    fn salary_needs_its_period() {
        let msg = err(json!({"salaireMin": 2000}));
        assert!(msg.contains("needs `periodeSalaire`"), "{msg}");
        let msg = err(json!({"periodeSalaire": "M"}));
        assert!(msg.contains("needs `salaireMin`"), "{msg}");
        let msg = err(json!({"salaireMin": 2000, "periodeSalaire": "month"}));
        assert!(msg.contains("is not a period"), "{msg}");
        assert!(params(json!({"salaireMin": "2000", "periodeSalaire": "M"})).is_ok());
    }

    #[test]
    fn places_are_checked() {
        let msg = err(json!({"departement": "78000"}));
        assert!(msg.contains("`departement: \"78\"`"), "{msg}");
        let msg = err(json!({"departement": "Yvelines"}));
        assert!(msg.contains("not a département code"), "{msg}");
        let msg = err(json!({"commune": ["1", "2", "3", "4", "5", "6"]}));
        assert!(msg.contains("at most 5"), "{msg}");
        assert!(params(json!({"departement": ["2A", "974", "01"]})).is_ok());
    }

    #[test]
    fn empty_and_odd_values_are_refused() {
        assert!(err(json!({"motsCles": ""})).contains("is empty"));
        assert!(err(json!({"motsCles": null})).contains("has no value"));
        assert!(err(json!({"motsCles": {"a": 1}})).contains("found a map"));
        assert!(err(json!({"sort": 5})).contains("not a sort order"));
    }

    fn communes() -> Vec<Commune> {
        let c = |code: &str, libelle: &str, cp: &str| Commune {
            code: code.into(),
            libelle: libelle.into(),
            code_postal: Some(cp.into()),
        };
        vec![
            c("78646", "VERSAILLES", "78000"),
            c("42218", "ST ETIENNE", "42000"),
            c("27001", "A", "27500"),
            c("27002", "B", "27500"),
        ]
    }

    #[test]
    fn postal_codes_get_the_insee_code() {
        let msg = check_communes("78000", &communes())
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains(
                "`78000` looks like a postal code; the API wants INSEE codes: use `commune: \"78646\"` (VERSAILLES)"
            ),
            "{msg}"
        );
        let msg = check_communes("78646,27500", &communes())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("\"27001\" (A), \"27002\" (B)"), "{msg}");
        let msg = check_communes("Saint-Étienne", &communes())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("`commune: \"42218\"` (ST ETIENNE)"), "{msg}");
        let msg = check_communes("99999", &communes())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("not an INSEE commune code"), "{msg}");
        check_communes("78646, 42218", &communes()).unwrap();
    }
}
