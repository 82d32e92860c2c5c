//! Log lines for people: workflow commands in Actions mode, plain text on a terminal.
//!
//! Generic over `impl Write` so tests render into a `Vec<u8>`. Any text that may come from a user
//! or from AWS goes through [`safe_line`], so it can never start a workflow command: control
//! characters are shown escaped, a leading `::` and any `##[` are broken with a zero-width space.
//! Command data and properties are escaped as the toolkit's `command.ts` does.

use std::io::{self, Write};

/// Where the log goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// GitHub Actions: `::group::`, `::error title=...::` and friends.
    Actions,
    /// A terminal: plain lines.
    Human,
}

const ZWSP: char = '\u{200B}';

/// One line of untrusted text made safe to print: control characters escaped, and nothing in it
/// can be read by the runner as a workflow command.
pub fn safe_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    let out = out.replace("##[", &format!("##{ZWSP}["));
    if out.trim_start().starts_with("::") {
        format!("{ZWSP}{out}")
    } else {
        out
    }
}

/// Escapes workflow command data (the text after `::`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command property value (`title=...`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Writes log lines in the chosen mode. Writes go through `&self` (the writer is behind a
/// `RefCell`), so stages that run at the same time (services shipped while others are watched)
/// can log to one console; each call writes whole lines.
pub struct Console<W: Write> {
    state: std::cell::RefCell<Screen<W>>,
    mode: Mode,
    /// A terminal that can redraw: the wait keeps one status line per service at the bottom
    /// instead of printing a line per change.
    live: bool,
}

struct Screen<W> {
    out: W,
    in_group: bool,
    /// The status lines drawn at the bottom (a live terminal only).
    status: Vec<String>,
    drawn: usize,
}

/// Status lines are cut to this many characters, so that none wraps on an 80-column terminal
/// (a wrapped line would throw the redraw's line count off).
const STATUS_WIDTH: usize = 78;
/// At most this many status lines; more services are counted on a last line.
const STATUS_LINES: usize = 12;

impl<W: Write> Screen<W> {
    /// Takes the status lines off the screen (the cursor goes back to where they began).
    fn erase(&mut self) {
        if self.drawn > 0 {
            let _ = write!(self.out, "\x1b[{}F\x1b[J", self.drawn);
            self.drawn = 0;
        }
    }

    fn draw(&mut self) {
        for line in &self.status {
            let _ = writeln!(self.out, "{line}");
        }
        self.drawn = self.status.len();
        let _ = self.out.flush();
    }
}

impl<W: Write> Console<W> {
    pub fn new(out: W, mode: Mode) -> Self {
        Self {
            state: std::cell::RefCell::new(Screen {
                out,
                in_group: false,
                status: Vec::new(),
                drawn: 0,
            }),
            mode,
            live: false,
        }
    }

