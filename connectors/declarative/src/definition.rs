//! A board definition: the YAML as written ([`raw`]) and checked and
//! compiled ([`Definition`]).
//!
//! Loading collects every problem it can find before failing, each placed
//! by file, key path and line, so `jobharvest boards check` shows them all
//! at once. Nothing here touches the network or the environment: `${VAR}`
//! references are checked for form here and resolved when a spec uses the
//! board ([`crate::source`]).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;
use jobharvest_core::{COLUMNS, Error, column_index};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::locate::line_of;
use crate::mapping::{Field, From, Mapping};
use crate::pointer::Pointer;
use crate::steps::Step;
use crate::template::Template;
use crate::text::time;

/// The definition's keys as written, before checks. Each field is the key
/// of the same name in the format's reference (the crate's README).
#[allow(missing_docs)]
pub mod raw {
    use super::*;

    /// `request:`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Request {
        #[serde(default)]
        pub method: Method,
        #[serde(default)]
        pub path: String,
        #[serde(default)]
        pub query: BTreeMap<String, Scalar>,
        #[serde(default)]
        pub headers: BTreeMap<String, Scalar>,
        #[serde(default)]
        pub body: Option<Value>,
    }

    /// A query or header value: text, or a number or boolean written bare.
    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    pub enum Scalar {
        Text(String),
        Number(serde_json::Number),
        Bool(bool),
    }

    impl Scalar {
        pub fn text(&self) -> String {
            match self {
                Scalar::Text(t) => t.clone(),
                Scalar::Number(n) => n.to_string(),
                Scalar::Bool(b) => b.to_string(),
            }
        }
    }

    /// `request.method:`.
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "UPPERCASE")]
    pub enum Method {
        #[default]
        Get,
        Post,
    }

    /// Where a value is sent.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum In {
        Query,
        Header,
        Body,
        None,
    }

    /// `auth:`.
    #[derive(Debug, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
    pub enum Auth {
        None,
        ApiKey {
            #[serde(rename = "in")]
            location: In,
            name: String,
            value: String,
        },
        Basic {
            username: String,
            #[serde(default)]
            password: String,
        },
        Bearer {
            token: String,
        },
        Oauth2ClientCredentials {
            token_url: String,
            client_id: String,
            client_secret: String,
            #[serde(default)]
            scope: Option<String>,
        },
    }

    /// One entry of `params:`.
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Param {
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default, rename = "in")]
        pub location: Option<In>,
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub default: Option<Value>,
        #[serde(default)]
        pub values: Option<Vec<Value>>,
        #[serde(default)]
        pub required: bool,
        #[serde(default)]
        pub repeat: bool,
        #[serde(default)]
        pub separator: Option<String>,
    }

    /// `paginate.type:`.
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum PageKind {
        #[default]
        None,
        Page,
        Offset,
        Cursor,
        NextLink,
        LinkHeader,
    }

    /// `paginate:`.
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Paginate {
        #[serde(rename = "type")]
        pub kind: PageKind,
        pub param: Option<String>,
        pub start: Option<u64>,
        pub size: Option<u64>,
        pub size_param: Option<String>,
        pub max_page: Option<u64>,
        pub max_offset: Option<u64>,
        pub max_results: Option<u64>,
        pub from: Option<String>,
        pub total: Option<String>,
        #[serde(rename = "in")]
        pub location: Option<In>,
    }

    /// One entry of `skip:`.
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    pub enum Skip {
        Missing(String),
        Equals { at: String, value: Value },
        Index(usize),
    }

    /// `closed:`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Closed {
        pub at: String,
        pub values: Vec<Value>,
    }

    /// `detail:`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Detail {
        pub path: String,
        pub id: Value,
        #[serde(default)]
        pub into: Option<String>,
        #[serde(default)]
        pub missing: Missing,
    }

    /// `detail.missing:`.
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Missing {
        #[default]
        Keep,
        Skip,
    }

    /// `slicing:`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Slicing {
        pub from_param: String,
        pub to_param: String,
        pub format: String,
        #[serde(default)]
        pub tz: Option<String>,
        #[serde(default)]
        pub earliest: Option<String>,
        #[serde(default)]
        pub days: Option<u32>,
    }

    /// `incremental:`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Incremental {
        #[serde(default)]
        pub param: Option<String>,
        #[serde(default)]
        pub header: Option<String>,
        pub format: String,
        #[serde(default)]
        pub tz: Option<String>,
        #[serde(default)]
        pub nothing_new: Option<Vec<u16>>,
    }

    /// `http:`.
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Http {
        pub rate_limit_per_sec: Option<f64>,
        pub timeout_secs: Option<u64>,
        pub max_retries: Option<u32>,
    }

    /// One entry of `quotas:`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Quota {
        pub requests: u64,
        pub per: Per,
    }

    /// `quotas[].per:`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Per {
        Second,
        Minute,
        Hour,
        Day,
        Week,
    }
}

pub use raw::{In, Method, Missing, PageKind, Per};

/// The top-level keys, for "unknown key" messages.
const KEYS: &[&str] = &[
    "board",
    "description",
    "country",
    "attribution",
    "licence",
    "base_url",
    "request",
    "auth",
    "params",
    "paginate",
    "records",
    "skip",
    "closed",
    "detail",
    "slicing",
    "incremental",
    "http",
    "quotas",
    "fields",
];

