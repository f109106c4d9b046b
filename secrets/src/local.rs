//! The local vault: one JSON file per secret in a directory, each version encrypted with
//! AES-256-GCM (openssl).
//!
//! Layout of the vault directory (mode 0700 when we create it):
//! - `vault.key`: the key, base64 of 32 random bytes and a newline, mode 0600, created on first
//!   start unless the key comes from the configuration;
//! - `vault.check`: a constant encrypted with the key, so that a wrong key stops start-up
//!   instead of failing on the first read;
//! - `<name>.json`: `{"format":1,"name":…,"versions":[{"version","created","nonce","ciphertext"}]}`,
//!   names lower-cased (Key Vault's names are case-insensitive too). `ciphertext` is the GCM
//!   ciphertext followed by the 16-byte tag, base64; `nonce` is 12 random bytes per version.
//!   The additional authenticated data is `roombook-secret/v1/<name>/<version>`, so a blob moved
//!   to another name or version does not decrypt.
//!
//! Writes go to a temporary file in the same directory, are fsynced, then renamed over the old
//! file (and the directory fsynced); a mutex serializes them within the process. One process
//! per vault directory.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use serde::{Deserialize, Serialize};

use crate::{
    BoxError, Retention, Secret, SecretError, SecretRef, SecretStore, SecretString,
    plausible_version, validate_name,
};

const KEY_FILE: &str = "vault.key";
const CHECK_FILE: &str = "vault.check";
const FORMAT: u32 = 1;
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const CHECK_PLAINTEXT: &[u8] = b"roombook local vault";
const CHECK_AAD: &[u8] = b"roombook-secret/v1/vault-check";

/// The 32-byte key. Never printed.
struct Key([u8; KEY_LEN]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    key: Key,
}

