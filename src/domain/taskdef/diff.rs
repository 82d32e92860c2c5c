//! A readable diff between two normalised task definitions.
//!
//! Containers are matched by name, and environment variables and secrets by name; their values
//! never appear in a diff (only "added", "changed", "removed" and the name). Other fields show old
//! and new values as compact JSON, shortened when long.

use serde::Serialize;
use serde_json::{Map, Value};

/// How one field changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Added,
    Removed,
    Changed,
}

/// One changed field, by path (`containerDefinitions[web].image`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub path: String,
    pub kind: Kind,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Names added, changed and removed in a named list (environment or secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NameChanges {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl NameChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Everything that differs between two task definitions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TaskDefDiff {
    pub fields: Vec<FieldChange>,
    pub environment: NameChanges,
    pub secrets: NameChanges,
}

impl TaskDefDiff {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.environment.is_empty() && self.secrets.is_empty()
    }

    /// Plain-text lines: `~ path: old → new`, `+ path: new`, `- path`, then env/secret names.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .fields
            .iter()
            .map(|c| match c.kind {
                Kind::Changed => format!(
                    "~ {}: {} → {}",
                    c.path,
                    c.old.as_deref().unwrap_or(""),
                    c.new.as_deref().unwrap_or("")
                ),
                Kind::Added => format!("+ {}: {}", c.path, c.new.as_deref().unwrap_or("")),
                Kind::Removed => format!("- {}", c.path),
            })
            .collect();
        for (label, names) in [
            ("environment", &self.environment),
            ("secrets", &self.secrets),
        ] {
            for (sign, list, what) in [
                ("+", &names.added, "added"),
                ("~", &names.changed, "changed"),
                ("-", &names.removed, "removed"),
            ] {
                lines.extend(
                    list.iter()
                        .map(|n| format!("{sign} {label} {n} ({what}, value hidden)")),
                );
            }
        }
        lines
    }
}

const MAX_VALUE_CHARS: usize = 160;

/// Compares two normalised task definitions (see [`crate::domain::taskdef::normalized`]).
pub fn diff(old: &Value, new: &Value) -> TaskDefDiff {
    let mut out = TaskDefDiff::default();
    let empty = Map::new();
    let old_obj = old.as_object().unwrap_or(&empty);
    let new_obj = new.as_object().unwrap_or(&empty);
    let old_containers = by_name(old_obj.get("containerDefinitions"));
    let new_containers = by_name(new_obj.get("containerDefinitions"));
    let prefix_names = new_containers.len() > 1 || old_containers.len() > 1;

    compare_objects(
        "",
        old_obj,
        new_obj,
        &["containerDefinitions"],
        &mut out.fields,
    );
    for (name, new_c) in &new_containers {
        let path = format!("containerDefinitions[{name}]");
        let Some(old_c) = old_containers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| *c)
        else {
            out.fields.push(FieldChange {
                path,
                kind: Kind::Added,
                old: None,
                new: Some("(new container)".into()),
            });
            continue;
        };
        compare_container(name, old_c, new_c, prefix_names, &mut out);
    }
    for (name, _) in old_containers
        .iter()
        .filter(|(n, _)| !new_containers.iter().any(|(m, _)| m == n))
    {
        out.fields.push(FieldChange {
            path: format!("containerDefinitions[{name}]"),
            kind: Kind::Removed,
            old: None,
            new: None,
        });
    }
    out
}

/// One container's changes: its fields, and its variables and secrets by name (labelled with the
/// container's name when the task has several).
fn compare_container(
    name: &str,
    old_c: &Map<String, Value>,
    new_c: &Map<String, Value>,
    prefix_names: bool,
    out: &mut TaskDefDiff,
) {
    let path = format!("containerDefinitions[{name}]");
    compare_objects(
        &path,
        old_c,
        new_c,
        &["environment", "secrets"],
        &mut out.fields,
    );
    let label = |n: &str| {
        if prefix_names {
            format!("{name}/{n}")
        } else {
            n.to_string()
        }
    };
    compare_named(
        old_c.get("environment"),
        new_c.get("environment"),
        "value",
        &label,
        &mut out.environment,
    );
    compare_named(
        old_c.get("secrets"),
        new_c.get("secrets"),
        "valueFrom",
        &label,
        &mut out.secrets,
    );
}

