//! The layout stays one-way: a test that reads `src/` and fails when a top-level module imports a
//! later stage, or when the modules grow a cycle. Test code is left out (tests may reach
//! anywhere), and so are comments (docs may point forward).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The stages, in the order data flows through them. A stage may import the shared modules, the
/// stages before it, and nothing later.
const STAGES: [&str; 10] = [
    "input",
    "request",
    "gather",
    "plan",
    "preflight",
    "apply",
    "watch",
    "rollback",
    "command",
    "report",
];

/// Imported by everything, importing no stage.
const SHARED: [&str; 6] = ["error", "text", "console", "domain", "progress", "cloud"];

/// Thin edges: the SDK, GitHub, the runner's files. They see the shared modules and validated
/// requests only.
const EDGES: [&str; 3] = ["aws", "github", "runner"];

/// The stages that only read (AWS reads, the wait): they may not import a stage that writes.
const READS: [&str; 3] = ["gather", "preflight", "watch"];

/// The stages that write to AWS.
const WRITES: [&str; 1] = ["apply"];

/// Which edges a stage may use: the pipeline reports to GitHub.
const STAGE_EDGES: [(&str, &str); 1] = [("command", "github")];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The code of a file without its comments and its test module.
fn code(text: &str) -> String {
    let text = text
        .find("#[cfg(test)]\nmod ")
        .map_or(text, |at| &text[..at]);
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .map(|line| line.split(" // ").next().unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules named after `crate::` (including `use crate::{a, b::c}`).
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    _ if item_start && !c.is_whitespace() => {
                        found.insert(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

/// Each top-level module's imports of other top-level modules.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src/");
        let name = relative.to_string_lossy();
        if name.ends_with("_tests.rs") || name.ends_with("/tests.rs") {
            continue;
        }
        let top = relative
            .components()
            .next()
            .expect("a path")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        let entry = graph.entry(top.clone()).or_default();
        entry.extend(imports(&code(&text)).into_iter().filter(|m| *m != top));
    }
    graph
}

fn rank(module: &str) -> Option<usize> {
    STAGES.iter().position(|s| *s == module)
}

/// Why `from` may not import `to`, if it may not.
fn forbidden(from: &str, to: &str) -> Option<String> {
    let shared = |m: &str| SHARED.contains(&m);
    if from == "app" || shared(to) {
        return None;
    }
    if shared(from) {
        return Some(format!(
            "`{from}` is shared and imports no stage or edge, but uses `{to}`"
        ));
    }
    if EDGES.contains(&from) {
        return (to != "request").then(|| {
            format!("the edge `{from}` may see only shared modules and `request`, but uses `{to}`")
        });
    }
    if EDGES.contains(&to) {
        return (!STAGE_EDGES.contains(&(from, to)))
            .then(|| format!("the stage `{from}` uses the edge `{to}`"));
    }
    if READS.contains(&from) && WRITES.contains(&to) {
        return Some(format!("`{from}` reads, and imports `{to}`, which writes"));
    }
    match (rank(from), rank(to)) {
        (Some(f), Some(t)) if t < f => None,
        (Some(_), Some(_)) => Some(format!("`{from}` imports `{to}`, a later stage")),
        _ => Some(format!(
            "`{from}` imports `{to}`, which has no place in the layout"
        )),
    }
}

/// A cycle through `start`, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        let at = path.last().expect("a path").clone();
        for next in graph.get(&at).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    walk(graph, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn every_module_has_a_place_and_imports_only_earlier_ones() {
    let graph = graph();
    let mut problems = Vec::new();
    for (from, tos) in &graph {
        let placed = from == "app"
            || SHARED.contains(&from.as_str())
            || EDGES.contains(&from.as_str())
            || rank(from).is_some();
        if !placed {
            problems.push(format!(
                "`{from}` has no place in the layout (add it to a list above)"
            ));
        }
        problems.extend(tos.iter().filter_map(|to| forbidden(from, to)));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn there_are_no_import_cycles() {
    let graph = graph();
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|m| cycle(&graph, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "{}", cycles.join("\n"));
}

#[test]
fn the_checker_sees_imports_and_cycles() {
    let code = code("use crate::{command, rollback::x};\n// crate::app\nlet a = crate::plan::f();");
    assert_eq!(
        imports(&code),
        ["command", "plan", "rollback"].map(String::from).into()
    );
    assert!(forbidden("apply", "watch").is_some());
    assert!(
        forbidden("watch", "apply").is_some(),
        "a read imports a write"
    );
    assert!(forbidden("watch", "preflight").is_none());
    assert!(forbidden("command", "apply").is_none());
    assert!(forbidden("domain", "request").is_some());
    assert!(forbidden("github", "report").is_some());
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), ["b".to_string()].into()),
        ("b".to_string(), ["a".to_string()].into()),
    ]
    .into();
    assert_eq!(cycle(&graph, "a").unwrap(), ["a", "b", "a"]);
}

/// Within each folder, which of its files (by name) each file imports: `super::name`, or
/// `crate::folder::name`.
fn file_graphs() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graphs: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src/");
        let Some(folder) = relative.parent().filter(|p| !p.as_os_str().is_empty()) else {
            continue;
        };
        let stem = relative.file_stem().unwrap().to_string_lossy().to_string();
        if stem == "mod" || stem.ends_with("_tests") || stem == "tests" {
            continue;
        }
        let folder = folder.to_string_lossy().replace('/', "::");
        let siblings: BTreeSet<String> = std::fs::read_dir(file.parent().unwrap())
            .unwrap()
            .filter_map(|e| {
                let path = e.unwrap().path();
                (path.extension().is_some_and(|x| x == "rs") || path.is_dir())
                    .then(|| path.file_stem().unwrap().to_string_lossy().to_string())
            })
            .filter(|s| s != "mod" && s != &stem)
            .collect();
        let code = code(&std::fs::read_to_string(file).unwrap());
        let mut uses = BTreeSet::new();
        for prefix in ["super::".to_string(), format!("crate::{folder}::")] {
            for (at, _) in code.match_indices(&prefix) {
                let rest = &code[at + prefix.len()..];
                let names: Vec<String> = match rest.strip_prefix('{') {
                    Some(group) => group
                        .split('}')
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(|item| item.trim().split("::").next().unwrap_or("").to_string())
                        .collect(),
                    None => vec![
                        rest.chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect(),
                    ],
                };
                uses.extend(names.into_iter().filter(|n| siblings.contains(n)));
            }
        }
        graphs.entry(folder).or_default().insert(stem, uses);
    }
    graphs
}

