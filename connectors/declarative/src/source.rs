//! The running board source: requests, paging, details, slicing.
//!
//! One query is paged as the definition says until the board has nothing
//! more, and the run log says why paging stopped. A query whose total is
//! past the board's result window is split into date windows when the
//! definition allows it ([`crate::definition::Slicing`]): each window is
//! probed with its first page and halved until its total fits, so that
//! every offer is within reach, and each finished window is marked in the
//! checkpoint for `--resume`.
//!
//! Pacing, retries, quotas and token renewal are the shared
//! [`HttpClient`]'s. Every value that came from the environment is a
//! secret: errors leave the source through [`Secrets::redact`].

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Days, TimeDelta, Utc};
use jobharvest_core::http::{Answer, HttpClient, HttpSettings, TokenProvider};
use jobharvest_core::quota::{JsonBudgetStore, Period, Quotas};
use jobharvest_core::{
    Capabilities, Error, ErrorKind, FilterSupport, Flow, JobRecord, NormalizeOptions, Result,
    Secret, Source, SourceContext, SourceStats, async_trait,
};
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;
use tracing::{info, warn};
use url::Url;

use crate::definition::intern;
use crate::definition::{
    Definition, Earliest, In, Method, Missing, PageKind, Per, SinceTarget, Skip,
};
use crate::steps::{Val, scalar_text};
use crate::text::time;

/// The values a source must never show.
#[derive(Clone, Default)]
pub struct Secrets(Arc<Vec<String>>);

impl Secrets {
    /// The secrets gathered while building, registered with the
    /// process's redactor too ([`jobharvest_core::secret::register`]).
    pub fn new(list: Vec<String>) -> Self {
        for s in &list {
            jobharvest_core::secret::register(s);
        }
        Secrets(Arc::new(list))
    }

    /// `err` without any secret.
    pub fn redact(&self, err: Error) -> Error {
        err.redact(&self.0)
    }

    /// `text` without any secret.
    pub fn clean(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.0.iter().filter(|s| s.len() >= 3) {
            out = out.replace(s.as_str(), "***");
        }
        out
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} hidden)", self.0.len())
    }
}

