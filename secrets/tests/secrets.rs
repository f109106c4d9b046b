//! The secret store through its public API: the local vault on a temporary directory, and the
//! Azure Key Vault backend against the simulator's Key Vault over HTTPS (with its simulated
//! Entra ID issuing the tokens).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use roombook_secrets::{
    AzureCredentialConfig, Retention, Secret, SecretError, SecretRef, SecretStore,
    SecretStoreConfig, SecretString, open,
};
use roombook_simulator::{
    AppRegistration, Simulator, SimulatorConfig, SimulatorHandle, TenantSeed,
};

// ---------------------------------------------------------------------------------------------
// Local vault

fn local(path: &Path) -> SecretStoreConfig {
    SecretStoreConfig::Local {
        path: path.to_path_buf(),
        key: None,
    }
}

fn local_with_key(path: &Path, key: &[u8]) -> SecretStoreConfig {
    SecretStoreConfig::Local {
        path: path.to_path_buf(),
        key: Some(SecretString::new(B64.encode(key))),
    }
}

async fn open_ok(config: &SecretStoreConfig) -> Arc<dyn SecretStore> {
    match open(config).await {
        Ok(store) => store,
        Err(e) => panic!("open failed: {e} ({e:?})"),
    }
}

fn open_err(result: Result<Arc<dyn SecretStore>, SecretError>) -> SecretError {
    match result {
        Ok(_) => panic!("open succeeded"),
        Err(e) => e,
    }
}

fn secret_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

fn is_version_id(v: &str) -> bool {
    v.len() == 32
        && v.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn local_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_ok(&local(&dir.path().join("vault"))).await;
    assert_eq!(store.backend(), "local");
    let reference = store
        .put("ews-password", &Secret::new("correct horse battery staple"))
        .await
        .unwrap();
    assert_eq!(reference.name, "ews-password");
    assert!(is_version_id(&reference.version), "{}", reference.version);
    let value = store.get(&reference).await.unwrap();
    assert_eq!(value.expose(), "correct horse battery staple");
    // Unicode and an empty value survive too.
    for v in ["pässwörd ✓", ""] {
        let r = store.put("other", &Secret::new(v)).await.unwrap();
        assert_eq!(store.get(&r).await.unwrap().expose(), v);
    }
}

#[tokio::test]
async fn local_put_twice_gives_two_readable_versions() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_ok(&local(dir.path())).await;
    let first = store
        .put("ews-password", &Secret::new("one"))
        .await
        .unwrap();
    let second = store
        .put("ews-password", &Secret::new("two"))
        .await
        .unwrap();
    assert_ne!(first.version, second.version);
    assert!(is_version_id(&second.version));
    assert_eq!(store.get(&first).await.unwrap().expose(), "one");
    assert_eq!(store.get(&second).await.unwrap().expose(), "two");
    // Names are case-insensitive, as in Key Vault.
    let upper = SecretRef::new("EWS-Password", first.version.clone());
    assert_eq!(store.get(&upper).await.unwrap().expose(), "one");
}

#[tokio::test]
async fn local_delete_removes_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_ok(&local(dir.path())).await;
    let first = store.put("gone", &Secret::new("one")).await.unwrap();
    let second = store.put("gone", &Secret::new("two")).await.unwrap();
    store.delete("gone").await.unwrap();
    for r in [first, second] {
        assert!(matches!(
            store.get(&r).await,
            Err(SecretError::NotFound { name }) if name == "gone"
        ));
    }
    assert!(!secret_file(dir.path(), "gone").exists());
    assert!(matches!(
        store.delete("gone").await,
        Err(SecretError::NotFound { .. })
    ));
}

#[tokio::test]
async fn local_wrong_key_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_ok(&local_with_key(dir.path(), &[7u8; 32])).await;
    store.put("ews-password", &Secret::new("v")).await.unwrap();
    drop(store);
    let err = open_err(open(&local_with_key(dir.path(), &[8u8; 32])).await);
    assert!(matches!(err, SecretError::Corrupt(_)), "{err:?}");
    assert!(err.to_string().contains("key"), "{err}");
    // The right key still opens it.
    open_ok(&local_with_key(dir.path(), &[7u8; 32])).await;
}