/// Columns a definition cannot map: the core fills them.
const UNMAPPABLE: &[&str] = &[
    "source",
    "raw",
    "fingerprint",
    "change",
    "first_seen_at",
    "last_seen_at",
    "removed_at",
];

/// How to authenticate, compiled.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Nothing.
    None,
    /// A key in a header or the query.
    ApiKey {
        /// Header or query.
        location: In,
        /// The header or parameter name.
        name: String,
        /// The key.
        value: Template,
    },
    /// HTTP Basic.
    Basic {
        /// User name.
        username: Template,
        /// Password.
        password: Template,
    },
    /// A fixed bearer token.
    Bearer {
        /// The token.
        token: Template,
    },
    /// OAuth2 client credentials.
    ClientCredentials {
        /// The token endpoint.
        token_url: Template,
        /// The client id.
        client_id: Template,
        /// The client secret.
        client_secret: Template,
        /// The scope, if any.
        scope: Option<String>,
    },
}

impl Auth {
    /// A few words for `jobharvest connectors`.
    pub fn describe(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::ApiKey {
                location: In::Query,
                ..
            } => "API key (query)",
            Auth::ApiKey { .. } => "API key (header)",
            Auth::Basic { .. } => "HTTP Basic",
            Auth::Bearer { .. } => "bearer token",
            Auth::ClientCredentials { .. } => "OAuth2 client credentials",
        }
    }

    fn templates(&self) -> Vec<&Template> {
        match self {
            Auth::None => vec![],
            Auth::ApiKey { value, .. } => vec![value],
            Auth::Basic { username, password } => vec![username, password],
            Auth::Bearer { token } => vec![token],
            Auth::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                ..
            } => vec![token_url, client_id, client_secret],
        }
    }
}

/// One parameter a spec may pass.
#[derive(Debug, Clone)]
pub struct Param {
    /// The spec's name.
    pub name: String,
    /// The name sent to the board.
    pub send_as: String,
    /// What it does.
    pub description: Option<String>,
    /// Where it goes.
    pub location: In,
    /// The value when the spec gives none.
    pub default: Option<Value>,
    /// The only values allowed.
    pub values: Option<Vec<Value>>,
    /// Whether a spec must give it.
    pub required: bool,
    /// Whether a list is sent as the parameter repeated.
    pub repeat: bool,
    /// What joins a list's values otherwise (`,` by default).
    pub separator: String,
}

/// How to page, compiled.
#[derive(Debug, Clone)]
pub struct Paginate {
    /// The kind.
    pub kind: PageKind,
    /// The page, offset or cursor parameter.
    pub param: Option<String>,
    /// The first page or offset.
    pub start: u64,
    /// Records per page.
    pub size: Option<u64>,
    /// The page-size parameter.
    pub size_param: Option<String>,
    /// The last page the board serves.
    pub max_page: Option<u64>,
    /// The last offset the board serves.
    pub max_offset: Option<u64>,
    /// The most results one query reaches (the result window).
    pub window: Option<u64>,
    /// Where the next cursor or link is.
    pub from: Option<Pointer>,
    /// Where the total is.
    pub total: Option<Pointer>,
    /// Query or body.
    pub location: In,
}

/// A condition that leaves a record out.
#[derive(Debug, Clone)]
pub enum Skip {
    /// No value at the pointer.
    Missing(Pointer),
    /// The value at the pointer equals this one.
    Equals(Pointer, Value),
    /// The record at this position of each page.
    Index(usize),
}

/// The status that marks closed offers.
#[derive(Debug, Clone)]
pub struct Closed {
    /// Where the status is.
    pub at: Pointer,
    /// The values that mean closed.
    pub values: Vec<Value>,
}

/// A request per record, merged into it.
#[derive(Debug, Clone)]
pub struct Detail {
    /// The path, with `{id}`.
    pub path: Template,
    /// How `{id}` is read from the record.
    pub id: Field,
    /// Where the answer goes in the record (`None`: merged at the top).
    pub into: Option<Pointer>,
    /// What a 404 does.
    pub missing: Missing,
}

/// Date windows for queries past the result window.
#[derive(Debug, Clone)]
pub struct Slicing {
    /// The window's start parameter.
    pub from_param: String,
    /// The window's end parameter.
    pub to_param: String,
    /// How instants are written.
    pub format: String,
    /// In which zone.
    pub tz: Option<Tz>,
    /// How far back windows go.
    pub earliest: Earliest,
}

/// The oldest instant a sliced query looks back to.
#[derive(Debug, Clone, Copy)]
pub enum Earliest {
    /// A fixed date.
    Date(NaiveDate),
    /// So many days before now.
    Days(u32),
}

/// Where an incremental run's start goes.
#[derive(Debug, Clone)]
pub enum SinceTarget {
    /// A query (or body) parameter.
    Param(String),
    /// A header.
    Header(String),
}

/// How `--mode incremental` narrows the query.
#[derive(Debug, Clone)]
pub struct Incremental {
    /// Where the instant goes.
    pub target: SinceTarget,
    /// How it is written.
    pub format: String,
    /// In which zone.
    pub tz: Option<Tz>,
    /// Statuses that answer "nothing since then" to the first request
    /// (304 by default; NAV answers 404).
    pub nothing_new: Vec<u16>,
}

