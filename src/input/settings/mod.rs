//! The one declaration of every setting: its name, group, type, default, the places it may be
//! given (action input, config file, command line), the commands that take it, and its help.
//!
//! Everything else is derived from [`SETTINGS`] and [`OUTPUTS`]: the command line (clap, built
//! here), the names read from `INPUT_*`, the keys the config file accepts, and the generated
//! parts of `action.yml` and the README ([`generate`]; a test fails when a checked-in file differs
//! from what it generates). [`RENAMED`] lists the names an earlier version took, so that one given
//! today is refused with its replacement rather than silently ignored.

pub mod generate;
mod table;

pub use table::{OUTPUTS, RENAMED, SETTINGS};

/// Where a setting may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Places {
    pub action: bool,
    pub file: bool,
    pub cli: bool,
}

/// Everywhere: an action input, a config file key and a command-line option.
pub const EVERYWHERE: Places = Places {
    action: true,
    file: true,
    cli: true,
};
/// A step's own choice (an action input and an option), never a file's.
pub const PER_RUN: Places = Places {
    action: true,
    file: false,
    cli: true,
};
/// Set once per repository: the config file (and the command line), not a step's input.
pub const REPOSITORY: Places = Places {
    action: false,
    file: true,
    cli: true,
};
/// The command line only (in Actions the runner decides it).
pub const CLI_ONLY: Places = Places {
    action: false,
    file: false,
    cli: true,
};
/// The config file only.
pub const FILE_ONLY: Places = Places {
    action: false,
    file: true,
    cli: false,
};

/// The commands a setting applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum For {
    /// `deploy`, `verify` and `run-task`.
    Deploy,
    /// Every command.
    All,
    /// `rollback` and `continue`.
    Paused,
    /// `deploy`, `verify` and `rollback`.
    DeployAndRollback,
}

impl For {
    pub fn includes(self, command: &str) -> bool {
        match self {
            Self::All => true,
            Self::Deploy => matches!(command, "deploy" | "verify" | "run-task"),
            Self::Paused => matches!(command, "rollback" | "continue"),
            Self::DeployAndRollback => matches!(command, "deploy" | "verify" | "rollback"),
        }
    }
}

/// The groups settings are shown in (action.yml, the README, `--help`), in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Run,
    Target,
    Image,
    TaskDefinition,
    Service,
    Waiting,
    GitHub,
    Repository,
}

impl Group {
    pub const ALL: [Self; 8] = [
        Self::Run,
        Self::Target,
        Self::Image,
        Self::TaskDefinition,
        Self::Service,
        Self::Waiting,
        Self::GitHub,
        Self::Repository,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Run => "What to run",
            Self::Target => "Where: the services",
            Self::Image => "What: the image",
            Self::TaskDefinition => "The task definition",
            Self::Service => "The service and its deployment",
            Self::Waiting => "Waiting, failure and cancel",
            Self::GitHub => "GitHub",
            Self::Repository => "Set once per repository (config file or command line)",
        }
    }
}

/// The shape of a setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One value (a name, a number, a word from a fixed list).
    Text,
    /// `true` or `false`; on the command line the bare flag means `true`.
    Bool,
    /// Names, comma or newline separated; a YAML list in the file.
    List,
    /// NAME to value: a JSON object or YAML mapping.
    Map,
    /// A command: a list of arguments, or a string split as a shell would, without a shell.
    Command,
    /// A YAML value of its own shape (`services`, `one-off-task`).
    Yaml,
    /// A YAML mapping of the fields listed: each is a setting of its own (`deployment.strategy`).
    Mapping(&'static [Field]),
}

/// A field of a [`Shape::Mapping`] setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: Shape,
    pub help: &'static str,
}

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub group: Group,
    pub kind: Shape,
    pub places: Places,
    pub commands: For,
    /// What applies when no place gives it, as documented (`None`: nothing, or what the help
    /// says).
    pub default: Option<&'static str>,
    /// How the value is named in `--help` (`MINUTES`).
    pub value_name: &'static str,
    pub help: &'static str,
}

/// An output of the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    pub name: &'static str,
    pub help: &'static str,
}

/// A name an earlier version took, and what to write instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renamed {
    pub old: &'static str,
    pub instead: &'static str,
}

/// The setting named `name`.
pub fn find(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// What replaced the old name `name`, when it is one.
pub fn renamed(name: &str) -> Option<&'static Renamed> {
    RENAMED.iter().find(|r| r.old == name)
}

/// The settings a command takes, in declaration order.
pub fn of(command: &str) -> impl Iterator<Item = &'static Setting> + use<'_> {
    SETTINGS
        .iter()
        .filter(move |s| s.commands.includes(command))
}

/// The action's inputs (`command` among them), in declaration order.
pub fn action_inputs() -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().filter(|s| s.places.action)
}

/// The fields of mapping setting `name`.
pub fn fields(setting: &Setting) -> &'static [Field] {
    match setting.kind {
        Shape::Mapping(fields) => fields,
        _ => &[],
    }
}

#[cfg(test)]
mod tests;
