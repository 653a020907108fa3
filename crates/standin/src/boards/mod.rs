//! Stand-ins of the public job boards that ship as board definitions
//! (`boards/*.yaml`), so that a definition can be tested and benchmarked
//! against something that answers like the real API.
//!
//! [`BoardStandin::start`] serves one [`Board`] on `127.0.0.1` from offers
//! generated with a seeded generator. Each board plays its API as the
//! board facts (`API-FACTS.md`; each module names its section) record it,
//! checked against the sources named there where they could be read: its
//! paths, parameters,
//! envelope, field names and types, its limits answered as errors (JobTech's
//! offset 2,000, the Bundesagentur's 10,000 rows, NAV's page size 10,000),
//! its authentication, and its oddities (RemoteOK's legal notice at index 0,
//! Himalayas' seconds-or-milliseconds dates, Jooble's negative ids, ...).
//! Where the facts are unverified, the module says which behaviour it picked.
//!
//! The design choice: one shell ([`BoardStandin`]) owns what every board
//! shares (offers, request log and counters, the rate limit with 429 and
//! `Retry-After`, the first-N-requests-fail fault, id and date helpers), and
//! each board module only says how to generate an offer and how to answer a
//! request. A board module is a unit struct implementing the private `Api`
//! trait, so adding a board is one module and one `Board` variant.
//!
//! Dates are relative to the start: the newest generated offer is an hour
//! old, and the others spread over the 30 days before it, with about one in
//! eight sharing its second with the next one. Everything else (ids, titles,
//! places, salaries, gaps between dates) is the same for the same seed.

// Handlers answer refusals early with `?` on `Result<_, ResponseTemplate>`:
// the "error" is the HTTP answer itself, built at most once a request, so
// its size does not matter.
#![allow(clippy::result_large_err)]

mod bundesagentur;
mod himalayas;
mod jobicy;
mod jobtech;
mod jooble;
mod nav;
mod reed;
mod remoteok;
mod remotive;
#[cfg(test)]
mod tests;
mod themuse;
mod usajobs;

use std::collections::VecDeque;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, TimeDelta, Timelike, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use crate::listen::{listen, serve};

/// A public job board the stand-in can play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Board {
    /// Arbetsförmedlingen's JobSearch (Sweden): `GET /search`.
    JobTech,
    /// NAV's pam-stilling-feed (Norway): `GET /api/v1/feed`.
    Nav,
    /// Bundesagentur für Arbeit's Jobsuche (Germany): `GET /pc/v4/jobs`.
    Bundesagentur,
    /// Himalayas (remote): `GET /jobs/api`.
    Himalayas,
    /// RemoteOK (remote): `GET /api`.
    RemoteOk,
    /// Remotive (remote): `GET /api/remote-jobs`.
    Remotive,
    /// Jobicy (remote): `GET /api/v2/remote-jobs`.
    Jobicy,
    /// The Muse: `GET /api/public/jobs`.
    TheMuse,
    /// USAJOBS (US federal): `GET /api/Search`.
    Usajobs,
    /// Reed (UK): `GET /api/1.0/search`.
    Reed,
    /// Jooble (aggregator, here in French): `POST /api/{key}`.
    Jooble,
}

impl Board {
    /// Every board, in declaration order.
    pub const ALL: [Board; 11] = [
        Board::JobTech,
        Board::Nav,
        Board::Bundesagentur,
        Board::Himalayas,
        Board::RemoteOk,
        Board::Remotive,
        Board::Jobicy,
        Board::TheMuse,
        Board::Usajobs,
        Board::Reed,
        Board::Jooble,
    ];

