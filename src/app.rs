//! The program: pick the mode, read and validate inputs, run, write outputs and summary, exit.

use std::io::Write;

use tokio::time::Instant;

use std::cell::RefCell;

use crate::aws::Clients;
use crate::command::{self, With};
use crate::console::{Console, Mode};
use crate::error::Exit;
use crate::github::Tracker;
use crate::input::action_env::{RunContext, RunnerFiles};
use crate::progress::Progress;
use crate::report::{Kind, Report, Reported, summary};
use crate::request::{DeployRequest, Request};

/// Runs the program and returns the process exit code.
pub fn main() -> i32 {
    let env = |name: &str| std::env::var(name).ok();
    let given = crate::input::read(env);
    let mode = if given.actions {
        Mode::Actions
    } else {
        Mode::Human
    };
    let kind = match &given.command {
        Ok(step) if step.command == "rollback" => Kind::Rollback,
        Ok(step) if step.command == "run-task" => Kind::RunTask,
        _ => Kind::Deploy,
    };
    let files = RunnerFiles::from_env(env);
    let ctx = RunContext::from_env(env);
    #[cfg(debug_assertions)]
    if let Some(point) = env("ECS_SHIP_TEST_PANIC_AT") {
        let _ = crate::progress::PANIC_AT.set(point);
    }
    #[cfg(debug_assertions)]
    if env("ECS_SHIP_TEST_QUICK_RETRIES").is_some() {
        let _ = crate::aws::QUICK_RETRIES.set(());
    }
    let progress = Progress::default();
    install_panic_hook(
        files.clone(),
        mode,
        kind,
        given.environment.clone(),
        progress.clone(),
    );
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
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let console = Console::new(stdout.lock(), mode).live(terminal);
    let report = runtime.block_on(async {
        let started = Instant::now();
        let request = given
            .command
            .and_then(crate::input::load)
            .and_then(|inputs| crate::request::validate(&inputs));
        let mut report = match request {
            Ok(request) => Box::pin(execute(&request, &ctx, &console, &progress)).await,
            Err(user_error) => {
                let mut report = Report::new(&given.environment);
                report.kind = kind;
                report.fail(
                    "Invalid input",
                    user_error.message,
                    user_error.hint,
                    Exit::UserError,
                );
                report
            }
        };
        report.duration = started.elapsed();
        if mode == Mode::Human
            && let Some(failure) = &mut report.failure
        {
            failure.message = crate::input::cli::speak_cli(&failure.message);
            failure.hint = failure.hint.as_deref().map(crate::input::cli::speak_cli);
        }
        report
    });
    finish(&report, &files, &console);
    report.exit as i32
}

/// On a panic (a bug; none should happen), still leave well-formed outputs, a summary and one
/// error annotation that says where it stopped and what had been changed in AWS by then, then exit
/// with code 1. The panic's own message is not printed: it can quote the value it choked on.
fn install_panic_hook(
    files: RunnerFiles,
    mode: Mode,
    kind: Kind,
    environment: String,
    progress: Progress,
) {
    std::panic::set_hook(Box::new(move |info| {
        let place = info.location().map_or_else(
            || "an unknown place".to_string(),
            |l| format!("{}:{}", l.file(), l.line()),
        );
        // A literal message is ours; a formatted one may carry a value, so it stays out.
        let said = info
            .payload()
            .downcast_ref::<&'static str>()
            .map_or_else(String::new, |s| format!(" ({s})"));
        let changed = match progress.writes() {
            Some(writes) if writes.is_empty() => "before it changed anything in AWS".to_string(),
            Some(writes) => format!("after it had {}", writes.join("; ")),
            None => "and what it had changed in AWS could not be read".to_string(),
        };
        let message = format!(
            "ecs-ship stopped on an internal error at {place}{said}, {changed}; the service may be mid-rollout: check it in the ECS console"
        );
        let mut report = Report::new(environment.trim());
        report.kind = kind;
        report.fail(
            "Internal error",
            message.clone(),
            Some("this is a bug in ecs-ship; please report it with this message".into()),
            Exit::Failure,
        );
        let mut stderr = std::io::stderr();
        match mode {
            Mode::Actions => {
                let _ = writeln!(
                    stderr,
                    "::error title=Internal error::{}",
                    crate::console::escape_data(&message)
                );
            }
            Mode::Human => {
                let _ = writeln!(stderr, "error: {}", crate::console::safe_line(&message));
            }
        }
        if let Some(path) = &files.output {
            let _ = crate::runner::write_outputs(path, &report.outputs());
        }
        if let Some(path) = &files.summary {
            let _ = crate::runner::write_summary(path, &summary::render(&report));
        }
        std::process::exit(Exit::Failure as i32);
    }));
}

