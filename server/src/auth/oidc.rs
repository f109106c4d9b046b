//! OpenID Connect sign-in: authorization code + PKCE (the `oauth2` crate) and id_token checks.
//!
//! The `openidconnect` crate is not used: its discovery refuses Entra's multi-tenant metadata,
//! whose `issuer` is the template `…/{tenantid}/v2.0` (see ../shared/reference §4). The
//! id_token is verified here with openssl (already linked for the EWS client assertion):
//! RS256 signature by the JWKS key named in `kid`, `aud`, `exp`/`nbf`, `nonce`, and the
//! multi-tenant issuer rule: `iss` must equal the metadata issuer with the token's own `tid`.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};
use openssl::rsa::Rsa;
use openssl::sign::Verifier;
use roombook_entra::Secret;
use roombook_entra::{AssertionAlgorithm, ClientCertificate, client_assertion};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// Allowed clock difference between us and the identity provider.
const CLOCK_SKEW_SECS: i64 = 300;
/// Discovery metadata and keys are re-read after this long (keys also on an unknown `kid`).
const METADATA_TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the identity provider's metadata is unusable: {0}")]
    Metadata(String),
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the id_token is not valid: {0}")]
    InvalidToken(String),
    /// The outbound guard or the endpoint rules refused an address: Roombook's own sentence,
    /// safe to show an admin.
    #[error("{0}")]
    Destination(String),
}

/// How we authenticate to the token endpoint.
pub enum ClientAuth {
    /// A public client: PKCE only.
    None,
    Secret(Secret),
    /// `private_key_jwt` with our certificate (the same one EWS tokens use).
    Certificate(ClientCertificate),
}

#[derive(Clone, Debug, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    /// RFC 9207: the provider puts `iss` into every authorization response.
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

/// How many keys of a JWKS are looked at: a provider publishes a handful.
const MAX_KEYS: usize = 50;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct IdTokenFields {
    id_token: String,
}
impl ExtraTokenFields for IdTokenFields {}

type NewClient = Client<
    BasicErrorResponse,
    StandardTokenResponse<IdTokenFields, BasicTokenType>,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
>;

type OidcClient = Client<
    BasicErrorResponse,
    StandardTokenResponse<IdTokenFields, BasicTokenType>,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Who signed in, from a verified id_token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdClaims {
    /// The token's issuer (after the checks).
    pub issuer: String,
    /// The organisation (`tid`); for single-organisation providers (ADFS), the issuer.
    pub directory_id: String,
    /// Stable per person: `oid` (Entra), else `sub`.
    pub subject: String,
    /// `preferred_username`, else a verified `email`, else `upn`: for display and as the
    /// mailbox candidate that [`crate::auth::mailbox`] checks; never authoritative by itself.
    pub username: String,
    pub name: String,
    /// Entra ID directory roles (`wids`, role template ids). Present when the app
    /// registration's `groupMembershipClaims` includes directory roles.
    pub directory_roles: Vec<String>,
}

/// The start of a sign-in: where to send the browser and what to remember.
pub struct AuthorizationStart {
    pub url: String,
    pub pkce_verifier: String,
}

struct Cached {
    metadata: Metadata,
    keys: HashMap<String, PKey<Public>>,
    fetched: std::time::Instant,
}

