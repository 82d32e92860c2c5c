//! Making untrusted text inert in GitHub-flavoured Markdown.
//!
//! Every string the summary shows that did not come from our own code (inputs, names, tags, AWS
//! messages, stop reasons, event text) goes through [`inert`], the one escaping function. What it
//! returns renders as the same text, on one line, and nothing in it is syntax:
//!
//! - line breaks (`\n`, `\r`, U+2028, U+2029, VT, FF, NEL) and tabs become spaces, so a value can
//!   never end a table row, start a heading or a list, or leave a paragraph;
//! - ASCII punctuation that Markdown, GFM or HTML give a meaning to becomes a numeric character
//!   reference (`[` → `&#91;`): no link, image, emphasis, code span, table cell, HTML tag or
//!   entity can be formed, and GFM's autolinks (`https://…`, `www.…`) do not fire because their
//!   trigger characters are no longer in the source;
//! - `@` and `#` are also followed by an empty HTML comment, which splits the text node so GFM's
//!   e-mail autolinks, GitHub's mentions and issue references cannot match (they work on decoded
//!   text, where a character reference alone does not stop them);
//! - control and invisible format characters (bidi overrides, zero-width spaces) are shown as
//!   `\u{…}`, so a lookalike name cannot hide what it really holds.
//!
//! [`inert_lines`] applies the same to each line of a block shown inside `<pre>`.

use std::fmt::Write as _;

use crate::text::is_hidden;

/// Text made inert: renders as itself, on one line, with no Markdown or HTML meaning.
pub fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for c in text.chars() {
        push_inert(&mut out, c);
    }
    out
}

/// Each line made inert; the line breaks between them kept (for `<pre>` blocks only).
pub fn inert_lines(text: &str) -> String {
    text.split('\n').map(inert).collect::<Vec<_>>().join("\n")
}

/// An identifier in monospace (`<code>`), inert.
pub fn code(text: &str) -> String {
    format!("<code>{}</code>", inert(text))
}

fn push_inert(out: &mut String, c: char) {
    match c {
        '\n' | '\r' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
            out.push(' ');
        }
        '@' | '#' => {
            push_reference(out, c);
            out.push_str("<!---->");
        }
        c if is_syntax(c) => push_reference(out, c),
        c if is_hidden(c) => {
            push_reference(out, '\\');
            let _ = write!(out, "u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

fn push_reference(out: &mut String, c: char) {
    out.push_str("&#");
    out.push_str(&u32::from(c).to_string());
    out.push(';');
}

/// ASCII punctuation with a meaning in Markdown, GFM, GitHub's math, or HTML (`.` and `+` for
/// autolinks). `-`, `=`, `,`, `/`, `;`, `%`, `?` and braces stay as they are: they mean
/// something only at the start of a line, which an inert string never is, or (`;`) only after
/// an `&`, which is always encoded.
fn is_syntax(c: char) -> bool {
    matches!(
        c,
        '!' | '"'
            | '$'
            | '&'
            | '\''
            | '('
            | ')'
            | '*'
            | '+'
            | '.'
            | ':'
            | '<'
            | '>'
            | '['
            | '\\'
            | ']'
            | '^'
            | '_'
            | '`'
            | '|'
            | '~'
    )
}

/// The text a reader sees in Markdown written with [`inert`] and [`code`]: comments dropped,
/// character references decoded, `<code>` tags removed. For tests and for checking what a
/// summary says; it is not a general Markdown renderer.
pub fn decoded(markdown: &str) -> String {
    let text = markdown
        .replace("<!---->", "")
        .replace("<code>", "")
        .replace("</code>", "");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("&#") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let digits = after.find(';').map(|end| &after[..end]);
        let reference = digits
            .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
            .and_then(|d| {
                d.parse::<u32>()
                    .ok()
                    .and_then(char::from_u32)
                    .map(|c| (c, d.len()))
            });
        if let Some((c, len)) = reference {
            out.push(c);
            rest = &after[len + 1..];
        } else {
            out.push_str("&#");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
pub(crate) mod tests;
