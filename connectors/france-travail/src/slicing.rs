//! Slicing: cutting a query too large for the API's window into slices that
//! fit, from what the pages already fetched say.
//!
//! The API serves at most 3,150 offers per query ([`CAP`]). A larger query is
//! cut, in this order, by:
//!
//! 1. **creation date**: `minCreationDate` + `maxCreationDate` windows
//!    ([`split_window`]);
//! 2. **département**, for a window that cannot be narrowed any more (too
//!    many offers created within the same second): at most 5 codes per
//!    request ([`group_codes`]);
//! 3. **contract type** (`typeContrat`), for a single département still too
//!    large, unless the user set `natureContrat` (the API ORs the two).
//!
//! Every probe is a full first page that is kept, so cutting costs only the
//! probes of slices that turn out too large. Cuts are informed by data: the
//! creation dates, départements and contract types of the offers on the
//! first page (and the API's `filtresPossibles` counts of contract types)
//! say where the offers lie, so one round of probes usually finds slices
//! that fit, instead of halving blindly.
//!
//! **Window boundaries.** Dates go to the API to the second, while offers
//! are dated to the millisecond, and the API's comparison is not documented.
//! Neighbouring windows therefore share their boundary second (`[a, c]`,
//! `[c, b]`): whether the API compares to the second or to the millisecond,
//! no offer falls between two windows. An offer exactly on a boundary is
//! fetched twice and written once (the run drops duplicates). Cuts are put
//! in seconds where no offer was seen, and a second holding many offers gets
//! a window of its own, `[s - 1, s + 1]`, the narrowest there is.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::params::{SearchParams, format_date};
use crate::source::RESULT_WINDOW;

/// The most offers one slice may hold: the API's window.
pub const CAP: u64 = RESULT_WINDOW;

/// The oldest creation date asked for when the user gives none
/// (2000-01-01T00:00:00Z): the oldest window is open-ended in practice.
pub const FLOOR: i64 = 946_684_800;

/// At most this many départements (or contract types) per request.
pub const MAX_CODES: usize = 5;

/// Every département code, used when `referentiel/departements` cannot be
/// read.
pub const DEPARTEMENTS: &[&str] = &[
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16",
    "17", "18", "19", "2A", "2B", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
    "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47",
    "48", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "63",
    "64", "65", "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76", "77", "78", "79",
    "80", "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "91", "92", "93", "94", "95",
    "971", "972", "973", "974", "976",
];

/// Every contract type code, used when `referentiel/typesContrats` cannot
/// be read.
pub const CONTRACT_TYPES: &[&str] = &[
    "CDI", "CDD", "MIS", "SAI", "LIB", "FRA", "CCE", "DDI", "DIN", "REP", "TTI",
];

/// A creation-date window, in seconds since the epoch, both ends sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Window {
    /// `minCreationDate`.
    pub min: i64,
    /// `maxCreationDate`.
    pub max: i64,
}

impl Window {
    /// A window from `min` to `max`.
    pub fn new(min: i64, max: i64) -> Self {
        Window { min, max }
    }

    /// Whether it can be cut into narrower windows that still isolate a
    /// second: `[s - 1, s + 1]` is the narrowest useful window.
    pub fn splittable(&self) -> bool {
        self.max - self.min >= 3
    }

    fn contains(&self, t: i64) -> bool {
        (self.min..=self.max).contains(&t)
    }
}

/// What a slice was cut by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Creation-date windows.
    Date,
    /// Groups of départements.
    Departement,
    /// Groups of contract types.
    ContractType,
}

impl Dimension {
    /// `creation date`, `département`, `contract type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Date => "creation date",
            Dimension::Departement => "département",
            Dimension::ContractType => "contract type",
        }
    }
}

/// One set of search parameters paged end to end: the user's parameters
/// narrowed to a date window, départements and contract types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    base: SearchParams,
    window: Option<Window>,
    departements: Option<Vec<String>>,
    types: Option<Vec<String>>,
}

impl Slice {
    /// The whole query: the user's parameters as they are.
    pub fn root(params: SearchParams) -> Self {
        Slice {
            base: params,
            window: None,
            departements: None,
            types: None,
        }
    }

