//! The `adzuna` source's config, as written in a job spec.
//!
//! ```yaml
//! sources:
//!   - type: adzuna
//!     country: fr
//!     params: { what: "data analyst", where: Paris, max_days_old: 7 }
//! ```
//!
//! The shared HTTP keys (`base_url`, `rate_limit_per_sec`, `timeout_secs`,
//! `max_retries`, `max_results`) are not declared here: the registry takes
//! them out of the entry and checks them
//! ([`jobharvest_core::http_config`]), and the source reads them from
//! [`BuildContext::http`] over Adzuna's defaults ([`http_defaults`],
//! [`DEFAULT_BASE_URL`]).
//!
//! Building the source checks everything else that can be checked without
//! the network: the country, the parameters, the quotas and the presence of
//! the keys.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use jobharvest_core::http::HttpSettings;
use jobharvest_core::registry::similar;
use jobharvest_core::{
    BuildContext, Capabilities, Error, ErrorKind, FilterSupport, NormalizeOptions, Result, Secret,
    Source, SourceConfig,
};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::TYPE;
use crate::normalize::currency;
use crate::source::AdzunaSource;

/// Config of the `adzuna` source: its own keys, without the shared HTTP
/// keys.
///
/// `Debug` shows `app_key` as `***`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdzunaConfig {
    /// The country's code in Adzuna's URLs (`fr`, `gb`, `de`, `us`, ...).
    #[serde(default = "default_country")]
    pub country: String,
    /// Search parameters, with Adzuna's own names (`what`, `where`,
    /// `distance`, `max_days_old`, `category`, ...).
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    /// The application id (default: `ADZUNA_APP_ID`).
    #[serde(default)]
    pub app_id: Option<String>,
    /// The application key (default: `ADZUNA_APP_KEY`).
    #[serde(default)]
    pub app_key: Option<Secret>,
    /// Offers per page, at most 50.
    #[serde(default = "default_results_per_page")]
    pub results_per_page: u32,
    /// The account's quotas and where the budgets are remembered.
    #[serde(default)]
    pub quota: QuotaConfig,
}

/// The account's request quotas (Adzuna's defaults for a free account).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    /// Requests in any minute; requests wait for room (0: no limit).
    #[serde(default = "default_per_minute")]
    pub per_minute: u32,
    /// Requests per UTC day; a run stops when it is spent.
    #[serde(default = "default_per_day")]
    pub per_day: u64,
    /// Requests per week (Monday 00:00 UTC); a run stops when it is spent.
    #[serde(default = "default_per_week")]
    pub per_week: u64,
    /// The file the daily and weekly budgets are remembered in (relative to
    /// the spec). Default: `jobharvest/budgets.json` in the user's data
    /// folder.
    #[serde(default)]
    pub budget_file: Option<PathBuf>,
}

impl Default for QuotaConfig {
    fn default() -> Self {
        QuotaConfig {
            per_minute: default_per_minute(),
            per_day: default_per_day(),
            per_week: default_per_week(),
            budget_file: None,
        }
    }
}

/// France.
pub fn default_country() -> String {
    "fr".to_string()
}

/// Adzuna's API host, unless the spec gives `base_url`; searches go to
/// `{base_url}/v1/api/...`.
pub const DEFAULT_BASE_URL: &str = "https://api.adzuna.com";

/// 50 offers per page: the API's maximum.
pub fn default_results_per_page() -> u32 {
    MAX_RESULTS_PER_PAGE
}

/// Adzuna's HTTP defaults, which the spec's shared keys replace: 2
/// requests per second (the per-minute quota is the real limit), 30
/// seconds per request, 3 retries of a temporary failure (each costs a
/// request of the budget).
pub fn http_defaults() -> HttpSettings {
    HttpSettings::default()
        .with_rate_limit_per_sec(2.0)
        .with_timeout(Duration::from_secs(30))
        .with_max_retries(3)
}

/// 25 requests a minute.
pub fn default_per_minute() -> u32 {
    25
}

/// 250 requests a day.
pub fn default_per_day() -> u64 {
    250
}

/// 1,000 requests a week.
pub fn default_per_week() -> u64 {
    1000
}

/// The largest page the API serves.
pub const MAX_RESULTS_PER_PAGE: u32 = 50;

/// Environment variable holding the application id.
pub const ENV_APP_ID: &str = "ADZUNA_APP_ID";
/// Environment variable holding the application key.
pub const ENV_APP_KEY: &str = "ADZUNA_APP_KEY";

/// Where to get keys.
pub const SIGNUP_URL: &str = "https://developer.adzuna.com/";

