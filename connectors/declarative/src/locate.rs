//! Finding the line a key path sits on in a YAML text, for messages.
//!
//! serde's view of a document has no positions, so problems found after
//! parsing (an unknown column, a bad pointer) are placed by walking the
//! text: each key of the path is looked for below the previous one, at a
//! deeper indentation, in block style or inside a one-line flow map. It is
//! a best effort for messages, never used to read values.

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `fields.title`, `skip[1].missing` → segments.
fn segments(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key.to_string()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else { break };
            if let Ok(i) = inner[..end].parse() {
                out.push(Seg::Index(i));
            }
            rest = &inner[end + 1..];
        }
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '-']).len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// Whether `line` holds `key:` as a key (block or flow style).
fn holds_key(line: &str, key: &str) -> bool {
    let content = line.split(" #").next().unwrap_or(line);
    for quoted in [key.to_string(), format!("\"{key}\""), format!("'{key}'")] {
        let mut from = 0;
        while let Some(i) = content[from..].find(&quoted) {
            let at = from + i;
            let before = content[..at].chars().next_back();
            let after = &content[at + quoted.len()..];
            if matches!(before, None | Some(' ' | '{' | ',' | '-'))
                && after.trim_start().starts_with(':')
            {
                return true;
            }
            from = at + quoted.len();
        }
    }
    false
}

/// The 1-based line of `path` in `text`, or of the deepest part of it
/// found.
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found: Option<usize> = None;
    let mut start = 0usize;
    let mut parent_indent: Option<usize> = None;
    for seg in segments(path) {
        let mut hit = None;
        match &seg {
            Seg::Key(key) => {
                for (i, line) in lines.iter().enumerate().skip(start) {
                    if !is_content(line) {
                        continue;
                    }
                    let ind = indent(line);
                    if i > start && parent_indent.is_some_and(|p| ind <= p) && found.is_some() {
                        break;
                    }
                    if holds_key(line, key) {
                        hit = Some((i, ind));
                        break;
                    }
                }
            }
            Seg::Index(n) => {
                let mut count = 0;
                for (i, line) in lines.iter().enumerate().skip(start + 1) {
                    if !is_content(line) {
                        continue;
                    }
                    let ind = indent(line);
                    if parent_indent.is_some_and(|p| ind <= p)
                        && !line.trim_start().starts_with('-')
                    {
                        break;
                    }
                    if line.trim_start().starts_with('-') {
                        if count == *n {
                            hit = Some((i, ind));
                            break;
                        }
                        count += 1;
                    }
                }
            }
        }
        match hit {
            Some((i, ind)) => {
                found = Some(i);
                start = i;
                parent_indent = Some(ind);
            }
            None => break,
        }
    }
    found.map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "board: acme
request:
  path: /v1
  query: {per_page: \"40\", q: \"{params.q}\"}
fields:
  source_id: /ref
  titel: /role/name
  tags:
    from: /labels
    via: [trim, lowr]
skip:
  - {missing: /id}
  - index: 0
";

    #[test]
    fn finds_block_and_flow_keys_and_list_items() {
        assert_eq!(line_of(TEXT, "board"), Some(1));
        assert_eq!(line_of(TEXT, "fields.titel"), Some(7));
        assert_eq!(line_of(TEXT, "request.query.q"), Some(4));
        assert_eq!(line_of(TEXT, "fields.tags.via"), Some(10));
        assert_eq!(line_of(TEXT, "skip[1]"), Some(13));
        assert_eq!(line_of(TEXT, "skip[0].missing"), Some(12));
        assert_eq!(
            line_of(TEXT, "fields.nothing"),
            Some(5),
            "the deepest part found"
        );
        assert_eq!(line_of(TEXT, "nowhere"), None);
    }
}