    /// The parameters sent for this slice (without `range`).
    pub fn params(&self) -> SearchParams {
        let mut params = self.base.clone();
        if let Some(w) = self.window {
            params = params
                .with("minCreationDate", format_secs(w.min))
                .with("maxCreationDate", format_secs(w.max));
        }
        if let Some(codes) = &self.departements {
            params = params.with("departement", codes.join(","));
        }
        if let Some(codes) = &self.types {
            params = params.with("typeContrat", codes.join(","));
        }
        params
    }

    /// A stable name for the checkpoint: the canonical query string.
    pub fn key(&self) -> String {
        format!("search?{}", self.params().query_string())
    }

    /// The parameters, for people: the ones slicing sets first, the dates
    /// in order (`minCreationDate=…, maxCreationDate=…, departement=75,
    /// motsCles=data`).
    pub fn label(&self) -> String {
        const FIRST: [&str; 4] = [
            "minCreationDate",
            "maxCreationDate",
            "departement",
            "typeContrat",
        ];
        let params = self.params();
        if params.is_empty() {
            return "the whole search (no parameters)".to_string();
        }
        let first = FIRST
            .iter()
            .filter_map(|k| params.get(k).map(|v| format!("{k}={v}")));
        let rest = params
            .pairs()
            .iter()
            .filter(|(k, _)| !FIRST.contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v}"));
        first.chain(rest).collect::<Vec<_>>().join(", ")
    }

    /// The date window this slice asks for, if it asks for one.
    pub fn window(&self) -> Option<Window> {
        self.window
    }

    /// The départements this slice asks for, if slicing chose them.
    pub fn departements(&self) -> Option<&[String]> {
        self.departements.as_deref()
    }

    /// The contract types this slice asks for, if slicing chose them.
    pub fn types(&self) -> Option<&[String]> {
        self.types.as_deref()
    }

    /// This slice narrowed to window `w` (the user's dates and
    /// `publieeDepuis` give way to it).
    pub fn with_window(&self, w: Window) -> Self {
        Slice {
            base: self
                .base
                .without(&["minCreationDate", "maxCreationDate", "publieeDepuis"]),
            window: Some(w),
            ..self.clone()
        }
    }

    /// This slice narrowed to départements `codes`.
    pub fn with_departements(&self, codes: Vec<String>) -> Self {
        Slice {
            base: self.base.without(&["departement"]),
            departements: Some(codes),
            ..self.clone()
        }
    }

