//! The `auth:` block of a `france_travail` source: how it authenticates.
//!
//! ```yaml
//! auth:
//!   flow: authorization_code     # default: client_credentials
//!   realm: individu              # individu | employeur | agent
//!   redirect_uri: https://app.example.fr/callback
//!   scope: "api_peconnect-individuv1 openid profile email"
//!   pkce: true
//!   # optional: authorize_url, token_url, jwks_url, issuer, logout_url,
//!   # token_store
//! ```
//!
//! Without the block (or with `flow: client_credentials`) the source acts
//! for the application itself, with the source's `token_url` and `scope`
//! as before. With `flow: authorization_code` it acts for the user who
//! logged in with `jobharvest auth login` ("France Travail Connect"), and
//! the endpoints default to France Travail's for the realm.

use std::path::PathBuf;
use std::time::Duration;

use jobharvest_auth::{
    AuthorizationCodeFlow, CodeFlowSettings, Credentials, LogoutEndpoint, TokenStore,
};
use jobharvest_core::{Error, Result, Secret};

use crate::config;
use serde::Deserialize;
use url::Url;

/// The `auth:` block.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Who the source acts for.
    #[serde(default)]
    pub flow: FlowKind,
    /// The France Travail Connect realm (authorization code only).
    #[serde(default)]
    pub realm: Option<Realm>,
    /// The redirect URI registered on francetravail.io (port 80 or 443,
    /// not localhost).
    #[serde(default)]
    pub redirect_uri: Option<String>,
    /// The scopes asked for, space-separated; must include `openid`.
    #[serde(default)]
    pub scope: Option<String>,
    /// Use PKCE (S256).
    #[serde(default)]
    pub pkce: bool,
    /// Overrides the realm's authorization endpoint.
    #[serde(default)]
    pub authorize_url: Option<String>,
    /// Overrides the realm's token endpoint (`realm` is added to its query).
    #[serde(default)]
    pub token_url: Option<String>,
    /// Overrides the realm's published keys (JWKS).
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Overrides the `iss` the `id_token` must carry.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Overrides the realm's logout URL.
    #[serde(default)]
    pub logout_url: Option<String>,
    /// Where user tokens are kept (default: `JOBHARVEST_TOKEN_STORE`, else
    /// the user's data folder); relative to the spec's folder.
    #[serde(default)]
    pub token_store: Option<PathBuf>,
}

/// Who the source acts for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowKind {
    /// The application itself (realm `/partenaire`, public APIs).
    #[default]
    ClientCredentials,
    /// A user who logged in with `jobharvest auth login`.
    AuthorizationCode,
}

/// A France Travail Connect realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Realm {
    /// Job seekers.
    Individu,
    /// Employers and recruiters.
    Employeur,
    /// France Travail agents.
    Agent,
}

/// France Travail's endpoints for one realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealmEndpoints {
    /// The authorization endpoint (the browser opens it).
    pub authorize_url: &'static str,
    /// The token endpoint, on the same host.
    pub token_url: &'static str,
    /// The published signing keys.
    pub jwks_url: &'static str,
    /// The `iss` of its `id_token`s.
    pub issuer: &'static str,
    /// Where users log out.
    pub logout_url: &'static str,
    /// Whether logout takes `id_token_hint` (job seekers).
    pub logout_hint: bool,
    /// Whether logout is a POST (agents).
    pub logout_post: bool,
}

