//! The real `roombook` binary as a child process, beside a simulated tenant in this process:
//! a file SQLite database, a local vault and a TOML configuration with the settings
//! `spawn_app()` applies. Used where a test needs what only a process gives: `kill -9`, or a
//! server that a stuck request could pin without stopping the test itself.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use roombook_core::domain::TenantId;
use roombook_core::ports::storage::Store;
use roombook_simulator::{Simulator, SimulatorConfig, SimulatorHandle, TenantSeed};
use roombook_tests::{
    Browser,
    exchange::{self, ADMIN},
};

/// One server's files and the simulator it talks to; the process can be started, killed and
/// started again on the same database.
pub struct ServerProcess {
    pub address: String,
    pub sim: SimulatorHandle,
    pub database_url: String,
    dir: tempfile::TempDir,
    config: PathBuf,
    child: Option<Child>,
    runs: u32,
}

/// A free local port (bound, read, released: the server binds it next).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind port 0")
        .local_addr()
        .expect("address")
        .port()
}

fn toml_string(s: &str) -> String {
    format!("{s:?}")
}

impl ServerProcess {
    /// Writes the configuration and starts the simulator; the server is not running yet.
    pub async fn prepare(seed: TenantSeed) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let port = free_port();
        let address = format!("http://127.0.0.1:{port}");
        let sim = Simulator::start(SimulatorConfig::new(
            seed.app(exchange::app_registration(&address)),
        ))
        .await
        .expect("simulator starts");
        let cert_file = dir.path().join("app.pem");
        std::fs::write(&cert_file, &exchange::app_certificate().0).expect("certificate file");
        let site = dir.path().join("site");
        std::fs::create_dir_all(&site).expect("site folder");
        let database_url = format!("sqlite://{}", dir.path().join("roombook.db").display());
        let config = dir.path().join("roombook.toml");
        let path = |p: &std::path::Path| toml_string(&p.display().to_string());
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = {public}\nsite_root = {site}\nshutdown_grace_seconds = 2\n\n\
                 [database]\nurl = {db}\nmax_connections = 4\n\n\
                 [log]\nfilter = \"info\"\n\n\
                 [auth]\nissuer = {issuer}\n\n\
                 [exchange]\nallow_private_addresses = true\nconsent_retry_seconds = 1\ncheck_interval_seconds = 1\nautodiscover_urls = [{sim_url}]\n\n\
                 [exchange_online]\nclient_id = {app}\nauthority = {sim_url}\news_url = {ews}\ncertificate_file = {cert}\n\n\
                 [secrets]\nbackend = \"local\"\npath = {vault}\n",
                public = toml_string(&address),
                site = path(&site),
                db = toml_string(&database_url),
                issuer = toml_string(&format!("{}/organizations/v2.0", sim.base_url())),
                sim_url = toml_string(&sim.base_url()),
                app = toml_string(exchange::APP_ID),
                ews = toml_string(&sim.ews_url()),
                cert = path(&cert_file),
                vault = path(&dir.path().join("vault")),
            ),
        )
        .expect("configuration file");
        Self {
            address,
            sim,
            database_url,
            dir,
            config,
            child: None,
            runs: 0,
        }
    }

    /// Starts the binary and waits until `/healthz` answers (at most 60 s).
    pub async fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        self.runs += 1;
        let log = std::fs::File::create(self.dir.path().join(format!("server-{}.log", self.runs)))
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_roombook-under-test"))
            .arg("--config")
            .arg(&self.config)
            .current_dir(self.dir.path())
            .env_remove("ROOMBOOK_CONFIG")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("run roombook");
        self.child = Some(child);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("roombook exited at start-up ({status}):\n{}", self.log());
            }
            if let Ok(r) = client.get(format!("{}/healthz", self.address)).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(Instant::now() < deadline, "never ready:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// (VmRSS, VmHWM) of the running server, in bytes, from `/proc/PID/status`.
    pub fn memory(&self) -> (u64, u64) {
        let pid = self.child.as_ref().expect("running").id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .expect("a memory figure")
                * 1024
        };
        (kib("VmRSS:"), kib("VmHWM:"))
    }

    /// `kill -9`: SIGKILL, no shutdown, no flushing; then the process is reaped.
    pub fn kill_9(&mut self) {
        let mut child = self.child.take().expect("running");
        // `Child::kill` is SIGKILL on Unix.
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("reaped");
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(status.signal(), Some(9), "{status}");
        }
    }

    /// Everything the server wrote, over all its runs.
    pub fn log(&self) -> String {
        (1..=self.runs)
            .map(|n| {
                let file = self.dir.path().join(format!("server-{n}.log"));
                format!(
                    "--- run {n} ---\n{}",
                    std::fs::read_to_string(file).unwrap_or_default()
                )
            })
            .collect()
    }

    /// The same database, opened from the test (SQLite in WAL mode: the server keeps writing).
    pub async fn store(&self) -> Arc<dyn Store> {
        roombook_store::open(&self.database_url, 2)
            .await
            .expect("the server's database")
    }

    /// Signs in through the simulated Entra ID as `email`, as `TestApp::sign_in` does.
    pub async fn sign_in(&self, email: &str) -> Browser {
        roombook_tests::sign_in_at(&self.address, email).await
    }

    /// The admin connects the organisation to Exchange Server (service account) and its
    /// rooms are imported; returns the tenant and the admin's browser.
    pub async fn connect(&self, store: &dyn Store) -> (TenantId, Browser) {
        let alice = self.sign_in(ADMIN).await;
        let (code, to) = alice.connect_exchange_server("", ADMIN, false).await;
        assert_eq!(
            (code, to.as_deref()),
            (303, Some("/admin/connect/status")),
            "{}",
            self.log()
        );
        let tenant = store
            .tenant_by_directory(&self.sim.tenant_id())
            .await
            .unwrap()
            .expect("the organisation")
            .id;
        (tenant, alice)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
