//! Helpers the HTTP layer's tests share.

use std::sync::Arc;
use std::time::Duration;

use url::Url;
use wiremock::{MockServer, ResponseTemplate};

use super::{ClientCredentials, HttpClient, HttpSettings, TokenProvider};
use crate::secret::Secret;
use crate::source::SourceStats;

/// Settings for tests: no real pacing, short backoff delays.
pub(super) fn fast() -> HttpSettings {
    HttpSettings::default()
        .with_rate_limit_per_sec(1000.0)
        .with_retry_delays(Duration::from_millis(5), Duration::from_millis(20))
        .with_timeout(Duration::from_secs(5))
}

/// A client with fresh counters.
pub(super) fn client(settings: HttpSettings, auth: Option<Arc<dyn TokenProvider>>) -> HttpClient {
    HttpClient::new(settings, Arc::new(SourceStats::new()), auth).unwrap()
}

/// A request builder for `GET server/p`.
pub(super) fn get(
    server: &MockServer,
    p: &str,
) -> impl Fn(&reqwest::Client) -> reqwest::RequestBuilder {
    let url = format!("{}{p}", server.uri());
    move |c: &reqwest::Client| c.get(&url)
}

/// Credentials for `server/token?realm=/partenaire`, France Travail's shape.
pub(super) fn credentials(server: &MockServer) -> ClientCredentials {
    let url = Url::parse(&format!("{}/token?realm=%2Fpartenaire", server.uri())).unwrap();
    ClientCredentials::new(url, "my-id", Secret::new("s3cr3t-value"))
        .with_scope("api_x")
        .with_hint("check MY_ID and MY_SECRET")
}

/// A token endpoint's answer.
pub(super) fn token_answer(token: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": token, "token_type": "Bearer", "expires_in": expires_in, "scope": "api_x"
    }))
}
