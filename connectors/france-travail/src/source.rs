//! The live source: pages through `GET /v2/offres/search`.
//!
//! The API serves 150 offers per request (`range=p-d`, both ends included)
//! and at most 3,150 per query (`p ≤ 3000`, `d ≤ 3149`), whatever the total
//! it reports in `Content-Range: offres p-d/total`. A 206 means more pages
//! remain, a 200 that the range reached the end, a 204 that nothing matches.
//!
//! The unit of work is a [`Slice`]: one set of parameters paged end to end.
//! Today a run is one slice (the spec's parameters); a query whose total
//! exceeds the window is fetched up to the window with a warning. Splitting
//! such a query into several slices (by creation date, département, ...) is
//! the planned way to reach the rest: [`FranceTravailSource::slices`] is the
//! one place to grow.
//!
//! Rate limiting, retries and token renewal are not here: they live in the
//! shared [`HttpClient`].

use std::sync::Arc;

use jobharvest_core::http::{Answer, ClientCredentials, HttpClient, HttpSettings, TokenProvider};
use jobharvest_core::{
    Capabilities, Error, ErrorKind, Flow, JobRecord, NormalizeOptions, Result, Secret, Source,
    SourceConfig, SourceContext, SourceStats, async_trait,
};
use reqwest::header::{ACCEPT, LOCATION};
use serde::Deserialize;
use serde_json::value::RawValue;
use tracing::{debug, info, warn};
use url::Url;

use crate::config::{CREDENTIALS_HINT, Endpoints, FranceTravailConfig, default_api_url};
use crate::normalize::normalize;
use crate::params::{Commune, SearchParams, check_communes};

/// Offers per request: the API's maximum.
pub const PAGE_SIZE: u64 = 150;
/// The highest first index of a range the API accepts.
pub const MAX_START: u64 = 3000;
/// The highest last index of a range the API accepts.
pub const MAX_END: u64 = 3149;
/// How many offers one query can reach at most.
pub const RESULT_WINDOW: u64 = MAX_END + 1;

/// The built `france_travail` source.
///
/// Build it from a [`FranceTravailConfig`]; `Debug` does not show the
/// client secret.
#[derive(Debug)]
pub struct FranceTravailSource {
    pub(crate) endpoints: Endpoints,
    pub(crate) token_url: Url,
    pub(crate) client_id: String,
    pub(crate) client_secret: Secret,
    pub(crate) scope: String,
    pub(crate) params: SearchParams,
    pub(crate) options: NormalizeOptions,
    pub(crate) settings: HttpSettings,
}

/// One set of search parameters, paged end to end (at most
/// [`RESULT_WINDOW`] offers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    /// The parameters sent with every page of the slice.
    pub params: SearchParams,
}

/// What paging one slice gave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SliceReport {
    /// The total the API reported for the slice, if it said.
    pub total: Option<u64>,
    /// Offers received (before de-duplication and the run's limit).
    pub received: u64,
    /// Whether the run's limit stopped the paging.
    pub stopped: bool,
    /// Whether offers were left beyond the API's window.
    pub truncated: bool,
}

/// One page of search results.
struct Page {
    /// Whether the API said more pages remain (206).
    more: bool,
    total: Option<u64>,
    offers: Vec<Box<RawValue>>,
}

/// The body of a search answer; `filtresPossibles` is not used.
#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    resultats: Option<Vec<Box<RawValue>>>,
}

/// An error answer of the API (`{"message": ...}`).
#[derive(Deserialize)]
struct ApiMessage {
    message: Option<String>,
}

