//! [`UserToken`]: the stored user access token as a [`TokenProvider`].
//!
//! France Travail Connect's access tokens live about a minute and come with
//! no usable refresh token, so nothing here renews: an expired or refused
//! token stops the run with a message saying to log in again.

use std::sync::Mutex;

use chrono::Utc;
use jobharvest_core::http::TokenProvider;
use jobharvest_core::source::SourceStats;
use jobharvest_core::{Error, ErrorKind, Result, Secret, async_trait};

use crate::store::{TokenStore, UserTokens};

/// The access token `auth callback` stored for one application and realm.
///
/// The store is read at the first request, not when the source is built,
/// so that `validate` needs no login.
#[derive(Debug)]
pub struct UserToken {
    store: TokenStore,
    key: String,
    login_hint: String,
    cached: Mutex<Option<UserTokens>>,
    refused: Mutex<Option<Secret>>,
}

impl UserToken {
    /// The token filed under `key` in `store`; `login_hint` says what to
    /// run when there is none or it expired.
    pub fn new(store: TokenStore, key: impl Into<String>, login_hint: impl Into<String>) -> Self {
        UserToken {
            store,
            key: key.into(),
            login_hint: login_hint.into(),
            cached: Mutex::new(None),
            refused: Mutex::new(None),
        }
    }

    fn expired(&self, detail: &str) -> Error {
        Error::new(
            ErrorKind::Auth,
            format!(
                "{detail}; France Travail Connect tokens live about a minute and cannot be renewed: {} again, open the URL it prints, then run `jobharvest auth callback` and this run at once",
                self.login_hint
            ),
        )
    }

    fn load(&self) -> Result<UserTokens> {
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tokens) = cached.as_ref() {
            return Ok(tokens.clone());
        }
        let content = self.store.load()?;
        let tokens = content.tokens.get(&self.key).cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::Auth,
                format!(
                    "no user is logged in for `{}` (token store `{}`): {}, open the URL it prints, then run `jobharvest auth callback`",
                    self.key,
                    self.store.path().display(),
                    self.login_hint
                ),
            )
        })?;
        *cached = Some(tokens.clone());
        Ok(tokens)
    }
}

#[async_trait]
impl TokenProvider for UserToken {
    async fn token(&self, _client: &reqwest::Client, _stats: &SourceStats) -> Result<Secret> {
        let tokens = self.load()?;
        let refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        if refused.as_ref() == Some(&tokens.access_token) {
            return Err(self.expired("the API refused the user's access token (401)"));
        }
        if tokens.is_expired(Utc::now()) {
            return Err(self.expired(&format!(
                "the user's access token expired at {}",
                tokens.expires_at.format("%Y-%m-%d %H:%M:%S UTC")
            )));
        }
        Ok(tokens.access_token)
    }

    fn invalidate(&self, stale: &Secret) {
        *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(stale.clone());
    }

    fn is_refused(&self, token: &Secret) -> bool {
        self.refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            == Some(token)
    }
}
