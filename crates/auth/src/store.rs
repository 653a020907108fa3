//! The token store: one JSON file, readable by its owner only.
//!
//! It keeps two things, both keyed by client id and realm ([`store_key`]):
//! - **pending logins**: the `state`, `nonce` and PKCE verifier that
//!   `auth login` sent, until `auth callback` uses them (once) or they
//!   expire ([`PENDING_LOGIN_LIFETIME`]);
//! - **user tokens**: what `auth callback` received once every check
//!   passed.
//!
//! The file is written atomically (a temporary file in the same folder,
//! created with mode 0600, renamed over the old one), so a crash never leaves
//! half a store, and it is refused when someone else can read it.
//!
//! Where it is: `token_store` in the spec, else `JOBHARVEST_TOKEN_STORE`,
//! else `tokens.json` in the user's data folder (`~/.local/share/jobharvest`
//! on Linux).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use jobharvest_core::{Error, ErrorKind, Result, Secret};
use serde::{Deserialize, Serialize, Serializer};

/// The environment variable that moves the token store.
pub const ENV_TOKEN_STORE: &str = "JOBHARVEST_TOKEN_STORE";

/// How long `auth callback` accepts a pending login after `auth login`.
pub const PENDING_LOGIN_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// The key logins and tokens are filed under: one per application and realm.
pub fn store_key(client_id: &str, realm: Option<&str>) -> String {
    match realm {
        Some(realm) => format!("{client_id} {realm}"),
        None => client_id.to_string(),
    }
}

/// What `auth login` sent and `auth callback` must find again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    /// The `state` sent to the provider (anti-CSRF).
    #[serde(serialize_with = "expose")]
    pub state: Secret,
    /// The `nonce` sent to the provider, to find in the `id_token`.
    #[serde(serialize_with = "expose")]
    pub nonce: Secret,
    /// The PKCE verifier, when PKCE is on.
    #[serde(default, serialize_with = "expose_option")]
    pub pkce_verifier: Option<Secret>,
    /// When `auth login` ran.
    pub created_at: DateTime<Utc>,
}

impl PendingLogin {
    /// Whether the login is too old to be completed at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now - self.created_at > PENDING_LOGIN_LIFETIME
    }
}

/// The tokens of one user, stored once every check passed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserTokens {
    /// The realm they were issued in (`/individu`), if any.
    #[serde(default)]
    pub realm: Option<String>,
    /// The granted scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The access token sent as `Authorization: Bearer`.
    #[serde(serialize_with = "expose")]
    pub access_token: Secret,
    /// The validated `id_token`, kept for the logout URL's `id_token_hint`.
    #[serde(default, serialize_with = "expose_option")]
    pub id_token: Option<Secret>,
    /// The `id_token`'s subject (the user's identifier at the provider).
    #[serde(default)]
    pub subject: Option<String>,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// When they were stored.
    pub stored_at: DateTime<Utc>,
}

impl UserTokens {
    /// Whether the access token has expired at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

fn expose<S: Serializer>(secret: &Secret, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

fn expose_option<S: Serializer>(
    secret: &Option<Secret>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => s.serialize_some(secret.expose()),
        None => s.serialize_none(),
    }
}

/// The store's content.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreContent {
    /// Logins started and not yet completed.
    #[serde(default)]
    pub pending: BTreeMap<String, PendingLogin>,
    /// Tokens of users who logged in.
    #[serde(default)]
    pub tokens: BTreeMap<String, UserTokens>,
}

/// The token store file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStore {
    path: PathBuf,
}

