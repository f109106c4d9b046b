//! The command line: flags, configuration, signals. The application itself is built by
//! [`crate::startup::build`].

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::Parser;

use crate::{
    config::{Config, Overrides},
    startup, telemetry,
};

/// Roombook: meeting rooms on Microsoft Exchange.
///
/// Configuration comes from defaults, then the TOML file, then ROOMBOOK_SECTION__KEY environment
/// variables (ROOMBOOK_DATABASE__URL, ROOMBOOK_SERVER__LISTEN, …), then these flags.
#[derive(Debug, Parser)]
#[command(name = "roombook", version)]
struct Cli {
    /// TOML configuration file [default: roombook.toml if it exists]
    #[arg(short, long, env = "ROOMBOOK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on, e.g. 0.0.0.0:3000
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// sqlite://PATH or postgres://USER@HOST/DB
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Folder with the built site (pkg/ and public files)
    #[arg(long, value_name = "DIR")]
    site_root: Option<PathBuf>,
    /// Log filter, e.g. info or roombook_server=debug,info
    #[arg(long, value_name = "FILTER")]
    log_filter: Option<String>,
    /// Print the effective configuration (secrets redacted) and exit
    #[arg(long)]
    check_config: bool,
}

/// The `roombook` program. Returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("roombook: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line that names the problem; `{:#}` joins the causes with ": ".
            eprintln!("roombook: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let overrides = Overrides {
        listen: cli.listen,
        database_url: cli.database_url,
        site_root: cli.site_root,
        log_filter: cli.log_filter,
    };
    let config = Config::load(cli.config.as_deref(), &overrides)?;
    if cli.check_config {
        println!("{config:#?}");
        return Ok(());
    }
    telemetry::init(&config.log)?;

    let addr = config.server.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let app = startup::build(listener, config).await?;
    tracing::info!("Roombook is running at http://{}/", app.local_addr());

    shutdown_signal()
        .await
        .context("cannot wait for a shutdown signal")?;
    tracing::info!("shutting down");
    app.shutdown().await.context("shutdown failed")
}

async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await
}