    /// This slice narrowed to contract types `codes`.
    pub fn with_types(&self, codes: Vec<String>) -> Self {
        Slice {
            base: self.base.without(&["typeContrat"]),
            types: Some(codes),
            ..self.clone()
        }
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ`, as the API wants dates.
pub fn format_secs(secs: i64) -> String {
    format_date(DateTime::from_timestamp(secs, 0).unwrap_or_default())
}

/// Reads `yyyy-MM-ddTHH:mm:ssZ`.
pub fn parse_secs(text: &str) -> Option<i64> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

/// The window the whole query covers, to be cut when it is too large: the
/// user's dates; else `publieeDepuis` days back (from the hour) to the end of
/// tomorrow; else from [`FLOOR`] to the end of tomorrow. The ends are
/// rounded so that a resumed run cuts the same windows.
pub fn root_window(params: &SearchParams, now: DateTime<Utc>) -> Window {
    let now = now.timestamp();
    let ceiling = (now.div_euclid(86_400) + 2) * 86_400;
    if let (Some(min), Some(max)) = (
        params.get("minCreationDate").and_then(parse_secs),
        params.get("maxCreationDate").and_then(parse_secs),
    ) {
        return Window::new(min, max);
    }
    if let Some(days) = params
        .get("publieeDepuis")
        .and_then(|d| d.trim().parse::<i64>().ok())
    {
        let since = (now - days * 86_400).div_euclid(3600) * 3600;
        return Window::new(since, ceiling);
    }
    Window::new(FLOOR, ceiling)
}

/// How the offers of a page were ordered by creation date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageOrder {
    NewestFirst,
    OldestFirst,
    /// Every offer in the same second.
    Tied,
    /// No order: the page is a sample of the whole slice.
    Mixed,
}

fn page_order(dates: &[i64]) -> PageOrder {
    let desc = dates.windows(2).all(|w| w[0] >= w[1]);
    let asc = dates.windows(2).all(|w| w[0] <= w[1]);
    match (desc, asc) {
        (true, true) => PageOrder::Tied,
        (true, false) => PageOrder::NewestFirst,
        (false, true) => PageOrder::OldestFirst,
        (false, false) => PageOrder::Mixed,
    }
}

/// A second and the offers estimated in it; `isolate` gives it a window of
/// its own.
#[derive(Debug, Clone, Copy)]
struct Atom {
    at: i64,
    mass: f64,
    isolate: bool,
}

/// Cuts `window`, which holds `total` offers, into narrower windows that
/// should each hold at most [`CAP`], given the creation dates (seconds) of
/// the offers on its first page, in page order.
///
/// - A page in no date order is a sample of the window: each offer stands
///   for `total / n` of them, and cuts follow the sample's quantiles, with
///   enough windows that sampling error rarely overflows one.
/// - A page newest first (oldest first) gives the newest (oldest) offers
///   exactly; the rest is spread back (forward) in time at the rate the page
///   shows, and the last window reaches the window's end, so nothing is
///   missed whatever the true spread.
/// - A second holding many offers gets a window of its own.
///
/// Every window returned is strictly narrower than `window`, and together
/// they cover it.
pub fn split_window(window: Window, total: u64, dates: &[i64]) -> Vec<Window> {
    let dates: Vec<i64> = dates
        .iter()
        .copied()
        .filter(|d| window.contains(*d))
        .collect();
    let t = total as f64;
    let cuts = if dates.len() < 2 {
        uniform_cuts(window, total)
    } else {
        match page_order(&dates) {
            PageOrder::Mixed => {
                let n = dates.len() as f64;
                let mut counts: BTreeMap<i64, f64> = BTreeMap::new();
                for d in &dates {
                    *counts.entry(*d).or_default() += t / n;
                }
                let atoms: Vec<Atom> = counts
                    .into_iter()
                    .map(|(at, mass)| Atom {
                        at,
                        mass,
                        isolate: false,
                    })
                    .collect();
                greedy_cuts(&atoms, sampled_target(total, dates.len()))
            }
            PageOrder::Tied => around(window, dates[0]),
            PageOrder::NewestFirst => extrapolated_cuts(window, total, &dates, true),
            PageOrder::OldestFirst => extrapolated_cuts(window, total, &dates, false),
        }
    };
    windows_from_cuts(window, cuts)
}

/// The mass per window when a page is a random sample of `n` offers out of
/// `total`: the smallest number of windows such that one standard deviation
/// and a half of sampling error still fits.
fn sampled_target(total: u64, n: usize) -> f64 {
    let t = total as f64;
    let n = n.max(1) as f64;
    let room = CAP as f64 * 0.95;
    for k in 2..=64u32 {
        let k = f64::from(k);
        let p = 1.0 / k;
        if t / k + 1.5 * t * (p * (1.0 - p) / n).sqrt() <= room {
            return t / k;
        }
    }
    t / 64.0
}

/// The mass per window when offers are extrapolated: three quarters of the
/// cap, balanced.
fn extrapolated_target(total: u64) -> f64 {
    let t = total as f64;
    let k = (t / (CAP as f64 * 0.75)).ceil().max(1.0);
    t / k
}

fn uniform_cuts(window: Window, total: u64) -> Vec<i64> {
    let k = (total as f64 / (CAP as f64 * 0.75)).ceil().clamp(2.0, 16.0) as i64;
    let width = window.max - window.min;
    (1..k).map(|i| window.min + width * i / k).collect()
}

/// Windows `[.., s - 1]`, `[s - 1, s + 1]`, `[s + 1, ..]` around second `s`.
fn around(window: Window, s: i64) -> Vec<i64> {
    vec![s - 1, s + 1]
        .into_iter()
        .filter(|c| *c > window.min && *c < window.max)
        .collect()
}

/// Cuts for a page sorted by date: its offers are known exactly, the others
/// lie beyond its last one, spread at the page's rate.
fn extrapolated_cuts(window: Window, total: u64, dates: &[i64], newest_first: bool) -> Vec<i64> {
    let n = dates.len();
    let boundary = *dates.last().unwrap_or(&window.min);
    let mut counts: BTreeMap<i64, f64> = BTreeMap::new();
    for d in dates {
        *counts.entry(*d).or_default() += 1.0;
    }
    let heavy = (n as f64 / 10.0).max(10.0);
    // The page's rate, without the seconds that hold a crowd.
    let spread: f64 = counts
        .iter()
        .filter(|(at, c)| **at != boundary && **c < heavy)
        .map(|(_, c)| c)
        .sum();
    let first = dates[0];
    let seconds = (first - boundary).abs() as f64;
    if spread < 5.0 || seconds < 1.0 {
        return around(window, boundary);
    }
    let rate = spread / seconds;
    let beyond = (total as f64 - n as f64).max(0.0);
    let mut atoms: Vec<Atom> = counts
        .iter()
        .map(|(at, c)| Atom {
            at: *at,
            mass: *c,
            isolate: *at == boundary && *c >= (n as f64 / 5.0).max(10.0),
        })
        .collect();
    // The offers beyond the page, as evenly spread virtual seconds.
    let extent = (beyond / rate).max(1.0);
    let steps = (extent.min(400.0)).ceil().max(1.0);
    let step = extent / steps;
    for i in 0..steps as i64 {
        let offset = (step * (i as f64 + 0.5)).max(1.0);
        let at = if newest_first {
            boundary - offset.ceil() as i64
        } else {
            boundary + offset.ceil() as i64
        };
        if !window.contains(at) {
            break;
        }
        atoms.push(Atom {
            at,
            mass: beyond / steps,
            isolate: false,
        });
    }
    atoms.sort_by_key(|a| a.at);
    atoms.dedup_by(|later, earlier| {
        if later.at == earlier.at {
            earlier.mass += later.mass;
            earlier.isolate |= later.isolate;
            true
        } else {
            false
        }
    });
    greedy_cuts(&atoms, extrapolated_target(total))
}

/// Walks the seconds in order and cuts where a window reaches `target` (a
/// second goes to the window that holds most of it, so windows average
/// `target` and the last one is not a small remainder); heavy seconds get a
/// window of their own.
fn greedy_cuts(atoms: &[Atom], target: f64) -> Vec<i64> {
    let mut cuts = Vec::new();
    let mut acc = 0.0;
    let mut prev: Option<(i64, bool)> = None;
    let mut close = false;
    for atom in atoms {
        let heavy = atom.isolate || atom.mass >= target;
        if let Some((p, p_heavy)) = prev
            && (close || heavy || acc + atom.mass / 2.0 > target)
        {
            cuts.push(cut_between(p, atom.at, p_heavy, heavy));
            acc = 0.0;
        }
        acc += atom.mass;
        close = heavy;
        prev = Some((atom.at, heavy));
    }
    if let Some((p, true)) = prev {
        // The last second is heavy: close its window right after it.
        cuts.push(p + 1);
    }
    if let Some(first) = atoms.first()
        && (first.isolate || first.mass >= target)
    {
        cuts.push(first.at - 1);
    }
    cuts
}

/// Where to cut between seconds `p < q` that hold offers: in the gap, right
/// next to a heavy second so that its window is `[s - 1, s + 1]`; between
/// adjacent seconds, on the lighter one (its offers then count on both
/// sides).
fn cut_between(p: i64, q: i64, p_heavy: bool, q_heavy: bool) -> i64 {
    if q - p >= 2 {
        if q_heavy {
            q - 1
        } else if p_heavy {
            p + 1
        } else {
            p + (q - p) / 2
        }
    } else if q_heavy {
        p
    } else {
        q
    }
}

fn windows_from_cuts(window: Window, mut cuts: Vec<i64>) -> Vec<Window> {
    cuts.retain(|c| *c > window.min && *c < window.max);
    cuts.sort_unstable();
    cuts.dedup();
    if cuts.is_empty() {
        cuts.push(window.min + (window.max - window.min) / 2);
    }
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut from = window.min;
    for c in cuts {
        out.push(Window::new(from, c));
        from = c;
    }
    out.push(Window::new(from, window.max));
    out
}

/// Groups `codes` for requests of at most [`MAX_CODES`] codes each, from the
/// offers estimated per code (`mass`), so that each group holds at most
/// `target`.
///
/// Returns the groups of codes seen in the data first, then the groups of
/// codes never seen: those are only probed when the first groups do not
/// account for every offer. Codes seen are packed largest first; groups with
/// room take unseen codes too (`unseen_mass` each).
pub fn group_codes(
    codes: &[String],
    mass: &BTreeMap<String, f64>,
    target: f64,
    unseen_mass: f64,
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut seen: Vec<(&String, f64)> = codes
        .iter()
        .filter_map(|c| mass.get(c).filter(|m| **m > 0.0).map(|m| (c, *m)))
        .collect();
    seen.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut unseen: Vec<&String> = codes
        .iter()
        .filter(|c| mass.get(*c).is_none_or(|m| *m <= 0.0))
        .collect();
    unseen.sort();
    unseen.dedup();
    let mut groups: Vec<(Vec<String>, f64)> = Vec::new();
    for (code, m) in seen {
        match groups
            .iter_mut()
            .find(|(g, total)| g.len() < MAX_CODES && total + m <= target)
        {
            Some((g, total)) => {
                g.push(code.clone());
                *total += m;
            }
            None => groups.push((vec![code.clone()], m)),
        }
    }
    let mut unseen = unseen.into_iter().peekable();
    for (g, total) in &mut groups {
        while g.len() < MAX_CODES && *total + unseen_mass <= target {
            match unseen.next() {
                Some(code) => {
                    g.push(code.clone());
                    *total += unseen_mass;
                }
                None => break,
            }
        }
    }
    let rest: Vec<String> = unseen.cloned().collect();
    let later: Vec<Vec<String>> = rest.chunks(MAX_CODES).map(<[String]>::to_vec).collect();
    let first: Vec<Vec<String>> = groups.into_iter().map(|(g, _)| g).collect();
    if first.is_empty() {
        (later, Vec::new())
    } else {
        (first, later)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(parent: Window, children: &[Window]) {
        assert_eq!(children.first().unwrap().min, parent.min);
        assert_eq!(children.last().unwrap().max, parent.max);
        for pair in children.windows(2) {
            assert_eq!(pair[0].max, pair[1].min, "neighbours share their boundary");
        }
        for c in children {
            assert!(c.min < c.max, "{c:?}");
            assert!(c.max - c.min < parent.max - parent.min, "strictly narrower");
        }
    }

    /// A deterministic "random" sample: a simple LCG.
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn a_mixed_sample_cuts_at_its_quantiles() {
        // 12,000 offers spread over 30 days; the page is a random sample.
        let w = Window::new(FLOOR, 1_800_000_000);
        let start = 1_700_000_000;
        let mut seed = 7;
        let all: Vec<i64> = (0..12_000)
            .map(|_| start + (lcg(&mut seed) % (30 * 86_400)) as i64)
            .collect();
        let sample: Vec<i64> = all.iter().step_by(80).copied().collect();
        let children = split_window(w, 12_000, &sample);
        covers(w, &children);
        assert!((5..=7).contains(&children.len()), "{children:?}");
        for c in &children {
            let n = all.iter().filter(|d| c.contains(**d)).count();
            assert!(n <= CAP as usize, "{c:?} holds {n}");
        }
    }

    #[test]
    fn a_crowded_second_gets_a_window_of_its_own() {
        let w = Window::new(FLOOR, 1_800_000_000);
        let burst = 1_700_500_000;
        let mut seed = 3;
        let mut all: Vec<i64> = (0..8_000)
            .map(|_| 1_700_000_000 + (lcg(&mut seed) % (30 * 86_400)) as i64)
            .collect();
        all.extend(std::iter::repeat_n(burst, 4_000));
        // Interleave so that the page is in no order.
        let sample: Vec<i64> = (0..150).map(|i| all[(i * 7919) % all.len()]).collect();
        let children = split_window(w, 12_000, &sample);
        covers(w, &children);
        assert!(
            children.contains(&Window::new(burst - 1, burst + 1)),
            "{children:?}"
        );
    }

    #[test]
    fn a_newest_first_page_is_extrapolated_back_in_time() {
        // 12,000 offers, one every 200 s, newest first.
        let newest = 1_700_000_000;
        let all: Vec<i64> = (0..12_000).map(|i| newest - i * 200).collect();
        let w = Window::new(FLOOR, newest + 86_400);
        let children = split_window(w, 12_000, &all[..150]);
        covers(w, &children);
        assert!((4..=7).contains(&children.len()), "{children:?}");
        for c in &children {
            let n = all.iter().filter(|d| c.contains(**d)).count();
            assert!(n <= CAP as usize, "{c:?} holds {n}");
        }
        // Oldest first: the mirror image.
        let mut asc = all.clone();
        asc.reverse();
        let children = split_window(w, 12_000, &asc[..150]);
        covers(w, &children);
        for c in &children {
            let n = asc.iter().filter(|d| c.contains(**d)).count();
            assert!(n <= CAP as usize, "{c:?} holds {n}");
        }
    }

    #[test]
    fn a_page_from_one_second_isolates_it() {
        let w = Window::new(1_000, 2_000);
        let children = split_window(w, 5_000, &[1_500; 150]);
        assert_eq!(
            children,
            [
                Window::new(1_000, 1_499),
                Window::new(1_499, 1_501),
                Window::new(1_501, 2_000)
            ]
        );
        assert!(!children[1].splittable());
        // Against the edge of the window.
        let children = split_window(Window::new(1_500, 2_000), 5_000, &[1_500; 150]);
        assert_eq!(
            children,
            [Window::new(1_500, 1_501), Window::new(1_501, 2_000)]
        );
    }

    #[test]
    fn without_dates_the_window_is_halved_or_more() {
        let w = Window::new(0, 1_000);
        let children = split_window(w, 4_000, &[]);
        covers(w, &children);
        assert_eq!(children.len(), 2);
    }

    #[test]
    fn cuts_fall_in_gaps_next_to_heavy_seconds() {
        assert_eq!(cut_between(10, 20, false, false), 15);
        assert_eq!(cut_between(10, 20, false, true), 19);
        assert_eq!(cut_between(10, 20, true, false), 11);
        assert_eq!(cut_between(10, 11, false, false), 11);
        assert_eq!(cut_between(10, 11, false, true), 10);
    }

    #[test]
    fn codes_are_packed_with_the_unseen_ones_last() {
        let codes: Vec<String> = ["01", "02", "03", "13", "69", "75", "92"]
            .iter()
            .map(|c| c.to_string())
            .collect();
        let mass: BTreeMap<String, f64> =
            [("75", 2_500.0), ("13", 400.0), ("69", 300.0), ("92", 200.0)]
                .iter()
                .map(|(c, m)| (c.to_string(), *m))
                .collect();
        let (first, later) = group_codes(&codes, &mass, 2_800.0, 20.0);
        assert_eq!(first[0][0], "75");
        assert!(first.iter().all(|g| g.len() <= MAX_CODES));
        let mut all: Vec<String> = first.iter().chain(&later).flatten().cloned().collect();
        all.sort();
        assert_eq!(all, codes, "every code once");
        assert_eq!(first.len(), 2, "{first:?}");
        assert!(
            later.is_empty(),
            "the unseen codes fit in the groups: {later:?}"
        );
        // Nothing seen: every code is probed.
        let (first, later) = group_codes(&codes, &BTreeMap::new(), 2_800.0, 20.0);
        assert_eq!(first.len(), 2);
        assert!(later.is_empty());
    }

    #[test]
    fn slices_name_their_parameters() {
        let user = SearchParams::from_pairs([
            ("motsCles", "data"),
            ("publieeDepuis", "7"),
            ("departement", "75,92"),
        ]);
        let root = Slice::root(user);
        assert_eq!(
            root.key(),
            "search?departement=75%2C92&motsCles=data&publieeDepuis=7"
        );
        let child = root
            .with_window(Window::new(1_720_000_000, 1_720_086_400))
            .with_departements(vec!["92".into()]);
        assert_eq!(
            child.label(),
            "minCreationDate=2024-07-03T09:46:40Z, maxCreationDate=2024-07-04T09:46:40Z, departement=92, motsCles=data"
        );
        assert_eq!(
            child.key(),
            "search?departement=92&maxCreationDate=2024-07-04T09%3A46%3A40Z&minCreationDate=2024-07-03T09%3A46%3A40Z&motsCles=data"
        );
        assert_eq!(child.clone().key(), child.key(), "stable");
    }

    #[test]
    fn the_root_window_comes_from_the_user() {
        let now = DateTime::from_timestamp(1_720_434_959, 0).unwrap();
        let w = root_window(&SearchParams::default(), now);
        assert_eq!(w.min, FLOOR);
        assert_eq!(format_secs(w.max), "2024-07-10T00:00:00Z");
        let w = root_window(&SearchParams::from_pairs([("publieeDepuis", "7")]), now);
        assert_eq!(format_secs(w.min), "2024-07-01T10:00:00Z");
        let w = root_window(
            &SearchParams::from_pairs([
                ("minCreationDate", "2024-07-01T00:00:00Z"),
                ("maxCreationDate", "2024-07-02T00:00:00Z"),
            ]),
            now,
        );
        assert_eq!(w, Window::new(1_719_792_000, 1_719_878_400));
    }
}
