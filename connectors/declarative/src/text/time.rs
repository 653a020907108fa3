//! Instants from the values boards send, and instants formatted for the
//! query parameters boards read.
//!
//! Boards write time in many ways: Unix seconds or milliseconds (some in
//! both), RFC 3339 with or without a zone, ISO 8601 with a space instead of
//! `T`, bare dates, RFC 2822 / HTTP dates, or a site-specific layout such as
//! `31/03/2020`. Every reader here answers `Option`: a value from outside
//! that does not read as an instant is missing, never a panic.
//!
//! The design choice is about zones. A value that carries an offset uses
//! it. A value without one is wall time somewhere, and only the board
//! definition knows where, so the readers take that zone as an argument
//! and refuse to guess when it is absent ([`parse_datetime`]). Wall times
//! that a daylight-saving change makes ambiguous take the earlier instant;
//! wall times it skips move forward by the length of the gap, as a clock
//! on the wall would.

use std::fmt::Write as _;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, SecondsFormat,
    TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

/// Magnitudes above which [`from_unix_guess`] reads milliseconds: 1e11
/// seconds is the year 5138, 1e11 milliseconds is March 1973.
const MILLIS_ABOVE: f64 = 1e11;

/// Seconds since 1970 → instant. None when out of range.
///
/// Fractions of a second are kept (to the nanosecond, within what an
/// `f64` holds); NaN, infinities and values past chrono's range give None.
pub fn from_unix_seconds(secs: f64) -> Option<DateTime<Utc>> {
    from_units(secs, 1, 1_000_000_000)
}

/// Milliseconds since 1970 → instant. None when out of range.
pub fn from_unix_millis(ms: f64) -> Option<DateTime<Utc>> {
    from_units(ms, 1_000, 1_000_000)
}

/// Either: values whose magnitude is above 1e11 are milliseconds, else
/// seconds (Himalayas sends both).
pub fn from_unix_guess(v: f64) -> Option<DateTime<Utc>> {
    if v.abs() > MILLIS_ABOVE {
        from_unix_millis(v)
    } else {
        from_unix_seconds(v)
    }
}

/// `v` units since 1970, where a second has `per_second` units and a unit
/// has `unit_nanos` nanoseconds.
fn from_units(v: f64, per_second: i64, unit_nanos: i64) -> Option<DateTime<Utc>> {
    // 2^62 is far past chrono's range (about ±8.2e12 seconds) and exact in
    // both `f64` and `i64`, so the casts below cannot saturate.
    const LIMIT: f64 = 4_611_686_018_427_387_904.0;
    let whole = v.floor();
    if !whole.is_finite() || whole.abs() >= LIMIT {
        return None;
    }
    let units = whole as i64;
    // In [0, unit_nanos]: the fraction rounds to whole nanoseconds.
    let fraction = ((v - whole) * unit_nanos as f64).round() as i64;
    let mut secs = units.div_euclid(per_second);
    let mut nanos = units.rem_euclid(per_second) * unit_nanos + fraction;
    if nanos >= 1_000_000_000 {
        secs += 1;
        nanos -= 1_000_000_000;
    }
    DateTime::from_timestamp(secs, u32::try_from(nanos).ok()?)
}

