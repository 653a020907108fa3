//! The harvest: slicing and paging, concurrently, under the one rate limit.
//!
//! The work is a tree of slices ([`Slice`]). The root is the user's query.
//! Each slice is first **probed**: its first page is fetched (and kept), which
//! gives its total. A slice that fits the API's window is a **leaf**: its
//! other pages are queued. A slice that does not is **split** ([`slicing`])
//! and its children are probed in turn.
//!
//! One scheduler task owns the tree and a queue of requests (referentiels
//! and probes first, since they reveal more work, then pages). Requests run
//! as separate tasks, all drawing on the source's one [`HttpClient`], whose
//! pacer spaces them at the rate limit. The scheduler follows the pacer's
//! schedule and starts a request shortly before its slot comes up
//! ([`LOOKAHEAD_SLOTS`]): as many requests are in flight as the API's
//! latency needs (up to a cap), so the pacer never idles while there is
//! known work, yet a probe found late does not queue behind a long line of
//! pages. Pages are parsed and normalized in their tasks; the scheduler only
//! emits, so backpressure from the sinks holds back new requests and memory
//! stays bounded.
//!
//! **Checkpoints.** Every slice is named by its canonical query string. A
//! leaf is marked complete after its last page is emitted, a split slice
//! once all its children are; a resumed run skips completed slices without
//! probing them. Cuts depend only on what the pages say, so the same data
//! gives the same slices; when the data moved between runs, slices that
//! differ are fetched again and duplicates are dropped.
//!
//! **Failures.** A 400 (or any other permanent error) stops the run at once,
//! naming the slice. A slice whose retries are spent is set aside and the
//! others go on (up to [`MAX_FAILED_SLICES`]); the run then fails, naming the
//! missing slices and how many offers they hold, and `--resume` fetches
//! them. Offers still out of reach after cutting by date, département and
//! contract type (more than 3,150 in one second, département and contract
//! type) are fetched up to the window and reported as a warning with their
//! count; the run does not fail for them, since no query can reach them.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use jobharvest_core::http::HttpClient;
use jobharvest_core::{
    Error, ErrorKind, Flow, JobRecord, Plan, PlannedSlice, Result, SourceContext, SourceStats,
};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::params::SearchParams;
use crate::slicing::{
    CAP, CONTRACT_TYPES, DEPARTEMENTS, Dimension, Slice, Window, group_codes, root_window,
    split_window,
};
use crate::source::{FranceTravailSource, MAX_END, PAGE_SIZE};

/// After this many slices failed for good, no new request is sent.
pub const MAX_FAILED_SLICES: usize = 3;

/// Requests are started this many rate-limit slots ahead of their turn (and
/// at least [`MIN_LOOKAHEAD`] ahead).
pub const LOOKAHEAD_SLOTS: u32 = 3;

/// The least time ahead of its slot a request is started.
pub const MIN_LOOKAHEAD: Duration = Duration::from_millis(50);

/// Harvests every offer of the source's query through `cx`.
///
/// # Errors
/// See the module documentation.
pub(crate) async fn run(mut source: FranceTravailSource, cx: SourceContext) -> Result<()> {
    if let Some(since) = cx.since() {
        source.params = crate::incremental::narrowed(&source.params, since, Utc::now());
        info!(source = cx.name(), params = %source.params, "Incremental run: asking only for offers created since the last run.");
    }
    let mut harvest = Harvest::new(source, cx, false)?;
    harvest
        .shared
        .source
        .check_communes(&harvest.shared.http)
        .await?;
    harvest.drive().await?;
    harvest.finish_run()
}

/// Works out the slices without paging them.
///
/// # Errors
/// As [`run`].
pub(crate) async fn plan(source: FranceTravailSource, cx: SourceContext) -> Result<Plan> {
    let mut harvest = Harvest::new(source, cx, true)?;
    harvest
        .shared
        .source
        .check_communes(&harvest.shared.http)
        .await?;
    harvest.drive().await?;
    Ok(harvest.plan())
}

/// What every request task needs.
struct Shared {
    source: FranceTravailSource,
    http: HttpClient,
    cx: SourceContext,
}

