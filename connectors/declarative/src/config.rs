//! A board source in a job spec, and how it is built from a definition.
//!
//! ```yaml
//! sources:
//!   - type: jobtech
//!     params: {q: "data analyst", municipality: [AvNB_uwa_6n6]}
//!     max_results: 5000          # the shared HTTP keys: base_url,
//!     rate_limit_per_sec: 2      # rate_limit_per_sec, timeout_secs,
//!                                # max_retries, max_results
//! ```
//!
//! Building fills the definition's templates: `${VAR}` from the
//! environment (an unset variable is refused, naming it), `{params.NAME}`
//! from the spec's `params:` (checked against the definition's, with a
//! "did you mean"). Nothing is fetched.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jobharvest_core::http::{ClientCredentials, HttpSettings};
use jobharvest_core::registry::{from_value, similar};
use jobharvest_core::{BuildContext, Error, NormalizeOptions, Result, Secret};
use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::definition::{Auth, Definition, In, body_strings};
use crate::source::{BoardSource, Secrets};
use crate::steps::scalar_text;
use crate::template::{Fill, Missing, Template};

/// A board source's keys in a spec (besides the shared HTTP keys).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardConfig {
    /// The board's search parameters, by the definition's names.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    /// Stop after this many pages (per query or date window).
    #[serde(default)]
    pub max_pages: Option<u64>,
    /// Keep recruiters' names, phones and e-mails (personal data).
    #[serde(default)]
    pub include_personal_data: bool,
    /// Where daily and weekly budgets are remembered (relative to the
    /// spec; default: `jobharvest/budgets.json` in the user's data folder).
    #[serde(default)]
    pub budget_file: Option<PathBuf>,
}

/// Builds a board source from its spec entry, with the process
/// environment.
///
/// # Errors
/// A config error naming the key and the fix.
pub fn build(
    def: &Arc<Definition>,
    value: Value,
    at: &str,
    cx: &BuildContext,
) -> Result<BoardSource> {
    build_with_env(def, value, at, cx, &|name| std::env::var(name).ok())
}

