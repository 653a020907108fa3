//! `jobharvest auth login|callback|status|logout SPEC`: logging a user in
//! for the sources that act for one (France Travail Connect).
//!
//! The flow, its checks and the token store are `jobharvest-auth`'s; this
//! module finds the source that acts for a user in the spec, and prints.
//! It never prints a token, except the `id_token_hint` of the provider's
//! logout URL, which that URL needs.

use std::path::{Path, PathBuf};

use chrono::Utc;
use clap::{Args, Subcommand};
use jobharvest_auth::AuthorizationCodeFlow;
use jobharvest_core::{Error, Registry, Result, spec};
use serde_json::Value;

/// Options of `auth`.
#[derive(Debug, Args)]
pub struct AuthArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: AuthAction,
}

/// The `auth` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuthAction {
    /// Print the URL where the user logs in and consents (on its own line
    /// of stdout), and remember the login for `auth callback`.
    Login(Target),
    /// Complete the login with the URL the browser was redirected to: check
    /// it, exchange the code, check the tokens, store them.
    Callback {
        /// The source to log in for.
        #[command(flatten)]
        target: Target,
        /// The whole URL the browser was sent to (quote it).
        url: String,
    },
    /// Show the stored login (realm, scopes, expiry; never a token).
    Status(Target),
    /// Forget the stored tokens and print the provider's logout URL.
    Logout(Target),
}

/// The spec, and the source in it when several act for a user.
#[derive(Debug, Args)]
pub struct Target {
    /// The job spec (.yaml, .yml or .toml).
    pub spec: PathBuf,
    /// The `name` of the source, when several act for a user.
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
}

/// Runs an `auth` subcommand.
pub async fn run(registry: &Registry, args: AuthArgs) -> Result<()> {
    match args.action {
        AuthAction::Login(target) => login(&find_flow(registry, &target)?, &target.spec),
        AuthAction::Callback { target, url } => {
            callback(&find_flow(registry, &target)?, &target.spec, &url).await
        }
        AuthAction::Status(target) => status(&find_flow(registry, &target)?),
        AuthAction::Logout(target) => logout(&find_flow(registry, &target)?),
    }
}

/// The user login of a spec's source of type `type_name`, if it acts for a
/// user: one line per connector that can.
fn user_login(
    type_name: &str,
    config: Value,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<AuthorizationCodeFlow>> {
    match type_name {
        jobharvest_france_travail::TYPE => {
            serde_json::from_value::<jobharvest_france_travail::FranceTravailConfig>(config)
                .map_err(|e| Error::config(e.to_string()))?
                .login_flow(base_dir, env)
        }
        _ => Ok(None),
    }
}

/// The one source of the spec that acts for a user (or the one named).
fn find_flow(registry: &Registry, target: &Target) -> Result<AuthorizationCodeFlow> {
    let loaded = spec::load(&target.spec)?;
    // Every check a run makes, with their messages, before looking closer.
    loaded.build_sources(registry, true)?;
    let env = |name: &str| std::env::var(name).ok();
    let mut found = Vec::new();
    for (i, value) in loaded.raw.sources.iter().enumerate() {
        let mut config = value.clone();
        let Some(map) = config.as_object_mut() else {
            continue;
        };
        let type_name = map
            .remove("type")
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let name = map
            .remove("name")
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_else(|| type_name.clone());
        if target.source.as_ref().is_some_and(|wanted| *wanted != name) {
            continue;
        }
        // What the registry takes out of an entry before a source reads
        // it: the `filter:` block and the shared HTTP keys.
        map.remove("filter");
        jobharvest_core::http_config::HttpConfig::take(map, &format!("sources[{i}]"))?;
        if let Some(flow) = user_login(&type_name, config, &loaded.base_dir, &env)
            .map_err(|e| e.prefixed(format!("sources[{i}]")))?
        {
            found.push((name, flow));
        }
    }
    let spec = target.spec.display();
    match found.len() {
        1 => Ok(found.remove(0).1),
        0 => Err(Error::config(match &target.source {
            Some(name) => format!(
                "no source named `{name}` in {spec} acts for a user; check --source, or add `auth: {{flow: authorization_code, ...}}` to it"
            ),
            None => format!(
                "no source in {spec} acts for a user: add `auth: {{flow: authorization_code, realm: individu, redirect_uri: ..., scope: \"... openid\"}}` to a france_travail source (see config/france-travail-connect.yaml)"
            ),
        })),
        _ => {
            let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
            Err(Error::config(format!(
                "several sources of {spec} act for a user ({}); choose one with --source NAME",
                names.join(", ")
            )))
        }
    }
}

fn login(flow: &AuthorizationCodeFlow, spec: &Path) -> Result<()> {
    let url = flow.begin()?;
    println!("{url}");
    eprintln!(
        "Open the URL above in a browser, log in and consent. The browser then goes to {}: within 10 minutes, run\n  jobharvest auth callback {} '<the whole URL it went to>'",
        flow.settings().redirect_uri,
        spec.display()
    );
    Ok(())
}

async fn callback(flow: &AuthorizationCodeFlow, spec: &Path, url: &str) -> Result<()> {
    let tokens = flow.complete(url).await?;
    let left = (tokens.expires_at - Utc::now()).num_seconds().max(0);
    eprintln!(
        "Logged in{}: every check passed (state, nonce, signature, issuer, audience, expiry); scopes: {}.\nThe access token is valid for about {left} s: run `jobharvest run {}` now.",
        tokens
            .realm
            .as_ref()
            .map(|r| format!(" (realm {r})"))
            .unwrap_or_default(),
        tokens.scopes.join(" "),
        spec.display()
    );
    Ok(())
}

fn status(flow: &AuthorizationCodeFlow) -> Result<()> {
    let s = flow.settings();
    let status = flow.status()?;
    println!("client: {}", s.client_id);
    println!("realm: {}", s.realm.as_deref().unwrap_or("-"));
    println!("token store: {}", flow.store().path().display());
    match &status.tokens {
        Some(tokens) => {
            let now = Utc::now();
            let left = (tokens.expires_at - now).num_seconds();
            let state = if tokens.is_expired(now) {
                "expired".to_string()
            } else {
                format!("valid for {left} s")
            };
            println!("logged in: yes");
            println!("scopes: {}", tokens.scopes.join(" "));
            println!(
                "expires: {} ({state})",
                tokens.expires_at.format("%Y-%m-%d %H:%M:%S UTC")
            );
        }
        None => println!("logged in: no"),
    }
    if let Some(since) = status.pending_since {
        println!(
            "login pending since: {}",
            since.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    Ok(())
}

fn logout(flow: &AuthorizationCodeFlow) -> Result<()> {
    let out = flow.logout()?;
    if out.forgot_tokens {
        eprintln!("Forgot the stored tokens.");
    } else {
        eprintln!("No tokens were stored.");
    }
    if let Some(url) = out.url {
        if out.post {
            eprintln!("To end the session at the provider, POST to:");
        } else {
            eprintln!("To end the session at the provider, open:");
        }
        println!("{url}");
    }
    Ok(())
}