/// The local vault (see the module documentation).
#[derive(Debug)]
pub(crate) struct LocalVault {
    inner: Arc<Inner>,
    writes: tokio::sync::Mutex<()>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretFile {
    format: u32,
    name: String,
    versions: Vec<StoredVersion>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredVersion {
    /// 32 lowercase hex characters.
    version: String,
    /// Unix seconds.
    created: u64,
    /// base64, 12 bytes.
    nonce: String,
    /// base64 of ciphertext ‖ 16-byte tag.
    ciphertext: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckFile {
    format: u32,
    nonce: String,
    ciphertext: String,
}

/// An I/O failure with the file it concerns, for the log.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}: {source}", path.display())]
struct FileError {
    action: &'static str,
    path: PathBuf,
    source: io::Error,
}

fn file_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SecretError {
    let path = path.to_path_buf();
    move |source| {
        SecretError::Internal(Box::new(FileError {
            action,
            path,
            source,
        }))
    }
}

fn internal(e: impl Into<BoxError>) -> SecretError {
    SecretError::Internal(e.into())
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, SecretError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}

fn random_bytes<const N: usize>() -> Result<[u8; N], SecretError> {
    let mut buf = [0u8; N];
    openssl::rand::rand_bytes(&mut buf).map_err(internal)?;
    Ok(buf)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn aad(name: &str, version: &str) -> Vec<u8> {
    format!("roombook-secret/v1/{name}/{version}").into_bytes()
}

impl Key {
    fn from_base64(text: &str) -> Option<Key> {
        let bytes = B64.decode(text.trim()).ok()?;
        <[u8; KEY_LEN]>::try_from(bytes.as_slice()).ok().map(Key)
    }

    /// Returns (nonce, ciphertext ‖ tag).
    fn seal(
        &self,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<([u8; NONCE_LEN], Vec<u8>), SecretError> {
        let nonce = random_bytes::<NONCE_LEN>()?;
        let mut tag = [0u8; TAG_LEN];
        let mut out = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&nonce),
            aad,
            plaintext,
            &mut tag,
        )
        .map_err(internal)?;
        out.extend_from_slice(&tag);
        Ok((nonce, out))
    }

    /// `None` when the base64, the lengths or the GCM tag do not check out.
    fn open(&self, aad: &[u8], nonce_b64: &str, sealed_b64: &str) -> Option<Vec<u8>> {
        let nonce = B64.decode(nonce_b64).ok()?;
        let sealed = B64.decode(sealed_b64).ok()?;
        if nonce.len() != NONCE_LEN || sealed.len() < TAG_LEN {
            return None;
        }
        let (ciphertext, tag) = sealed.split_at(sealed.len() - TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&nonce),
            aad,
            ciphertext,
            tag,
        )
        .ok()
    }
}

/// Writes `bytes` to `dir/file_name` atomically: a mode-0600 temporary file in the same
/// directory, fsync, rename, fsync of the directory.
fn write_atomic(dir: &Path, file_name: &str, bytes: &[u8]) -> Result<(), SecretError> {
    let target = dir.join(file_name);
    let tmp = dir.join(format!(".{file_name}.{}.tmp", hex(&random_bytes::<8>()?)));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(file_error("create", &tmp))?;
        file.write_all(bytes).map_err(file_error("write", &tmp))?;
        file.sync_all().map_err(file_error("flush", &tmp))?;
        drop(file);
        fs::rename(&tmp, &target).map_err(file_error("replace", &target))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn sync_dir(dir: &Path) -> Result<(), SecretError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(file_error("flush the directory", dir))
}

impl Inner {
    fn file_path(&self, canonical: &str) -> PathBuf {
        self.dir.join(format!("{canonical}.json"))
    }

    /// The secret's file, or `None` if it has none.
    fn read(&self, canonical: &str) -> Result<Option<SecretFile>, SecretError> {
        let path = self.file_path(canonical);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(file_error("read", &path)(e)),
        };
        let file: SecretFile = serde_json::from_slice(&bytes).map_err(|e| {
            SecretError::Corrupt(format!(
                "the local vault file {} is not valid ({e}); restore it from a backup, or \
                 delete it and enter the secret again",
                path.display()
            ))
        })?;
        if file.format != FORMAT {
            return Err(SecretError::Corrupt(format!(
                "the local vault file {} has format {}, which this version of Roombook does not \
                 read; use the Roombook version that wrote it, or restore the file from a backup",
                path.display(),
                file.format
            )));
        }
        Ok(Some(file))
    }

    fn put(&self, name: &str, value: &Secret) -> Result<SecretRef, SecretError> {
        let canonical = name.to_ascii_lowercase();
        let mut file = self.read(&canonical)?.unwrap_or_else(|| SecretFile {
            format: FORMAT,
            name: canonical.clone(),
            versions: Vec::new(),
        });
        let version = loop {
            let v = hex(&random_bytes::<16>()?);
            if !file.versions.iter().any(|s| s.version == v) {
                break v;
            }
        };
        let (nonce, sealed) = self
            .key
            .seal(&aad(&canonical, &version), value.expose().as_bytes())?;
        file.versions.push(StoredVersion {
            version: version.clone(),
            created: now_unix(),
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(sealed),
        });
        let json = serde_json::to_vec_pretty(&file).map_err(internal)?;
        write_atomic(&self.dir, &format!("{canonical}.json"), &json)?;
        Ok(SecretRef {
            name: name.to_string(),
            version,
        })
    }

    fn get(&self, reference: &SecretRef) -> Result<Secret, SecretError> {
        let not_found = || SecretError::NotFound {
            name: reference.name.clone(),
        };
        if !plausible_version(&reference.version) {
            return Err(not_found());
        }
        let canonical = reference.name.to_ascii_lowercase();
        let file = self.read(&canonical)?.ok_or_else(not_found)?;
        let stored = file
            .versions
            .iter()
            .find(|v| v.version == reference.version)
            .ok_or_else(not_found)?;
        let corrupt = || {
            SecretError::Corrupt(format!(
                "version {} of secret `{}` in {} cannot be decrypted: the file was changed or \
                 copied from another secret, or the vault key is not the one it was written \
                 with; restore the file or the key from a backup, or enter the secret again",
                stored.version,
                reference.name,
                self.file_path(&canonical).display()
            ))
        };
        let plaintext = self
            .key
            .open(
                &aad(&canonical, &stored.version),
                &stored.nonce,
                &stored.ciphertext,
            )
            .ok_or_else(corrupt)?;
        String::from_utf8(plaintext)
            .map(Secret::new)
            .map_err(|_| corrupt())
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        let path = self.file_path(&name.to_ascii_lowercase());
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(SecretError::NotFound {
                name: name.to_string(),
            }),
            Err(e) => Err(file_error("delete", &path)(e)),
        }
    }
}

