//! The `france_travail` source's config, as written in a job spec.
//!
//! ```yaml
//! sources:
//!   - type: france_travail
//!     params:
//!       motsCles: data
//!       departement: [75, 92]
//!       publieeDepuis: 7
//! ```
//!
//! The shared HTTP keys `rate_limit_per_sec`, `timeout_secs`, `max_retries`
//! and `max_results` are not declared here: the registry takes them out of
//! the entry and checks them ([`jobharvest_core::http_config`]), and the
//! source reads them from [`BuildContext::http`] over France Travail's
//! defaults ([`http_defaults`]). The API's URLs are this source's own keys,
//! `api_url` and `token_url`, since they are two endpoints on two hosts and
//! not one base URL: the shared `base_url` key is refused.
//!
//! Building the source checks everything else that can be checked without
//! the network: the parameters, the URLs and the presence of credentials.

use std::collections::BTreeMap;
use std::path::Path;

use jobharvest_auth::{AuthorizationCodeFlow, ClientCredentialsSettings, Credentials};
use jobharvest_core::http::HttpSettings;
use jobharvest_core::http_config::HttpConfig;
use jobharvest_core::{
    BuildContext, Capabilities, Error, FilterSupport, NormalizeOptions, Result, Secret, Source,
    SourceConfig,
};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::TYPE;
use crate::connect::{AppCredentials, AuthConfig, user_credentials};
use crate::params::SearchParams;
use crate::source::{FranceTravailSource, PAGE_SIZE, RESULT_WINDOW};

/// Config of the `france_travail` source: its own keys, without the shared
/// HTTP keys.
///
/// `Debug` shows `client_secret` as `***`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FranceTravailConfig {
    /// Search parameters, with the API's own names (`motsCles`,
    /// `departement`, `minCreationDate`, ...). Lists are joined with commas.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    /// The OAuth2 token endpoint. A `realm` query parameter is added
    /// (`/partenaire`) when the URL has none.
    #[serde(default = "default_token_url")]
    pub token_url: String,
    /// The API's base URL (`…/partenaire/offresdemploi`); the `…/v2` URL or
    /// the full search URL are accepted too.
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// The application's client id (default: `FT_CLIENT_ID`).
    #[serde(default)]
    pub client_id: Option<String>,
    /// The application's client secret (default: `FT_CLIENT_SECRET`).
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// OAuth2 scopes (default: `FT_SCOPE`, else both scopes the API needs).
    #[serde(default)]
    pub scope: Option<String>,
    /// Keep recruiter names, phones and e-mails (personal data).
    #[serde(default)]
    pub include_personal_data: bool,
    /// How the source authenticates: for the application (client
    /// credentials, the default) or for a user (France Travail Connect).
    /// See [`crate::connect`].
    #[serde(default)]
    pub auth: Option<AuthConfig>,
}

/// France Travail's token endpoint for applications (realm `/partenaire`).
pub fn default_token_url() -> String {
    "https://entreprise.francetravail.fr/connexion/oauth2/access_token?realm=%2Fpartenaire"
        .to_string()
}

/// The base URL of "Offres d'emploi v2".
pub fn default_api_url() -> String {
    "https://api.francetravail.io/partenaire/offresdemploi".to_string()
}

/// France Travail's HTTP defaults, which the spec's shared keys replace: 10
/// requests per second (the API's limit per application), 30 seconds per
/// request, 5 retries of a temporary failure, the first after
/// [`RETRY_MIN_DELAY`].
pub fn http_defaults() -> HttpSettings {
    let defaults = HttpSettings::default();
    let max_delay = defaults.retry_max_delay;
    defaults
        .with_rate_limit_per_sec(10.0)
        .with_timeout(std::time::Duration::from_secs(30))
        .with_max_retries(5)
        .with_retry_delays(RETRY_MIN_DELAY, max_delay)
}

/// Both scopes the search needs.
pub fn default_scope() -> String {
    "api_offresdemploiv2 o2dsoffre".to_string()
}

/// The first retry of a temporary failure waits this long (then twice as
/// long each time, plus jitter); a 429's `Retry-After` replaces it.
pub const RETRY_MIN_DELAY: std::time::Duration = std::time::Duration::from_millis(100);

/// Environment variable holding the client id.
pub const ENV_CLIENT_ID: &str = "FT_CLIENT_ID";
/// Environment variable holding the client secret.
pub const ENV_CLIENT_SECRET: &str = "FT_CLIENT_SECRET";
/// Environment variable holding the scopes.
pub const ENV_SCOPE: &str = "FT_SCOPE";