    /// The board's name, as its module and definition are named
    /// (`jobtech`, `nav`, `bundesagentur`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Board::JobTech => "jobtech",
            Board::Nav => "nav",
            Board::Bundesagentur => "bundesagentur",
            Board::Himalayas => "himalayas",
            Board::RemoteOk => "remoteok",
            Board::Remotive => "remotive",
            Board::Jobicy => "jobicy",
            Board::TheMuse => "themuse",
            Board::Usajobs => "usajobs",
            Board::Reed => "reed",
            Board::Jooble => "jooble",
        }
    }

    fn api(self) -> &'static dyn Api {
        match self {
            Board::JobTech => &jobtech::JobTech,
            Board::Nav => &nav::Nav,
            Board::Bundesagentur => &bundesagentur::Bundesagentur,
            Board::Himalayas => &himalayas::Himalayas,
            Board::RemoteOk => &remoteok::RemoteOk,
            Board::Remotive => &remotive::Remotive,
            Board::Jobicy => &jobicy::Jobicy,
            Board::TheMuse => &themuse::TheMuse,
            Board::Usajobs => &usajobs::Usajobs,
            Board::Reed => &reed::Reed,
            Board::Jooble => &jooble::Jooble,
        }
    }
}

/// How a board stand-in behaves. Start from [`BoardStandinConfig::default`]
/// (250 offers, any free port, no fault, no rate limit beyond the board's
/// own) and change what the test needs.
#[derive(Debug, Clone)]
pub struct BoardStandinConfig {
    /// How many offers the board holds at the start.
    pub offers: usize,
    /// Port to listen on (0: any free port).
    pub port: u16,
    /// Seed of every random draw: the same seed gives the same offers.
    pub seed: u64,
    /// The key or token the board demands. `None`: the board's default
    /// behaviour (JobTech, Himalayas, RemoteOK, Remotive, Jobicy and The
    /// Muse demand nothing; NAV demands the bearer token `nav-test-token`,
    /// the Bundesagentur `X-API-Key: jobboerse-jobsuche`, USAJOBS
    /// `usajobs-test-key`, Reed `reed-test-key`, Jooble `jooble-test-key`).
    /// `Some` makes JobTech demand an `api-key` header too.
    pub credential: Option<String>,
    /// The first `fail_first` search requests answer 503 (to test retries):
    /// requests for a page of results or of NAV's feed, counted after the
    /// auth check; details, NAV entries and refused requests do not count.
    pub fail_first: usize,
    /// More accepted requests than this within any sliding second get 429
    /// with `Retry-After: 1`. `None`: the board's own limit (Remotive blocks
    /// more than 2 requests a minute; the others have none).
    pub rate_limit_per_sec: Option<u32>,
    /// NAV only: every `inactive_every`-th feed entry is `INACTIVE` (0:
    /// none).
    pub inactive_every: usize,
}

impl Default for BoardStandinConfig {
    fn default() -> Self {
        BoardStandinConfig {
            offers: 250,
            port: 0,
            seed: 7,
            credential: None,
            fail_first: 0,
            rate_limit_per_sec: None,
            inactive_every: 0,
        }
    }
}

/// How many request lines [`BoardStandin::log`] keeps.
const LOG_CAPACITY: usize = 10_000;

/// A running board stand-in. Dropping it stops the server.
pub struct BoardStandin {
    server: MockServer,
    shell: Arc<Shell>,
}

impl std::fmt::Debug for BoardStandin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardStandin")
            .field("board", &self.shell.board)
            .field("uri", &self.server.uri())
            .field("offers", &read(&self.shell.offers).len())
            .finish_non_exhaustive()
    }
}

impl BoardStandin {
    /// Generates the offers and starts serving `board`.
    ///
    /// # Panics
    /// When the port cannot be bound.
    pub async fn start(board: Board, config: BoardStandinConfig) -> BoardStandin {
        let api = board.api();
        let server = listen(config.port).await;
        let mut draws = Gen(StdRng::seed_from_u64(config.seed));
        let newest = Utc::now() - TimeDelta::hours(1);
        let offers = timeline(&mut draws, config.offers, newest)
            .into_iter()
            .enumerate()
            .map(|(seq, at)| api.make(&mut draws, seq, at, &config))
            .collect();
        let window = match config.rate_limit_per_sec {
            Some(n) => Some((Duration::from_secs(1), n)),
            None => api.own_rate_limit(),
        };
        let shell = Arc::new(Shell {
            board,
            api,
            credential: config
                .credential
                .clone()
                .or_else(|| api.default_credential().map(str::to_owned)),
            config,
            offers: RwLock::new(offers),
            draws: Mutex::new(draws),
            requests: AtomicU64::new(0),
            searches: AtomicU64::new(0),
            log: Mutex::new(VecDeque::new()),
            window,
            recent: Mutex::new(VecDeque::new()),
        });
        serve(&server, Handler(Arc::clone(&shell))).await;
        BoardStandin { server, shell }
    }

