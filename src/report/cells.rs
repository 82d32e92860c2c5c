//! How a value is written in the step summary, shared by its table and its sections: untrusted
//! text made inert and bounded, links, and the caps on lists.

use super::markdown::{self, inert};
use crate::domain::states::TaskStatus;
use crate::text::shorten;

pub(super) const MAX_EVENTS: usize = 10;
pub(super) const MAX_TASKS: usize = 5;
pub(super) const MAX_DIFF_LINES: usize = 400;
pub(super) const MAX_LINE_CHARS: usize = 300;
const MAX_PROSE_CHARS: usize = 4000;

/// Untrusted prose (messages, reasons, events), inert and bounded.
pub(super) fn text(s: &str) -> String {
    inert(&shorten(s, MAX_PROSE_CHARS))
}

/// An untrusted identifier in monospace, inert and bounded.
pub(super) fn code(s: &str) -> String {
    markdown::code(&shorten(s, MAX_LINE_CHARS))
}

pub(super) fn status_text(status: Option<&TaskStatus>) -> &str {
    status.map_or("-", TaskStatus::as_str)
}

/// A Markdown link whose text is escaped and whose URL is ours (percent-encoded names).
pub(super) fn link(label: &str, url: &str) -> String {
    format!("[{label}]({})", url.replace(['(', ')', ' '], ""))
}