#[tokio::test]
async fn local_blob_under_another_key_is_corrupt() {
    // A secret file from a vault with another key (the check file of this vault passes).
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let store_a = open_ok(&local_with_key(a.path(), &[1u8; 32])).await;
    let store_b = open_ok(&local_with_key(b.path(), &[2u8; 32])).await;
    let reference = store_a
        .put("ews-password", &Secret::new("v"))
        .await
        .unwrap();
    std::fs::copy(
        secret_file(a.path(), "ews-password"),
        secret_file(b.path(), "ews-password"),
    )
    .unwrap();
    let err = store_b.get(&reference).await.unwrap_err();
    assert!(matches!(err, SecretError::Corrupt(_)), "{err:?}");
}

/// Edits the first version of a secret file's JSON.
fn edit_first_version(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut json["versions"][0]);
    std::fs::write(path, serde_json::to_vec(&json).unwrap()).unwrap();
}

fn flip_byte(b64: &serde_json::Value, index: usize) -> serde_json::Value {
    let mut bytes = B64.decode(b64.as_str().unwrap()).unwrap();
    bytes[index] ^= 0x01;
    serde_json::Value::String(B64.encode(bytes))
}

#[tokio::test]
async fn local_tampered_ciphertext_tag_or_nonce_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_ok(&local(dir.path())).await;
    let path = secret_file(dir.path(), "ews-password");
    type Edit = fn(&mut serde_json::Value);
    let cases: [(&str, Edit); 4] = [
        ("ciphertext", |v| {
            v["ciphertext"] = flip_byte(&v["ciphertext"], 0)
        }),
        ("tag", |v| {
            let len = B64.decode(v["ciphertext"].as_str().unwrap()).unwrap().len();
            v["ciphertext"] = flip_byte(&v["ciphertext"], len - 1)
        }),
        ("nonce", |v| v["nonce"] = flip_byte(&v["nonce"], 3)),
        ("version", |v| {
            v["version"] = serde_json::Value::String("0".repeat(32));
        }),
    ];
    for (what, edit) in cases {
        let _ = std::fs::remove_file(&path);
        let reference = store
            .put("ews-password", &Secret::new("a long enough value"))
            .await
            .unwrap();
        edit_first_version(&path, edit);
        let reference = if what == "version" {
            SecretRef::new("ews-password", "0".repeat(32))
        } else {
            reference
        };
        let err = store.get(&reference).await.unwrap_err();
        assert!(matches!(err, SecretError::Corrupt(_)), "{what}: {err:?}");
        assert!(err.to_string().contains("cannot be decrypted"), "{err}");
    }
    // A file that is not JSON at all.
    std::fs::write(&path, b"not json").unwrap();
    let err = store
        .get(&SecretRef::new("ews-password", "0".repeat(32)))
        .await
        .unwrap_err();
    assert!(matches!(err, SecretError::Corrupt(_)), "{err:?}");
}

#[tokio::test]
async fn local_blob_copied_to_another_name_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_ok(&local(dir.path())).await;
    let reference = store
        .put("alpha", &Secret::new("alpha value"))
        .await
        .unwrap();
    // The whole file, and the file with its inner name edited to match.
    std::fs::copy(
        secret_file(dir.path(), "alpha"),
        secret_file(dir.path(), "beta"),
    )
    .unwrap();
    let moved = SecretRef::new("beta", reference.version.clone());
    let err = store.get(&moved).await.unwrap_err();
    assert!(matches!(err, SecretError::Corrupt(_)), "{err:?}");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(secret_file(dir.path(), "beta")).unwrap()).unwrap();
    json["name"] = "beta".into();
    std::fs::write(
        secret_file(dir.path(), "beta"),
        serde_json::to_vec(&json).unwrap(),
    )
    .unwrap();
    let err = store.get(&moved).await.unwrap_err();
    assert!(matches!(err, SecretError::Corrupt(_)), "{err:?}");
    // The original still reads.
    assert_eq!(store.get(&reference).await.unwrap().expose(), "alpha value");
}

#[tokio::test]
async fn local_key_file_is_created_0600_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("data").join("secrets");
    let store = open_ok(&local(&vault)).await;
    let key_file = vault.join("vault.key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    let dir_mode = std::fs::metadata(&vault).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700, "{dir_mode:o}");
    let key_text = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(B64.decode(key_text.trim()).unwrap().len(), 32);
    let reference = store
        .put("ews-password", &Secret::new("kept"))
        .await
        .unwrap();
    drop(store);

    let again = open_ok(&local(&vault)).await;
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key_text);
    assert_eq!(again.get(&reference).await.unwrap().expose(), "kept");
    drop(again);

    // The key file's content works as the configured key (the documented way to move it to
    // ROOMBOOK_SECRETS__KEY).
    let configured = SecretStoreConfig::Local {
        path: vault.clone(),
        key: Some(SecretString::new(key_text.trim())),
    };
    let store = open_ok(&configured).await;
    assert_eq!(store.get(&reference).await.unwrap().expose(), "kept");
}

