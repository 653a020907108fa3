//! The live source: pages through `GET /v2/offres/search`.
//!
//! The API serves 150 offers per request (`range=p-d`, both ends included)
//! and at most 3,150 per query (`p ≤ 3000`, `d ≤ 3149`), whatever the total
//! it reports in `Content-Range: offres p-d/total`. A 206 means more pages
//! remain, a 200 that the range reached the end, a 204 that nothing matches.
//!
//! This module fetches and reads one page, and the referentiels; the
//! private `harvest` module decides which pages to fetch: it cuts a query
//! larger than the window into slices ([`crate::slicing`]) and pages through
//! them concurrently.
//!
//! Rate limiting, retries and token renewal are not here: they live in the
//! shared [`HttpClient`].

use std::sync::Arc;

use jobharvest_auth::Credentials;
use jobharvest_core::http::{Answer, HttpClient, HttpSettings};
use jobharvest_core::tracking::RemovalCheck;
use jobharvest_core::{
    Capabilities, Error, ErrorKind, JobRecord, NormalizeOptions, Plan, Result, Source,
    SourceConfig, SourceContext, SourceStats, async_trait,
};
use reqwest::header::{ACCEPT, LOCATION};
use serde::Deserialize;
use serde_json::value::RawValue;
use tracing::warn;

use crate::config::{Endpoints, FranceTravailConfig, default_api_url};
use crate::incremental::OfferCheck;
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
    pub(crate) credentials: Credentials,
    pub(crate) params: SearchParams,
    pub(crate) options: NormalizeOptions,
    pub(crate) settings: HttpSettings,
    pub(crate) max_results: Option<u64>,
}

/// One page of search results.
#[derive(Debug)]
pub(crate) struct Page {
    /// Whether the API said more pages remain (206).
    pub more: bool,
    /// The total in `Content-Range`, if any.
    pub total: Option<u64>,
    /// The offers, as received.
    pub offers: Vec<Box<RawValue>>,
    /// `filtresPossibles`' counts of contract types over the whole result.
    pub type_counts: Option<Vec<(String, u64)>>,
}

/// The body of a search answer.
#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    resultats: Option<Vec<Box<RawValue>>>,
    #[serde(default, rename = "filtresPossibles")]
    filters: Option<Box<RawValue>>,
}

/// One entry of `filtresPossibles`; read leniently, it is only a hint.
#[derive(Deserialize)]
struct Filter {
    #[serde(default)]
    filtre: Option<String>,
    #[serde(default)]
    agregation: Vec<Aggregate>,
}

#[derive(Deserialize)]
struct Aggregate {
    #[serde(default, rename = "valeurPossible")]
    value: Option<String>,
    #[serde(default, rename = "nbResultats")]
    count: Option<u64>,
}

/// One entry of a referentiel (`{code, libelle}`).
#[derive(Deserialize)]
struct Code {
    code: Option<String>,
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

    /// How the source authenticates: for the application, or for the user
    /// who logged in with `jobharvest auth login`.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The cap the spec's `max_results` puts on the harvest, if any.
    pub fn max_results(&self) -> Option<u64> {
        self.max_results
    }

    pub(crate) fn http_client(&self, stats: Arc<SourceStats>) -> Result<HttpClient> {
        let auth = self.credentials.token_provider();
        HttpClient::new(self.settings.clone(), stats, Some(auth))
    }