    /// On a terminal (`live`, in human mode), waits show status lines redrawn in place.
    #[must_use]
    pub fn live(mut self, live: bool) -> Self {
        self.live = live && self.mode == Mode::Human;
        self
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether status lines replace the lines a wait prints per change.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Shows `lines` as the status at the bottom of a live terminal, in place of the last ones
    /// (each cut to one terminal line; nothing when not live).
    pub fn status(&self, lines: &[String]) {
        if !self.live {
            return;
        }
        let mut shown: Vec<String> = lines
            .iter()
            .take(STATUS_LINES)
            .map(|l| crate::text::shorten(&safe_line(l), STATUS_WIDTH))
            .collect();
        if lines.len() > STATUS_LINES {
            shown.push(format!("... and {} more", lines.len() - STATUS_LINES));
        }
        let mut state = self.state.borrow_mut();
        state.erase();
        state.status = shown;
        state.draw();
    }

    /// Takes the status lines away (the wait ended).
    pub fn end_status(&self) {
        let mut state = self.state.borrow_mut();
        state.erase();
        state.status.clear();
    }

    /// Writes through `f` with the status lines lifted and redrawn below what it wrote.
    fn write(&self, f: impl FnOnce(&mut W) -> io::Result<()>) {
        let mut state = self.state.borrow_mut();
        state.erase();
        let _ = f(&mut state.out);
        if !state.status.is_empty() {
            state.draw();
        }
    }

    /// Starts a collapsible group (a heading on a terminal). Closes an open one first.
    /// The status lines of a wait end with its group.
    pub fn group(&self, title: &str) {
        self.end_status();
        self.end_group();
        let title = safe_line(title);
        let mode = self.mode;
        self.write(|out| match mode {
            Mode::Actions => writeln!(out, "::group::{}", escape_data(&title)),
            Mode::Human => writeln!(out, "\n== {title}"),
        });
        self.state.borrow_mut().in_group = true;
    }

    pub fn end_group(&self) {
        let mut state = self.state.borrow_mut();
        if state.in_group && self.mode == Mode::Actions {
            let _ = writeln!(state.out, "::endgroup::");
        }
        state.in_group = false;
    }

    /// A plain line; multi-line text prints as several safe lines.
    pub fn line(&self, text: &str) {
        self.write(|out| {
            for line in text.split('\n') {
                writeln!(out, "{}", safe_line(line))?;
            }
            Ok(())
        });
    }

    pub fn warning(&self, title: &str, message: &str) {
        self.annotation("warning", title, message);
    }

    pub fn error(&self, title: &str, message: &str) {
        self.annotation("error", title, message);
    }

    fn annotation(&self, kind: &str, title: &str, message: &str) {
        self.end_group();
        let mode = self.mode;
        self.write(|out| match mode {
            Mode::Actions => writeln!(
                out,
                "::{kind} title={}::{}",
                escape_property(title),
                escape_data(message)
            ),
            Mode::Human => {
                let mut first = true;
                let mut result = Ok(());
                for line in message.split('\n') {
                    let prefix = if first {
                        format!("{kind}: ")
                    } else {
                        "  ".to_string()
                    };
                    first = false;
                    result = result.and(writeln!(out, "{prefix}{}", safe_line(line)));
                }
                result
            }
        });
    }

    /// A block of untrusted lines (a rendered task definition, a diff). In Actions mode the block
    /// is fenced with `::stop-commands::` and a random token, so nothing in it is a command.
    pub fn block(&self, lines: &[String]) {
        let token = (self.mode == Mode::Actions)
            .then(|| format!("ecs-ship-{}", uuid::Uuid::new_v4().simple()));
        self.write(|out| {
            if let Some(token) = &token {
                writeln!(out, "::stop-commands::{token}")?;
            }
            for text in lines {
                for line in text.split('\n') {
                    writeln!(out, "{}", safe_line(line))?;
                }
            }
            if let Some(token) = &token {
                writeln!(out, "::{token}::")?;
            }
            Ok(())
        });
    }

    /// Asks the runner to mask each value (each line of it) in everything printed from now on.
    /// Nothing on a terminal.
    pub fn add_masks(&self, values: &[String]) {
        if self.mode != Mode::Actions {
            return;
        }
        self.end_group();
        let mut state = self.state.borrow_mut();
        for line in values.iter().flat_map(|v| v.lines()) {
            if !line.trim().is_empty() {
                let _ = writeln!(state.out, "::add-mask::{}", escape_data(line.trim()));
            }
        }
    }

    pub fn flush(&self) -> io::Result<()> {
        self.end_group();
        self.end_status();
        self.state.borrow_mut().out.flush()
    }

    /// The writer, for tests.
    pub fn into_inner(self) -> W {
        self.end_group();
        self.state.into_inner().out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(mode: Mode, f: impl FnOnce(&Console<Vec<u8>>)) -> String {
        let console = Console::new(Vec::new(), mode);
        f(&console);
        String::from_utf8(console.into_inner()).unwrap()
    }

    #[test]
    fn hostile_text_cannot_start_a_command() {
        let out = render(Mode::Actions, |c| {
            c.line("::error::pwned\n::set-output name=x::y ##[add-mask]z");
        });
        for line in out.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line:?}");
            assert!(!line.contains("##["), "{line:?}");
        }
        assert_eq!(safe_line("a\r\nb\u{1b}[31m"), "a\\r\\nb\\u{1b}[31m");
    }

    #[test]
    fn annotations_escape_data_and_properties() {
        let out = render(Mode::Actions, |c| {
            c.error("Deploy: failed, badly", "line one\nline two 100%");
        });
        assert_eq!(
            out,
            "::error title=Deploy%3A failed%2C badly::line one%0Aline two 100%25\n"
        );
    }