#[tokio::test]
async fn local_group_readable_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_ok(&local(dir.path())).await);
    let key_file = dir.path().join("vault.key");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let err = open_err(open(&local(dir.path())).await);
    assert!(matches!(err, SecretError::Config(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&key_file.display().to_string()),
        "{message}"
    );
    assert!(message.contains("chmod 600"), "{message}");
    assert!(message.contains("0640"), "{message}");
    // Others-readable too.
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o604)).unwrap();
    assert!(matches!(
        open(&local(dir.path())).await,
        Err(SecretError::Config(_))
    ));
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    open_ok(&local(dir.path())).await;
}

#[tokio::test]
async fn local_lost_key_file_is_not_silently_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_ok(&local(dir.path())).await;
    store.put("ews-password", &Secret::new("v")).await.unwrap();
    drop(store);
    std::fs::remove_file(dir.path().join("vault.key")).unwrap();
    let err = open_err(open(&local(dir.path())).await);
    assert!(matches!(err, SecretError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("backup"), "{err}");
    assert!(!dir.path().join("vault.key").exists());
}

#[tokio::test]
async fn local_configured_key_must_be_32_bytes_of_base64() {
    let dir = tempfile::tempdir().unwrap();
    for (key, says) in [
        (B64.encode([0u8; 16]), "16 bytes"),
        ("not base64 at all!".to_string(), "not base64"),
    ] {
        let config = SecretStoreConfig::Local {
            path: dir.path().to_path_buf(),
            key: Some(SecretString::new(key.clone())),
        };
        let err = open_err(open(&config).await);
        assert!(matches!(err, SecretError::Config(_)), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("32 bytes") && message.contains(says),
            "{message}"
        );
        assert!(
            !message.contains(&key),
            "the key must not be echoed: {message}"
        );
    }
}

/// Every byte of every file under `dir`.
fn all_bytes(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_bytes(&path, out);
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn local_plaintext_is_in_no_file() {
    let values = [
        "PLAINTEXT-MARKER-0123456789",
        "hunter2-but-longer",
        "pässwörd-ünïcode-marker",
    ];
    // With the key file, and with a configured key (which must not be written anywhere).
    let configured_key = [42u8; 32];
    for with_key in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let config = if with_key {
            local_with_key(dir.path(), &configured_key)
        } else {
            local(dir.path())
        };
        let store = open_ok(&config).await;
        let mut refs = Vec::new();
        for (i, v) in values.iter().enumerate() {
            refs.push(store.put(&format!("s{i}"), &Secret::new(*v)).await.unwrap());
            refs.push(store.put("shared", &Secret::new(*v)).await.unwrap());
        }
        for (i, r) in refs.iter().enumerate() {
            assert_eq!(store.get(r).await.unwrap().expose(), values[i / 2]);
        }
        let mut files = Vec::new();
        all_bytes(dir.path(), &mut files);
        assert!(files.len() >= 5, "{files:?}");
        for (path, bytes) in &files {
            for v in values {
                assert!(
                    !contains(bytes, v.as_bytes()),
                    "{} holds a plaintext",
                    path.display()
                );
            }
            if with_key {
                assert!(!contains(bytes, &configured_key));
                assert!(!contains(bytes, B64.encode(configured_key).as_bytes()));
            }
        }
        assert_eq!(dir.path().join("vault.key").exists(), !with_key);
    }
}

#[tokio::test]
async fn local_invalid_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_ok(&local(dir.path())).await;
    let long = "x".repeat(128);
    for bad in [
        "",
        "../vault",
        "vault.key",
        "a_b",
        "a b",
        "ä",
        long.as_str(),
    ] {
        assert!(
            matches!(store.put(bad, &Secret::new("v")).await, Err(SecretError::InvalidName(n)) if n == bad),
            "put {bad}"
        );
        assert!(
            matches!(
                store.get(&SecretRef::new(bad, "0".repeat(32))).await,
                Err(SecretError::InvalidName(_))
            ),
            "get {bad}"
        );
        assert!(
            matches!(store.delete(bad).await, Err(SecretError::InvalidName(_))),
            "delete {bad}"
        );
    }
    assert!(store.put(&"x".repeat(127), &Secret::new("v")).await.is_ok());
}

