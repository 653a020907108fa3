//! A set of 64-bit keys that costs about 8 bytes a key, for the run-wide
//! "seen" sets (offer ids, fingerprints).
//!
//! A `HashSet<u64>` costs 9 bytes a bucket at a load of at most 7/8, and
//! doubles its table on growth: at a million keys it held 18 MB, and 27 MB
//! while resizing, which was most of what a 1M-offer replay used over a
//! 100k one. Here new keys go to a small hash set; when it fills, its keys
//! are sorted and merged into one sorted vector, in place from the back, so
//! the vector is only ever its keys plus the room for the merge.

use std::collections::HashSet;

/// New keys held in the hash set before they are merged into the sorted
/// vector (about 1 MB of table).
const RECENT: usize = 1 << 16;

/// A set of `u64` keys, about 8 bytes a key.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    /// Every key merged so far, ascending, without repeats.
    sorted: Vec<u64>,
    /// Keys inserted since the last merge; none of them is in `sorted`.
    recent: HashSet<u64>,
}

impl KeySet {
    /// Adds `key`; `true` when it was not in the set.
    pub(crate) fn insert(&mut self, key: u64) -> bool {
        if self.sorted.binary_search(&key).is_ok() || !self.recent.insert(key) {
            return false;
        }
        if self.recent.len() >= RECENT {
            self.merge();
        }
        true
    }

    /// Moves the recent keys into the sorted vector.
    fn merge(&mut self) {
        let mut new: Vec<u64> = self.recent.drain().collect();
        new.sort_unstable();
        let old = self.sorted.len();
        self.sorted.reserve_exact(new.len());
        self.sorted.resize(old + new.len(), 0);
        // Merge from the back: the largest remaining key goes to the last
        // free slot, so no key of `sorted` is overwritten before it moved.
        let (mut i, mut j) = (old, new.len());
        for slot in (0..self.sorted.len()).rev() {
            if j == 0 {
                break; // the rest of `sorted` is already in place
            }
            if i > 0 && self.sorted[i - 1] > new[j - 1] {
                self.sorted[slot] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[slot] = new[j - 1];
                j -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(set: &KeySet) -> usize {
        set.sorted.len() + set.recent.len()
    }

    /// A deterministic stream of well-spread keys with repeats.
    fn keys(n: u64) -> impl Iterator<Item = u64> {
        (0..n).map(move |i| (i % (n / 3 + 1)).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5555)
    }

    #[test]
    fn agrees_with_a_hash_set_across_many_merges() {
        let mut set = KeySet::default();
        let mut reference = HashSet::new();
        // Several times RECENT, so keys are found in the sorted part, in the
        // recent part, and across merges.
        for key in keys(5 * RECENT as u64) {
            assert_eq!(set.insert(key), reference.insert(key), "key {key}");
        }
        assert_eq!(len(&set), reference.len());
        assert!(set.sorted.len() >= RECENT, "no merge happened");
        assert!(set.sorted.windows(2).all(|w| w[0] < w[1]));
        for key in keys(5 * RECENT as u64) {
            assert!(!set.insert(key), "key {key} lost");
        }
        assert!(set.insert(1));
    }

    #[test]
    fn merges_keys_smaller_and_larger_than_every_merged_key() {
        let mut set = KeySet::default();
        for k in 1_000_000..1_000_000 + RECENT as u64 {
            assert!(set.insert(k));
        }
        assert_eq!(set.recent.len(), 0);
        // Interleave below, inside and above the merged range.
        let mut next = Vec::new();
        for k in 0..RECENT as u64 / 2 {
            next.push(k);
            next.push(2_000_000 + k);
        }
        for &k in &next {
            assert!(set.insert(k));
            assert!(!set.insert(k));
        }
        assert!(!set.insert(1_000_005));
        assert_eq!(len(&set), 2 * RECENT);
        assert!(set.sorted.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(set.sorted.first(), Some(&0));
        assert_eq!(
            set.sorted.last(),
            Some(&(2_000_000 + RECENT as u64 / 2 - 1))
        );
    }

    #[test]
    fn memory_is_about_eight_bytes_a_key() {
        let mut set = KeySet::default();
        for k in keys(3 * 1_000_000) {
            set.insert(k);
        }
        assert_eq!(len(&set), 1_000_001);
        let bytes = set.sorted.capacity() * 8 + set.recent.capacity() * 9;
        assert!(bytes < 10_000_000, "{bytes} bytes for 1M keys");
    }
}