/// A page, read and normalized in its task.
struct Fetched {
    total: Option<u64>,
    more: bool,
    records: Vec<JobRecord>,
    sample: Sample,
}

/// What a page says about where its slice's offers lie.
#[derive(Debug, Default, Clone)]
struct Sample {
    /// Creation dates (seconds), in page order.
    dates: Vec<i64>,
    /// Offers per département.
    departements: BTreeMap<String, u64>,
    /// Offers per contract type.
    types: BTreeMap<String, u64>,
    /// Offers on the page.
    size: u64,
    /// `filtresPossibles`' exact counts of contract types.
    type_counts: Option<BTreeMap<String, u64>>,
}

impl Shared {
    async fn fetch(&self, params: &SearchParams, start: u64, end: u64) -> Result<Fetched> {
        let page = self
            .source
            .fetch_page(&self.http, params, start, end)
            .await?;
        let records = self
            .source
            .normalize_page(&self.cx, &page.offers, start, end);
        let mut sample = Sample {
            size: records.len() as u64,
            type_counts: page.type_counts.map(|counts| counts.into_iter().collect()),
            ..Sample::default()
        };
        for r in &records {
            if let Some(t) = r.created_at {
                sample.dates.push(t.timestamp());
            }
            if let Some(d) = &r.department_code {
                *sample.departements.entry(d.clone()).or_default() += 1;
            }
            if let Some(c) = &r.contract_type {
                *sample.types.entry(c.clone()).or_default() += 1;
            }
        }
        Ok(Fetched {
            total: page.total,
            more: page.more,
            records,
            sample,
        })
    }
}

enum Outcome {
    Page {
        node: usize,
        probe: bool,
        size: u64,
        result: Result<Fetched>,
    },
    Codes {
        dimension: Dimension,
        result: Result<Vec<String>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Queued,
    Probing,
    /// Waiting for a referentiel to be split.
    Waiting,
    /// A leaf whose pages are being fetched (or, when planning, would be).
    Paging,
    Split,
    Done,
    /// Completed by an earlier run.
    Skipped,
    Failed,
}

struct Split {
    dimension: Dimension,
    /// Children not probed yet.
    unprobed: usize,
    /// Children not done yet.
    unfinished: usize,
    /// The children's totals.
    sum: u64,
    /// Whether every child's total is known (none was skipped).
    sum_known: bool,
    /// Children to probe only if the first ones do not hold every offer.
    later: Vec<Slice>,
}

struct Node {
    slice: Slice,
    /// The creation dates this slice covers.
    span: Window,
    parent: Option<usize>,
    total: Option<u64>,
    state: State,
    /// Requests paging it takes (leaves).
    pages: u64,
    pages_left: u64,
    received: u64,
    split: Option<Split>,
    /// The first page's sample, kept while waiting for a referentiel.
    sample: Option<Sample>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Codes {
    Unknown,
    Loading,
    Known(Vec<String>),
}

struct Harvest {
    shared: Arc<Shared>,
    planning: bool,
    nodes: Vec<Node>,
    probes: VecDeque<usize>,
    pages: VecDeque<(usize, u64, u64)>,
    code_requests: VecDeque<Dimension>,
    tasks: JoinSet<Outcome>,
    max_in_flight: usize,
    /// When the pacer will have a free slot, as far as this scheduler knows
    /// (retries inside the HTTP layer take slots it does not see).
    next_slot: Instant,
    /// The pacer's spacing.
    period: Duration,
    /// How far ahead of its slot a request starts.
    lookahead: Duration,
    /// Work is queued but waits for its slot to come closer.
    throttled_until: Option<Instant>,
    /// Offers asked for by the requests in flight.
    in_flight_offers: u64,
    departements: Codes,
    types: Codes,
    failures: Vec<(usize, Error)>,
    /// Offers no slice can reach.
    unreachable: u64,
    notes: Vec<String>,
    stopping: bool,
    /// The run's limit when the harvest started.
    limit_at_start: Option<u64>,
    requests_at_start: u64,
}

/// The root node.
const ROOT: usize = 0;

impl Harvest {
    fn new(source: FranceTravailSource, cx: SourceContext, planning: bool) -> Result<Self> {
        let http = source.http_client(cx.stats().clone())?;
        let rate = source.settings.rate_limit_per_sec;
        // A cap on requests in flight (memory): four seconds of latency.
        let max_in_flight = ((rate * 4.0).ceil() as usize + 2).clamp(4, 64);
        let period = Duration::from_secs_f64(1.0 / rate);
        let lookahead = (period * LOOKAHEAD_SLOTS).max(MIN_LOOKAHEAD);
        let requests_at_start = SourceStats::get(&cx.stats().requests);
        let mut harvest = Harvest {
            shared: Arc::new(Shared { source, http, cx }),
            planning,
            nodes: Vec::new(),
            probes: VecDeque::new(),
            pages: VecDeque::new(),
            code_requests: VecDeque::new(),
            tasks: JoinSet::new(),
            max_in_flight,
            next_slot: Instant::now(),
            period,
            lookahead,
            throttled_until: None,
            in_flight_offers: 0,
            departements: Codes::Unknown,
            types: Codes::Unknown,
            failures: Vec::new(),
            unreachable: 0,
            notes: Vec::new(),
            stopping: false,
            limit_at_start: None,
            requests_at_start,
        };
        harvest.limit_at_start = harvest.left();
        Ok(harvest)
    }