impl FranceTravailSource {
    /// The HTTP settings the run will use.
    pub fn http_settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// Replaces the HTTP settings (tests use short retry delays).
    pub fn with_http_settings(mut self, settings: HttpSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The checked search parameters.
    pub fn params(&self) -> &SearchParams {
        &self.params
    }

    /// The API's URLs.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The slices this run pages through: today the spec's parameters as
    /// one slice.
    pub fn slices(&self) -> Vec<Slice> {
        vec![Slice {
            params: self.params.clone(),
        }]
    }

    fn http_client(&self, stats: Arc<SourceStats>) -> Result<HttpClient> {
        let auth: Arc<dyn TokenProvider> = Arc::new(
            ClientCredentials::new(
                self.token_url.clone(),
                self.client_id.clone(),
                self.client_secret.clone(),
            )
            .with_scope(self.scope.clone())
            .with_hint(CREDENTIALS_HINT),
        );
        HttpClient::new(self.settings.clone(), stats, Some(auth))
    }

    /// Checks `commune` against the API's commune list, so that a postal
    /// code or a name fails with the INSEE code to use instead of a bare 400.
    ///
    /// A failure to get the list is only a warning (the search itself will
    /// tell), except refused credentials.
    async fn check_communes(&self, http: &HttpClient) -> Result<()> {
        let Some(value) = self.params.get("commune") else {
            return Ok(());
        };
        let url = self.endpoints.referentiel("communes");
        let what = "France Travail commune list";
        let answer = http
            .fetch(what, |c| {
                c.get(url.clone()).header(ACCEPT, "application/json")
            })
            .await;
        let communes: Vec<Commune> = match answer {
            Ok(answer) if answer.status.is_success() => match answer.json(what) {
                Ok(communes) => communes,
                Err(error) => {
                    warn!(error = %error, "Could not read the commune list; `commune` is sent unchecked.");
                    return Ok(());
                }
            },
            Ok(answer) => {
                warn!(status = answer.status.as_u16(), url = %answer.url, "Could not get the commune list; `commune` is sent unchecked.");
                return Ok(());
            }
            Err(error) if error.kind() == ErrorKind::Auth => return Err(error),
            Err(error) => {
                warn!(error = %error, "Could not get the commune list; `commune` is sent unchecked.");
                return Ok(());
            }
        };
        check_communes(value, &communes)
    }

    /// Pages through one slice, emitting each page's records.
    ///
    /// # Errors
    /// The first error that stops the paging (a 400, a malformed page, spent
    /// retries, refused credentials), or
    /// [`ErrorKind::Cancelled`] when the sinks stopped.
    pub async fn harvest(
        &self,
        http: &HttpClient,
        cx: &SourceContext,
        slice: &Slice,
    ) -> Result<SliceReport> {
        let mut report = SliceReport::default();
        let mut start = 0;
        while let Some(end) = next_end(start, report.total, cx.remaining()) {
            let page = self.fetch_page(http, slice, start, end).await?;
            if let (Some(total), None) = (page.total, report.total) {
                cx.stats().set_total(total);
                report.total = Some(total);
                report.truncated = total > RESULT_WINDOW;
                let wanted = cx.remaining().unwrap_or(u64::MAX);
                if report.truncated && wanted > RESULT_WINDOW {
                    warn!(
                        source = cx.name(),
                        total,
                        window = RESULT_WINDOW,
                        params = %slice.params,
                        "The query matches {total} offers but the API serves at most 3,150 per query: fetching the first 3,150. To get the rest, narrow the query (minCreationDate/maxCreationDate, departement, typeContrat, ...) or split it into several sources."
                    );
                }
            }
            let received = page.offers.len() as u64;
            report.received += received;
            debug!(source = cx.name(), start, end, received, "Fetched a page.");
            let records = self.normalize_page(cx, &page.offers, start, end);
            if cx.emit(records).await? == Flow::Stop {
                report.stopped = true;
                break;
            }
            if !page.more || received == 0 {
                break;
            }
            start = end + 1;
        }
        Ok(report)
    }

    fn normalize_page(
        &self,
        cx: &SourceContext,
        offers: &[Box<RawValue>],
        start: u64,
        end: u64,
    ) -> Vec<JobRecord> {
        let mut records = Vec::with_capacity(offers.len());
        let mut skipped = 0u64;
        let mut first_error = None;
        for raw in offers {
            match normalize(raw.get(), &self.options) {
                Ok(record) => records.push(record),
                Err(error) => {
                    skipped += 1;
                    SourceStats::bump(&cx.stats().skipped);
                    first_error.get_or_insert(error);
                }
            }
        }
        if let Some(error) = first_error {
            warn!(
                source = cx.name(),
                skipped,
                range = %format!("{start}-{end}"),
                error = %error,
                "Skipped offers that could not be read."
            );
        }
        records
    }

    /// Fetches offers `start..=end` of a slice.
    ///
    /// # Errors
    /// - [`ErrorKind::BadRequest`] on a 400, with the API's message and the
    ///   parameters sent;
    /// - [`ErrorKind::Parse`] when the answer is not the JSON expected;
    /// - [`ErrorKind::Auth`] on a 403, [`ErrorKind::Config`] on a 404 or a
    ///   redirect (the URL is wrong);
    /// - the shared HTTP layer's errors (retries spent, credentials refused).
    async fn fetch_page(
        &self,
        http: &HttpClient,
        slice: &Slice,
        start: u64,
        end: u64,
    ) -> Result<Page> {
        let range = format!("{start}-{end}");
        let what = format!("France Travail search (offers {range})");
        let url = &self.endpoints.search;
        let answer = http
            .fetch(&what, |c| {
                c.get(url.clone())
                    .query(slice.params.pairs())
                    .query(&[("range", range.as_str())])
                    .header(ACCEPT, "application/json")
            })
            .await?;
        let total = content_range_total(answer.header("content-range"));
        match answer.status.as_u16() {
            204 => Ok(Page {
                more: false,
                total: total.or(Some(0)),
                offers: Vec::new(),
            }),
            200 | 206 => {
                let body: SearchAnswer = answer.json(&what)?;
                Ok(Page {
                    more: answer.status.as_u16() == 206,
                    total,
                    offers: body.resultats.unwrap_or_default(),
                })
            }
            _ => Err(refused(&answer, &slice.params, &range)),
        }
    }
}

/// The last index of the next page, or `None` when paging is over.
fn next_end(start: u64, total: Option<u64>, remaining: Option<u64>) -> Option<u64> {
    if start > MAX_START || total.is_some_and(|t| start >= t) || remaining == Some(0) {
        return None;
    }
    let mut size = PAGE_SIZE;
    if let Some(remaining) = remaining {
        size = size.min(remaining);
    }
    if let Some(total) = total {
        size = size.min(total - start);
    }
    Some((start + size - 1).min(MAX_END))
}

/// The total of `Content-Range: offres 0-149/6543` (or `offres */0`).
fn content_range_total(value: Option<&str>) -> Option<u64> {
    let (_, total) = value?.rsplit_once('/')?;
    total.trim().parse().ok()
}

/// The error for a status the search does not expect.
fn refused(answer: &Answer, params: &SearchParams, range: &str) -> Error {
    let status = answer.status;
    let code = match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    };
    let error = match status.as_u16() {
        400 => {
            let message = serde_json::from_slice::<ApiMessage>(&answer.body)
                .ok()
                .and_then(|m| m.message)
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| answer.excerpt(300));
            Error::new(
                ErrorKind::BadRequest,
                format!(
                    "France Travail refused the search: {}; parameters sent: {params}, range={range}. Fix the parameter it names in `params` (names and formats are listed in the connector's README)",
                    message.trim()
                ),
            )
        }
        401 | 403 => Error::new(
            ErrorKind::Auth,
            format!(
                "France Travail refused access to the offers ({code}); check that the application is subscribed to \"Offres d'emploi v2\" on francetravail.io and that `scope` includes api_offresdemploiv2 and o2dsoffre"
            ),
        ),
        404 => Error::config(format!(
            "France Travail answered {code} for the search; check `api_url` (default: {})",
            default_api_url()
        )),
        300..=399 => {
            let to = answer
                .header(LOCATION.as_str())
                .map(|l| format!(" to {l}"))
                .unwrap_or_default();
            Error::config(format!(
                "France Travail redirects the search{to} ({code}); check `api_url` (default: {})",
                default_api_url()
            ))
        }
        _ => Error::new(
            ErrorKind::Http,
            format!(
                "France Travail answered the search with an unexpected {code}: {}",
                answer.excerpt(200)
            ),
        )
        .set_temporary(false),
    };
    error.with_context("url", &answer.url)
}

