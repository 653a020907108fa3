//! [`OAuthHttp`]: the HTTP client `oauth2` (and `openidconnect`, in
//! `crates/auth`) send through. It is the project's reqwest, so that there
//! is one HTTP stack and one TLS setup in the binary, and one OAuth2 stack
//! for both flows: the client-credentials grant here
//! ([`super::ClientCredentials`]) and the authorization code in
//! `crates/auth`.
//!
//! Token and key requests are not retried here: an authorization code is
//! good for one exchange only, a failed check must be seen, not hidden, and
//! [`super::ClientCredentials`] decides itself when to try again. Answers
//! are capped at [`OAUTH_MAX_BODY_BYTES`] ([`super::body`]). And a client
//! built by [`OAuthHttp::new`] follows no redirect, so that a client secret
//! or a code is never sent to another host than the one configured.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};
use url::Url;

use super::answer::{describe, redact_url};
use super::body::{self, BodyError, OAUTH_MAX_BODY_BYTES, size_text};
use super::client::install_crypto_provider;
use crate::error::{Error, ErrorKind, Result};

/// An [`AsyncHttpClient`] over reqwest: no retries, capped answers.
#[derive(Debug, Clone)]
pub struct OAuthHttp {
    client: reqwest::Client,
    max_body_bytes: usize,
}

/// What went wrong in a request of an OAuth2 exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportFailure {
    /// The request could not be built (an invalid URL).
    InvalidRequest,
    /// No answer in time.
    Timeout,
    /// The host could not be reached.
    Connect,
    /// The request failed otherwise.
    Request,
    /// The connection broke while the answer was read.
    Body,
    /// The answer is larger than the cap.
    TooLarge,
}

/// Why a request of an OAuth2 exchange failed, without any URL query,
/// code or secret.
#[derive(Debug)]
pub struct TransportError {
    failure: TransportFailure,
    url: String,
    detail: String,
}

impl TransportError {
    fn new(failure: TransportFailure, url: &str, detail: String) -> Self {
        TransportError {
            failure,
            url: url.to_string(),
            detail,
        }
    }

    /// What went wrong.
    pub fn failure(&self) -> TransportFailure {
        self.failure
    }

    /// The URL, without its query ([`redact_url`]).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What went wrong, in words (the causes, or the cap passed).
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// This failure as a jobharvest error naming `what`: a permanent
    /// [`ErrorKind::Http`] error for an answer over the cap, else a
    /// temporary [`ErrorKind::Network`] one.
    pub fn to_error(&self, what: &str) -> Error {
        match self.failure {
            TransportFailure::TooLarge => Error::new(
                ErrorKind::Http,
                format!(
                    "{what}: {} {}, far more than an OAuth2 answer; check the URL",
                    self.url, self.detail
                ),
            )
            .set_temporary(false),
            _ => Error::new(
                ErrorKind::Network,
                format!("{what}: the request failed ({self}); check the URL and the network"),
            ),
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.url, self.detail)
    }
}

impl std::error::Error for TransportError {}

