//! Mistakes collected while checking settings, so that a run reports every one at once (as
//! cargo-deny reports all its findings) instead of the first.

use crate::error::UserError;

/// The mistakes found so far.
#[derive(Debug, Default)]
pub struct Problems(Vec<UserError>);

impl Problems {
    /// The value of a check that passed; a failed one's mistake is kept, and `T`'s default
    /// stands in (never used: [`Self::into_result`] then returns the mistakes).
    pub fn take<T: Default>(&mut self, checked: Result<T, UserError>) -> T {
        self.option(checked).unwrap_or_default()
    }

    /// The value of a check that passed, or `None` with its mistake kept.
    pub fn option<T>(&mut self, checked: Result<T, UserError>) -> Option<T> {
        match checked {
            Ok(value) => Some(value),
            Err(err) => {
                self.0.push(err);
                None
            }
        }
    }

    /// The value of a check that passed, or `None` with its mistakes kept.
    pub fn option_all<T>(&mut self, checked: Result<T, Vec<UserError>>) -> Option<T> {
        match checked {
            Ok(value) => Some(value),
            Err(errs) => {
                self.0.extend(errs);
                None
            }
        }
    }

    /// `value` when nothing was found wrong, else every mistake.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<UserError>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }
}
