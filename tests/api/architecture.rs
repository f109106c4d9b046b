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
}

/// Above the calendar port nothing names EWS: in the server, only the EWS adapter
/// (`exchange.rs`) and the composition root that builds it (`startup.rs`) may use the EWS
/// client or the adapter itself. Onboarding, sign-in, the admin forms, the pages' services and
/// the handlers reach calendars through core's ports (the crate graph cannot say this: the
/// server links both).
#[test]
fn only_the_ews_adapter_and_the_composition_root_name_ews() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src");
    let allowed = ["exchange.rs", "startup.rs"];
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
            // `exchange::` also catches a nested `use crate::{exchange::…}`.
            for name in ["roombook_ews", "exchange::"] {
                assert!(!text.contains(name), "server/src/{relative} names {name}");
            }
            checked.push(relative);
        }
    }
    for must_be_checked in [
        "onboarding.rs",
        "auth/oidc.rs",
        "admin/mod.rs",
        "services.rs",
    ] {
        assert!(
            checked.iter().any(|c| c == must_be_checked),
            "{must_be_checked} not found among {checked:?}"
        );
    }
}
