//! Free-text salary labels → amounts, period and currency.
//!
//! Boards that have no structured salary write a label such as
//! `£38,000 - £42,000 per annum`, `ab 3.500 € brutto im Monat` or
//! `35 000 - 40 000 kr/mån`. [`parse_salary`] reads English, French, German
//! and Swedish labels.
//!
//! It is a tokenizer and a few rules, not a grammar: the label is split
//! into numbers, words and symbols; numbers that cannot be amounts are set
//! aside (counts such as `sur 12 mois`, ordinals such as `13th month`,
//! percentages, dates, times, and years next to a real amount); then the
//! first amount, and the next one when a range word joins them, make the
//! range. Words around the amounts give the period, the currency, and
//! whether a lone amount is a floor (`from`, `ab`, `från`) or a ceiling
//! (`up to`, `bis`, `upp till`). When the rules cannot tell, the answer
//! leaves a field out rather than guessing. The label comes from outside:
//! nothing here panics or slices text off a character boundary, and a call
//! allocates twice (the lowercased label and its tokens), whatever the
//! label holds.
//!
//! What it cannot know: a bare number is taken for an amount (`Job ref
//! 12345` reads as 12345), and `kr` is read as Swedish kronor.

/// What a salary label says.
#[derive(Debug, Clone, PartialEq)]
pub struct Salary {
    /// The lowest amount, in `currency` per `period`; None for a ceiling
    /// alone (`up to £50,000`).
    pub min: Option<f64>,
    /// The highest amount; None for a floor alone (`ab 3.500 €`).
    pub max: Option<f64>,
    /// `"hourly"`, `"daily"`, `"weekly"`, `"monthly"` or `"yearly"`, when
    /// the label names a period.
    pub period: Option<&'static str>,
    /// The ISO 4217 code, when the label names a currency.
    pub currency: Option<&'static str>,
}

const HOURLY: &str = "hourly";
const DAILY: &str = "daily";
const WEEKLY: &str = "weekly";
const MONTHLY: &str = "monthly";
const YEARLY: &str = "yearly";

/// Reads a label such as "$40,000 - $50,000", "£38,000 - £42,000 per annum", "45k €", "40 000 € - 50 000 € par an",
/// "Mensuel de 1800.00 Euros à 2000.00 Euros sur 12 mois", "ab 3.500 € brutto im Monat", "3 500–4 000 EUR/Monat",
/// "35 000 - 40 000 kr/mån", "Fast månadslön 32 000 kr", "€50 per hour", "£400 per day", "Competitive" (→ None).
/// None when the label holds no amount. Never min > max (swap if needed); a single amount gives min == max.
///
/// Numbers: a `,` `.` space, no-break space or apostrophe followed by
/// exactly three digits groups thousands (`3.500` is 3500), a `.` or `,`
/// followed by other digits is a decimal point (`1800.00`, `1 800,50`);
/// `k` multiplies by 1000, and in a range like `45-55k` it applies to both
/// ends.
pub fn parse_salary(label: &str) -> Option<Salary> {
    let lower = label.to_lowercase();
    let mut toks = tokenize(&lower);
    find_amounts(&mut toks);
    drop_years(&mut toks);
    let (min, max) = range(&toks)?;
    Some(Salary {
        min,
        max,
        period: period(&toks),
        currency: currency(&toks),
    })
}

/// A piece of the (lowercased) label.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind<'a> {
    /// A number, before any `k`; `plain` when written as bare digits.
    Num { value: f64, plain: bool },
    /// Digits that cannot be an amount: a date, a time, a version, or
    /// more digits than a salary has.
    Junk,
    /// A run of letters.
    Word(&'a str),
    /// Any other character that is not whitespace.
    Sym(char),
}

#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    kind: Kind<'a>,
    /// Whitespace comes before it.
    spaced: bool,
    /// A period word that belongs to a count (`sur 12 mois`), not to the
    /// salary.
    counted: bool,
    /// For a number that is an amount: its value, `k` applied.
    amount: Option<f64>,
    /// The amount could be a year (`2024`, bare and far from a currency).
    year_like: bool,
}

fn tokenize(lower: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let mut rest = lower;
    let mut spaced = false;
    while let Some(c) = rest.chars().next() {
        let (kind, used) = if c.is_whitespace() {
            spaced = true;
            rest = &rest[c.len_utf8()..];
            continue;
        } else if c.is_ascii_digit() {
            read_number(rest)
        } else if c.is_alphabetic() {
            let used = rest
                .find(|c: char| !c.is_alphabetic())
                .unwrap_or(rest.len());
            (Kind::Word(&rest[..used]), used)
        } else {
            (Kind::Sym(c), c.len_utf8())
        };
        toks.push(Tok {
            kind,
            spaced,
            counted: false,
            amount: None,
            year_like: false,
        });
        spaced = false;
        rest = &rest[used..];
    }
    toks
}