/// One quota window.
#[derive(Debug, Clone, Copy)]
pub struct QuotaRule {
    /// Requests allowed.
    pub requests: u64,
    /// In which window.
    pub per: Per,
}

/// The search request, compiled.
#[derive(Debug, Clone)]
pub struct Request {
    /// GET or POST.
    pub method: Method,
    /// The path below `base_url`.
    pub path: Template,
    /// Query entries.
    pub query: Vec<(String, Template)>,
    /// Header entries.
    pub headers: Vec<(String, Template)>,
    /// The JSON body (strings are templates).
    pub body: Option<Value>,
}

/// A checked, compiled board definition.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The spec's `type:`.
    pub board: &'static str,
    /// One line for `jobharvest connectors`.
    pub description: &'static str,
    /// Where it was read from (for messages).
    pub file: String,
    /// The countries it covers.
    pub country: Option<String>,
    /// The board's base URL.
    pub base_url: Template,
    /// The search request.
    pub request: Request,
    /// How to authenticate.
    pub auth: Auth,
    /// The parameters a spec may pass.
    pub params: Vec<Param>,
    /// How to page.
    pub paginate: Paginate,
    /// Where the offers are.
    pub records: Pointer,
    /// Records left out.
    pub skip: Vec<Skip>,
    /// Closed offers.
    pub closed: Option<Closed>,
    /// A request per record.
    pub detail: Option<Detail>,
    /// Date windows past the result window.
    pub slicing: Option<Slicing>,
    /// Incremental runs.
    pub incremental: Option<Incremental>,
    /// The board's default rate.
    pub rate_limit_per_sec: Option<f64>,
    /// The board's default timeout.
    pub timeout_secs: Option<u64>,
    /// The board's default retries.
    pub max_retries: Option<u32>,
    /// Quotas.
    pub quotas: Vec<QuotaRule>,
    /// Fields → record.
    pub mapping: Arc<Mapping>,
}

impl Definition {
    /// Every environment variable the definition names: (name, has a
    /// default).
    pub fn env_vars(&self) -> Vec<(String, bool)> {
        let mut templates: Vec<&Template> = vec![&self.base_url, &self.request.path];
        templates.extend(self.request.query.iter().map(|(_, t)| t));
        templates.extend(self.request.headers.iter().map(|(_, t)| t));
        templates.extend(self.auth.templates());
        let mut body_templates = Vec::new();
        if let Some(body) = &self.request.body {
            body_strings(body, &mut |s| {
                if let Ok(t) = Template::parse(s) {
                    body_templates.push(t);
                }
            });
        }
        let mut out: Vec<(String, bool)> = Vec::new();
        for t in templates.into_iter().chain(body_templates.iter()) {
            for (name, has_default) in t.env_vars() {
                if !out.iter().any(|(n, _)| n == name) {
                    out.push((name.to_string(), has_default));
                }
            }
        }
        out
    }

    /// The result window: the most results one query reaches.
    pub fn window(&self) -> Option<u64> {
        self.paginate.window
    }

    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// Calls `f` on every string of a JSON document.
pub fn body_strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|i| body_strings(i, f)),
        Value::Object(map) => map.values().for_each(|i| body_strings(i, f)),
        _ => {}
    }
}

/// One problem in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key path (`fields.titel`), empty for the whole file.
    pub path: String,
    /// The line, when found.
    pub line: Option<usize>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Every problem found in one file.
#[derive(Debug, Clone)]
pub struct Problems {
    /// The file, as named in messages.
    pub file: String,
    /// The problems, in the order found.
    pub list: Vec<Problem>,
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let one = |p: &Problem| {
            let mut place = String::new();
            if !p.path.is_empty() {
                place.push_str(&format!(", {}", p.path));
            }
            if let Some(line) = p.line {
                place.push_str(&format!(" (line {line})"));
            }
            format!("{place}: {}", p.message)
        };
        match self.list.as_slice() {
            [p] => write!(f, "board definition {}{}", self.file, one(p)),
            list => {
                write!(f, "board definition {}: {} problems", self.file, list.len())?;
                for p in list {
                    write!(f, "\n  - {}", one(p).trim_start_matches(", "))?;
                }
                Ok(())
            }
        }
    }
}

impl std::convert::From<Problems> for Error {
    fn from(p: Problems) -> Error {
        Error::config(p.to_string()).with_context("file", p.file.clone())
    }
}

/// Collects problems while a definition is checked.
struct Check<'a> {
    text: &'a str,
    problems: Vec<Problem>,
}

