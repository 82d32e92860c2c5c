//! The shared vocabulary: ECS objects as we see them (a service, its rollout settings, a stopped
//! task, a rollout watched, ECS's service deployments), name grammars and ARNs, image references
//! and ECR repositories, task definitions as AWS wire JSON, the run's options and the outcomes
//! the stages return. Pure, and imports no stage.

pub mod arn;
pub mod deployment;
pub mod deployment_settings;
pub mod image;
pub mod names;
pub mod outcome;
pub mod run_options;
pub mod service;
pub mod states;
pub mod task;
pub mod taskdef;
pub mod watched;
