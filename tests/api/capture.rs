//! Captures every log line of this test process (all levels that could carry request data),
//! so a test can search the logs for a secret.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process-wide log buffer (installed on first use; TRACE for our crates and the HTTP
/// clients, DEBUG for the database driver).
pub fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Buffer(buffer.clone());
        let filter = tracing_subscriber::EnvFilter::new(
            "trace,h2=info,hyper=debug,hyper_util=debug,sqlx=debug,leptos=info,tachys=info,reactive_graph=info,rustls=info,leptos_router=info,any_spawner=info",
        );
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        // Fails only if TEST_LOG installed another subscriber first; the leak test then
        // notices that it captured nothing.
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    })
    .clone()
}