pub struct OidcProvider {
    http: reqwest::Client,
    /// The issuer as configured (no trailing slash).
    issuer: String,
    /// `{issuer}/.well-known/openid-configuration`.
    discovery_url: String,
    /// An organisation's own provider: every URL its discovery names is checked by the
    /// outbound guard and must be https on the issuer's host, and the metadata's issuer must
    /// be the configured one. `None`: the operator's provider, as configured.
    guard: Option<roombook_outbound::Guard>,
    client_id: String,
    auth: ClientAuth,
    cache: RwLock<Option<Cached>>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("discovery_url", &self.discovery_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl OidcProvider {
    /// `issuer` is the discovery base, e.g. `https://login.microsoftonline.com/organizations/v2.0`.
    pub fn new(http: reqwest::Client, issuer: &str, client_id: &str, auth: ClientAuth) -> Self {
        Self {
            http,
            issuer: issuer.trim_end_matches('/').to_owned(),
            discovery_url: format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            ),
            guard: None,
            client_id: client_id.to_owned(),
            auth,
            cache: RwLock::new(None),
        }
    }

    /// An organisation's own provider: `http` must be built by `guard`
    /// ([`roombook_outbound::Guard::client_builder`]), and every endpoint is held to the
    /// issuer's host.
    pub fn for_organisation(
        http: reqwest::Client,
        issuer: &str,
        client_id: &str,
        auth: ClientAuth,
        guard: roombook_outbound::Guard,
    ) -> Self {
        Self {
            guard: Some(guard),
            ..Self::new(http, issuer, client_id, auth)
        }
    }

    /// The checks an organisation's metadata must pass (see [`Self::for_organisation`]).
    fn check_metadata(&self, metadata: &Metadata) -> Result<(), OidcError> {
        let Some(guard) = &self.guard else {
            return Ok(());
        };
        // OpenID Connect Discovery §4.3: the issuer in the document is the one asked for.
        if metadata.issuer.trim_end_matches('/') != self.issuer {
            return Err(OidcError::Destination(format!(
                "the discovery document names the issuer {}, not {}",
                metadata.issuer.chars().take(200).collect::<String>(),
                self.issuer
            )));
        }
        let issuer_host = guard
            .parse(&self.issuer)
            .map_err(|e| OidcError::Destination(e.to_string()))?
            .host_str()
            .map(str::to_ascii_lowercase);
        for (what, raw) in [
            ("authorization_endpoint", &metadata.authorization_endpoint),
            ("token_endpoint", &metadata.token_endpoint),
            ("jwks_uri", &metadata.jwks_uri),
        ] {
            let url = guard
                .parse(raw)
                .map_err(|e| OidcError::Destination(format!("{what}: {e}")))?;
            if url.host_str().map(str::to_ascii_lowercase) != issuer_host {
                return Err(OidcError::Destination(format!(
                    "{what} is on {}, not on the issuer's host",
                    url.host_str().unwrap_or_default()
                )));
            }
        }
        Ok(())
    }

    /// RFC 9207: an authorization response's `iss` must be this provider's issuer, and a
    /// provider that promises to send it must have sent it. A response from another
    /// provider (a mix-up) is refused before its code is redeemed anywhere.
    pub async fn check_response_issuer(&self, iss: Option<&str>) -> Result<(), OidcError> {
        let metadata = self.metadata().await?;
        match iss {
            Some(iss) if iss == metadata.issuer => Ok(()),
            // A templated (multi-tenant) issuer: the tenant's own issuer is checked again in
            // the id_token; here the response must at least come from the same authority.
            Some(iss)
                if metadata.issuer.contains("{tenantid}")
                    && templated_issuer_matches(&metadata.issuer, iss) =>
            {
                Ok(())
            }
            Some(_) => Err(OidcError::Refused(
                "the authorization response came from another issuer".into(),
            )),
            None if metadata.authorization_response_iss_parameter_supported => Err(
                OidcError::Refused("the authorization response has no iss".into()),
            ),
            None => Ok(()),
        }
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Reads the discovery document and keys: proves the issuer is usable.
    pub async fn check(&self) -> Result<(), OidcError> {
        self.refresh().await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        if let Some(guard) = &self.guard {
            guard
                .parse(url)
                .map_err(|e| OidcError::Destination(e.to_string()))?;
        }
        let response = self.http.get(url).send().await.map_err(|e| {
            match roombook_outbound::refusal_in(&e) {
                Some(refused) => OidcError::Destination(refused.to_string()),
                None => OidcError::Unreachable(format!("{url}: {e}")),
            }
        })?;
        if !response.status().is_success() {
            return Err(OidcError::Metadata(format!(
                "{url} answered HTTP {}",
                response.status()
            )));
        }
        let body = roombook_outbound::read_capped(response, roombook_outbound::SMALL_BODY_LIMIT)
            .await
            .map_err(|e| OidcError::Metadata(e.to_string()))?;
        serde_json::from_slice(&body).map_err(|e| OidcError::Metadata(format!("{url}: {e}")))
    }

    async fn refresh(&self) -> Result<(), OidcError> {
        let metadata: Metadata = self.get_json(&self.discovery_url).await?;
        self.check_metadata(&metadata)?;
        let jwks: Jwks = self.get_json(&metadata.jwks_uri).await?;
        let keys = jwks
            .keys
            .into_iter()
            .take(MAX_KEYS)
            .filter(|k| k.kty == "RSA")
            .filter_map(|k| Some((k.kid.clone()?, k.public_key().ok()?)))
            .collect();
        *self.cache.write().await = Some(Cached {
            metadata,
            keys,
            fetched: std::time::Instant::now(),
        });
        Ok(())
    }

    async fn metadata(&self) -> Result<Metadata, OidcError> {
        {
            let cache = self.cache.read().await;
            if let Some(c) = cache
                .as_ref()
                .filter(|c| c.fetched.elapsed() < METADATA_TTL)
            {
                return Ok(c.metadata.clone());
            }
        }
        self.refresh().await?;
        let cache = self.cache.read().await;
        cache
            .as_ref()
            .map(|c| c.metadata.clone())
            .ok_or_else(|| OidcError::Metadata("no metadata".into()))
    }

    fn client(&self, metadata: &Metadata, redirect_uri: &str) -> Result<OidcClient, OidcError> {
        let bad = |e: oauth2::url::ParseError| OidcError::Metadata(e.to_string());
        let mut client: OidcClient = NewClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(AuthUrl::new(metadata.authorization_endpoint.clone()).map_err(bad)?)
            .set_token_uri(TokenUrl::new(metadata.token_endpoint.clone()).map_err(bad)?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(bad)?)
            .set_auth_type(AuthType::RequestBody);
        if let ClientAuth::Secret(secret) = &self.auth {
            client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
        }
        Ok(client)
    }

    /// Where to send the browser. `state` and `nonce` are ours (stored by the caller).
    pub async fn start(
        &self,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        login_hint: Option<&str>,
    ) -> Result<AuthorizationStart, OidcError> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = state.to_owned();
        let mut request = client
            .authorize_url(move || CsrfToken::new(state))
            .add_scope(Scope::new("openid".into()))
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .add_extra_param("nonce", nonce)
            .set_pkce_challenge(challenge);
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint);
        }
        let (url, _) = request.url();
        Ok(AuthorizationStart {
            url: url.to_string(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Redeems the code and verifies the id_token against `nonce`.
    pub async fn finish(
        &self,
        redirect_uri: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<IdClaims, OidcError> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata, redirect_uri)?;
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()));
        if let ClientAuth::Certificate(cert) = &self.auth {
            let assertion = client_assertion(
                cert,
                AssertionAlgorithm::Ps256,
                &self.client_id,
                &metadata.token_endpoint,
                now_unix() as u64,
                &uuid::Uuid::new_v4().to_string(),
            )
            .map_err(|e| OidcError::Refused(format!("client assertion: {e}")))?;
            request = request
                .add_extra_param(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                )
                .add_extra_param("client_assertion", assertion);
        }
        let http = self.http.clone();
        let guard = self.guard;
        let capped = move |request: oauth2::HttpRequest| {
            let http = http.clone();
            async move { send_capped(&http, guard, request).await }
        };
        let response = request.request_async(&capped).await.map_err(|e| match e {
            oauth2::RequestTokenError::ServerResponse(r) => OidcError::Refused(format!(
                "{}{}",
                r.error(),
                r.error_description()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )),
            oauth2::RequestTokenError::Request(e) => OidcError::Unreachable(e.to_string()),
            other => OidcError::Refused(other.to_string()),
        })?;
        let id_token = response.extra_fields().id_token.clone();
        self.verify(&id_token, nonce, now_unix()).await
    }