/// Whether `c` can group thousands.
fn is_group_separator(c: char) -> bool {
    matches!(
        c,
        ',' | '.' | ' ' | '\'' | '’' | '\u{a0}' | '\u{202f}' | '\u{2009}'
    )
}

/// Reads the number at the start of `s` (an ASCII digit): its kind and
/// how many bytes it took. Every index used is just past an ASCII byte or
/// a whole character, so every slice is on a character boundary.
fn read_number(s: &str) -> (Kind<'static>, usize) {
    let bytes = s.as_bytes();
    let mut mantissa = Some(0u64);
    let mut scale = 0;
    let mut plain = true;
    let mut at = push_digits(bytes, 0, &mut mantissa);
    while let Some(sep) = s[at..].chars().next().filter(|&c| is_group_separator(c)) {
        let after = at + sep.len_utf8();
        let digits = digit_run(bytes, after);
        if digits == 3 {
            at = push_digits(bytes, after, &mut mantissa);
            plain = false;
        } else if matches!(sep, '.' | ',') && digits > 0 {
            at = push_digits(bytes, after, &mut mantissa);
            scale = i32::try_from(digits).unwrap_or(i32::MAX);
            plain = false;
            break;
        } else {
            break;
        }
    }
    // `01.02.2024`, `9:00`, `31/03/2020`, `1.2.3`: more digits after
    // punctuation make the whole run something other than an amount.
    let continues = |at: usize, punct: &[u8]| {
        bytes.get(at).is_some_and(|b| punct.contains(b))
            && bytes.get(at + 1).is_some_and(u8::is_ascii_digit)
    };
    let date = continues(at, b"/") && continues(at + 1 + digit_run(bytes, at + 1), b"/");
    if continues(at, b".,:") || date {
        let run = bytes[at..]
            .iter()
            .take_while(|&&b| b.is_ascii_digit() || b"./,:".contains(&b))
            .count();
        return (Kind::Junk, at + run);
    }
    match mantissa {
        Some(m) => {
            let value = m as f64 / 10f64.powi(scale);
            (Kind::Num { value, plain }, at)
        }
        None => (Kind::Junk, at),
    }
}

/// How many ASCII digits start at `at`.
fn digit_run(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(at..)
        .map_or(0, |b| b.iter().take_while(|b| b.is_ascii_digit()).count())
}

/// Appends the digits at `at` to `mantissa` (None once it overflows) and
/// answers where they end.
fn push_digits(bytes: &[u8], at: usize, mantissa: &mut Option<u64>) -> usize {
    let end = at + digit_run(bytes, at);
    for &d in &bytes[at..end] {
        *mantissa = mantissa
            .and_then(|m| m.checked_mul(10))
            .and_then(|m| m.checked_add(u64::from(d - b'0')));
    }
    end
}

fn word<'a>(tok: Option<&Tok<'a>>) -> Option<&'a str> {
    match tok?.kind {
        Kind::Word(w) => Some(w),
        _ => None,
    }
}

fn sym(tok: Option<&Tok<'_>>) -> Option<char> {
    match tok?.kind {
        Kind::Sym(c) => Some(c),
        _ => None,
    }
}

fn currency_symbol(c: char) -> Option<&'static str> {
    Some(match c {
        '€' => "EUR",
        '£' => "GBP",
        '$' => "USD",
        '¥' => "JPY",
        '₹' => "INR",
        _ => return None,
    })
}

fn currency_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "eur" | "euro" | "euros" => "EUR",
        "gbp" | "pound" | "pounds" | "sterling" => "GBP",
        "usd" | "dollar" | "dollars" => "USD",
        "sek" | "kr" | "kronor" => "SEK",
        "nok" => "NOK",
        "dkk" => "DKK",
        "chf" => "CHF",
        "cad" => "CAD",
        "aud" => "AUD",
        "nzd" => "NZD",
        "pln" => "PLN",
        "czk" => "CZK",
        "huf" => "HUF",
        "jpy" => "JPY",
        "inr" => "INR",
        "sgd" => "SGD",
        "hkd" => "HKD",
        "zar" => "ZAR",
        "brl" => "BRL",
        "mxn" => "MXN",
        _ => return None,
    })
}