/// Runs a request until it ends or the process is asked to stop (SIGINT, SIGTERM). On a signal
/// the run is dropped where it stands (ECS carries on with whatever was started) and the report
/// says what was known.
async fn execute<W: Write>(
    request: &Request,
    ctx: &RunContext,
    console: &Console<W>,
    progress: &Progress,
) -> Report {
    let region = request.region();
    match request {
        Request::Deploy(req) if req.run_task => {
            let run_task = command::run_task::RunTask { req };
            execute_command(&run_task, region, ctx, console, progress, None).await
        }
        Request::Deploy(req) if req.verify_only => {
            let verify = command::verify::Verify { req };
            execute_command(&verify, region, ctx, console, progress, None).await
        }
        Request::Deploy(req) => {
            let deploy = command::deploy::Deploy { req };
            let github = req.github.as_ref().map(|_| github_tracker(req, ctx));
            execute_command(&deploy, region, ctx, console, progress, github).await
        }
        Request::Rollback(req) => {
            let rollback = command::rollback::Rollback { req };
            execute_command(&rollback, region, ctx, console, progress, None).await
        }
        Request::Resume(req) => {
            let resume = command::resume::Resume { req };
            execute_command(&resume, region, ctx, console, progress, None).await
        }
    }
}

/// Every command's skeleton: its GitHub deployment (when recorded), AWS loaded once, the command
/// run until it ends or a signal does, the report built from its record, and the GitHub
/// deployment finished from the report.
async fn execute_command<K: Reported, W: Write>(
    command: &K,
    region: Option<&str>,
    ctx: &RunContext,
    console: &Console<W>,
    progress: &Progress,
    github: Option<Result<Tracker, String>>,
) -> Report {
    let mut warnings = Vec::new();
    let github = github.and_then(|tracker| {
        tracker
            .inspect_err(|warning| {
                console.warning("GitHub deployment", warning);
                warnings.push(warning.clone());
            })
            .ok()
            .map(RefCell::new)
    });
    let with = With {
        console,
        progress,
        context: ctx,
        github: github.as_ref(),
    };
    let record = Box::pin(command::load_and_run(
        command,
        Clients::load(region),
        &with,
        shutdown_signal(),
    ))
    .await;
    let mut report = command.report(&record, warnings);
    if let Some(tracker) = github {
        let finished = tracker.into_inner().finish(report.github_state()).await;
        for warning in &finished.warnings {
            console.warning("GitHub deployment", warning);
        }
        report.note_github(finished.id, finished.warnings);
    }
    report
}

/// The GitHub deployment tracker, when asked for. A client that cannot be built is a warning.
fn github_tracker(req: &DeployRequest, ctx: &RunContext) -> Result<Tracker, String> {
    let Some(github) = &req.github else {
        return Err("no GitHub deployment asked for".into());
    };
    let (Some(repository), Some(sha)) = (&ctx.repository, &ctx.git_sha) else {
        return Err("not in GitHub Actions (GITHUB_REPOSITORY and GITHUB_SHA are not set): no deployment recorded".into());
    };
    crate::github::Tracker::new(
        github.clone(),
        crate::github::Where {
            repository: repository.clone(),
            sha: sha.clone(),
            api_url: ctx
                .api_url
                .clone()
                .unwrap_or_else(|| "https://api.github.com".into()),
            log_url: ctx.run_url.clone(),
        },
        &req.target.environment,
    )
}

#[cfg(unix)]
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return "SIGINT";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    }
}

#[cfg(not(unix))]
async fn shutdown_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

/// Prints the verdict, then writes outputs and the summary when the runner's files are set.
fn finish<W: Write>(report: &Report, files: &RunnerFiles, console: &Console<W>) {
    // A wait cut short (a cancel) leaves its status lines: the verdict replaces them.
    console.end_status();
    crate::report::console::verdict(report, console);
    if let Some(path) = &files.output
        && let Err(err) = crate::runner::write_outputs(path, &report.outputs())
    {
        console.error("Outputs not written", &format!("{err:#}"));
    }
    if let Some(path) = &files.summary
        && let Err(err) = crate::runner::write_summary(path, &summary::render(report))
    {
        console.error("Summary not written", &format!("{err:#}"));
    }
    let _ = console.flush();
}
