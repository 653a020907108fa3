//! Bounded summaries of a stream: distinct counts, heavy hitters and
//! quantiles, each exact while the data is small and an estimate with a
//! stated error past a fixed size, so that memory never grows with the
//! harvest.
//!
//! | summary | exact up to | then | memory |
//! |---|---|---|---|
//! | [`Distinct`] | 1,024 distinct values | HyperLogLog, 4,096 registers: standard error 1.04/√4096 ≈ 1.6% | about 20 KiB |
//! | [`TopK`] | its capacity of distinct keys | space-saving: a count is too high by at most N / capacity | capacity keys |
//! | [`Quantiles`] | 4,096 values | log buckets: each quantile within 0.5% of the exact one | ≤ 32 KiB |
//! | [`Counter`] | its cap of distinct keys | later keys are counted under "other" | cap keys |

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

const P0: u64 = 0xa076_1d64_78bd_642f;
const P1: u64 = 0xe703_7ed1_a0b4_28db;
const P2: u64 = 0x8ebc_6af0_9c88_c6e3;
const P3: u64 = 0x5899_65cc_7537_4cc3;

/// The 128-bit product of `a` and `b`, folded to 64 bits.
fn fold(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

/// The little-endian number at `b[at..at + 4]`.
#[inline(always)]
fn half(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u64::from(u32::from_le_bytes(w))
}

/// The little-endian number at `b[at..at + 8]`.
#[inline(always)]
fn word(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// A 64-bit hash of `bytes` (wyhash's folded multiply, 48 bytes a step):
/// several GB/s, so the report can hash every cell of every offer, long
/// descriptions included, without slowing a run; its bits are well mixed
/// enough for HyperLogLog. Not for anything an attacker chooses to collide.
pub fn hash(bytes: &[u8]) -> u64 {
    let mut h = P0 ^ (bytes.len() as u64).wrapping_mul(P1);
    let mut bytes = bytes;
    if bytes.len() > 48 {
        // Three independent lanes, so the multiplications overlap: long
        // descriptions hash about twice as fast as with one.
        let (mut h1, mut h2) = (h, h);
        let mut blocks = bytes.chunks_exact(48);
        for b in &mut blocks {
            h = fold(word(b, 0) ^ P1, word(b, 8) ^ h);
            h1 = fold(word(b, 16) ^ P2, word(b, 24) ^ h1);
            h2 = fold(word(b, 32) ^ P3, word(b, 40) ^ h2);
        }
        h ^= h1 ^ h2;
        bytes = blocks.remainder();
    }
    let mut chunks = bytes.chunks_exact(16);
    for c in &mut chunks {
        h = fold(word(c, 0) ^ P1, word(c, 8) ^ h);
    }
    // The last 0 to 15 bytes, as two words that may overlap (the length
    // is already in `h`): no byte-by-byte copy for the short values most
    // cells hold.
    let rest = chunks.remainder();
    let n = rest.len();
    let (a, b) = match n {
        0 => (0, 0),
        1..=3 => (
            u64::from(rest[0]) << 16 | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]),
            0,
        ),
        4..=7 => (half(rest, 0), half(rest, n - 4)),
        _ => (word(rest, 0), word(rest, n - 8)),
    };
    fold(fold(a ^ P1, b ^ h) ^ P2, h ^ P0)
}

