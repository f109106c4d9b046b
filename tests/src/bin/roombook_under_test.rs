//! The product's entry point, built inside the test kit so the integration tests can run the
//! real command line (`CARGO_BIN_EXE_roombook-under-test`): cargo builds binaries only for the package
//! under test. Same single call as `server/src/main.rs`.
fn main() -> std::process::ExitCode {
    roombook_server::cli::main()
}
