//! The `template` source's config, as written in a job spec.
//!
//! ```yaml
//! sources:
//!   - type: template
//!     api_key: ${TEMPLATE_API_KEY}   # the default
//!     filter: { keywords: [rust] }   # applied by the core
//! ```
//!
//! Building the source checks what can be checked without the network: the
//! URL, the rate and the presence of the API key.

use std::time::Duration;

use jobharvest_core::http::HttpSettings;
use jobharvest_core::{
    BuildContext, Capabilities, Error, FilterSupport, NormalizeOptions, Result, Secret, Source,
    SourceConfig,
};
use serde::Deserialize;
use url::Url;

use crate::TYPE;
use crate::source::{PAGE_SIZE, TemplateSource};

/// Config of the `template` source.
///
/// `Debug` shows `api_key` as `***`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateConfig {
    /// The API's base URL; the search is `{api_url}/jobs`.
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// The API key (default: the `TEMPLATE_API_KEY` environment variable).
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// Requests per second.
    #[serde(default = "default_rate_limit_per_sec")]
    pub rate_limit_per_sec: f64,
    /// How long one request may take.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// How many times a temporary failure is retried.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// Stop after this many offers (default: all). `--limit` applies on top.
    #[serde(default)]
    pub max_results: Option<u64>,
}

/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "TEMPLATE_API_KEY";

/// Where to get an API key, said when it is missing or refused.
pub const KEY_HINT: &str = "set TEMPLATE_API_KEY in the environment or in a `.env` file next to the spec, or give `api_key: ${MY_KEY}` in the source; get a key from the board's developer page";

/// The board's API.
pub fn default_api_url() -> String {
    "https://api.example.invalid/v1".to_string()
}

/// 5 requests per second.
pub fn default_rate_limit_per_sec() -> f64 {
    5.0
}

/// 30 seconds per request.
pub fn default_timeout_secs() -> u64 {
    30
}

/// 5 retries of a temporary failure.
pub fn default_max_retries() -> u32 {
    5
}

impl TemplateConfig {
    /// Builds the source, reading defaults from `env` (the process
    /// environment in a run, a stub in tests).
    ///
    /// # Errors
    /// A config error naming the key: a bad URL or rate, or no API key.
    pub fn build_with_env(self, env: &dyn Fn(&str) -> Option<String>) -> Result<TemplateSource> {
        let base = Url::parse(self.api_url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                key_error(
                    "api_url",
                    &format!(
                        "`{}` is not an http(s) URL, such as {}",
                        self.api_url,
                        default_api_url()
                    ),
                )
            })?;
        let search = Url::parse(&format!("{}/jobs", base.as_str().trim_end_matches('/')))
            .map_err(|e| key_error("api_url", &e.to_string()))?;
        if !(self.rate_limit_per_sec.is_finite() && self.rate_limit_per_sec > 0.0) {
            return Err(key_error(
                "rate_limit_per_sec",
                "must be a positive number of requests per second",
            ));
        }
        let api_key = self
            .api_key
            .filter(|k| !k.is_empty())
            .or_else(|| env(ENV_API_KEY).filter(|k| !k.is_empty()).map(Secret::new))
            .ok_or_else(|| {
                Error::new(
                    jobharvest_core::ErrorKind::Config,
                    format!("the {TYPE} API key is missing: {KEY_HINT}"),
                )
                .with_context("key", "api_key")
            })?;
        let settings = HttpSettings::default()
            .with_rate_limit_per_sec(self.rate_limit_per_sec)
            .with_timeout(Duration::from_secs(self.timeout_secs))
            .with_max_retries(self.max_retries);
        Ok(TemplateSource::new(
            search,
            api_key,
            settings,
            self.max_results,
        ))
    }
}

fn key_error(key: &str, problem: &str) -> Error {
    Error::config(format!("{key}: {problem}")).with_context("key", key)
}

impl SourceConfig for TemplateConfig {
    const TYPE: &'static str = TYPE;
    const DESCRIPTION: &'static str =
        "The template connector (copy it to add a board; see connectors/README.md).";

    fn capabilities() -> Capabilities {
        Capabilities::network("API key in a header", FilterSupport::Client)
            .with_page_size(PAGE_SIZE)
            .with_auth_env(&[ENV_API_KEY])
    }

    fn build(self, cx: &BuildContext) -> Result<Box<dyn Source>> {
        let env = |name: &str| std::env::var(name).ok();
        // `raw` is left out when no sink of the run writes it.
        let options = NormalizeOptions::default().leaving_out_raw(cx.leave_out_raw);
        Ok(Box::new(self.build_with_env(&env)?.with_options(options)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: serde_json::Value) -> TemplateConfig {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_missing_key_says_where_to_get_one() {
        let err = config(serde_json::json!({}))
            .build_with_env(&|_| None)
            .unwrap_err();
        assert_eq!(err.kind(), jobharvest_core::ErrorKind::Config);
        assert!(err.to_string().contains(ENV_API_KEY), "{err}");
        let from_env = config(serde_json::json!({}))
            .build_with_env(&|name| (name == ENV_API_KEY).then(|| "k-123".into()));
        assert!(from_env.is_ok());
    }

    #[test]
    fn bad_urls_and_rates_name_their_key() {
        let err = config(serde_json::json!({"api_url": "ftp://x", "api_key": "k"}))
            .build_with_env(&|_| None)
            .unwrap_err();
        assert!(err.to_string().starts_with("api_url:"), "{err}");
        let err = config(serde_json::json!({"rate_limit_per_sec": 0, "api_key": "k"}))
            .build_with_env(&|_| None)
            .unwrap_err();
        assert!(err.to_string().starts_with("rate_limit_per_sec:"), "{err}");
    }

    #[test]
    fn the_key_never_prints() {
        let source = config(serde_json::json!({"api_key": "very-secret-key"}))
            .build_with_env(&|_| None)
            .unwrap();
        assert!(!format!("{source:?}").contains("very-secret-key"));
    }
}