/// A [`Hasher`] over [`hash`], for the maps of text keys.
#[derive(Default)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash(bytes) ^ self.0.rotate_left(23);
    }
    /// The end mark `str` keys add: mixed in without hashing again.
    fn write_u8(&mut self, i: u8) {
        self.0 = fold(self.0 ^ u64::from(i), P2);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Keys that are already hashes: used as they are.
#[derive(Default)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash(bytes);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by text, hashed with [`hash`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// HyperLogLog precision: 2^12 registers.
const HLL_BITS: u32 = 12;
const HLL_REGISTERS: usize = 1 << HLL_BITS;
/// Distinct values counted exactly (as their hashes) before switching to
/// HyperLogLog.
const EXACT_DISTINCT: usize = 1024;

/// How many distinct values a column holds: exact (up to 64-bit hash
/// collisions) for the first [`EXACT_DISTINCT`], then a HyperLogLog
/// estimate.
#[derive(Debug, Clone, Default)]
pub struct Distinct {
    counted: Counted,
    /// The last hash counted: columns often repeat a value from one offer
    /// to the next (a board, a licence, a flag), and a repeat costs
    /// nothing then.
    last: Option<u64>,
}

#[derive(Debug, Clone)]
enum Counted {
    /// The hashes seen so far.
    Exact(HashSet<u64, BuildHasherDefault<Prehashed>>),
    /// HyperLogLog registers.
    Estimate(Box<[u8; HLL_REGISTERS]>),
}

impl Default for Counted {
    fn default() -> Self {
        Counted::Exact(HashSet::default())
    }
}

impl Distinct {
    /// Counts a value by its [`hash`].
    pub fn add(&mut self, h: u64) {
        if self.last == Some(h) {
            return;
        }
        self.last = Some(h);
        match &mut self.counted {
            Counted::Exact(set) => {
                if set.insert(h) && set.len() > EXACT_DISTINCT {
                    let mut registers = Box::new([0u8; HLL_REGISTERS]);
                    for &h in set.iter() {
                        hll_add(&mut registers, h);
                    }
                    self.counted = Counted::Estimate(registers);
                }
            }
            Counted::Estimate(registers) => hll_add(registers, h),
        }
    }

    /// Whether [`Distinct::count`] is exact.
    pub fn is_exact(&self) -> bool {
        matches!(self.counted, Counted::Exact(_))
    }

    /// The number of distinct values, exact or estimated.
    pub fn count(&self) -> u64 {
        match &self.counted {
            Counted::Exact(set) => set.len() as u64,
            Counted::Estimate(registers) => hll_estimate(registers),
        }
    }
}

fn hll_add(registers: &mut [u8; HLL_REGISTERS], h: u64) {
    let index = (h >> (64 - HLL_BITS)) as usize;
    // The rank of the first 1 bit in the remaining bits (1-based).
    let rest = (h << HLL_BITS) | (1 << (HLL_BITS - 1));
    let rank = rest.leading_zeros() as u8 + 1;
    if registers[index] < rank {
        registers[index] = rank;
    }
}

/// The HyperLogLog estimate (Flajolet et al. 2007), with linear counting
/// for small cardinalities; 64-bit hashes need no large-range correction.
fn hll_estimate(registers: &[u8; HLL_REGISTERS]) -> u64 {
    let m = HLL_REGISTERS as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let (sum, zeros) = registers.iter().fold((0.0, 0u32), |(s, z), &r| {
        (s + 2f64.powi(-i32::from(r)), z + u32::from(r == 0))
    });
    let raw = alpha * m * m / sum;
    let estimate = if raw <= 2.5 * m && zeros > 0 {
        m * (m / f64::from(zeros)).ln()
    } else {
        raw
    };
    estimate.round() as u64
}

/// The most frequent keys of a stream, with the space-saving algorithm
/// (Metwally et al. 2005) over an indexed min-heap: at most `capacity`
/// keys are kept; a new key, when full, takes the place of the least
/// counted one and inherits its count as its possible error.
///
/// Every key seen more than N / capacity times (N: every key counted) is
/// kept, and a kept key's count is too high by at most its `error`, itself
/// at most N / capacity. While fewer than `capacity` distinct keys came,
/// every count is exact.
#[derive(Debug, Clone)]
pub struct TopK {
    capacity: usize,
    /// The key's slot in `slots`.
    index: FastMap<Box<str>, u32>,
    slots: Vec<Slot>,
    /// A min-heap of slot numbers by count.
    heap: Vec<u32>,
    /// Where each slot is in `heap`.
    position: Vec<u32>,
    evicted: bool,
}

#[derive(Debug, Clone)]
struct Slot {
    key: Box<str>,
    /// A label kept with the key (the occupation's name for its code).
    label: Option<Box<str>>,
    count: u64,
    error: u64,
}

impl TopK {
    /// An empty summary of at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        TopK {
            capacity: capacity.max(1),
            index: FastMap::default(),
            slots: Vec::new(),
            heap: Vec::new(),
            position: Vec::new(),
            evicted: false,
        }
    }

    /// Counts `key` once.
    pub fn add(&mut self, key: &str) {
        self.add_labeled(key, None);
    }

    /// Counts `key` once, keeping `label` with it when the key is new.
    pub fn add_labeled(&mut self, key: &str, label: Option<&str>) {
        if let Some(&slot) = self.index.get(key) {
            let s = &mut self.slots[slot as usize];
            s.count += 1;
            if s.label.is_none() {
                s.label = label.map(Into::into);
            }
            self.sift_down(self.position[slot as usize] as usize);
            return;
        }
        let label = label.map(Into::into);
        if self.slots.len() < self.capacity {
            let slot = self.slots.len() as u32;
            self.slots.push(Slot {
                key: key.into(),
                label,
                count: 1,
                error: 0,
            });
            self.index.insert(key.into(), slot);
            self.heap.push(slot);
            self.position.push(self.heap.len() as u32 - 1);
            self.sift_up(self.heap.len() - 1);
            return;
        }
        // Full: the least counted key makes room.
        self.evicted = true;
        let slot = self.heap[0];
        let s = &mut self.slots[slot as usize];
        let old = std::mem::replace(&mut s.key, key.into());
        s.label = label;
        s.error = s.count;
        s.count += 1;
        self.index.remove(&old);
        self.index.insert(key.into(), slot);
        self.sift_down(0);
    }

    /// The largest error of a count: 0 while no key was ever replaced.
    pub fn max_error(&self) -> u64 {
        if self.evicted {
            self.heap
                .first()
                .map_or(0, |&s| self.slots[s as usize].count)
        } else {
            0
        }
    }

    /// The `n` most counted keys, most first (ties by key), with their
    /// label and count.
    pub fn top(&self, n: usize) -> Vec<(&str, Option<&str>, u64)> {
        let mut all: Vec<&Slot> = self.slots.iter().collect();
        all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        all.into_iter()
            .take(n)
            .map(|s| (&*s.key, s.label.as_deref(), s.count))
            .collect()
    }

    fn count_at(&self, heap_pos: usize) -> u64 {
        self.slots[self.heap[heap_pos] as usize].count
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.position[self.heap[a] as usize] = a as u32;
        self.position[self.heap[b] as usize] = b as u32;
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.count_at(parent) <= self.count_at(i) {
                break;
            }
            self.swap(parent, i);
            i = parent;
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut least = i;
            if l < self.heap.len() && self.count_at(l) < self.count_at(least) {
                least = l;
            }
            if r < self.heap.len() && self.count_at(r) < self.count_at(least) {
                least = r;
            }
            if least == i {
                return;
            }
            self.swap(i, least);
            i = least;
        }
    }
}

