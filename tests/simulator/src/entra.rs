//! The simulated Entra ID (served from the simulator's base URL, standing in for
//! `https://login.microsoftonline.com`):
//! - the v2 token endpoint: client credentials with a certificate client assertion, and the
//!   authorization code grant with PKCE;
//! - OpenID Connect: a user-picker authorize page, JWKS, discovery with the templated issuer;
//! - `/adminconsent` (v1 and v2 forms), with a delay before Exchange honours the consent;
//! - validation of the app-only access tokens EWS receives.

// Handlers here return a ready HTTP response as their error; boxing it would only add an
// allocation on the refusal path of a test server.
#![allow(clippy::result_large_err)]

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{PKey, Private, Public};
use openssl::x509::X509;
use serde_json::{Value, json};

use crate::directory::MailboxScope;
use crate::jwt::{self, b64url};
use crate::server::Shared;
use crate::xml::escape;

/// The Exchange Online resource, as in the `scope` and the token's `aud`.
pub const EXCHANGE_RESOURCE: &str = "https://outlook.office365.com";
pub const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";
pub const FULL_ACCESS_AS_APP: &str = "full_access_as_app";

/// An app registration in the simulated tenant.
#[derive(Clone)]
pub struct AppRegistration {
    pub client_id: String,
    pub display_name: String,
    /// PEM certificates whose private keys may sign client assertions.
    pub certificates_pem: Vec<String>,
    pub client_secret: Option<String>,
    pub redirect_uris: Vec<String>,
    /// `full_access_as_app` already admin-consented at start.
    pub full_access_as_app: bool,
    /// Which mailboxes Exchange lets the app impersonate (an RBAC-for-Applications
    /// management scope, or the whole organisation).
    pub ews_scope: MailboxScope,
    /// A Key Vault access policy allowing secret operations.
    pub key_vault_access: bool,
}

impl AppRegistration {
    pub fn new(client_id: &str, display_name: &str) -> Self {
        AppRegistration {
            client_id: client_id.into(),
            display_name: display_name.into(),
            certificates_pem: Vec::new(),
            client_secret: None,
            redirect_uris: Vec::new(),
            full_access_as_app: false,
            ews_scope: MailboxScope::All,
            key_vault_access: false,
        }
    }

    pub fn with_key_vault_access(mut self) -> Self {
        self.key_vault_access = true;
        self
    }

    pub fn with_certificate(mut self, pem: &str) -> Self {
        self.certificates_pem.push(pem.into());
        self
    }

    pub fn with_secret(mut self, secret: &str) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    pub fn with_redirect_uri(mut self, uri: &str) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    pub fn consented(mut self) -> Self {
        self.full_access_as_app = true;
        self
    }

    pub fn scoped_to(mut self, scope: MailboxScope) -> Self {
        self.ews_scope = scope;
        self
    }
}

impl fmt::Debug for AppRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppRegistration")
            .field("client_id", &self.client_id)
            .field("display_name", &self.display_name)
            .field("certificates", &self.certificates_pem.len())
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("redirect_uris", &self.redirect_uris)
            .field("full_access_as_app", &self.full_access_as_app)
            .field("ews_scope", &self.ews_scope)
            .field("key_vault_access", &self.key_vault_access)
            .finish()
    }
}

/// What EWS learns from a valid app-only access token.
#[derive(Debug, Clone, PartialEq)]
pub struct AppToken {
    pub client_id: String,
    pub scope: Option<MailboxScope>,
}

struct Certificate {
    key: PKey<Public>,
    sha1: String,
    sha256: String,
}

struct App {
    registration: AppRegistration,
    certificates: Vec<Certificate>,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: Option<String>,
    user: String,
    /// The user's directory roles when they signed in: the id_token's `wids`.
    directory_roles: Vec<String>,
    /// The id_token's `preferred_username`.
    asserted_username: String,
    /// The id_token's `name`: the person's display name in the directory.
    display_name: String,
    nonce: Option<String>,
    scope: String,
    issued: Instant,
}

