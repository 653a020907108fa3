//! How values are stored: instants as sortable text, records as
//! compressed JSON.

use std::io::{Read, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use jobharvest_core::{COLUMNS, Error, ErrorKind, JobRecord, Result};
use serde_json::Value;

/// An instant as RFC 3339 text with microseconds and `Z`, so text order is
/// time order.
pub(crate) fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads an instant written by [`instant`].
pub(crate) fn parse_instant(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

/// Reads an optional instant.
pub(crate) fn parse_opt_instant(text: Option<String>) -> rusqlite::Result<Option<DateTime<Utc>>> {
    text.as_deref().map(parse_instant).transpose()
}

/// A record as zlib-compressed JSON (a third of the size of the JSON).
pub(crate) fn encode_record(record: &JobRecord) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(record)
        .map_err(|e| Error::new(ErrorKind::Parse, format!("could not encode a record: {e}")))?;
    let mut z = ZlibEncoder::new(Vec::with_capacity(json.len() / 3), Compression::fast());
    z.write_all(&json)
        .and_then(|()| z.finish())
        .map_err(|e| Error::new(ErrorKind::Io, format!("could not compress a record: {e}")))
}

/// Reads a record written by [`encode_record`].
pub(crate) fn decode_record(blob: &[u8]) -> Result<JobRecord> {
    let mut json = Vec::new();
    ZlibDecoder::new(blob)
        .read_to_end(&mut json)
        .map_err(|e| Error::new(ErrorKind::Parse, format!("a stored record is damaged: {e}")))?;
    serde_json::from_slice(&json)
        .map_err(|e| Error::new(ErrorKind::Parse, format!("a stored record is damaged: {e}")))
}

/// Blanks the personal-data columns; when any held a value, `raw` goes too,
/// since the board's payload repeats them.
pub(crate) fn without_personal_data(record: &JobRecord) -> Result<JobRecord> {
    let mut value = serde_json::to_value(record)
        .map_err(|e| Error::new(ErrorKind::Parse, format!("could not encode a record: {e}")))?;
    let Some(map) = value.as_object_mut() else {
        return Ok(record.clone());
    };
    let mut had_any = false;
    for column in COLUMNS.iter().filter(|c| c.personal) {
        if let Some(v) = map.get_mut(column.name) {
            had_any |= !v.is_null();
            *v = Value::Null;
        }
    }
    if had_any {
        map.insert("raw".into(), Value::Null);
    }
    serde_json::from_value(value)
        .map_err(|e| Error::new(ErrorKind::Parse, format!("could not decode a record: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_sort_as_text_and_round_trip() {
        let a: DateTime<Utc> = "2024-07-08T09:30:00Z".parse().unwrap();
        let b: DateTime<Utc> = "2024-07-08T09:30:00.5Z".parse().unwrap();
        let c: DateTime<Utc> = "2024-12-01T00:00:00Z".parse().unwrap();
        assert!(instant(a) < instant(b) && instant(b) < instant(c));
        assert_eq!(parse_instant(&instant(b)).unwrap(), b);
    }

    #[test]
    fn records_round_trip_and_personal_data_goes() {
        let mut r = JobRecord::new("france_travail", "1");
        r.title = Some("Soudeur".into());
        r.contact_phone = Some("0102030405".into());
        r.raw = Some(r#"{"contact":{"telephone":"0102030405"}}"#.into());
        assert_eq!(decode_record(&encode_record(&r).unwrap()).unwrap(), r);
        let blank = without_personal_data(&r).unwrap();
        assert_eq!(blank.contact_phone, None);
        assert_eq!(blank.raw, None);
        assert_eq!(blank.title, r.title);
        let mut plain = JobRecord::new("france_travail", "2");
        plain.raw = Some("{}".into());
        assert_eq!(without_personal_data(&plain).unwrap().raw, plain.raw);
        assert!(decode_record(b"not zlib").is_err());
    }
}
