//! HTML → plain text, for offer descriptions.
//!
//! Many boards send descriptions as HTML fragments (`<h2>`, `<p>`, `<ul>`,
//! `<br>`, entities). Analysts want the text: [`to_text`] drops the tags,
//! turns block tags into line breaks and list items into `- ` lines,
//! decodes entities (named, decimal and hexadecimal), drops `<script>` and
//! `<style>` contents and comments, and collapses runs of spaces and blank
//! lines. It is a small, careful scanner rather than an HTML parser:
//! descriptions are fragments from outside, and malformed markup degrades
//! into text instead of failing. It never panics, and it allocates only the
//! text it returns and one working buffer.

/// Tags that start a new paragraph.
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
    "p",
    "pre",
    "section",
    "table",
    "tr",
];

/// Tags whose content is not text.
const SKIPPED: &[&str] = &["script", "style", "head", "template"];

/// The plain text of an HTML fragment.
///
/// Block tags separate paragraphs, `<br>` breaks a line, and list items
/// become `- ` lines (nested lists stay one flat list, without blank lines
/// between their items).
pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    // How many `<ul>`/`<ol>` are open: a nested list continues its
    // parent's lines instead of starting a paragraph.
    let mut lists = 0usize;
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        push_text(&mut out, &rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('&') {
            let used = entity(rest, &mut out);
            rest = &rest[used..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
        } else {
            let Some(end) = rest.find('>') else {
                // A lone `<`: text.
                break;
            };
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            let closing = tag.starts_with('/');
            let body = tag.trim_start_matches('/');
            // ASCII alphanumerics are one byte each: the slice ends on a
            // character boundary.
            let name = &body[..body.bytes().take_while(u8::is_ascii_alphanumeric).count()];
            if name.is_empty() && !tag.starts_with('!') && !closing {
                // `a < b>`: not a tag.
                push_text(&mut out, "<");
                push_text(&mut out, tag);
                push_text(&mut out, ">");
                continue;
            }
            if !closing && SKIPPED.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                rest = after_closing_tag(rest, name);
                continue;
            }
            let is = |n: &str| name.eq_ignore_ascii_case(n);
            if is("br") {
                newline(&mut out);
            } else if is("li") {
                if !closing {
                    line_start(&mut out);
                    out.push_str("- ");
                }
            } else if is("td") || is("th") {
                if !closing {
                    push_text(&mut out, " ");
                }
            } else if is("ul") || is("ol") {
                if closing {
                    lists = lists.saturating_sub(1);
                }
                if lists > 0 {
                    line_start(&mut out);
                } else {
                    paragraph(&mut out);
                }
                if !closing {
                    lists += 1;
                }
            } else if BLOCK.iter().any(|b| b.eq_ignore_ascii_case(name)) {
                paragraph(&mut out);
            }
        }
    }
    push_text(&mut out, rest);
    tidy(&out)
}

/// What follows the `</name ...>` that closes a skipped element, or
/// nothing when it is never closed. `name` is ASCII.
fn after_closing_tag<'a>(rest: &'a str, name: &str) -> &'a str {
    let bytes = rest.as_bytes();
    let mut from = 0;
    while let Some(at) = rest[from..].find("</").map(|i| from + i) {
        let start = at + 2;
        let end = start + name.len();
        // `</scriptx>` does not close `<script>`.
        let matches = bytes
            .get(start..end)
            .is_some_and(|b| b.eq_ignore_ascii_case(name.as_bytes()))
            && !bytes.get(end).is_some_and(u8::is_ascii_alphanumeric);
        if matches {
            // `at` is the byte of an ASCII `<`: a character boundary.
            return rest[at..].find('>').map_or("", |e| &rest[at + e + 1..]);
        }
        from = start;
    }
    ""
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

/// Ends the current line (`<br>`): two in a row leave a blank line.
fn newline(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
    out.push('\n');
}

/// Starts a new line unless one has just started.
fn line_start(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Starts a new paragraph: one blank line.
fn paragraph(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
    }
}

/// Trims every line, collapses whitespace (non-breaking spaces included)
/// into single spaces, and keeps at most one blank line in a row and none
/// at either end.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines() {
        let mut words = line.split(char::is_whitespace).filter(|w| !w.is_empty());
        let Some(first) = words.next() else {
            blank = !out.is_empty();
            continue;
        };
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        out.push_str(first);
        for word in words {
            out.push(' ');
            out.push_str(word);
        }
    }
    out
}