#[derive(Default)]
struct EntraState {
    apps: HashMap<String, App>,
    used_jti: HashSet<String>,
    codes: HashMap<String, PendingCode>,
    /// When each app's `full_access_as_app` consent was granted.
    consent: HashMap<String, Instant>,
}

pub struct Entra {
    pub(crate) base_url: String,
    pub(crate) https_base_url: String,
    pub(crate) tenant_id: String,
    pub(crate) domain: String,
    signing_key: PKey<Private>,
    signing_cert_der: Vec<u8>,
    kid: String,
    consent_delay: Duration,
    state: Mutex<EntraState>,
}

#[derive(Debug, thiserror::Error)]
#[error("app registration {client_id}: bad certificate PEM: {reason}")]
pub struct RegistrationError {
    pub client_id: String,
    pub reason: String,
}

fn thumbprints(cert: &X509) -> (String, String) {
    let der = cert.to_der().unwrap_or_default();
    let sha1 = hash(MessageDigest::sha1(), &der)
        .map(|d| b64url(&d))
        .unwrap_or_default();
    let sha256 = hash(MessageDigest::sha256(), &der)
        .map(|d| b64url(&d))
        .unwrap_or_default();
    (sha1, sha256)
}

/// A self-signed certificate for the token-signing key, published in the JWKS `x5c`.
fn signing_certificate(key: &PKey<Private>) -> X509 {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::x509::{X509Builder, X509NameBuilder};
    let mut name = X509NameBuilder::new().expect("x509 name");
    name.append_entry_by_text("CN", "roombook-simulator token signing")
        .expect("CN");
    let name = name.build();
    let mut builder = X509Builder::new().expect("x509 builder");
    builder.set_version(2).expect("version");
    let serial = BigNum::from_u32(1)
        .and_then(|b| b.to_asn1_integer())
        .expect("serial");
    builder.set_serial_number(&serial).expect("serial");
    builder.set_subject_name(&name).expect("subject");
    builder.set_issuer_name(&name).expect("issuer");
    builder.set_pubkey(key).expect("key");
    builder
        .set_not_before(&Asn1Time::days_from_now(0).expect("time"))
        .expect("not before");
    builder
        .set_not_after(&Asn1Time::days_from_now(365).expect("time"))
        .expect("not after");
    builder.sign(key, MessageDigest::sha256()).expect("sign");
    builder.build()
}

