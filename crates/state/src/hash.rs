//! The content hash: what "this offer changed" means.
//!
//! [`content_hash`] is SHA-256 over a canonical, length-prefixed encoding of
//! the record's columns, so it is the same on every machine and every run.
//! Two choices keep it honest:
//!
//! - Columns that change without the offer changing are left out:
//!   [`EXCLUDED`] lists them. `change`, `first_seen_at`, `last_seen_at` and
//!   `removed_at` are written by the state itself; `fingerprint` is derived
//!   from other columns; `raw` is the board's payload, which carries fields
//!   that move on their own (tracking tokens, search scores, the order of
//!   keys) while everything an offer *says* is already in a column.
//! - Null columns and empty lists are skipped, name and all. Adding a column
//!   to `JobRecord` therefore changes no existing hash until a connector
//!   fills it.
//!
//! The encoding: the domain string `jobharvest content hash v1\0`, then for
//! each kept column in [`COLUMNS`] order its name (every byte string is
//! written as its length, u64 little-endian, then its bytes), a tag and the
//! value: `s` and the text; `f` and the IEEE-754 bits (u64 LE, `-0` as `0`);
//! `i` and the i64 LE; `t` or `n` for true or false; `d`, the Unix seconds
//! (i64 LE) and the nanoseconds (u32 LE); `l`, the item count (u64 LE) and
//! each item.

use std::fmt;

use jobharvest_core::{COLUMNS, Cell, JobRecord};
use ring::digest::{Context, SHA256};

/// The columns left out of the content hash.
pub const EXCLUDED: &[&str] = &[
    "change",
    "first_seen_at",
    "last_seen_at",
    "removed_at",
    "fingerprint",
    "raw",
];

/// Bumped if the encoding below ever changes (every offer then reads as
/// updated once).
const DOMAIN: &[u8] = b"jobharvest content hash v1\0";

/// A SHA-256 digest of an offer's content.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    /// The digest as bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

/// The content hash of `record`.
pub fn content_hash(record: &JobRecord) -> ContentHash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(DOMAIN);
    for (column, cell) in COLUMNS.iter().zip(record.cells()) {
        if EXCLUDED.contains(&column.name) {
            continue;
        }
        if matches!(cell, Cell::Null | Cell::List([])) {
            continue;
        }
        bytes(&mut ctx, column.name.as_bytes());
        match cell {
            Cell::Null => {}
            Cell::Text(s) => {
                ctx.update(b"s");
                bytes(&mut ctx, s.as_bytes());
            }
            Cell::Float(x) => {
                // -0.0 and 0.0 are the same amount.
                let x = if x == 0.0 { 0.0 } else { x };
                ctx.update(b"f");
                ctx.update(&x.to_bits().to_le_bytes());
            }
            Cell::Int(i) => {
                ctx.update(b"i");
                ctx.update(&i.to_le_bytes());
            }
            Cell::Bool(b) => ctx.update(if b { b"t" } else { b"n" }),
            Cell::Timestamp(t) => {
                ctx.update(b"d");
                ctx.update(&t.timestamp().to_le_bytes());
                ctx.update(&t.timestamp_subsec_nanos().to_le_bytes());
            }
            Cell::List(items) => {
                ctx.update(b"l");
                ctx.update(&(items.len() as u64).to_le_bytes());
                for item in items {
                    bytes(&mut ctx, item.as_bytes());
                }
            }
        }
    }
    let digest = ctx.finish();
    let mut out = [0; 32];
    out.copy_from_slice(digest.as_ref());
    ContentHash(out)
}

/// Feeds `b` with its length first, so no two sequences encode alike.
fn bytes(ctx: &mut Context, b: &[u8]) {
    ctx.update(&(b.len() as u64).to_le_bytes());
    ctx.update(b);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn offer() -> JobRecord {
        let mut r = JobRecord::new("france_travail", "177NMLN");
        r.title = Some("Data analyst (H/F)".into());
        r.salary_min = Some(2500.0);
        r.positions = Some(1);
        r.alternance = Some(false);
        r.updated_at = Some(Utc.with_ymd_and_hms(2024, 7, 8, 9, 30, 0).unwrap());
        r.skills = vec!["SQL".into(), "Python".into()];
        r
    }

    #[test]
    fn is_pinned_so_it_stays_stable_across_versions_and_machines() {
        // Computed independently (Python's hashlib over the encoding the
        // module docs describe). If this changes, every offer of every state
        // reads as updated once: bump DOMAIN on purpose, never by accident.
        assert_eq!(
            content_hash(&offer()).to_string(),
            "6d0adea125ddc1f8328de6ca240438d2a45a1179e41fa94bfcf591d8209aa47e"
        );
    }

    #[test]
    fn ignores_the_columns_that_move_on_their_own() {
        let base = content_hash(&offer());
        let mut r = offer();
        r.change = Some("updated".into());
        r.first_seen_at = Some(Utc::now());
        r.last_seen_at = Some(Utc::now());
        r.removed_at = Some(Utc::now());
        r.fingerprint = Some("abc".into());
        r.raw = Some(r#"{"score": 0.93}"#.into());
        assert_eq!(content_hash(&r), base);
    }

    #[test]
    fn sees_every_content_change() {
        let base = content_hash(&offer());
        let changes: Vec<fn(&mut JobRecord)> = vec![
            |r| r.title = Some("Data analyst".into()),
            |r| r.title = None,
            |r| r.salary_min = Some(2501.0),
            |r| r.positions = Some(2),
            |r| r.alternance = Some(true),
            |r| r.updated_at = Some(Utc.with_ymd_and_hms(2024, 7, 9, 9, 30, 0).unwrap()),
            |r| r.skills.reverse(),
            |r| r.skills = vec!["SQLPython".into()],
            |r| r.source_id = "177NMLP".into(),
            |r| r.contact_name = Some("M. Martin".into()),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut r = offer();
            change(&mut r);
            assert_ne!(content_hash(&r), base, "change #{i} went unnoticed");
        }
    }

    #[test]
    fn a_value_moved_to_another_column_is_a_change() {
        let mut a = JobRecord::new("s", "1");
        a.title = Some("x".into());
        let mut b = JobRecord::new("s", "1");
        b.description = Some("x".into());
        assert_ne!(content_hash(&a), content_hash(&b));
        let mut c = JobRecord::new("s", "1");
        c.salary_min = Some(0.0);
        let mut d = c.clone();
        d.salary_min = Some(-0.0);
        assert_eq!(content_hash(&c), content_hash(&d));
    }
}