/// Said when the token endpoint refuses the credentials.
pub(crate) const CREDENTIALS_HINT: &str = "check FT_CLIENT_ID and FT_CLIENT_SECRET (or `client_id`/`client_secret` in the spec); `invalid_scope` means the application is not subscribed to \"Offres d'emploi v2\" on francetravail.io";

/// The API's URLs, derived from `api_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `{base}/v2/offres/search`.
    pub search: Url,
    /// `{base}`, without a trailing slash.
    pub base: String,
}

impl Endpoints {
    /// Reads `api_url`: the base URL, the `…/v2` URL or the search URL.
    ///
    /// # Errors
    /// A config error when it is not an http(s) URL.
    pub fn from_api_url(api_url: &str) -> Result<Self> {
        let url = http_url("api_url", api_url)?;
        let mut text = url.as_str().trim_end_matches('/').to_string();
        if url.query().is_some() || url.fragment().is_some() {
            return Err(key_error(
                "api_url",
                &format!(
                    "`{api_url}` has a query string; give the base URL, such as {}",
                    default_api_url()
                ),
            ));
        }
        let (search, base) = if text.ends_with("/offres/search") {
            let base = text
                .strip_suffix("/v2/offres/search")
                .or_else(|| text.strip_suffix("/offres/search"))
                .unwrap_or(&text)
                .to_string();
            (text.clone(), base)
        } else if let Some(base) = text.strip_suffix("/v2") {
            let base = base.to_string();
            text.push_str("/offres/search");
            (text, base)
        } else {
            (format!("{text}/v2/offres/search"), text)
        };
        Ok(Endpoints {
            search: http_url("api_url", &search)?,
            base,
        })
    }

    /// `{base}/v2/referentiel/{name}`.
    pub fn referentiel(&self, name: &str) -> Url {
        // `base` parsed as a URL already; appending a path keeps it one.
        Url::parse(&format!("{}/v2/referentiel/{name}", self.base))
            .unwrap_or_else(|_| self.search.clone())
    }
}

/// `token_url` with `realm=/partenaire` added when it has no realm.
///
/// # Errors
/// A config error when it is not an http(s) URL.
pub fn token_url(text: &str) -> Result<Url> {
    let mut url = http_url("token_url", text)?;
    if !url.query_pairs().any(|(k, _)| k == "realm") {
        url.query_pairs_mut().append_pair("realm", "/partenaire");
    }
    Ok(url)
}

