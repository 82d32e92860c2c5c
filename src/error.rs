//! Error kinds the process exit code depends on.
//!
//! Everything is an `anyhow::Error`; a [`UserError`] somewhere in the chain marks a mistake the user
//! can fix (bad input, missing image, unconfirmed production deploy). It carries a `hint:` line and
//! gives its own exit code, so scripts can tell "you asked for something wrong" from "it broke".

use std::fmt;

/// Exit codes of the binary. Documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Deployed, unchanged, or verified.
    Success = 0,
    /// An unexpected failure (AWS error, I/O).
    Failure = 1,
    /// A user mistake: bad input, image or service not found, production not confirmed.
    UserError = 2,
    /// The rollout itself failed (FAILED, rolled back, timed out).
    DeployFailed = 3,
    /// Cancelled (SIGINT or SIGTERM) while running; outputs and summary say what was known.
    Cancelled = 130,
}

/// A mistake the user can fix, with a hint that says how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    pub message: String,
    pub hint: Option<String>,
    /// When it stands for several mistakes ([`Self::many`]): each of them.
    pub items: Vec<UserError>,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            items: Vec::new(),
        }
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl UserError {
    /// Several mistakes as one error: one alone as it is; more as a count, then each on its own
    /// line with its hint.
    pub fn many(errors: Vec<Self>) -> Self {
        let mut errors: Vec<Self> = errors.into_iter().flat_map(Self::each).collect();
        if errors.len() == 1 {
            return errors.remove(0);
        }
        let mut message = format!("{} problems with the settings:", errors.len());
        for err in &errors {
            message.push_str("\n- ");
            message.push_str(&err.message);
            if let Some(hint) = &err.hint {
                message.push_str(" (hint: ");
                message.push_str(hint);
                message.push(')');
            }
        }
        let mut all = Self::new(message).hint("fix each; nothing was read from or written to AWS");
        all.items = errors;
        all
    }

    /// The mistakes it stands for: itself, or each of several.
    pub fn each(self) -> Vec<Self> {
        if self.items.is_empty() {
            vec![self]
        } else {
            self.items
        }
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

/// The user error somewhere in an error's chain, if any.
pub fn find_user_error(err: &anyhow::Error) -> Option<&UserError> {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<UserError>())
}

/// The exit code for an error that ended the run.
pub fn exit_for(err: &anyhow::Error) -> Exit {
    if find_user_error(err).is_some() {
        Exit::UserError
    } else {
        Exit::Failure
    }
}

/// Renders an error for people: the message chain, then the hint when there is one.
pub fn describe(err: &anyhow::Error) -> (String, Option<String>) {
    if let Some(user) = find_user_error(err) {
        return (user.message.clone(), user.hint.clone());
    }
    let chain: Vec<String> = err.chain().map(ToString::to_string).collect();
    (chain.join(": "), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn user_error_is_found_under_context_and_gets_its_exit_code() {
        let err: anyhow::Result<()> = Err(UserError::new("bad `x`").hint("fix it").into());
        let err = err.context("validating inputs").unwrap_err();
        assert_eq!(exit_for(&err), Exit::UserError);
        assert_eq!(
            describe(&err),
            ("bad `x`".to_string(), Some("fix it".to_string()))
        );
    }

    #[test]
    fn other_errors_are_failures_with_the_whole_chain() {
        let err = anyhow::anyhow!("connection refused").context("describing service `api`");
        assert_eq!(exit_for(&err), Exit::Failure);
        assert_eq!(
            describe(&err).0,
            "describing service `api`: connection refused"
        );
    }
}