/// A board source, built and ready to run.
pub struct BoardSource {
    pub(crate) def: Arc<Definition>,
    pub(crate) base: Url,
    pub(crate) public_base: Url,
    pub(crate) url: Url,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Option<Value>,
    pub(crate) basic: Option<(String, Secret)>,
    pub(crate) token_provider: Option<Arc<dyn TokenProvider>>,
    pub(crate) detail_path: Option<String>,
    pub(crate) settings: HttpSettings,
    pub(crate) max_results: Option<u64>,
    pub(crate) max_pages: Option<u64>,
    pub(crate) options: NormalizeOptions,
    pub(crate) secrets: Secrets,
    pub(crate) budget_file: std::path::PathBuf,
    pub(crate) record_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for BoardSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardSource")
            .field("board", &self.def.board)
            .field("url", &jobharvest_core::http::redact_url(&self.url))
            .field("settings", &self.settings)
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

impl BoardSource {
    /// Replaces the HTTP settings (tests use short retry delays).
    pub fn with_http_settings(mut self, settings: HttpSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Saves every answer into `dir` (`001-page-1.json`, ...), secrets
    /// replaced by `***`: `jobharvest boards test --record`.
    pub fn with_recording(mut self, dir: std::path::PathBuf) -> Self {
        self.record_dir = Some(dir);
        self
    }

    /// The first request's URL (without query).
    pub fn url(&self) -> &Url {
        &self.url
    }

    fn quotas(&self) -> Option<Arc<Quotas>> {
        if self.def.quotas.is_empty() {
            return None;
        }
        let host = self.base.host_str().unwrap_or("local");
        let mut quotas = Quotas::new(format!("{}/{host}", self.def.board))
            .with_store(Arc::new(JsonBudgetStore::new(&self.budget_file)))
            .with_hint("narrow the query with `params`, lower `--limit`, or wait");
        for q in &self.def.quotas {
            let limit = u32::try_from(q.requests).unwrap_or(u32::MAX);
            quotas = match q.per {
                Per::Second => quotas.pace(limit, Duration::from_secs(1)),
                Per::Minute => quotas.pace(limit, Duration::from_secs(60)),
                Per::Hour => quotas.pace(limit, Duration::from_secs(3600)),
                Per::Day => quotas.budget(q.requests, Period::Day),
                Per::Week => quotas.budget(q.requests, Period::Week),
            };
        }
        Some(quotas.shared(&self.budget_file.display().to_string()))
    }
}

/// The capabilities a definition gives its board.
pub fn capabilities(def: &Definition) -> Capabilities {
    let filters = if def.params.is_empty() {
        FilterSupport::Client
    } else {
        FilterSupport::Server
    };
    let mut caps = Capabilities::network(def.auth_description(), filters);
    if let Some(size) = def.paginate.size {
        caps = caps.with_page_size(u32::try_from(size).unwrap_or(u32::MAX));
    }
    if let Some(window) = def.window() {
        caps = caps.with_result_window(window);
    }
    if def.slicing.is_some() {
        caps = caps.with_date_window().with_resume();
    }
    if def.incremental.is_some() {
        caps = caps.with_incremental();
    }
    let vars: Vec<&'static str> = def
        .env_vars()
        .into_iter()
        .map(|(name, optional)| {
            if optional {
                intern(&format!("{name} (optional)"))
            } else {
                intern(&name)
            }
        })
        .collect();
    if !vars.is_empty() {
        caps = caps.with_auth_env(crate::definition::intern_list(vars));
    }
    caps
}

impl Definition {
    /// The capabilities' `auth`: the `auth:` block's kind, or an API key
    /// when a header or the path carries a required `${VAR}`. Keys that
    /// are optional (`${VAR:-}`) leave it `none`: the board works without.
    fn auth_description(&self) -> &'static str {
        let required =
            |t: &crate::template::Template| t.env_vars().any(|(_, has_default)| !has_default);
        let key_elsewhere = self.request.headers.iter().any(|(_, t)| required(t))
            || self.request.query.iter().any(|(_, t)| required(t))
            || required(&self.request.path);
        match (self.auth.describe(), key_elsewhere) {
            ("none", true) => "API key (header, query or path)",
            (d, _) => d,
        }
    }
}

/// Extra values of one request: paging, a date window, `since`.
#[derive(Debug, Default, Clone)]
struct Extra {
    query: Vec<(String, String)>,
    body: Vec<(String, Value)>,
    headers: Vec<(String, String)>,
}

impl Extra {
    fn set(&mut self, location: In, name: &str, value: Value) {
        match location {
            In::Body => {
                self.body.retain(|(k, _)| k != name);
                self.body.push((name.to_string(), value));
            }
            _ => {
                self.query.retain(|(k, _)| k != name);
                self.query
                    .push((name.to_string(), scalar_text(&value).unwrap_or_default()));
            }
        }
    }
}

/// How one query ended.
enum Outcome {
    /// Paged to the end (or as far as the window allows).
    Done { reached_window: bool },
    /// The run wants no more.
    Stopped,
    /// Probing: the total is past the window; nothing was emitted.
    TooBig { total: u64 },
}

/// The harvest of one run.
struct Run<'a> {
    src: &'a BoardSource,
    http: HttpClient,
    cx: &'a SourceContext,
    emitted_raw: u64,
    closed: u64,
    unmapped: u64,
    problems: BTreeMap<&'static str, (u64, Vec<String>)>,
    detail_missing: u64,
    recorded: u64,
    /// Whether the requests ask only for what changed since the last run.
    since_applied: bool,
}

#[async_trait]
impl Source for BoardSource {
    fn capabilities(&self) -> Capabilities {
        capabilities(&self.def)
    }