    /// The value for the definition's `base_url`: `http://127.0.0.1:PORT`,
    /// plus the path the board definition keeps in its `base_url`
    /// (Bundesagentur `/jobboerse/jobsuche-service`, Jobicy `/api/v2`, The
    /// Muse `/api/public`, USAJOBS `/api`, Reed `/api/1.0`). Requests must
    /// start with that path, as on the real host.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.server.uri(), self.shell.api.base_path())
    }

    /// The board this stand-in plays.
    pub fn board(&self) -> Board {
        self.shell.board
    }

    /// The key or token the stand-in demands, after defaults
    /// ([`BoardStandinConfig::credential`]).
    pub fn credential(&self) -> Option<String> {
        self.shell.credential.clone()
    }

    /// Every offer as the board serves it in its search or feed (NAV: the
    /// feed items, `INACTIVE` ones included; boards with a details endpoint:
    /// the search records), in the order an unfiltered walk through the
    /// pages meets them (newest first, except the Bundesagentur and NAV,
    /// oldest first).
    pub fn offers(&self) -> Vec<Value> {
        self.ordered(|o| Some(o.record.clone()))
    }

    /// The ids of the offers a correct harvest returns (NAV: the `ACTIVE`
    /// entries only), in the order of [`BoardStandin::offers`]. The id is the
    /// record's id field as a string (`id`, `refnr`, `guid`, `jobId`,
    /// `MatchedObjectId`, ...).
    pub fn open_ids(&self) -> Vec<String> {
        self.ordered(|o| o.open.then(|| o.id.clone()))
    }

    /// Requests answered so far, whatever the answer.
    pub fn requests(&self) -> u64 {
        self.shell.requests.load(Ordering::Relaxed)
    }

    /// `METHOD path?query` of each request, oldest first (the last 10,000).
    pub fn log(&self) -> Vec<String> {
        lock(&self.shell.log).iter().cloned().collect()
    }

    /// Adds `n` offers newer than every offer so far (for incremental
    /// tests). They take the seconds up to now, one per second.
    pub fn add_offers(&self, n: usize) {
        let mut draws = lock(&self.shell.draws);
        let mut offers = self
            .shell
            .offers
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let now = whole_seconds(Utc::now());
        let after_last = offers.last().map_or(now, |o| o.at + TimeDelta::seconds(1));
        let start = after_last.max(now - TimeDelta::seconds(n as i64));
        for k in 0..n {
            let seq = offers.len();
            let at = start + TimeDelta::seconds(k as i64);
            offers.push(self.shell.api.make(&mut draws, seq, at, &self.shell.config));
        }
    }

    fn ordered<T>(&self, pick: impl Fn(&Offer) -> Option<T>) -> Vec<T> {
        let offers = read(&self.shell.offers);
        self.shell
            .api
            .walk(&offers)
            .into_iter()
            .filter_map(pick)
            .collect()
    }
}

/// One generated offer, kept in creation order (oldest first).
pub(super) struct Offer {
    /// The record's id, as a string.
    pub id: String,
    /// When it was published (or, for NAV, last changed).
    pub at: DateTime<Utc>,
    /// Whether a correct harvest returns it (NAV: `ACTIVE`).
    pub open: bool,
    /// The record as the search or feed serves it.
    pub record: Value,
    /// The record of the board's details endpoint (the Bundesagentur's job
    /// details, NAV's feed entry, ...), `None` where it answers 404.
    pub detail: Option<Value>,
    /// NAV: the UUID of the feed page item that lists the offer.
    pub page_item: Option<String>,
}

/// A board's answer: `Err` for the early refusals (`?` on the checks).
pub(super) type Answer = Result<ResponseTemplate, ResponseTemplate>;