    fn cx(&self) -> &SourceContext {
        &self.shared.cx
    }

    fn user(&self) -> &SearchParams {
        &self.shared.source.params
    }

    /// How many more offers the run wants, if limited (`--limit`,
    /// `max_results`).
    fn left(&self) -> Option<u64> {
        let offers = SourceStats::get(&self.cx().stats().offers);
        let max = self
            .shared
            .source
            .max_results
            .map(|m| m.saturating_sub(offers));
        match (self.cx().remaining(), max) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    async fn drive(&mut self) -> Result<()> {
        let root = Slice::root(self.user().clone());
        let span = root_window(self.user(), Utc::now());
        if !self.planning && self.cx().is_done(&root.key()) {
            info!(
                source = self.cx().name(),
                "Every slice was done by the interrupted run."
            );
            return Ok(());
        }
        self.push_node(root, span, None, State::Queued);
        self.probes.push_back(ROOT);
        loop {
            self.dispatch();
            let joined = match self.throttled_until {
                Some(at) => tokio::select! {
                    joined = self.tasks.join_next(), if !self.tasks.is_empty() => joined,
                    () = tokio::time::sleep_until(at) => continue,
                },
                None => self.tasks.join_next().await,
            };
            let Some(joined) = joined else {
                break;
            };
            let outcome = joined.map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("a France Travail request task failed: {e}"),
                )
            })?;
            self.handle(outcome).await?;
        }
        Ok(())
    }

    fn push_node(
        &mut self,
        slice: Slice,
        span: Window,
        parent: Option<usize>,
        state: State,
    ) -> usize {
        self.nodes.push(Node {
            slice,
            span,
            parent,
            total: None,
            state,
            pages: 0,
            pages_left: 0,
            received: 0,
            split: None,
            sample: None,
        });
        self.nodes.len() - 1
    }

    /// Starts the requests whose slot is near: referentiels first, then
    /// probes, then pages; none once the limit is reached or too many slices
    /// failed.
    fn dispatch(&mut self) {
        self.throttled_until = None;
        while self.tasks.len() < self.max_in_flight && !self.stopping {
            let now = Instant::now();
            let slot = self.next_slot.max(now);
            if slot > now + self.lookahead {
                if !(self.code_requests.is_empty()
                    && self.probes.is_empty()
                    && self.pages.is_empty())
                {
                    self.throttled_until = Some(slot - self.lookahead);
                }
                break;
            }
            if let Some(dimension) = self.code_requests.pop_front() {
                let shared = self.shared.clone();
                let name = match dimension {
                    Dimension::Departement => "departements",
                    _ => "typesContrats",
                };
                self.tasks.spawn(async move {
                    let result = shared.source.fetch_codes(&shared.http, name).await;
                    Outcome::Codes { dimension, result }
                });
                self.next_slot = slot + self.period;
                continue;
            }
            let room = match self.left() {
                Some(left) if left <= self.in_flight_offers => {
                    if left == 0 {
                        self.stopping = true;
                    }
                    break;
                }
                Some(left) => left - self.in_flight_offers,
                None => u64::MAX,
            };
            let (node, probe, start, end) = if let Some(node) = self.probes.pop_front() {
                (node, true, 0, room.min(PAGE_SIZE) - 1)
            } else if let Some((node, start, end)) = self.pages.pop_front() {
                (node, false, start, end.min(start.saturating_add(room - 1)))
            } else {
                break;
            };
            if probe {
                self.nodes[node].state = State::Probing;
            }
            let size = end - start + 1;
            self.in_flight_offers += size;
            self.next_slot = slot + self.period;
            let params = self.nodes[node].slice.params();
            let shared = self.shared.clone();
            self.tasks.spawn(async move {
                let result = shared.fetch(&params, start, end).await;
                Outcome::Page {
                    node,
                    probe,
                    size,
                    result,
                }
            });
        }
    }

