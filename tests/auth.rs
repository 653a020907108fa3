//! France Travail Connect as a new user would try it: `auth login` against a
//! stand-in OpenID provider, the user's consent, `auth callback` with the
//! redirected URL, then a harvest that must present the user's token; and
//! the callbacks that must be refused, each with nothing stored.

use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use jobharvest_auth::testkit::{OpenIdProvider, ProviderOptions, Tamper, USER_ACCESS_TOKEN};
use wiremock::Mock;
use wiremock::matchers::{header, method, path};

use crate::support::*;

const SEARCH: &str = "/partenaire/offresdemploi/v2/offres/search";

/// A provider, the FT search behind the user's token, and a spec.
struct Setup {
    provider: OpenIdProvider,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn start(options: ProviderOptions) -> Self {
        let provider = OpenIdProvider::start(options).await;
        Mock::given(method("GET"))
            .and(path(SEARCH))
            .and(header(
                "authorization",
                format!("Bearer {USER_ACCESS_TOKEN}").as_str(),
            ))
            .respond_with(Search {
                offers: Arc::new(sample_offers()),
                calls: Arc::new(AtomicUsize::new(0)),
            })
            .mount(&provider.server)
            .await;
        let dir = tempfile::tempdir().unwrap();
        let spec = format!(
            "sources:\n  - type: france_travail\n    params: {{ motsCles: data }}\n    api_url: {}/partenaire/offresdemploi\n    auth:\n      flow: authorization_code\n      realm: individu\n      redirect_uri: https://app.example.fr/callback\n      scope: \"api_peconnect-individuv1 openid profile email\"\n      pkce: true\n      authorize_url: {}\n      token_url: {}\n      jwks_url: {}\n      issuer: {}\nsinks:\n  - {{ type: csv, path: out/offres.csv }}\n",
            provider.server.uri(),
            provider.authorize_url(),
            provider.token_url(),
            provider.jwks_url(),
            provider.issuer(),
        );
        std::fs::write(dir.path().join("connect.yaml"), spec).unwrap();
        Setup { provider, dir }
    }

    fn store(&self) -> std::path::PathBuf {
        self.dir.path().join("private/tokens.json")
    }

    async fn jobharvest(&self, args: &[&str]) -> Output {
        let o = self.provider.options();
        let env = vec![
            ("FT_CLIENT_ID".to_string(), o.client_id.clone()),
            ("FT_CLIENT_SECRET".to_string(), o.client_secret.clone()),
            (
                "JOBHARVEST_TOKEN_STORE".to_string(),
                self.store().to_string_lossy().into_owned(),
            ),
        ];
        jobharvest_async(
            self.dir.path().to_path_buf(),
            args.iter().map(|a| a.to_string()).collect(),
            env,
        )
        .await
    }

    /// `auth login`, the user's consent: the URL the browser lands on.
    async fn login_and_consent(&self) -> String {
        let out = self.jobharvest(&["auth", "login", "connect.yaml"]).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let stdout = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 1, "the URL alone on stdout: {stdout}");
        self.provider.consent(lines[0]).await
    }

    fn stored_tokens(&self) -> usize {
        if !self.store().exists() {
            return 0;
        }
        let store: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(self.store()).unwrap()).unwrap();
        store["tokens"].as_object().map_or(0, |t| t.len())
    }
}

fn printed(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out))
}

fn no_secret_in(text: &str) {
    for secret in [USER_ACCESS_TOKEN, "test-client-secret-s3cr3t"] {
        assert!(!text.contains(secret), "`{secret}` printed: {text}");
    }
}