/// An Entra error body (`error`, AADSTS description, `error_codes`, trace ids).
fn entra_error(status: StatusCode, error: &str, code: u32, message: &str) -> Response {
    let trace = uuid::Uuid::new_v4();
    let correlation = uuid::Uuid::new_v4();
    let timestamp = Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {message}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace.to_string(),
        "correlation_id": correlation.to_string(),
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

fn now_secs() -> i64 {
    Utc::now().timestamp()
}

impl Entra {
    pub(crate) fn new(
        base_url: &str,
        https_base_url: &str,
        tenant_id: &str,
        domain: &str,
        apps: &[AppRegistration],
        consent_delay: Duration,
    ) -> Result<Entra, RegistrationError> {
        // One token-signing key per process, like the CA: key generation dominates start-up.
        static SIGNING: std::sync::OnceLock<(PKey<Private>, X509)> = std::sync::OnceLock::new();
        let (signing_key, cert) = SIGNING
            .get_or_init(|| {
                let rsa = openssl::rsa::Rsa::generate(2048).expect("RSA key generation");
                let key = PKey::from_rsa(rsa).expect("RSA key");
                let cert = signing_certificate(&key);
                (key, cert)
            })
            .clone();
        let (kid, _) = thumbprints(&cert);
        let entra = Entra {
            base_url: base_url.to_string(),
            https_base_url: https_base_url.to_string(),
            tenant_id: tenant_id.to_string(),
            domain: domain.to_string(),
            signing_cert_der: cert.to_der().unwrap_or_default(),
            signing_key,
            kid,
            consent_delay,
            state: Mutex::new(EntraState::default()),
        };
        for app in apps {
            entra.register(app.clone())?;
        }
        Ok(entra)
    }

    fn state(&self) -> MutexGuard<'_, EntraState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds or replaces an app registration.
    pub fn register(&self, registration: AppRegistration) -> Result<(), RegistrationError> {
        let mut certificates = Vec::new();
        for pem in &registration.certificates_pem {
            let cert = X509::from_pem(pem.as_bytes()).map_err(|e| RegistrationError {
                client_id: registration.client_id.clone(),
                reason: e.to_string(),
            })?;
            let key = cert.public_key().map_err(|e| RegistrationError {
                client_id: registration.client_id.clone(),
                reason: e.to_string(),
            })?;
            let (sha1, sha256) = thumbprints(&cert);
            certificates.push(Certificate { key, sha1, sha256 });
        }
        let mut state = self.state();
        if registration.full_access_as_app {
            // Consented before the simulator started: already effective in Exchange.
            let long_ago = Instant::now()
                .checked_sub(self.consent_delay)
                .unwrap_or_else(Instant::now);
            state
                .consent
                .insert(registration.client_id.clone(), long_ago);
        }
        state.apps.insert(
            registration.client_id.clone(),
            App {
                registration,
                certificates,
            },
        );
        Ok(())
    }

    fn knows_tenant(&self, tenant: &str) -> bool {
        tenant == self.tenant_id
            || tenant.eq_ignore_ascii_case(&self.domain)
            || tenant == "organizations"
            || tenant == "common"
    }

    pub(crate) fn issuer(&self) -> String {
        format!("{}/{}/v2.0", self.base_url, self.tenant_id)
    }

    /// Validates a bearer token sent to EWS. The error is the `x-ms-diagnostics` value.
    pub fn validate_ews_token(&self, token: &str) -> Result<AppToken, String> {
        let invalid =
            |reason: &str| format!("2000001;reason=\"{reason}\";error_category=\"invalid_token\"");
        let parsed = jwt::parse(token).ok_or_else(|| invalid("The token is malformed."))?;
        let public = PKey::public_key_from_pem(
            &self
                .signing_key
                .public_key_to_pem()
                .map_err(|_| invalid("signing key"))?,
        )
        .map_err(|_| invalid("signing key"))?;
        if !jwt::verify(&parsed, &public) {
            return Err(invalid("The token signature is invalid."));
        }
        let claims = &parsed.claims;
        let aud = claims.get("aud").and_then(Value::as_str).unwrap_or("");
        if aud != EXCHANGE_RESOURCE && aud != EXCHANGE_APP_ID {
            return Err(invalid("The audience claim value is invalid."));
        }
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        if exp <= now_secs() {
            return Err(
                "2000003;reason=\"The token has expired.\";error_category=\"invalid_lifetime\""
                    .into(),
            );
        }
        let client_id = claims
            .get("appid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let has_role = claims
            .get("roles")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|v| v.as_str() == Some(FULL_ACCESS_AS_APP)));
        let state = self.state();
        let consent_effective = state
            .consent
            .get(&client_id)
            .is_some_and(|granted| granted.elapsed() >= self.consent_delay);
        let scope = state.apps.get(&client_id).map(|a| a.registration.ews_scope);
        if !has_role || !consent_effective || scope.is_none() {
            return Err("2000008;reason=\"The token contains no permissions, or permissions can not be understood.\";error_category=\"invalid_grant\"".into());
        }
        Ok(AppToken { client_id, scope })
    }

    pub(crate) fn https_base_url(&self) -> &str {
        &self.https_base_url
    }

    /// Validates a bearer token sent to Key Vault.
    pub fn validate_vault_token(&self, token: &str) -> Result<String, crate::keyvault::VaultAuth> {
        use crate::keyvault::{VAULT_RESOURCE, VaultAuth};
        let parsed = jwt::parse(token)
            .ok_or_else(|| VaultAuth::Invalid("AKV10022: Invalid token.".into()))?;
        let public = self
            .signing_key
            .public_key_to_pem()
            .ok()
            .and_then(|pem| PKey::public_key_from_pem(&pem).ok())
            .ok_or_else(|| VaultAuth::Invalid("AKV10022: Invalid token.".into()))?;
        if !jwt::verify(&parsed, &public) {
            return Err(VaultAuth::Invalid(
                "AKV10032: Invalid issuer or signature.".into(),
            ));
        }
        let claims = &parsed.claims;
        let aud = claims.get("aud").and_then(Value::as_str).unwrap_or("");
        if aud != VAULT_RESOURCE && aud != "https://vault.azure.net" {
            return Err(VaultAuth::Invalid(format!(
                "AKV10022: Invalid audience. Expected {VAULT_RESOURCE}, found: {aud}."
            )));
        }
        if claims.get("exp").and_then(Value::as_i64).unwrap_or(0) <= now_secs() {
            return Err(VaultAuth::Invalid("AKV10032: Token expired.".into()));
        }
        let client_id = claims
            .get("appid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let allowed = self
            .state()
            .apps
            .get(&client_id)
            .is_some_and(|a| a.registration.key_vault_access);
        if allowed {
            Ok(client_id)
        } else {
            Err(VaultAuth::Forbidden(client_id))
        }
    }

    fn access_token_for_vault(&self, app: &AppRegistration, resource: &str) -> String {
        let now = now_secs();
        let claims = json!({
            "aud": resource,
            "iss": format!("https://sts.windows.net/{}/", self.tenant_id),
            "iat": now, "nbf": now, "exp": now + 3599,
            "appid": app.client_id,
            "idtyp": "app",
            "tid": self.tenant_id,
            "ver": "1.0",
        });
        jwt::sign_rs256(&claims, &self.signing_key, &self.kid)
    }

    fn access_token_for_app(&self, app: &AppRegistration, consented: bool) -> String {
        let now = now_secs();
        let mut claims = json!({
            "aud": EXCHANGE_RESOURCE,
            "iss": format!("https://sts.windows.net/{}/", self.tenant_id),
            "iat": now, "nbf": now, "exp": now + 3599,
            "appid": app.client_id,
            "app_displayname": app.display_name,
            "appidacr": "2",
            "idtyp": "app",
            "oid": uuid::Uuid::new_v4().to_string(),
            "sub": uuid::Uuid::new_v4().to_string(),
            "tid": self.tenant_id,
            "ver": "1.0",
        });
        if consented {
            claims["roles"] = json!([FULL_ACCESS_AS_APP]);
        }
        jwt::sign_rs256(&claims, &self.signing_key, &self.kid)
    }

    /// Checks a client assertion as Entra does; on success returns the app registration.
    fn check_assertion(
        &self,
        tenant: &str,
        client_id: &str,
        assertion: &str,
    ) -> Result<AppRegistration, Response> {
        let bad = |code: u32, message: &str| {
            entra_error(StatusCode::UNAUTHORIZED, "invalid_client", code, message)
        };
        let Some(parsed) = jwt::parse(assertion) else {
            return Err(bad(50027, "JWT token is invalid or malformed."));
        };
        let mut state = self.state();
        let Some(app) = state.apps.get(client_id) else {
            return Err(entra_error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                700016,
                &format!(
                    "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
                ),
            ));
        };
        let x5t256 = parsed.header.get("x5t#S256").and_then(Value::as_str);
        let x5t = parsed.header.get("x5t").and_then(Value::as_str);
        if x5t256.is_none() && x5t.is_none() {
            return Err(bad(
                700027,
                "Client assertion failed signature validation. The certificate thumbprint (x5t or x5t#S256) is missing from the header.",
            ));
        }
        let cert = app
            .certificates
            .iter()
            .find(|c| x5t256.is_some_and(|t| t == c.sha256) || x5t.is_some_and(|t| t == c.sha1));
        let Some(cert) = cert else {
            return Err(bad(
                700027,
                &format!(
                    "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{client_id}'.]",
                    x5t256.or(x5t).unwrap_or_default()
                ),
            ));
        };
        if !jwt::verify(&parsed, &cert.key) {
            return Err(bad(700027, "Client assertion failed signature validation."));
        }
        let claims = &parsed.claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
        if text("iss") != client_id || text("sub") != client_id {
            return Err(bad(
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
            ));
        }
        let expected_aud: Vec<String> = [&self.base_url, &self.https_base_url]
            .iter()
            .flat_map(|base| {
                [tenant, &self.tenant_id, &self.domain]
                    .map(|t| format!("{base}/{t}/oauth2/v2.0/token"))
            })
            .collect();
        if !expected_aud.iter().any(|a| a == text("aud")) {
            return Err(bad(
                700023,
                &format!(
                    "Client assertion audience claim does not match Realm issuer. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials . Expected: {}",
                    expected_aud[0]
                ),
            ));
        }
        let now = now_secs();
        let exp = claims.get("exp").and_then(Value::as_i64);
        let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(0);
        // Entra tolerates a few minutes of clock skew.
        let skew = 300;
        if exp.is_none_or(|e| e + skew < now) || nbf - skew > now {
            return Err(bad(
                700024,
                &format!(
                    "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry time of assertion {}.",
                    Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ"),
                    nbf,
                    exp.unwrap_or(0)
                ),
            ));
        }
        let registration = app.registration.clone();
        let jti = text("jti");
        if jti.is_empty() || !state.used_jti.insert(format!("{client_id}:{jti}")) {
            // Entra does not document a replay code; it refuses a reused assertion as an
            // invalid JWT.
            return Err(bad(
                50027,
                "JWT token is invalid or malformed. The client assertion's jti was already used.",
            ));
        }
        drop(state);
        Ok(registration)
    }

    /// Checks a client secret (client credentials without a certificate).
    fn check_secret(
        &self,
        tenant: &str,
        client_id: &str,
        secret: &str,
    ) -> Result<AppRegistration, Response> {
        let state = self.state();
        let Some(app) = state.apps.get(client_id) else {
            return Err(entra_error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                700016,
                &format!(
                    "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
                ),
            ));
        };
        if app.registration.client_secret.as_deref() != Some(secret) {
            return Err(entra_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.",
            ));
        }
        Ok(app.registration.clone())
    }

    /// Grants `full_access_as_app` now (the admin accepted consent).
    pub fn grant_consent(&self, client_id: &str) {
        self.state()
            .consent
            .insert(client_id.to_string(), Instant::now());
    }

    fn is_consented(&self, client_id: &str) -> bool {
        self.state().consent.contains_key(client_id)
    }

    fn jwks(&self) -> Value {
        let rsa = self.signing_key.rsa().expect("RSA key");
        json!({"keys": [{
            "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid,
            "n": b64url(&rsa.n().to_vec()), "e": b64url(&rsa.e().to_vec()),
            "x5c": [base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &self.signing_cert_der)],
            "issuer": format!("{}/{{tenantid}}/v2.0", self.base_url),
        }]})
    }
}

