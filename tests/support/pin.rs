//! Whole runs pinned: the exit code, every output, the step summary and the log, as one text an
//! insta snapshot keeps, with what differs from run to run (IDs ECS and the emulator make up,
//! clock times, durations, ports, temp paths) replaced by a name for its kind.
//!
//! A change to what a reader sees shows up as a snapshot diff to review, not as a message prefix
//! a test happened not to check.

use std::fmt::Write as _;

use super::Run;

/// What differs between two runs of the same scenario, most specific first.
pub const FILTERS: &[(&str, &str)] = &[
    // Temp workspaces and the emulator's port.
    (r"/tmp/\.tmp[A-Za-z0-9]+", "[workspace]"),
    (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
    // IDs ECS makes up: tasks, deployments, service deployments.
    (r"ecs-ship-[0-9a-f]{32}", "ecs-ship-[token]"),
    (
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[task-id]",
    ),
    (r"\b[0-9a-f]{32}\b", "[task-id]"),
    (r"\b[0-9a-f]{20,31}\b", "[id]"),
    (r"ecs-svc/\d+", "ecs-svc/[id]"),
    // Clock times and how long things took.
    (
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
        "[time]",
    ),
    // The same in the summary, where `:` and `.` are written as character references.
    (
        r"\d{4}-\d{2}-\d{2}T\d{2}&#58;\d{2}&#58;\d{2}(?:&#46;\d+)?Z",
        "[time]",
    ),
    (r"\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b", "[clock]"),
    (r"\b\d+(?:\.\d+)? ?(?:ms|s|min)\b", "[duration]"),
    (r"\b\d+m ?\d+s\b", "[duration]"),
    // A crash loop is judged once enough tasks have stopped; how many more stopped before
    // the poll that saw it depends on the machine's speed (the paused-clock tests pin it).
    (r"\b\d+ tasks of deployment", "[n] tasks of deployment"),
    (r"(?m)^duration-seconds=\d+$", "duration-seconds=[n]"),
];

/// The run as one text: exit code, outputs (the runner's order), summary as written, log.
pub fn transcript(run: &Run) -> String {
    let mut text = format!("exit: {}\n\n## outputs\n", run.code);
    for (name, value) in &run.outputs {
        if value.contains('\n') {
            let _ = writeln!(text, "{name}<<\n{value}\n>>");
        } else {
            let _ = writeln!(text, "{name}={value}");
        }
    }
    text.push_str("\n## summary\n");
    text.push_str(&run.summary_md);
    text.push_str("\n## log\n");
    text.push_str(&without_timed_lines(&run.stdout));
    if !run.stderr.trim().is_empty() {
        text.push_str("\n## stderr\n");
        text.push_str(&run.stderr);
    }
    text
}

/// The log with each run of timed progress lines (how many polls saw which
/// state depends on the machine's speed) folded into one marker line. The verdicts the watch
/// reaches are printed untimed after them, and the paused-clock tests pin the polling itself.
fn without_timed_lines(log: &str) -> String {
    let mut out = String::new();
    let mut folding = false;
    for line in log.lines() {
        // `[ 12.3s] shop: running 1/2 ...` for services, `Task 1f2e...: RUNNING after 3s` for a
        // one-off task.
        let timed = (line.starts_with('[')
            && line
                .split_once(']')
                .is_some_and(|(stamp, _)| stamp[1..].trim().ends_with('s')))
            || (line.starts_with("Task ") && line.contains(" after "));
        if timed {
            if !folding {
                out.push_str("[…] (progress lines)\n");
            }
            folding = true;
            continue;
        }
        folding = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Pins `run` as the snapshot `name` (under `tests/it/snapshots/`).
#[macro_export]
macro_rules! pin {
    ($name:expr, $run:expr) => {{
        let filters: Vec<(&str, &str)> = $crate::support::pin::FILTERS.to_vec();
        insta::with_settings!({
            filters => filters,
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $crate::support::pin::transcript(&$run));
        });
    }};
}