impl Check<'_> {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let path = path.into();
        let line = if path.is_empty() {
            None
        } else {
            line_of(self.text, &path)
        };
        self.problems.push(Problem {
            path,
            line,
            message: message.into(),
        });
    }

    /// Deserializes `value` as `T`, recording the problem on failure.
    fn typed<T: DeserializeOwned>(&mut self, value: Value, at: &str) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(t) => Some(t),
            Err(e) => {
                let inner = e.path().to_string();
                let path = if inner == "." || inner.is_empty() {
                    at.to_string()
                } else {
                    format!("{at}.{inner}")
                };
                let message = e.into_inner().to_string();
                self.problem(path, message);
                None
            }
        }
    }

    fn pointer(&mut self, text: &str, at: &str) -> Option<Pointer> {
        match Pointer::parse(text) {
            Ok(p) => Some(p),
            Err(e) => {
                self.problem(at, e);
                None
            }
        }
    }

    fn template(&mut self, text: &str, at: &str) -> Template {
        match Template::parse(text) {
            Ok(t) => t,
            Err(e) => {
                self.problem(at, e);
                Template::text(text)
            }
        }
    }

    fn zone(&mut self, name: Option<&str>, at: &str) -> Option<Tz> {
        match time::parse_zone(name?) {
            Ok(z) => Some(z),
            Err(e) => {
                self.problem(at, e);
                None
            }
        }
    }
}

/// Interns a text for the life of the process: board names and
/// descriptions are `&'static str` in the registry. Each distinct text is
/// leaked once, however often definitions are loaded.
pub fn intern(text: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static TEXTS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut texts = TEXTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(t) = texts.get(text) {
        return t;
    }
    let leaked: &'static str = Box::leak(text.to_string().into_boxed_str());
    texts.insert(leaked);
    leaked
}

/// Interns a list of interned texts, as [`intern`] does a text: the
/// capabilities' `auth_env` is a `&'static` slice, asked for every time a
/// source reports its capabilities, and must not leak each time.
pub fn intern_list(list: Vec<&'static str>) -> &'static [&'static str] {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static LISTS: OnceLock<Mutex<HashMap<Vec<&'static str>, &'static [&'static str]>>> =
        OnceLock::new();
    let mut lists = LISTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(l) = lists.get(&list) {
        return l;
    }
    let leaked: &'static [&'static str] = Box::leak(list.clone().into_boxed_slice());
    lists.insert(list, leaked);
    leaked
}