/// What a board module provides.
pub(super) trait Api: Send + Sync {
    /// The path the real base URL ends with, which requests must start with.
    fn base_path(&self) -> &'static str {
        ""
    }

    /// The credential demanded when the config names none.
    fn default_credential(&self) -> Option<&'static str> {
        None
    }

    /// The board's own limit (window, requests) when the config sets none.
    fn own_rate_limit(&self) -> Option<(Duration, u32)> {
        None
    }

    /// The offers in the order an unfiltered walk through the pages meets
    /// them: by default newest first, ties (offers sharing an instant) in
    /// creation order reversed.
    fn walk<'a>(&self, offers: &'a [Offer]) -> Vec<&'a Offer> {
        offers.iter().rev().collect()
    }

    /// Offer number `seq` (0: the oldest), published at `at`.
    fn make(
        &self,
        g: &mut Gen,
        seq: usize,
        at: DateTime<Utc>,
        config: &BoardStandinConfig,
    ) -> Offer;

    /// Answers a request whose path is under [`Api::base_path`].
    fn respond(&self, cx: &Cx<'_>) -> Answer;
}

struct Shell {
    board: Board,
    api: &'static dyn Api,
    config: BoardStandinConfig,
    credential: Option<String>,
    offers: RwLock<Vec<Offer>>,
    draws: Mutex<Gen>,
    requests: AtomicU64,
    searches: AtomicU64,
    log: Mutex<VecDeque<String>>,
    /// The rate limit: at most `.1` accepted requests per sliding `.0`.
    window: Option<(Duration, u32)>,
    /// When the accepted requests of the current window arrived.
    recent: Mutex<VecDeque<Instant>>,
}

impl Shell {
    /// 429 when the request would exceed the rate limit; else counts it.
    fn throttle(&self) -> Option<ResponseTemplate> {
        let (window, max) = self.window?;
        let now = Instant::now();
        let mut recent = lock(&self.recent);
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            recent.pop_front();
        }
        if recent.len() < max as usize {
            recent.push_back(now);
            return None;
        }
        let wait = recent
            .front()
            .map_or(window, |t| window.saturating_sub(now.duration_since(*t)));
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Some(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", secs.max(1).to_string().as_str())
                .set_body_string("Too Many Requests"),
        )
    }
}

struct Handler(Arc<Shell>);

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let shell = &*self.0;
        shell.requests.fetch_add(1, Ordering::Relaxed);
        {
            let mut log = lock(&shell.log);
            if log.len() == LOG_CAPACITY {
                log.pop_front();
            }
            let query = request
                .url
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            log.push_back(format!("{} {}{query}", request.method, request.url.path()));
        }
        if let Some(refusal) = shell.throttle() {
            return refusal;
        }
        let Some(path) = request.url.path().strip_prefix(shell.api.base_path()) else {
            return ResponseTemplate::new(404);
        };
        let offers = read(&shell.offers);
        let cx = Cx {
            shell,
            request,
            path,
            offers: &offers,
        };
        match shell.api.respond(&cx) {
            Ok(answer) | Err(answer) => answer,
        }
    }
}

/// What a board module sees of a request.
pub(super) struct Cx<'a> {
    shell: &'a Shell,
    /// The request.
    pub request: &'a Request,
    /// Its path, without the board's base path.
    pub path: &'a str,
    /// Every offer, oldest first.
    pub offers: &'a [Offer],
}

impl Cx<'_> {
    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<String> {
        self.request
            .url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Every value of query parameter `name` (repeated parameters).
    pub fn query_all(&self, name: &str) -> Vec<String> {
        self.request
            .url
            .query_pairs()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .collect()
    }

    /// The value of header `name`, when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The credential the board demands.
    pub fn credential(&self) -> Option<&str> {
        self.shell.credential.as_deref()
    }

    /// Counts a search request; the first [`BoardStandinConfig::fail_first`]
    /// get 503.
    pub fn search(&self) -> Result<(), ResponseTemplate> {
        let n = self.shell.searches.fetch_add(1, Ordering::Relaxed);
        if n < self.shell.config.fail_first as u64 {
            return Err(ResponseTemplate::new(503).set_body_string("Service Unavailable"));
        }
        Ok(())
    }

    /// The offers in the board's unfiltered order ([`Api::walk`]).
    pub fn walk(&self) -> impl Iterator<Item = &Offer> + '_ {
        self.shell.api.walk(self.offers).into_iter()
    }
}