/// As [`build`], with `env` for the environment (tests).
///
/// # Errors
/// As [`build`].
pub fn build_with_env(
    def: &Arc<Definition>,
    value: Value,
    at: &str,
    cx: &BuildContext,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BoardSource> {
    let config: BoardConfig = from_value(value, at)?;
    if config.max_pages == Some(0) {
        return Err(Error::config(format!(
            "{at}.max_pages: 0 fetches nothing; give a positive number or remove the key"
        )));
    }
    let params = check_params(def, &config.params, at)?;
    let mut secrets = Vec::new();
    let separator = |name: &str| def.param(name).map_or(",", |p| p.separator.as_str());
    let text_params: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.clone(), v.join(separator(k))))
        .collect();
    let mut fill = Fill {
        env,
        params: &text_params,
        secrets: &mut secrets,
    };
    let missing = |key: &str| {
        let key = key.to_string();
        move |m: Missing| {
            match m {
            Missing::Env(var) => Error::config(format!(
                "{at}: the `{board}` board needs the environment variable `{var}` ({key} in {file}); set it, or add `{var}=...` to a `.env` file next to the spec",
                board = def.board,
                file = def.file,
            ))
            .with_context("key", format!("{at}.type")),
        }
        }
    };
    let base_default = def.base_url.fill(&mut fill).map_err(missing("base_url"))?;
    let base = cx.http.base_url(&base_default)?;
    let public_base =
        jobharvest_core::http_config::HttpConfig::default().base_url(&base_default)?;
    let path = def
        .request
        .path
        .fill(&mut fill)
        .map_err(missing("request.path"))?;
    let url = base.join(path.trim_start_matches('/')).map_err(|e| {
        Error::config(format!(
            "{at}: the request path `{}` does not make a URL: {e}",
            def.request.path.fill(&mut fill).unwrap_or_default()
        ))
    })?;

    let mut query: Vec<(String, String)> = Vec::new();
    for (name, t) in &def.request.query {
        if t.sole_param().is_some_and(|p| !params.contains_key(p)) {
            continue;
        }
        let v = t
            .fill(&mut fill)
            .map_err(missing(&format!("request.query.{name}")))?;
        if !v.is_empty() {
            query.push((name.clone(), v));
        }
    }
    let mut headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
    let mut add_header = |name: &str, value: String, secret: bool| -> Result<()> {
        if value.is_empty() {
            return Ok(());
        }
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::config(format!(
                "{at}: `{name}` is not a valid header name ({})",
                def.file
            ))
        })?;
        let mut v = HeaderValue::from_str(&value).map_err(|_| {
            Error::config(format!(
                "{at}: the value of header `{name}` holds characters a header cannot ({})",
                def.file
            ))
        })?;
        v.set_sensitive(secret);
        headers.push((n, v));
        Ok(())
    };
    for (name, t) in &def.request.headers {
        if t.sole_param().is_some_and(|p| !params.contains_key(p)) {
            continue;
        }
        let secret = t.env_vars().next().is_some();
        let v = t
            .fill(&mut fill)
            .map_err(missing(&format!("request.headers.{name}")))?;
        add_header(name, v, secret)?;
    }
    let mut basic = None;
    let mut token_provider = None;
    match &def.auth {
        Auth::None => {}
        Auth::ApiKey {
            location,
            name,
            value,
        } => {
            let v = value.fill(&mut fill).map_err(missing("auth.value"))?;
            if !v.is_empty() {
                match location {
                    In::Query => query.push((name.clone(), v)),
                    _ => add_header(name, v, true)?,
                }
            }
        }
        Auth::Basic { username, password } => {
            let user = username.fill(&mut fill).map_err(missing("auth.username"))?;
            let pass = password.fill(&mut fill).map_err(missing("auth.password"))?;
            basic = Some((user, Secret::new(pass)));
        }
        Auth::Bearer { token } => {
            let t = token.fill(&mut fill).map_err(missing("auth.token"))?;
            add_header("Authorization", format!("Bearer {t}"), true)?;
        }
        Auth::ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
        } => {
            let token_url = token_url
                .fill(&mut fill)
                .map_err(missing("auth.token_url"))?;
            let token_url = Url::parse(&token_url).map_err(|e| {
                Error::config(format!(
                    "{at}: auth.token_url of `{}` is not a URL ({e})",
                    def.board
                ))
            })?;
            let id = client_id
                .fill(&mut fill)
                .map_err(missing("auth.client_id"))?;
            let secret = client_secret
                .fill(&mut fill)
                .map_err(missing("auth.client_secret"))?;
            let mut cc = ClientCredentials::new(token_url, id, Secret::new(secret));
            if let Some(scope) = scope {
                cc = cc.with_scope(scope.clone());
            }
            token_provider = Some(Arc::new(cc) as Arc<dyn jobharvest_core::http::TokenProvider>);
        }
    }

    // Parameters sent by name.
    let mut body = def.request.body.clone();
    if let Some(body) = &mut body {
        fill_body(body, &mut fill, &params).map_err(missing("request.body"))?;
    }
    for p in &def.params {
        let Some(values) = params.get(&p.name) else {
            continue;
        };
        let used_in_template = template_uses(def, &p.name);
        match p.location {
            In::None => {}
            In::Query if !used_in_template => {
                if p.repeat {
                    query.extend(values.iter().map(|v| (p.send_as.clone(), v.clone())));
                } else {
                    query.push((p.send_as.clone(), values.join(&p.separator)));
                }
            }
            In::Body if !used_in_template => {
                let body = body.get_or_insert_with(|| Value::Object(Default::default()));
                if let Some(map) = body.as_object_mut() {
                    let raw = config
                        .params
                        .get(&p.name)
                        .cloned()
                        .or_else(|| p.default.clone());
                    map.insert(p.send_as.clone(), raw.unwrap_or(Value::Null));
                }
            }
            _ => {}
        }
    }
    let detail_path = match &def.detail {
        Some(d) => Some(d.path.fill(&mut fill).map_err(missing("detail.path"))?),
        None => None,
    };

    let mut settings = HttpSettings::default();
    if let Some(rate) = def.rate_limit_per_sec {
        settings = settings.with_rate_limit_per_sec(rate);
    }
    if let Some(secs) = def.timeout_secs {
        settings = settings.with_timeout(Duration::from_secs(secs));
    }
    if let Some(retries) = def.max_retries {
        settings = settings.with_max_retries(retries);
    }
    let settings = cx.http.settings(settings);
    let budget_file = match &config.budget_file {
        Some(p) => cx.resolve(p),
        None => jobharvest_core::quota::default_budget_file(&cx.base_dir),
    };
    Ok(BoardSource {
        def: Arc::clone(def),
        base,
        public_base,
        url,
        query,
        headers,
        body,
        basic,
        token_provider,
        detail_path,
        settings,
        max_results: cx.http.max_results,
        max_pages: config.max_pages,
        options: NormalizeOptions::with_personal_data(config.include_personal_data)
            .leaving_out_raw(cx.leave_out_raw),
        secrets: Secrets::new(secrets),
        budget_file,
        record_dir: None,
    })
}