/// The search parameters the connector accepts in `params`, with the
/// kind of value each takes.
const PARAMS: &[(&str, ParamKind)] = &[
    ("what", ParamKind::Text),
    ("what_and", ParamKind::Text),
    ("what_phrase", ParamKind::Text),
    ("what_or", ParamKind::Text),
    ("what_exclude", ParamKind::Text),
    ("title_only", ParamKind::Text),
    ("where", ParamKind::Text),
    ("distance", ParamKind::Number),
    ("location0", ParamKind::Text),
    ("location1", ParamKind::Text),
    ("location2", ParamKind::Text),
    ("location3", ParamKind::Text),
    ("location4", ParamKind::Text),
    ("location5", ParamKind::Text),
    ("location6", ParamKind::Text),
    ("location7", ParamKind::Text),
    ("max_days_old", ParamKind::Number),
    ("category", ParamKind::Text),
    ("salary_min", ParamKind::Number),
    ("salary_max", ParamKind::Number),
    ("salary_include_unknown", ParamKind::Flag),
    ("full_time", ParamKind::Flag),
    ("part_time", ParamKind::Flag),
    ("contract", ParamKind::Flag),
    ("permanent", ParamKind::Flag),
    ("company", ParamKind::Text),
];

/// Parameters the connector sets itself.
const RESERVED: &[&str] = &[
    "app_id",
    "app_key",
    "results_per_page",
    "sort_by",
    "sort_dir",
    "page",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParamKind {
    Text,
    Number,
    /// Adzuna's flags take `1`.
    Flag,
}

fn key_error(key: &str, problem: &str) -> Error {
    Error::config(format!("{key}: {problem}")).with_context("key", key)
}

/// Checks `params` and writes them as query pairs, in name order.
///
/// # Errors
/// A config error naming the parameter: unknown (with a "did you mean"),
/// reserved, or of the wrong kind.
pub fn query_pairs(params: &BTreeMap<String, Value>) -> Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for (name, value) in params {
        let key = format!("params.{name}");
        if RESERVED.contains(&name.as_str()) {
            return Err(key_error(
                &key,
                "is set by the connector (keys from `app_id`/`app_key`, `results_per_page` from the source's own key, results sorted by date); remove it from `params`",
            ));
        }
        let Some((_, kind)) = PARAMS.iter().find(|(n, _)| n == name) else {
            // Among the look-alikes, prefer one that extends or cuts the name.
            let hint = PARAMS
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| similar(n, name))
                .max_by_key(|n| n.starts_with(name.as_str()) || name.starts_with(n))
                .map(|n| format!(" Did you mean `{n}`?"))
                .unwrap_or_default();
            let known: Vec<_> = PARAMS.iter().map(|(n, _)| *n).collect();
            return Err(key_error(
                &key,
                &format!(
                    "Adzuna has no search parameter `{name}`; known: {}.{hint}",
                    known.join(", ")
                ),
            ));
        };
        let text = match (kind, value) {
            (ParamKind::Text, Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            (ParamKind::Text, Value::Number(n)) => n.to_string(),
            (ParamKind::Number, Value::Number(n)) if n.as_f64().is_some_and(|f| f >= 0.0) => {
                n.to_string()
            }
            (ParamKind::Number, Value::String(s))
                if s.trim().parse::<f64>().is_ok_and(|f| f >= 0.0) =>
            {
                s.trim().to_string()
            }
            (ParamKind::Flag, Value::Bool(true)) => "1".to_string(),
            (ParamKind::Flag, Value::Number(n)) if n.as_u64() == Some(1) => "1".to_string(),
            (ParamKind::Flag, Value::Bool(false)) => continue,
            (ParamKind::Text, _) => {
                return Err(key_error(&key, "must be a non-empty text"));
            }
            (ParamKind::Number, _) => {
                return Err(key_error(
                    &key,
                    &format!("must be a number of zero or more, found {value}"),
                ));
            }
            (ParamKind::Flag, _) => {
                return Err(key_error(
                    &key,
                    &format!("is a flag: write `{name}: true`, found {value}"),
                ));
            }
        };
        pairs.push((name.clone(), text));
    }
    Ok(pairs)
}

/// The search URL of page `page` before the query string:
/// `{base}/v1/api/jobs/{country}/search/{page}`.
pub fn search_url(base: &Url, country: &str, page: u64) -> Url {
    let mut url = base.clone();
    let path = format!(
        "{}/v1/api/jobs/{country}/search/{page}",
        base.path().trim_end_matches('/')
    );
    url.set_path(&path);
    url
}