// ---------------------------------------------------------------------------------------
// HTTP handlers

type Params = HashMap<String, String>;

pub async fn token(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Form(form): Form<Params>,
) -> Response {
    let entra = &shared.entra;
    if !entra.knows_tenant(&tenant) {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    }
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let client_id = get("client_id");
    match get("grant_type") {
        "client_credentials" => {
            let app = if !get("client_assertion").is_empty() {
                if get("client_assertion_type")
                    != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                {
                    return entra_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        900023,
                        "Specified client_assertion_type is invalid.",
                    );
                }
                match entra.check_assertion(&tenant, client_id, get("client_assertion")) {
                    Ok(app) => app,
                    Err(response) => return response,
                }
            } else if !get("client_secret").is_empty() {
                match entra.check_secret(&tenant, client_id, get("client_secret")) {
                    Ok(app) => app,
                    Err(response) => return response,
                }
            } else {
                return entra_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000218,
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                );
            };
            let scope = get("scope");
            if let Some(resource) = scope.strip_suffix("/.default").filter(|r| {
                *r == crate::keyvault::VAULT_RESOURCE || *r == "https://vault.azure.net"
            }) {
                return axum::Json(json!({
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "ext_expires_in": 3599,
                    "access_token": entra.access_token_for_vault(&app, resource),
                }))
                .into_response();
            }
            if scope != format!("{EXCHANGE_RESOURCE}/.default") {
                return entra_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    1002012,
                    &format!(
                        "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                    ),
                );
            }
            let consented = entra.is_consented(client_id);
            axum::Json(json!({
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": entra.access_token_for_app(&app, consented),
            }))
            .into_response()
        }
        "authorization_code" => authorization_code(entra, &tenant, &form),
        other => entra_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