    async fn handle(&mut self, outcome: Outcome) -> Result<()> {
        match outcome {
            Outcome::Codes { dimension, result } => self.codes_arrived(dimension, result).await,
            Outcome::Page {
                node,
                probe,
                size,
                result,
            } => {
                self.in_flight_offers = self.in_flight_offers.saturating_sub(size);
                match result {
                    Ok(page) if probe => self.probed(node, page).await,
                    Ok(page) => self.paged(node, page).await,
                    Err(error) => self.failed(node, error),
                }
            }
        }
    }

    async fn emit(&mut self, mut records: Vec<JobRecord>) -> Result<()> {
        if self.planning {
            return Ok(());
        }
        if let Some(max) = self.shared.source.max_results {
            let offers = SourceStats::get(&self.cx().stats().offers);
            records.truncate(usize::try_from(max.saturating_sub(offers)).unwrap_or(usize::MAX));
        }
        if self.cx().emit(records).await? == Flow::Stop || self.left() == Some(0) {
            self.stopping = true;
        }
        Ok(())
    }

    async fn probed(&mut self, id: usize, page: Fetched) -> Result<()> {
        let received = page.records.len() as u64;
        // Without a total (no Content-Range), page up to the window.
        let total = page.total.unwrap_or(if page.more { CAP } else { received });
        {
            let node = &mut self.nodes[id];
            node.total = Some(total);
            node.received += received;
        }
        if id == ROOT {
            self.cx().stats().set_total(total);
            debug!(source = self.cx().name(), total, "The query's total.");
        }
        self.emit(page.records).await?;
        if let Some(parent) = self.nodes[id].parent {
            self.child_probed(parent, total).await?;
        }
        let fits = total <= CAP || (id == ROOT && self.limit_at_start.is_some_and(|l| l <= CAP));
        if fits {
            return self.leaf(id, total, false).await;
        }
        self.split(id, page.sample).await
    }

    /// Queues the pages of a slice that fits (or that nothing can narrow,
    /// `truncated`).
    async fn leaf(&mut self, id: usize, total: u64, truncated: bool) -> Result<()> {
        let reachable = total.min(CAP);
        let pages = reachable.div_ceil(PAGE_SIZE).max(1);
        let node = &mut self.nodes[id];
        node.state = State::Paging;
        node.pages = pages;
        node.pages_left = pages - 1;
        if truncated {
            let label = node.slice.label();
            let missing = total - CAP;
            self.unreachable += missing;
            let note = format!(
                "{missing} offers are out of reach: the slice {label} holds {total} offers, the API serves 3,150 per query, and it cannot be cut further (same creation second, département and contract type)"
            );
            warn!(source = self.cx().name(), missing, slice = %label, "Offers out of reach of the API's window.");
            self.notes.push(note);
        }
        if self.planning {
            return Ok(());
        }
        let mut start = PAGE_SIZE;
        while start < reachable {
            let end = (start + PAGE_SIZE - 1).min(reachable - 1).min(MAX_END);
            self.pages.push_back((id, start, end));
            start = end + 1;
        }
        if self.nodes[id].pages_left == 0 {
            self.finish(id).await?;
        }
        Ok(())
    }