pub(crate) fn http_url(key: &str, text: &str) -> Result<Url> {
    let url = Url::parse(text.trim())
        .map_err(|e| key_error(key, &format!("`{text}` is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(key_error(key, &format!("`{text}` is not an http(s) URL")));
    }
    Ok(url)
}

pub(crate) fn key_error(key: &str, problem: &str) -> Error {
    Error::config(format!("{key}: {problem}")).with_context("key", key)
}

impl FranceTravailConfig {
    /// Builds the source from this config and the spec's shared HTTP keys
    /// (`http`, already checked), reading missing credentials and scope
    /// from `env` (the process environment in [`SourceConfig::build`]).
    ///
    /// # Errors
    /// A config error naming the key and the fix: bad parameters, bad URLs,
    /// a `base_url`, missing credentials.
    pub fn build_with_env(
        self,
        http: &HttpConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<FranceTravailSource> {
        if http.base_url.is_some() {
            return Err(key_error(
                "base_url",
                &format!(
                    "France Travail has no single base URL; remove `base_url` and give the search API's URL as `api_url` (default {}) and the token endpoint's as `token_url`",
                    default_api_url()
                ),
            ));
        }
        let params = SearchParams::from_spec(&self.params)?;
        let endpoints = Endpoints::from_api_url(&self.api_url)?;
        let token_url = token_url(&self.token_url)?;
        let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let client_id = nonempty(self.client_id).or_else(|| nonempty(env(ENV_CLIENT_ID)));
        let client_secret = self
            .client_secret
            .filter(|s| !s.is_empty())
            .or_else(|| nonempty(env(ENV_CLIENT_SECRET)).map(Secret::new));
        let (client_id, client_secret) = match (client_id, client_secret) {
            (Some(id), Some(secret)) => (id.trim().to_string(), secret),
            (id, secret) => {
                let mut missing = Vec::new();
                if id.is_none() {
                    missing.push(ENV_CLIENT_ID);
                }
                if secret.is_none() {
                    missing.push(ENV_CLIENT_SECRET);
                }
                return Err(Error::new(
                    jobharvest_core::ErrorKind::Config,
                    format!(
                        "France Travail credentials are missing ({}): set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} in the environment or in a `.env` file next to the spec, or give `client_id: ${{MY_ID}}` and `client_secret: ${{MY_SECRET}}` in the source. To get them, create an application on https://francetravail.io and subscribe it to the \"Offres d'emploi v2\" API",
                        missing.join(", ")
                    ),
                ));
            }
        };
        let scope = nonempty(self.scope)
            .or_else(|| nonempty(env(ENV_SCOPE)))
            .unwrap_or_else(default_scope);
        let settings = http.settings(http_defaults());
        let app = AppCredentials {
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            timeout: settings.timeout,
        };
        let credentials = match self.auth.unwrap_or_default().code_flow(app, env)? {
            Some(flow) => user_credentials(flow),
            None => Credentials::ClientCredentials(ClientCredentialsSettings {
                token_url,
                client_id,
                client_secret,
                scope,
                hint: CREDENTIALS_HINT.to_string(),
            }),
        };
        Ok(FranceTravailSource {
            endpoints,
            credentials,
            params,
            options: NormalizeOptions::with_personal_data(self.include_personal_data),
            settings,
            max_results: http.max_results,
        })
    }
}

impl FranceTravailConfig {
    /// The config with `auth.token_store` resolved against `base_dir` (the
    /// spec's folder).
    pub fn in_folder(mut self, base_dir: &Path) -> Self {
        if let Some(path) = self.auth.as_mut().and_then(|a| a.token_store.as_mut())
            && path.is_relative()
        {
            *path = base_dir.join(&*path);
        }
        self
    }

    /// The France Travail Connect login of a source acting for a user
    /// (`auth: {flow: authorization_code}`), or `None` for one acting for
    /// the application. `jobharvest auth` uses it. The login's requests
    /// take France Travail's default timeout ([`http_defaults`]).
    ///
    /// # Errors
    /// As [`FranceTravailConfig::build_with_env`].
    pub fn login_flow(
        self,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<AuthorizationCodeFlow>> {
        let source = self
            .in_folder(base_dir)
            .build_with_env(&HttpConfig::default(), env)?;
        Ok(source.credentials.authorization_code().cloned())
    }
}

impl SourceConfig for FranceTravailConfig {
    const TYPE: &'static str = TYPE;
    const DESCRIPTION: &'static str = "France Travail job offers (API \"Offres d'emploi v2\"), filtered server-side with the API's own parameters; queries beyond the API's 3,150-offer window are sliced automatically.";

    /// The shared HTTP keys come in `cx.http`, not in the config.
    const SHARED_HTTP: bool = true;

    fn capabilities() -> Capabilities {
        Capabilities::network(
            "OAuth2 client credentials (FT_CLIENT_ID, FT_CLIENT_SECRET), or a user's France Travail Connect login (`auth: {flow: authorization_code}`)",
            FilterSupport::Server,
        )
        .with_page_size(PAGE_SIZE as u32)
        .with_result_window(RESULT_WINDOW)
        .with_date_window()
        .with_resume()
        .with_incremental()
    }

    fn build(self, cx: &BuildContext) -> Result<Box<dyn Source>> {
        let env = |name: &str| std::env::var(name).ok();
        let mut source = self
            .in_folder(&cx.base_dir)
            .build_with_env(&cx.http, &env)?;
        source.options = source.options.leaving_out_raw(cx.leave_out_raw);
        Ok(Box::new(source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_url_forms() {
        let e = Endpoints::from_api_url(&default_api_url()).unwrap();
        assert_eq!(
            e.search.as_str(),
            "https://api.francetravail.io/partenaire/offresdemploi/v2/offres/search"
        );
        assert_eq!(
            e.referentiel("communes").as_str(),
            "https://api.francetravail.io/partenaire/offresdemploi/v2/referentiel/communes"
        );
        for form in [
            "https://h.test/p/offresdemploi/",
            "https://h.test/p/offresdemploi/v2",
            "https://h.test/p/offresdemploi/v2/",
            "https://h.test/p/offresdemploi/v2/offres/search",
        ] {
            let e = Endpoints::from_api_url(form).unwrap();
            assert_eq!(
                e.search.as_str(),
                "https://h.test/p/offresdemploi/v2/offres/search",
                "{form}"
            );
            assert_eq!(e.base, "https://h.test/p/offresdemploi", "{form}");
        }
        assert!(Endpoints::from_api_url("ftp://h.test").is_err());
        assert!(Endpoints::from_api_url("not a url").is_err());
    }

    #[test]
    fn realm_is_added_to_the_query_when_missing() {
        assert_eq!(
            token_url(&default_token_url()).unwrap().query(),
            Some("realm=%2Fpartenaire")
        );
        assert_eq!(
            token_url("https://h.test/connexion/oauth2/access_token")
                .unwrap()
                .query(),
            Some("realm=%2Fpartenaire")
        );
        assert_eq!(
            token_url("https://h.test/token?realm=/individu")
                .unwrap()
                .query(),
            Some("realm=/individu")
        );
    }
}