fn authorization_code(entra: &Entra, tenant: &str, form: &Params) -> Response {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let client_id = get("client_id");
    let app = entra
        .state()
        .apps
        .get(client_id)
        .map(|a| a.registration.clone());
    let Some(app) = app else {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
            ),
        );
    };
    // Confidential clients authenticate; a public client relies on PKCE alone.
    if !get("client_assertion").is_empty() {
        if let Err(response) = entra.check_assertion(tenant, client_id, get("client_assertion")) {
            return response;
        }
    } else if let Some(secret) = &app.client_secret
        && get("client_secret") != secret
    {
        return entra_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.",
        );
    }
    let pending = entra.state().codes.remove(get("code"));
    let Some(pending) = pending else {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70000,
            "The provided value for the 'code' parameter is not valid.",
        );
    };
    if pending.client_id != client_id
        || pending.redirect_uri != get("redirect_uri")
        || pending.issued.elapsed() > Duration::from_secs(600)
    {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity or was issued for another client or redirect URI.",
        );
    }
    if let Some(challenge) = &pending.challenge {
        let verifier = get("code_verifier");
        let computed = hash(MessageDigest::sha256(), verifier.as_bytes())
            .map(|d| b64url(&d))
            .unwrap_or_default();
        if verifier.is_empty() || &computed != challenge {
            return entra_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            );
        }
    }
    let user = pending.user.clone();
    // Entra's `name` is the directory's display name (a person without one: the address).
    let oid = entra_user(entra, &user).1;
    let name = if pending.display_name.trim().is_empty() {
        user.clone()
    } else {
        pending.display_name.clone()
    };
    let now = now_secs();
    let mut id_claims = json!({
        "aud": client_id,
        "iss": entra.issuer(),
        "iat": now, "nbf": now, "exp": now + 3600,
        "tid": entra.tenant_id,
        "oid": oid,
        "sub": b64url(&hash(MessageDigest::sha256(), format!("{client_id}:{oid}").as_bytes()).map(|d| d.to_vec()).unwrap_or_default()),
        "preferred_username": pending.asserted_username,
        "name": name,
        "ver": "2.0",
    });
    if let Some(nonce) = &pending.nonce {
        id_claims["nonce"] = json!(nonce);
    }
    // Entra sends `wids` only when the app asks for directory roles (groupMembershipClaims).
    if !pending.directory_roles.is_empty() {
        id_claims["wids"] = json!(pending.directory_roles);
    }
    let access_claims = json!({
        "aud": "00000003-0000-0000-c000-000000000000",
        "iss": format!("https://sts.windows.net/{}/", entra.tenant_id),
        "iat": now, "nbf": now, "exp": now + 3600,
        "tid": entra.tenant_id, "oid": oid, "upn": user, "scp": pending.scope,
        "appid": client_id, "ver": "1.0",
    });
    axum::Json(json!({
        "token_type": "Bearer",
        "scope": pending.scope,
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": jwt::sign_rs256(&access_claims, &entra.signing_key, &entra.kid),
        "id_token": jwt::sign_rs256(&id_claims, &entra.signing_key, &entra.kid),
    }))
    .into_response()
}

