//! Thin on purpose: everything lives in the library, so tests run the same code.
fn main() -> std::process::ExitCode {
    roombook_server::cli::main()
}
