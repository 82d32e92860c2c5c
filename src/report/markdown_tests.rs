use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Options, parse_document};
use proptest::prelude::*;

use super::*;

/// GitHub's flavour: tables, autolinks, strikethrough, task lists, footnotes; raw HTML kept (GitHub
/// sanitizes it; we only need to know which tags the text produced).
pub(crate) fn gfm() -> Options<'static> {
    let mut options = Options::default();
    options.extension.table = true;
    options.extension.autolink = true;
    options.extension.strikethrough = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options.extension.math_dollars = true;
    options.render.unsafe_ = true;
    options
}

/// What the Markdown turns into: the kinds of nodes (outside plain text and our own inline HTML),
/// the text of every table cell, and the text of every heading.
#[derive(Debug, Default)]
struct Rendered {
    kinds: Vec<String>,
    cells: Vec<String>,
    headings: Vec<String>,
    paragraphs: Vec<String>,
    html: Vec<String>,
}

fn render(markdown: &str) -> Rendered {
    let arena = Arena::new();
    let root = parse_document(&arena, markdown, &gfm());
    let mut out = Rendered::default();
    walk(root, &mut out);
    out
}

fn text_of<'a>(node: &'a AstNode<'a>) -> String {
    let mut text = String::new();
    for d in node.descendants() {
        match &d.data.borrow().value {
            NodeValue::Text(t) => text.push_str(t),
            NodeValue::Code(c) => text.push_str(&c.literal),
            NodeValue::SoftBreak | NodeValue::LineBreak => text.push('\n'),
            _ => {}
        }
    }
    text
}

fn walk<'a>(node: &'a AstNode<'a>, out: &mut Rendered) {
    let value = node.data.borrow().value.clone();
    match &value {
        NodeValue::TableCell => out.cells.push(text_of(node)),
        NodeValue::Heading(_) => out.headings.push(text_of(node)),
        NodeValue::Paragraph => out.paragraphs.push(text_of(node)),
        NodeValue::HtmlInline(html) => out.html.push(html.clone()),
        _ => {}
    }
    let kind = match value {
        NodeValue::Document
        | NodeValue::Text(_)
        | NodeValue::Paragraph
        | NodeValue::Table(_)
        | NodeValue::TableRow(_)
        | NodeValue::TableCell
        | NodeValue::HtmlInline(_) => None,
        NodeValue::Heading(h) => Some(format!("h{}", h.level)),
        other => Some(format!("{other:?}").chars().take(40).collect()),
    };
    out.kinds.extend(kind);
    for child in node.children() {
        walk(child, out);
    }
}

/// How `text` must read once rendered: line breaks as spaces, hidden characters spelled out.
pub(crate) fn visible(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                " ".to_string()
            }
            c if is_hidden(c) => format!("\\u{{{:x}}}", u32::from(c)),
            c => c.to_string(),
        })
        .collect()
}