/// Values kept exactly before switching to buckets.
const EXACT_VALUES: usize = 4096;
/// The relative error of a bucket's value: 0.5%.
const RELATIVE_ERROR: f64 = 0.005;
/// Buckets cover positive values from 10^-2 to 10^9 (salaries); values
/// outside are clamped to the first or last bucket, and the exact minimum
/// and maximum are kept apart.
const LOW: f64 = 1e-2;
const HIGH: f64 = 1e9;

/// Quartiles of a stream of numbers: exact (linear interpolation between
/// the closest ranks, as numpy's default) over the first 4,096 values,
/// then a log-bucket sketch (DDSketch, Masson et al. 2019) whose every
/// quantile is within 0.5% of the exact value at that rank. Minimum,
/// maximum and count stay exact.
#[derive(Debug, Clone, Default)]
pub struct Quantiles {
    count: u64,
    min: f64,
    max: f64,
    values: Vec<f64>,
    /// Counts per bucket once past [`EXACT_VALUES`]; values ≤ 0 go to
    /// `non_positive`.
    buckets: Option<Vec<u64>>,
    non_positive: u64,
}

/// The statistics of a [`Quantiles`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Values counted.
    pub count: u64,
    /// The smallest.
    pub min: f64,
    /// The first quartile.
    pub q1: f64,
    /// The median.
    pub median: f64,
    /// The third quartile.
    pub q3: f64,
    /// The largest.
    pub max: f64,
    /// Whether the quartiles are exact (else within 0.5%).
    pub exact: bool,
}

fn gamma() -> f64 {
    (1.0 + RELATIVE_ERROR) / (1.0 - RELATIVE_ERROR)
}

fn bucket_count() -> usize {
    ((HIGH.ln() - LOW.ln()) / gamma().ln()).ceil() as usize + 1
}