    async fn run(self: Box<Self>, cx: SourceContext) -> Result<()> {
        let secrets = self.secrets.clone();
        let mut http = HttpClient::new(
            self.settings.clone(),
            Arc::clone(cx.stats()),
            self.token_provider.clone(),
        )?;
        if let Some(q) = self.quotas() {
            http = http.with_quota(q);
        }
        let mut run = Run {
            src: &self,
            http,
            cx: &cx,
            emitted_raw: 0,
            closed: 0,
            unmapped: 0,
            problems: BTreeMap::new(),
            detail_missing: 0,
            recorded: 0,
            since_applied: false,
        };
        let result = run.harvest().await;
        run.report();
        result.map_err(|e| secrets.redact(e))
    }
}

impl Run<'_> {
    fn board(&self) -> &'static str {
        self.src.def.board
    }

    async fn harvest(&mut self) -> Result<()> {
        let def = Arc::clone(&self.src.def);
        let since = self.cx.since();
        let mut base = Extra::default();
        if let (Some(since), Some(inc)) = (since, &def.incremental) {
            let text = format_since(since, &inc.format, inc.tz);
            match &inc.target {
                SinceTarget::Param(name) => {
                    base.set(def.paginate.location, name, Value::String(text))
                }
                SinceTarget::Header(name) => base.headers.push((name.clone(), text)),
            }
            info!(source = %self.cx.name(), since = %since, "Asking the board only for offers since the last run.");
            self.since_applied = true;
        }
        let (Some(slicing), Some(window)) = (&def.slicing, def.window()) else {
            return match self.query(&base, None, "all").await? {
                Outcome::TooBig { .. } | Outcome::Stopped | Outcome::Done { .. } => Ok(()),
            };
        };
        // The whole query first: when it fits, no slicing.
        match self.query(&base, Some(window), "all").await? {
            Outcome::Done { .. } | Outcome::Stopped => return Ok(()),
            Outcome::TooBig { total } => {
                info!(source = %self.cx.name(), total, window, "The query is past the board's result window; splitting it by date.");
                self.cx.stats().set_total(total);
            }
        }
        let now = Utc::now() + TimeDelta::days(1);
        let earliest = match slicing.earliest {
            Earliest::Date(d) => d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            Earliest::Days(n) => Utc::now()
                .checked_sub_days(Days::new(u64::from(n)))
                .unwrap_or_default(),
        };
        let earliest = since.map_or(earliest, |s| s.max(earliest));
        let mut stack = vec![(trunc(earliest), trunc(now))];
        let mut windows = 0u64;
        while let Some((from, to)) = stack.pop() {
            let key = format!("{}..{}", from.to_rfc3339(), to.to_rfc3339());
            if self.cx.is_done(&key) {
                continue;
            }
            let mut extra = base.clone();
            let loc = def.paginate.location;
            extra.set(
                loc,
                &slicing.from_param,
                Value::String(time::format_instant(from, &slicing.format, slicing.tz)),
            );
            extra.set(
                loc,
                &slicing.to_param,
                Value::String(time::format_instant(to, &slicing.format, slicing.tz)),
            );
            let splittable = to - from >= TimeDelta::seconds(2);
            let probe = splittable.then_some(window);
            match self.query(&extra, probe, &key).await? {
                Outcome::Stopped => return Ok(()),
                Outcome::TooBig { total } => {
                    let mid = from + (to - from) / 2;
                    let mid = trunc(mid);
                    tracing::debug!(source = %self.cx.name(), total, %from, %to, "Splitting a date window.");
                    // Newest first: the later half is popped first.
                    stack.push((from, mid));
                    stack.push((mid + TimeDelta::seconds(1), to));
                }
                Outcome::Done { reached_window } => {
                    if reached_window && !splittable {
                        warn!(source = %self.cx.name(), %from, "More offers share one second than the board's window reaches; some are out of reach.");
                    }
                    windows += 1;
                    self.cx.complete(&key)?;
                }
            }
        }
        info!(source = %self.cx.name(), windows, "Stopped paging: every date window was read to its end.");
        Ok(())
    }

    /// Pages one query. With `probe`, the first page's total is compared
    /// with it first, and a larger total returns [`Outcome::TooBig`]
    /// before anything is emitted.
    async fn query(&mut self, extra: &Extra, probe: Option<u64>, key: &str) -> Result<Outcome> {
        let def = Arc::clone(&self.src.def);
        let p = &def.paginate;
        let mut extra = extra.clone();
        let mut position = p.start;
        if let (Some(size), Some(size_param)) = (p.size, &p.size_param) {
            extra.set(p.location, size_param, Value::from(size));
        }
        if matches!(p.kind, PageKind::Page | PageKind::Offset)
            && let Some(param) = &p.param
        {
            extra.set(p.location, param, Value::from(position));
        }
        let mut url = self.src.url.clone();
        let mut link = false;
        let mut seen_links: HashSet<String> = HashSet::new();
        let mut last_page_hash: Option<u64> = None;
        let mut pages = 0u64;
        let mut fetched = 0u64;
        let mut reached_window = false;
        let slice = if key == "all" {
            String::new()
        } else {
            format!(" (window {key})")
        };
        loop {
            let what = format!("{} page {}{slice}", self.board(), pages + 1);
            let target = self.effective_url(&url, link, &extra);
            if matches!(
                p.kind,
                PageKind::Cursor | PageKind::NextLink | PageKind::LinkHeader
            ) && !seen_links.insert(target.to_string())
            {
                return Err(self.loop_error(&what, "next link or cursor"));
            }
            let answer = self.send(&what, &target, &extra).await?;
            self.record(&format!("page-{}", pages + 1), &answer)?;
            let nothing_new = match (&def.incremental, self.since_applied) {
                (Some(inc), true) => {
                    pages == 0 && inc.nothing_new.contains(&answer.status.as_u16())
                }
                _ => answer.status == reqwest::StatusCode::NOT_MODIFIED,
            };
            if nothing_new {
                let reason = format!("the board has nothing newer ({})", answer.status);
                self.stopped(key, pages, &reason);
                return Ok(Outcome::Done { reached_window });
            }
            self.check_status(&what, &answer)?;
            let body: Value = serde_json::from_slice(&answer.body).map_err(|e| {
                Error::new(
                    ErrorKind::Parse,
                    format!(
                        "{what}: the answer is not JSON ({e}); it began: {}",
                        self.src.secrets.clean(&answer.excerpt(200))
                    ),
                )
                .with_context("url", &answer.url)
            })?;
            let total = p.total.as_ref().and_then(|t| t.get(&body)).and_then(as_u64);
            if pages == 0
                && let Some(total) = total
            {
                if let Some(window) = probe
                    && total > window
                {
                    return Ok(Outcome::TooBig { total });
                }
                if key == "all" {
                    self.cx.stats().set_total(total);
                }
            }
            // A board may leave the list out of an answer with no hits
            // (the Bundesagentur's, by one account): with a total of 0,
            // that is an empty page, not a misread answer.
            let empty = Vec::new();
            let list = def.records.get(&body).and_then(Value::as_array);
            let list = match list {
                None if total == Some(0) => Some(&empty),
                other => other,
            };
            let list = list.ok_or_else(|| {
                Error::new(
                    ErrorKind::Parse,
                    format!(
                        "{what}: the answer holds no list at `{}` (the definition's `records`), so it cannot be read as offers; check `records` in {}. The answer began: {}",
                        def.records,
                        def.file,
                        self.src.secrets.clean(&answer.excerpt(300))
                    ),
                )
                .with_context("url", &answer.url)
            })?;
            let received = list.len() as u64;
            pages += 1;
            // A board that ignores the page parameter answers the same page
            // again and again: an error, not an endless loop.
            if matches!(p.kind, PageKind::Page | PageKind::Offset) && received > 0 {
                let mut h = DefaultHasher::new();
                for item in list {
                    item.to_string().hash(&mut h);
                }
                let hash = h.finish();
                if last_page_hash == Some(hash) {
                    return Err(Error::new(
                        ErrorKind::Parse,
                        format!(
                            "{what}: the board answered with the same offers as the page before; it seems to ignore `{}`. Check `paginate` in {}",
                            p.param.as_deref().unwrap_or("the page parameter"),
                            def.file
                        ),
                    ));
                }
                last_page_hash = Some(hash);
            }
            let next_link = match p.kind {
                PageKind::Cursor | PageKind::NextLink => p
                    .from
                    .as_ref()
                    .and_then(|f| f.get(&body))
                    .and_then(scalar_text)
                    .filter(|s| !s.trim().is_empty()),
                PageKind::LinkHeader => answer.header("link").and_then(next_from_link_header),
                _ => None,
            };
            let records = self.records(&what, list).await?;
            if self.cx.emit(records).await? == Flow::Stop {
                return Ok(Outcome::Stopped);
            }
            fetched += received;
            self.emitted_raw += received;
            let reason = if received == 0 {
                Some("a page held no offers".to_string())
            } else if let Some(t) = total.filter(|t| fetched >= *t && p.kind != PageKind::NextLink)
            {
                Some(format!("all {t} offers the board reported were read"))
            } else if self.src.max_results.is_some_and(|m| self.emitted_raw >= m) {
                Some("`max_results` was reached".to_string())
            } else if self.src.max_pages.is_some_and(|m| pages >= m) {
                Some("`max_pages` was reached".to_string())
            } else {
                None
            };
            if let Some(reason) = reason {
                self.stopped(key, pages, &reason);
                return Ok(Outcome::Done { reached_window });
            }
            match p.kind {
                PageKind::None => {
                    self.stopped(key, pages, "the board serves everything in one answer");
                    return Ok(Outcome::Done { reached_window });
                }
                PageKind::Page | PageKind::Offset => {
                    if p.size.is_some_and(|size| received < size) {
                        self.stopped(key, pages, "a page was shorter than a full page");
                        return Ok(Outcome::Done { reached_window });
                    }
                    position = if p.kind == PageKind::Page {
                        position + 1
                    } else {
                        position + received
                    };
                    let past = match p.kind {
                        PageKind::Page => p.max_page.is_some_and(|m| position > m),
                        _ => p.max_offset.is_some_and(|m| position > m),
                    } || p.window.is_some_and(|w| fetched >= w);
                    if past {
                        reached_window = true;
                        let left = total.map(|t| t.saturating_sub(fetched));
                        self.stopped(key, pages, "the board's result window was reached");
                        if let Some(left) = left.filter(|l| *l > 0)
                            && probe.is_none()
                            && key == "all"
                        {
                            warn!(source = %self.cx.name(), left, "The query has more offers than the board lets one query reach; narrow it with `params`{}.", if def.slicing.is_some() { "" } else { " (this board cannot be split by date)" });
                        }
                        return Ok(Outcome::Done { reached_window });
                    }
                    if let Some(param) = &p.param {
                        extra.set(p.location, param, Value::from(position));
                    }
                }
                PageKind::Cursor => match next_link {
                    None => {
                        self.stopped(key, pages, "the board gave no next cursor");
                        return Ok(Outcome::Done { reached_window });
                    }
                    Some(cursor) => {
                        if let Some(param) = &p.param {
                            extra.set(p.location, param, Value::String(cursor));
                        }
                    }
                },
                PageKind::NextLink | PageKind::LinkHeader => match next_link {
                    None => {
                        self.stopped(key, pages, "the board gave no next link");
                        return Ok(Outcome::Done { reached_window });
                    }
                    Some(next) => {
                        // The link carries its own query: only what it
                        // lacks (a key) is added.
                        url = self.follow(&url, &next)?;
                        link = true;
                        extra.query.clear();
                    }
                },
            }
        }
    }

    fn loop_error(&self, what: &str, thing: &str) -> Error {
        Error::new(
            ErrorKind::Parse,
            format!(
                "{what}: the board's {thing} led back to a page already read; stopping instead of looping (check `paginate` in {})",
                self.src.def.file
            ),
        )
    }

    /// Says why paging stopped: for the whole query in the run log, for
    /// each date window of a sliced query at debug level (there can be
    /// hundreds).
    fn stopped(&self, key: &str, pages: u64, reason: &str) {
        if key == "all" {
            info!(source = %self.cx.name(), pages, "Stopped paging: {reason}.");
        } else {
            tracing::debug!(source = %self.cx.name(), pages, window = key, "Stopped paging the window: {reason}.");
        }
    }

    /// The next page's URL from a link: relative links join the current
    /// URL; absolute links on another origin (the public site, when a
    /// stand-in or a proxy is configured) are moved onto the configured
    /// base, never followed elsewhere.
    fn follow(&self, current: &Url, link: &str) -> Result<Url> {
        let url = current.join(link.trim()).map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!("{}: the next link is not a URL ({e})", self.board()),
            )
        })?;
        if url.origin() == self.src.base.origin() {
            return Ok(url);
        }
        let rest = url
            .path()
            .strip_prefix(self.src.public_base.path())
            .unwrap_or_else(|| url.path().trim_start_matches('/'));
        let mut ours = self.src.base.join(rest).map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!("{}: cannot follow the next link ({e})", self.board()),
            )
        })?;
        ours.set_query(url.query());
        Ok(ours)
    }

    /// The URL of a request: `url` with the source's query (only what a
    /// next link lacks, when `link`) and the request's extra query.
    fn effective_url(&self, url: &Url, link: bool, extra: &Extra) -> Url {
        let mut out = url.clone();
        let present: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        {
            let mut pairs = out.query_pairs_mut();
            for (k, v) in &self.src.query {
                if !link || !present.contains(k) {
                    pairs.append_pair(k, v);
                }
            }
            for (k, v) in &extra.query {
                pairs.append_pair(k, v);
            }
        }
        if out.query() == Some("") {
            out.set_query(None);
        }
        out
    }

    async fn send(&self, what: &str, url: &Url, extra: &Extra) -> Result<Answer> {
        let src = self.src;
        let body = src.body.clone().map(|mut b| {
            if let Some(map) = b.as_object_mut() {
                for (k, v) in &extra.body {
                    map.insert(k.clone(), v.clone());
                }
            }
            b
        });
        let body = match (body, src.def.request.method, extra.body.is_empty()) {
            (None, Method::Post, false) => {
                Some(Value::Object(extra.body.iter().cloned().collect()))
            }
            (b, _, _) => b,
        };
        let answer = self
            .http
            .fetch(what, |c| {
                let mut b = match src.def.request.method {
                    Method::Get => c.get(url.clone()),
                    Method::Post => c.post(url.clone()),
                };
                for (name, value) in &src.headers {
                    b = b.header(name.clone(), value.clone());
                }
                for (name, value) in &extra.headers {
                    b = b.header(name.as_str(), value.as_str());
                }
                if let Some((user, pass)) = &src.basic {
                    b = b.basic_auth(user, Some(pass.expose()));
                }
                if let Some(body) = &body {
                    b = b.json(body);
                }
                b.header(reqwest::header::ACCEPT, "application/json")
            })
            .await?;
        Ok(answer)
    }

    fn check_status(&self, what: &str, answer: &Answer) -> Result<()> {
        let status = answer.status;
        if status.is_success() {
            return Ok(());
        }
        let excerpt = self.src.secrets.clean(&answer.excerpt(300));
        let def = &self.src.def;
        let vars: Vec<String> = def.env_vars().into_iter().map(|(n, _)| n).collect();
        let (kind, advice) = match status.as_u16() {
            401 | 403 => (
                ErrorKind::Auth,
                if vars.is_empty() {
                    "the board refused the request; it may now need a key".to_string()
                } else {
                    format!("check {}", vars.join(", "))
                },
            ),
            400 | 422 => (
                ErrorKind::BadRequest,
                "check the source's `params` (and the board's limits)".to_string(),
            ),
            404 => (
                ErrorKind::BadRequest,
                format!("check `base_url` and `request.path` of {}", def.file),
            ),
            _ => (
                ErrorKind::Http,
                "the board may be down; try again later".to_string(),
            ),
        };
        Err(Error::new(
            kind,
            format!("{what}: the board answered {status}: {excerpt}; {advice}"),
        )
        .set_temporary(false)
        .with_context("url", &answer.url))
    }

    /// The page's records, skipped, closed, detailed and mapped.
    async fn records(&mut self, what: &str, list: &[Value]) -> Result<Vec<JobRecord>> {
        let def = Arc::clone(&self.src.def);
        let mut out = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            match status(&def, i, item) {
                Status::Skipped => continue,
                Status::Closed => {
                    self.closed += 1;
                    continue;
                }
                Status::Open => {}
            }
            let mut offer = item.clone();
            if let Some(detail) = &def.detail {
                match self.detail(what, &offer).await? {
                    Some(d) => merge(&mut offer, d, detail.into.as_ref()),
                    None if detail.missing == Missing::Skip => continue,
                    None => {}
                }
            }
            match def.mapping.map_owned(offer, None, &self.src.options) {
                Ok(mapped) => {
                    for column in mapped.problems {
                        let entry = self.problems.entry(column).or_default();
                        entry.0 += 1;
                        if entry.1.len() < 3 {
                            entry.1.push(mapped.record.source_id.clone());
                        }
                    }
                    out.push(mapped.record);
                }
                Err(e) => {
                    self.unmapped += 1;
                    SourceStats::bump(&self.cx.stats().skipped);
                    if self.unmapped <= 3 {
                        warn!(source = %self.cx.name(), error = %e, "Skipped an offer that could not be read.");
                    }
                }
            }
        }
        Ok(out)
    }

    /// The detail answer of one record; `None` when the board has none
    /// (404).
    async fn detail(&mut self, what: &str, offer: &Value) -> Result<Option<Value>> {
        let (Some(detail), Some(path)) = (&self.src.def.detail, &self.src.detail_path) else {
            return Ok(None);
        };
        let id = match &detail.id.from {
            crate::mapping::From::One(p) => p.resolve(offer).map_or(Val::Null, Val::from_json),
            _ => Val::Null,
        };
        let id = detail.id.steps.iter().fold(id, |v, s| s.apply(v));
        let Val::Json(id) = id else { return Ok(None) };
        let Some(id) = scalar_text(&id) else {
            return Ok(None);
        };
        let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        let path = path.replace("{id}", &encoded);
        let url = self
            .src
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|e| {
                Error::new(
                    ErrorKind::Parse,
                    format!("{what}: the detail path does not make a URL ({e})"),
                )
            })?;
        let label = format!("{} detail {id}", self.board());
        let answer = self
            .http
            .fetch(&label, |c| {
                let mut b = c.get(url.clone());
                for (name, value) in &self.src.headers {
                    b = b.header(name.clone(), value.clone());
                }
                if let Some((user, pass)) = &self.src.basic {
                    b = b.basic_auth(user, Some(pass.expose()));
                }
                b.header(reqwest::header::ACCEPT, "application/json")
            })
            .await?;
        self.record(&format!("detail-{id}"), &answer)?;
        if matches!(answer.status.as_u16(), 404 | 410 | 204) {
            self.detail_missing += 1;
            return Ok(None);
        }
        self.check_status(&label, &answer)?;
        let value: Value = serde_json::from_slice(&answer.body).map_err(|e| {
            Error::new(
                ErrorKind::Parse,
                format!("{label}: the answer is not JSON ({e})"),
            )
        })?;
        Ok(Some(value))
    }

    /// Saves an answer when recording, secrets replaced.
    fn record(&mut self, label: &str, answer: &Answer) -> Result<()> {
        let Some(dir) = &self.src.record_dir else {
            return Ok(());
        };
        self.recorded += 1;
        let safe: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{:03}-{safe}.json", self.recorded));
        let text = self
            .src
            .secrets
            .clean(&String::from_utf8_lossy(&answer.body));
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| Error::io("save an answer to", &path, e))
    }

    fn report(&self) {
        let name = self.cx.name();
        if self.closed > 0 {
            info!(source = %name, closed = self.closed, "Left out offers the board marks as closed.");
        }
        if self.detail_missing > 0 {
            info!(source = %name, missing = self.detail_missing, "Some offers had no detail answer (404); kept without it.");
        }
        if self.unmapped > 0 {
            warn!(source = %name, skipped = self.unmapped, "Offers without an id were skipped.");
        }
        for (column, (count, ids)) in &self.problems {
            warn!(source = %name, column, count, examples = %ids.join(", "), "Data-quality warning: values that did not fit their column were left empty.");
        }
    }
}

