//! Text as the user gave it, made safe to show and to cut: the one place for how a value is quoted
//! in an error (or described instead), which characters are hidden, and how text is shortened
//! and put on one line. Shared by every stage; imports none.

/// A value as it may be quoted in an error: one line, control characters shown escaped.
pub fn printable(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(200)
        .flat_map(char::escape_default)
        .collect();
    if value.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// What makes a value unusual, without quoting it: a line break, a control, invisible or
/// non-ASCII character (shown by its code point, so a lookalike letter is visible), whitespace,
/// or its length. `None` when nothing stands out (the rule in the message says the rest).
pub fn problem(value: &str) -> Option<String> {
    for (i, c) in value.chars().enumerate() {
        let at = i + 1;
        let what = match c {
            '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => "a line break".to_string(),
            c if c.is_control() => format!("the control character U+{:04X}", u32::from(c)),
            c if is_hidden(c) => {
                format!("the invisible character U+{:04X}", u32::from(c))
            }
            c if !c.is_ascii() => format!("the non-ASCII character `{c}` (U+{:04X})", u32::from(c)),
            c if c.is_whitespace() => "a space".to_string(),
            _ => continue,
        };
        return Some(format!("it contains {what} at character {at}"));
    }
    let length = value.chars().count();
    (length > 255).then(|| format!("it is {length} characters long"))
}

/// `name` when it can be shown as a name: 1 to 64 ASCII letters, digits, `_`, `.` and `-`.
pub fn plain_name(name: &str) -> Option<&str> {
    let plain = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    plain.then_some(name)
}

/// Characters that print as nothing or change how the text around them reads.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            u32::from(c),
            0xAD | 0x34F
                | 0x61C
                | 0x115F..=0x1160
                | 0x17B4..=0x17B5
                | 0x180B..=0x180E
                | 0x200B..=0x200F
                | 0x202A..=0x202E
                | 0x2060..=0x206F
                | 0x3164
                | 0xFEFF
                | 0xFFA0
                | 0xFFF9..=0xFFFB
                | 0x1D173..=0x1D17A
                | 0xE0000..=0xE0FFF
        )
}

/// At most `max` characters of `text`, with `…` when it was longer. Cuts at a character.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The largest index at most `at` that is a character boundary of `text`.
pub fn floor_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0)
}

/// A value as one line: every run of whitespace (line breaks, tabs, U+2028 included) becomes one
/// space, and the ends are trimmed; control characters are dropped.
pub fn one_line(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| c.is_whitespace() || !c.is_control())
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits a comma- or newline-separated list, trimming items and dropping blanks.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The first item that appears a second time, if any.
pub fn first_duplicate<'a, T: Eq + std::hash::Hash + ?Sized + 'a>(
    items: impl IntoIterator<Item = &'a T>,
) -> Option<&'a T> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().find(|item| !seen.insert(*item))
}

/// A time as RFC 3339, UTC (`2026-12-06T10:00:00Z`).
pub fn rfc3339(t: std::time::SystemTime) -> String {
    aws_smithy_types::DateTime::from(t)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| format!("{t:?}"))
}

/// `90s` → `1m 30s`.
pub fn human_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m {s}s"),
    }
}

/// Values hidden from text we print (an application's log lines): each replaced by `***`.
///
/// Values shorter than [`Mask::MIN_CHARS`] are left alone: masking `1` or `on` would blank every
/// digit and word of the text and hide nothing worth hiding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mask {
    /// Longest first, so a value containing another is masked whole.
    values: Vec<String>,
}

impl Mask {
    pub const MIN_CHARS: usize = 4;

    /// A mask of `values` (each line of a multi-line value on its own, as log lines are).
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(values: I) -> Self {
        let mut kept: Vec<String> = values
            .into_iter()
            .flat_map(|v| {
                v.as_ref()
                    .lines()
                    .map(str::trim)
                    .filter(|l| l.chars().count() >= Self::MIN_CHARS)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        kept.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        kept.dedup();
        Self { values: kept }
    }

    /// The values masked, longest first.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// `text` with every value replaced by `***`, until none is left (a replacement can make
    /// another occurrence: `a***` in `aa***`). Each replacement shortens the text (values are
    /// longer than `***`), so this ends.
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        loop {
            let Some(value) = self.values.iter().find(|v| out.contains(v.as_str())) else {
                return out;
            };
            out = out.replace(value.as_str(), "***");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_mask_hides_values_whole_and_leaves_short_ones() {
        let mask = Mask::new(["hunter2-secret", "hunter2", "on", "multi\nline-two"]);
        assert_eq!(
            mask.apply("pw=hunter2-secret other=hunter2 mode=on line-two"),
            "pw=*** other=*** mode=on ***"
        );
        assert_eq!(mask.apply("aaaa***"), "aaaa***");
        assert_eq!(Mask::new(["a***"]).apply("aaaa***"), "***");
    }

    proptest! {
        #[test]
        fn no_masked_value_survives(
            values in proptest::collection::vec("[a-c*]{4,8}", 1..4),
            text in "[a-c* ]{0,60}",
        ) {
            let mask = Mask::new(&values);
            let with_values = format!("{text}{}{text}", values.join(" "));
            let out = mask.apply(&with_values);
            for v in &values {
                prop_assert!(!out.contains(v.as_str()), "{v} in {out}");
            }
        }
    }
}