#[tokio::test]
async fn login_consent_callback_then_a_harvest_with_the_users_token() {
    let s = Setup::start(ProviderOptions::default()).await;
    let out = s.jobharvest(&["auth", "login", "connect.yaml"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let q: std::collections::HashMap<String, String> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    for key in [
        "realm",
        "response_type",
        "client_id",
        "scope",
        "redirect_uri",
        "state",
        "nonce",
    ] {
        assert!(q.contains_key(key), "{key} missing from {url}");
    }
    assert_eq!(q["realm"], "/individu");
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(stderr(&out).contains("auth callback connect.yaml"));

    let back = s.provider.consent(&url).await;
    let out = s
        .jobharvest(&["auth", "callback", "connect.yaml", &back])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    no_secret_in(&printed(&out));
    assert_eq!(s.stored_tokens(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.store()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let out = s.jobharvest(&["auth", "status", "connect.yaml"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = printed(&out);
    assert!(text.contains("logged in: yes"), "{text}");
    assert!(text.contains("realm: /individu"), "{text}");
    assert!(text.contains("api_peconnect-individuv1"), "{text}");
    no_secret_in(&text);

    let out = s.jobharvest(&["run", "connect.yaml"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    no_secret_in(&printed(&out));
    let rows = read_csv(&s.dir.path().join("out/offres.csv"), b',');
    assert_eq!(rows.len(), sample_offers().len());

    let out = s.jobharvest(&["auth", "logout", "connect.yaml"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let logout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        logout.starts_with(
            "https://authentification-candidat.francetravail.fr/compte/deconnexion?id_token_hint="
        ),
        "{logout}"
    );
    assert_eq!(s.stored_tokens(), 0);
    let out = s.jobharvest(&["auth", "status", "connect.yaml"]).await;
    assert!(printed(&out).contains("logged in: no"));
}

/// Logs in, consents, lets `tamper` change the URL, and checks that the
/// callback is refused naming `check`, with nothing stored.
async fn refused(options: ProviderOptions, tamper: impl Fn(&str) -> String, check: &str) {
    let s = Setup::start(options).await;
    let back = tamper(&s.login_and_consent().await);
    let out = s
        .jobharvest(&["auth", "callback", "connect.yaml", &back])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = printed(&out);
    assert!(text.contains(check), "{text}");
    no_secret_in(&text);
    assert_eq!(s.stored_tokens(), 0, "nothing may be stored");
    // And a run has no token to send.
    let out = s.jobharvest(&["run", "connect.yaml"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("jobharvest auth login"),
        "{}",
        stderr(&out)
    );
    assert!(!s.dir.path().join("out/offres.csv").exists());
}

fn tampered(tamper: Tamper) -> ProviderOptions {
    ProviderOptions {
        tamper,
        ..ProviderOptions::default()
    }
}

fn unchanged(url: &str) -> String {
    url.to_string()
}

#[tokio::test]
async fn a_wrong_state_is_refused() {
    let forge = |url: &str| {
        let mut u = url::Url::parse(url).unwrap();
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .into_owned()
            .map(|(k, v)| {
                if k == "state" {
                    (k, "forged".into())
                } else {
                    (k, v)
                }
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        u.to_string()
    };
    refused(ProviderOptions::default(), forge, "state check failed").await;
}

#[tokio::test]
async fn a_wrong_nonce_is_refused() {
    refused(
        tampered(Tamper::IdTokenNonce),
        unchanged,
        "nonce check failed",
    )
    .await;
}

#[tokio::test]
async fn a_bad_signature_is_refused() {
    refused(
        tampered(Tamper::Signature),
        unchanged,
        "signature check failed",
    )
    .await;
}

#[tokio::test]
async fn a_wrong_audience_is_refused() {
    refused(
        tampered(Tamper::Audience),
        unchanged,
        "audience check failed",
    )
    .await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    refused(tampered(Tamper::Expired), unchanged, "expiry check failed").await;
}

#[tokio::test]
async fn an_error_redirect_shows_its_description() {
    let deny = |url: &str| {
        let state = url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        format!(
            "https://app.example.fr/callback?error=access_denied&error_description=Consentement+refus%C3%A9&state={state}"
        )
    };
    refused(ProviderOptions::default(), deny, "Consentement refusé").await;
}

#[tokio::test]
async fn an_expired_user_token_stops_the_run_with_the_relogin_message() {
    let s = Setup::start(ProviderOptions {
        expires_in: 0,
        ..ProviderOptions::default()
    })
    .await;
    let back = s.login_and_consent().await;
    let out = s
        .jobharvest(&["auth", "callback", "connect.yaml", &back])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = s.jobharvest(&["run", "connect.yaml"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("expired"), "{err}");
    assert!(err.contains("jobharvest auth login"), "{err}");
    no_secret_in(&err);
    assert!(!s.dir.path().join("out/offres.csv").exists());
}

#[tokio::test]
async fn a_spec_without_a_user_source_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "sources:\n  - type: france_travail\n    params: { motsCles: data }\nsinks:\n  - { type: csv, path: out.csv }\n";
    std::fs::write(dir.path().join("job.yaml"), spec).unwrap();
    let out = jobharvest(
        dir.path(),
        &["auth", "login", "job.yaml"],
        &[("FT_CLIENT_ID", "id"), ("FT_CLIENT_SECRET", "secret")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("acts for a user"), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no URL without a user source");
}
