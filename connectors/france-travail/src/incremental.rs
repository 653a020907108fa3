//! Daily sync: an incremental run asks only for offers created since the
//! cursor, and a mirror run confirms removals one offer at a time.
//!
//! - [`narrowed`]: the search parameters of an incremental run. France
//!   Travail filters by creation date only (`minCreationDate` /
//!   `maxCreationDate`); an offer updated without being re-created is
//!   caught by the next mirror run, and the job's state compares content
//!   hashes whatever was fetched.
//! - [`OfferCheck`]: `GET {api_url}/v2/offres/{id}` answers 200 while an
//!   offer is published (it may just no longer match the query), and 204 or
//!   404 once it is gone. It goes through the run's [`HttpClient`], so
//!   pacing, retries and token renewal apply.

use chrono::{DateTime, Utc};
use jobharvest_core::http::HttpClient;
use jobharvest_core::tracking::RemovalCheck;
use jobharvest_core::{Error, ErrorKind, Result, async_trait};
use reqwest::header::ACCEPT;

use crate::params::{SearchParams, format_date};
use crate::slicing::root_window;

const MIN: &str = "minCreationDate";
const MAX: &str = "maxCreationDate";

/// The parameters of a harvest that needs only offers created from `since`
/// (up to `now`): the spec's own date window or `publieeDepuis` is kept
/// when it is narrower.
pub fn narrowed(params: &SearchParams, since: DateTime<Utc>, now: DateTime<Utc>) -> SearchParams {
    let window = root_window(params, now);
    let user_max = params.get(MAX).map(|_| window.max);
    let start = since.timestamp().max(window.min);
    let end = user_max.unwrap_or(now.timestamp()).max(start);
    let at = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap_or(now);
    params
        .without(&["publieeDepuis"])
        .with(MIN, format_date(at(start)))
        .with(MAX, format_date(at(end)))
}

/// Asks France Travail whether offers are still published.
#[derive(Debug)]
pub struct OfferCheck {
    http: HttpClient,
    base: String,
}

impl OfferCheck {
    /// A check through `http` against the API at `base` (the `api_url`,
    /// without a trailing slash).
    pub fn new(http: HttpClient, base: impl Into<String>) -> Self {
        OfferCheck {
            http,
            base: base.into(),
        }
    }
}

#[async_trait]
impl RemovalCheck for OfferCheck {
    async fn is_gone(&self, source_id: &str) -> Result<bool> {
        let id: String = url::form_urlencoded::byte_serialize(source_id.as_bytes()).collect();
        let url = format!("{}/v2/offres/{id}", self.base);
        let what = format!("France Travail offer {source_id}");
        let answer = self
            .http
            .fetch(&what, |c| c.get(&url).header(ACCEPT, "application/json"))
            .await?;
        match answer.status.as_u16() {
            204 | 404 | 410 => Ok(true),
            200 | 206 => Ok(false),
            code => Err(Error::new(
                ErrorKind::Http,
                format!(
                    "France Travail answered {code} when asked whether offer `{source_id}` is still published; no removal is marked: {}",
                    answer.excerpt(200)
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn since_becomes_the_creation_window_up_to_now() {
        let p = SearchParams::from_pairs([("departement", "78"), ("publieeDepuis", "31")]);
        let n = narrowed(&p, at("2026-11-22T08:15:30Z"), at("2026-11-23T09:00:00Z"));
        assert_eq!(n.get(MIN), Some("2026-11-22T08:15:30Z"));
        assert_eq!(n.get(MAX), Some("2026-11-23T09:00:00Z"));
        assert_eq!(n.get("publieeDepuis"), None);
        assert_eq!(n.get("departement"), Some("78"));
    }

    #[test]
    fn a_narrower_window_of_the_spec_is_kept() {
        let p = SearchParams::from_pairs([
            (MIN, "2026-11-22T12:00:00Z"),
            (MAX, "2026-11-22T18:00:00Z"),
        ]);
        let n = narrowed(&p, at("2026-11-01T00:00:00Z"), at("2026-11-23T09:00:00Z"));
        assert_eq!(n.get(MIN), Some("2026-11-22T12:00:00Z"));
        assert_eq!(n.get(MAX), Some("2026-11-22T18:00:00Z"));
        // A cursor past the spec's window asks for nothing new, not for an
        // inverted window the API would refuse.
        let n = narrowed(&p, at("2026-11-23T00:00:00Z"), at("2026-11-23T09:00:00Z"));
        assert_eq!(n.get(MIN), n.get(MAX));
    }
}
