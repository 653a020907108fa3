//! Where a top-level member's value sits in an offer's JSON text.
//!
//! The offer is parsed by simd-json, which cannot say where a value was in
//! the text it read (it unescapes strings in place, in a copy). To remove
//! personal data from `raw` while keeping every other byte as the API sent
//! it, [`member_span`] finds the byte range of the `contact` value with a
//! small scan of the JSON structure: it steps over strings (and their
//! escapes) and nested values without decoding them. It runs only on text
//! the parser has already accepted, and answers `None` rather than guess
//! on anything it does not understand.

use std::ops::Range;

/// The byte range, in `raw`, of the value of the top-level member `key` of
/// the JSON object `raw`; `None` when `raw` is not an object or has no
/// such member.
///
/// Keys are compared after unescaping, as a parser does: `"cont\u0061ct"`
/// is `contact`. When a key appears twice the first one is answered (the
/// typed parse refuses such offers anyway).
pub(crate) fn member_span(raw: &str, key: &str) -> Option<Range<usize>> {
    let b = raw.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return None;
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(b, i)?;
        let name = &raw[i..key_end];
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let end = value_end(b, start)?;
        if key_is(name, key) {
            return Some(start..end);
        }
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            _ => return None,
        }
    }
}

/// Whether the quoted JSON string `quoted` (quotes included) spells `key`.
fn key_is(quoted: &str, key: &str) -> bool {
    let inner = &quoted[1..quoted.len() - 1];
    if inner.contains('\\') {
        serde_json::from_str::<String>(quoted).is_ok_and(|k| k == key)
    } else {
        inner == key
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The index just past the string that opens at `b[start]` (a quote).
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        let offset = b.get(i..)?.iter().position(|&c| c == b'"' || c == b'\\')?;
        i += offset;
        if b[i] == b'"' {
            return Some(i + 1);
        }
        // A backslash escapes the next byte (for `\u`, the four hex digits
        // that follow are plain bytes).
        i += 2;
    }
}

/// The index just past the value that starts at `b[start]`.
fn value_end(b: &[u8], start: usize) -> Option<usize> {
    match *b.get(start)? {
        b'"' => string_end(b, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            loop {
                match *b.get(i)? {
                    b'"' => {
                        i = string_end(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let len = b[start..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(b.len() - start);
            (len > 0).then_some(start + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of `key`'s value, as found by the scan.
    fn value<'a>(raw: &'a str, key: &str) -> Option<&'a str> {
        member_span(raw, key).map(|span| &raw[span])
    }

    #[test]
    fn finds_objects_strings_and_scalars_at_the_top_level() {
        let raw = r#"{"id":"A","contact":{"nom":"X"},"n":12.5e3,"b":true,"z":null}"#;
        assert_eq!(value(raw, "contact"), Some(r#"{"nom":"X"}"#));
        assert_eq!(value(raw, "id"), Some(r#""A""#));
        assert_eq!(value(raw, "n"), Some("12.5e3"));
        assert_eq!(value(raw, "b"), Some("true"));
        assert_eq!(value(raw, "z"), Some("null"));
        assert_eq!(value(raw, "nom"), None, "only top-level members count");
    }

    #[test]
    fn steps_over_nested_values_and_tricky_strings() {
        let raw = concat!(
            "{ \"description\" : \"a } b { \\\"contact\\\": {\\\\\",\n",
            "  \"lieu\": {\"x\": [1, {\"contact\": {}}, \"]\"], \"y\": {}},\n",
            "  \"contact\" : {\"nom\": \"D'Artagnan \\\"}\\\" \\u00e9\", ",
            "\"a\": [{\"b\": \"}\"}]} ,\"after\": 1 }"
        );
        assert_eq!(
            value(raw, "contact"),
            Some(r#"{"nom": "D'Artagnan \"}\" \u00e9", "a": [{"b": "}"}]}"#)
        );
        assert_eq!(value(raw, "after"), Some("1"));
        serde_json::from_str::<serde_json::Value>(raw).expect("the test's text is JSON");
    }

    #[test]
    fn contact_absent_null_or_empty() {
        assert_eq!(value(r#"{"id":"A"}"#, "contact"), None);
        assert_eq!(value("{}", "contact"), None);
        assert_eq!(value(" { } ", "contact"), None);
        assert_eq!(value(r#"{"contact":null}"#, "contact"), Some("null"));
        assert_eq!(value(r#"{"contact":{}}"#, "contact"), Some("{}"));
        assert_eq!(value(r#"{"contact" : [ ] }"#, "contact"), Some("[ ]"));
    }

    #[test]
    fn escaped_keys_are_compared_unescaped() {
        let raw = r#"{"cont\u0061ct":{"nom":"X"},"contacts":1}"#;
        assert_eq!(value(raw, "contact"), Some(r#"{"nom":"X"}"#));
        assert_eq!(value(raw, "contacts"), Some("1"));
        assert_eq!(value(r#"{"a\"contact":1}"#, "contact"), None);
    }

    #[test]
    fn not_an_object_or_cut_short_gives_none() {
        for raw in [
            "",
            "[1]",
            r#""contact""#,
            r#"{"contact""#,
            r#"{"contact":"#,
            r#"{"contact":{"a":"}"#,
            r#"{"contact":"x"#,
            r#"{"a":1 "contact":2}"#,
        ] {
            assert_eq!(member_span(raw, "contact"), None, "{raw}");
        }
    }
}
