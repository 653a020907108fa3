//! [`ClientCredentials`]: the OAuth2 client-credentials grant (RFC 6749
//! §4.4) as a [`TokenProvider`], on the `oauth2` crate.
//!
//! `oauth2` builds the token request (the form, `Accept`, the client
//! authentication in the body) and reads a standard answer; it sends
//! through the source's own reqwest client ([`OAuthHttp`], answers capped
//! at 1 MiB). What this module adds is what a harvest needs around it:
//! single-flight renewal ahead of expiry, learning a token's real lifetime
//! from early refusals, and errors that say what to fix. For those, every
//! answer is also kept ([`Recording`]), because `oauth2`'s errors keep
//! neither the status nor the headers (`Retry-After`, `Location`).
//!
//! Boards bend the standard, and tokens worked before this module used
//! `oauth2`, so the answer is read leniently ([`TokenAnswer`]): only
//! `access_token` is required, `token_type` may be missing, `expires_in`
//! may be a string, and a 2xx answer that `oauth2` refuses (another status
//! than 200, a `Content-Type` that is not JSON) is still read as a token.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AccessToken, AsyncHttpClient, AuthType, ClientId, ClientSecret, EndpointNotSet, HttpRequest,
    HttpResponse, RefreshToken, RequestTokenError, Scope, StandardRevocableToken, TokenResponse,
    TokenUrl,
};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use serde::{Deserialize, Deserializer, Serialize};
use tokio::time::Instant;
use tracing::debug;
use url::Url;

use super::answer::{redact_url, retry_after, status_text};
use super::oauth::{OAuthHttp, TransportError, TransportFailure};
use super::token::TokenProvider;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
use crate::source::SourceStats;

/// The OAuth2 client-credentials grant (RFC 6749 §4.4), as a
/// [`TokenProvider`].
///
/// `POST token_url` with a form body `grant_type=client_credentials`,
/// `client_id`, `client_secret` and `scope`. Query parameters of `token_url`
/// (such as France Travail's `realm=/partenaire`) stay in the query, never
/// in the body.
///
/// The token is renewed a minute before `expires_in` runs out (halfway for
/// lifetimes under two minutes). Renewal is single-flight and ahead of
/// expiry: one caller fetches the new token while the others keep using the
/// current one until shortly before it expires
/// ([`ClientCredentials::usable_for`]); only when no usable token is left do
/// callers wait, for one token request between them. When the server
/// refuses a token before its announced expiry (401), later tokens are
/// taken to live no longer than that one did, and are renewed in time.
pub struct ClientCredentials {
    token_url: Url,
    client_id: String,
    client_secret: Secret,
    scope: Option<String>,
    hint: String,
    cache: Mutex<Option<CachedToken>>,
    /// Held while a token is being fetched, so that only one task fetches.
    renewal: tokio::sync::Mutex<()>,
    /// How long tokens really lived, when the server refused one earlier
    /// than its `expires_in` said.
    observed_lifetime: Mutex<Option<Duration>>,
    /// The last token the server refused.
    refused: Mutex<Option<Secret>>,
}

struct CachedToken {
    token: Secret,
    fetched_at: Instant,
    /// From then on, one caller renews the token…
    renew_at: Instant,
    /// …while the others keep using it until then.
    usable_until: Instant,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &redact_url(&self.token_url))
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// `oauth2`'s client for this grant: a token endpoint and nothing else.
type TokenClient = oauth2::Client<
    BasicErrorResponse,
    TokenAnswer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
>;

/// The token endpoint's answer, read leniently: only `access_token` is
/// required (an empty or `null` one is refused after reading, with a
/// message saying so).
#[derive(Debug, Deserialize, Serialize)]
struct TokenAnswer {
    #[serde(default = "no_token", deserialize_with = "token_or_null")]
    access_token: AccessToken,
    #[serde(default = "bearer", deserialize_with = "any_token_type")]
    token_type: BasicTokenType,
    /// Seconds, as a number or a string.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

fn no_token() -> AccessToken {
    AccessToken::new(String::new())
}

fn token_or_null<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<AccessToken, D::Error> {
    Ok(AccessToken::new(
        Option::<String>::deserialize(d)?.unwrap_or_default(),
    ))
}

fn bearer() -> BasicTokenType {
    BasicTokenType::Bearer
}

/// Any `token_type` (the token is sent as a bearer token whatever it says).
fn any_token_type<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<BasicTokenType, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => {
            serde_json::from_value(serde_json::Value::String(s.to_lowercase()))
                .unwrap_or(BasicTokenType::Bearer)
        }
        _ => BasicTokenType::Bearer,
    })
}

