//! [`Credentials`]: the one interface a connector uses for either flow.
//!
//! A connector resolves its spec into a [`Credentials`] and asks it for a
//! [`TokenProvider`], which the core's `HttpClient` consults before every
//! request. The core keeps the trait and knows no flow; this crate knows
//! both.

use std::sync::Arc;

use jobharvest_core::Secret;
use jobharvest_core::http::{ClientCredentials, TokenProvider};
use url::Url;

use crate::code::AuthorizationCodeFlow;
use crate::user_token::UserToken;

/// The client-credentials grant's settings (RFC 6749 §4.4): the application
/// acts for itself.
#[derive(Debug, Clone)]
pub struct ClientCredentialsSettings {
    /// The token endpoint; its query (`realm=/partenaire`) stays in the
    /// query.
    pub token_url: Url,
    /// The application's client id.
    pub client_id: String,
    /// The application's client secret.
    pub client_secret: Secret,
    /// The scopes asked for, space-separated.
    pub scope: String,
    /// Advice appended when the credentials are refused.
    pub hint: String,
}

/// How a source authenticates.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// The application acts for itself (client credentials), tokens
    /// fetched and renewed as needed.
    ClientCredentials(ClientCredentialsSettings),
    /// The application acts for a user who logged in with
    /// `jobharvest auth login` (authorization code): the stored user token.
    AuthorizationCode(Box<AuthorizationCodeFlow>),
}

impl Credentials {
    /// The token provider for the source's `HttpClient`.
    pub fn token_provider(&self) -> Arc<dyn TokenProvider> {
        match self {
            Credentials::ClientCredentials(s) => Arc::new(
                ClientCredentials::new(
                    s.token_url.clone(),
                    s.client_id.clone(),
                    s.client_secret.clone(),
                )
                .with_scope(s.scope.clone())
                .with_hint(s.hint.clone()),
            ),
            Credentials::AuthorizationCode(flow) => Arc::new(UserToken::new(
                flow.store().clone(),
                flow.store_key(),
                flow.settings().login_hint.clone(),
            )),
        }
    }

    /// The authorization-code flow, when the source acts for a user.
    pub fn authorization_code(&self) -> Option<&AuthorizationCodeFlow> {
        match self {
            Credentials::AuthorizationCode(flow) => Some(flow),
            Credentials::ClientCredentials(_) => None,
        }
    }
}