    async fn paged(&mut self, id: usize, page: Fetched) -> Result<()> {
        self.nodes[id].received += page.records.len() as u64;
        self.emit(page.records).await?;
        let node = &mut self.nodes[id];
        node.pages_left = node.pages_left.saturating_sub(1);
        if node.pages_left == 0 && node.state == State::Paging {
            self.finish(id).await?;
        }
        Ok(())
    }

    fn failed(&mut self, id: usize, error: Error) -> Result<()> {
        let label = self.nodes[id].slice.label();
        if error.kind() == ErrorKind::Cancelled || !error.is_temporary() {
            return Err(match error.kind() {
                // The message already names the parameters.
                ErrorKind::BadRequest | ErrorKind::Cancelled => error,
                _ => error.with_context("slice", label),
            });
        }
        warn!(source = self.cx().name(), slice = %label, error = %error, "Giving up on a slice after its retries; going on with the others.");
        self.nodes[id].state = State::Failed;
        self.failures.push((id, error));
        if self.failures.len() >= MAX_FAILED_SLICES {
            self.stopping = true;
        }
        Ok(())
    }

    /// Marks a slice done (and its checkpoint key complete), then its
    /// parent if it was the last child.
    async fn finish(&mut self, mut id: usize) -> Result<()> {
        loop {
            self.nodes[id].state = State::Done;
            if !self.planning {
                let cx = self.cx().clone();
                let key = self.nodes[id].slice.key();
                tokio::task::spawn_blocking(move || cx.complete(&key))
                    .await
                    .map_err(|e| {
                        Error::new(ErrorKind::Io, format!("writing the checkpoint failed: {e}"))
                    })??;
            }
            let Some(parent) = self.nodes[id].parent else {
                return Ok(());
            };
            let split = self.nodes[parent]
                .split
                .as_mut()
                .expect("a parent is split");
            split.unfinished -= 1;
            if split.unfinished > 0 || split.unprobed > 0 || !split.later.is_empty() {
                return Ok(());
            }
            id = parent;
        }
    }

    /// Which dimension to cut a slice by next, if any is left.
    fn dimension(&self, id: usize) -> Option<Dimension> {
        let node = &self.nodes[id];
        if node.span.splittable() {
            return Some(Dimension::Date);
        }
        if self.departement_codes(&node.slice).is_some() {
            return Some(Dimension::Departement);
        }
        if self.type_codes(&node.slice).is_some() {
            return Some(Dimension::ContractType);
        }
        None
    }

    /// The départements a slice can be cut into: `Some(None)` when they come
    /// from the referentiel.
    fn departement_codes(&self, slice: &Slice) -> Option<Option<Vec<String>>> {
        candidates(slice.departements(), self.user().get("departement"))
    }

    /// The contract types a slice can be cut into; none when the user set
    /// `natureContrat` (the API ORs the two, so adding one would widen the
    /// query).
    fn type_codes(&self, slice: &Slice) -> Option<Option<Vec<String>>> {
        if self.user().get("natureContrat").is_some() {
            return None;
        }
        candidates(slice.types(), self.user().get("typeContrat"))
    }

