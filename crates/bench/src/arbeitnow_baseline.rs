//! The hand-written Arbeitnow mapping that `connectors/arbeitnow` used
//! before Arbeitnow became a board definition (`boards/arbeitnow.yaml`),
//! kept as the baseline the definition's mapping is measured against
//! (`benches/definitions.rs`): the goal is at most 1.5x its time.
//!
//! Raw Arbeitnow offer → [`JobRecord`]: slug, company, title, the HTML
//! description as text, `remote`, the page, tags, job types, the place and
//! `created_at` in Unix seconds.

use chrono::{DateTime, Utc};
use jobharvest_core::{Error, ErrorKind, JobRecord, NormalizeOptions, Result};
use serde::Deserialize;
use serde_json::Value;

use jobharvest_declarative::text::html::to_text;

const TYPE: &str = "arbeitnow";

/// One offer as the API sends it; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Offer {
    slug: Option<String>,
    company_name: Option<String>,
    title: Option<String>,
    description: Option<String>,
    remote: Option<bool>,
    url: Option<String>,
    tags: Vec<String>,
    job_types: Vec<String>,
    location: Option<String>,
    created_at: Option<Value>,
}

fn clean(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// `created_at`: Unix seconds, as a number or a numeric text.
fn unix_seconds(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let secs = match value? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    DateTime::from_timestamp(secs, 0)
}

/// Normalizes one raw offer (JSON text). The offer is copied into `raw`
/// unless `options` leave it out.
///
/// # Errors
/// [`ErrorKind::Parse`] when the text is not an offer with a slug.
pub fn normalize(raw: &str, options: &NormalizeOptions) -> Result<JobRecord> {
    let offer: Offer = serde_json::from_str(raw)
        .map_err(|e| Error::new(ErrorKind::Parse, format!("not an Arbeitnow offer: {e}")))?;
    let slug = clean(offer.slug)
        .ok_or_else(|| Error::new(ErrorKind::Parse, "an Arbeitnow offer without a `slug`"))?;
    let mut r = JobRecord::new(TYPE, slug);
    r.title = clean(offer.title);
    r.description = offer
        .description
        .as_deref()
        .map(to_text)
        .filter(|t| !t.is_empty());
    r.company_name = clean(offer.company_name);
    r.location_label = clean(offer.location);
    r.remote = offer.remote;
    r.url = clean(offer.url);
    r.tags = offer
        .tags
        .into_iter()
        .filter_map(|t| clean(Some(t)))
        .collect();
    let job_types: Vec<_> = offer
        .job_types
        .into_iter()
        .filter_map(|t| clean(Some(t)))
        .collect();
    r.contract_label = (!job_types.is_empty()).then(|| job_types.join(", "));
    r.created_at = unix_seconds(offer.created_at.as_ref());
    // When no sink writes `raw`, the copy would be thrown away.
    if !options.leave_out_raw {
        r.raw = Some(raw.to_string());
    }
    Ok(r)
}