/// A word that multiplies the number before it by 1000, with the currency
/// it names if any: `k`, `tsd`, `tkr`, `keur`, `ksek`.
fn thousands_word(w: &str) -> Option<Option<&'static str>> {
    match w {
        "k" | "tsd" | "tausend" | "mille" | "tusen" => Some(None),
        "tkr" | "kkr" => Some(Some("SEK")),
        // `k` is ASCII: byte 1 is a boundary.
        _ if w.starts_with('k') && currency_word(w).is_none() => currency_word(&w[1..]).map(Some),
        _ => None,
    }
}

/// Whether the token names a currency.
fn is_currency(tok: Option<&Tok<'_>>) -> bool {
    match tok.map(|t| t.kind) {
        Some(Kind::Sym(c)) => currency_symbol(c).is_some(),
        Some(Kind::Word(w)) => {
            currency_word(w).is_some() || thousands_word(w).is_some_and(|c| c.is_some())
        }
        _ => false,
    }
}

/// When a period word counts as one.
#[derive(Clone, Copy, PartialEq)]
enum Needs {
    /// Always (`annum`, `Monat`, `månadslön`).
    Nothing,
    /// After `/`, `per`, `par`, `pro`, ... (`par an`, `l'an`, `kr/mån`,
    /// `$50/hr`; but not `HR Manager`).
    Per,
    /// After that or after an amount or currency (`£30k pa`, `£15ph`).
    PerOrAmount,
}

/// The period a word names; whether it is a noun (so that a small number
/// before it counts periods: `sur 12 mois`); and when it counts.
fn period_word(w: &str) -> Option<(&'static str, bool, Needs)> {
    use Needs::{Nothing, Per, PerOrAmount};
    Some(match w {
        "hour" | "hours" | "heure" | "heures" | "stunde" | "stunden" | "timme" | "timmen"
        | "timmar" => (HOURLY, true, Nothing),
        "h" | "hr" | "hrs" | "std" | "tim" => (HOURLY, true, Per),
        "hourly" | "horaire" | "horaires" | "stündlich" | "stundenlohn" | "stundensatz"
        | "timlön" | "timpris" | "timarvode" => (HOURLY, false, Nothing),
        "ph" => (HOURLY, false, PerOrAmount),
        "day" | "days" | "jour" | "jours" | "tag" | "tage" | "tagen" | "dag" | "dagen"
        | "dagar" => (DAILY, true, Nothing),
        "daily" | "journalier" | "journalière" | "täglich" | "tagessatz" | "dagslön"
        | "dagpris" => (DAILY, false, Nothing),
        "pd" => (DAILY, false, PerOrAmount),
        "week" | "weeks" | "semaine" | "semaines" | "woche" | "wochen" | "vecka" | "veckan"
        | "veckor" => (WEEKLY, true, Nothing),
        "weekly" | "hebdomadaire" | "wöchentlich" | "veckolön" => (WEEKLY, false, Nothing),
        "wk" => (WEEKLY, true, Per),
        "pw" => (WEEKLY, false, PerOrAmount),
        "month" | "months" | "mois" | "monat" | "monate" | "monaten" | "månad" | "månaden"
        | "månader" => (MONTHLY, true, Nothing),
        "mån" | "mo" => (MONTHLY, true, Per),
        "monthly" | "mensuel" | "mensuelle" | "mensuels" | "mensuelles" | "monatlich"
        | "månadslön" | "månatlig" | "månadsvis" => (MONTHLY, false, Nothing),
        "pcm" => (MONTHLY, false, PerOrAmount),
        "year" | "years" | "annum" | "année" | "années" | "jahr" | "jahre" | "jahren" | "år"
        | "året" => (YEARLY, true, Nothing),
        "an" | "ans" | "yr" | "yrs" => (YEARLY, true, Per),
        "yearly" | "annual" | "annually" | "annuel" | "annuelle" | "annuels" | "annuelles"
        | "jährlich" | "jahresgehalt" | "årslön" | "årsinkomst" => (YEARLY, false, Nothing),
        "pa" => (YEARLY, false, PerOrAmount),
        // Compounds: `Monatsgehalt`, `Jahresbrutto`, `Stundenlöhne`, `månadslönen`.
        _ if w.starts_with("monats") || w.starts_with("månads") => (MONTHLY, true, Nothing),
        _ if w.starts_with("jahres") => (YEARLY, true, Nothing),
        _ if w.starts_with("stunden") => (HOURLY, true, Nothing),
        _ if w.starts_with("wochen") => (WEEKLY, true, Nothing),
        _ => return None,
    })
}

/// Words that put a period after them: `per hour`, `par mois`, `pro Tag`,
/// `im Monat`, `i månaden`, `a year`.
fn is_per(tok: Option<&Tok<'_>>) -> bool {
    sym(tok) == Some('/')
        || word(tok).is_some_and(|w| {
            matches!(
                w,
                "per" | "par" | "pro" | "im" | "i" | "a" | "an" | "each" | "every" | "om"
            )
        })
}