#[tokio::test]
async fn local_missing_name_or_version_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_ok(&local(dir.path())).await;
    let not_found = |r: Result<Secret, SecretError>| matches!(r, Err(SecretError::NotFound { name }) if name == "ews-password");
    assert!(not_found(
        store
            .get(&SecretRef::new("ews-password", "0".repeat(32)))
            .await
    ));
    let reference = store.put("ews-password", &Secret::new("v")).await.unwrap();
    assert!(not_found(
        store
            .get(&SecretRef::new("ews-password", "f".repeat(32)))
            .await
    ));
    for malformed in ["", "../x", "latest/../.."] {
        assert!(not_found(
            store.get(&SecretRef::new("ews-password", malformed)).await
        ));
    }
    assert!(matches!(
        store.delete("never-stored").await,
        Err(SecretError::NotFound { name }) if name == "never-stored"
    ));
    assert_eq!(store.get(&reference).await.unwrap().expose(), "v");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_concurrent_puts_are_all_readable() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_ok(&local(dir.path())).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Half on one shared name, half on names of their own.
            let name = if i % 2 == 0 {
                "shared".to_string()
            } else {
                format!("own-{i}")
            };
            let value = format!("value-{i}");
            let reference = store.put(&name, &Secret::new(value.clone())).await.unwrap();
            (reference, value)
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    for (reference, value) in &results {
        assert_eq!(store.get(reference).await.unwrap().expose(), value);
    }
    let shared: Vec<_> = results
        .iter()
        .filter(|(r, _)| r.name == "shared")
        .map(|(r, _)| r.version.clone())
        .collect();
    assert_eq!(shared.len(), 10);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(secret_file(dir.path(), "shared")).unwrap()).unwrap();
    assert_eq!(json["versions"].as_array().unwrap().len(), 10);
    // No temporary file left behind.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "{name}");
    }
}

/// Four versions of `name`; pruning keeps the newest two and lets the older ones go only once
/// they were replaced more than the retention period ago. Returns the versions.
async fn four_versions_pruned(store: &dyn SecretStore, name: &str) -> Vec<SecretRef> {
    let mut versions = Vec::new();
    for n in 1..=4 {
        versions.push(
            store
                .put(name, &Secret::new(format!("value {n}")))
                .await
                .unwrap(),
        );
    }
    let retention = Retention::default();
    let now = std::time::SystemTime::now();
    assert_eq!(
        store.prune(name, &retention, now).await.unwrap(),
        0,
        "too recent"
    );
    let later = now + std::time::Duration::from_secs(8 * 86_400);
    assert_eq!(store.prune(name, &retention, later).await.unwrap(), 2);
    for old in &versions[..2] {
        assert!(
            matches!(store.get(old).await, Err(SecretError::NotFound { .. })),
            "{old:?} is gone"
        );
    }
    assert_eq!(store.get(&versions[2]).await.unwrap().expose(), "value 3");
    assert_eq!(store.get(&versions[3]).await.unwrap().expose(), "value 4");
    assert_eq!(
        store.prune(name, &retention, later).await.unwrap(),
        0,
        "done once"
    );
    // A retention of one version lets the previous one go as well, never the current one.
    let only_current = Retention {
        keep_newest: 1,
        ..retention
    };
    assert_eq!(store.prune(name, &only_current, later).await.unwrap(), 1);
    assert_eq!(store.get(&versions[3]).await.unwrap().expose(), "value 4");
    assert!(matches!(
        store.prune("never-stored", &retention, later).await,
        Err(SecretError::NotFound { .. })
    ));
    versions
}

#[tokio::test]
async fn local_old_versions_are_pruned_after_the_retention_period() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_ok(&local(dir.path())).await;
    four_versions_pruned(store.as_ref(), "ews-password").await;
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(secret_file(dir.path(), "ews-password")).unwrap())
            .unwrap();
    assert_eq!(file["versions"].as_array().unwrap().len(), 1, "{file}");
}

// ---------------------------------------------------------------------------------------------
// Azure Key Vault, against the simulator