impl Inner {
    /// Removes the versions `retention` lets go; rewrites the file only if any.
    fn prune(
        &self,
        name: &str,
        retention: &Retention,
        now: SystemTime,
    ) -> Result<usize, SecretError> {
        let canonical = name.to_ascii_lowercase();
        let mut file = self
            .read(&canonical)?
            .ok_or_else(|| SecretError::NotFound {
                name: name.to_string(),
            })?;
        let mut versions: Vec<(String, SystemTime)> = file
            .versions
            .iter()
            .map(|v| {
                (
                    v.version.clone(),
                    UNIX_EPOCH + Duration::from_secs(v.created),
                )
            })
            .collect();
        // Oldest first; versions written in the same second keep their order in the file.
        versions.sort_by_key(|(_, created)| *created);
        let expired: Vec<String> = retention
            .expired(&versions, now)
            .into_iter()
            .map(str::to_owned)
            .collect();
        if expired.is_empty() {
            return Ok(0);
        }
        file.versions.retain(|v| !expired.contains(&v.version));
        let json = serde_json::to_vec_pretty(&file).map_err(internal)?;
        write_atomic(&self.dir, &format!("{canonical}.json"), &json)?;
        Ok(expired.len())
    }
}

impl LocalVault {
    /// Opens (creating if needed) the vault in `dir`, with `key` or the key file.
    pub(crate) async fn open(dir: &Path, key: Option<&SecretString>) -> Result<Self, SecretError> {
        let dir = dir.to_path_buf();
        let key = key.cloned();
        let inner = blocking(move || open_blocking(dir, key)).await?;
        Ok(LocalVault {
            inner: Arc::new(inner),
            writes: tokio::sync::Mutex::new(()),
        })
    }
}

fn open_blocking(dir: PathBuf, configured: Option<SecretString>) -> Result<Inner, SecretError> {
    if !dir.exists() {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| {
                SecretError::Config(format!(
                    "cannot create the local vault directory {} ({e}); create it (mode 0700) \
                     or set secrets.path to a directory Roombook may write",
                    dir.display()
                ))
            })?;
        tracing::info!(path = %dir.display(), "created the local secret vault directory");
    } else if !dir.is_dir() {
        return Err(SecretError::Config(format!(
            "secrets.path {} is not a directory; point it at a directory for the local vault",
            dir.display()
        )));
    }
    remove_stale_temporaries(&dir);

    let key_path = dir.join(KEY_FILE);
    let check_path = dir.join(CHECK_FILE);
    let key = match configured {
        Some(text) => Key::from_base64(text.expose()).ok_or_else(|| {
            SecretError::Config(format!(
                "secrets.key (ROOMBOOK_SECRETS__KEY) must be the base64 encoding of exactly \
                 32 bytes, such as the output of `openssl rand -base64 32`; the value given \
                 decodes to {}",
                match B64.decode(text.expose().trim()) {
                    Ok(bytes) => format!("{} bytes", bytes.len()),
                    Err(_) => "nothing (it is not base64)".to_string(),
                }
            ))
        })?,
        None => read_or_create_key_file(&dir, &key_path, &check_path)?,
    };
    let inner = Inner { dir, key };
    verify_or_write_check(&inner, &check_path)?;
    Ok(inner)
}

/// Temporary files left by a crash between create and rename.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn read_or_create_key_file(
    dir: &Path,
    key_path: &Path,
    check_path: &Path,
) -> Result<Key, SecretError> {
    match fs::metadata(key_path) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(SecretError::Config(format!(
                    "the key file {path} can be read or changed by other users (mode {mode:04o}); \
                     run `chmod 600 {path}` (as its owner) and start again",
                    path = key_path.display()
                )));
            }
            let text = fs::read_to_string(key_path).map_err(|e| {
                SecretError::Config(format!(
                    "cannot read the key file {} ({e}); make it readable by the user Roombook \
                     runs as (mode 0600)",
                    key_path.display()
                ))
            })?;
            Key::from_base64(&text).ok_or_else(|| {
                SecretError::Corrupt(format!(
                    "the key file {} does not hold a base64-encoded 32-byte key; restore it \
                     from a backup",
                    key_path.display()
                ))
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if check_path.exists() {
                return Err(SecretError::Config(format!(
                    "the local vault in {} was created with a key that is no longer there: \
                     restore {} from a backup, or set secrets.key (ROOMBOOK_SECRETS__KEY) to \
                     it; without that key the stored secrets cannot be read",
                    dir.display(),
                    key_path.display()
                )));
            }
            create_key_file(key_path)
        }
        Err(e) => Err(SecretError::Config(format!(
            "cannot read the key file {} ({e}); make it readable by the user Roombook runs as",
            key_path.display()
        ))),
    }
}

