//! The rule that lets the config file fill what a step left out: an input left at its declared
//! default counts as not given (see [`Defaults::left_unset`]).

use crate::input::cli::inputs_of;

/// Each input's declared default, to tell "given" from "left at its default".
pub(crate) struct Defaults(Vec<(String, Option<String>)>);

impl Defaults {
    pub(crate) fn new(command: &str) -> Self {
        Self(inputs_of(command))
    }

    /// Whether the step left input `name` unset, so the file's value applies. An input equal
    /// to its declared default counts as unset: the runner passes every input's default as if
    /// the step had given it, so "given the default" and "not given" look the same, and the
    /// file must win over a default it was written to change.
    pub(crate) fn left_unset(&self, name: &str, current: &str) -> bool {
        let current = current.trim();
        current.is_empty()
            || self
                .0
                .iter()
                .any(|(n, d)| n == name && d.as_deref() == Some(current))
    }

    /// Sets `slot` to the file's `value` when the step left it unset; whether it did.
    pub(crate) fn fill<S: Slot>(&self, slot: &mut S, name: &str, value: &str) -> bool {
        let unset = self.left_unset(name, slot.current());
        if unset {
            slot.set(value);
        }
        unset
    }
}

/// An input field: `Option<String>` (no default) or `String` (with one).
pub(crate) trait Slot {
    fn current(&self) -> &str;
    fn set(&mut self, value: &str);
}

impl Slot for Option<String> {
    fn current(&self) -> &str {
        self.as_deref().unwrap_or("")
    }
    fn set(&mut self, value: &str) {
        *self = Some(value.to_string());
    }
}

impl Slot for String {
    fn current(&self) -> &str {
        self
    }
    fn set(&mut self, value: &str) {
        value.clone_into(self);
    }
}