impl TokenResponse for TokenAnswer {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }

    fn expires_in(&self) -> Option<Duration> {
        match &self.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
    }

    fn refresh_token(&self) -> Option<&RefreshToken> {
        None
    }

    fn scopes(&self) -> Option<&Vec<Scope>> {
        None
    }
}

/// An answer of the token endpoint, as received.
struct Recorded {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// [`OAuthHttp`], keeping the last answer for the error messages.
struct Recording<'a> {
    http: &'a OAuthHttp,
    last: Mutex<Option<Recorded>>,
}

impl Recording<'_> {
    fn take(&self) -> Option<Recorded> {
        self.last.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl<'c> AsyncHttpClient<'c> for Recording<'_> {
    type Error = TransportError;
    type Future = Pin<
        Box<dyn Future<Output = std::result::Result<HttpResponse, TransportError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.http.execute(request).await?;
            *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(Recorded {
                status: response.status(),
                headers: response.headers().clone(),
                body: response.body().clone(),
            });
            Ok(response)
        })
    }
}

/// Lifetime assumed when the token endpoint does not say.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

impl ClientCredentials {
    /// Credentials for `token_url`.
    pub fn new(token_url: Url, client_id: impl Into<String>, client_secret: Secret) -> Self {
        ClientCredentials {
            token_url,
            client_id: client_id.into(),
            client_secret,
            scope: None,
            hint: "check the client id and secret".to_string(),
            cache: Mutex::new(None),
            renewal: tokio::sync::Mutex::new(()),
            observed_lifetime: Mutex::new(None),
            refused: Mutex::new(None),
        }
    }