impl Realm {
    /// `/individu`, `/employeur`, `/agent`.
    pub fn path(self) -> &'static str {
        match self {
            Realm::Individu => "/individu",
            Realm::Employeur => "/employeur",
            Realm::Agent => "/agent",
        }
    }

    /// France Travail's endpoints for the realm. The authorize and logout
    /// URLs are documented; the token URL is "the same host"'s; the JWKS
    /// and issuer come from third-party configurations (job seekers) or
    /// follow the same pattern (employers, agents): override them in the
    /// spec when France Travail says otherwise.
    pub fn endpoints(self) -> RealmEndpoints {
        match self {
            Realm::Individu => RealmEndpoints {
                authorize_url: "https://authentification-candidat.francetravail.fr/connexion/oauth2/authorize",
                token_url: "https://authentification-candidat.francetravail.fr/connexion/oauth2/access_token",
                jwks_url: "https://authentification-candidat.francetravail.fr/connexion/oauth2/connect/jwk_uri?realm=%2Findividu",
                issuer: "https://authentification-candidat.francetravail.fr:443/connexion/oauth2/realms/root/realms/individu",
                logout_url: "https://authentification-candidat.francetravail.fr/compte/deconnexion",
                logout_hint: true,
                logout_post: false,
            },
            Realm::Employeur => RealmEndpoints {
                authorize_url: "https://entreprise.francetravail.fr/connexion/oauth2/authorize",
                token_url: "https://entreprise.francetravail.fr/connexion/oauth2/access_token",
                jwks_url: "https://entreprise.francetravail.fr/connexion/oauth2/connect/jwk_uri?realm=%2Femployeur",
                issuer: "https://entreprise.francetravail.fr:443/connexion/oauth2/realms/root/realms/employeur",
                logout_url: "https://entreprise.francetravail.fr/compte/deconnexion",
                logout_hint: false,
                logout_post: false,
            },
            Realm::Agent => RealmEndpoints {
                authorize_url: "https://proxyproconnect.francetravail.net/connexion/oauth2/agent/authorize",
                token_url: "https://proxyproconnect.francetravail.net/connexion/oauth2/agent/access_token",
                jwks_url: "https://proxyproconnect.francetravail.net/connexion/oauth2/connect/jwk_uri?realm=%2Fagent",
                issuer: "https://proxyproconnect.francetravail.net:443/connexion/oauth2/realms/root/realms/agent",
                logout_url: "https://proxyproconnect.francetravail.net/connexion/oauth2/deconnexion",
                logout_hint: false,
                logout_post: true,
            },
        }
    }
}

/// What the rest of the source config provides to resolve the block.
pub(crate) struct AppCredentials {
    pub client_id: String,
    pub client_secret: Secret,
    pub timeout: Duration,
}

fn key_error(key: &str, problem: &str) -> Error {
    config::key_error(&format!("auth.{key}"), problem)
}

fn url_of(key: &str, text: &str) -> Result<Url> {
    config::http_url(&format!("auth.{key}"), text)
}

/// What to tell a user whose login is missing or expired.
pub const LOGIN_HINT: &str = "run `jobharvest auth login` on this spec";

impl AuthConfig {
    /// The keys that only apply to the authorization-code flow, when set.
    fn code_only_keys(&self) -> Vec<&'static str> {
        let set = [
            ("realm", self.realm.is_some()),
            ("redirect_uri", self.redirect_uri.is_some()),
            ("scope", self.scope.is_some()),
            ("pkce", self.pkce),
            ("authorize_url", self.authorize_url.is_some()),
            ("token_url", self.token_url.is_some()),
            ("jwks_url", self.jwks_url.is_some()),
            ("issuer", self.issuer.is_some()),
            ("logout_url", self.logout_url.is_some()),
            ("token_store", self.token_store.is_some()),
        ];
        set.into_iter()
            .filter(|(_, on)| *on)
            .map(|(k, _)| k)
            .collect()
    }

    /// The authorization-code flow the block describes, or `None` for
    /// client credentials. `token_store` must already be resolved against
    /// the spec's folder.
    ///
    /// # Errors
    /// A config error naming the `auth.` key and the fix.
    pub(crate) fn code_flow(
        &self,
        app: AppCredentials,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<AuthorizationCodeFlow>> {
        if self.flow == FlowKind::ClientCredentials {
            if let Some(key) = self.code_only_keys().first() {
                return Err(key_error(
                    key,
                    "only applies to `flow: authorization_code`; remove it, or set `flow: authorization_code` to act for a user",
                ));
            }
            return Ok(None);
        }
        let realm = self.realm.ok_or_else(|| {
            key_error(
                "realm",
                "missing: say whose data the source reads: `individu` (job seekers), `employeur` (employers) or `agent` (France Travail agents)",
            )
        })?;
        let redirect = self.redirect_uri.as_deref().ok_or_else(|| {
            key_error(
                "redirect_uri",
                "missing: give the redirect URI registered for the application on francetravail.io, such as https://app.example.fr/callback",
            )
        })?;
        let redirect_uri = url_of("redirect_uri", redirect)?;
        let scope = self.scope.as_deref().unwrap_or("");
        let scopes: Vec<String> = scope.split_whitespace().map(String::from).collect();
        if !scopes.iter().any(|s| s == "openid") {
            return Err(key_error(
                "scope",
                &format!(
                    "`{scope}` must include `openid` (the user's identity is checked through the id_token), such as \"api_peconnect-individuv1 openid profile email\""
                ),
            ));
        }
        let defaults = realm.endpoints();
        let pick = |key: &str, given: &Option<String>, default: &str| {
            url_of(key, given.as_deref().unwrap_or(default))
        };
        let store = TokenStore::locate(self.token_store.clone(), env)?;
        let settings = CodeFlowSettings {
            client_id: app.client_id,
            client_secret: app.client_secret,
            realm: Some(realm.path().to_string()),
            authorize_url: pick("authorize_url", &self.authorize_url, defaults.authorize_url)?,
            token_url: pick("token_url", &self.token_url, defaults.token_url)?,
            jwks_url: pick("jwks_url", &self.jwks_url, defaults.jwks_url)?,
            issuer: self
                .issuer
                .clone()
                .unwrap_or_else(|| defaults.issuer.to_string()),
            redirect_uri,
            scopes,
            pkce: self.pkce,
            logout: Some(LogoutEndpoint {
                url: pick("logout_url", &self.logout_url, defaults.logout_url)?,
                id_token_hint: defaults.logout_hint,
                post: defaults.logout_post,
            }),
            store,
            timeout: app.timeout,
            login_hint: LOGIN_HINT.to_string(),
        };
        AuthorizationCodeFlow::new(settings).map(Some)
    }
}