/// What a definition makes of one element of a page's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not an offer (`skip:`).
    Skipped,
    /// An offer the board marks as closed (`closed:`).
    Closed,
    /// An open offer.
    Open,
}

/// The status of the element at position `i` of a page.
pub fn status(def: &Definition, i: usize, item: &Value) -> Status {
    let skipped = def.skip.iter().any(|rule| match rule {
        Skip::Missing(p) => p.get(item).is_none_or(Value::is_null),
        Skip::Equals(p, v) => p.get(item) == Some(v),
        Skip::Index(n) => *n == i,
    });
    if skipped {
        Status::Skipped
    } else if def
        .closed
        .as_ref()
        .is_some_and(|c| c.at.get(item).is_some_and(|v| c.values.contains(v)))
    {
        Status::Closed
    } else {
        Status::Open
    }
}

/// Merges a detail answer into the offer: under `into`, or at the top.
fn merge(offer: &mut Value, detail: Value, into: Option<&crate::pointer::Pointer>) {
    match into {
        Some(p) => {
            p.set(offer, detail);
        }
        None => {
            if let (Some(target), Value::Object(extra)) = (offer.as_object_mut(), detail) {
                target.extend(extra);
            }
        }
    }
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The `rel="next"` URL of a `Link` header.
fn next_from_link_header(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

fn trunc(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// `since` as an incremental parameter wants it.
fn format_since(since: DateTime<Utc>, format: &str, tz: Option<chrono_tz::Tz>) -> String {
    match format {
        "minutes" => ((Utc::now() - since).num_minutes().max(1)).to_string(),
        "days" => ((Utc::now() - since).num_days() + 1).max(1).to_string(),
        f => time::format_instant(since, f, tz),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next() {
        let h = r#"<https://x/a?page=1>; rel="prev", <https://x/a?page=3>; rel="next""#;
        assert_eq!(
            next_from_link_header(h).as_deref(),
            Some("https://x/a?page=3")
        );
        assert_eq!(next_from_link_header(r#"<https://x/a>; rel="last""#), None);
    }

    #[test]
    fn secrets_are_cleaned_from_errors_and_texts() {
        let s = Secrets::new(vec!["s3cr3t-key".into()]);
        let e = Error::new(ErrorKind::Auth, "denied for s3cr3t-key")
            .with_context("url", "https://x/api/s3cr3t-key");
        let text = s.redact(e).to_string();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert_eq!(s.clean("a s3cr3t-key b"), "a *** b");
    }
}