const VAULT: &str = "roombook";
const KV_APP: &str = "kv-app";
const KV_SECRET: &str = "kv-app-secret";
const NO_KV_APP: &str = "no-kv-app";
const NO_KV_SECRET: &str = "no-kv-app-secret";

struct Kv {
    sim: SimulatorHandle,
    ca: tempfile::NamedTempFile,
}

async fn start_kv(extra: Vec<AppRegistration>) -> Kv {
    let mut seed = TenantSeed::new("contoso.example")
        .app(
            AppRegistration::new(KV_APP, "Roombook")
                .with_secret(KV_SECRET)
                .with_key_vault_access(),
        )
        .app(
            AppRegistration::new(NO_KV_APP, "Roombook without vault access")
                .with_secret(NO_KV_SECRET),
        );
    for app in extra {
        seed = seed.app(app);
    }
    let sim = Simulator::start(SimulatorConfig::new(seed))
        .await
        .expect("simulator starts");
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), sim.ca_certificate_pem()).unwrap();
    Kv { sim, ca }
}

impl Kv {
    fn config(&self, credential: AzureCredentialConfig) -> SecretStoreConfig {
        SecretStoreConfig::AzureKeyVault {
            vault_url: self.sim.key_vault_url(VAULT),
            credential,
            authority_host: Some(self.sim.https_base_url()),
            extra_ca_pem: Some(self.ca.path().to_path_buf()),
            resolve: BTreeMap::from([
                (format!("{VAULT}.vault.localhost"), self.sim.https_addr()),
                ("localhost".to_string(), self.sim.https_addr()),
            ]),
            max_retries: Some(0),
        }
    }

    fn client_secret(&self, client_id: &str, secret: &str) -> SecretStoreConfig {
        self.config(AzureCredentialConfig::ClientSecret {
            tenant_id: self.sim.tenant_id(),
            client_id: client_id.into(),
            secret: SecretString::new(secret),
        })
    }
}

#[tokio::test]
async fn key_vault_put_get_and_versions() {
    let kv = start_kv(Vec::new()).await;
    let store = open_ok(&kv.client_secret(KV_APP, KV_SECRET)).await;
    assert_eq!(store.backend(), "azure-key-vault");

    let first = store
        .put("ews-password", &Secret::new("first value"))
        .await
        .unwrap();
    assert_eq!(first.name, "ews-password");
    assert!(is_version_id(&first.version), "{}", first.version);
    assert_eq!(store.get(&first).await.unwrap().expose(), "first value");
    assert_eq!(
        kv.sim.secret_value(VAULT, "ews-password").as_deref(),
        Some("first value")
    );

    let second = store
        .put("ews-password", &Secret::new("second value"))
        .await
        .unwrap();
    assert_ne!(first.version, second.version);
    assert_eq!(store.get(&second).await.unwrap().expose(), "second value");
    assert_eq!(store.get(&first).await.unwrap().expose(), "first value");
    assert_eq!(
        kv.sim.secret_value(VAULT, "ews-password").as_deref(),
        Some("second value")
    );
}

#[tokio::test]
async fn key_vault_old_versions_are_disabled_after_the_retention_period() {
    let kv = start_kv(Vec::new()).await;
    let store = open_ok(&kv.client_secret(KV_APP, KV_SECRET)).await;
    four_versions_pruned(store.as_ref(), "ews-password").await;
    // Key Vault keeps the versions, disabled.
    assert_eq!(
        kv.sim.secret_versions_enabled(VAULT, "ews-password"),
        vec![false, false, false, true]
    );
}