    #[test]
    fn groups_open_and_close_in_actions_mode_only() {
        let out = render(Mode::Actions, |c| {
            c.group("Render");
            c.line("x");
            c.group("Wait");
        });
        assert_eq!(
            out,
            "::group::Render\nx\n::endgroup::\n::group::Wait\n::endgroup::\n"
        );
        let out = render(Mode::Human, |c| {
            c.group("Render");
            c.line("x");
            c.error("Deploy failed", "why\nmore");
        });
        assert_eq!(out, "\n== Render\nx\nerror: why\n  more\n");
    }

    #[test]
    fn status_lines_are_redrawn_in_place_on_a_terminal_and_absent_elsewhere() {
        let live = |live: bool| {
            let console = Console::new(Vec::new(), Mode::Human).live(live);
            console.status(&["api: running 1/2".into()]);
            console.line("event: started");
            console.status(&["api: running 2/2".into(), "x".repeat(200)]);
            console.end_status();
            console.line("done");
            String::from_utf8(console.into_inner()).unwrap()
        };
        assert_eq!(live(false), "event: started\ndone\n");
        let out = live(true);
        assert_eq!(
            out,
            format!(
                "api: running 1/2\n\x1b[1F\x1b[Jevent: started\napi: running 1/2\n\x1b[1F\x1b[Japi: running 2/2\n{}…\n\x1b[2F\x1b[Jdone\n",
                "x".repeat(78)
            )
        );
        let actions = Console::new(Vec::new(), Mode::Actions).live(true);
        assert!(!actions.is_live(), "never in Actions mode");
    }

    #[test]
    fn blocks_are_fenced_with_a_random_token() {
        let out = render(Mode::Actions, |c| c.block(&["::warning::x".to_string()]));
        let lines: Vec<_> = out.lines().collect();
        let token = lines[0].strip_prefix("::stop-commands::").unwrap();
        assert!(token.len() > 20);
        assert_eq!(lines[2], format!("::{token}::"));
        let again = render(Mode::Actions, |c| c.block(&[]));
        assert!(!again.contains(token), "each block gets a new token");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::report::markdown::tests::hostile;

        /// Whether the runner would read `line` as a workflow command (v2 `::name::`, or v1
        /// `##[name]` anywhere in the line).
        fn is_command(line: &str) -> bool {
            line.trim_start().starts_with("::") || line.contains("##[")
        }

        fn huge() -> impl Strategy<Value = String> {
            prop_oneof![
                9 => hostile(),
                1 => (hostile(), 1usize..50_000).prop_map(|(s, n)| s.repeat(n.min(300_000 / (s.len() + 1)))),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            #[test]
            fn untrusted_text_never_becomes_a_command(text in huge(), title in hostile()) {
                for mode in [Mode::Actions, Mode::Human] {
                    let out = render(mode, |c| {
                        c.group(&title);
                        c.line(&text);
                        c.block(std::slice::from_ref(&text));
                    });
                    let own = |l: &str| {
                        l.starts_with("::group::") || l == "::endgroup::" || l.starts_with("::stop-commands::ecs-ship-")
                            || (l.starts_with("::ecs-ship-") && l.ends_with("::"))
                    };
                    for line in out.lines().filter(|l| !own(l)) {
                        prop_assert!(!is_command(line), "{:?}", line);
                        prop_assert!(!line.contains('\r'), "{:?}", line);
                    }
                    let group_line = out.lines().next().unwrap();
                    prop_assert!(!group_line.contains('\r') && !group_line.contains("##["), "{:?}", group_line);
                }
            }

            #[test]
            fn an_annotation_is_one_line_whatever_it_says(title in huge(), message in huge()) {
                let out = render(Mode::Actions, |c| c.error(&title, &message));
                prop_assert_eq!(out.matches('\n').count(), 1, "{:?}", out);
                let (head, _) = out.split_once("::").unwrap().1.split_once("::").unwrap();
                // The title cannot end the properties early or add another one.
                prop_assert!(head.starts_with("error title=") && !head["error title=".len()..].contains([',', ':']), "{:?}", head);
            }
        }
    }
}