/// Reads and checks a definition.
///
/// `file` names it in messages.
///
/// # Errors
/// Every problem found, each with its key path and line.
pub fn parse(text: &str, file: &str) -> Result<Definition, Problems> {
    let mut check = Check {
        text,
        problems: Vec::new(),
    };
    let fail = |check: Check<'_>| Problems {
        file: file.to_string(),
        list: check.problems,
    };
    let doc: Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let line = e.location().map(|l| l.line());
            check.problems.push(Problem {
                path: String::new(),
                line,
                message: format!("not valid YAML: {e}"),
            });
            return Err(fail(check));
        }
    };
    let Value::Object(mut top) = doc else {
        check.problem("", "a board definition is a map with `board`, `base_url`, `request`, `records` and `fields`");
        return Err(fail(check));
    };
    for key in top.keys() {
        if !KEYS.contains(&key.as_str()) {
            let hint = KEYS
                .iter()
                .find(|k| jobharvest_core::registry::similar(k, key))
                .map(|k| format!(" Did you mean `{k}`?"))
                .unwrap_or_default();
            check.problem(
                key.clone(),
                format!(
                    "unknown key `{key}`; the keys are {}.{hint}",
                    KEYS.join(", ")
                ),
            );
        }
    }
    let mut take = |key: &str| top.remove(key);
    let text_key =
        |check: &mut Check<'_>, v: Option<Value>, key: &str, required: bool| -> Option<String> {
            match v {
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
                None if !required => None,
                None => {
                    check.problem("", format!("missing key `{key}`"));
                    None
                }
                Some(other) => {
                    check.problem(key, format!("expected a text, found {other}"));
                    None
                }
            }
        };

    let board = text_key(&mut check, take("board"), "board", true).unwrap_or_default();
    let well_formed = board.starts_with(|c: char| c.is_ascii_lowercase())
        && board
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !board.is_empty() && !well_formed {
        check.problem(
            "board",
            format!("`{board}` is not a type name: use lower case letters, digits and `_`, starting with a letter"),
        );
    }
    let description =
        text_key(&mut check, take("description"), "description", true).unwrap_or_default();
    let country = text_key(&mut check, take("country"), "country", false);
    let attribution = text_key(&mut check, take("attribution"), "attribution", false);
    let licence = text_key(&mut check, take("licence"), "licence", false);
    let base_url = text_key(&mut check, take("base_url"), "base_url", true)
        .map(|u| check.template(&u, "base_url"))
        .unwrap_or_else(|| Template::text(""));

    // request
    let request = match take("request") {
        None => {
            check.problem("", "missing key `request` (at least `{path: /search}`)");
            None
        }
        Some(v) => check.typed::<raw::Request>(v, "request"),
    };
    let request = request.map(|r| {
        let query = r
            .query
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    check.template(&v.text(), &format!("request.query.{k}")),
                )
            })
            .collect();
        let headers = r
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    check.template(&v.text(), &format!("request.headers.{k}")),
                )
            })
            .collect();
        if r.body.is_some() && r.method == Method::Get {
            check.problem(
                "request.body",
                "a GET request has no body; set `method: POST` or remove `body`",
            );
        }
        if let Some(body) = &r.body {
            let mut bad = Vec::new();
            body_strings(body, &mut |s| {
                if let Err(e) = Template::parse(s) {
                    bad.push(e);
                }
            });
            for e in bad {
                check.problem("request.body", e);
            }
        }
        Request {
            method: r.method,
            path: check.template(&r.path, "request.path"),
            query,
            headers,
            body: r.body,
        }
    });

    // auth
    let auth = match take("auth") {
        None => Auth::None,
        Some(v) => match check.typed::<raw::Auth>(v, "auth") {
            None => Auth::None,
            Some(raw::Auth::None) => Auth::None,
            Some(raw::Auth::ApiKey {
                location,
                name,
                value,
            }) => {
                if !matches!(location, In::Header | In::Query) {
                    check.problem("auth.in", "an API key goes in `header` or `query`");
                }
                Auth::ApiKey {
                    location,
                    name,
                    value: check.template(&value, "auth.value"),
                }
            }
            Some(raw::Auth::Basic { username, password }) => Auth::Basic {
                username: check.template(&username, "auth.username"),
                password: check.template(&password, "auth.password"),
            },
            Some(raw::Auth::Bearer { token }) => Auth::Bearer {
                token: check.template(&token, "auth.token"),
            },
            Some(raw::Auth::Oauth2ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
            }) => Auth::ClientCredentials {
                token_url: check.template(&token_url, "auth.token_url"),
                client_id: check.template(&client_id, "auth.client_id"),
                client_secret: check.template(&client_secret, "auth.client_secret"),
                scope,
            },
        },
    };

    // params
    let method = request.as_ref().map_or(Method::Get, |r| r.method);
    let raw_params: BTreeMap<String, Option<raw::Param>> = match take("params") {
        None => BTreeMap::new(),
        Some(v) => check.typed(v, "params").unwrap_or_default(),
    };
    let params: Vec<Param> = raw_params
        .into_iter()
        .map(|(name, p)| {
            let p = p.unwrap_or_default();
            let location = p.location.unwrap_or(match method {
                Method::Get => In::Query,
                Method::Post => In::Body,
            });
            if p.repeat && p.separator.is_some() {
                check.problem(
                    format!("params.{name}.separator"),
                    "a parameter sent repeated joins nothing; remove `separator` or `repeat`",
                );
            }
            if location == In::Header {
                check.problem(
                    format!("params.{name}.in"),
                    "parameters go in `query`, `body` or `none` (use `request.headers` with `{params.NAME}` for a header)",
                );
            }
            Param {
                send_as: p.name.unwrap_or_else(|| name.clone()),
                name,
                description: p.description,
                location,
                default: p.default,
                values: p.values,
                required: p.required,
                repeat: p.repeat,
                separator: p.separator.unwrap_or_else(|| ",".into()),
            }
        })
        .collect();
    if let Some(r) = &request {
        let mut used: Vec<(String, String)> = Vec::new();
        let mut note = |t: &Template, at: String| {
            for name in t.params() {
                used.push((name.to_string(), at.clone()));
            }
        };
        note(&r.path, "request.path".into());
        for (k, t) in &r.query {
            note(t, format!("request.query.{k}"));
        }
        for (k, t) in &r.headers {
            note(t, format!("request.headers.{k}"));
        }
        if let Some(body) = &r.body {
            let mut ts = Vec::new();
            body_strings(body, &mut |s| ts.extend(Template::parse(s).ok()));
            for t in &ts {
                note(t, "request.body".into());
            }
        }
        for (name, at) in used {
            if !params.iter().any(|p| p.name == name) {
                check.problem(
                    at,
                    format!("`{{params.{name}}}` names a parameter that `params:` does not declare; add `{name}: {{}}` under `params:`"),
                );
            }
        }
    }

    // paginate
    let raw_paginate: raw::Paginate = match take("paginate") {
        None => raw::Paginate::default(),
        Some(v) => check.typed(v, "paginate").unwrap_or_default(),
    };
    let paginate = compile_paginate(&mut check, raw_paginate, method);

    // records, skip, closed
    let records = match take("records") {
        Some(Value::String(s)) => check.pointer(&s, "records"),
        None => {
            check.problem("", "missing key `records`: the JSON pointer to the list of offers (\"\" when the answer is the list)");
            None
        }
        Some(other) => {
            check.problem("records", format!("expected a JSON pointer such as `/hits`, found {other}"));
            None
        }
    }
    .unwrap_or_else(|| Pointer::parse("").expect("empty pointer"));
    let raw_skip: Vec<raw::Skip> = match take("skip") {
        None => Vec::new(),
        Some(v) => check.typed(v, "skip").unwrap_or_default(),
    };
    let skip = raw_skip
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            raw::Skip::Missing(p) => check
                .pointer(&p, &format!("skip[{i}].missing"))
                .map(Skip::Missing),
            raw::Skip::Equals { at, value } => check
                .pointer(&at, &format!("skip[{i}].equals.at"))
                .map(|p| Skip::Equals(p, value)),
            raw::Skip::Index(n) => Some(Skip::Index(n)),
        })
        .collect();
    let closed = take("closed")
        .and_then(|v| check.typed::<raw::Closed>(v, "closed"))
        .and_then(|c| {
            Some(Closed {
                at: check.pointer(&c.at, "closed.at")?,
                values: c.values,
            })
        });

    // detail
    let detail = take("detail")
        .and_then(|v| check.typed::<raw::Detail>(v, "detail"))
        .and_then(|d| {
            if !d.path.contains("{id}") {
                check.problem(
                    "detail.path",
                    "the path has no `{id}` for the record's id, e.g. `/jobs/{id}`",
                );
            }
            let id = compile_field(&mut check, "source_id", &d.id, "detail.id")?;
            let into = match &d.into {
                Some(p) => Some(check.pointer(p, "detail.into")?),
                None => None,
            };
            Some(Detail {
                path: check.template(&d.path, "detail.path"),
                id,
                into,
                missing: d.missing,
            })
        });

    // slicing, incremental
    let slicing = take("slicing")
        .and_then(|v| check.typed::<raw::Slicing>(v, "slicing"))
        .map(|s| {
            check_format(&mut check, &s.format, "slicing.format", false);
            let tz = check.zone(s.tz.as_deref(), "slicing.tz");
            let earliest = match (&s.earliest, s.days) {
                (Some(_), Some(_)) => {
                    check.problem("slicing.days", "give `earliest` or `days`, not both");
                    Earliest::Days(365)
                }
                (Some(date), None) => match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                    Ok(d) => Earliest::Date(d),
                    Err(_) => {
                        check.problem("slicing.earliest", format!("`{date}` is not a date such as 2020-01-01"));
                        Earliest::Days(365)
                    }
                },
                (None, Some(days)) => Earliest::Days(days),
                (None, None) => Earliest::Days(365),
            };
            if paginate.window.is_none() {
                check.problem(
                    "slicing",
                    "slicing needs a result window to split queries under: set `paginate.max_offset`, `max_page` or `max_results`",
                );
            }
            Slicing {
                from_param: s.from_param,
                to_param: s.to_param,
                format: s.format,
                tz,
                earliest,
            }
        });
    let incremental = take("incremental")
        .and_then(|v| check.typed::<raw::Incremental>(v, "incremental"))
        .and_then(|i| {
            check_format(&mut check, &i.format, "incremental.format", true);
            let tz = check.zone(i.tz.as_deref(), "incremental.tz");
            let target = match (i.param, i.header) {
                (Some(p), None) => SinceTarget::Param(p),
                (None, Some(h)) => SinceTarget::Header(h),
                _ => {
                    check.problem("incremental", "give either `param` or `header`");
                    return None;
                }
            };
            Some(Incremental {
                target,
                format: i.format,
                tz,
                nothing_new: i.nothing_new.unwrap_or_else(|| vec![304]),
            })
        });

    // http, quotas
    let http: raw::Http = match take("http") {
        None => raw::Http::default(),
        Some(v) => check.typed(v, "http").unwrap_or_default(),
    };
    if let Some(rate) = http.rate_limit_per_sec
        && !(rate.is_finite() && rate > 0.0 && rate <= 1000.0)
    {
        check.problem(
            "http.rate_limit_per_sec",
            format!("{rate} is out of range; give a number above 0 and at most 1000"),
        );
    }
    let quotas: Vec<QuotaRule> = match take("quotas") {
        None => Vec::new(),
        Some(v) => check
            .typed::<Vec<raw::Quota>>(v, "quotas")
            .unwrap_or_default()
            .into_iter()
            .map(|q| QuotaRule {
                requests: q.requests,
                per: q.per,
            })
            .collect(),
    };
    for (i, q) in quotas.iter().enumerate() {
        if q.requests == 0 {
            check.problem(
                format!("quotas[{i}].requests"),
                "0 requests allows nothing; give a positive number",
            );
        }
    }

    // fields
    let fields = match take("fields") {
        Some(Value::Object(map)) => compile_fields(&mut check, map),
        None => {
            check.problem("", "missing key `fields`: at least `source_id: /id`");
            Vec::new()
        }
        Some(other) => {
            check.problem(
                "fields",
                format!("expected a map of columns, found {other}"),
            );
            Vec::new()
        }
    };

    if !check.problems.is_empty() {
        return Err(fail(check));
    }
    let board = intern(&board);
    let mapping = Arc::new(Mapping::new(board, fields, attribution, licence));
    Ok(Definition {
        board,
        description: intern(&description),
        file: file.to_string(),
        country,
        base_url,
        request: request.expect("checked"),
        auth,
        params,
        paginate,
        records,
        skip,
        closed,
        detail,
        slicing,
        incremental,
        rate_limit_per_sec: http.rate_limit_per_sec,
        timeout_secs: http.timeout_secs,
        max_retries: http.max_retries,
        quotas,
        mapping,
    })
}