    async fn key(&self, kid: &str) -> Result<PKey<Public>, OidcError> {
        if let Some(key) = self
            .cache
            .read()
            .await
            .as_ref()
            .and_then(|c| c.keys.get(kid).cloned())
        {
            return Ok(key);
        }
        // Keys roll over: one re-read before giving up.
        self.refresh().await?;
        self.cache
            .read()
            .await
            .as_ref()
            .and_then(|c| c.keys.get(kid).cloned())
            .ok_or_else(|| OidcError::InvalidToken(format!("unknown signing key {kid}")))
    }

    /// Verifies an id_token at time `now` (unix seconds).
    pub async fn verify(&self, token: &str, nonce: &str, now: i64) -> Result<IdClaims, OidcError> {
        let invalid = |m: &str| OidcError::InvalidToken(m.to_owned());
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("not a JWS compact token"));
        };
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| invalid("bad base64"))
        };
        let header: Header =
            serde_json::from_slice(&decode(h)?).map_err(|_| invalid("bad header"))?;
        if header.alg != "RS256" {
            return Err(invalid(&format!(
                "algorithm {} is not accepted",
                header.alg
            )));
        }
        let kid = header.kid.ok_or_else(|| invalid("no kid"))?;
        let key = self.key(&kid).await?;
        let signature = decode(s)?;
        let mut verifier = Verifier::new(MessageDigest::sha256(), &key)
            .map_err(|e| OidcError::InvalidToken(e.to_string()))?;
        verifier
            .update(format!("{h}.{p}").as_bytes())
            .map_err(|e| OidcError::InvalidToken(e.to_string()))?;
        if !verifier.verify(&signature).unwrap_or(false) {
            return Err(invalid("signature does not verify"));
        }
        let claims: Claims =
            serde_json::from_slice(&decode(p)?).map_err(|_| invalid("bad claims"))?;
        let metadata = self.metadata().await?;
        check_claims(&claims, &metadata.issuer, &self.client_id, nonce, now)
    }
}

