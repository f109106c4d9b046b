//! Configuration: defaults, then a TOML file, then `ROOMBOOK_` environment variables, then
//! command-line flags. Unknown keys are errors, so a typo never silently falls back to a default.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "roombook.toml";

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub demo: DemoConfig,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// The built site: `pkg/` (wasm, JS, CSS) and public files such as the favicon.
    pub site_root: PathBuf,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace_seconds: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: PathBuf::from("target/site"),
            shutdown_grace_seconds: 10,
        }
    }
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB`.
    pub url: String,
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://data/roombook.db".into(),
            max_connections: 8,
        }
    }
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url_password(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:[redacted]@host/db`.
pub fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:[redacted]@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A `tracing` filter: `info`, `roombook_server=debug,info`, …
    pub filter: String,
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            filter: "info".into(),
            format: LogFormat::Pretty,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    /// Create the demo organisation at start-up if it does not exist.
    pub enabled: bool,
    pub tenant_name: String,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            tenant_name: "Demo organisation".into(),
        }
    }
}

/// Settings given on the command line; they win over everything else.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub database_url: Option<String>,
    pub site_root: Option<PathBuf>,
    pub log_filter: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Environment variables with our prefix that are not configuration keys.
const ENV_NOT_CONFIG: &[&str] = &["CONFIG"];
/// Prefix of variables the test suite reads (`ROOMBOOK_TEST_POSTGRES_URL`, …).
const ENV_TEST_PREFIX: &str = "TEST_";

impl Config {
    /// Loads the configuration. `file` is `--config`; without it `roombook.toml` is read if it
    /// exists. Environment variables are `ROOMBOOK_SECTION__KEY` (`ROOMBOOK_DATABASE__URL`).
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));

        let file = match file {
            Some(path) => Some(path.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        if let Some(path) = file {
            // Check it ourselves first: figment ignores a missing file, and we want one line
            // that names the file and the operating system's reason.
            if let Err(source) = std::fs::File::open(&path) {
                return Err(ConfigError::Unreadable { path, source });
            }
            figment = figment.merge(Toml::file_exact(&path));
        }

        figment = figment.merge(
            Env::prefixed("ROOMBOOK_")
                .filter(|key| {
                    let key = key.as_str().to_ascii_uppercase();
                    !ENV_NOT_CONFIG.contains(&key.as_str()) && !key.starts_with(ENV_TEST_PREFIX)
                })
                .split("__"),
        );

        if let Some(listen) = overrides.listen {
            figment = figment.merge(Serialized::global("server.listen", listen));
        }
        if let Some(url) = &overrides.database_url {
            figment = figment.merge(Serialized::global("database.url", url));
        }
        if let Some(root) = &overrides.site_root {
            figment = figment.merge(Serialized::global("server.site_root", root));
        }
        if let Some(filter) = &overrides.log_filter {
            figment = figment.merge(Serialized::global("log.filter", filter));
        }

        figment
            .extract::<Config>()
            .map_err(|e| ConfigError::Invalid(describe(e)))
    }
}

/// One line per problem, naming the key and where its value came from.
fn describe(e: figment::Error) -> String {
    e.into_iter()
        .map(|e| {
            let mut line = e.kind.to_string();
            if !e.path.is_empty() {
                line = format!("{} (key `{}`)", line, e.path.join("."));
            }
            if let Some(metadata) = &e.metadata {
                line = match &metadata.source {
                    // Name the file itself: "from TOML file /etc/roombook.toml".
                    Some(source) => format!("{line} from {} {source}", metadata.name),
                    None => format!("{line} from {}", metadata.name),
                };
            }
            line
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
// figment's `Jail` closures return its large `figment::Error`; the signature is not ours.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    fn load_in(jail: &Jail, file: Option<&str>) -> Result<Config, ConfigError> {
        let path = file.map(|f| jail.directory().join(f));
        Config::load(path.as_deref(), &Overrides::default())
    }

    #[test]
    fn defaults_then_file_then_env_then_flags() {
        Jail::expect_with(|jail| {
            let c = load_in(jail, None).unwrap();
            assert_eq!(c.server.listen.port(), 3000);
            assert!(c.database.url.starts_with("sqlite://"));

            jail.create_file(
                "roombook.toml",
                "[server]\nlisten = \"127.0.0.1:4000\"\n[database]\nmax_connections = 3\n",
            )?;
            let c = load_in(jail, None).unwrap();
            assert_eq!(c.server.listen.port(), 4000);
            assert_eq!(c.database.max_connections, 3);

            jail.set_env("ROOMBOOK_SERVER__LISTEN", "127.0.0.1:5000");
            jail.set_env("ROOMBOOK_TEST_POSTGRES_URL", "postgres://ignored");
            jail.set_env("ROOMBOOK_CONFIG", "roombook.toml");
            let c = load_in(jail, None).unwrap();
            assert_eq!(c.server.listen.port(), 5000);

            let flags = Overrides {
                listen: Some("127.0.0.1:6000".parse().unwrap()),
                ..Default::default()
            };
            let c = Config::load(None, &flags).unwrap();
            assert_eq!(c.server.listen.port(), 6000);
            Ok(())
        });
    }

    #[test]
    fn unknown_key_is_an_error_that_names_it() {
        Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "[server]\nlisen = \"127.0.0.1:4000\"\n")?;
            let err = load_in(jail, Some("bad.toml")).unwrap_err().to_string();
            assert!(err.contains("lisen"), "{err}");
            assert!(err.contains("bad.toml"), "{err}");

            jail.set_env("ROOMBOOK_DATABSE__URL", "sqlite://x.db");
            let err = load_in(jail, None).unwrap_err().to_string();
            assert!(err.contains("databse"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn missing_file_is_an_error_that_names_it() {
        Jail::expect_with(|jail| {
            let err = load_in(jail, Some("nope.toml")).unwrap_err().to_string();
            assert!(err.starts_with("cannot read configuration file"), "{err}");
            assert!(err.contains("nope.toml"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn wrong_type_is_an_error() {
        Jail::expect_with(|jail| {
            jail.set_env("ROOMBOOK_SERVER__LISTEN", "not-an-address");
            let err = load_in(jail, None).unwrap_err().to_string();
            assert!(err.contains("server.listen"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn database_password_is_redacted_in_debug() {
        let c = DatabaseConfig {
            url: "postgres://app:s3cret@db.internal:5432/roombook".into(),
            max_connections: 1,
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://app:[redacted]@db.internal:5432/roombook"),
            "{shown}"
        );
        assert_eq!(
            redact_url_password("sqlite://data/x.db"),
            "sqlite://data/x.db"
        );
    }
}