fn check_format(check: &mut Check<'_>, format: &str, at: &str, named: bool) {
    let names = ["rfc3339", "rfc2822", "unix", "minutes", "days"];
    if names.contains(&format) {
        if !named && format != "rfc3339" && format != "unix" {
            check.problem(at, format!("`{format}` cannot bound a date window; use a strftime format such as %Y-%m-%dT%H:%M:%S"));
        }
        return;
    }
    if let Err(e) = time::check_format(format) {
        check.problem(at, format!("{e} (or one of {})", names.join(", ")));
    }
}

fn compile_paginate(check: &mut Check<'_>, p: raw::Paginate, method: Method) -> Paginate {
    let kind = p.kind;
    let needs = |check: &mut Check<'_>, value: &Option<String>, key: &str| {
        if value.is_none() {
            check.problem(
                format!("paginate.{key}"),
                format!("`type: {}` needs `{key}`", kind_name(kind)),
            );
        }
    };
    let unused = |check: &mut Check<'_>, given: bool, key: &str| {
        if given {
            check.problem(
                format!("paginate.{key}"),
                format!(
                    "`{key}` means nothing for `type: {}`; remove it",
                    kind_name(kind)
                ),
            );
        }
    };
    match kind {
        PageKind::Page | PageKind::Offset => {
            needs(check, &p.param, "param");
            unused(check, p.from.is_some(), "from");
        }
        PageKind::Cursor => {
            needs(check, &p.param, "param");
            needs(check, &p.from, "from");
        }
        PageKind::NextLink => {
            needs(check, &p.from, "from");
            unused(check, p.param.is_some(), "param");
        }
        PageKind::None | PageKind::LinkHeader => {
            unused(check, p.param.is_some(), "param");
            unused(check, p.from.is_some(), "from");
        }
    }
    if kind != PageKind::Page {
        unused(check, p.max_page.is_some(), "max_page");
    }
    if kind != PageKind::Offset {
        unused(check, p.max_offset.is_some(), "max_offset");
    }
    if kind == PageKind::Offset && p.size.is_none() && p.size_param.is_some() {
        check.problem(
            "paginate.size",
            "`size_param` is set but not `size`: give the page size to ask for",
        );
    }
    if p.size == Some(0) {
        check.problem("paginate.size", "a page of 0 offers fetches nothing");
    }
    let location = p.location.unwrap_or(match method {
        Method::Get => In::Query,
        Method::Post => In::Body,
    });
    if matches!(location, In::Header | In::None) {
        check.problem("paginate.in", "paging parameters go in `query` or `body`");
    }
    let start = p
        .start
        .unwrap_or(if kind == PageKind::Page { 1 } else { 0 });
    let window = p.max_results.or_else(|| match (kind, p.size) {
        (PageKind::Offset, Some(size)) => p.max_offset.map(|m| m + size),
        (PageKind::Page, Some(size)) => p.max_page.map(|m| (m + 1 - start.min(1)) * size),
        _ => None,
    });
    let from = p
        .from
        .as_deref()
        .and_then(|f| check.pointer(f, "paginate.from"));
    let total = p
        .total
        .as_deref()
        .and_then(|t| check.pointer(t, "paginate.total"));
    Paginate {
        kind,
        param: p.param,
        start,
        size: p.size,
        size_param: p.size_param,
        max_page: p.max_page,
        max_offset: p.max_offset,
        window,
        from,
        total,
        location,
    }
}

