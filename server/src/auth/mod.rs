//! Sign-in, sessions and CSRF.
//!
//! - A session is a random 256-bit token in an HttpOnly cookie; the database keeps only its
//!   SHA-256, so a leaked database yields no usable session.
//! - Every state-changing form carries the session's CSRF token in a hidden `csrf` field,
//!   compared in constant time ([`crate::http::check_csrf`]). Cookies are `SameSite=Lax` as a second line.
//! - [`load_caller`] runs on every request and puts the signed-in [`Caller`] into the request's
//!   extensions, where handlers and the pages' server functions find it.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::Response,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use roombook_frontend::ssr::Caller;
use roombook_shared::Viewer;

use crate::telemetry::error_chain;
use roombook_core::domain::{Role, Session, Tenant, User};
use roombook_core::ports::storage::{Store, StoreError};

pub mod first_admin;
pub mod limits;
pub mod mailbox;
pub mod oidc;

/// Over https browsers get it as `__Host-roombook_session`, the sign-in cookie as
/// `__Secure-roombook_auth` (see `crate::http::security`); the code uses the plain names.
pub const SESSION_COOKIE: &str = "roombook_session";
/// Holds the `state` of a sign-in in flight, so the callback is accepted only in the browser
/// that started it (login CSRF).
pub const AUTH_COOKIE: &str = "roombook_auth";

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes).expect("the OS random generator works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256, hex: how tokens and states are stored.
pub fn hash_token(token: &str) -> String {
    openssl::sha::sha256(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Constant-time equality of two secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a.as_bytes(), b.as_bytes())
}

/// The signed-in person of a request (server side).
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub tenant: Tenant,
    pub session: Session,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    pub fn caller(&self) -> Caller {
        Caller {
            viewer: Viewer {
                name: self.user.display_name.clone(),
                email: self.user.email.clone(),
                is_admin: self.is_admin(),
                tenant_name: self.tenant.name.clone(),
                csrf_token: self.session.csrf_token.clone(),
            },
            tenant_id: self.tenant.id.to_string(),
            user_id: self.user.id.to_string(),
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when served over https.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age_secs: i64,
    secure: bool,
) -> HeaderValue {
    let c = cookie::Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    HeaderValue::from_str(&c.to_string()).expect("cookie values are URL-safe")
}

/// Finds the session of the request, if any.
pub async fn current_user(
    store: &dyn Store,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<Option<CurrentUser>, StoreError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = store.session(&hash_token(&token), now).await? else {
        return Ok(None);
    };
    let Some(user) = store.user(session.tenant_id, session.user_id).await? else {
        return Ok(None);
    };
    let Some(tenant) = store.tenant(session.tenant_id).await? else {
        return Ok(None);
    };
    Ok(Some(CurrentUser {
        user,
        tenant,
        session,
    }))
}

/// Middleware: resolves the session cookie into a [`CurrentUser`] and a [`Caller`].
pub async fn load_caller(
    State(store): State<Arc<dyn Store>>,
    mut request: Request,
    next: Next,
) -> Response {
    match current_user(store.as_ref(), request.headers(), Utc::now()).await {
        Ok(Some(current)) => {
            request.extensions_mut().insert(current.caller());
            request.extensions_mut().insert(current);
        }
        Ok(None) => {}
        // The page still renders (as signed out); the cause is in the log.
        Err(e) => tracing::error!(error = %error_chain(&e), "cannot read the session"),
    }
    next.run(request).await
}

/// A local path to return to after sign-in; anything else becomes `/`.
///
/// Browsers strip tabs and newlines from URLs and read `\\` as `/`, so `/\t/evil.example`
/// and `/\\evil.example` mean `//evil.example`, another origin. Refused: anything not starting
/// with one `/`, any control or white-space character, any backslash, and the same after
/// percent-decoding (up to three layers), so an encoded form cannot come back as one.
pub fn safe_return_path(raw: Option<&str>) -> String {
    let Some(path) = raw else {
        return "/".into();
    };
    let unsafe_form = |p: &str| {
        !p.starts_with('/')
            || p.starts_with("//")
            || p.chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    };
    if path.len() > 512 || unsafe_form(path) {
        return "/".into();
    }
    let mut decoded = path.to_owned();
    for _ in 0..3 {
        let next: String = percent_decode(&decoded);
        if unsafe_form(&next) {
            return "/".into();
        }
        if next == decoded {
            break;
        }
        decoded = next;
    }
    path.to_owned()
}

/// `%XX` sequences decoded (lossily, as a browser would show them).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token("x"), hash_token("x"));
        assert_eq!(hash_token("x").len(), 64);
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_return_path(Some("/admin?x=1")), "/admin?x=1");
        assert_eq!(safe_return_path(Some("//evil.example/")), "/");
        assert_eq!(safe_return_path(Some("https://evil.example/")), "/");
        assert_eq!(safe_return_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_return_path(None), "/");
        // What browsers normalise to another origin, plain and encoded.
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%255C%255Cevil.example",
            "/%0a/evil.example",
            "\\/evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_return_path(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(
            safe_return_path(Some("/day?date=2026-12-02&tz=Europe%2FLondon")),
            "/day?date=2026-12-02&tz=Europe%2FLondon"
        );
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; roombook_session=tok"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("tok"));
        assert_eq!(cookie(&headers, "missing"), None);
        let set = set_cookie(SESSION_COOKIE, "v", "/", 60, true);
        let set = set.to_str().unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Secure"),
            "{set}"
        );
    }
}