/// Whether `iss` has the shape of a templated issuer (`https://host/{tenantid}/v2.0`) with
/// some tenant filled in.
fn templated_issuer_matches(template: &str, iss: &str) -> bool {
    let Some((prefix, suffix)) = template.split_once("{tenantid}") else {
        return false;
    };
    iss.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
        .is_some_and(|tenant| {
            !tenant.is_empty()
                && tenant.len() <= 64
                && tenant
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
}

/// Why a token request was not answered.
#[derive(Debug, thiserror::Error)]
enum TokenHttpError {
    #[error("{0}")]
    Refused(#[from] roombook_outbound::Refused),
    #[error("the token request could not be sent: {0}")]
    Request(#[source] reqwest::Error),
    #[error(transparent)]
    Body(#[from] roombook_outbound::BodyError),
    #[error("the token response could not be read: {0}")]
    Http(#[source] axum::http::Error),
}

/// The token request, sent by our client with the body capped (the `oauth2` crate's own
/// reqwest integration reads bodies whole).
async fn send_capped(
    http: &reqwest::Client,
    guard: Option<roombook_outbound::Guard>,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, TokenHttpError> {
    let request = reqwest::Request::try_from(request).map_err(TokenHttpError::Request)?;
    if let Some(guard) = guard {
        guard.check_url(request.url())?;
    }
    let response =
        http.execute(request)
            .await
            .map_err(|e| match roombook_outbound::refusal_in(&e) {
                Some(refused) => TokenHttpError::Refused(refused.clone()),
                None => TokenHttpError::Request(e),
            })?;
    let mut builder = axum::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body =
        roombook_outbound::read_capped(response, roombook_outbound::SMALL_BODY_LIMIT).await?;
    builder.body(body).map_err(TokenHttpError::Http)
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    #[serde(default)]
    n: String,
    #[serde(default)]
    e: String,
}

impl Jwk {
    fn public_key(&self) -> Result<PKey<Public>, openssl::error::ErrorStack> {
        let n = URL_SAFE_NO_PAD.decode(&self.n).unwrap_or_default();
        let e = URL_SAFE_NO_PAD.decode(&self.e).unwrap_or_default();
        let rsa = Rsa::from_public_components(BigNum::from_slice(&n)?, BigNum::from_slice(&e)?)?;
        PKey::from_rsa(rsa)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    aud: Audience,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    tid: Option<String>,
    #[serde(default)]
    oid: Option<String>,
    sub: String,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    email: Option<String>,
    /// `true` (or `"true"`, as some providers send it) when the provider verified `email`.
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    #[serde(default)]
    upn: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    wids: Vec<String>,
}

fn check_claims(
    claims: &Claims,
    metadata_issuer: &str,
    client_id: &str,
    nonce: &str,
    now: i64,
) -> Result<IdClaims, OidcError> {
    let invalid = |m: String| OidcError::InvalidToken(m);
    // The multi-tenant rule: a templated issuer is filled with the token's own tid.
    let expected_issuer = if metadata_issuer.contains("{tenantid}") {
        let tid = claims
            .tid
            .as_deref()
            .ok_or_else(|| invalid("no tid claim".into()))?;
        metadata_issuer.replace("{tenantid}", tid)
    } else {
        metadata_issuer.to_owned()
    };
    if claims.iss != expected_issuer {
        return Err(invalid(format!(
            "issuer {} is not {expected_issuer}",
            claims.iss
        )));
    }
    let audience_ok = match &claims.aud {
        Audience::One(a) => a == client_id,
        Audience::Many(list) => list.iter().any(|a| a == client_id),
    };
    if !audience_ok {
        return Err(invalid(
            "the token was issued to another application".into(),
        ));
    }
    if claims.exp + CLOCK_SKEW_SECS < now {
        return Err(invalid("the token has expired".into()));
    }
    if claims.nbf.is_some_and(|nbf| nbf - CLOCK_SKEW_SECS > now) {
        return Err(invalid("the token is not valid yet".into()));
    }
    let nonce_ok = claims
        .nonce
        .as_deref()
        .is_some_and(|n| super::same_secret(n, nonce));
    if !nonce_ok {
        return Err(invalid("the nonce does not match this sign-in".into()));
    }
    // An `email` the provider did not verify is nobody's address (Entra sends no
    // `email_verified`: its `email` is never used).
    let email_verified = matches!(&claims.email_verified, Some(serde_json::Value::Bool(true)))
        || matches!(&claims.email_verified, Some(serde_json::Value::String(v)) if v == "true");
    let username = claims
        .preferred_username
        .clone()
        .or_else(|| claims.email.clone().filter(|_| email_verified))
        .or_else(|| claims.upn.clone())
        .unwrap_or_default();
    Ok(IdClaims {
        issuer: claims.iss.clone(),
        directory_id: claims.tid.clone().unwrap_or_else(|| claims.iss.clone()),
        subject: claims.oid.clone().unwrap_or_else(|| claims.sub.clone()),
        name: claims.name.clone().unwrap_or_else(|| username.clone()),
        username,
        directory_roles: claims.wids.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(iss: &str, tid: &str, nonce: &str, exp: i64) -> Claims {
        Claims {
            iss: iss.into(),
            aud: Audience::One("app".into()),
            exp,
            nbf: Some(exp - 3600),
            nonce: Some(nonce.into()),
            tid: Some(tid.into()),
            oid: Some("oid-1".into()),
            sub: "sub-1".into(),
            preferred_username: Some("alice@contoso.example".into()),
            email: None,
            email_verified: None,
            upn: None,
            name: Some("Alice".into()),
            wids: Vec::new(),
        }
    }

    const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";

    #[test]
    fn a_response_issuer_must_fill_the_template_with_a_tenant_and_nothing_else() {
        assert!(templated_issuer_matches(
            TEMPLATE,
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
        ));
        for other in [
            "https://login.microsoftonline.com//v2.0",
            "https://login.microsoftonline.com/t1/extra/v2.0",
            "https://evil.example/t1/v2.0",
            "https://login.microsoftonline.com/t1/v2.0/",
            "https://login.microsoftonline.com/t%2F1/v2.0",
        ] {
            assert!(!templated_issuer_matches(TEMPLATE, other), "{other}");
        }
        assert!(!templated_issuer_matches(
            "https://adfs.example/adfs",
            "https://adfs.example/adfs"
        ));
    }

    #[test]
    fn multi_tenant_issuer_must_carry_the_tokens_own_tid() {
        let now = 1_000_000;
        let ok = claims(
            "https://login.microsoftonline.com/t1/v2.0",
            "t1",
            "n",
            now + 60,
        );
        let id = check_claims(&ok, TEMPLATE, "app", "n", now).unwrap();
        assert_eq!(id.directory_id, "t1");
        assert_eq!(id.subject, "oid-1");
        // A token from tenant t2's issuer claiming tid t1 is refused.
        let forged = claims(
            "https://login.microsoftonline.com/t2/v2.0",
            "t1",
            "n",
            now + 60,
        );
        let err = check_claims(&forged, TEMPLATE, "app", "n", now).unwrap_err();
        assert!(err.to_string().contains("issuer"), "{err}");
    }

    #[test]
    fn audience_expiry_and_nonce_are_checked() {
        let now = 1_000_000;
        let iss = "https://login.microsoftonline.com/t1/v2.0";
        assert!(
            check_claims(
                &claims(iss, "t1", "n", now + 60),
                TEMPLATE,
                "other",
                "n",
                now
            )
            .is_err()
        );
        assert!(
            check_claims(
                &claims(iss, "t1", "n", now - 400),
                TEMPLATE,
                "app",
                "n",
                now
            )
            .is_err()
        );
        assert!(
            check_claims(&claims(iss, "t1", "n", now + 60), TEMPLATE, "app", "m", now).is_err()
        );
        // Within the clock skew, an expired token still passes.
        assert!(
            check_claims(
                &claims(iss, "t1", "n", now - 100),
                TEMPLATE,
                "app",
                "n",
                now
            )
            .is_ok()
        );
    }

    #[test]
    fn a_fixed_issuer_must_match_exactly() {
        let now = 1_000_000;
        let adfs = "https://adfs.contoso.example/adfs";
        let mut c = claims(adfs, "", "n", now + 60);
        c.tid = None;
        let id = check_claims(&c, adfs, "app", "n", now).unwrap();
        assert_eq!(id.directory_id, adfs);
        c.iss = "https://evil.example/adfs".into();
        assert!(check_claims(&c, adfs, "app", "n", now).is_err());
    }

    #[test]
    fn an_unverified_email_is_never_the_persons_address() {
        let now = 1_000_000;
        let adfs = "https://adfs.contoso.example/adfs";
        let mut c = claims(adfs, "", "n", now + 60);
        c.tid = None;
        c.preferred_username = None;
        c.email = Some("ceo@contoso.example".into());
        for unverified in [
            None,
            Some(serde_json::json!(false)),
            Some(serde_json::json!("no")),
        ] {
            c.email_verified = unverified;
            let id = check_claims(&c, adfs, "app", "n", now).unwrap();
            assert_eq!(id.username, "", "{:?}", c.email_verified);
        }
        for verified in [serde_json::json!(true), serde_json::json!("true")] {
            c.email_verified = Some(verified);
            let id = check_claims(&c, adfs, "app", "n", now).unwrap();
            assert_eq!(id.username, "ceo@contoso.example");
        }
        c.preferred_username = Some("ada@contoso.example".into());
        let id = check_claims(&c, adfs, "app", "n", now).unwrap();
        assert_eq!(
            id.username, "ada@contoso.example",
            "preferred_username first"
        );
    }
}