impl OAuthHttp {
    /// A client of its own whose requests take at most `timeout`, and that
    /// follows no redirect.
    ///
    /// # Errors
    /// A config error when the TLS stack cannot be set up.
    pub fn new(timeout: Duration) -> Result<Self> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("jobharvest/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::config(format!(
                    "could not set up the HTTP client: {}",
                    describe(&e)
                ))
            })?;
        Ok(OAuthHttp::from_client(client))
    }

    /// Sends through `client` as it is (its timeout, its redirect policy):
    /// a source's [`super::HttpClient::client`] follows no redirect.
    pub fn from_client(client: reqwest::Client) -> Self {
        OAuthHttp {
            client,
            max_body_bytes: OAUTH_MAX_BODY_BYTES,
        }
    }

    /// Sets the largest answer read, in bytes (1 MiB by default).
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// Sends `request` once and reads its answer, capped.
    ///
    /// # Errors
    /// A [`TransportError`] when no whole answer came back; any status is
    /// an answer.
    pub async fn execute(
        &self,
        request: HttpRequest,
    ) -> std::result::Result<HttpResponse, TransportError> {
        let (parts, body) = request.into_parts();
        let url = Url::parse(&parts.uri.to_string()).map_err(|e| {
            TransportError::new(
                TransportFailure::InvalidRequest,
                "?",
                format!("invalid URL ({e})"),
            )
        })?;
        let shown = redact_url(&url);
        let response = self
            .client
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                let failure = if e.is_timeout() {
                    TransportFailure::Timeout
                } else if e.is_connect() {
                    TransportFailure::Connect
                } else {
                    TransportFailure::Request
                };
                TransportError::new(failure, &shown, describe(&e))
            })?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = body::read_capped(response, self.max_body_bytes)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => TransportError::new(
                    TransportFailure::TooLarge,
                    &shown,
                    format!("sent more than {}", size_text(self.max_body_bytes)),
                ),
                BodyError::Read(e) => {
                    TransportError::new(TransportFailure::Body, &shown, describe(&e))
                }
            })?;
        let mut out = oauth2::http::Response::builder().status(status);
        if let Some(h) = out.headers_mut() {
            *h = headers;
        }
        out.body(bytes).map_err(|e| {
            TransportError::new(TransportFailure::InvalidRequest, &shown, e.to_string())
        })
    }
}

impl<'c> AsyncHttpClient<'c> for OAuthHttp {
    type Error = TransportError;
    type Future = Pin<
        Box<dyn Future<Output = std::result::Result<HttpResponse, TransportError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.execute(request))
    }
}

#[cfg(test)]
mod tests {
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    fn get(url: &str) -> HttpRequest {
        oauth2::http::Request::builder()
            .uri(url)
            .body(Vec::new())
            .unwrap()
    }

    #[tokio::test]
    async fn redirects_are_answered_not_followed() {
        let server = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(
                ResponseTemplate::new(302).insert_header("Location", "https://elsewhere.example/"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let http = OAuthHttp::new(Duration::from_secs(5)).unwrap();
        let answer = http
            .call(get(&format!("{}/token", server.uri())))
            .await
            .unwrap();
        assert_eq!(answer.status(), 302);
    }

    #[tokio::test]
    async fn answers_are_capped() {
        let server = MockServer::start().await;
        Mock::given(path("/keys"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'k'; (1 << 20) + 1]))
            .mount(&server)
            .await;
        let http = OAuthHttp::new(Duration::from_secs(5)).unwrap();
        let url = format!("{}/keys?code=SECRETCODE", server.uri());
        let err = http.call(get(&url)).await.unwrap_err();
        assert_eq!(err.failure(), TransportFailure::TooLarge);
        let err = err.to_error("fetching the provider's keys");
        assert_eq!(err.kind(), ErrorKind::Http);
        assert!(!err.is_temporary());
        let msg = err.to_string();
        assert!(msg.contains("/keys sent more than 1 MB"), "{msg}");
        assert!(!msg.contains("SECRETCODE"), "{msg}");
        let small = http.with_max_body_bytes(2 << 20);
        assert_eq!(
            small.call(get(&url)).await.unwrap().body().len(),
            (1 << 20) + 1
        );
    }

    #[tokio::test]
    async fn transport_failures_are_temporary_network_errors() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let http = OAuthHttp::new(Duration::from_secs(5)).unwrap();
        let err = http
            .call(get(&format!("http://127.0.0.1:{port}/token?x=1")))
            .await
            .unwrap_err();
        assert_eq!(err.failure(), TransportFailure::Connect);
        assert_eq!(err.url(), format!("http://127.0.0.1:{port}/token"));
        let err = err.to_error("exchanging the code");
        assert_eq!(err.kind(), ErrorKind::Network);
        assert!(err.is_temporary());
    }
}