/// Hostile strings: Markdown and HTML syntax, URLs, line breaks, lookalikes, mixed with anything.
pub(crate) fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("[Approve](https://evil.example)".to_string()),
        Just("![x](https://evil.example/x.png)".to_string()),
        Just("\n# heading\n".to_string()),
        Just("\r\n| a | b |\n|---|---|\n".to_string()),
        Just("<img src=x onerror=alert(1)>".to_string()),
        Just("<script>alert(1)</script>".to_string()),
        Just("`code` **bold** _em_ ~~del~~".to_string()),
        Just("https://evil.example/approve".to_string()),
        Just("www.evil.example".to_string()),
        Just("admin@evil.example".to_string()),
        Just("@octocat #123 :rocket: $x^2$".to_string()),
        Just("&amp; &#91; &lt;b&gt;".to_string()),
        Just("\u{202e}gnp.exe\u{200b}\u{feff}".to_string()),
        Just("- [ ] task\n> quote\n1. item".to_string()),
        Just("[^1]\n\n[^1]: note".to_string()),
        Just("<!-- hidden -->".to_string()),
        Just("\\".to_string()),
        any::<String>(),
        "[\\[\\]()<>|`*_!#@:~\\\\&$^\"'=.+\\- \n\r\ta-zA-Z0-9/]{0,40}".prop_map(String::from),
    ];
    prop::collection::vec(pieces, 0..6).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn inert_text_has_no_line_break_and_no_bare_syntax(text in hostile()) {
        let out = inert(&text);
        let breaks = ['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}', '\u{0B}', '\u{0C}'];
        prop_assert!(!out.contains(breaks), "{:?}", out);
        // Take out what `inert` itself writes; nothing with a meaning may be left.
        let mut rest = out.replace("<!---->", "");
        while let Some(start) = rest.find("&#") {
            let end = rest[start..].find(';').map(|e| start + e + 1).unwrap();
            prop_assert!(rest[start + 2..end - 1].chars().all(|c| c.is_ascii_digit()), "{:?}", rest);
            rest.replace_range(start..end, "");
        }
        prop_assert!(!rest.contains(['[', ']', '(', ')', '<', '>', '|', '`', '*', '_', '!', '#', '@', ':', '~', '\\', '&', '$']), "{rest:?}");
    }

    #[test]
    fn in_a_table_cell_it_renders_as_itself_and_nothing_else(text in hostile()) {
        let md = format!("| label | value |\n|---|---|\n| Environment | «{}» |\n| Result | {} |\n", inert(&text), code(&text));
        let rendered = render(&md);
        prop_assert_eq!(&rendered.kinds, &Vec::<String>::new(), "{}", md);
        prop_assert_eq!(rendered.cells.len(), 6, "{}", md);
        prop_assert_eq!(&rendered.cells[3], &format!("«{}»", visible(&text)));
        prop_assert_eq!(&rendered.cells[5], &visible(&text));
        prop_assert!(rendered.html.iter().all(|h| ["<code>", "</code>", "<!---->"].contains(&h.as_str())), "{:?}", rendered.html);
    }

    #[test]
    fn in_a_heading_and_in_prose_it_stays_text(text in hostile()) {
        let md = format!("## ✅ Deployed {} to «{}»\n\n**Rollout failed:** «{}»\n", code(&text), inert(&text), inert(&text));
        let rendered = render(&md);
        prop_assert_eq!(&rendered.kinds, &vec!["h2".to_string(), "Strong".to_string()], "{}", md);
        prop_assert_eq!(&rendered.headings, &vec![format!("✅ Deployed {} to «{}»", visible(&text), visible(&text))]);
        prop_assert_eq!(&rendered.paragraphs, &vec![format!("Rollout failed: «{}»", visible(&text))]);
    }

    #[test]
    fn decoding_gives_back_what_a_reader_sees(text in hostile()) {
        prop_assert_eq!(decoded(&inert(&text)), visible(&text));
    }

    #[test]
    fn shorten_and_floor_boundary_never_split_a_character(text in any::<String>(), max in 0usize..50, at in 0usize..200) {
        let short = crate::text::shorten(&text, max);
        prop_assert!(short.chars().count() <= max + 1);
        prop_assert!(text.starts_with(short.trim_end_matches('…')));
        let cut = crate::text::floor_boundary(&text, at);
        prop_assert!(cut <= at.min(text.len()) && text.is_char_boundary(cut));
    }
}

#[test]
fn the_reported_injections_render_as_plain_text() {
    for text in [
        "dev\n# heading",
        "[Approve](https://evil.example)",
        "![x](https://evil.example/x.png)",
        "a|b\n|---|\n| x |",
    ] {
        let md = format!("## ❌ Deploy to {} failed\n", code(text));
        let rendered = render(&md);
        assert_eq!(rendered.kinds, ["h2"], "{md}");
        assert_eq!(
            rendered.headings,
            [format!("❌ Deploy to {} failed", visible(text))]
        );
    }
}

#[test]
fn hidden_characters_are_spelled_out() {
    assert_eq!(inert("a\u{202e}b"), "a&#92;u{202e}b");
    assert_eq!(inert("dev\u{200b}"), "dev&#92;u{200b}");
    assert_eq!(inert("x\u{1b}[31m"), "x&#92;u{1b}&#91;31m");
    assert_eq!(inert("plain-name_1"), "plain-name&#95;1");
}