/// Display name and a stable object id for a signed-in user.
fn entra_user(entra: &Entra, user: &str) -> (String, String) {
    let digest = hash(
        MessageDigest::sha256(),
        format!("{}:{user}", entra.tenant_id).as_bytes(),
    )
    .map(|d| d.to_vec())
    .unwrap_or_default();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let oid = uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string();
    (user.to_string(), oid)
}

pub async fn discovery(State(shared): State<Arc<Shared>>, Path(tenant): Path<String>) -> Response {
    let entra = &shared.entra;
    if !entra.knows_tenant(&tenant) {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    let base = &entra.base_url;
    // Multi-tenant endpoints publish the templated issuer; a tenant's own endpoint its id.
    let issuer = if tenant == "organizations" || tenant == "common" {
        format!("{base}/{{tenantid}}/v2.0")
    } else {
        entra.issuer()
    };
    axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
        "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "preferred_username", "oid", "tid", "ver"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
    }))
    .into_response()
}

pub async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.entra.jwks()).into_response()
}

fn redirect_allowed(entra: &Entra, client_id: &str, redirect_uri: &str) -> Result<(), Response> {
    let state = entra.state();
    let Some(app) = state.apps.get(client_id) else {
        return Err(entra_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'.",
                entra.domain
            ),
        ));
    };
    if !app
        .registration
        .redirect_uris
        .iter()
        .any(|r| r == redirect_uri)
    {
        return Err(entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50011,
            &format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'."
            ),
        ));
    }
    Ok(())
}

