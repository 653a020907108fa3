//! Raw Adzuna offer → [`JobRecord`].
//!
//! Adzuna's offers are small: a title, a description snippet, the company,
//! a place (a label, a hierarchy of areas, coordinates), a yearly salary
//! range that Adzuna may have *predicted* (`salary_is_predicted: "1"`), the
//! contract's type and time, and a category. Salaries are in the currency
//! of the country searched. Adzuna's terms ask reusers to show "Jobs by
//! Adzuna", which goes into `attribution`. What Adzuna does not send stays
//! null.

use chrono::{DateTime, Utc};
use jobharvest_core::{Error, ErrorKind, JobRecord, NormalizeOptions, Normalizer, Result};
use serde::Deserialize;
use serde_json::Value;

use crate::TYPE;

/// What Adzuna's terms ask reusers to show next to its offers.
pub const ATTRIBUTION: &str = "Jobs by Adzuna";

/// Adzuna's countries: URL code, currency of its salaries, and the host of
/// its offer pages (to tell the country of a replayed offer).
pub const COUNTRIES: &[(&str, &str, &str)] = &[
    ("at", "EUR", "adzuna.at"),
    ("au", "AUD", "adzuna.com.au"),
    ("be", "EUR", "adzuna.be"),
    ("br", "BRL", "adzuna.com.br"),
    ("ca", "CAD", "adzuna.ca"),
    ("ch", "CHF", "adzuna.ch"),
    ("de", "EUR", "adzuna.de"),
    ("es", "EUR", "adzuna.es"),
    ("fr", "EUR", "adzuna.fr"),
    ("gb", "GBP", "adzuna.co.uk"),
    ("in", "INR", "adzuna.in"),
    ("it", "EUR", "adzuna.it"),
    ("mx", "MXN", "adzuna.com.mx"),
    ("nl", "EUR", "adzuna.nl"),
    ("nz", "NZD", "adzuna.co.nz"),
    ("pl", "PLN", "adzuna.pl"),
    ("sg", "SGD", "adzuna.sg"),
    ("us", "USD", "adzuna.com"),
    ("za", "ZAR", "adzuna.co.za"),
];

/// The currency of salaries in `country` (ISO 4217), if Adzuna serves it.
pub fn currency(country: &str) -> Option<&'static str> {
    COUNTRIES
        .iter()
        .find(|(c, _, _)| *c == country)
        .map(|(_, cur, _)| *cur)
}

/// The country whose Adzuna site serves `url` (`https://www.adzuna.fr/...`).
pub fn country_of_url(url: &str) -> Option<&'static str> {
    let host = url::Url::parse(url).ok()?.host_str()?.to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    COUNTRIES
        .iter()
        .find(|(_, _, h)| *h == host)
        .map(|(c, _, _)| *c)
}

/// One offer as the API sends it; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Offer {
    id: Option<Value>,
    title: Option<String>,
    description: Option<String>,
    created: Option<String>,
    redirect_url: Option<String>,
    company: Option<Named>,
    location: Option<Location>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    salary_min: Option<f64>,
    salary_max: Option<f64>,
    salary_is_predicted: Option<Value>,
    contract_type: Option<String>,
    contract_time: Option<String>,
    category: Option<Category>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Named {
    display_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Location {
    display_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Category {
    label: Option<String>,
    tag: Option<String>,
}

fn clean(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// `"1"`/`"0"` (as Adzuna sends it), `1`/`0` or a boolean.
fn flag(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::String(s) => match s.trim() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_u64().and_then(|n| match n {
            1 => Some(true),
            0 => Some(false),
            _ => None,
        }),
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

/// Normalizes one raw offer (JSON text). `country` gives the salary's
/// currency; without it, the country is read from the offer's URL. The
/// offer is copied into `raw` unless `options` leave it out.
///
/// # Errors
/// [`ErrorKind::Parse`] when the text is not an offer with an id.
pub fn normalize(
    raw: &str,
    country: Option<&str>,
    options: &NormalizeOptions,
) -> Result<JobRecord> {
    let offer: Offer = serde_json::from_str(raw)
        .map_err(|e| Error::new(ErrorKind::Parse, format!("not an Adzuna offer: {e}")))?;
    let id = match &offer.id {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(Error::new(
                ErrorKind::Parse,
                "an Adzuna offer without an `id`",
            ));
        }
    };
    let mut r = JobRecord::new(TYPE, id);
    r.title = clean(offer.title);
    r.description = clean(offer.description);
    r.created_at = offer
        .created
        .as_deref()
        .and_then(|c| DateTime::parse_from_rfc3339(c.trim()).ok())
        .map(|d| d.with_timezone(&Utc));
    r.company_name = clean(offer.company.and_then(|c| c.display_name));
    let location = offer.location.unwrap_or_default();
    r.location_label = clean(location.display_name);
    r.latitude = offer.latitude;
    r.longitude = offer.longitude;
    r.salary_min = offer.salary_min;
    r.salary_max = offer.salary_max;
    if r.salary_min.is_some() || r.salary_max.is_some() {
        // Adzuna's salaries are yearly amounts in the country's currency.
        r.salary_period = Some("yearly".to_string());
        let country = country.or_else(|| offer.redirect_url.as_deref().and_then(country_of_url));
        r.salary_currency = country.and_then(currency).map(str::to_string);
        r.salary_predicted = flag(offer.salary_is_predicted.as_ref());
    }
    r.contract_type = clean(offer.contract_type);
    r.work_time = clean(offer.contract_time);
    let category = offer.category.unwrap_or_default();
    r.industry_code = clean(category.tag);
    r.industry_label = clean(category.label);
    r.url = clean(offer.redirect_url);
    r.attribution = Some(ATTRIBUTION.to_string());
    // When no sink writes `raw`, the copy would be thrown away.
    if !options.leave_out_raw {
        r.raw = Some(raw.to_string());
    }
    Ok(r)
}

/// The `adzuna` normalizer, for `replay`.
#[derive(Debug, Clone, Default)]
pub struct AdzunaNormalizer {
    /// The country searched (gives the currency); without it, the country
    /// is read from each offer's URL.
    pub country: Option<String>,
}

impl Normalizer for AdzunaNormalizer {
    fn normalize(&self, raw: &str, options: &NormalizeOptions) -> Result<JobRecord> {
        normalize(raw, self.country.as_deref(), options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicted_flag_reads_every_spelling() {
        for (v, want) in [
            (serde_json::json!("1"), Some(true)),
            (serde_json::json!("0"), Some(false)),
            (serde_json::json!(1), Some(true)),
            (serde_json::json!(false), Some(false)),
            (serde_json::json!("maybe"), None),
        ] {
            assert_eq!(flag(Some(&v)), want, "{v}");
        }
        assert_eq!(flag(None), None);
    }

    #[test]
    fn countries_come_from_offer_urls() {
        assert_eq!(
            country_of_url("https://www.adzuna.fr/land/ad/2742818369?se=x"),
            Some("fr")
        );
        assert_eq!(country_of_url("https://www.adzuna.co.uk/x"), Some("gb"));
        assert_eq!(country_of_url("https://example.com/x"), None);
        assert_eq!(currency("gb"), Some("GBP"));
        assert_eq!(currency("xx"), None);
    }
}