/// Marks the period words of a count (`mois` in `sur 12 mois`, `semaine`
/// in `35h/semaine`) so that they do not give the salary's period: the
/// word at `at` if it names a period, then a `per`-word and period after it.
fn mark_counted(toks: &mut [Tok<'_>], mut at: usize) {
    if word(toks.get(at)).and_then(period_word).is_some() {
        toks[at].counted = true;
        at += 1;
    }
    if is_per(toks.get(at)) && word(toks.get(at + 1)).and_then(period_word).is_some() {
        toks[at + 1].counted = true;
    }
}

/// Decides which numbers are amounts, and their values.
fn find_amounts(toks: &mut [Tok<'_>]) {
    for i in 0..toks.len() {
        let Kind::Num { value, plain } = toks[i].kind else {
            continue;
        };
        let glued = !toks[i].spaced;
        let prev = i.checked_sub(1).map(|p| toks[p]);
        // `B2B`, `H1`, `#3` (but `EUR40`, `CHF100'000` are amounts).
        if glued
            && ((word(prev.as_ref()).is_some() && !is_currency(prev.as_ref()))
                || sym(prev.as_ref()) == Some('#'))
        {
            continue;
        }
        let mut next = i + 1;
        let mut value = value;
        let mut kilo = false;
        let mut kilo_currency = false;
        if let Some(currency) = word(toks.get(next)).and_then(thousands_word) {
            value *= 1000.0;
            kilo = true;
            kilo_currency = currency.is_some();
            next += 1;
        }
        let after = toks.get(next).copied();
        let near_currency =
            is_currency(prev.as_ref()) || is_currency(after.as_ref()) || kilo_currency;
        // `10%`, `10 Prozent`.
        if sym(after.as_ref()) == Some('%')
            || word(after.as_ref()).is_some_and(|w| {
                matches!(w, "percent" | "prozent" | "procent" | "pourcent" | "pct")
            })
        {
            continue;
        }
        // A word glued on: `13th`, `13e`, `35h`; but `45kr`, `£15ph`.
        if let Some(after) = after.filter(|t| !t.spaced)
            && let Kind::Word(w) = after.kind
            && !is_currency(Some(&after))
        {
            if near_currency && period_word(w).is_some() {
                // `£15ph`: an amount and its period.
            } else {
                mark_counted(toks, next);
                mark_counted(toks, next + 1);
                continue;
            }
        }
        // Swedish `13:e månadslön`, German `13. Monatsgehalt`.
        let ordinal = match sym(after.as_ref()) {
            Some(':') => toks
                .get(next + 1)
                .is_some_and(|t| !t.spaced && matches!(t.kind, Kind::Word(_))),
            Some('.') => {
                plain && value < 100.0 && word(toks.get(next + 1)).and_then(period_word).is_some()
            }
            _ => false,
        };
        if ordinal && after.is_some_and(|t| !t.spaced) {
            // The period word after `13:e` or `13.`.
            let suffix = usize::from(sym(after.as_ref()) == Some(':'));
            mark_counted(toks, next + 1 + suffix);
            continue;
        }
        // `sur 12 mois`, `30 Tage Urlaub`, `5 years`.
        let noun = word(after.as_ref())
            .and_then(period_word)
            .is_some_and(|(_, noun, _)| noun);
        if noun && !near_currency && !kilo && value < 100.0 {
            mark_counted(toks, next);
            continue;
        }
        toks[i].amount = Some(value);
        toks[i].year_like = plain && !kilo && !near_currency && (1900.0..=2100.0).contains(&value);
    }
}

/// Whether a token joins two amounts into a range. `between` is set when
/// the first amount follows `between`, `entre`, `zwischen` or `mellan`,
/// which makes `and` a range word too.
fn is_range_word(tok: &Tok<'_>, prev: Option<&Tok<'_>>, between: bool) -> bool {
    match tok.kind {
        // Not the `-` of Swedish `30 000:-`.
        Kind::Sym('-') => tok.spaced || sym(prev) != Some(':'),
        Kind::Sym('–' | '—' | '‐' | '‑' | '‒' | '−' | '~') => true,
        Kind::Word("to" | "à" | "au" | "bis" | "till") => true,
        Kind::Word("and" | "et" | "und" | "och") => between,
        _ => false,
    }
}

/// Whether the tokens between two amounts make them a range: a range word,
/// and nothing but currencies, periods and small words around it.
fn joins(between_toks: &[Tok<'_>], between: bool) -> bool {
    if between_toks.len() > 8 {
        return false;
    }
    let mut joined = false;
    for (n, tok) in between_toks.iter().enumerate() {
        let prev = n.checked_sub(1).map(|p| &between_toks[p]);
        if is_range_word(tok, prev, between) {
            joined = true;
            continue;
        }
        let filler = match tok.kind {
            Kind::Word(w) => {
                is_currency(Some(tok))
                    || thousands_word(w).is_some()
                    || period_word(w).is_some()
                    || matches!(
                        w,
                        "per" | "par" | "pro" | "im" | "i" | "a" | "an" | "la" | "le" | "l"
                            | "brutto" | "brut" | "bruts" | "gross" | "netto" | "net" | "nets"
                            | "up" | "upp" | "zu" | "jusqu" | "de" | "von" | "from" | "från"
                            // Dollar prefixes: `CA$`, `US$`.
                            | "us" | "au" | "c" | "ca" | "can" | "nz" | "hk" | "s" | "sg"
                    )
            }
            Kind::Sym(c) => is_currency(Some(tok)) || "/.,:'’()*".contains(c),
            Kind::Num { .. } | Kind::Junk => false,
        };
        if !filler {
            return false;
        }
    }
    joined
}

/// The next amount at or after `from`.
fn next_amount(toks: &[Tok<'_>], from: usize) -> Option<usize> {
    (from..toks.len()).find(|&j| toks[j].amount.is_some())
}

/// Whether two amounts are within a factor of four of each other.
fn similar(a: f64, b: f64) -> bool {
    a.min(b) * 4.0 >= a.max(b)
}

/// Sets aside bare years (`2024`) when the label has another amount,
/// unless a range joins them to an amount like them (`1990 - 2100 €`).
fn drop_years(toks: &mut [Tok<'_>]) {
    if !toks.iter().any(|t| t.amount.is_some() && !t.year_like) {
        return;
    }
    let mut previous: Option<usize> = None;
    for i in 0..toks.len() {
        let Some(value) = toks[i].amount else {
            continue;
        };
        if toks[i].year_like {
            let partner = |j: usize, lo: usize, hi: usize| {
                !toks[j].year_like
                    && toks[j].amount.is_some_and(|v| similar(v, value))
                    && joins(&toks[lo..hi], false)
            };
            let before = previous.is_some_and(|p| partner(p, p + 1, i));
            let after = next_amount(toks, i + 1).is_some_and(|n| partner(n, i + 1, n));
            if !before && !after {
                toks[i].amount = None;
                continue;
            }
        }
        previous = Some(i);
    }
}

/// Whether a lone amount is a floor or a ceiling.
#[derive(PartialEq)]
enum Bound {
    Exact,
    From,
    UpTo,
}

/// Reads the words before the amount at `at` (skipping symbols and
/// currencies): whether the amount is a floor (`from`, `ab`, `från`,
/// `à partir de`) or a ceiling (`up to`, `bis`, `upp till`, `jusqu'à`),
/// and whether it follows `between`.
fn bound_before(toks: &[Tok<'_>], at: usize) -> (Bound, bool) {
    let mut words = ["", ""];
    let mut found = 0;
    for tok in toks[..at].iter().rev() {
        match tok.kind {
            Kind::Num { .. } | Kind::Junk => break,
            Kind::Word(w) if !is_currency(Some(tok)) => {
                words[found] = w;
                found += 1;
                if found == words.len() {
                    break;
                }
            }
            _ => {}
        }
    }
    let between = matches!(words[0], "between" | "entre" | "zwischen" | "mellan");
    let bound = match words {
        [
            "to" | "till" | "bis" | "upto" | "max" | "maximum" | "maximal" | "höchstens",
            _,
        ]
        | ["zu", "bis"]
        | ["à", "jusqu"] => Bound::UpTo,
        [
            "from" | "ab" | "från" | "dès" | "starting" | "min" | "minimum" | "mindestens"
            | "minst",
            _,
        ]
        | ["de", "partir"]
        | ["at", "starting"] => Bound::From,
        _ => Bound::Exact,
    };
    (bound, between)
}

/// The range the label states: the first amount, and the next one when a
/// range word joins them.
fn range(toks: &[Tok<'_>]) -> Option<(Option<f64>, Option<f64>)> {
    let first = next_amount(toks, 0)?;
    let a = toks[first].amount?;
    let (bound, between) = bound_before(toks, first);
    let second =
        next_amount(toks, first + 1).filter(|&second| joins(&toks[first + 1..second], between));
    let Some(b) = second.and_then(|second| toks[second].amount) else {
        return Some(match bound {
            Bound::Exact => (Some(a), Some(a)),
            Bound::From => (Some(a), None),
            Bound::UpTo => (None, Some(a)),
        });
    };
    let (mut lo, hi) = if a <= b { (a, b) } else { (b, a) };
    // `45-55k`, `45 à 55 000 €`: thousands written once for both ends.
    if lo < 1000.0 && hi >= 1000.0 && similar(lo * 1000.0, hi) {
        lo *= 1000.0;
    }
    Some((Some(lo.min(hi)), Some(hi.max(lo))))
}

/// The first period the label names, outside counts.
fn period(toks: &[Tok<'_>]) -> Option<&'static str> {
    for (i, tok) in toks.iter().enumerate() {
        let Kind::Word(w) = tok.kind else {
            continue;
        };
        if tok.counted {
            continue;
        }
        let prev = i.checked_sub(1).map(|p| &toks[p]);
        let before_prev = i.checked_sub(2).map(|p| &toks[p]);
        // `p.a.`
        if w == "a" && !tok.spaced && sym(prev) == Some('.') && word(before_prev) == Some("p") {
            return Some(YEARLY);
        }
        let Some((period, _, needs)) = period_word(w) else {
            continue;
        };
        // `l'an`
        let after_per = is_per(prev)
            || (matches!(sym(prev), Some('\'' | '’')) && word(before_prev) == Some("l"));
        let after_amount = prev.is_some_and(|p| {
            p.amount.is_some()
                || is_currency(Some(p))
                || word(Some(p)).and_then(thousands_word).is_some()
        });
        let counts = match needs {
            Needs::Nothing => true,
            Needs::Per => after_per,
            Needs::PerOrAmount => after_per || after_amount,
        };
        if counts {
            return Some(period);
        }
    }
    None
}

/// The first currency the label names.
fn currency(toks: &[Tok<'_>]) -> Option<&'static str> {
    for (i, tok) in toks.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &toks[p]);
        match tok.kind {
            Kind::Sym('$') if !tok.spaced => {
                // `US$`, `A$`, `C$`, ...
                let prefixed = match word(prev) {
                    Some("us") => "USD",
                    Some("a" | "au") => "AUD",
                    Some("c" | "ca" | "can") => "CAD",
                    Some("nz") => "NZD",
                    Some("hk") => "HKD",
                    Some("s" | "sg") => "SGD",
                    Some("r") => "BRL",
                    Some("mx") => "MXN",
                    _ => "USD",
                };
                return Some(prefixed);
            }
            Kind::Sym(c) => {
                if let Some(code) = currency_symbol(c) {
                    return Some(code);
                }
                // Swedish `30 000:-`.
                if c == '-' && !tok.spaced && sym(prev) == Some(':') {
                    let number = i.checked_sub(2).map(|p| &toks[p]);
                    if number.is_some_and(|n| n.amount.is_some() && !prev.is_some_and(|p| p.spaced))
                    {
                        return Some("SEK");
                    }
                }
            }
            Kind::Word(w) => {
                if let Some(code) = currency_word(w).or_else(|| thousands_word(w).flatten()) {
                    return Some(code);
                }
            }
            Kind::Num { .. } | Kind::Junk => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{Salary, parse_salary};

    fn salary(
        min: Option<f64>,
        max: Option<f64>,
        period: Option<&'static str>,
        currency: Option<&'static str>,
    ) -> Option<Salary> {
        Some(Salary {
            min,
            max,
            period,
            currency,
        })
    }

    #[test]
    fn labels_in_four_languages() {
        let cases: &[(&str, Option<Salary>)] = &[
            // English.
            (
                "$40,000 - $50,000",
                salary(Some(40_000.0), Some(50_000.0), None, Some("USD")),
            ),
            (
                "£38,000 - £42,000 per annum",
                salary(Some(38_000.0), Some(42_000.0), Some("yearly"), Some("GBP")),
            ),
            (
                "€50 per hour",
                salary(Some(50.0), Some(50.0), Some("hourly"), Some("EUR")),
            ),
            (
                "£400 per day",
                salary(Some(400.0), Some(400.0), Some("daily"), Some("GBP")),
            ),
            ("Competitive", None),
            ("Negotiable, DOE", None),
            ("", None),
            (
                "Up to £50,000 per annum",
                salary(None, Some(50_000.0), Some("yearly"), Some("GBP")),
            ),
            (
                "from £25,000 to £30,000 a year",
                salary(Some(25_000.0), Some(30_000.0), Some("yearly"), Some("GBP")),
            ),
            (
                "Starting at $20 per hour",
                salary(Some(20.0), None, Some("hourly"), Some("USD")),
            ),
            (
                "between $60,000 and $80,000",
                salary(Some(60_000.0), Some(80_000.0), None, Some("USD")),
            ),
            ("45-55k", salary(Some(45_000.0), Some(55_000.0), None, None)),
            (
                "$120k-$150k USD",
                salary(Some(120_000.0), Some(150_000.0), None, Some("USD")),
            ),
            (
                "£30k pa",
                salary(Some(30_000.0), Some(30_000.0), Some("yearly"), Some("GBP")),
            ),
            (
                "£35,000 p.a. + benefits",
                salary(Some(35_000.0), Some(35_000.0), Some("yearly"), Some("GBP")),
            ),
            (
                "Salary: up to $150K/yr",
                salary(None, Some(150_000.0), Some("yearly"), Some("USD")),
            ),
            (
                "$5,000/mo",
                salary(Some(5_000.0), Some(5_000.0), Some("monthly"), Some("USD")),
            ),
            (
                "£30k HR Manager",
                salary(Some(30_000.0), Some(30_000.0), None, Some("GBP")),
            ),
            (
                "£12.50ph",
                salary(Some(12.5), Some(12.5), Some("hourly"), Some("GBP")),
            ),
            (
                "CA$90,000 - CA$100,000",
                salary(Some(90_000.0), Some(100_000.0), None, Some("CAD")),
            ),
            // French.
            (
                "45k €",
                salary(Some(45_000.0), Some(45_000.0), None, Some("EUR")),
            ),
            (
                "40 000 € - 50 000 € par an",
                salary(Some(40_000.0), Some(50_000.0), Some("yearly"), Some("EUR")),
            ),
            (
                "Mensuel de 1800.00 Euros à 2000.00 Euros sur 12 mois",
                salary(Some(1_800.0), Some(2_000.0), Some("monthly"), Some("EUR")),
            ),
            (
                "Annuel de 30000.00 Euros sur 13 mois",
                salary(Some(30_000.0), Some(30_000.0), Some("yearly"), Some("EUR")),
            ),
            (
                "1 800,50 € brut mensuel",
                salary(Some(1_800.5), Some(1_800.5), Some("monthly"), Some("EUR")),
            ),
            (
                "à partir de 2 000 € par mois",
                salary(Some(2_000.0), None, Some("monthly"), Some("EUR")),
            ),
            (
                "jusqu'à 45 k€ par an",
                salary(None, Some(45_000.0), Some("yearly"), Some("EUR")),
            ),
            (
                "40 000 € + 13e mois",
                salary(Some(40_000.0), Some(40_000.0), None, Some("EUR")),
            ),
            (
                "2 500 € brut, 35h par semaine",
                salary(Some(2_500.0), Some(2_500.0), None, Some("EUR")),
            ),
            (
                "Tarif journalier : 450 €/jour",
                salary(Some(450.0), Some(450.0), Some("daily"), Some("EUR")),
            ),
            (
                "15,50 € de l'heure",
                salary(Some(15.5), Some(15.5), Some("hourly"), Some("EUR")),
            ),
            // German.
            (
                "ab 3.500 € brutto im Monat",
                salary(Some(3_500.0), None, Some("monthly"), Some("EUR")),
            ),
            (
                "3 500–4 000 EUR/Monat",
                salary(Some(3_500.0), Some(4_000.0), Some("monthly"), Some("EUR")),
            ),
            (
                "von 3.000 bis 4.000 € monatlich",
                salary(Some(3_000.0), Some(4_000.0), Some("monthly"), Some("EUR")),
            ),
            (
                "bis 60.000 € jährlich",
                salary(None, Some(60_000.0), Some("yearly"), Some("EUR")),
            ),
            (
                "Stundenlohn 15 €",
                salary(Some(15.0), Some(15.0), Some("hourly"), Some("EUR")),
            ),
            (
                "Gehalt: 4.200 € pro Monat, 30 Tage Urlaub",
                salary(Some(4_200.0), Some(4_200.0), Some("monthly"), Some("EUR")),
            ),
            (
                "55.000 € + 13. Monatsgehalt",
                salary(Some(55_000.0), Some(55_000.0), None, Some("EUR")),
            ),
            (
                "CHF 100'000 – 120'000 p.a.",
                salary(
                    Some(100_000.0),
                    Some(120_000.0),
                    Some("yearly"),
                    Some("CHF"),
                ),
            ),
            (
                "1.234.567,89 €",
                salary(Some(1_234_567.89), Some(1_234_567.89), None, Some("EUR")),
            ),
            // Swedish.
            (
                "35 000 - 40 000 kr/mån",
                salary(Some(35_000.0), Some(40_000.0), Some("monthly"), Some("SEK")),
            ),
            (
                "Fast månadslön 32 000 kr",
                salary(Some(32_000.0), Some(32_000.0), Some("monthly"), Some("SEK")),
            ),
            (
                "upp till 40 000 kr/mån",
                salary(None, Some(40_000.0), Some("monthly"), Some("SEK")),
            ),
            (
                "från 30 000 kr i månaden",
                salary(Some(30_000.0), None, Some("monthly"), Some("SEK")),
            ),
            (
                "Mellan 30\u{a0}000 och 35\u{a0}000 SEK per månad",
                salary(Some(30_000.0), Some(35_000.0), Some("monthly"), Some("SEK")),
            ),
            (
                "Fast lön 32 000 kr + 13:e månadslön",
                salary(Some(32_000.0), Some(32_000.0), None, Some("SEK")),
            ),
            (
                "Timlön 150 kr + 13:e månadslön",
                salary(Some(150.0), Some(150.0), Some("hourly"), Some("SEK")),
            ),
            (
                "25 000:-/mån",
                salary(Some(25_000.0), Some(25_000.0), Some("monthly"), Some("SEK")),
            ),
            (
                "NOK 600\u{202f}000 per år",
                salary(
                    Some(600_000.0),
                    Some(600_000.0),
                    Some("yearly"),
                    Some("NOK"),
                ),
            ),
        ];
        for (label, want) in cases {
            assert_eq!(&parse_salary(label), want, "{label}");
        }
    }

    #[test]
    fn numbers_that_are_not_amounts_are_ignored() {
        let cases: &[(&str, Option<Salary>)] = &[
            ("10%", None),
            ("Bonus 10 %", None),
            (
                "€45,000 - €55,000 + 10% bonus",
                salary(Some(45_000.0), Some(55_000.0), None, Some("EUR")),
            ),
            (
                "£40,000 per annum plus 13th month",
                salary(Some(40_000.0), Some(40_000.0), Some("yearly"), Some("GBP")),
            ),
            (
                "Salary 2024: 35 000 - 40 000 SEK",
                salary(Some(35_000.0), Some(40_000.0), None, Some("SEK")),
            ),
            (
                "2000 € par mois",
                salary(Some(2_000.0), Some(2_000.0), Some("monthly"), Some("EUR")),
            ),
            (
                "1990 - 2100 € par mois",
                salary(Some(1_990.0), Some(2_100.0), Some("monthly"), Some("EUR")),
            ),
            (
                "Posted 01.02.2024, 45 000 €",
                salary(Some(45_000.0), Some(45_000.0), None, Some("EUR")),
            ),
            (
                "9:00-17:00, 12 € / Stunde",
                salary(Some(12.0), Some(12.0), Some("hourly"), Some("EUR")),
            ),
            (
                "£30,000 per annum - great benefits - 25 days holiday",
                salary(Some(30_000.0), Some(30_000.0), Some("yearly"), Some("GBP")),
            ),
            (
                "£30k, 37.5 hours per week",
                salary(Some(30_000.0), Some(30_000.0), None, Some("GBP")),
            ),
            ("B2B contract, 5 years", None),
            (
                "50 000 - 40 000 €",
                salary(Some(40_000.0), Some(50_000.0), None, Some("EUR")),
            ),
            (
                "€3.50 per hour",
                salary(Some(3.5), Some(3.5), Some("hourly"), Some("EUR")),
            ),
            ("99999999999999999999999 €", None),
        ];
        for (label, want) in cases {
            assert_eq!(&parse_salary(label), want, "{label}");
        }
    }

    #[test]
    fn arbitrary_labels_never_panic_and_keep_min_below_max() {
        const PIECES: &[&str] = &[
            "0", "1", "3", "5", "9", "12", "000", "500", "2024", "45", ",", ".", " ", "\u{a0}",
            "\u{202f}", "'", "-", "–", ":", "/", "%", "€", "£", "$", "kr", "k", "K", "to", "à",
            "bis", "till", "upp", "up", "from", "ab", "per", "par", "an", "mois", "Monat", "år",
            "h", "th", "e", "p", "a", "between", "and", "é", "ü", "ø", "CHF", "SEK", "sur",
        ];
        let mut seed: u64 = 0x853c_49e6_748f_ea9b;
        for _ in 0..2_000 {
            let mut label = String::new();
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            for _ in 0..(seed >> 60) + 1 {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                label.push_str(PIECES[(seed >> 33) as usize % PIECES.len()]);
            }
            let Some(s) = parse_salary(&label) else {
                continue;
            };
            assert!(s.min.is_some() || s.max.is_some(), "{label:?}: {s:?}");
            for v in [s.min, s.max].into_iter().flatten() {
                assert!(v.is_finite() && v >= 0.0, "{label:?}: {s:?}");
            }
            if let (Some(min), Some(max)) = (s.min, s.max) {
                assert!(min <= max, "{label:?}: {s:?}");
            }
        }
    }
}
