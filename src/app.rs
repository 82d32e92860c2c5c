//! The program: pick the mode, read and validate inputs, run, write outputs and summary, exit.

use std::io::Write;

use tokio::time::Instant;

use crate::action_env::{self, RunnerFiles};
use crate::cli::{Cli, Command};
use crate::console::{Console, Mode};
use crate::deploy;
use crate::error::Exit;
use crate::report::{Report, Status, summary};

/// Runs the program and returns the process exit code.
pub fn main() -> i32 {
    let env = |name: &str| std::env::var(name).ok();
    let arg_count = std::env::args_os().count();
    let actions = action_env::is_actions_mode(env, arg_count);
    let mode = if actions { Mode::Actions } else { Mode::Human };
    let args = if actions {
        action_env::read_inputs(env)
    } else {
        let Command::Deploy(args) = Cli::parse_from_args().command;
        Ok(*args)
    };
    let files = RunnerFiles::from_env(env);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: starting the async runtime: {err}");
            return Exit::Failure as i32;
        }
    };
    let stdout = std::io::stdout();
    let mut console = Console::new(stdout.lock(), mode);
    let report = runtime.block_on(async {
        let started = Instant::now();
        match args.and_then(|a| a.validate()) {
            Ok(request) => deploy::run(&request, &mut console, started).await,
            Err(user_error) => {
                let environment =
                    env(&action_env::input_variable("environment")).unwrap_or_default();
                let mut report = Report::new(environment.trim());
                report.fail(
                    "Invalid input",
                    user_error.message,
                    user_error.hint,
                    Exit::UserError,
                );
                report.duration = started.elapsed();
                report
            }
        }
    });
    finish(&report, &files, &mut console);
    report.exit as i32
}

impl Cli {
    fn parse_from_args() -> Self {
        <Self as clap::Parser>::parse()
    }
}

/// Prints the verdict, then writes outputs and the summary when the runner's files are set.
fn finish<W: Write>(report: &Report, files: &RunnerFiles, console: &mut Console<W>) {
    console.end_group();
    if let Some(failure) = &report.failure {
        let message = match &failure.hint {
            Some(hint) => format!("{}\nhint: {hint}", failure.message),
            None => failure.message.clone(),
        };
        console.error(&failure.title, &message);
        if !report.events.is_empty() {
            console.group("Last service events");
            for event in report.events.iter().take(10) {
                console.line(&format!("{} {}", event.created_at, event.message));
            }
            console.end_group();
        }
    } else {
        let what = match report.status {
            Status::Deployed => "deployed",
            Status::Started => "started (not waited for)",
            Status::Unchanged => "unchanged",
            Status::DryRun => "dry run, nothing changed",
            Status::Failed => "failed",
        };
        console.line(&format!(
            "Result: {what} in {:.1}s{}",
            report.duration.as_secs_f64(),
            report
                .task_definition_arn
                .as_deref()
                .map_or(String::new(), |arn| format!(
                    " ({})",
                    crate::model::short_task_definition(arn)
                ))
        ));
    }
    if let Some(path) = &files.output {
        if let Err(err) = crate::runner::write_outputs(path, &report.outputs()) {
            console.error("Outputs not written", &format!("{err:#}"));
        }
    }
    if let Some(path) = &files.summary {
        if let Err(err) = crate::runner::write_summary(path, &summary::render(report)) {
            console.error("Summary not written", &format!("{err:#}"));
        }
    }
    let _ = console.flush();
}
