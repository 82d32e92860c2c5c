//! Where inputs come from: the command line or the runner's `INPUT_*` variables, the config
//! file, and the files inputs name. The only reader of the process environment and of files.

pub mod action_env;
pub mod cli;
pub mod config;
pub mod maps;
pub mod parse_error;
pub mod services;
pub mod workspace;
