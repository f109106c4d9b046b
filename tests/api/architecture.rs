//! The layering ARCHITECTURE.md promises, read from `cargo metadata`: which crate may depend
//! on which. A change that lets HTTP, SQL or EWS into the core, or the EWS client into the
//! secret store or sign-in, fails here before review.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

/// The resolved graph: package name → the names of its normal (not dev, not build)
/// dependencies.
fn normal_dependencies() -> HashMap<String, Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // This machine's platform only: the graph that is built here, and no download of the
    // manifests of crates other platforms would need.
    let rustc =
        std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .arg("-vV")
            .output()
            .expect("rustc -vV runs");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc names its host");
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", &host])
        .current_dir(&workspace)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata is JSON");
    let names: HashMap<&str, &str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            let deps = node["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|d| names[d["pkg"].as_str().unwrap()].to_owned())
                .collect();
            (names[node["id"].as_str().unwrap()].to_owned(), deps)
        })
        .collect()
}

/// Every package `root` links, directly or not.
fn reachable(graph: &HashMap<String, Vec<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![root.to_owned()];
    while let Some(name) = todo.pop() {
        for dep in graph.get(&name).into_iter().flatten() {
            if seen.insert(dep.clone()) {
                todo.push(dep.clone());
            }
        }
    }
    seen
}

fn assert_none_of(graph: &HashMap<String, Vec<String>>, root: &str, forbidden: &[&str]) {
    let linked = reachable(graph, root);
    assert!(!linked.is_empty(), "{root} not found in cargo metadata");
    let found: Vec<&&str> = forbidden.iter().filter(|f| linked.contains(**f)).collect();
    assert!(found.is_empty(), "{root} now depends on {found:?}");
}

#[test]
fn the_core_knows_neither_http_nor_sql_nor_xml_nor_ews() {
    let graph = normal_dependencies();
    assert_none_of(
        &graph,
        "roombook-core",
        &[
            "axum",
            "hyper",
            "sqlx",
            "leptos",
            "reqwest",
            "quick-xml",
            "roombook-ews",
            "roombook-store",
            "roombook-server",
        ],
    );
}

#[test]
fn the_secret_store_and_entra_do_not_link_the_ews_client() {
    let graph = normal_dependencies();
    assert_none_of(&graph, "roombook-secrets", &["roombook-ews", "quick-xml"]);
    assert_none_of(&graph, "roombook-entra", &["roombook-ews", "quick-xml"]);
    assert_none_of(
        &graph,
        "roombook-store",
        &["roombook-ews", "axum", "leptos"],
    );
    // The server reaches EWS only through the adapter crate.
    assert!(
        !graph["roombook-server"].iter().any(|d| d == "roombook-ews"),
        "roombook-server links the EWS client directly"
    );
    // The EWS adapter is a calendar adapter: no HTTP server, no SQL, no pages.
    assert_none_of(
        &graph,
        "roombook-calendar-ews",
        &[
            "axum",
            "sqlx",
            "leptos",
            "roombook-store",
            "roombook-server",
        ],
    );
}

/// Above the calendar port nothing names EWS: in the server, only the composition root that
/// builds the EWS adapter (`startup.rs`, from `roombook-calendar-ews`) may use it or the EWS
/// client. Onboarding, sign-in, the admin forms, the pages' services and
/// the handlers reach calendars through core's ports (the crate graph cannot say this: the
/// server links both).
#[test]
fn only_the_ews_adapter_and_the_composition_root_name_ews() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src");
    let allowed = ["startup.rs"];
    let mut pending = vec![src.clone()];
    let mut checked = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path.strip_prefix(&src).unwrap().display().to_string();
            if allowed.contains(&relative.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for name in ["roombook_ews", "roombook_calendar_ews"] {
                assert!(!text.contains(name), "server/src/{relative} names {name}");
            }
            checked.push(relative);
        }
    }
    for must_be_checked in [
        "onboarding.rs",
        "auth/oidc.rs",
        "http/admin.rs",
        "services.rs",
    ] {
        assert!(
            checked.iter().any(|c| c == must_be_checked),
            "{must_be_checked} not found among {checked:?}"
        );
    }
}