fn kind_name(kind: PageKind) -> &'static str {
    match kind {
        PageKind::None => "none",
        PageKind::Page => "page",
        PageKind::Offset => "offset",
        PageKind::Cursor => "cursor",
        PageKind::NextLink => "next_link",
        PageKind::LinkHeader => "link_header",
    }
}

fn compile_fields(check: &mut Check<'_>, map: Map<String, Value>) -> Vec<Field> {
    let mut fields = Vec::new();
    if !map.contains_key("source_id") {
        check.problem(
            "fields",
            "`source_id` is required: the pointer to the offer's id on the board",
        );
    }
    for (column, spec) in &map {
        let at = format!("fields.{column}");
        if UNMAPPABLE.contains(&column.as_str()) {
            check.problem(
                at,
                format!("`{column}` is filled by jobharvest itself; remove it from `fields`"),
            );
            continue;
        }
        if column_index(column).is_none() {
            let hint = COLUMNS
                .iter()
                .map(|c| c.name)
                .find(|c| jobharvest_core::registry::similar(c, column))
                .map(|c| format!(" Did you mean `{c}`?"))
                .unwrap_or_default();
            check.problem(
                at,
                format!("unknown column `{column}`; the columns are listed in the README's \"Output columns\".{hint}"),
            );
            continue;
        }
        if let Some(field) = compile_field(check, column, spec, &at) {
            fields.push(field);
        }
    }
    fields
}