/// A 200 (or other status) with a JSON body.
pub(super) fn json(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// Whether `haystack` contains `needle`, ignoring case.
pub(super) fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// The string at JSON pointer `pointer` of `record` ("" when absent).
pub(super) fn text<'a>(record: &'a Value, pointer: &str) -> &'a str {
    record
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `text` in lower case, words joined by `-`, letters outside ASCII folded
/// the way job-board slugs fold them.
pub(super) fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.to_lowercase().chars() {
        let folded = match c {
            'å' | 'ä' | 'à' | 'á' | 'â' => "a",
            'ö' | 'ø' | 'ó' | 'ô' => "o",
            'æ' => "ae",
            'ü' | 'ú' => "u",
            'é' | 'è' | 'ê' => "e",
            'ß' => "ss",
            'ç' => "c",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        if folded != "-" || !out.ends_with('-') {
            out.push_str(folded);
        }
    }
    out.trim_matches('-').to_string()
}

/// The seeded generator every board draws its offers from.
pub(super) struct Gen(StdRng);

impl Gen {
    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.0.random_range(0..items.len())]
    }

    /// A number in `range`.
    pub fn int(&mut self, range: RangeInclusive<i64>) -> i64 {
        self.0.random_range(range)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.0.random_bool(p)
    }

    /// A random 64-bit number.
    pub fn bits(&mut self) -> u64 {
        self.0.random()
    }

    /// A version-4 UUID, lower case.
    pub fn uuid(&mut self) -> String {
        let hi: u64 = self.0.random();
        let lo: u64 = self.0.random();
        let hi = (hi & !0xf000) | 0x4000;
        let lo = (lo & !(0b11 << 62)) | (0b10 << 62);
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
    }

    /// `n` random decimal digits.
    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.0.random_range(0..10u8)))
            .collect()
    }
}

/// `n` instants, oldest first, the newest at `newest`, spread over 30 days
/// (whole seconds; about one gap in eight is zero, so that offers share a
/// second).
fn timeline(g: &mut Gen, n: usize, newest: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mean = (30 * 86_400 / n.max(1) as i64).max(1);
    let mut at = whole_seconds(newest);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(at);
        let gap = if g.chance(0.12) {
            0
        } else {
            g.int(1..=2 * mean)
        };
        at -= TimeDelta::seconds(gap);
    }
    out.reverse();
    out
}

/// `at` without its fraction of a second.
fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_nanosecond(0).expect("0 ns is valid")
}

/// Central European time, as Stockholm, Oslo, Berlin and Paris keep it:
/// UTC+1, and UTC+2 from 01:00 UTC on the last Sunday of March to 01:00 UTC
/// on the last Sunday of October.
pub(super) fn cet(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    let last_sunday = |month: u32| {
        let last =
            NaiveDate::from_ymd_opt(at.year(), month, 31).expect("March and October have 31 days");
        let sunday = last - Days::new(u64::from(last.weekday().num_days_from_sunday()));
        sunday.and_hms_opt(1, 0, 0).expect("01:00 exists").and_utc()
    };
    let summer = last_sunday(3) <= at && at < last_sunday(10);
    let offset = FixedOffset::east_opt(if summer { 7_200 } else { 3_600 }).expect("a valid offset");
    at.with_timezone(&offset)
}

/// `at` as Java's `ISO_OFFSET_DATE_TIME` writes it: the fraction only when
/// there is one, without trailing zeros (`2021-03-23T17:09:58.457413+01:00`).
pub(super) fn java_iso(at: DateTime<FixedOffset>) -> String {
    let nanos = at.nanosecond();
    let fraction = if nanos == 0 {
        String::new()
    } else {
        format!(".{nanos:09}").trim_end_matches('0').to_string()
    };
    format!(
        "{}{fraction}{}",
        at.format("%Y-%m-%dT%H:%M:%S"),
        at.format("%:z")
    )
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with `=` padding.
pub(super) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64, with or without `=` padding.
pub(super) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let v = BASE64.iter().position(|b| *b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6).then_some(out)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}