fn query_string(params: &Params) -> String {
    let mut pairs: Vec<_> = params.iter().collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let sep = if uri.contains('?') { '&' } else { '?' };
    let q: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    format!("{uri}{sep}{}", q.join("&"))
}

/// The sign-in page: pick one of the tenant's users.
pub async fn authorize(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let entra = &shared.entra;
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    if let Err(response) = redirect_allowed(entra, get("client_id"), get("redirect_uri")) {
        return response;
    }
    if get("response_type") != "code" {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            700054,
            "response_type 'id_token' is not enabled for the application.",
        );
    }
    if !get("code_challenge").is_empty() && get("code_challenge_method") != "S256" {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            501491,
            "Invalid size of Code_Challenge parameter.",
        );
    }
    let mut users: Vec<(String, String)> = shared
        .tenant()
        .users
        .values()
        .map(|u| (u.address.clone(), u.display_name.clone()))
        .collect();
    users.sort();
    let base = query_string(&params);
    let mut page = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign in to your account</title></head><body><h1>Pick an account</h1><ul>",
    );
    for (address, name) in users {
        page.push_str(&format!(
            "<li><a href=\"/{tenant}/oauth2/v2.0/authorize/select?{base}&amp;login={}\" data-user=\"{}\">{}</a></li>",
            urlencode(&address),
            escape(&address),
            escape(&name)
        ));
    }
    page.push_str("</ul></body></html>");
    Html(page).into_response()
}

