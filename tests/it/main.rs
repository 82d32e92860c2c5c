//! The integration tests, one binary: the real program run the way the GitHub runner runs it,
//! against a local AWS (moto plus our scenario layer, `tests/support/`) and a stand-in for
//! GitHub's API; drift tests between the code, `action.yml` and the README; and the stages run
//! against a model of ECS on a paused clock.

#[path = "../support/mod.rs"]
mod support;

mod behaviour;
mod config;
mod deployments;
mod drift;
mod e2e;
mod engine;
mod faults;
mod github;
mod hostile;
mod many;
mod model;
mod paused;
mod predeploy;
mod preflight;
mod record;
mod rollout;
mod run_task;
mod schedules;
mod services;
mod table;
mod trips;