    /// Checks `commune` against the API's commune list, so that a postal
    /// code or a name fails with the INSEE code to use instead of a bare 400.
    ///
    /// A failure to get the list is only a warning (the search itself will
    /// tell), except refused credentials.
    pub(crate) async fn check_communes(&self, http: &HttpClient) -> Result<()> {
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

    pub(crate) fn normalize_page(
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

    /// Fetches offers `start..=end` of the search with `params`.
    ///
    /// # Errors
    /// - [`ErrorKind::BadRequest`] on a 400, with the API's message and the
    ///   parameters sent;
    /// - [`ErrorKind::Parse`] when the answer is not the JSON expected;
    /// - [`ErrorKind::Auth`] on a 403, [`ErrorKind::Config`] on a 404 or a
    ///   redirect (the URL is wrong);
    /// - the shared HTTP layer's errors (retries spent, credentials refused).
    pub(crate) async fn fetch_page(
        &self,
        http: &HttpClient,
        params: &SearchParams,
        start: u64,
        end: u64,
    ) -> Result<Page> {
        let range = format!("{start}-{end}");
        let what = format!("France Travail search (offers {range})");
        let url = &self.endpoints.search;
        let answer = http
            .fetch(&what, |c| {
                c.get(url.clone())
                    .query(params.pairs())
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
                type_counts: None,
            }),
            200 | 206 => {
                let body: SearchAnswer = answer.json(&what)?;
                Ok(Page {
                    more: answer.status.as_u16() == 206,
                    total,
                    offers: body.resultats.unwrap_or_default(),
                    type_counts: body.filters.as_deref().and_then(type_counts),
                })
            }
            _ => Err(refused(&answer, params, &range)),
        }
    }

    /// The codes of referentiel `name` (`departements`, `typesContrats`).
    ///
    /// # Errors
    /// The HTTP layer's errors, or a temporary error when the answer is not
    /// a list of codes.
    pub(crate) async fn fetch_codes(&self, http: &HttpClient, name: &str) -> Result<Vec<String>> {
        let url = self.endpoints.referentiel(name);
        let what = format!("France Travail referentiel `{name}`");
        let answer = http
            .fetch(&what, |c| {
                c.get(url.clone()).header(ACCEPT, "application/json")
            })
            .await?;
        if !answer.status.is_success() {
            return Err(Error::new(
                ErrorKind::Http,
                format!("{what}: the API answered {}", answer.status),
            )
            .with_context("url", &answer.url));
        }
        let codes: Vec<Code> = answer.json(&what)?;
        let codes: Vec<String> = codes.into_iter().filter_map(|c| c.code).collect();
        if codes.is_empty() {
            return Err(Error::new(
                ErrorKind::Http,
                format!("{what}: the list is empty"),
            ));
        }
        Ok(codes)
    }
}

/// The counts of `filtresPossibles` for `typeContrat`.
fn type_counts(raw: &RawValue) -> Option<Vec<(String, u64)>> {
    let filters: Vec<Filter> = serde_json::from_str(raw.get()).ok()?;
    let filter = filters
        .into_iter()
        .find(|f| f.filtre.as_deref() == Some("typeContrat"))?;
    let counts: Vec<(String, u64)> = filter
        .agregation
        .into_iter()
        .filter_map(|a| Some((a.value?, a.count?)))
        .collect();
    (!counts.is_empty()).then_some(counts)
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
        crate::harvest::run(*self, cx).await
    }

    async fn plan(self: Box<Self>, cx: SourceContext) -> Result<Option<Plan>> {
        crate::harvest::plan(*self, cx).await.map(Some)
    }

    fn removal_check(&self, stats: Arc<SourceStats>) -> Option<Arc<dyn RemovalCheck>> {
        // Counted with the harvest's requests: the run's summary is taken
        // after the removals are confirmed.
        match self.http_client(stats) {
            Ok(http) => Some(Arc::new(OfferCheck::new(http, self.endpoints.base.clone()))),
            Err(e) => {
                warn!(error = %e, "Cannot build the client that confirms removals; offers not returned will count as removed.");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_gives_the_total() {
        assert_eq!(content_range_total(Some("offres 0-149/6543")), Some(6543));
        assert_eq!(content_range_total(Some("offres */0")), Some(0));
        assert_eq!(content_range_total(Some("offres 0-149/*")), None);
        assert_eq!(content_range_total(None), None);
    }
}