    /// Asks for `scope` (space-separated scopes).
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        let scope = scope.into();
        self.scope = (!scope.trim().is_empty()).then_some(scope);
        self
    }

    /// Sets the advice appended to refused-credential errors, such as
    /// `"check FT_CLIENT_ID and FT_CLIENT_SECRET"`.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// When to renew a token that lives `lifetime`: a minute early, or
    /// halfway for lifetimes under two minutes.
    pub fn renewal_delay(lifetime: Duration) -> Duration {
        if lifetime >= Duration::from_secs(120) {
            lifetime - Duration::from_secs(60)
        } else {
            lifetime / 2
        }
    }

    /// How long a token that lives `lifetime` may still be sent once its
    /// renewal is due: until 30 s before it expires, or 60 % of its life for
    /// lifetimes under two minutes (a request may wait for its rate-limit
    /// slot after taking the token).
    pub fn usable_for(lifetime: Duration) -> Duration {
        if lifetime >= Duration::from_secs(120) {
            lifetime - Duration::from_secs(30)
        } else {
            lifetime.mul_f64(0.6)
        }
    }

    /// The cached token and whether it is due for renewal, unless it is no
    /// longer usable.
    fn cached(&self) -> Option<(Secret, bool)> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        cache
            .as_ref()
            .filter(|c| now < c.renew_at.max(c.usable_until))
            .map(|c| (c.token.clone(), now >= c.renew_at))
    }

    async fn renew(&self, client: &reqwest::Client, stats: &SourceStats) -> Result<Secret> {
        let (token, announced) = self.fetch(client).await?;
        // A server that expired tokens early will do it again: renew in time.
        let observed = *self
            .observed_lifetime
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let lifetime = observed.map_or(announced, |o| o.min(announced));
        {
            let mut refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
            if refused.as_ref() == Some(&token) {
                // The server issued the same token again: it holds it valid.
                *refused = None;
            }
        }
        SourceStats::bump(&stats.tokens);
        debug!(
            lifetime_secs = lifetime.as_secs(),
            "Fetched an access token."
        );
        let now = Instant::now();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        *cache = Some(CachedToken {
            token: token.clone(),
            fetched_at: now,
            renew_at: now + Self::renewal_delay(lifetime),
            usable_until: now + Self::usable_for(lifetime),
        });
        Ok(token)
    }

    fn host(&self) -> String {
        let host = self.token_url.host_str().unwrap_or("?");
        match self.token_url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }

    /// One token request, through `oauth2` over `client`.
    async fn fetch(&self, client: &reqwest::Client) -> Result<(Secret, Duration)> {
        let url = redact_url(&self.token_url);
        let host = self.host();
        let oauth = TokenClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose().to_string()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(TokenUrl::from_url(self.token_url.clone()));
        let mut request = oauth.exchange_client_credentials();
        if let Some(scope) = &self.scope {
            // One string: the spec's scopes, already space-separated.
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let http = OAuthHttp::from_client(client.clone());
        let recording = Recording {
            http: &http,
            last: Mutex::new(None),
        };
        match request.request_async(&recording).await {
            Ok(answer) => self.token_of(answer, &url),
            Err(RequestTokenError::Request(e)) => Err(self.unreachable(&e, &host, &url)),
            Err(other) => match recording.take() {
                // oauth2 wants exactly 200 and a JSON `Content-Type`; a
                // token is a token.
                Some(answer) if answer.status.is_success() => self.parse_token(&answer.body, &url),
                Some(answer) => Err(self.refused(&answer, &other, &url, &host)),
                None => Err(Error::config(format!(
                    "could not prepare the token request ({other}); check `token_url`"
                ))
                .with_context("token_url", &url)),
            },
        }
    }

    fn parse_error(detail: String, url: &str) -> Error {
        Error::new(
            ErrorKind::Parse,
            format!("the token endpoint's answer is not an OAuth2 token: {detail}"),
        )
        .with_context("token_url", url)
    }

    /// Reads a 2xx answer `oauth2` would not.
    fn parse_token(&self, body: &[u8], url: &str) -> Result<(Secret, Duration)> {
        let answer: TokenAnswer =
            serde_json::from_slice(body).map_err(|e| Self::parse_error(e.to_string(), url))?;
        self.token_of(answer, url)
    }

    fn token_of(&self, answer: TokenAnswer, url: &str) -> Result<(Secret, Duration)> {
        let lifetime = answer.expires_in().unwrap_or(DEFAULT_LIFETIME);
        let token = answer.access_token.into_secret();
        if token.is_empty() {
            return Err(Self::parse_error("no `access_token`".to_string(), url));
        }
        Ok((Secret::new(token), lifetime))
    }

    /// No answer came back.
    fn unreachable(&self, e: &TransportError, host: &str, url: &str) -> Error {
        let cause = e.detail();
        let error = match e.failure() {
            TransportFailure::Timeout => Error::new(
                ErrorKind::Network,
                format!(
                    "the token endpoint at {host} did not answer in time; check `token_url` and the network"
                ),
            ),
            TransportFailure::Body => Error::new(
                ErrorKind::Network,
                format!("the connection to the token endpoint at {host} broke: {cause}"),
            ),
            TransportFailure::TooLarge => Error::new(
                ErrorKind::Http,
                format!(
                    "the token endpoint at {host} {cause}, far more than a token; check `token_url`"
                ),
            )
            .set_temporary(false),
            _ => Error::new(
                ErrorKind::Network,
                format!(
                    "could not reach the token endpoint at {host} ({cause}); check `token_url` and the network"
                ),
            ),
        };
        error.with_context("token_url", url)
    }

    /// A non-2xx answer, by its status.
    fn refused(
        &self,
        answer: &Recorded,
        error: &RequestTokenError<TransportError, BasicErrorResponse>,
        url: &str,
        host: &str,
    ) -> Error {
        let code = status_text(answer.status);
        match answer.status.as_u16() {
            400 | 401 | 403 => {
                let detail = match error {
                    RequestTokenError::ServerResponse(e) => {
                        match e.error_description().filter(|d| !d.is_empty()) {
                            Some(description) => format!("`{}` ({description})", e.error()),
                            None => format!("`{}`", e.error()),
                        }
                    }
                    _ => code.clone(),
                };
                Error::new(
                    ErrorKind::Auth,
                    format!(
                        "the token endpoint at {host} refused the credentials: {detail}; {}",
                        self.hint
                    ),
                )
                .with_context("token_url", url)
            }
            429 => Error::new(
                ErrorKind::RateLimited,
                format!("the token endpoint at {host} asked to slow down ({code})"),
            )
            .with_retry_after(retry_after(&answer.headers))
            .with_context("token_url", url),
            408 | 500..=599 => Error::new(
                ErrorKind::Http,
                format!("the token endpoint at {host} failed ({code})"),
            )
            .with_context("token_url", url),
            300..=399 => {
                let to = answer
                    .headers
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| self.token_url.join(l).ok())
                    .map(|l| format!(" to {}", redact_url(&l)))
                    .unwrap_or_default();
                Error::config(format!(
                    "the token endpoint at {host} redirects ({code}){to}; check `token_url`"
                ))
                .with_context("token_url", url)
            }
            _ => Error::config(format!(
                "the token endpoint at {host} answered {code}; check `token_url`"
            ))
            .with_context("token_url", url),
        }
    }
}

