//! ecs-ship: ship application code to AWS ECS.
//!
//! The data flows one way, one module per arrow:
//!
//! ```text
//! inputs ──► request ──► gather ──► plan ──► apply ──► watch ──► report
//! (cli,      (validate)  (AWS reads, (pure:   (AWS      (verdict)  (outputs, summary,
//!  action_env)            concurrent) render,  writes)              console)
//!                                     diff)
//! ```
//!
//! - [`cli`] declares every input once; [`action_env`] reads them from `INPUT_*` in Actions mode;
//!   [`config`] fills what the step leaves out from the config file, before validation.
//! - [`request`] validates them into a [`request::DeployRequest`]: after it, nothing sees raw
//!   strings, and no AWS call happens before it succeeds.
//! - [`aws`] is a thin layer, one function per AWS operation, turning SDK types into ours. Task
//!   definitions travel as AWS wire JSON so that every field survives ([`aws::raw_json`]).
//! - [`gather`] reads SSM, ECR and ECS concurrently into a [`gather::Gathered`] snapshot.
//! - [`taskdef`] renders and normalises task definitions and [`diff`] compares them; [`plan`]
//!   turns request + snapshot into a [`plan::Plan`] value (what `--dry-run` prints).
//! - [`services`] parses the `services` list (several services, one image).
//! - [`deploy`] runs a deploy from gathering to the record; [`apply`] makes its AWS writes
//!   ([`register`]: paced registration; [`predeploy`]: the one-off task before the services;
//!   concurrent updates) and [`watch`] decides each rollout's verdict; [`rollback`] puts services
//!   back after a failure (and is the `rollback` command); [`diagnose`] reads load balancer
//!   target health for the failure report.
//! - [`record`] writes the SSM deployment record and the ECR promotion tag after a verified
//!   success; [`cleanup`] deregisters old revisions (`keep-revisions`).
//! - [`report`] turns the outcome into outputs and a step summary (with region-aware console
//!   links, [`report::links`]); [`console`] writes log lines
//!   (workflow commands in Actions, plain text on a terminal); [`runner`] is the only module that
//!   writes the runner's files; [`github`] reports the deploy to GitHub Deployments.
//! - [`progress`] notes each AWS write as it succeeds, so even a run that stops on a bug says
//!   what it changed.

pub mod error;
pub mod progress;
pub mod text;

pub mod domain;

pub mod cloud;

pub mod apply;
pub mod deploy;
pub mod gather;
pub mod input;
pub mod plan;
pub mod report;
pub mod request;
pub mod rollback;
pub mod watch;

pub mod aws;
pub mod console;
pub mod github;
pub mod runner;

pub mod app;