    async fn split(&mut self, id: usize, sample: Sample) -> Result<()> {
        let total = self.nodes[id].total.unwrap_or(0);
        let Some(dimension) = self.dimension(id) else {
            return self.leaf(id, total, true).await;
        };
        let node = &self.nodes[id];
        let (first, later): (Vec<Slice>, Vec<Slice>) = match dimension {
            Dimension::Date => {
                let windows = split_window(node.span, total, &sample.dates);
                (
                    windows
                        .into_iter()
                        .map(|w| node.slice.with_window(w))
                        .collect(),
                    Vec::new(),
                )
            }
            Dimension::Departement | Dimension::ContractType => {
                let fixed = if dimension == Dimension::Departement {
                    self.departement_codes(&node.slice)
                } else {
                    self.type_codes(&node.slice)
                }
                .flatten();
                let codes = match (fixed, self.codes(dimension)) {
                    (Some(codes), _) => codes,
                    (None, Codes::Known(codes)) => codes.clone(),
                    (None, state) => {
                        if *state == Codes::Unknown {
                            self.code_requests.push_back(dimension);
                            *self.codes_mut(dimension) = Codes::Loading;
                        }
                        let node = &mut self.nodes[id];
                        node.state = State::Waiting;
                        node.sample = Some(sample);
                        return Ok(());
                    }
                };
                self.groups(id, dimension, &codes, &sample)
            }
        };
        if first.is_empty() && later.is_empty() {
            return self.leaf(id, total, true).await;
        }
        if id == ROOT {
            info!(
                source = self.cx().name(),
                total,
                slices = first.len() + later.len(),
                dimension = dimension.as_str(),
                "The query exceeds the API's 3,150-offer window: slicing it."
            );
        } else {
            debug!(
                source = self.cx().name(),
                total,
                slices = first.len() + later.len(),
                dimension = dimension.as_str(),
                slice = %self.nodes[id].slice.label(),
                "Slicing a slice that exceeds the window."
            );
        }
        self.nodes[id].state = State::Split;
        self.nodes[id].split = Some(Split {
            dimension,
            unprobed: 0,
            unfinished: 0,
            sum: 0,
            sum_known: true,
            later,
        });
        for slice in first {
            self.add_child(id, slice);
        }
        self.after_children_probed(id).await
    }

    /// The children of a cut by département or contract type.
    fn groups(
        &self,
        id: usize,
        dimension: Dimension,
        codes: &[String],
        sample: &Sample,
    ) -> (Vec<Slice>, Vec<Slice>) {
        let node = &self.nodes[id];
        let total = node.total.unwrap_or(0) as f64;
        let per_offer = total / sample.size.max(1) as f64;
        let exact = sample
            .type_counts
            .as_ref()
            .filter(|_| dimension == Dimension::ContractType)
            .filter(|counts| counts.values().sum::<u64>() as f64 >= total * 0.99);
        let (mass, target, unseen): (BTreeMap<String, f64>, f64, f64) = match exact {
            Some(counts) => (
                counts.iter().map(|(c, n)| (c.clone(), *n as f64)).collect(),
                CAP as f64 * 0.95,
                0.0,
            ),
            None => {
                let seen = if dimension == Dimension::Departement {
                    &sample.departements
                } else {
                    &sample.types
                };
                (
                    seen.iter()
                        .map(|(c, n)| (c.clone(), *n as f64 * per_offer))
                        .collect(),
                    CAP as f64 * 0.7,
                    per_offer / 2.0,
                )
            }
        };
        let mut codes = codes.to_vec();
        if exact.is_some() {
            // Types the counts name but the list lacks.
            for code in mass.keys() {
                if !codes.contains(code) && self.user().get("typeContrat").is_none() {
                    codes.push(code.clone());
                }
            }
        }
        let (mut first, mut later) = group_codes(&codes, &mass, target, unseen);
        if first.len() + later.len() == 1 {
            // Nothing tells the codes apart (no offer on the page has one):
            // one code per slice, so that the cut makes progress.
            first = codes.iter().map(|c| vec![c.clone()]).collect();
            later.clear();
        }
        let narrow = |group: Vec<String>| match dimension {
            Dimension::Departement => node.slice.with_departements(group),
            _ => node.slice.with_types(group),
        };
        (
            first.into_iter().map(narrow).collect(),
            later.into_iter().map(narrow).collect(),
        )
    }

    fn codes(&self, dimension: Dimension) -> &Codes {
        match dimension {
            Dimension::Departement => &self.departements,
            _ => &self.types,
        }
    }

    fn codes_mut(&mut self, dimension: Dimension) -> &mut Codes {
        match dimension {
            Dimension::Departement => &mut self.departements,
            _ => &mut self.types,
        }
    }