/// RFC 3339 / ISO 8601 text → instant. Accepts: `2024-12-03T21:15:04+00:00`, `...Z`, `+0100` offsets,
/// fractional seconds of any length (`2021-03-23T17:09:58.457413+01:00`, `2024-05-08T00:00:00.0000000`),
/// a space instead of `T` (`2024-12-07 04:03:02`), a date alone (`2025-02-10`, midnight), and the
/// RFC 2822 / RFC 1123 form (`Tue, 21 May 2024 08:00:00 GMT`).
///
/// A value WITH a zone/offset uses it. A value WITHOUT a zone is read in `zone` when given
/// (`Some(chrono_tz::Europe::Stockholm)`: the instant is converted from Stockholm wall time to UTC,
/// handling DST: for an ambiguous local time take the earlier instant, for a non-existent one
/// (spring-forward gap) shift forward by the gap), and is None when `zone` is None.
///
/// Surrounding whitespace is ignored. Digits past nanoseconds are dropped;
/// `UTC` or `GMT` after the time count as a zone; a leap second (`:60`) is
/// kept as chrono represents it.
pub fn parse_datetime(text: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some((local, offset)) = iso(text.as_bytes()) {
        return match offset {
            Some(offset) => with_offset(local, offset),
            None => in_zone(local, zone?),
        };
    }
    DateTime::parse_from_rfc2822(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Text in a chrono strftime `format` (`%d/%m/%Y`, `%Y-%m-%d %H:%M:%S`, formats with `%z`) → instant.
/// A format without a time gives midnight; without a zone the value is read in `zone` (UTC when None).
///
/// The whole (trimmed) text must match the format. A format with an hour
/// but no minute reads minute zero; `%s` (Unix seconds) is an instant by
/// itself.
pub fn parse_with_format(text: &str, format: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text.trim(), StrftimeItems::new(format)).ok()?;
    if parsed.timestamp().is_some() {
        let offset = parsed.offset().unwrap_or(0);
        let local = parsed.to_naive_datetime_with_offset(offset).ok()?;
        return with_offset(local, FixedOffset::east_opt(offset)?);
    }
    let date = parsed.to_naive_date().ok()?;
    let has_hour = parsed.hour_div_12().is_some() || parsed.hour_mod_12().is_some();
    let time = if has_hour {
        if parsed.minute().is_none() {
            parsed.set_minute(0).ok()?;
        }
        parsed.to_naive_time().ok()?
    } else if parsed.minute().is_none() && parsed.second().is_none() {
        NaiveTime::MIN
    } else {
        // Minutes without an hour: not a time of day.
        return None;
    };
    let local = date.and_time(time);
    match parsed.offset() {
        Some(offset) => with_offset(local, FixedOffset::east_opt(offset)?),
        None => in_zone(local, zone.unwrap_or(Tz::UTC)),
    }
}

/// Formats an instant for a board's query parameter: `format` is a strftime format or one of
/// "rfc3339", "rfc2822" (HTTP-date style like `Tue, 21 May 2024 08:00:00 GMT`), "unix" (seconds),
/// rendered in `zone` (UTC when None) for strftime formats.
///
/// "rfc3339" renders whole seconds in UTC with a `Z` (`2024-05-21T08:00:00Z`).
/// A format that [`check_format`] rejects renders as an empty string:
/// check formats when a board definition loads.
pub fn format_instant(t: DateTime<Utc>, format: &str, zone: Option<Tz>) -> String {
    match format {
        "rfc3339" => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        "rfc2822" => t.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        "unix" => t.timestamp().to_string(),
        _ => {
            let items = StrftimeItems::new(format);
            let mut out = String::with_capacity(format.len() + 16);
            // Formatting fails (instead of panicking, as `to_string` would)
            // on a bad specifier.
            let written = match zone {
                Some(zone) => write!(out, "{}", t.with_timezone(&zone).format_with_items(items)),
                None => write!(out, "{}", t.format_with_items(items)),
            };
            if written.is_err() {
                out.clear();
            }
            out
        }
    }
}

/// Parses a zone name (`Europe/Stockholm`, `UTC`) with an error text that says how to fix it
/// (e.g. "unknown time zone `Europe/Stokholm`; use an IANA name such as Europe/Stockholm or UTC").
///
/// # Errors
///
/// A name that is not in the IANA database (matched exactly, after
/// trimming) gives that message, naming the closest known zone when one is
/// close (a different case, or a typo of one or two letters).
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    let name = name.trim();
    name.parse::<Tz>().map_err(|_| {
        let hint = closest_zone(name)
            .map(|z| format!(" (did you mean `{z}`?)"))
            .unwrap_or_default();
        format!(
            "unknown time zone `{name}`{hint}; use an IANA name such as Europe/Stockholm or UTC"
        )
    })
}

/// The known zone whose name is nearest to `name`, if it is near enough
/// to be a likely typo.
fn closest_zone(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    let wanted: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    let mut row = Vec::new();
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .map(|known| (known, edit_distance(&wanted, known, &mut row)))
        .filter(|&(_, d)| d <= 2)
        .min_by_key(|&(_, d)| d)
        .map(|(known, _)| known)
}