/// The top-level modules of the crate whose sources are in `src` (relative to the
/// workspace), each with the top-level modules it names (`crate::x`, `crate::{x, y::z}`, and
/// `super::x` from a top-level file). Comments are skipped; a module's files are its
/// `x.rs`, `x/mod.rs` and everything under `x/`.
fn module_graph(src: &str) -> HashMap<String, BTreeSet<String>> {
    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("source folder") {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    /// The first path segment of each item `crate::` (or `super::`) names in `text`.
    fn named_after(text: &str, prefix: &str, into: &mut BTreeSet<String>) {
        let ident = |s: &str| -> String {
            s.trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        };
        for (at, _) in text.match_indices(prefix) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &text[at + prefix.len()..];
            let Some(group) = rest.strip_prefix('{') else {
                into.insert(ident(rest));
                continue;
            };
            // `crate::{a, b::{c, d}, e}`: the items at the group's own depth.
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    _ if item_start && !c.is_whitespace() => {
                        into.insert(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(src);
    let mut all = Vec::new();
    files(&root, &mut all);
    let mut graph: HashMap<String, BTreeSet<String>> = HashMap::new();
    for path in all {
        let relative = path.strip_prefix(&root).unwrap();
        let parts: Vec<String> = relative
            .with_extension("")
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts == ["lib"] || parts == ["main"] {
            continue;
        }
        let text: String = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| l.split("//").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        let mut named = BTreeSet::new();
        named_after(&text, "crate::", &mut named);
        if parts.len() == 1 {
            named_after(&text, "super::", &mut named);
        }
        named.remove(&parts[0]);
        graph.entry(parts[0].clone()).or_default().extend(named);
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for named in graph.values_mut() {
        named.retain(|m| modules.contains(m));
    }
    graph
}

/// The groups of modules that name each other in a circle (strongly connected components of
/// more than one module), each sorted, found by Tarjan's algorithm.
fn module_cycles(graph: &HashMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
    struct Walk<'g> {
        graph: &'g HashMap<String, BTreeSet<String>>,
        index: HashMap<&'g str, usize>,
        low: HashMap<&'g str, usize>,
        stack: Vec<&'g str>,
        cycles: BTreeSet<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, module: &'g str) {
            let n = self.index.len();
            self.index.insert(module, n);
            self.low.insert(module, n);
            self.stack.push(module);
            for next in &self.graph[module] {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[module].min(self.low[next]);
                    self.low.insert(module, low);
                } else if self.stack.contains(&next) {
                    let low = self.low[module].min(self.index[next]);
                    self.low.insert(module, low);
                }
            }
            if self.low[module] == self.index[module] {
                let at = self.stack.iter().rposition(|m| *m == module).unwrap();
                let mut group: Vec<String> = self.stack.drain(at..).map(str::to_owned).collect();
                if group.len() > 1 {
                    group.sort();
                    self.cycles.insert(group);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        cycles: BTreeSet::new(),
    };
    let mut modules: Vec<&str> = graph.keys().map(String::as_str).collect();
    modules.sort();
    for module in modules {
        if !walk.index.contains_key(module) {
            walk.visit(module);
        }
    }
    walk.cycles
}

#[test]
fn the_cycle_finder_sees_a_circle_and_nothing_else() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (from, to) in edges {
            g.entry((*from).into()).or_default().insert((*to).into());
            g.entry((*to).into()).or_default();
        }
        g
    };
    let circle = graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]);
    assert_eq!(
        module_cycles(&circle),
        BTreeSet::from([vec!["a".to_owned(), "b".into(), "c".into()]])
    );
    assert!(module_cycles(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])).is_empty());
}

/// No two top-level modules of a crate depend on each other, directly or around a circle:
/// each crate's modules form layers, so a module can be understood (and moved to a crate of
/// its own) from what it names. The simulator (test kit, not shipped) still has one circle; it
/// is listed here, so the list can only shrink: a new circle fails, and so does one that is
/// gone but still listed.
#[test]
fn no_crate_has_module_cycles() {
    let still_to_untangle: &[(&str, &[&str])] = &[(
        "tests/simulator/src",
        &[
            "autodiscover",
            "directory",
            "entra",
            "ews",
            "inspect",
            "keyvault",
            "server",
            "tenant",
        ],
    )];
    let crates = [
        "server/src",
        "server/core/src",
        "server/store/src",
        "server/calendar-ews/src",
        "frontend/src",
        "shared/src",
        "ews/src",
        "entra/src",
        "secrets/src",
        "outbound/src",
        "tests/src",
        "tests/simulator/src",
    ];
    let mut unexpected = Vec::new();
    for src in crates {
        let found = module_cycles(&module_graph(src));
        let known: BTreeSet<Vec<String>> = still_to_untangle
            .iter()
            .filter(|(crate_src, _)| *crate_src == src)
            .map(|(_, group)| group.iter().map(|m| (*m).to_owned()).collect())
            .collect();
        for group in found.symmetric_difference(&known) {
            let what = if found.contains(group) {
                "a new cycle"
            } else {
                "listed but gone"
            };
            unexpected.push(format!("{src}: {what}: {}", group.join(" → ")));
        }
    }
    assert!(
        unexpected.is_empty(),
        "module cycles:\n{}",
        unexpected.join("\n")
    );
}