#[test]
fn no_two_files_of_a_folder_import_each_other_round() {
    let mut cycles = Vec::new();
    for (folder, graph) in file_graphs() {
        for file in graph.keys() {
            if let Some(found) = cycle(&graph, file) {
                cycles.push(format!("{folder}: {}", found.join(" → ")));
            }
        }
    }
    assert!(cycles.is_empty(), "{}", cycles.join("\n"));
    let graphs = file_graphs();
    assert!(
        graphs["report"]["summary"].contains("sections"),
        "the checker sees a folder's imports: {:?}",
        graphs["report"]["summary"]
    );
}

/// No trait holds more than 12 methods (the AWS seam is one trait per service).
#[test]
fn no_trait_has_more_than_twelve_methods() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut counted = 0;
    let mut wide = Vec::new();
    for file in files {
        let code = code(&std::fs::read_to_string(&file).unwrap());
        for (at, _) in code.match_indices("pub trait ") {
            let Some(open) = code[at..].find('{').map(|o| at + o) else {
                continue;
            };
            let mut depth = 0;
            let mut end = open;
            for (i, c) in code[open..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let methods = code[open..end].matches("fn ").count();
            counted += 1;
            if methods > 12 {
                let name: String = code[at + "pub trait ".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric())
                    .collect();
                wide.push(format!("{name}: {methods} methods"));
            }
        }
    }
    assert!(counted >= 12, "{counted} traits read");
    assert!(wide.is_empty(), "{}", wide.join("\n"));
}

/// The command skeleton is written once: only `command/mod.rs` runs steps until a signal, and
/// only `app.rs` loads the AWS clients and builds a command's report.
#[test]
fn the_command_skeleton_is_written_once() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut callers: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .expect("under src/")
            .to_string_lossy()
            .to_string();
        if relative.ends_with("_tests.rs") || relative.ends_with("/tests.rs") {
            continue;
        }
        let code = code(&std::fs::read_to_string(&file).expect("a readable source file"));
        for call in ["until_stopped(", "Clients::load(", ".report(&record"] {
            let called = code.match_indices(call).any(|(at, _)| {
                let before = code[..at].trim_end_matches(|c: char| c.is_whitespace());
                !code[..at].ends_with('_') && !before.ends_with("fn")
            });
            if called {
                callers.entry(call).or_default().insert(relative.clone());
            }
        }
    }
    let one = |call: &str, file: &str| {
        assert_eq!(
            callers.get(call).cloned().unwrap_or_default(),
            BTreeSet::from([file.to_string()]),
            "`{call}` belongs to {file} alone"
        );
    };
    one("until_stopped(", "command/mod.rs");
    one("Clients::load(", "app.rs");
    one(".report(&record", "app.rs");
}
