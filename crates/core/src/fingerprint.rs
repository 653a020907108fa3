//! The cross-board duplicate key: [`fingerprint`].
//!
//! The same job is often posted on several boards, each spelling it its own
//! way ("Développeur Rust (H/F)" at "ACME SAS" in "75 - Paris" on one,
//! "Developpeur rust" at "Acme" in "Paris, Île-de-France" on another). The
//! fingerprint hashes what stays the same once the spelling is normalized:
//!
//! 1. the company ([`normalize_company`]): normalized text without legal
//!    forms (`sas`, `sarl`, `gmbh`, `ltd`, ...);
//! 2. the title ([`normalize_title`]): normalized text without gender
//!    markers (`h/f`, `m/w/d`, ...);
//! 3. the city ([`normalize_city`]): the first part of the location label,
//!    without postal codes, département numbers or arrondissements;
//! 4. the publication week: the ISO year and week of `created_at`
//!    (`2024-W27`).
//!
//! "Normalized text" ([`normalize_text`]) is: lower case, accents folded
//! (`é` → `e`, `œ` → `oe`, `ß` → `ss`), dots and apostrophes dropped
//! (`S.A.S.` → `sas`, `L'Oréal` → `loreal`), any other character that is not
//! a letter or a digit turned into a space, and runs of spaces collapsed.
//!
//! The four parts are joined with the unit separator (U+001F) and hashed
//! with 64-bit FNV-1a (offset basis `0xcbf29ce484222325`, prime
//! `0x100000001b3`) over their UTF-8 bytes; the fingerprint is the hash in
//! 16 lower-case hex digits. FNV-1a is fully specified and needs no
//! dependency, so a value is the same across runs, versions and machines; at
//! a million offers the chance that two different jobs share a value is
//! below one in ten million. A record without a title has no fingerprint.

use std::fmt::Write as _;

use chrono::Datelike;

use crate::record::JobRecord;

/// Legal forms dropped from company names, as whole words after
/// normalization.
pub const LEGAL_FORMS: &[&str] = &[
    "sa",
    "sas",
    "sasu",
    "sarl",
    "eurl",
    "sci",
    "snc",
    "scop",
    "gie",
    "gmbh",
    "ag",
    "kg",
    "ug",
    "ohg",
    "ev",
    "ltd",
    "limited",
    "llc",
    "llp",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "plc",
    "co",
    "bv",
    "nv",
    "srl",
    "spa",
    "sl",
    "se",
    "ab",
    "as",
    "oy",
];

/// The fingerprint of `record`, or `None` when it has no title.
///
/// The key is hashed as it is built, through one reused buffer: this runs
/// for every record of every harvest.
pub fn fingerprint(record: &JobRecord) -> Option<String> {
    let mut buf = String::with_capacity(128);
    title_into(&mut buf, record.title.as_deref()?);
    if buf.is_empty() {
        return None;
    }
    let mut hash = Fnv1a64::new();
    let title = std::mem::take(&mut buf);
    if let Some(company) = record.company_name.as_deref() {
        normalize_into(&mut buf, company);
        hash_words(&mut hash, &buf, keep_company_word);
    }
    hash.write(SEPARATOR);
    hash.write(title.as_bytes());
    hash.write(SEPARATOR);
    if let Some(label) = record.location_label.as_deref() {
        buf.clear();
        normalize_into(&mut buf, label.split(',').next().unwrap_or_default());
        hash_words(&mut hash, &buf, keep_city_word);
    }
    hash.write(SEPARATOR);
    if let Some(t) = record.created_at {
        let w = t.iso_week();
        buf.clear();
        // Writing to a String cannot fail.
        let _ = write!(buf, "{}-W{:02}", w.year(), w.week());
        hash.write(buf.as_bytes());
    }
    Some(format!("{:016x}", hash.finish()))
}

/// Hashes the words of `text` that `keep` keeps, separated by spaces.
fn hash_words(hash: &mut Fnv1a64, text: &str, keep: fn(&str) -> bool) {
    let mut first = true;
    for word in text.split(' ').filter(|w| keep(w)) {
        if !first {
            hash.write(b" ");
        }
        hash.write(word.as_bytes());
        first = false;
    }
}

