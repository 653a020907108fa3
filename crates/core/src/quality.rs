//! Implausible values: kept in `raw`, left out of the typed columns, and
//! counted.
//!
//! A board can send a salary of 450,000,000 a year (a typo, a currency in
//! cents), coordinates of 0/0 or 900/-3, a creation date in 1970 or next
//! year. Written as they are, they skew every average an analyst takes.
//! [`check`] sets such a typed value to null, leaving the board's payload
//! untouched in `raw`, and names the column so that the run counts a
//! data-quality warning (the summary shows how many, with the first offer
//! ids).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::record::JobRecord;

/// The largest plausible yearly salary (10 million, whatever the currency).
pub const MAX_YEARLY_SALARY: f64 = 10_000_000.0;

/// The earliest plausible creation or update date.
pub fn earliest_date() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// How many of a period make a year, for the salary bound.
fn per_year(period: Option<&str>) -> f64 {
    match period {
        Some("hourly") => 2080.0,
        Some("daily") => 260.0,
        Some("weekly") => 52.0,
        Some("monthly") => 12.0,
        _ => 1.0,
    }
}

/// Nulls the implausible typed values of `record` and returns the columns
/// it nulled. `now` bounds dates in the future (a day of clock skew
/// allowed).
pub fn check(record: &mut JobRecord, now: DateTime<Utc>) -> Vec<&'static str> {
    let mut out = Vec::new();
    let factor = per_year(record.salary_period.as_deref());
    for (name, value) in [
        ("salary_min", &mut record.salary_min),
        ("salary_max", &mut record.salary_max),
    ] {
        if let Some(v) = *value
            && !(v.is_finite() && v >= 0.0 && v * factor <= MAX_YEARLY_SALARY)
        {
            *value = None;
            out.push(name);
        }
    }
    for (name, value, bound) in [
        ("latitude", &mut record.latitude, 90.0),
        ("longitude", &mut record.longitude, 180.0),
    ] {
        if let Some(v) = *value
            && !(v.is_finite() && v.abs() <= bound)
        {
            *value = None;
            out.push(name);
        }
    }
    let (earliest, latest) = (earliest_date(), now + TimeDelta::days(1));
    for (name, value) in [
        ("created_at", &mut record.created_at),
        ("updated_at", &mut record.updated_at),
    ] {
        if let Some(t) = *value
            && (t < earliest || t > latest)
        {
            *value = None;
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implausible_values_are_nulled_and_named_plausible_ones_kept() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        let mut r = JobRecord::new("s", "1");
        r.salary_min = Some(450_000_000.0);
        r.salary_max = Some(60_000.0);
        r.salary_period = Some("yearly".into());
        r.latitude = Some(95.0);
        r.longitude = Some(2.35);
        r.created_at = Some(Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap());
        r.updated_at = Some(now + TimeDelta::days(3));
        r.raw = Some(r#"{"salary": 450000000}"#.into());
        let nulled = check(&mut r, now);
        assert_eq!(
            nulled,
            ["salary_min", "latitude", "created_at", "updated_at"]
        );
        assert_eq!((r.salary_min, r.salary_max), (None, Some(60_000.0)));
        assert_eq!((r.latitude, r.longitude), (None, Some(2.35)));
        assert!(
            r.raw.as_deref().unwrap().contains("450000000"),
            "kept in raw"
        );

        let mut hourly = JobRecord::new("s", "2");
        hourly.salary_min = Some(6_000.0);
        hourly.salary_period = Some("hourly".into());
        assert_eq!(
            check(&mut hourly, now),
            ["salary_min"],
            "6,000 an hour is 12.5 M a year"
        );
        let mut fine = JobRecord::new("s", "3");
        fine.salary_min = Some(4_000.0);
        fine.salary_period = Some("monthly".into());
        fine.created_at = Some(now + TimeDelta::hours(20));
        fine.longitude = Some(-179.9);
        assert!(check(&mut fine, now).is_empty(), "{fine:?}");
    }
}