/// Levenshtein distance between `a` (lowercase) and `b`, ignoring case.
fn edit_distance(a: &[char], b: &str, row: &mut Vec<usize>) -> usize {
    row.clear();
    row.extend(0..=a.len());
    for (j, cb) in b.chars().flat_map(char::to_lowercase).enumerate() {
        let mut diagonal = row[0];
        row[0] = j + 1;
        for (i, &ca) in a.iter().enumerate() {
            let above = row[i + 1];
            row[i + 1] = (above + 1)
                .min(row[i] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[a.len()]
}

/// Whether `format` is a valid strftime format for chrono (use chrono::format::StrftimeItems and reject
/// any Item::Error), with an error text naming the bad part.
///
/// # Errors
///
/// The message names the first specifier chrono does not know, such as
/// `%Q`, or a `%` with nothing after it.
pub fn check_format(format: &str) -> Result<(), String> {
    let bad = |piece: &str| StrftimeItems::new(piece).any(|item| matches!(item, Item::Error));
    if !bad(format) {
        return Ok(());
    }
    // Find the culprit: check each piece that starts at a `%` on its own.
    let mut starts = Vec::new();
    let mut chars = format.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '%' {
            starts.push(i);
            // `%%` is one specifier.
            chars.next_if(|&(_, c)| c == '%');
        }
    }
    let culprit = starts
        .iter()
        .enumerate()
        .map(|(n, &start)| &format[start..starts.get(n + 1).copied().unwrap_or(format.len())])
        .find(|piece| bad(piece))
        .map(specifier);
    Err(match culprit {
        Some("%") => format!(
            "invalid date format `{format}`: a `%` ends it; write `%%` for a literal percent sign"
        ),
        Some(spec) => format!(
            "invalid date format `{format}`: chrono does not know `{spec}`; see the specifiers at https://docs.rs/chrono/latest/chrono/format/strftime/"
        ),
        None => format!(
            "invalid date format `{format}`; see the specifiers at https://docs.rs/chrono/latest/chrono/format/strftime/"
        ),
    })
}

/// The specifier at the start of `piece` (which starts with `%`): the
/// `%`, its flags and modifiers, and the character they modify.
fn specifier(piece: &str) -> &str {
    let modifiers = piece
        .char_indices()
        .skip(1)
        .find(|&(_, c)| !matches!(c, '-' | '_' | '0' | '#' | ':' | '.' | '1'..='9'));
    match modifiers {
        Some((i, c)) => &piece[..i + c.len_utf8()],
        None => piece,
    }
}

/// A local date and time with the offset it states, or None for wall time.
type Local = (NaiveDateTime, Option<FixedOffset>);

/// Reads `YYYY-MM-DD`, optionally followed by `T` or a space and
/// `HH:MM[:SS[.fraction]]`, optionally followed by `Z`, `±HH[:MM]`,
/// `±HHMM`, `UTC` or `GMT`. None when anything else is there.
fn iso(text: &[u8]) -> Option<Local> {
    let mut at = Cursor { text, at: 0 };
    let year = at.number(4)?;
    at.expect(b'-')?;
    let month = at.number(2)?;
    at.expect(b'-')?;
    let day = at.number(2)?;
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let mut time = NaiveTime::MIN;
    if at.eat(b'T') || at.eat(b't') || (at.peek() == Some(b' ') && at.digit_at(1)) {
        at.eat(b' ');
        time = at.time()?;
    }
    while at.eat(b' ') {}
    let offset = at.offset()?;
    (at.at == text.len()).then_some((date.and_time(time), offset))
}

/// A position in ASCII text.
struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn digit_at(&self, ahead: usize) -> bool {
        self.text
            .get(self.at + ahead)
            .is_some_and(u8::is_ascii_digit)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    /// Exactly `len` digits.
    fn number(&mut self, len: usize) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + len)?;
        let mut value = 0;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(d - b'0');
        }
        self.at += len;
        Some(value)
    }

    /// `HH:MM[:SS[.fraction]]`.
    fn time(&mut self) -> Option<NaiveTime> {
        let hour = self.number(2)?;
        self.expect(b':')?;
        let minute = self.number(2)?;
        let (mut second, mut nanos) = (0, 0);
        if self.eat(b':') {
            second = self.number(2)?;
            if self.eat(b'.') || self.eat(b',') {
                let mut scale = 100_000_000;
                let start = self.at;
                while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
                    nanos += u32::from(d - b'0') * scale;
                    scale /= 10;
                    self.at += 1;
                }
                if self.at == start {
                    return None;
                }
            }
        }
        if second == 60 {
            // A leap second: chrono counts it as nanoseconds past :59.
            second = 59;
            nanos += 1_000_000_000;
        }
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
    }

    /// The zone at the end: `Some(None)` when there is none.
    fn offset(&mut self) -> Option<Option<FixedOffset>> {
        let rest = &self.text[self.at..];
        if rest.is_empty() {
            return Some(None);
        }
        if rest.eq_ignore_ascii_case(b"z")
            || rest.eq_ignore_ascii_case(b"utc")
            || rest.eq_ignore_ascii_case(b"gmt")
        {
            self.at = self.text.len();
            return Some(Some(FixedOffset::east_opt(0)?));
        }
        let sign = match rest[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        self.at += 1;
        let hours = self.number(2)?;
        let minutes = if self.peek().is_none() {
            0
        } else {
            self.eat(b':');
            self.number(2)?
        };
        let secs = i32::try_from(hours * 3600 + minutes * 60).ok()?;
        Some(Some(FixedOffset::east_opt(sign * secs)?))
    }
}

