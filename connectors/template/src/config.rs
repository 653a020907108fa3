//! The `template` source's config, as written in a job spec.
//!
//! ```yaml
//! sources:
//!   - type: template
//!     api_key: ${TEMPLATE_API_KEY}   # the default
//!     rate_limit_per_sec: 2          # a shared HTTP key (see below)
//!     filter: { keywords: [rust] }   # applied by the core
//! ```
//!
//! The shared HTTP keys (`base_url`, `rate_limit_per_sec`, `timeout_secs`,
//! `max_retries`, `max_results`) are not declared here: the registry takes
//! them out of the entry and checks them
//! ([`jobharvest_core::http_config`]), and the source reads them from
//! [`BuildContext::http`] over the board's defaults ([`http_defaults`],
//! [`DEFAULT_BASE_URL`]).
//!
//! Building the source checks what can be checked without the network: the
//! presence of the API key.

use std::time::Duration;

use jobharvest_core::http::HttpSettings;
use jobharvest_core::http_config::HttpConfig;
use jobharvest_core::{
    BuildContext, Capabilities, Error, FilterSupport, NormalizeOptions, Result, Secret, Source,
    SourceConfig,
};
use serde::Deserialize;

use crate::TYPE;
use crate::source::{PAGE_SIZE, TemplateSource};

/// Config of the `template` source: its own keys, without the shared HTTP
/// keys.
///
/// `Debug` shows `api_key` as `***`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateConfig {
    /// The API key (default: the `TEMPLATE_API_KEY` environment variable).
    #[serde(default)]
    pub api_key: Option<Secret>,
}

/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "TEMPLATE_API_KEY";

/// Where to get an API key, said when it is missing or refused.
pub const KEY_HINT: &str = "set TEMPLATE_API_KEY in the environment or in a `.env` file next to the spec, or give `api_key: ${MY_KEY}` in the source; get a key from the board's developer page";

/// The board's API, unless the spec gives `base_url`; the search is
/// `{base_url}/jobs`.
pub const DEFAULT_BASE_URL: &str = "https://api.example.invalid/v1";

/// The board's HTTP defaults, which the spec's shared keys replace: 5
/// requests per second, 30 seconds per request, 5 retries of a temporary
/// failure.
pub fn http_defaults() -> HttpSettings {
    HttpSettings::default()
        .with_rate_limit_per_sec(5.0)
        .with_timeout(Duration::from_secs(30))
        .with_max_retries(5)
}

impl TemplateConfig {
    /// Builds the source from the spec's shared HTTP keys (`http`, already
    /// checked) and this config, reading defaults from `env` (the process
    /// environment in a run, a stub in tests).
    ///
    /// # Errors
    /// A config error naming the key: no API key.
    pub fn build_with_env(
        self,
        http: &HttpConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<TemplateSource> {
        let search = http
            .base_url(DEFAULT_BASE_URL)?
            .join("jobs")
            .map_err(|e| Error::config(format!("base_url: {e}")).with_context("key", "base_url"))?;
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
        Ok(TemplateSource::new(
            search,
            api_key,
            http.settings(http_defaults()),
            http.max_results,
        ))
    }
}

impl SourceConfig for TemplateConfig {
    const TYPE: &'static str = TYPE;
    const DESCRIPTION: &'static str =
        "The template connector (copy it to add a board; see connectors/README.md).";

    /// The shared HTTP keys come in `cx.http`, not in the config.
    const SHARED_HTTP: bool = true;

    fn capabilities() -> Capabilities {
        Capabilities::network("API key in a header", FilterSupport::Client)
            .with_page_size(PAGE_SIZE)
            .with_auth_env(&[ENV_API_KEY])
    }

    fn build(self, cx: &BuildContext) -> Result<Box<dyn Source>> {
        let env = |name: &str| std::env::var(name).ok();
        // `raw` is left out when no sink of the run writes it.
        let options = NormalizeOptions::default().leaving_out_raw(cx.leave_out_raw);
        Ok(Box::new(
            self.build_with_env(&cx.http, &env)?.with_options(options),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use jobharvest_core::Registry;
    use serde_json::{Value, json};

    use super::*;

    /// Builds a source from a spec entry split as the registry splits it:
    /// the shared HTTP keys, then the config.
    fn build(entry: Value, env: &dyn Fn(&str) -> Option<String>) -> Result<TemplateSource> {
        let Value::Object(mut entry) = entry else {
            panic!("an entry is a map")
        };
        let http = HttpConfig::take(&mut entry, "")?;
        let config: TemplateConfig = serde_json::from_value(Value::Object(entry)).unwrap();
        config.build_with_env(&http, env)
    }

    #[test]
    fn a_missing_key_says_where_to_get_one() {
        let err = build(json!({}), &|_| None).unwrap_err();
        assert_eq!(err.kind(), jobharvest_core::ErrorKind::Config);
        assert!(err.to_string().contains(ENV_API_KEY), "{err}");
        let from_env = build(json!({}), &|name| {
            (name == ENV_API_KEY).then(|| "k-123".into())
        });
        assert!(from_env.is_ok());
    }

    #[test]
    fn bad_urls_and_rates_name_their_key() {
        let err = build(json!({"base_url": "ftp://x", "api_key": "k"}), &|_| None).unwrap_err();
        assert!(err.to_string().starts_with("base_url:"), "{err}");
        let err = build(json!({"rate_limit_per_sec": 0, "api_key": "k"}), &|_| None).unwrap_err();
        assert!(err.to_string().starts_with("rate_limit_per_sec:"), "{err}");
    }

    #[test]
    fn the_shared_keys_replace_the_boards_defaults() {
        let source = build(json!({"api_key": "k"}), &|_| None).unwrap();
        assert_eq!(source.http_settings().rate_limit_per_sec, 5.0);
        assert_eq!(
            source.search_url().as_str(),
            "https://api.example.invalid/v1/jobs"
        );
        let source = build(
            json!({"api_key": "k", "base_url": "http://127.0.0.1:9/v2", "rate_limit_per_sec": 50, "timeout_secs": 7}),
            &|_| None,
        )
        .unwrap();
        let settings = source.http_settings();
        assert_eq!(settings.rate_limit_per_sec, 50.0);
        assert_eq!(settings.timeout, Duration::from_secs(7));
        assert_eq!(settings.max_retries, 5, "the default stays");
        assert_eq!(source.search_url().as_str(), "http://127.0.0.1:9/v2/jobs");
    }

    #[test]
    fn a_spec_entry_names_a_bad_shared_key_with_its_position() {
        let mut registry = Registry::new();
        crate::register(&mut registry);
        let err = registry
            .build_source(
                json!({"type": "template", "api_key": "k", "rate_limit_per_sec": 0}),
                "sources[0]",
                Path::new("."),
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("sources[0].rate_limit_per_sec:"),
            "{err}"
        );
        let built = registry
            .build_source(
                json!({"type": "template", "api_key": "k", "rate_limit_per_sec": 50}),
                "sources[0]",
                Path::new("."),
            )
            .unwrap();
        let shown = format!("{:?}", built.source);
        assert!(shown.contains("rate_limit_per_sec: 50.0"), "{shown}");
    }

    #[test]
    fn the_key_never_prints() {
        let source = build(json!({"api_key": "very-secret-key"}), &|_| None).unwrap();
        assert!(!format!("{source:?}").contains("very-secret-key"));
    }
}
