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
use roombook_secrets::{SecretStoreConfig, SecretString};
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
    pub auth: AuthConfig,
    pub exchange: ExchangeConfig,
    pub exchange_online: ExchangeOnlineConfig,
    pub booking: BookingConfig,
    /// Where passwords and certificates live: the encrypted local vault (default) or Azure
    /// Key Vault. See secrets/README.md.
    pub secrets: SecretStoreConfig,
    /// How long replaced versions of a secret are kept.
    pub secret_retention: SecretRetentionConfig,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretRetentionConfig {
    /// Versions of each secret always kept, newest first: the current one and, by default,
    /// the one before (at least the current one is kept).
    pub keep_versions: u32,
    /// Older versions are removed once they were replaced this many days ago (Key Vault:
    /// disabled, as it keeps every version).
    pub retention_days: u32,
}

impl Default for SecretRetentionConfig {
    fn default() -> Self {
        Self {
            keep_versions: 2,
            retention_days: 7,
        }
    }
}

impl SecretRetentionConfig {
    pub fn retention(&self) -> roombook_secrets::Retention {
        roombook_secrets::Retention {
            keep_newest: self.keep_versions.max(1) as usize,
            older_than: std::time::Duration::from_secs(u64::from(self.retention_days) * 86_400),
        }
    }
}

impl Config {
    /// Where browsers reach this server (redirect URIs, cookies), without a trailing slash.
    pub fn public_url(&self) -> String {
        self.server
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.server.listen))
            .trim_end_matches('/')
            .to_owned()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// The OpenID Connect issuer to sign in with (its discovery document is read from
    /// `{issuer}/.well-known/openid-configuration`). Entra ID, any work or school account by
    /// default; ADFS or another provider for organisations that use one.
    pub issuer: String,
    /// Our app's client id at the issuer; defaults to `exchange_online.client_id`. Without
    /// either, sign-in is off and the sign-in page says so.
    pub client_id: Option<String>,
    /// The client secret, if the app uses one; otherwise our certificate signs a client
    /// assertion (`exchange_online.certificate_file`), or PKCE alone (public client).
    pub client_secret: Option<SecretString>,
    /// People of a directory Roombook does not know yet may create their organisation (and
    /// become its first admin, if they prove it: see `first_admins`). Off: only organisations
    /// set up by the operator.
    pub open_signup: bool,
    /// Addresses the operator approves as the first admin of their organisation. Without
    /// one of these, only a person whose Entra ID token names a directory role that runs the
    /// organisation (Global, Exchange or Privileged Role Administrator, in `wids`) can become
    /// the first admin; everyone else waits until an admin exists. Only sign-ins through the
    /// server's own provider (`issuer`) count: an organisation's own provider vouches for
    /// nothing here.
    pub first_admins: Vec<String>,
    pub session_hours: u32,
    /// A PEM file of extra root certificates for the identity provider and Exchange (tests,
    /// private CAs).
    pub extra_ca_file: Option<PathBuf>,
    /// Sign-in starts one client address may make at once, then `sign_ins_per_minute`
    /// (0: no limit per address).
    pub sign_in_burst: u32,
    pub sign_ins_per_minute: u32,
    /// Sign-in starts by everyone together per minute (0: no limit).
    pub sign_ins_per_minute_total: u32,
    /// Sign-ins in flight (started, not finished, not expired) above which new ones are
    /// refused (0: no cap).
    pub sign_ins_in_flight: u32,
    /// Behind a reverse proxy: the header it names the client in (e.g. `X-Forwarded-For`;
    /// its last address counts). Only set it when every request comes through that proxy.
    pub client_address_header: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "https://login.microsoftonline.com/organizations/v2.0".into(),
            client_id: None,
            client_secret: None,
            open_signup: true,
            first_admins: Vec::new(),
            session_hours: 12,
            extra_ca_file: None,
            sign_in_burst: 20,
            sign_ins_per_minute: 10,
            sign_ins_per_minute_total: 600,
            sign_ins_in_flight: 10_000,
            client_address_header: None,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BookingConfig {
    /// The time zone (IANA name) for people who have not chosen one, and for rooms without
    /// their own.
    pub time_zone: String,
    /// The day grid's first and last hour (local).
    pub day_starts: u32,
    pub day_ends: u32,
    /// How long a booking waits for the room's answer before showing "waiting for the room".
    pub answer_wait_ms: u64,
    /// How often a booking still waiting for its room's answer is asked about again, by the
    /// background job (pages show what is stored and never ask Exchange).
    pub answer_poll_secs: u64,
    /// Searches (finder, day grid, people) one person may run at once before being asked to
    /// wait; the allowance then refills at `searches_per_minute`.
    pub search_burst: u32,
    pub searches_per_minute: u32,
}