fn bucket_of(v: f64) -> usize {
    let i = ((v.clamp(LOW, HIGH).ln() - LOW.ln()) / gamma().ln()).ceil();
    (i.max(0.0) as usize).min(bucket_count() - 1)
}

/// The value a bucket stands for: within [`RELATIVE_ERROR`] of any value
/// in it.
fn bucket_value(i: usize) -> f64 {
    let g = gamma();
    LOW * g.powi(i as i32) * 2.0 / (1.0 + g)
}

impl Quantiles {
    /// Counts `v` (NaN is ignored).
    pub fn add(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        if self.count == 0 {
            self.min = v;
            self.max = v;
        } else {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
        self.count += 1;
        match &mut self.buckets {
            Some(_) => self.bucket(v),
            None => {
                self.values.push(v);
                if self.values.len() > EXACT_VALUES {
                    self.buckets = Some(vec![0; bucket_count()]);
                    for v in std::mem::take(&mut self.values) {
                        self.bucket(v);
                    }
                }
            }
        }
    }

    fn bucket(&mut self, v: f64) {
        if v <= 0.0 {
            self.non_positive += 1;
        } else if let Some(b) = &mut self.buckets {
            b[bucket_of(v)] += 1;
        }
    }

    /// Count, minimum, quartiles and maximum; `None` before any value.
    pub fn summary(&self) -> Option<Summary> {
        if self.count == 0 {
            return None;
        }
        let q = |p: f64| match &self.buckets {
            None => exact_quantile(&self.values, p),
            Some(b) => self.bucket_quantile(b, p),
        };
        Some(Summary {
            count: self.count,
            min: self.min,
            q1: q(0.25),
            median: q(0.5),
            q3: q(0.75),
            max: self.max,
            exact: self.buckets.is_none(),
        })
    }

    fn bucket_quantile(&self, buckets: &[u64], p: f64) -> f64 {
        let rank = (p * (self.count - 1) as f64).round() as u64;
        if rank < self.non_positive {
            return self.min;
        }
        let mut seen = self.non_positive;
        for (i, &n) in buckets.iter().enumerate() {
            seen += n;
            if seen > rank {
                return bucket_value(i).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

/// The `p` quantile of `values` by linear interpolation between the
/// closest ranks (numpy's default, Hyndman and Fan's type 7).
fn exact_quantile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let h = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Exact counts of a small domain (contract types, départements, days):
/// at most `cap` distinct keys, later ones counted under `other`, so a
/// board sending garbage cannot grow memory.
#[derive(Debug, Clone)]
pub struct Counter {
    cap: usize,
    counts: FastMap<Box<str>, u64>,
    other: u64,
}

impl Counter {
    /// An empty counter of at most `cap` keys.
    pub fn new(cap: usize) -> Self {
        Counter {
            cap,
            counts: FastMap::default(),
            other: 0,
        }
    }

    /// Counts `key` once.
    pub fn add(&mut self, key: &str) {
        if let Some(n) = self.counts.get_mut(key) {
            *n += 1;
        } else if self.counts.len() < self.cap {
            self.counts.insert(key.into(), 1);
        } else {
            self.other += 1;
        }
    }

    /// Every key with its count, by key.
    pub fn sorted(&self) -> Vec<(&str, u64)> {
        let mut all: Vec<(&str, u64)> = self.counts.iter().map(|(k, &n)| (&**k, n)).collect();
        all.sort_unstable();
        all
    }

    /// The count of `key`.
    pub fn get(&self, key: &str) -> u64 {
        self.counts.get(key).copied().unwrap_or(0)
    }

    /// What came after the cap was reached.
    pub fn other(&self) -> u64 {
        self.other
    }

    /// Every count added up, `other` included.
    pub fn total(&self) -> u64 {
        self.counts.values().sum::<u64>() + self.other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_spreads_close_inputs() {
        assert_ne!(hash(b"a"), hash(b"b"));
        assert_ne!(hash(b""), hash(b"\0"));
        assert_ne!(hash(&[0; 16]), hash(&[0; 17]));
        // Every length, every byte position counts.
        for len in 1..100 {
            let base = vec![b'a'; len];
            let h = hash(&base);
            for i in 0..len {
                let mut other = base.clone();
                other[i] = b'b';
                assert_ne!(hash(&other), h, "len {len}, byte {i}");
            }
        }
        assert_eq!(hash(b"CDI"), hash(b"CDI"));
        // Every output bit is set about half the time.
        let ones: Vec<u32> = (0..64)
            .map(|bit| {
                (0..4000u32)
                    .filter(|i| hash(format!("offer-{i}").as_bytes()) >> bit & 1 == 1)
                    .count() as u32
            })
            .collect();
        assert!(ones.iter().all(|&n| (1800..2200).contains(&n)), "{ones:?}");
    }

    #[test]
    fn distinct_is_exact_then_close() {
        let mut d = Distinct::default();
        for i in 0..1000 {
            d.add(hash(format!("{}", i % 700).as_bytes()));
        }
        assert!(d.is_exact());
        assert_eq!(d.count(), 700);
        for n in [5_000u64, 50_000, 500_000] {
            let mut d = Distinct::default();
            for i in 0..n {
                d.add(hash(format!("employer {i}").as_bytes()));
                d.add(hash(format!("employer {}", i / 2).as_bytes()));
            }
            assert!(!d.is_exact());
            let error = (d.count() as f64 - n as f64).abs() / n as f64;
            assert!(error < 0.05, "{n}: {} ({error:.3})", d.count());
        }
    }

    #[test]
    fn top_k_is_exact_under_capacity_and_keeps_heavy_hitters_over_it() {
        let mut t = TopK::new(10);
        for (key, n) in [("SQL", 5), ("Python", 3), ("R", 3), ("Excel", 1)] {
            for _ in 0..n {
                t.add(key);
            }
        }
        assert_eq!(
            t.top(3),
            [("SQL", None, 5), ("Python", None, 3), ("R", None, 3)]
        );
        assert_eq!(t.max_error(), 0);

        // 10 heavy keys, 500 times each, spread among 100,000 keys seen
        // once each: N / capacity is 105, below 500, so all ten are kept.
        let mut t = TopK::new(1000);
        let mut n = 0u64;
        for i in 0..100_000u64 {
            t.add(&format!("rare {i}"));
            n += 1;
            if i % 20 == 0 {
                t.add(&format!("heavy {}", i / 20 % 10));
                n += 1;
            }
        }
        let top = t.top(10);
        assert!(
            top.iter().all(|(k, _, _)| k.starts_with("heavy")),
            "{top:?}"
        );
        assert!(t.max_error() <= n / 1000, "{}", t.max_error());
        assert!(
            top.iter()
                .all(|&(_, _, c)| (500..=500 + n / 1000).contains(&c)),
            "counts are too high by at most N / capacity: {top:?}"
        );
        assert_eq!(t.index.len(), 1000, "memory stays at the capacity");
    }

    #[test]
    fn quantiles_are_exact_then_within_half_a_percent() {
        let mut q = Quantiles::default();
        for v in [1.0, 2.0, 3.0, 4.0, 10.0] {
            q.add(v);
        }
        let s = q.summary().unwrap();
        assert_eq!(
            (s.min, s.q1, s.median, s.q3, s.max),
            (1.0, 2.0, 3.0, 4.0, 10.0)
        );
        assert!(s.exact);
        let mut q = Quantiles::default();
        q.add(1.0);
        q.add(2.0);
        assert_eq!(q.summary().unwrap().median, 1.5);

        let mut q = Quantiles::default();
        let values: Vec<f64> = (0..100_000u64)
            .map(|i| 1500.0 + (hash(&i.to_le_bytes()) % 300_000) as f64 / 100.0)
            .collect();
        for &v in &values {
            q.add(v);
        }
        let s = q.summary().unwrap();
        assert!(!s.exact);
        for (p, got) in [(0.25, s.q1), (0.5, s.median), (0.75, s.q3)] {
            let want = exact_quantile(&values, p);
            assert!((got - want).abs() / want < 0.006, "{p}: {got} vs {want}");
        }
        assert_eq!(s.count, 100_000);
        assert!(q.values.is_empty(), "values are dropped once bucketed");
    }

    #[test]
    fn counter_caps_its_keys() {
        let mut c = Counter::new(2);
        for k in ["CDI", "CDD", "CDI", "MIS", "LIB"] {
            c.add(k);
        }
        assert_eq!(c.sorted(), [("CDD", 1), ("CDI", 2)]);
        assert_eq!((c.other(), c.total()), (2, 5));
    }
}