/// Decodes the entity at the start of `text` (which starts with `&`) into
/// `out`, and answers how many bytes it took. An unknown or unterminated
/// named entity stands for itself. A numeric one takes all its digits, as
/// browsers do, and one outside Unicode (or a surrogate, or zero) is
/// U+FFFD, as browsers show it.
fn entity(text: &str, out: &mut String) -> usize {
    if let Some(num) = text.strip_prefix("&#") {
        let (skip, radix) = if num.starts_with(['x', 'X']) {
            (1, 16)
        } else {
            (0, 10)
        };
        // Digits are ASCII: every index below is a character boundary.
        let digits = &num[skip..];
        let len = digits
            .bytes()
            .take_while(|&b| char::from(b).is_digit(radix))
            .count();
        if len == 0 {
            out.push('&');
            return 1;
        }
        let code = digits[..len].chars().fold(0u32, |acc, c| {
            acc.saturating_mul(radix)
                .saturating_add(c.to_digit(radix).unwrap_or(0))
        });
        let c = char::from_u32(code)
            .filter(|&c| c != '\0')
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        push_text(out, c.encode_utf8(&mut [0; 4]));
        let end = 2 + skip + len;
        return if text[end..].starts_with(';') {
            end + 1
        } else {
            end
        };
    }
    let end = text
        .char_indices()
        .skip(1)
        .take(12)
        .find(|(_, c)| !c.is_ascii_alphanumeric())
        .map(|(i, _)| i)
        // All of the first 13 characters are ASCII: byte 13 is a boundary.
        .unwrap_or_else(|| text.len().min(13));
    match named(&text[1..end]) {
        Some(decoded) => {
            push_text(out, decoded);
            if text[end..].starts_with(';') {
                end + 1
            } else {
                end
            }
        }
        None => {
            out.push('&');
            1
        }
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
        "aring" => "å",
        "Aring" => "Å",
        "oslash" => "ø",
        "Oslash" => "Ø",
        "aelig" => "æ",
        "AElig" => "Æ",
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

    #[test]
    fn script_content_is_dropped_whatever_its_case_and_attributes() {
        assert_eq!(
            to_text(
                "<p>Before</p><script type=\"text/javascript\">var a = '<p>x</p>';</Script ><p>After</p>"
            ),
            "Before\n\nAfter"
        );
        assert_eq!(to_text("Text<script>never closed <p>lost</p>"), "Text");
        assert_eq!(to_text("<style>a{}</styles>b</style>c"), "c");
    }

    #[test]
    fn escaped_markup_is_text_not_markup() {
        assert_eq!(
            to_text("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "<script>alert(1)</script>"
        );
    }

    #[test]
    fn nested_lists_stay_one_flat_list() {
        let html = "<p>Stack:</p><ul><li>Back end<ul><li>Rust</li><li>Go</li></ul></li><li>Front end<ol><li>TypeScript</li></ol>and CSS</li></ul><p>Thanks</p>";
        assert_eq!(
            to_text(html),
            "Stack:\n\n- Back end\n- Rust\n- Go\n- Front end\n- TypeScript\nand CSS\n\nThanks"
        );
    }

    #[test]
    fn self_closing_breaks_break_lines() {
        assert_eq!(
            to_text("one<br/>two<br />three<BR>four"),
            "one\ntwo\nthree\nfour"
        );
        assert_eq!(to_text("one<br/><br/>two"), "one\n\ntwo");
    }

    #[test]
    fn numeric_entities_out_of_range_become_replacement_characters() {
        assert_eq!(to_text("a&#1114112;b"), "a\u{fffd}b");
        assert_eq!(to_text("a&#x110000;b"), "a\u{fffd}b");
        assert_eq!(to_text("a&#99999999999999999999;b"), "a\u{fffd}b");
        assert_eq!(to_text("a&#xD800;b"), "a\u{fffd}b");
        assert_eq!(to_text("a&#0;b"), "a\u{fffd}b");
        // No digits: the text stays.
        assert_eq!(to_text("a&#;b &#x; &#xZ"), "a&#;b &#x; &#xZ");
        // Digits stop where the number does.
        assert_eq!(to_text("&#65BC; &#x41G"), "ABC; AG");
    }

    #[test]
    fn non_ascii_text_is_kept() {
        assert_eq!(
            to_text("<p>Développeur·se à Zürich, Göteborg &amp; Tromsø: café, smörgås, Ærø</p>"),
            "Développeur·se à Zürich, Göteborg & Tromsø: café, smörgås, Ærø"
        );
        assert_eq!(to_text("&oslash;&aring; 日本語 <b>ü</b>"), "øå 日本語 ü");
    }

    #[test]
    fn text_cut_inside_a_tag_or_entity_does_not_panic() {
        assert_eq!(
            to_text("<p>Hello <a href=\"https://ex"),
            "Hello <a href=\"https://ex"
        );
        assert_eq!(to_text("Fish &am"), "Fish &am");
        assert_eq!(to_text("Price &#82"), "Price R");
        assert_eq!(to_text("Price &#x"), "Price &#x");
        assert_eq!(to_text("End &"), "End &");
        assert_eq!(to_text("<"), "<");
        assert_eq!(to_text("<!-- never closed"), "");
        assert_eq!(to_text("</"), "</");
        assert_eq!(to_text("&éé<é"), "&éé<é");
        assert_eq!(to_text("&aaaaaaaaaaaaaaaaaé"), "&aaaaaaaaaaaaaaaaaé");
    }

    #[test]
    fn arbitrary_input_never_panics() {
        const PIECES: &[&str] = &[
            "<", ">", "&", "#", "x", ";", "</", "<!--", "-->", "script", "br", "li", "ul", "p",
            "/", "é", "ø", "日", "amp", "12", "FFFF", " ", "\n", "\u{a0}", "\"", "=",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..2_000 {
            let mut input = String::new();
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            for _ in 0..(seed >> 59) {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                input.push_str(PIECES[(seed >> 33) as usize % PIECES.len()]);
            }
            let text = to_text(&input);
            assert!(!text.starts_with([' ', '\n']), "{input:?} → {text:?}");
        }
    }
}
