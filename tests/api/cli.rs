//! The real command line: bad configuration stops start-up with one clear line.

use std::process::{Command, Output};

fn roombook(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_roombook-under-test"))
        .args(args)
        .current_dir(dir)
        .env_remove("ROOMBOOK_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .expect("run roombook")
}

/// The process failed with exactly one line on stderr, starting `roombook: `.
fn one_line_error(output: &Output) -> String {
    assert!(!output.status.success(), "should fail");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line, not a trace: {stderr}");
    assert!(lines[0].starts_with("roombook: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    lines[0].to_owned()
}

#[test]
fn help_lists_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let output = roombook(&["--help"], dir.path());
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--config",
        "--listen",
        "--database-url",
        "--site-root",
        "--log-filter",
    ] {
        assert!(help.contains(flag), "{flag} in --help");
    }
}

#[test]
fn unknown_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("roombook.toml"),
        "[server]\nlisen = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let line = one_line_error(&roombook(&[], dir.path()));
    assert!(
        line.contains("lisen") && line.contains("roombook.toml"),
        "{line}"
    );
}

#[test]
fn unreadable_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let line = one_line_error(&roombook(&["--config", "missing.toml"], dir.path()));
    assert!(
        line.contains("cannot read configuration file missing.toml"),
        "{line}"
    );
    assert!(line.contains("No such file"), "{line}");
}

#[test]
fn bad_database_url_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let output = roombook(
        &["--listen", "127.0.0.1:0", "--database-url", "mysql://db/x"],
        dir.path(),
    );
    let line = one_line_error(&output);
    assert!(
        line.contains("unsupported database URL scheme “mysql”"),
        "{line}"
    );
}

#[test]
fn port_taken_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = roombook(
        &["--listen", &addr, "--database-url", "sqlite://x.db"],
        dir.path(),
    );
    let line = one_line_error(&output);
    assert!(line.contains(&format!("cannot listen on {addr}")), "{line}");
    assert!(line.contains("in use"), "{line}");
}

#[test]
fn check_config_redacts_the_database_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = roombook(
        &[
            "--check-config",
            "--database-url",
            "postgres://app:hunter2@db.example/roombook",
        ],
        dir.path(),
    );
    assert!(output.status.success());
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}