    async fn codes_arrived(
        &mut self,
        dimension: Dimension,
        result: Result<Vec<String>>,
    ) -> Result<()> {
        let codes = match result {
            Ok(codes) => codes,
            Err(error)
                if error.kind() == ErrorKind::Auth || error.kind() == ErrorKind::Cancelled =>
            {
                return Err(error);
            }
            Err(error) => {
                warn!(source = self.cx().name(), error = %error, "Could not read a France Travail referentiel; using the built-in list.");
                let builtin = if dimension == Dimension::Departement {
                    DEPARTEMENTS
                } else {
                    CONTRACT_TYPES
                };
                builtin.iter().map(|c| c.to_string()).collect()
            }
        };
        *self.codes_mut(dimension) = Codes::Known(codes);
        let waiting: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].state == State::Waiting)
            .collect();
        for id in waiting {
            if let Some(sample) = self.nodes[id].sample.take() {
                self.split(id, sample).await?;
            }
        }
        Ok(())
    }

    /// Adds a child slice to probe, unless an earlier run completed it.
    fn add_child(&mut self, parent: usize, slice: Slice) {
        let span = slice.window().unwrap_or(self.nodes[parent].span);
        let done = !self.planning && self.cx().is_done(&slice.key());
        let state = if done { State::Skipped } else { State::Queued };
        let id = self.push_node(slice, span, Some(parent), state);
        let split = self.nodes[parent]
            .split
            .as_mut()
            .expect("children belong to a split slice");
        if done {
            split.sum_known = false;
        } else {
            split.unprobed += 1;
            split.unfinished += 1;
            self.probes.push_back(id);
        }
    }

    async fn child_probed(&mut self, parent: usize, total: u64) -> Result<()> {
        let split = self.nodes[parent]
            .split
            .as_mut()
            .expect("children belong to a split slice");
        split.unprobed -= 1;
        split.sum += total;
        if split.unprobed == 0 {
            self.after_children_probed(parent).await?;
        }
        Ok(())
    }

    /// Once every child of `id` is probed: probes the later children if the
    /// first ones miss offers, then checks that the children hold every
    /// offer of their parent.
    async fn after_children_probed(&mut self, id: usize) -> Result<()> {
        let total = self.nodes[id].total.unwrap_or(0);
        let label = self.nodes[id].slice.label();
        let split = self.nodes[id]
            .split
            .as_mut()
            .expect("children belong to a split slice");
        if split.unprobed > 0 {
            return Ok(());
        }
        if !split.later.is_empty() {
            let later = std::mem::take(&mut split.later);
            if split.sum_known && split.sum >= total {
                debug!(
                    slices = later.len(),
                    "The codes seen on the first page hold every offer; the others are not probed."
                );
            } else {
                for slice in later {
                    self.add_child(id, slice);
                }
                return Box::pin(self.after_children_probed(id)).await;
            }
        }
        let split = self.nodes[id].split.as_ref().expect("split");
        let (dimension, sum, sum_known, unfinished) = (
            split.dimension,
            split.sum,
            split.sum_known,
            split.unfinished,
        );
        if sum_known && sum > total + total / 2 + PAGE_SIZE {
            let name = match dimension {
                Dimension::Date => "minCreationDate/maxCreationDate",
                Dimension::Departement => "departement",
                Dimension::ContractType => "typeContrat",
            };
            return Err(Error::new(
                ErrorKind::Http,
                format!(
                    "France Travail does not seem to filter by {name}: the slices of {label} report {sum} offers in all, for {total} in the whole; the query cannot be cut to get past the API's 3,150-offer window"
                ),
            )
            .set_temporary(false));
        }
        if sum_known && sum < total {
            let missing = total - sum;
            self.unreachable += missing;
            let note = format!(
                "{missing} offers of {label} fall in no {} slice (offers without one?) and are out of reach",
                dimension.as_str()
            );
            warn!(source = self.cx().name(), missing, slice = %label, dimension = dimension.as_str(), "Offers missing from every slice.");
            self.notes.push(note);
        }
        if unfinished == 0 && !self.planning {
            // Every child was completed by an earlier run.
            self.finish(id).await?;
        }
        Ok(())
    }

    /// After a run: fails when slices are missing.
    fn finish_run(&mut self) -> Result<()> {
        if !self.failures.is_empty() {
            return Err(self.missing_slices());
        }
        let leaves = self.nodes.iter().filter(|n| n.pages > 0).count();
        let probes = self
            .nodes
            .iter()
            .filter(|n| !matches!(n.state, State::Skipped | State::Queued))
            .count();
        info!(
            source = self.cx().name(),
            slices = leaves,
            probes,
            requests = SourceStats::get(&self.cx().stats().requests) - self.requests_at_start,
            unreachable = self.unreachable,
            "Harvested every slice."
        );
        Ok(())
    }

    /// The error of a harvest that could not fetch every slice.
    fn missing_slices(&mut self) -> Error {
        if self.failures[0].0 == ROOT {
            // Nothing was fetched: the error says it best.
            return self.failures.swap_remove(0).1;
        }
        let mut missing = 0u64;
        let mut unknown = 0usize;
        let mut failed = Vec::new();
        for node in &self.nodes {
            match node.state {
                State::Paging => {
                    missing += node
                        .total
                        .unwrap_or(0)
                        .min(CAP)
                        .saturating_sub(node.received)
                }
                State::Failed => {
                    let size = match node.total {
                        Some(total) => {
                            missing += total.min(CAP).saturating_sub(node.received);
                            format!("{total} offers")
                        }
                        None => {
                            unknown += 1;
                            "size unknown".to_string()
                        }
                    };
                    if failed.len() < 10 {
                        failed.push(format!("{} ({size})", node.slice.label()));
                    }
                }
                State::Queued | State::Probing | State::Waiting => unknown += 1,
                _ => {}
            }
        }
        let (_, first) = &self.failures[0];
        let others = if unknown > 0 {
            format!(", and {unknown} slices of unknown size were not fetched")
        } else {
            String::new()
        };
        Error::new(
            first.kind(),
            format!(
                "{} of the France Travail search could not be fetched after retries: {}; about {missing} offers are missing{others}. First error: {}",
                match self.failures.len() {
                    1 => "a slice".to_string(),
                    n => format!("{n} slices"),
                },
                failed.join("; "),
                first.message()
            ),
        )
        .set_temporary(true)
    }

    /// What planning found.
    fn plan(&self) -> Plan {
        let mut plan = Plan::default();
        plan.total = self.nodes.first().and_then(|n| n.total);
        for node in self.nodes.iter().filter(|n| n.state == State::Paging) {
            let total = node.total.unwrap_or(0);
            plan.slices.push(PlannedSlice {
                label: node.slice.label(),
                total,
                requests: node.pages,
            });
            plan.remaining_requests += node.pages.saturating_sub(1);
        }
        plan.planning_requests =
            SourceStats::get(&self.cx().stats().requests) - self.requests_at_start;
        let cuts = |d: Dimension| {
            self.nodes
                .iter()
                .filter(|n| n.split.as_ref().is_some_and(|s| s.dimension == d))
                .count()
        };
        let (dates, departements, types) = (
            cuts(Dimension::Date),
            cuts(Dimension::Departement),
            cuts(Dimension::ContractType),
        );
        if dates + departements + types > 0 {
            let cuts: Vec<String> = [
                (dates, "by creation date"),
                (departements, "by département"),
                (types, "by contract type"),
            ]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, by)| format!("{n} {by}"))
            .collect();
            plan.notes.push(format!(
                "the query exceeds the API's 3,150-offer window: it is cut into {} slices ({} {}); the run fetches the first page of each again",
                plan.slices.len(),
                if dates + departements + types == 1 { "cut" } else { "cuts" },
                cuts.join(", ")
            ));
        }
        plan.notes.extend(self.notes.iter().cloned());
        if let Some(limit) = self.limit_at_start {
            plan.notes
                .push(format!("the harvest stops after {limit} offers (limit)"));
        }
        plan
    }
}

/// The codes a slice can still be cut into: its own group when it holds
/// several, else the user's list when it holds several, else the
/// referentiel's (`Some(None)`) when neither is set.
fn candidates(own: Option<&[String]>, user: Option<&str>) -> Option<Option<Vec<String>>> {
    match own {
        Some(codes) if codes.len() > 1 => Some(Some(codes.to_vec())),
        Some(_) => None,
        None => match user {
            Some(list) => {
                let codes: Vec<String> = list
                    .split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect();
                (codes.len() > 1).then_some(Some(codes))
            }
            None => Some(None),
        },
    }
}
