use super::*;

/// The keys of a step GitHub itself reads: a setting must not look like one of them.
const STEP_KEYS: &[&str] = &[
    "id",
    "if",
    "name",
    "uses",
    "run",
    "shell",
    "with",
    "env",
    "continue-on-error",
    "timeout-minutes",
    "working-directory",
];

fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 || a == b {
        return false;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let prefix = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if short.len() == long.len() {
        short[prefix + 1..] == long[prefix + 1..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

#[test]
fn at_most_forty_inputs() {
    let inputs = action_inputs().count();
    assert!(inputs <= 40, "{inputs} action inputs");
}

#[test]
fn one_name_per_setting_none_a_letter_from_another_none_a_step_key() {
    let names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
    for (i, a) in names.iter().enumerate() {
        assert!(!STEP_KEYS.contains(a), "`{a}` is a step key");
        for b in &names[i + 1..] {
            assert_ne!(a, b, "declared twice");
            assert!(!one_edit_apart(a, b), "`{a}` and `{b}` are a letter apart");
            assert!(
                a.trim_end_matches('s') != b.trim_end_matches('s'),
                "`{a}` and `{b}` differ by a plural"
            );
        }
    }
    for old in RENAMED {
        assert!(
            find(old.old).is_none(),
            "`{}` is both old and current",
            old.old
        );
    }
    assert!(one_edit_apart("environment-file", "environment-files"));
}

#[test]
fn mapping_fields_are_named_once_and_are_no_setting_of_their_own() {
    for setting in SETTINGS {
        let fields = fields(setting);
        for (i, f) in fields.iter().enumerate() {
            assert!(fields[i + 1..].iter().all(|g| g.name != f.name));
            assert!(!matches!(f.kind, Shape::Mapping(_)), "one level of mapping");
        }
    }
}

#[test]
fn settings_of_a_repository_are_not_inputs_and_step_choices_are_not_in_the_file() {
    for name in [
        "production-environments",
        "environment-tag-keys",
        "record-deployment",
        "revision-tags",
        "keep-revisions",
        "promote-tag",
        "max-task-failures",
        "task-log-lines",
    ] {
        let setting = find(name).unwrap();
        assert!(!setting.places.action && setting.places.file, "{name}");
    }
    for name in [
        "environment",
        "confirm-production",
        "config",
        "command",
        "github-token",
    ] {
        assert!(!find(name).unwrap().places.file, "{name}");
    }
}

/// Compares a generated document with the checked-in one; with `ECS_SHIP_BLESS=1`, rewrites it.
fn check_generated(path: &str, generate: fn(&str) -> Option<String>) {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let current = std::fs::read_to_string(&full).unwrap();
    let generated = generate(&current).unwrap_or_else(|| panic!("{path} lacks its markers"));
    if std::env::var("ECS_SHIP_BLESS").as_deref() == Ok("1") {
        std::fs::write(&full, &generated).unwrap();
        return;
    }
    assert!(
        current == generated,
        "{path} differs from what the settings generate: run `scripts/generate`"
    );
}

#[test]
fn action_yml_is_generated() {
    check_generated("action.yml", generate::action_yml);
}

#[test]
fn the_readme_tables_are_generated() {
    check_generated("README.md", generate::readme);
}

#[test]
fn action_yml_declares_no_default_but_the_token() {
    let yml = generate::action_yml_inputs_and_outputs();
    let defaults: Vec<&str> = yml
        .lines()
        .filter(|l| l.trim_start().starts_with("default:"))
        .collect();
    assert_eq!(defaults, ["    default: ${{ github.token }}"]);
}
