//! Azure Key Vault secrets (data plane), served over HTTPS at
//! `https://{vault}.vault.localhost:{port}`, with the challenge-based authentication the
//! official SDK expects: a request without a token gets 401 and a `WWW-Authenticate` challenge
//! naming the authority and the resource `https://vault.localhost`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::server::Shared;

/// The resource in the challenge; the SDK checks the vault host ends with `.vault.localhost`.
pub const VAULT_RESOURCE: &str = "https://vault.localhost";

#[derive(Debug, Clone)]
struct Version {
    id: String,
    value: String,
    content_type: Option<String>,
    enabled: bool,
    created: i64,
    updated: i64,
    tags: Value,
}

#[derive(Debug, Default)]
struct Secret {
    versions: Vec<Version>,
}

#[derive(Debug, Default)]
pub struct Vaults {
    /// vault name → secret name (lower case) → versions
    vaults: Mutex<HashMap<String, BTreeMap<String, Secret>>>,
}

impl Vaults {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, BTreeMap<String, Secret>>> {
        self.vaults.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether each version of a secret is enabled, oldest first, for test assertions.
    pub fn versions_enabled(&self, vault: &str, name: &str) -> Vec<bool> {
        self.lock()
            .get(vault)
            .and_then(|v| v.get(&name.to_ascii_lowercase()))
            .map(|s| s.versions.iter().map(|v| v.enabled).collect())
            .unwrap_or_default()
    }

    /// The current value of a secret, for test assertions.
    pub fn current_value(&self, vault: &str, name: &str) -> Option<String> {
        self.lock()
            .get(vault)
            .and_then(|v| v.get(&name.to_ascii_lowercase()))
            .and_then(|s| s.versions.last())
            .map(|v| v.value.clone())
    }
}

fn kv_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// The vault name and the base URL from the Host header.
fn vault_of(headers: &HeaderMap) -> (String, String) {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let name = host.split(['.', ':']).next().unwrap_or("default");
    let name = if host.contains(".vault.") {
        name.to_string()
    } else {
        "default".to_string()
    };
    (name, format!("https://{host}"))
}

fn challenge(shared: &Shared, message: &str) -> Response {
    let mut response = kv_error(StatusCode::UNAUTHORIZED, "Unauthorized", message);
    let value = format!(
        "Bearer authorization=\"{}/{}\", resource=\"{VAULT_RESOURCE}\"",
        shared.entra.https_base_url(),
        shared.entra.tenant_id
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

/// Authenticates the caller and checks `api-version`.
fn admit(
    shared: &Shared,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<(), Box<Response>> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = token else {
        return Err(Box::new(challenge(
            shared,
            "AKV10000: Request is missing a Bearer or PoP token.",
        )));
    };
    match shared.entra.validate_vault_token(token.trim()) {
        Ok(_) => {}
        Err(VaultAuth::Invalid(reason)) => return Err(Box::new(challenge(shared, &reason))),
        Err(VaultAuth::Forbidden(client_id)) => {
            return Err(Box::new((
                StatusCode::FORBIDDEN,
                axum::Json(json!({"error": {
                    "code": "Forbidden",
                    "message": format!("The user, group or application 'appid={client_id};iss=https://sts.windows.net/{}/' does not have secrets get permission on key vault. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287", shared.entra.tenant_id),
                    "innererror": {"code": "AccessDenied"}
                }})),
            )
                .into_response()));
        }
    }
    if !query.contains_key("api-version") {
        return Err(Box::new(kv_error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "The request URI contains an invalid API version: ''.",
        )));
    }
    Ok(())
}

pub enum VaultAuth {
    Invalid(String),
    Forbidden(String),
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 127
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn bundle(v: &Version, name: &str, base: &str, with_value: bool) -> Value {
    let mut out = json!({
        "id": format!("{base}/secrets/{name}/{}", v.id),
        "attributes": {
            "enabled": v.enabled,
            "created": v.created,
            "updated": v.updated,
            "recoveryLevel": "Recoverable+Purgeable",
            "recoverableDays": 90,
        },
        "tags": v.tags,
    });
    if with_value {
        out["value"] = json!(v.value);
    }
    if let Some(ct) = &v.content_type {
        out["contentType"] = json!(ct);
    }
    out
}

fn not_found(name: &str, version: Option<&str>) -> Response {
    let message = match version {
        Some(v) => format!(
            "A secret with (name/id) {name}/{v} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
        None => format!(
            "A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
    };
    kv_error(StatusCode::NOT_FOUND, "SecretNotFound", &message)
}

pub async fn set_secret(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = admit(&shared, &headers, &query) {
        return *r;
    }
    if !valid_name(&name) {
        return kv_error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "The request URI contains an invalid name: the name must match ^[0-9a-zA-Z-]+$.",
        );
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return kv_error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "The request body is not valid JSON.",
        );
    };
    let Some(value) = request.get("value").and_then(Value::as_str) else {
        return kv_error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "Property 'value' is required.",
        );
    };
    let (vault, base) = vault_of(&headers);
    let now = chrono::Utc::now().timestamp();
    let version = Version {
        id: uuid::Uuid::new_v4().simple().to_string(),
        value: value.to_string(),
        content_type: request
            .get("contentType")
            .and_then(Value::as_str)
            .map(str::to_string),
        enabled: request
            .pointer("/attributes/enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        created: now,
        updated: now,
        tags: request.get("tags").cloned().unwrap_or_else(|| json!({})),
    };
    let out = bundle(&version, &name, &base, true);
    shared
        .vaults
        .lock()
        .entry(vault)
        .or_default()
        .entry(name.to_ascii_lowercase())
        .or_default()
        .versions
        .push(version);
    axum::Json(out).into_response()
}

fn get(shared: &Shared, headers: &HeaderMap, name: &str, version: Option<&str>) -> Response {
    let (vault, base) = vault_of(headers);
    let vaults = shared.vaults.lock();
    let secret = vaults
        .get(&vault)
        .and_then(|v| v.get(&name.to_ascii_lowercase()));
    let found = match (secret, version) {
        (None, _) => None,
        (Some(s), None | Some("")) => s.versions.last(),
        (Some(s), Some(id)) => s.versions.iter().find(|v| v.id == id),
    };
    match found {
        Some(v) if !v.enabled => kv_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Operation get is not allowed on a disabled secret.",
        ),
        Some(v) => axum::Json(bundle(v, name, &base, true)).into_response(),
        None => not_found(name, version.filter(|v| !v.is_empty())),
    }
}

pub async fn get_latest(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&shared, &headers, &query) {
        return *r;
    }
    get(&shared, &headers, &name, None)
}

pub async fn get_version(
    State(shared): State<Arc<Shared>>,
    Path((name, version)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&shared, &headers, &query) {
        return *r;
    }
    get(&shared, &headers, &name, Some(&version))
}

/// `PATCH /secrets/{name}/{version}`: changes a version's attributes (`enabled`, the one
/// Roombook's pruning sets) and tags; the value cannot change.
pub async fn update_version(
    State(shared): State<Arc<Shared>>,
    Path((name, version)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = admit(&shared, &headers, &query) {
        return *r;
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return kv_error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "The request body is not valid JSON.",
        );
    };
    let (vault, base) = vault_of(&headers);
    let mut vaults = shared.vaults.lock();
    let found = vaults
        .get_mut(&vault)
        .and_then(|v| v.get_mut(&name.to_ascii_lowercase()))
        .and_then(|s| s.versions.iter_mut().find(|v| v.id == version));
    let Some(found) = found else {
        return not_found(&name, Some(&version));
    };
    if let Some(enabled) = request
        .pointer("/attributes/enabled")
        .and_then(Value::as_bool)
    {
        found.enabled = enabled;
    }
    if let Some(tags) = request.get("tags") {
        found.tags = tags.clone();
    }
    found.updated = chrono::Utc::now().timestamp();
    axum::Json(bundle(found, &name, &base, false)).into_response()
}

pub async fn list_versions(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&shared, &headers, &query) {
        return *r;
    }
    let (vault, base) = vault_of(&headers);
    let vaults = shared.vaults.lock();
    let Some(secret) = vaults
        .get(&vault)
        .and_then(|v| v.get(&name.to_ascii_lowercase()))
    else {
        return not_found(&name, None);
    };
    let value: Vec<Value> = secret
        .versions
        .iter()
        .map(|v| bundle(v, &name, &base, false))
        .collect();
    axum::Json(json!({"value": value, "nextLink": null})).into_response()
}