impl AdzunaConfig {
    /// Builds the source from this config and the spec's shared HTTP keys
    /// (`cx.http`, already checked), reading missing keys from `env` (the
    /// process environment in [`SourceConfig::build`]).
    ///
    /// # Errors
    /// A config error naming the key and the fix: an unknown country, bad
    /// parameters, out-of-range quotas, missing keys.
    pub fn build_with_env(
        self,
        cx: &BuildContext,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<AdzunaSource> {
        let country = self.country.trim().to_lowercase();
        if currency(&country).is_none() {
            return Err(key_error(
                "country",
                &format!(
                    "Adzuna has no country `{}`; known: {}",
                    self.country,
                    crate::normalize::COUNTRIES
                        .iter()
                        .map(|(c, _, _)| *c)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let params = query_pairs(&self.params)?;
        let base_url = cx.http.base_url(DEFAULT_BASE_URL)?;
        if !(1..=MAX_RESULTS_PER_PAGE).contains(&self.results_per_page) {
            return Err(key_error(
                "results_per_page",
                &format!(
                    "{} is out of range; Adzuna serves 1 to {MAX_RESULTS_PER_PAGE} offers per page",
                    self.results_per_page
                ),
            ));
        }
        for (key, value) in [
            ("quota.per_day", self.quota.per_day),
            ("quota.per_week", self.quota.per_week),
        ] {
            if value == 0 {
                return Err(key_error(
                    key,
                    "0 allows no request; give the account's quota (Adzuna's default: 250 a day, 1000 a week)",
                ));
            }
        }
        let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let app_id = nonempty(self.app_id).or_else(|| nonempty(env(ENV_APP_ID)));
        let app_key = self
            .app_key
            .filter(|s| !s.expose().trim().is_empty())
            .or_else(|| nonempty(env(ENV_APP_KEY)).map(Secret::new));
        let (app_id, app_key) = match (app_id, app_key) {
            (Some(id), Some(key)) => (id.trim().to_string(), key),
            (id, key) => {
                let missing: Vec<_> = [(id.is_none(), ENV_APP_ID), (key.is_none(), ENV_APP_KEY)]
                    .into_iter()
                    .filter_map(|(m, name)| m.then_some(name))
                    .collect();
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "Adzuna keys are missing ({}): set {ENV_APP_ID} and {ENV_APP_KEY} in the environment or in a `.env` file next to the spec, or give `app_id: ${{MY_ID}}` and `app_key: ${{MY_KEY}}` in the source. To get them, register an application at {SIGNUP_URL}",
                        missing.join(", ")
                    ),
                ));
            }
        };
        let budget_file = match &self.quota.budget_file {
            Some(path) => cx.resolve(path),
            None => jobharvest_core::quota::default_budget_file(&cx.base_dir),
        };
        Ok(AdzunaSource {
            country,
            params,
            base_url,
            app_id,
            app_key,
            results_per_page: self.results_per_page,
            quota: self.quota,
            budget_file,
            settings: cx.http.settings(http_defaults()),
            max_results: cx.http.max_results,
            minute: Duration::from_secs(60),
            // `raw` is left out when no sink of the run writes it.
            options: NormalizeOptions::default().leaving_out_raw(cx.leave_out_raw),
        })
    }
}

impl SourceConfig for AdzunaConfig {
    const TYPE: &'static str = TYPE;
    const DESCRIPTION: &'static str = "Adzuna job search (about 20 countries), filtered server-side with Adzuna's own parameters; paced and budgeted by the account's quotas (25/minute, 250/day, 1,000/week by default).";

    /// The shared HTTP keys come in `cx.http`, not in the config.
    const SHARED_HTTP: bool = true;

    fn capabilities() -> Capabilities {
        Capabilities::network(
            "app_id + app_key (ADZUNA_APP_ID, ADZUNA_APP_KEY)",
            FilterSupport::Server,
        )
        .with_page_size(MAX_RESULTS_PER_PAGE)
        .with_incremental()
    }

    fn build(self, cx: &BuildContext) -> Result<Box<dyn Source>> {
        let env = |name: &str| std::env::var(name).ok();
        Ok(Box::new(self.build_with_env(cx, &env)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn params_become_query_pairs() {
        let pairs = query_pairs(&params(json!({
            "what": "data analyst", "distance": 20, "max_days_old": "7",
            "full_time": true, "part_time": false, "where": "Paris"
        })))
        .unwrap();
        let pairs: Vec<_> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            pairs,
            [
                "distance=20",
                "full_time=1",
                "max_days_old=7",
                "what=data analyst",
                "where=Paris"
            ]
        );
    }

    #[test]
    fn bad_params_are_named_with_the_fix() {
        let err = query_pairs(&params(json!({"wher": "Paris"}))).unwrap_err();
        assert!(err.to_string().contains("params.wher"), "{err}");
        assert!(err.to_string().contains("Did you mean `where`?"), "{err}");
        let err = query_pairs(&params(json!({"sort_by": "date"}))).unwrap_err();
        assert!(err.to_string().contains("set by the connector"), "{err}");
        let err = query_pairs(&params(json!({"distance": "far"}))).unwrap_err();
        assert!(err.to_string().contains("must be a number"), "{err}");
        let err = query_pairs(&params(json!({"full_time": "yes"}))).unwrap_err();
        assert!(err.to_string().contains("full_time: true"), "{err}");
    }

    #[test]
    fn search_url_keeps_a_base_path() {
        let base = Url::parse("http://127.0.0.1:9/adzuna/").unwrap();
        assert_eq!(
            search_url(&base, "fr", 3).as_str(),
            "http://127.0.0.1:9/adzuna/v1/api/jobs/fr/search/3"
        );
        let base = Url::parse(DEFAULT_BASE_URL).unwrap();
        assert_eq!(
            search_url(&base, "gb", 1).as_str(),
            "https://api.adzuna.com/v1/api/jobs/gb/search/1"
        );
    }
}