/// The parts of the key are joined with the unit separator, U+001F.
const SEPARATOR: &[u8] = b"\x1f";

/// 64-bit FNV-1a, fed in pieces.
struct Fnv1a64(u64);

impl Fnv1a64 {
    fn new() -> Self {
        Fnv1a64(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// 64-bit FNV-1a of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash = Fnv1a64::new();
    hash.write(bytes);
    hash.finish()
}

/// Lower case, accents folded, dots and apostrophes dropped, other
/// punctuation turned into spaces, spaces collapsed.
pub fn normalize_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(&mut out, text);
    out
}

/// Appends the normalized words of `text` to `out`, a space before each
/// word when `out` already holds some.
fn normalize_into(out: &mut String, text: &str) {
    let mut space = true;
    // Runs for every record: ASCII (most of any label) skips Unicode
    // lowercasing, which costs an iterator per character.
    for c in text.chars() {
        if c.is_ascii() {
            normalize_char(out, &mut space, c.to_ascii_lowercase());
        } else {
            for c in c.to_lowercase() {
                normalize_char(out, &mut space, c);
            }
        }
    }
}

/// One lowercased character of [`normalize_into`].
fn normalize_char(out: &mut String, space: &mut bool, c: char) {
    match c {
        '.' | '\'' | '’' | '`' | '´' => {}
        c if c.is_alphanumeric() => {
            if *space && !out.is_empty() {
                out.push(' ');
            }
            *space = false;
            push_folded(out, c);
        }
        _ => *space = true,
    }
}

fn keep_company_word(word: &str) -> bool {
    !LEGAL_FORMS.contains(&word)
}

fn keep_city_word(word: &str) -> bool {
    !word.chars().any(|c| c.is_ascii_digit())
        && !matches!(word, "cedex" | "arrondissement" | "er" | "e")
}

/// The company name, normalized, without legal forms.
pub fn normalize_company(name: &str) -> String {
    let text = normalize_text(name);
    let kept: Vec<&str> = text.split(' ').filter(|w| keep_company_word(w)).collect();
    kept.join(" ")
}

/// The title, normalized, without gender markers (`(H/F)`, `m/w/d`, `F/H/X`).
pub fn normalize_title(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    title_into(&mut out, title);
    out
}

fn title_into(out: &mut String, title: &str) {
    // Runs for every character of every title: a `matches!` is a few
    // comparisons where `"()[]…".contains(c)` searched a string each time.
    let separator = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '(' | ')' | '[' | ']' | '{' | '}' | ',' | ';' | '|' | '–' | '—'
            )
    };
    for word in title.split(separator) {
        if !is_gender_marker(word.trim_matches(|c: char| c == '-' || c == ':')) {
            normalize_into(out, word);
        }
    }
}