fn by_name(list: Option<&Value>) -> Vec<(String, &Map<String, Value>)> {
    list.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_object)
                .map(|c| {
                    (
                        c.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_string(),
                        c,
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn compare_objects(
    path: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    skip: &[&str],
    out: &mut Vec<FieldChange>,
) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    for (key, new_v) in new.iter().filter(|(k, _)| !skip.contains(&k.as_str())) {
        match old.get(key) {
            None => out.push(FieldChange {
                path: join(key),
                kind: Kind::Added,
                old: None,
                new: Some(short(new_v)),
            }),
            Some(old_v) if old_v == new_v => {}
            Some(Value::Object(o)) if new_v.is_object() => {
                compare_objects(&join(key), o, new_v.as_object().expect("checked"), &[], out);
            }
            Some(old_v) => out.push(FieldChange {
                path: join(key),
                kind: Kind::Changed,
                old: Some(short(old_v)),
                new: Some(short(new_v)),
            }),
        }
    }
    for key in old
        .keys()
        .filter(|k| !new.contains_key(*k) && !skip.contains(&k.as_str()))
    {
        out.push(FieldChange {
            path: join(key),
            kind: Kind::Removed,
            old: None,
            new: None,
        });
    }
}

fn compare_named(
    old: Option<&Value>,
    new: Option<&Value>,
    field: &str,
    label: &dyn Fn(&str) -> String,
    out: &mut NameChanges,
) {
    let entries = |list: Option<&Value>| -> Vec<(String, Value)> {
        list.and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|e| {
                        (
                            e["name"].as_str().unwrap_or("").to_string(),
                            e.get(field).cloned().unwrap_or(Value::Null),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old, new) = (entries(old), entries(new));
    for (name, value) in &new {
        match old.iter().find(|(n, _)| n == name) {
            None => out.added.push(label(name)),
            Some((_, old_value)) if old_value != value => out.changed.push(label(name)),
            Some(_) => {}
        }
    }
    out.removed.extend(
        old.iter()
            .filter(|(n, _)| !new.iter().any(|(m, _)| m == n))
            .map(|(n, _)| label(n)),
    );
}

fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > MAX_VALUE_CHARS {
        let cut: String = text.chars().take(MAX_VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn td(image: &str, env: &Value, secrets: &Value) -> Value {
        json!({"family": "api", "cpu": "256", "containerDefinitions": [{"name": "web", "image": image, "environment": env, "secrets": secrets}]})
    }

    #[test]
    fn identical_documents_have_no_diff() {
        let a = td("x:1", &json!([{"name": "A", "value": "1"}]), &json!([]));
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn image_change_is_a_field_change_with_both_values() {
        let d = diff(
            &td("x:1", &json!([]), &json!([])),
            &td("x:2", &json!([]), &json!([])),
        );
        assert_eq!(
            d.fields,
            vec![FieldChange {
                path: "containerDefinitions[web].image".into(),
                kind: Kind::Changed,
                old: Some("x:1".into()),
                new: Some("x:2".into())
            }]
        );
        assert_eq!(
            d.lines(),
            vec!["~ containerDefinitions[web].image: x:1 → x:2"]
        );
    }

    #[test]
    fn env_and_secret_changes_are_names_only() {
        let old = td(
            "x:1",
            &json!([{"name": "KEEP", "value": "k"}, {"name": "CHG", "value": "old-secret-ish"}, {"name": "GONE", "value": "g"}]),
            &json!([{"name": "S", "valueFrom": "arn:1"}]),
        );
        let new = td(
            "x:1",
            &json!([{"name": "KEEP", "value": "k"}, {"name": "CHG", "value": "new-secret-ish"}, {"name": "NEW", "value": "n"}]),
            &json!([{"name": "S", "valueFrom": "arn:2"}]),
        );
        let d = diff(&old, &new);
        assert!(d.fields.is_empty());
        assert_eq!(
            d.environment,
            NameChanges {
                added: vec!["NEW".into()],
                changed: vec!["CHG".into()],
                removed: vec!["GONE".into()]
            }
        );
        assert_eq!(d.secrets.changed, vec!["S"]);
        let text = d.lines().join("\n");
        assert!(
            !text.contains("secret-ish") && !text.contains("arn:"),
            "{text}"
        );
        assert!(text.contains("~ environment CHG (changed, value hidden)"));
    }

    #[test]
    fn nested_objects_report_the_leaf_and_added_removed_fields() {
        let old = json!({"family": "f", "runtimePlatform": {"cpuArchitecture": "X86_64"}, "pidMode": "task", "containerDefinitions": []});
        let new = json!({"family": "f", "runtimePlatform": {"cpuArchitecture": "ARM64"}, "ipcMode": "none", "containerDefinitions": []});
        let lines = diff(&old, &new).lines();
        assert_eq!(
            lines,
            vec![
                "~ runtimePlatform.cpuArchitecture: X86_64 → ARM64",
                "+ ipcMode: none",
                "- pidMode"
            ]
        );
    }

    #[test]
    fn containers_are_matched_by_name_and_names_get_prefixed_with_several() {
        let old = json!({"containerDefinitions": [{"name": "a", "image": "1", "environment": [{"name": "X", "value": "1"}]}, {"name": "b", "image": "1"}]});
        let new = json!({"containerDefinitions": [{"name": "c", "image": "1"}, {"name": "a", "image": "1", "environment": [{"name": "X", "value": "2"}]}]});
        let d = diff(&old, &new);
        assert_eq!(d.environment.changed, vec!["a/X"]);
        let paths: Vec<_> = d
            .fields
            .iter()
            .map(|f| (f.path.as_str(), f.kind.clone()))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("containerDefinitions[c]", Kind::Added),
                ("containerDefinitions[b]", Kind::Removed)
            ]
        );
    }

    #[test]
    fn long_values_are_shortened() {
        let old = json!({"containerDefinitions": [], "x": "a".repeat(500)});
        let new = json!({"containerDefinitions": [], "x": "b".repeat(500)});
        let change = &diff(&old, &new).fields[0];
        assert!(change.old.as_ref().unwrap().chars().count() <= MAX_VALUE_CHARS + 1);
    }
}
