//! HTML → plain text, for offer descriptions.
//!
//! Arbeitnow sends descriptions as HTML fragments (`<h2>`, `<p>`, `<ul>`,
//! `<br>`, entities). Analysts want the text: [`to_text`] drops the tags,
//! turns block tags into line breaks and list items into `- ` lines,
//! decodes entities (named, decimal and hexadecimal), drops `<script>` and
//! `<style>` contents and comments, and collapses runs of spaces and blank
//! lines. It is a small, careful scanner rather than an HTML parser:
//! descriptions are fragments, and malformed markup degrades into text
//! instead of failing.

/// Tags that start a new line.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "ul",
];

/// Tags whose content is not text.
const SKIPPED: &[&str] = &["script", "style", "head", "template"];

/// The plain text of an HTML fragment.
pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        push_text(&mut out, &rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('&') {
            let (decoded, used) = entity(rest);
            push_text(&mut out, &decoded);
            rest = &rest[used..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
        } else {
            let Some(end) = rest.find('>') else {
                // A lone `<`: text.
                push_text(&mut out, rest);
                rest = "";
                break;
            };
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            let closing = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if name.is_empty() && !tag.starts_with('!') && !closing {
                // `a < b>`: not a tag.
                push_text(&mut out, "<");
                push_text(&mut out, tag);
                push_text(&mut out, ">");
                continue;
            }
            if SKIPPED.contains(&name.as_str()) && !closing {
                let close = format!("</{name}");
                let lower = rest.to_ascii_lowercase();
                rest = match lower.find(&close) {
                    Some(at) => rest[at..].find('>').map_or("", |e| &rest[at + e + 1..]),
                    None => "",
                };
                continue;
            }
            match name.as_str() {
                "br" => newline(&mut out),
                "li" if !closing => {
                    newline(&mut out);
                    out.push_str("- ");
                }
                "td" | "th" if !closing => push_text(&mut out, " "),
                n if BLOCK.contains(&n) => paragraph(&mut out),
                _ => {}
            }
        }
    }
    push_text(&mut out, rest);
    tidy(&out)
}

/// Appends text, with any whitespace run shown as one space.
fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_whitespace() && c != '\u{a0}' {
            if !out.ends_with([' ', '\n']) && !out.is_empty() {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

fn newline(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
    out.push('\n');
}

fn paragraph(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
    }
}

/// Trims every line, drops blank lines past one in a row, turns
/// non-breaking spaces into spaces.
fn tidy(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.replace('\u{a0}', " ").lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// Decodes the entity at the start of `text` (which starts with `&`):
/// the text it stands for, and how many bytes it took. An unknown or
/// unterminated entity stands for itself.
fn entity(text: &str) -> (String, usize) {
    let end = text
        .char_indices()
        .skip(1)
        .take(12)
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '#'))
        .map(|(i, _)| i)
        .unwrap_or_else(|| text.len().min(13));
    let name = &text[1..end];
    let used = if text[end..].starts_with(';') {
        end + 1
    } else {
        end
    };
    let decoded = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse().ok(),
        };
        code.and_then(char::from_u32).map(String::from)
    } else {
        named(name).map(String::from)
    };
    match decoded {
        Some(d) if !name.is_empty() => (d, used),
        _ => ("&".to_string(), 1),
    }
}

fn named(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "shy" => "",
        "auml" => "ä",
        "ouml" => "ö",
        "uuml" => "ü",
        "Auml" => "Ä",
        "Ouml" => "Ö",
        "Uuml" => "Ü",
        "szlig" => "ß",
        "eacute" => "é",
        "egrave" => "è",
        "ecirc" => "ê",
        "agrave" => "à",
        "ccedil" => "ç",
        "Eacute" => "É",
        "euro" => "€",
        "pound" => "£",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "deg" => "°",
        "middot" => "·",
        "bull" => "•",
        "hellip" => "…",
        "ndash" => "–",
        "mdash" => "—",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "times" => "×",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn block_tags_become_line_breaks_and_lists_dashes() {
        let html = "<h2><strong>Über uns</strong></h2><p>Wir suchen   dich.</p><ul><li>Rust</li><li>SQL</li></ul><p>Bis bald!<br>Team</p>";
        assert_eq!(
            to_text(html),
            "Über uns\n\nWir suchen dich.\n\n- Rust\n- SQL\n\nBis bald!\nTeam"
        );
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            to_text(
                "Fish &amp; chips &lt;3 &#8364;&#x20AC; 50&nbsp;000 &euro; &auml;&szlig; &bogus; a&b"
            ),
            "Fish & chips <3 €€ 50 000 € äß &bogus; a&b"
        );
    }

    #[test]
    fn scripts_styles_and_comments_vanish() {
        assert_eq!(
            to_text(
                "<style>p{color:red}</style><p>Hi<!-- secret --> there</p><SCRIPT>alert(1)</SCRIPT>"
            ),
            "Hi there"
        );
    }

    #[test]
    fn malformed_markup_degrades_into_text() {
        assert_eq!(to_text("a < b and c > d"), "a < b and c > d");
        assert_eq!(to_text("<p>unclosed <b"), "unclosed <b");
        assert_eq!(to_text(""), "");
        assert_eq!(to_text("plain text"), "plain text");
    }
}