#[tokio::test]
async fn key_vault_missing_secret_or_version_is_not_found() {
    let kv = start_kv(Vec::new()).await;
    let store = open_ok(&kv.client_secret(KV_APP, KV_SECRET)).await;
    let err = store
        .get(&SecretRef::new("never-stored", "0".repeat(32)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SecretError::NotFound { name } if name == "never-stored"),
        "{err:?}"
    );
    store.put("ews-password", &Secret::new("v")).await.unwrap();
    let err = store
        .get(&SecretRef::new("ews-password", "f".repeat(32)))
        .await
        .unwrap_err();
    assert!(matches!(err, SecretError::NotFound { .. }), "{err:?}");
    let err = store.delete("never-stored").await.unwrap_err();
    assert!(matches!(err, SecretError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn key_vault_delete_removes_the_secret() {
    let kv = start_kv(Vec::new()).await;
    let store = open_ok(&kv.client_secret(KV_APP, KV_SECRET)).await;
    let reference = store.put("to-delete", &Secret::new("v")).await.unwrap();
    store.delete("to-delete").await.unwrap();
    assert_eq!(kv.sim.secret_value(VAULT, "to-delete"), None);
    assert!(matches!(
        store.get(&reference).await,
        Err(SecretError::NotFound { .. })
    ));
}

#[tokio::test]
async fn key_vault_app_without_vault_access_is_denied() {
    let kv = start_kv(Vec::new()).await;
    let store = open_ok(&kv.client_secret(NO_KV_APP, NO_KV_SECRET)).await;
    let err = store
        .put("ews-password", &Secret::new("v"))
        .await
        .unwrap_err();
    assert!(matches!(err, SecretError::AccessDenied(_)), "{err:?}");
    assert_eq!(kv.sim.secret_value(VAULT, "ews-password"), None);
    let err = store
        .get(&SecretRef::new("ews-password", "0".repeat(32)))
        .await
        .unwrap_err();
    assert!(matches!(err, SecretError::AccessDenied(_)), "{err:?}");
}

#[tokio::test]
async fn key_vault_wrong_client_secret_is_denied() {
    let kv = start_kv(Vec::new()).await;
    let store = open_ok(&kv.client_secret(KV_APP, "not-the-secret")).await;
    let err = store
        .put("ews-password", &Secret::new("v"))
        .await
        .unwrap_err();
    assert!(matches!(err, SecretError::AccessDenied(_)), "{err:?}");
    // The cause names Entra's refusal (for the log); the message does not echo any secret.
    let chain = error_chain(&err);
    assert!(chain.contains("7000215"), "{chain}");
    assert!(!chain.contains("not-the-secret"), "{chain}");
}

#[tokio::test]
async fn key_vault_unreachable_is_unavailable() {
    let kv = start_kv(Vec::new()).await;
    // A port nobody listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    // (A port in the URL wins over the port of a `resolve` address.)
    let mut config = kv.client_secret(KV_APP, KV_SECRET);
    if let SecretStoreConfig::AzureKeyVault { vault_url, .. } = &mut config {
        *vault_url = format!("https://{VAULT}.vault.localhost:{}", closed.port());
    }
    let store = open_ok(&config).await;
    let err = store
        .put("ews-password", &Secret::new("v"))
        .await
        .unwrap_err();
    assert!(matches!(err, SecretError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn key_vault_invalid_name_is_refused_before_any_call() {
    let kv = start_kv(Vec::new()).await;
    let store = open_ok(&kv.client_secret(KV_APP, KV_SECRET)).await;
    for bad in ["", "a_b", "a/b", "../secrets"] {
        assert!(matches!(
            store.put(bad, &Secret::new("v")).await,
            Err(SecretError::InvalidName(_))
        ));
        assert!(matches!(
            store.delete(bad).await,
            Err(SecretError::InvalidName(_))
        ));
    }
    // A version that cannot exist is NotFound without a request.
    assert!(matches!(
        store.get(&SecretRef::new("ews-password", "../x")).await,
        Err(SecretError::NotFound { .. })
    ));
}

/// A self-signed RSA certificate: its PEM and a PKCS#12 with `password`.
fn certificate(password: &str) -> (String, Vec<u8>) {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::pkcs12::Pkcs12;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::{X509, X509NameBuilder};

    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "roombook-key-vault-test")
        .unwrap();
    let name = name.build();
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    builder
        .set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    builder.set_subject_name(&name).unwrap();
    builder.set_issuer_name(&name).unwrap();
    builder.set_pubkey(&key).unwrap();
    builder
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    builder.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = builder.build();
    let pem = String::from_utf8(cert.to_pem().unwrap()).unwrap();
    let pfx = Pkcs12::builder()
        .name("roombook")
        .pkey(&key)
        .cert(&cert)
        .build2(password)
        .unwrap()
        .to_der()
        .unwrap();
    (pem, pfx)
}

#[tokio::test]
async fn key_vault_with_a_client_certificate() {
    let (pem, pfx) = certificate("pfx-password");
    let kv = start_kv(vec![
        AppRegistration::new("cert-app", "Roombook (certificate)")
            .with_certificate(&pem)
            .with_key_vault_access(),
    ])
    .await;
    let pfx_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(pfx_file.path(), &pfx).unwrap();
    let credential = |password: &str| AzureCredentialConfig::ClientCertificate {
        tenant_id: kv.sim.tenant_id(),
        client_id: "cert-app".into(),
        pfx_path: pfx_file.path().to_path_buf(),
        pfx_password: Some(SecretString::new(password)),
    };
    let store = open_ok(&kv.config(credential("pfx-password"))).await;
    let first = store.put("app-cert", &Secret::new("one")).await.unwrap();
    let second = store.put("app-cert", &Secret::new("two")).await.unwrap();
    assert_eq!(store.get(&first).await.unwrap().expose(), "one");
    assert_eq!(store.get(&second).await.unwrap().expose(), "two");
    assert_eq!(
        kv.sim.secret_value(VAULT, "app-cert").as_deref(),
        Some("two")
    );

    // A wrong password or a missing file stops open() with a sentence naming the file.
    let err = open_err(open(&kv.config(credential("wrong"))).await);
    assert!(matches!(err, SecretError::Config(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains(&pfx_file.path().display().to_string()),
        "{err}"
    );
    let missing = AzureCredentialConfig::ClientCertificate {
        tenant_id: kv.sim.tenant_id(),
        client_id: "cert-app".into(),
        pfx_path: PathBuf::from("/nonexistent/roombook.pfx"),
        pfx_password: None,
    };
    let err = open_err(open(&kv.config(missing)).await);
    assert!(
        err.to_string().contains("/nonexistent/roombook.pfx"),
        "{err}"
    );

    // A certificate Entra does not know for the app is refused.
    let (_, other_pfx) = certificate("pfx-password");
    std::fs::write(pfx_file.path(), &other_pfx).unwrap();
    let store = open_ok(&kv.config(credential("pfx-password"))).await;
    let err = store.put("app-cert", &Secret::new("x")).await.unwrap_err();
    assert!(matches!(err, SecretError::AccessDenied(_)), "{err:?}");
}

#[tokio::test]
async fn key_vault_configuration_errors_are_clear() {
    let kv = start_kv(Vec::new()).await;
    let mut config = kv.client_secret(KV_APP, KV_SECRET);
    if let SecretStoreConfig::AzureKeyVault { vault_url, .. } = &mut config {
        *vault_url = "http://roombook.vault.localhost".into();
    }
    let err = open_err(open(&config).await);
    assert!(matches!(err, SecretError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("vault_url"), "{err}");

    let mut config = kv.client_secret(KV_APP, KV_SECRET);
    if let SecretStoreConfig::AzureKeyVault { extra_ca_pem, .. } = &mut config {
        *extra_ca_pem = Some(PathBuf::from("/nonexistent/ca.pem"));
    }
    let err = open_err(open(&config).await);
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");

    let mut config = kv.client_secret(KV_APP, KV_SECRET);
    if let SecretStoreConfig::AzureKeyVault { authority_host, .. } = &mut config {
        *authority_host = Some("http://login.example".into());
    }
    let err = open_err(open(&config).await);
    assert!(err.to_string().contains("authority_host"), "{err}");
}

#[tokio::test]
async fn managed_and_workload_identity_are_built_from_configuration() {
    // These credentials cannot get a token here (no IMDS, no Kubernetes token exchange);
    // this checks only that the configuration builds them, or fails clearly.
    let kv = start_kv(Vec::new()).await;
    for client_id in [
        None,
        Some("11111111-2222-3333-4444-555555555555".to_string()),
    ] {
        let store = open_ok(&kv.config(AzureCredentialConfig::ManagedIdentity { client_id })).await;
        assert_eq!(store.backend(), "azure-key-vault");
    }

    let token = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token.path(), "eyJhbGciOiJSUzI1NiJ9.e30.sig").unwrap();
    let workload = |token_file: PathBuf| AzureCredentialConfig::WorkloadIdentity {
        tenant_id: Some("11111111-2222-3333-4444-555555555555".into()),
        client_id: Some("66666666-7777-8888-9999-000000000000".into()),
        token_file: Some(token_file),
    };
    open_ok(&kv.config(workload(token.path().to_path_buf()))).await;
    let err = open_err(open(&kv.config(workload(PathBuf::from("/nonexistent/token")))).await);
    assert!(matches!(err, SecretError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/token"), "{err}");
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(" | ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