pub async fn authorize_select(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let entra = &shared.entra;
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    if let Err(response) = redirect_allowed(entra, get("client_id"), get("redirect_uri")) {
        return response;
    }
    let user = get("login").to_ascii_lowercase();
    let found = shared.tenant().users.get(&user).map(|u| {
        (
            u.directory_roles.clone(),
            u.asserted_username
                .clone()
                .unwrap_or_else(|| u.address.clone()),
            u.display_name.clone(),
        )
    });
    let Some((directory_roles, asserted_username, display_name)) = found else {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50034,
            &format!("The user account {user} does not exist in the {tenant} directory."),
        );
    };
    let code = b64url(uuid::Uuid::new_v4().as_bytes()) + &b64url(uuid::Uuid::new_v4().as_bytes());
    entra.state().codes.insert(
        code.clone(),
        PendingCode {
            client_id: get("client_id").into(),
            redirect_uri: get("redirect_uri").into(),
            challenge: params
                .get("code_challenge")
                .cloned()
                .filter(|c| !c.is_empty()),
            user,
            directory_roles,
            asserted_username,
            display_name,
            nonce: params.get("nonce").cloned(),
            scope: get("scope").into(),
            issued: Instant::now(),
        },
    );
    let mut back = vec![("code", code.as_str())];
    if let Some(state) = params.get("state") {
        back.push(("state", state));
    }
    back.push(("session_state", "00000000-0000-0000-0000-000000000000"));
    Redirect::to(&with_query(get("redirect_uri"), &back)).into_response()
}

/// `/adminconsent` (v1) and `/v2.0/adminconsent`: a page with Accept and Cancel.
pub async fn admin_consent(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Query(mut params): Query<Params>,
) -> Response {
    admin_consent_page(&shared, &tenant, &mut params, "v1")
}

pub async fn admin_consent_v2(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Query(mut params): Query<Params>,
) -> Response {
    admin_consent_page(&shared, &tenant, &mut params, "v2")
}

fn admin_consent_page(
    shared: &Shared,
    tenant: &str,
    params: &mut Params,
    version: &str,
) -> Response {
    let entra = &shared.entra;
    let client_id = params.get("client_id").cloned().unwrap_or_default();
    let redirect = params.get("redirect_uri").cloned().unwrap_or_default();
    if let Err(response) = redirect_allowed(entra, &client_id, &redirect) {
        return response;
    }
    if version == "v2" && !params.get("scope").is_some_and(|s| s.contains("/.default")) {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90014,
            "The required field 'scope' is missing or does not use the /.default value.",
        );
    }
    params.insert("version".into(), version.into());
    let base = query_string(params);
    let name = entra
        .state()
        .apps
        .get(&client_id)
        .map(|a| a.registration.display_name.clone())
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Permissions requested</title></head><body><h1>{} wants to access Exchange mailboxes (full_access_as_app)</h1><a id=\"accept\" href=\"/{tenant}/adminconsent/decide?{base}&amp;decision=accept\">Accept</a> <a id=\"cancel\" href=\"/{tenant}/adminconsent/decide?{base}&amp;decision=cancel\">Cancel</a></body></html>",
        escape(&name)
    ))
    .into_response()
}

pub async fn admin_consent_decide(
    State(shared): State<Arc<Shared>>,
    Path(_tenant): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let entra = &shared.entra;
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    if let Err(response) = redirect_allowed(entra, get("client_id"), get("redirect_uri")) {
        return response;
    }
    let v2 = get("version") == "v2";
    let mut back: Vec<(&str, &str)> = Vec::new();
    if get("decision") == "accept" {
        entra.grant_consent(get("client_id"));
        back.push(("admin_consent", "True"));
        back.push(("tenant", &entra.tenant_id));
        if v2 {
            back.push(("scope", get("scope")));
        }
    } else if v2 {
        back.push(("error", "access_denied"));
        back.push((
            "error_description",
            "AADSTS65004: User declined to consent to access the app.",
        ));
    } else {
        back.push(("error", "permission_denied"));
        back.push(("error_description", "The admin canceled the request"));
    }
    if let Some(state) = params.get("state") {
        back.push(("state", state));
    }
    Redirect::to(&with_query(get("redirect_uri"), &back)).into_response()
}