#[async_trait]
impl TokenProvider for ClientCredentials {
    async fn token(&self, client: &reqwest::Client, stats: &SourceStats) -> Result<Secret> {
        match self.cached() {
            Some((token, false)) => return Ok(token),
            Some((token, true)) => {
                // Renewal is due but the token still works: one caller
                // renews, the others go on with the current token.
                let Ok(_renewal) = self.renewal.try_lock() else {
                    return Ok(token);
                };
                if let Some((fresh, false)) = self.cached() {
                    return Ok(fresh);
                }
                return match self.renew(client, stats).await {
                    Ok(fresh) => Ok(fresh),
                    Err(error) if error.is_temporary() => {
                        debug!(error = %error, "Token renewal failed; the current token is still valid.");
                        Ok(token)
                    }
                    Err(error) => Err(error),
                };
            }
            None => {}
        }
        // No usable token: one fetch at a time; whoever waited here finds
        // the fresh token.
        let _renewal = self.renewal.lock().await;
        if let Some((token, _)) = self.cached() {
            return Ok(token);
        }
        self.renew(client, stats).await
    }

    fn invalidate(&self, stale: &Secret) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(stale.clone());
        if let Some(cached) = cache.as_ref().filter(|c| &c.token == stale) {
            // A token refused within a second was not refused for its age.
            let lived = cached.fetched_at.elapsed();
            if lived >= Duration::from_secs(1) {
                let mut observed = self
                    .observed_lifetime
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                *observed = Some(observed.map_or(lived, |o| o.min(lived)));
            }
            *cache = None;
        }
    }

    fn is_refused(&self, token: &Secret) -> bool {
        self.refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|r| r == token)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Instant as StdInstant;

    use wiremock::matchers::{body_string_contains, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::http::install_crypto_provider;
    use crate::http::test_support::{client, credentials, fast, get, token_answer};

    #[tokio::test]
    async fn concurrent_callers_share_one_token_request() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(query_param("realm", "/partenaire"))
            .and(body_string_contains("grant_type=client_credentials"))
            .and(body_string_contains("client_id=my-id"))
            .and(body_string_contains("client_secret=s3cr3t-value"))
            .and(body_string_contains("scope=api_x"))
            .respond_with(token_answer("shared", 1500).set_delay(Duration::from_millis(200)))
            .expect(1)
            .mount(&server)
            .await;
        let creds = Arc::new(credentials(&server));
        install_crypto_provider();
        let reqwest_client = reqwest::Client::new();
        let stats = Arc::new(SourceStats::new());
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (creds, c, stats) = (creds.clone(), reqwest_client.clone(), stats.clone());
                tokio::spawn(async move { creds.token(&c, &stats).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().expose(), "shared");
        }
        assert_eq!(SourceStats::get(&stats.tokens), 1);
        // The realm stays in the query, never in the body.
        let requests = server.received_requests().await.unwrap();
        let body = String::from_utf8_lossy(&requests[0].body).to_string();
        assert!(!body.contains("realm"), "{body}");
    }

    #[tokio::test]
    async fn invalidate_only_forgets_the_stale_token() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(token_answer("current", 1500))
            .expect(1)
            .mount(&server)
            .await;
        let creds = credentials(&server);
        install_crypto_provider();
        let c = reqwest::Client::new();
        let stats = SourceStats::new();
        let token = creds.token(&c, &stats).await.unwrap();
        creds.invalidate(&Secret::new("an older one"));
        assert_eq!(creds.token(&c, &stats).await.unwrap(), token);
        assert_eq!(SourceStats::get(&stats.tokens), 1);
    }

    #[tokio::test]
    async fn short_lived_tokens_are_renewed() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(token_answer("brief", 0))
            .expect(2)
            .mount(&server)
            .await;
        let creds = credentials(&server);
        install_crypto_provider();
        let c = reqwest::Client::new();
        let stats = SourceStats::new();
        creds.token(&c, &stats).await.unwrap();
        creds.token(&c, &stats).await.unwrap();
        assert_eq!(SourceStats::get(&stats.tokens), 2);
    }

    #[tokio::test]
    async fn due_renewal_lets_other_callers_use_the_current_token() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(token_answer("first", 2))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path("/token"))
            .respond_with(token_answer("second", 1500).set_delay(Duration::from_millis(400)))
            .mount(&server)
            .await;
        let creds = Arc::new(credentials(&server));
        install_crypto_provider();
        let c = reqwest::Client::new();
        let stats = Arc::new(SourceStats::new());
        assert_eq!(creds.token(&c, &stats).await.unwrap().expose(), "first");
        // Renewal is due after 1 s; the token stays usable until 1.2 s.
        tokio::time::sleep(Duration::from_millis(1050)).await;
        let renewing = {
            let (creds, c, stats) = (creds.clone(), c.clone(), stats.clone());
            tokio::spawn(async move { creds.token(&c, &stats).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let start = StdInstant::now();
        assert_eq!(creds.token(&c, &stats).await.unwrap().expose(), "first");
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "did not wait for the renewal"
        );
        assert_eq!(renewing.await.unwrap().unwrap().expose(), "second");
        assert_eq!(creds.token(&c, &stats).await.unwrap().expose(), "second");
        assert_eq!(SourceStats::get(&stats.tokens), 2);
    }

    #[tokio::test]
    async fn a_token_refused_early_teaches_its_real_lifetime() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(token_answer("long-announced", 1500))
            .expect(2)
            .mount(&server)
            .await;
        let creds = credentials(&server);
        install_crypto_provider();
        let c = reqwest::Client::new();
        let stats = SourceStats::new();
        let token = creds.token(&c, &stats).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1200)).await;
        // The server refused it after 1.2 s.
        creds.invalidate(&token);
        assert!(creds.is_refused(&token));
        let fresh = creds.token(&c, &stats).await.unwrap();
        assert!(!creds.is_refused(&fresh), "issued again, so valid again");
        let cache = creds.cache.lock().unwrap();
        let cached = cache.as_ref().unwrap();
        let renewal = cached.renew_at - cached.fetched_at;
        assert!(
            renewal <= Duration::from_millis(700),
            "renewed at half the observed life: {renewal:?}"
        );
    }

    #[test]
    fn tokens_stay_usable_a_little_past_their_renewal() {
        let u = ClientCredentials::usable_for;
        assert_eq!(u(Duration::from_secs(1499)), Duration::from_secs(1469));
        assert_eq!(u(Duration::from_secs(10)), Duration::from_secs(6));
        assert_eq!(u(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn renewal_is_a_minute_early_or_at_half_life() {
        let d = ClientCredentials::renewal_delay;
        assert_eq!(d(Duration::from_secs(1499)), Duration::from_secs(1439));
        assert_eq!(d(Duration::from_secs(120)), Duration::from_secs(60));
        assert_eq!(d(Duration::from_secs(100)), Duration::from_secs(50));
        assert_eq!(d(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test]
    async fn invalid_client_is_an_auth_error_without_the_secret() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "error": "invalid_client", "error_description": "Client authentication failed"
            })))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(path("/api"))
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&server)
            .await;
        let creds = credentials(&server);
        assert!(!format!("{creds:?}").contains("s3cr3t-value"));
        let auth: Arc<dyn TokenProvider> = Arc::new(creds);
        let http = client(fast(), Some(auth));
        assert!(!format!("{http:?}").contains("s3cr3t-value"));
        let err = http.send("test", get(&server, "/api")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert!(!err.is_temporary());
        let (shown, debug) = (err.to_string(), format!("{err:?}"));
        assert!(shown.contains("invalid_client"), "{shown}");
        assert!(shown.contains("check MY_ID and MY_SECRET"), "{shown}");
        for text in [&shown, &debug] {
            assert!(!text.contains("s3cr3t-value"), "{text}");
        }
    }

    #[tokio::test]
    async fn unreachable_token_endpoint_names_the_host() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/token?realm=x")).unwrap();
        let creds = ClientCredentials::new(url, "id", Secret::new("pw"));
        install_crypto_provider();
        let err = creds
            .token(&reqwest::Client::new(), &SourceStats::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network);
        assert!(err.is_temporary());
        let msg = err.to_string();
        assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
        assert!(msg.contains("token_url"), "{msg}");
    }

    #[tokio::test]
    async fn malformed_token_answer_is_a_parse_error() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>login</html>"))
            .mount(&server)
            .await;
        let creds = credentials(&server);
        install_crypto_provider();
        let err = creds
            .token(&reqwest::Client::new(), &SourceStats::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse);
        assert!(err.to_string().contains("not an OAuth2 token"), "{err}");
    }

    #[tokio::test]
    async fn answers_boards_bend_are_still_tokens() {
        install_crypto_provider();
        let c = reqwest::Client::new();
        for (status, answer, lifetime) in [
            // No token_type, expires_in as a string, served as text.
            (
                200,
                r#"{"access_token":"a","expires_in":"90"}"#,
                Duration::from_secs(90),
            ),
            // 201, and no expires_in: the default lifetime.
            (
                201,
                r#"{"access_token":"b","token_type":"bearer"}"#,
                DEFAULT_LIFETIME,
            ),
        ] {
            let server = MockServer::start().await;
            Mock::given(path("/token"))
                .respond_with(ResponseTemplate::new(status).set_body_string(answer))
                .mount(&server)
                .await;
            let (_, got) = credentials(&server).fetch(&c).await.unwrap();
            assert_eq!(got, lifetime, "{answer}");
        }
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"access_token":null}"#))
            .mount(&server)
            .await;
        let err = credentials(&server).fetch(&c).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse);
        assert!(err.to_string().contains("no `access_token`"), "{err}");
    }

    #[tokio::test]
    async fn refusals_are_classified_by_status() {
        install_crypto_provider();
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let cases = [
            (
                ResponseTemplate::new(429).insert_header("Retry-After", "7"),
                ErrorKind::RateLimited,
                true,
                "asked to slow down (429 Too Many Requests)",
            ),
            (
                ResponseTemplate::new(503).set_body_string("down"),
                ErrorKind::Http,
                true,
                "failed (503 Service Unavailable)",
            ),
            (
                ResponseTemplate::new(302).insert_header("Location", "/login?next=x"),
                ErrorKind::Config,
                false,
                "redirects (302 Found) to http://127.0.0.1",
            ),
            (
                ResponseTemplate::new(401),
                ErrorKind::Auth,
                false,
                "refused the credentials: 401 Unauthorized; check MY_ID",
            ),
            (
                ResponseTemplate::new(200).set_body_bytes(vec![b' '; (1 << 20) + 1]),
                ErrorKind::Http,
                false,
                "sent more than 1 MB, far more than a token",
            ),
        ];
        for (answer, kind, temporary, says) in cases {
            let server = MockServer::start().await;
            Mock::given(path("/token"))
                .respond_with(answer)
                .expect(1)
                .mount(&server)
                .await;
            let err = credentials(&server).fetch(&c).await.unwrap_err();
            assert_eq!(err.kind(), kind, "{err}");
            assert_eq!(err.is_temporary(), temporary, "{err}");
            assert!(err.to_string().contains(says), "{err}");
            if kind == ErrorKind::RateLimited {
                assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
            }
        }
    }
}