/// A new random key in a file created with mode 0600 (never wider, not even briefly).
fn create_key_file(key_path: &Path) -> Result<Key, SecretError> {
    let key = Key(random_bytes::<KEY_LEN>()?);
    let mut file = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(key_path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(SecretError::Config(format!(
                "the key file {} appeared while Roombook was creating it: is another Roombook \
                 using this vault directory? Use one directory per process",
                key_path.display()
            )));
        }
        Err(e) => return Err(file_error("create", key_path)(e)),
    };
    let text = format!("{}\n", B64.encode(key.0));
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(file_error("write", key_path))?;
    if let Some(dir) = key_path.parent() {
        sync_dir(dir)?;
    }
    tracing::info!(
        path = %key_path.display(),
        "created a new key for the local secret vault; back it up: without it the secrets cannot be read"
    );
    Ok(key)
}

fn verify_or_write_check(inner: &Inner, check_path: &Path) -> Result<(), SecretError> {
    match fs::read(check_path) {
        Ok(bytes) => {
            let wrong_key = || {
                SecretError::Corrupt(format!(
                    "the configured key does not open the local vault in {}: it is not the key \
                     the vault was created with (or {} was changed). Restore the original key \
                     (vault.key, or secrets.key / ROOMBOOK_SECRETS__KEY) from a backup",
                    inner.dir.display(),
                    check_path.display()
                ))
            };
            let check: CheckFile = serde_json::from_slice(&bytes).map_err(|_| wrong_key())?;
            match inner.key.open(CHECK_AAD, &check.nonce, &check.ciphertext) {
                Some(p) if p == CHECK_PLAINTEXT => Ok(()),
                _ => Err(wrong_key()),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let (nonce, sealed) = inner.key.seal(CHECK_AAD, CHECK_PLAINTEXT)?;
            let check = CheckFile {
                format: FORMAT,
                nonce: B64.encode(nonce),
                ciphertext: B64.encode(sealed),
            };
            let json = serde_json::to_vec_pretty(&check).map_err(internal)?;
            write_atomic(&inner.dir, CHECK_FILE, &json)
        }
        Err(e) => Err(file_error("read", check_path)(e)),
    }
}

#[async_trait::async_trait]
impl SecretStore for LocalVault {
    async fn put(&self, name: &str, value: &Secret) -> Result<SecretRef, SecretError> {
        validate_name(name)?;
        let _guard = self.writes.lock().await;
        let inner = self.inner.clone();
        let (name, value) = (name.to_string(), value.clone());
        let reference = blocking(move || inner.put(&name, &value)).await?;
        tracing::debug!(name = %reference.name, version = %reference.version, "stored a secret version in the local vault");
        Ok(reference)
    }

    async fn get(&self, reference: &SecretRef) -> Result<Secret, SecretError> {
        validate_name(&reference.name)?;
        let inner = self.inner.clone();
        let reference = reference.clone();
        blocking(move || inner.get(&reference)).await
    }

    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        validate_name(name)?;
        let _guard = self.writes.lock().await;
        let inner = self.inner.clone();
        let owned = name.to_string();
        blocking(move || inner.delete(&owned)).await?;
        tracing::debug!(name, "deleted a secret from the local vault");
        Ok(())
    }

    async fn prune(
        &self,
        name: &str,
        retention: &Retention,
        now: SystemTime,
    ) -> Result<usize, SecretError> {
        validate_name(name)?;
        let _guard = self.writes.lock().await;
        let inner = self.inner.clone();
        let (owned, retention) = (name.to_string(), *retention);
        let removed = blocking(move || inner.prune(&owned, &retention, now)).await?;
        if removed > 0 {
            tracing::info!(
                name,
                removed,
                "removed old secret versions from the local vault"
            );
        }
        Ok(removed)
    }

    fn backend(&self) -> &'static str {
        "local"
    }
}
