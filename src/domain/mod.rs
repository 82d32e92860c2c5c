//! The shared vocabulary: ECS objects as we see them, image references and ECR repositories, and
//! task definitions as AWS wire JSON. Pure, and imports no stage.

pub mod arn;
pub mod deployment;
pub mod ecs;
pub mod image;
pub mod names;
pub mod outcome;
pub mod states;
pub mod taskdef;
