//! What the run has changed in AWS so far, for the last words of a run that cannot finish
//! normally (a panic: see [`crate::app`]'s hook).
//!
//! Each AWS write appends one line here as it succeeds ("registered `api:4`", "updated service
//! `api` to `api:4` (deployment ecs-svc/1)"). The hook reads it without blocking: if the lock is
//! held or poisoned it says so instead of waiting.

use std::sync::Mutex;

static WRITES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Notes one AWS write that succeeded.
pub fn wrote(what: impl Into<String>) {
    if let Ok(mut writes) = WRITES.lock() {
        writes.push(what.into());
    }
}

/// The writes so far, or `None` when they cannot be read without waiting.
pub fn writes() -> Option<Vec<String>> {
    WRITES.try_lock().ok().map(|w| w.clone())
}

/// A panic on purpose at a named point, for the tests of the panic hook. Compiled into debug
/// builds only; `ECS_SHIP_TEST_PANIC_AT` (read once by [`crate::app`]) names the point.
#[cfg(debug_assertions)]
#[track_caller]
pub fn test_panic_point(point: &str) {
    assert!(
        PANIC_AT.get().is_none_or(|at| at != point),
        "test panic at {point}"
    );
}

#[cfg(not(debug_assertions))]
pub fn test_panic_point(_point: &str) {}

#[cfg(debug_assertions)]
pub static PANIC_AT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_kept_in_order() {
        wrote("registered `api:4`");
        wrote("updated service `api`");
        let writes = writes().unwrap();
        let at = writes
            .iter()
            .position(|w| w == "registered `api:4`")
            .unwrap();
        assert_eq!(writes[at + 1], "updated service `api`");
    }
}