fn is_gender_marker(word: &str) -> bool {
    let mut parts = 0;
    for part in word.split('/') {
        let mut chars = part.chars();
        let single = matches!(
            (chars.next().map(|c| c.to_ascii_lowercase()), chars.next()),
            (Some('h' | 'f' | 'm' | 'w' | 'd' | 'x'), None)
        );
        if !single {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

/// The city of a location label: its first comma-separated part, without
/// postal codes, département numbers (`75 - Paris`, `Paris (75)`) or
/// arrondissements, normalized.
pub fn normalize_city(label: &str) -> String {
    let text = normalize_text(label.split(',').next().unwrap_or_default());
    let kept: Vec<&str> = text.split(' ').filter(|w| keep_city_word(w)).collect();
    kept.join(" ")
}

/// Pushes `c` (lower case) without its accent.
fn push_folded(out: &mut String, c: char) {
    let folded: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        c => {
            out.push(c);
            return;
        }
    };
    out.push_str(folded);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn job(company: &str, title: &str, place: &str, day: u32) -> JobRecord {
        let mut r = JobRecord::new("b", "1");
        r.company_name = Some(company.into());
        r.title = Some(title.into());
        r.location_label = Some(place.into());
        r.created_at = Some(Utc.with_ymd_and_hms(2024, 7, day, 9, 30, 0).unwrap());
        r
    }

    #[test]
    fn text_is_folded_and_collapsed() {
        assert_eq!(normalize_text("  Crème   BRÛLÉE!! "), "creme brulee");
        assert_eq!(normalize_text("L'Œuvre S.A.S."), "loeuvre sas");
        assert_eq!(normalize_text("Straße—Zürich"), "strasse zurich");
    }

    #[test]
    fn legal_forms_and_markers_and_postal_codes_go() {
        assert_eq!(normalize_company("ACME S.A.S."), "acme");
        assert_eq!(normalize_company("Müller GmbH & Co. KG"), "muller");
        assert_eq!(
            normalize_title("Développeur Rust (H/F)"),
            "developpeur rust"
        );
        assert_eq!(normalize_title("Rust Developer (m/w/d)"), "rust developer");
        assert_eq!(normalize_city("75 - PARIS 08"), "paris");
        assert_eq!(normalize_city("Paris 8e Arrondissement"), "paris");
        assert_eq!(normalize_city("Lyon (69)"), "lyon");
        assert_eq!(normalize_city("Versailles, Yvelines"), "versailles");
        assert_eq!(normalize_city("78000 Versailles Cedex"), "versailles");
    }

    #[test]
    fn the_same_job_spelt_differently_on_two_boards_has_one_fingerprint() {
        // Monday and Friday of ISO week 2024-W28.
        let a = job("ACME SAS", "Développeur Rust (H/F)", "75 - Paris 8e", 8);
        let b = job("Acme", "developpeur  RUST", "Paris, Île-de-France", 12);
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a).unwrap().len(), 16);
    }

    #[test]
    fn different_jobs_have_different_fingerprints() {
        let base = job("Acme", "Développeur Rust", "Paris", 8);
        let others = [
            job("Globex", "Développeur Rust", "Paris", 8),
            job("Acme", "Développeur Go", "Paris", 8),
            job("Acme", "Développeur Rust", "Lyon", 8),
            // Sunday of the week before (2024-W27).
            job("Acme", "Développeur Rust", "Paris", 7),
        ];
        for other in &others {
            assert_ne!(fingerprint(&base), fingerprint(other), "{other:?}");
        }
    }

    #[test]
    fn no_title_no_fingerprint_and_missing_parts_are_empty() {
        let mut r = job("Acme", "", "Paris", 8);
        assert_eq!(fingerprint(&r), None);
        r.title = None;
        assert_eq!(fingerprint(&r), None);
        let bare = JobRecord {
            title: Some("Data analyst".into()),
            ..JobRecord::new("b", "2")
        };
        assert!(fingerprint(&bare).is_some());
    }

    #[test]
    fn the_streamed_hash_is_the_documented_key() {
        let r = job(
            "  L'Atelier S.A.R.L. & Co ",
            "Chef·fe de projet (F/H) – CDI",
            "13 - Marseille 2e, Provence",
            9,
        );
        let key = [
            normalize_company(r.company_name.as_deref().unwrap()),
            normalize_title(r.title.as_deref().unwrap()),
            normalize_city(r.location_label.as_deref().unwrap()),
            "2024-W28".to_string(),
        ]
        .join("\u{1f}");
        assert_eq!(
            key,
            "latelier\u{1f}chef fe de projet cdi\u{1f}marseille\u{1f}2024-W28"
        );
        assert_eq!(
            fingerprint(&r),
            Some(format!("{:016x}", fnv1a64(key.as_bytes())))
        );
    }

    #[test]
    fn the_algorithm_is_stable() {
        // FNV-1a 64 test vectors, and one pinned fingerprint: a change here
        // breaks every user's stored fingerprints.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        let r = job("Acme", "Data analyst", "Paris", 8);
        assert_eq!(
            fnv1a64("acme\u{1f}data analyst\u{1f}paris\u{1f}2024-W28".as_bytes()),
            u64::from_str_radix(&fingerprint(&r).unwrap(), 16).unwrap()
        );
        // Computed independently (Python) from the documented algorithm.
        assert_eq!(fingerprint(&r).as_deref(), Some("58deba3626bbb355"));
    }
}