pub async fn list_secrets(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&shared, &headers, &query) {
        return *r;
    }
    let (vault, base) = vault_of(&headers);
    let vaults = shared.vaults.lock();
    let value: Vec<Value> = vaults
        .get(&vault)
        .map(|v| {
            v.iter()
                .filter_map(|(name, s)| s.versions.last().map(|latest| (name, latest)))
                .map(|(name, latest)| {
                    let mut b = bundle(latest, name, &base, false);
                    b["id"] = json!(format!("{base}/secrets/{name}"));
                    b
                })
                .collect()
        })
        .unwrap_or_default();
    axum::Json(json!({"value": value, "nextLink": null})).into_response()
}

pub async fn delete_secret(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&shared, &headers, &query) {
        return *r;
    }
    let (vault, base) = vault_of(&headers);
    let removed = shared
        .vaults
        .lock()
        .get_mut(&vault)
        .and_then(|v| v.remove(&name.to_ascii_lowercase()));
    let Some(secret) = removed else {
        return not_found(&name, None);
    };
    let latest = secret.versions.last().cloned();
    let now = chrono::Utc::now().timestamp();
    let mut out = latest
        .map(|v| bundle(&v, &name, &base, false))
        .unwrap_or_else(|| json!({}));
    out["recoveryId"] = json!(format!("{base}/deletedsecrets/{name}"));
    out["deletedDate"] = json!(now);
    out["scheduledPurgeDate"] = json!(now + 90 * 86400);
    axum::Json(out).into_response()
}

pub(crate) fn new_vaults() -> Arc<Vaults> {
    Arc::new(Vaults::default())
}