/// The instant of a local time at a fixed offset.
fn with_offset(local: NaiveDateTime, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let utc = local.checked_sub_signed(TimeDelta::seconds(offset.local_minus_utc().into()))?;
    Some(utc.and_utc())
}

/// The instant of a wall time in `zone`: the earlier one when the wall
/// time happens twice, and the wall time moved forward by the gap when it
/// never happens.
fn in_zone(local: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {
            // Read it with the offset in force before the gap (a day
            // earlier: zones do not change twice a day): that instant
            // shows as the wall time plus the gap.
            let day_before = local.checked_sub_signed(TimeDelta::days(1))?;
            let before = zone.offset_from_utc_datetime(&day_before).fix();
            with_offset(local, before)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Stockholm;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn jobtech_dates_are_stockholm_wall_time() {
        let winter = parse_datetime("2019-03-13T00:00:00", Some(Stockholm));
        assert_eq!(winter, Some(utc("2019-03-12T23:00:00Z")));
        let summer = parse_datetime("2019-06-01T12:00:00", Some(Stockholm));
        assert_eq!(summer, Some(utc("2019-06-01T10:00:00Z")));
    }

    #[test]
    fn values_without_a_zone_need_one() {
        assert_eq!(parse_datetime("2019-03-13T00:00:00", None), None);
        assert_eq!(parse_datetime("2025-02-10", None), None);
        assert_eq!(
            parse_datetime("2025-02-10", Some(Tz::UTC)),
            Some(utc("2025-02-10T00:00:00Z"))
        );
        assert_eq!(
            parse_datetime("2025-02-10", Some(Stockholm)),
            Some(utc("2025-02-09T23:00:00Z"))
        );
    }

    #[test]
    fn stated_offsets_win_over_the_zone() {
        let nav = utc("2021-03-23T16:09:58.457413Z");
        assert_eq!(
            parse_datetime("2021-03-23T17:09:58.457413+01:00", None),
            Some(nav)
        );
        assert_eq!(
            parse_datetime(
                "2021-03-23T17:09:58.457413+01:00",
                Some(Tz::America__New_York)
            ),
            Some(nav)
        );
        let remoteok = utc("2024-12-03T21:15:04Z");
        for text in [
            "2024-12-03T21:15:04+00:00",
            "2024-12-03T21:15:04Z",
            "2024-12-03t21:15:04z",
            "2024-12-03T22:15:04+0100",
            "2024-12-03T22:15:04+01",
            "2024-12-03T16:15:04-05:00",
            "2024-12-03 21:15:04 UTC",
            "  2024-12-03T21:15:04Z\n",
            "2024-12-03T21:15:04.000000000000Z",
        ] {
            assert_eq!(
                parse_datetime(text, Some(Stockholm)),
                Some(remoteok),
                "{text}"
            );
        }
    }

    #[test]
    fn long_fractions_and_spaces_instead_of_t() {
        assert_eq!(
            parse_datetime("2024-05-08T00:00:00.0000000", Some(Tz::UTC)),
            Some(utc("2024-05-08T00:00:00Z"))
        );
        assert_eq!(
            parse_datetime("2024-05-08T00:00:00.1234567891234", Some(Tz::UTC)),
            Some(utc("2024-05-08T00:00:00.123456789Z"))
        );
        // Jobicy.
        assert_eq!(
            parse_datetime("2024-12-07 04:03:02", Some(Tz::UTC)),
            Some(utc("2024-12-07T04:03:02Z"))
        );
        assert_eq!(
            parse_datetime("2024-12-07T04:03", Some(Tz::UTC)),
            Some(utc("2024-12-07T04:03:00Z"))
        );
    }

    #[test]
    fn rfc_2822_dates_are_read() {
        assert_eq!(
            parse_datetime("Tue, 21 May 2024 08:00:00 GMT", None),
            Some(utc("2024-05-21T08:00:00Z"))
        );
        assert_eq!(
            parse_datetime("Tue, 21 May 2024 10:00:00 +0200", None),
            Some(utc("2024-05-21T08:00:00Z"))
        );
    }

    #[test]
    fn daylight_saving_gaps_move_forward_and_folds_take_the_earlier_instant() {
        // 2024-03-31 02:00 → 03:00 in Stockholm: 02:30 does not exist and
        // reads as 03:30 CEST.
        assert_eq!(
            parse_datetime("2024-03-31T02:30:00", Some(Stockholm)),
            Some(utc("2024-03-31T01:30:00Z"))
        );
        assert_eq!(
            parse_datetime("2024-03-31T03:30:00", Some(Stockholm)),
            Some(utc("2024-03-31T01:30:00Z"))
        );
        // 2024-10-27 03:00 → 02:00: 02:30 happens twice; the first is CEST.
        assert_eq!(
            parse_datetime("2024-10-27T02:30:00", Some(Stockholm)),
            Some(utc("2024-10-27T00:30:00Z"))
        );
        assert_eq!(
            parse_with_format("27/10/2024 02:30", "%d/%m/%Y %H:%M", Some(Stockholm)),
            Some(utc("2024-10-27T00:30:00Z"))
        );
    }

    #[test]
    fn garbage_is_none() {
        for text in [
            "",
            "   ",
            "yesterday",
            "2024-13-01",
            "2024-02-30",
            "2024-02-10T25:00:00",
            "2024-02-10T",
            "2024-02-10T10",
            "2024-02-10T10:00:00.",
            "2024-02-10T10:00:00+",
            "2024-02-10T10:00:00+25:00",
            "2024-02-10T10:00:00Zjunk",
            "2024-2-10",
            "२०२४-०२-१०",
            "2024-02-10T10:00:00+01:0é",
            "Tue, 99 May 2024 08:00:00 GMT",
        ] {
            assert_eq!(parse_datetime(text, Some(Tz::UTC)), None, "{text}");
        }
        assert_eq!(parse_with_format("31/03/2020", "%Y-%m-%d", None), None);
        assert_eq!(parse_with_format("nonsense", "%d/%m/%Y", None), None);
        assert_eq!(parse_with_format("31/03/2020", "%Q", None), None);
    }

    #[test]
    fn epochs_in_seconds_and_milliseconds() {
        let remoteok = utc("2024-12-03T21:15:04Z");
        assert_eq!(from_unix_seconds(1_733_260_504.0), Some(remoteok));
        assert_eq!(from_unix_millis(1_733_260_504_000.0), Some(remoteok));
        // Himalayas sends both.
        assert_eq!(from_unix_guess(1_733_260_504_000.0), Some(remoteok));
        assert_eq!(from_unix_guess(1_733_260_504.0), Some(remoteok));
        assert_eq!(
            from_unix_millis(1_733_260_504_123.0),
            Some(utc("2024-12-03T21:15:04.123Z"))
        );
        assert_eq!(from_unix_seconds(1.5), Some(utc("1970-01-01T00:00:01.5Z")));
        assert_eq!(from_unix_seconds(-1.5), Some(utc("1969-12-31T23:59:58.5Z")));
        assert_eq!(
            from_unix_millis(-1.0),
            Some(utc("1969-12-31T23:59:59.999Z"))
        );
    }

    #[test]
    fn huge_and_odd_numbers_are_none() {
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            1e300,
            -1e300,
            9.3e18,
            1e17,
        ] {
            assert_eq!(from_unix_seconds(v), None, "{v}");
            assert_eq!(from_unix_guess(v), None, "{v}");
        }
        for v in [f64::NAN, f64::MAX, 1e300, 1e21] {
            assert_eq!(from_unix_millis(v), None, "{v}");
        }
        assert_eq!(parse_datetime("99999-01-01T00:00:00Z", None), None);
        assert_eq!(parse_with_format("99999999999999999999", "%s", None), None);
    }

    #[test]
    fn board_formats_are_read() {
        // Reed.
        assert_eq!(
            parse_with_format("31/03/2020", "%d/%m/%Y", None),
            Some(utc("2020-03-31T00:00:00Z"))
        );
        assert_eq!(
            parse_with_format(" 31/03/2020 ", "%d/%m/%Y", Some(Stockholm)),
            Some(utc("2020-03-30T22:00:00Z"))
        );
        assert_eq!(
            parse_with_format("2024-12-07 04:03:02", "%Y-%m-%d %H:%M:%S", None),
            Some(utc("2024-12-07T04:03:02Z"))
        );
        assert_eq!(
            parse_with_format(
                "2024-12-07 05:03:02 +0100",
                "%Y-%m-%d %H:%M:%S %z",
                Some(Stockholm)
            ),
            Some(utc("2024-12-07T04:03:02Z"))
        );
        assert_eq!(
            parse_with_format("07.12.2024 05h", "%d.%m.%Y %Hh", None),
            Some(utc("2024-12-07T05:00:00Z"))
        );
        assert_eq!(
            parse_with_format("1733260504", "%s", Some(Stockholm)),
            Some(utc("2024-12-03T21:15:04Z"))
        );
    }

    #[test]
    fn instants_are_formatted_for_query_parameters() {
        let t = utc("2024-05-21T08:00:00Z");
        assert_eq!(format_instant(t, "rfc3339", None), "2024-05-21T08:00:00Z");
        assert_eq!(
            format_instant(t, "rfc2822", None),
            "Tue, 21 May 2024 08:00:00 GMT"
        );
        assert_eq!(format_instant(t, "unix", Some(Stockholm)), "1716278400");
        assert_eq!(
            format_instant(t, "%Y-%m-%d %H:%M", None),
            "2024-05-21 08:00"
        );
        assert_eq!(
            format_instant(t, "%Y-%m-%dT%H:%M:%S%:z", Some(Stockholm)),
            "2024-05-21T10:00:00+02:00"
        );
        assert_eq!(format_instant(t, "%d/%m/%Y %Q", None), "");
        assert_eq!(format_instant(t, "100%", None), "");
    }

    #[test]
    fn zones_are_parsed_with_helpful_errors() {
        assert_eq!(parse_zone("Europe/Stockholm"), Ok(Stockholm));
        assert_eq!(parse_zone(" UTC "), Ok(Tz::UTC));
        assert_eq!(
            parse_zone("Europe/Stokholm"),
            Err("unknown time zone `Europe/Stokholm` (did you mean `Europe/Stockholm`?); use an IANA name such as Europe/Stockholm or UTC".to_string())
        );
        let lower = parse_zone("europe/paris").expect_err("zone names are case-sensitive");
        assert!(lower.contains("did you mean `Europe/Paris`?"), "{lower}");
        assert_eq!(
            parse_zone("Mars/Olympus"),
            Err("unknown time zone `Mars/Olympus`; use an IANA name such as Europe/Stockholm or UTC".to_string())
        );
        assert!(parse_zone("").is_err());
    }

    #[test]
    fn formats_are_checked_and_the_bad_part_named() {
        for good in [
            "%d/%m/%Y",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S%.3f%:z",
            "%s",
            "100%%",
            "%-d.%-m.%Y",
            "plain",
        ] {
            assert_eq!(check_format(good), Ok(()), "{good}");
        }
        let bad = check_format("%d/%m/%Q").expect_err("%Q is unknown");
        assert!(bad.contains("`%Q`"), "{bad}");
        let bad = check_format("%Y-%m-%d %").expect_err("a lone % is invalid");
        assert!(bad.contains("a `%` ends it"), "{bad}");
        let bad = check_format("%%%Y %é").expect_err("%é is unknown");
        assert!(bad.contains("`%é`"), "{bad}");
    }

    #[test]
    fn arbitrary_text_never_panics() {
        const PIECES: &[&str] = &[
            "2024",
            "-",
            "12",
            "03",
            "T",
            " ",
            ":",
            "60",
            "99",
            ".",
            "123456789012",
            "Z",
            "+",
            "01:00",
            "é",
            "GMT",
            "Tue, ",
            "May ",
            "%",
            "%Y",
            "%z",
            "%s",
            "%.",
            "%:",
            "0000",
        ];
        let mut seed: u64 = 7;
        for _ in 0..2_000 {
            let mut text = String::new();
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            for _ in 0..(seed >> 60) {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                text.push_str(PIECES[(seed >> 33) as usize % PIECES.len()]);
            }
            let _ = parse_datetime(&text, Some(Stockholm));
            let _ = parse_with_format(&text, "%Y-%m-%d %H:%M:%S", Some(Stockholm));
            let _ = parse_with_format("2024-12-03", &text, None);
            let _ = check_format(&text);
            let _ = format_instant(utc("2024-12-03T21:15:04Z"), &text, Some(Stockholm));
            let _ = from_unix_guess(f64::from_bits(seed));
        }
    }
}