/// Compiles one field spec for `column` (a column name).
fn compile_field(check: &mut Check<'_>, column: &str, spec: &Value, at: &str) -> Option<Field> {
    let index = column_index(column)?;
    let (from, steps) = match spec {
        Value::String(p) => (From::One(check.pointer(p, at)?), Vec::new()),
        Value::Object(map) => {
            for key in map.keys() {
                if !["from", "via", "value"].contains(&key.as_str()) {
                    check.problem(
                        format!("{at}.{key}"),
                        format!("unknown key `{key}` in a field; a field is a pointer, or a map with `from` (or `value`) and `via`"),
                    );
                }
            }
            let from = match (map.get("from"), map.get("value")) {
                (Some(Value::String(p)), None) => {
                    From::One(check.pointer(p, &format!("{at}.from"))?)
                }
                (Some(Value::Array(ps)), None) => {
                    let mut pointers = Vec::new();
                    for (i, p) in ps.iter().enumerate() {
                        match p {
                            Value::String(p) => {
                                pointers.extend(check.pointer(p, &format!("{at}.from[{i}]")))
                            }
                            other => check.problem(
                                format!("{at}.from[{i}]"),
                                format!("expected a JSON pointer, found {other}"),
                            ),
                        }
                    }
                    From::Many(pointers)
                }
                (None, Some(v)) => From::Const(v.clone()),
                (Some(_), Some(_)) => {
                    check.problem(at.to_string(), "give `from` or `value`, not both");
                    return None;
                }
                (None, None) => {
                    check.problem(
                        at.to_string(),
                        "a field map needs `from` (a pointer or a list of them) or `value`",
                    );
                    return None;
                }
                (Some(other), None) => {
                    check.problem(
                        format!("{at}.from"),
                        format!("expected a JSON pointer or a list of them, found {other}"),
                    );
                    return None;
                }
            };
            let mut steps = Vec::new();
            match map.get("via") {
                None => {}
                Some(Value::Array(entries)) => {
                    for (i, entry) in entries.iter().enumerate() {
                        match Step::parse(entry) {
                            Ok(step) => steps.push(step),
                            Err(e) => check.problem(format!("{at}.via[{i}]"), e),
                        }
                    }
                }
                Some(single) => match Step::parse(single) {
                    Ok(step) => steps.push(step),
                    Err(e) => check.problem(format!("{at}.via"), e),
                },
            }
            (from, steps)
        }
        other => {
            check.problem(at.to_string(), format!("expected a JSON pointer such as `/title` or a map with `from` and `via`, found {other}"));
            return None;
        }
    };
    if steps.contains(&Step::Salary) && column != "salary_label" {
        check.problem(
            format!("{at}.via"),
            "the `salary` step fills the salary columns from a label: use it on `salary_label`",
        );
    }
    Some(Field {
        column: index,
        from,
        steps,
        is_id: column == "source_id",
        moves: false,
        slotted: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACME: &str = r#"board: acme
description: A test board.
attribution: "Jobs by Acme"
base_url: https://api.acme.example
request:
  path: /v3/postings
  query: {per_page: "40", q: "{params.q}"}
auth: {type: api_key, in: header, name: X-Acme-Key, value: "${ACME_KEY}"}
params:
  q: {description: free text}
paginate: {type: cursor, param: cursor, from: /paging/next_cursor, total: /meta/total}
records: /postings
fields:
  source_id: /ref
  title: /role/name
  location_label: {from: [/place/city, /place/country], via: [{join: ", "}]}
  description: {from: /body_html, via: [html_to_text]}
  created_at: {from: /posted, via: [unix_seconds]}
  salary_period: {from: /pay/per, via: [{map: {year: yearly, month: monthly}}]}
  tags: /labels
"#;

    #[test]
    fn the_issue_example_loads() {
        let d = parse(ACME, "acme.yaml").unwrap();
        assert_eq!(d.board, "acme");
        assert_eq!(d.paginate.kind, PageKind::Cursor);
        assert_eq!(d.env_vars(), [("ACME_KEY".to_string(), false)]);
        assert_eq!(d.mapping.fields.len(), 7);
        assert_eq!(COLUMNS[d.mapping.fields[0].column].name, "source_id");
    }

    #[test]
    fn every_problem_is_reported_with_its_path_and_line() {
        let bad = ACME
            .replace("  title: /role/name", "  titel: /role/name")
            .replace("[html_to_text]", "[html_to_txt]")
            .replace("records: /postings", "records: postings")
            .replace("query: {per_page", "query: {q2: \"{params.qq}\", per_page")
            + "paginaton: {}\n";
        let err = parse(&bad, "acme.yaml").unwrap_err();
        let text = err.to_string();
        let paths: Vec<_> = err.list.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"fields.titel"), "{text}");
        assert!(paths.contains(&"fields.description.via[0]"), "{text}");
        assert!(paths.contains(&"records"), "{text}");
        assert!(paths.contains(&"paginaton"), "{text}");
        assert!(paths.contains(&"request.query.q2"), "{text}");
        assert!(text.contains("Did you mean `title`?"), "{text}");
        assert!(text.contains("Did you mean `html_to_text`?"), "{text}");
        assert!(text.contains("Did you mean `paginate`?"), "{text}");
        let titel = err.list.iter().find(|p| p.path == "fields.titel").unwrap();
        assert_eq!(titel.line, Some(15));
        assert!(
            text.starts_with("board definition acme.yaml: 5 problems"),
            "{text}"
        );
    }

    #[test]
    fn typed_sections_name_their_keys() {
        let bad = ACME.replace("type: cursor", "type: cursr");
        let err = parse(&bad, "a.yaml").unwrap_err();
        assert_eq!(err.list[0].path, "paginate.type", "{err}");
        let bad = ACME.replace("in: header", "in: cookie");
        let err = parse(&bad, "a.yaml").unwrap_err();
        assert!(err.to_string().contains("auth"), "{err}");
        let bad = ACME.replace("${ACME_KEY}", "${ACME KEY}");
        let err = parse(&bad, "a.yaml").unwrap_err();
        assert_eq!(err.list[0].path, "auth.value", "{err}");
        let err = parse("board: [", "a.yaml").unwrap_err();
        assert!(err.to_string().contains("not valid YAML"), "{err}");
    }
}