impl Default for BookingConfig {
    fn default() -> Self {
        Self {
            time_zone: "UTC".into(),
            day_starts: 7,
            day_ends: 19,
            answer_wait_ms: 3000,
            answer_poll_secs: 60,
            search_burst: 10,
            searches_per_minute: 30,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExchangeConfig {
    /// Allow EWS URLs on loopback and private networks (and plain http on loopback). Off in
    /// production: an admin could otherwise point Roombook at internal services.
    pub allow_private_addresses: bool,
    /// Allow loopback alone (and plain http to it): a local Exchange proxy, and tests that
    /// need every other range refused.
    pub allow_loopback_addresses: bool,
    /// First wait before re-checking a consent that has not reached Exchange yet.
    pub consent_retry_seconds: u64,
    /// How long to keep re-checking after consent.
    pub consent_wait_minutes: u64,
    /// How often due checks run.
    pub check_interval_seconds: u64,
    /// Where Autodiscover looks, e.g. `["https://mail.contoso.com"]`. Empty (the default):
    /// `autodiscover.DOMAIN` and `DOMAIN` of the address, as Outlook does.
    pub autodiscover_urls: Vec<String>,
    /// EWS requests one organisation has in flight at once, shared by every request and
    /// background task (Exchange's own limit, EWSMaxConcurrency, is 27 per account).
    pub max_requests_in_flight: usize,
    /// How long the service account's password is kept in memory after a read from the secret
    /// store (0: read it for every request). A refusal (HTTP 401) drops it at once.
    pub password_cache_seconds: u64,
}

impl Default for ExchangeConfig {
    fn default() -> Self {
        Self {
            allow_private_addresses: false,
            allow_loopback_addresses: false,
            consent_retry_seconds: 30,
            consent_wait_minutes: 120,
            check_interval_seconds: 15,
            autodiscover_urls: Vec::new(),
            max_requests_in_flight: 10,
            password_cache_seconds: 300,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExchangeOnlineConfig {
    /// Our app registration (multi-tenant, application permission `full_access_as_app`).
    /// Without it the Exchange Online mode is off.
    pub client_id: Option<String>,
    pub authority: String,
    pub ews_url: String,
    /// PEM with our certificate and its private key. Stored in the secret store at start-up;
    /// tokens are signed with it.
    pub certificate_file: Option<PathBuf>,
}

impl Default for ExchangeOnlineConfig {
    fn default() -> Self {
        Self {
            client_id: None,
            authority: "https://login.microsoftonline.com".into(),
            ews_url: "https://outlook.office365.com/EWS/Exchange.asmx".into(),
            certificate_file: None,
        }
    }
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
    /// Where browsers reach Roombook, e.g. `https://rooms.contoso.com` (behind a proxy).
    /// Default: `http://` + `listen`. Sign-in redirects are built from it; with https the
    /// cookies are marked Secure.
    pub public_url: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: PathBuf::from("target/site"),
            shutdown_grace_seconds: 10,
            public_url: None,
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
    /// Create the demo organisation at start-up if it does not exist. Off by default: a
    /// production server has no demo organisation unless asked (`make run` turns it on).
    pub enabled: bool,
    pub tenant_name: String,
    /// Connect the demo organisation at start-up, through the same onboarding as the admin
    /// pages (`make run` points this at the Exchange simulator).
    pub exchange: Option<DemoExchange>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            tenant_name: "Demo organisation".into(),
            exchange: None,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DemoExchange {
    pub ews_url: String,
    pub username: String,
    pub password: SecretString,
    /// The mailbox the check opens.
    pub check_address: String,
    /// People whose id_token carries this directory id sign in to the demo organisation.
    pub directory_id: Option<String>,
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
    fn first_admins_come_from_the_environment_as_a_list() {
        // As `make run` names the demo admin.
        Jail::expect_with(|jail| {
            assert!(load_in(jail, None).unwrap().auth.first_admins.is_empty());
            jail.set_env(
                "ROOMBOOK_AUTH__FIRST_ADMINS",
                r#"["ada.okafor@contoso.example", "it@contoso.example"]"#,
            );
            let c = load_in(jail, None).unwrap();
            assert_eq!(
                c.auth.first_admins,
                ["ada.okafor@contoso.example", "it@contoso.example"]
            );
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