/// Whether a template of the request names `{params.NAME}` (then the
/// parameter is not also sent by name).
fn template_uses(def: &Definition, name: &str) -> bool {
    let mut uses = def.request.path.params().any(|p| p == name)
        || def
            .request
            .query
            .iter()
            .any(|(_, t)| t.params().any(|p| p == name))
        || def
            .request
            .headers
            .iter()
            .any(|(_, t)| t.params().any(|p| p == name));
    if let Some(body) = &def.request.body {
        body_strings(body, &mut |s| {
            if let Ok(t) = Template::parse(s) {
                uses |= t.params().any(|p| p == name);
            }
        });
    }
    uses
}

/// Fills the templates of a JSON body; an entry that is only
/// `{params.NAME}` without a value is removed.
fn fill_body(
    body: &mut Value,
    fill: &mut Fill<'_>,
    params: &BTreeMap<String, Vec<String>>,
) -> std::result::Result<(), Missing> {
    match body {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                let drop = matches!(map.get(&k), Some(Value::String(s))
                    if Template::parse(s).ok().and_then(|t| t.sole_param().map(str::to_string)).is_some_and(|p| !params.contains_key(&p)));
                if drop {
                    map.remove(&k);
                } else if let Some(v) = map.get_mut(&k) {
                    fill_body(v, fill, params)?;
                }
            }
        }
        Value::Array(items) => {
            for i in items {
                fill_body(i, fill, params)?;
            }
        }
        Value::String(s) => {
            if let Ok(t) = Template::parse(s)
                && !t.is_plain()
            {
                *s = t.fill(fill)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The spec's parameters checked against the definition's, as texts
/// (lists keep their elements), defaults added.
fn check_params(
    def: &Definition,
    given: &BTreeMap<String, Value>,
    at: &str,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    for (name, value) in given {
        let Some(param) = def.param(name) else {
            let known: Vec<&str> = def.params.iter().map(|p| p.name.as_str()).collect();
            let hint = known
                .iter()
                .find(|k| similar(k, name))
                .map(|k| format!(" Did you mean `{k}`?"))
                .unwrap_or_default();
            let list = if known.is_empty() {
                "it takes no parameter".to_string()
            } else {
                format!("it takes {}", known.join(", "))
            };
            return Err(Error::config(format!(
                "{at}.params.{name}: the `{}` board has no parameter `{name}`; {list}.{hint}",
                def.board
            ))
            .with_context("key", format!("{at}.params.{name}")));
        };
        let texts = match value {
            Value::Array(items) => items.iter().map(scalar_text).collect::<Option<Vec<_>>>(),
            v => scalar_text(v).map(|t| vec![t]),
        }
        .ok_or_else(|| {
            Error::config(format!(
                "{at}.params.{name}: expected a text, a number, a boolean or a list of them, found {value}"
            ))
        })?;
        if let Some(allowed) = &param.values {
            let allowed_texts: Vec<String> = allowed.iter().filter_map(scalar_text).collect();
            if let Some(bad) = texts.iter().find(|t| !allowed_texts.contains(t)) {
                return Err(Error::config(format!(
                    "{at}.params.{name}: `{bad}` is not one of the values the `{}` board takes: {}",
                    def.board,
                    allowed_texts.join(", ")
                )));
            }
        }
        out.insert(name.clone(), texts);
    }
    for p in &def.params {
        if out.contains_key(&p.name) {
            continue;
        }
        if let Some(d) = &p.default {
            let texts = match d {
                Value::Array(items) => items.iter().filter_map(scalar_text).collect(),
                v => scalar_text(v).into_iter().collect(),
            };
            out.insert(p.name.clone(), texts);
        } else if p.required {
            return Err(Error::config(format!(
                "{at}.params: the `{}` board needs the parameter `{}`{}; add it under `params:`",
                def.board,
                p.name,
                p.description
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )));
        }
    }
    Ok(out)
}