/// The credentials of a source acting for a user.
pub(crate) fn user_credentials(flow: AuthorizationCodeFlow) -> Credentials {
    Credentials::AuthorizationCode(Box::new(flow))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AppCredentials {
        AppCredentials {
            client_id: "PAR_app".into(),
            client_secret: Secret::new("pw"),
            timeout: Duration::from_secs(5),
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn block(yaml: serde_json::Value) -> AuthConfig {
        serde_json::from_value(yaml).unwrap()
    }

    #[test]
    fn client_credentials_is_the_default_and_takes_no_code_keys() {
        assert!(
            block(serde_json::json!({}))
                .code_flow(app(), &no_env)
                .unwrap()
                .is_none()
        );
        let err = block(serde_json::json!({"realm": "individu"}))
            .code_flow(app(), &no_env)
            .unwrap_err();
        assert!(
            err.to_string().contains("auth.realm: only applies"),
            "{err}"
        );
    }

    #[test]
    fn the_realm_gives_france_travails_endpoints() {
        let flow = block(serde_json::json!({
            "flow": "authorization_code", "realm": "individu",
            "redirect_uri": "https://app.example.fr/callback",
            "scope": "api_peconnect-individuv1 openid profile email",
            "token_store": "/tmp/x.json"
        }))
        .code_flow(app(), &no_env)
        .unwrap()
        .unwrap();
        let s = flow.settings();
        assert_eq!(
            s.authorize_url.as_str(),
            "https://authentification-candidat.francetravail.fr/connexion/oauth2/authorize?realm=%2Findividu"
        );
        assert_eq!(
            s.token_url.as_str(),
            "https://authentification-candidat.francetravail.fr/connexion/oauth2/access_token?realm=%2Findividu"
        );
        assert!(s.logout.as_ref().unwrap().id_token_hint);
        assert_eq!(flow.store_key(), "PAR_app /individu");
    }

    #[test]
    fn missing_or_wrong_keys_are_named() {
        let base = serde_json::json!({
            "flow": "authorization_code", "realm": "employeur",
            "redirect_uri": "https://app.example.fr/cb", "scope": "openid",
            "token_store": "/tmp/x.json"
        });
        for (key, value, expected) in [
            ("realm", serde_json::Value::Null, "auth.realm: missing"),
            (
                "redirect_uri",
                serde_json::Value::Null,
                "auth.redirect_uri: missing",
            ),
            (
                "scope",
                serde_json::json!("profile"),
                "must include `openid`",
            ),
            (
                "token_url",
                serde_json::json!("not a url"),
                "auth.token_url",
            ),
        ] {
            let mut spec = base.clone();
            spec[key] = value;
            let err = block(spec).code_flow(app(), &no_env).unwrap_err();
            assert!(err.to_string().contains(expected), "{key}: {err}");
        }
        let unknown: std::result::Result<AuthConfig, _> =
            serde_json::from_value(serde_json::json!({"realm": "partenaire"}));
        assert!(unknown.is_err());
    }
}
