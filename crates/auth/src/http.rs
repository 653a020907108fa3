//! The HTTP client `oauth2` and `openidconnect` send through: the
//! project's reqwest, so that there is one HTTP stack (and one TLS setup)
//! in the binary.
//!
//! Token and key requests are not retried: an authorization code is good
//! for one exchange only, and a failed check must be seen, not hidden. And
//! redirects are not followed, so that a client secret or a code is never
//! sent to another host than the one configured.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use jobharvest_core::http::{install_crypto_provider, redact_url};
use jobharvest_core::{Error, ErrorKind, Result};
use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};

/// An [`AsyncHttpClient`] over reqwest: no redirects, no retries.
#[derive(Debug, Clone)]
pub struct OAuthHttp {
    client: reqwest::Client,
}

/// Why a request of the OAuth2 exchange failed, without any URL query,
/// code or secret.
#[derive(Debug)]
pub struct TransportError(String);

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TransportError {}

impl OAuthHttp {
    /// A client whose requests take at most `timeout`.
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
                    e.without_url()
                ))
            })?;
        Ok(OAuthHttp { client })
    }

    async fn execute(
        client: reqwest::Client,
        request: HttpRequest,
    ) -> std::result::Result<HttpResponse, TransportError> {
        let (parts, body) = request.into_parts();
        let url = url::Url::parse(&parts.uri.to_string())
            .map_err(|e| TransportError(format!("invalid URL ({e})")))?;
        let shown = redact_url(&url);
        let response = client
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| TransportError(format!("{shown}: {}", e.without_url())))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| TransportError(format!("{shown}: {}", e.without_url())))?;
        let mut out = http::Response::builder().status(status);
        if let Some(h) = out.headers_mut() {
            *h = headers;
        }
        out.body(bytes.to_vec())
            .map_err(|e| TransportError(format!("{shown}: {e}")))
    }
}

impl<'c> AsyncHttpClient<'c> for OAuthHttp {
    type Error = TransportError;
    type Future = Pin<
        Box<dyn Future<Output = std::result::Result<HttpResponse, TransportError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(Self::execute(self.client.clone(), request))
    }
}

/// A transport failure as a jobharvest error: temporary, naming `what`.
pub(crate) fn network_error(what: &str, e: &TransportError) -> Error {
    Error::new(
        ErrorKind::Network,
        format!("{what}: the request failed ({e}); check the URL and the network"),
    )
}
