//! ecs-ship: ship application code to AWS ECS.
//!
//! The data flows one way; each stage is a folder, and a stage imports only the stages before it:
//!
//! ```text
//! input ──► request ──► gather ──► plan ──► preflight ──► apply ──► watch ──► rollback ──► command ──► report
//! (env,     (validate,  (AWS reads, (pure:  (AWS reads:   (AWS      (verdict, (after a     (deploy,    (outputs,
//!  files)    pure)       concurrent)  render,  what new    writes)   diagnosis)  failure,   verify,     summary,
//!                                   diff)    tasks need)                       on cancel)  rollback,   console)
//!                                                                                          continue)
//! ```
//!
//! - Shared by all, importing no stage: [`error`], [`text`], [`console`] (log lines),
//!   [`progress`] (what the run has changed so far, for a cancelled or panicking run),
//!   [`domain`] (the vocabulary: ARNs, image references, ECS states as enums, task definitions as
//!   AWS wire JSON with render, normalise and diff, and the outcomes the stages return) and
//!   [`cloud`] (the [`cloud::Cloud`] trait: every AWS read and write the stages make).
//! - [`input`] is the only reader of the process environment and files: the CLI, `INPUT_*` in
//!   Actions mode, the config file (merged in typed form), YAML maps, the template file.
//! - [`request`] validates inputs into a [`request::Request`]: after it nothing sees raw strings,
//!   and no AWS call happens before it succeeds (the production gate included).
//! - [`gather`] reads SSM, ECR and ECS concurrently into a [`gather::Gathered`] snapshot;
//!   [`plan`] turns request + snapshot into a [`plan::Plan`] per service (what `verify` shows);
//!   [`preflight`] checks what the new revisions need (secrets, roles, log groups, images, the
//!   execution role's permissions) before anything is written.
//! - [`apply`] makes the writes and returns what each did (register, the pre-deploy task,
//!   update, and after a verified success the record, promotion tag and clean-up); [`watch`]
//!   decides each rollout's verdict and explains failures; [`rollback`] puts services back after
//!   a failure or a cancel.
//! - [`command`] has one file per command (deploy, verify, rollback, continue), each running the
//!   stages in order and keeping their values in its record (a [`command::deploy::DeployRun`]
//!   for a deploy), through one scaffold; [`report`] builds the [`report::Report`] from a record
//!   once, and renders outputs, the step summary and console text.
//! - Edges: [`aws`] implements [`cloud::Cloud`] with the SDK (and decides nothing); [`github`]
//!   reports to GitHub Deployments; [`runner`] is the only writer of the runner's files; [`app`]
//!   wires it all: mode, runtime, signals, the command, the runner's files.

pub mod console;
pub mod error;
pub mod progress;
pub mod text;

pub mod cloud;
pub mod domain;

pub mod input;
pub mod request;

pub mod gather;
pub mod plan;
pub mod preflight;

pub mod apply;
pub mod watch;

pub mod rollback;

pub mod command;
pub mod report;

pub mod aws;
pub mod github;
pub mod runner;

pub mod app;

#[cfg(test)]
mod layout_tests;