#[async_trait]
impl Source for FranceTravailSource {
    fn capabilities(&self) -> Capabilities {
        FranceTravailConfig::capabilities()
    }

    async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
        let http = self.http_client(cx.stats().clone())?;
        self.check_communes(&http).await?;
        for slice in self.slices() {
            let report = self.harvest(&http, &cx, &slice).await?;
            info!(
                source = cx.name(),
                total = report.total,
                received = report.received,
                truncated = report.truncated,
                "Paged through the France Travail search."
            );
            if report.stopped {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_stay_in_the_window_and_the_limit() {
        assert_eq!(next_end(0, None, None), Some(149));
        assert_eq!(next_end(150, Some(6543), None), Some(299));
        assert_eq!(next_end(3000, Some(6543), None), Some(3149));
        assert_eq!(next_end(3150, Some(6543), None), None);
        assert_eq!(next_end(0, None, Some(20)), Some(19));
        assert_eq!(next_end(150, Some(160), None), Some(159));
        assert_eq!(next_end(160, Some(160), None), None);
        assert_eq!(next_end(0, None, Some(0)), None);
    }

    #[test]
    fn content_range_gives_the_total() {
        assert_eq!(content_range_total(Some("offres 0-149/6543")), Some(6543));
        assert_eq!(content_range_total(Some("offres */0")), Some(0));
        assert_eq!(content_range_total(Some("offres 0-149/*")), None);
        assert_eq!(content_range_total(None), None);
    }
}