impl TokenStore {
    /// The store at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        TokenStore { path: path.into() }
    }

    /// The store the spec's `token_store` names (already resolved against
    /// the spec's folder), else `JOBHARVEST_TOKEN_STORE`, else
    /// `tokens.json` in the user's data folder.
    ///
    /// # Errors
    /// A config error when none is given and the system has no data folder.
    pub fn locate(
        from_spec: Option<PathBuf>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        if let Some(path) = from_spec {
            return Ok(Self::at(path));
        }
        if let Some(path) = env(ENV_TOKEN_STORE).filter(|p| !p.trim().is_empty()) {
            return Ok(Self::at(path));
        }
        dirs::data_dir()
            .map(|dir| Self::at(dir.join("jobharvest").join("tokens.json")))
            .ok_or_else(|| {
                Error::config(format!(
                    "cannot tell where to keep the user tokens (this system has no user data folder): set `token_store` in the source's `auth` block or {ENV_TOKEN_STORE}"
                ))
            })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the store; a missing file is an empty store.
    ///
    /// # Errors
    /// An I/O error, a parse error naming the file and the fix, or an auth
    /// error when others can read the file.
    pub fn load(&self) -> Result<StoreContent> {
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(StoreContent::default());
            }
            Err(e) => return Err(Error::io("read the token store", &self.path, e)),
        };
        self.check_private()?;
        serde_json::from_slice(&text).map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!(
                    "the token store `{}` is not readable ({e}); delete it and run `jobharvest auth login` again",
                    self.path.display()
                ),
            )
        })
    }

    #[cfg(unix)]
    fn check_private(&self) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(&self.path)
            .map_err(|e| Error::io("read the token store", &self.path, e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "the token store `{}` can be read by other users (mode {mode:o}); run `chmod 600 {}`, or delete it and log in again",
                    self.path.display(),
                    self.path.display()
                ),
            ));
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn check_private(&self) -> Result<()> {
        Ok(())
    }

    /// Writes `content` atomically, readable by its owner only.
    ///
    /// # Errors
    /// An I/O error naming the file.
    pub fn save(&self, content: &StoreContent) -> Result<()> {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_private_dir(dir)?;
        let json = serde_json::to_vec_pretty(content)
            .map_err(|e| Error::new(ErrorKind::Io, format!("could not encode the store: {e}")))?;
        // tempfile creates the file with mode 0600 on Unix.
        let mut file = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| Error::io("create a file beside", &self.path, e))?;
        file.write_all(&json)
            .and_then(|()| file.as_file().sync_all())
            .map_err(|e| Error::io("write", file.path(), e))?;
        file.persist(&self.path)
            .map_err(|e| Error::io("replace", &self.path, e.error))?;
        Ok(())
    }

    /// Loads, changes and saves the store; `change` returns whether to save.
    ///
    /// # Errors
    /// As [`TokenStore::load`] and [`TokenStore::save`].
    pub fn update<T>(&self, change: impl FnOnce(&mut StoreContent) -> (bool, T)) -> Result<T> {
        let mut content = self.load()?;
        let (changed, out) = change(&mut content);
        if changed {
            self.save(&content)?;
        }
        Ok(out)
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io("create the folder", dir, e))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create the folder", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(expires_at: DateTime<Utc>) -> UserTokens {
        UserTokens {
            realm: Some("/individu".into()),
            scopes: vec!["openid".into()],
            access_token: Secret::new("at-value"),
            id_token: Some(Secret::new("idt-value")),
            subject: Some("user-1".into()),
            expires_at,
            stored_at: Utc::now(),
        }
    }

    #[test]
    fn a_missing_store_is_empty_and_a_saved_one_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::at(dir.path().join("sub/tokens.json"));
        assert!(store.load().unwrap().tokens.is_empty());
        let mut content = StoreContent::default();
        content.tokens.insert("k".into(), tokens(Utc::now()));
        store.save(&content).unwrap();
        let back = store.load().unwrap();
        assert_eq!(back.tokens["k"].access_token.expose(), "at-value");
        assert_eq!(
            back.tokens["k"].id_token.as_ref().unwrap().expose(),
            "idt-value"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_store_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::at(dir.path().join("new/tokens.json"));
        store.save(&StoreContent::default()).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.path()), 0o600);
        assert_eq!(mode(&dir.path().join("new")), 0o700);
        // A store others can read is refused, not used.
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.load().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn debug_never_shows_tokens() {
        let text = format!("{:?}", tokens(Utc::now()));
        assert!(
            !text.contains("at-value") && !text.contains("idt-value"),
            "{text}"
        );
    }

    #[test]
    fn the_spec_wins_over_the_environment() {
        let env = |name: &str| (name == ENV_TOKEN_STORE).then(|| "/from/env.json".to_string());
        let spec = TokenStore::locate(Some("/from/spec.json".into()), &env).unwrap();
        assert_eq!(spec.path(), Path::new("/from/spec.json"));
        let from_env = TokenStore::locate(None, &env).unwrap();
        assert_eq!(from_env.path(), Path::new("/from/env.json"));
    }

    #[test]
    fn pending_logins_expire_after_ten_minutes() {
        let login = PendingLogin {
            state: Secret::new("s"),
            nonce: Secret::new("n"),
            pkce_verifier: None,
            created_at: Utc::now() - chrono::TimeDelta::minutes(11),
        };
        assert!(login.is_expired(Utc::now()));
        assert!(!login.is_expired(login.created_at + chrono::TimeDelta::minutes(9)));
    }
}
