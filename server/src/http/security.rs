//! Response headers that tell browsers what a page may do, and the prefixes of our cookies.
//!
//! - Every response carries a `Content-Security-Policy`: scripts, styles, images, fonts and
//!   fetches from our own origin only, WebAssembly allowed (`'wasm-unsafe-eval'`, for the
//!   hydration of the pages), no plugins, no `<base>`, no framing (`frame-ancestors 'none'`).
//!   A page rendered by Leptos gets the same policy with that response's nonce, which Leptos
//!   puts on its inline scripts (the hydration loader, the resolved resources) and the shell on
//!   its own ([`page_policy`]); no other inline script or style runs. `form-action` is left
//!   out on purpose: sign-in and admin consent answer a form with a redirect to the identity
//!   provider, which browsers check against it.
//! - Over https (`server.public_url` starts with `https://`): `Strict-Transport-Security`, and
//!   the session and sign-in cookies carry the prefixes browsers enforce: `__Host-` for the
//!   session (Secure, `Path=/`, no `Domain`: no other host, not even a sibling subdomain, and
//!   no plain-http page can set or shadow it) and `__Secure-` for the sign-in state, which
//!   is scoped to `/auth` (a `__Host-` cookie must have `Path=/`). The code everywhere else
//!   names them by their plain names ([`crate::auth::SESSION_COOKIE`],
//!   [`crate::auth::AUTH_COOKIE`]); [`layer`] renames them on the wire in both directions,
//!   and in a request over https it drops the plain names, so only the prefixed cookie is
//!   ever read.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::Response,
};

use crate::auth::{AUTH_COOKIE, SESSION_COOKIE};

/// How long browsers remember to use https only (one year).
pub const HSTS: &str = "max-age=31536000";

/// Our cookies that carry a prefix over https, with their prefix.
const PREFIXED: [(&str, &str); 2] = [(SESSION_COOKIE, "__Host-"), (AUTH_COOKIE, "__Secure-")];

/// The policy, with the nonce of a page's inline scripts if it has any.
pub fn policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; {scripts}; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'"
    )
}

/// Settings of [`layer`].
#[derive(Clone, Copy, Debug)]
pub struct Security {
    /// Served over https (the public URL's scheme).
    pub https: bool,
}

/// The wire name of cookie `name` over https.
fn prefixed(name: &str) -> Option<String> {
    PREFIXED
        .iter()
        .find(|(plain, _)| *plain == name)
        .map(|(plain, prefix)| format!("{prefix}{plain}"))
}

/// A request's `Cookie` headers as the code reads them over https: `__Host-roombook_session`
/// becomes `roombook_session` (likewise the sign-in cookie), and a plain `roombook_session`
/// (which any sibling host or an http page could have set) is dropped.
pub fn unprefix_request_cookies(headers: &mut HeaderMap) {
    let values: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    if values.is_empty() {
        return;
    }
    let mut kept = Vec::new();
    for value in &values {
        for pair in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let name = pair.split_once('=').map_or(pair, |(n, _)| n).trim();
            if PREFIXED.iter().any(|(plain, _)| *plain == name) {
                continue;
            }
            match PREFIXED
                .iter()
                .find(|(plain, prefix)| name.strip_prefix(prefix) == Some(plain))
            {
                Some((plain, prefix)) => {
                    kept.push(format!("{plain}{}", &pair[prefix.len() + plain.len()..]))
                }
                None => kept.push(pair.to_owned()),
            }
        }
    }
    headers.remove(header::COOKIE);
    if kept.is_empty() {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(&kept.join("; ")) {
        headers.insert(header::COOKIE, v);
    }
}

/// A response's `Set-Cookie` headers as browsers get them over https: our cookies under their
/// prefixed names.
pub fn prefix_response_cookies(headers: &mut HeaderMap) {
    let values: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    if values.is_empty() {
        return;
    }
    headers.remove(header::SET_COOKIE);
    for value in values {
        let renamed = value
            .to_str()
            .ok()
            .and_then(|v| cookie::Cookie::parse(v.to_owned()).ok())
            .and_then(|mut c| {
                let wire = prefixed(c.name())?;
                c.set_name(wire);
                HeaderValue::from_str(&c.to_string()).ok()
            });
        headers.append(header::SET_COOKIE, renamed.unwrap_or(value));
    }
}

/// The middleware: cookie prefixes and HSTS over https, a default policy on every response
/// that has none (pages set their own, with their nonce).
pub async fn layer(State(security): State<Security>, mut request: Request, next: Next) -> Response {
    if security.https {
        unprefix_request_cookies(request.headers_mut());
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if security.https {
        prefix_response_cookies(headers);
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static(HSTS));
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(v) = HeaderValue::from_str(&policy(None))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

/// In a page render: the policy with this response's nonce, which Leptos puts on the page's
/// inline scripts. Call it from the pages' context (`leptos_routes_with_context`).
pub fn page_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(options)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(v) = HeaderValue::from_str(&policy(Some(&nonce))) {
        options.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_https_only_the_prefixed_cookies_are_read() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("roombook_session=planted; tz=Europe%2FParis"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("__Host-roombook_session=real; __Secure-roombook_auth=st"),
        );
        unprefix_request_cookies(&mut headers);
        assert_eq!(
            crate::auth::cookie(&headers, SESSION_COOKIE).as_deref(),
            Some("real")
        );
        assert_eq!(
            crate::auth::cookie(&headers, AUTH_COOKIE).as_deref(),
            Some("st")
        );
        assert_eq!(
            crate::auth::cookie(&headers, "tz").as_deref(),
            Some("Europe%2FParis")
        );

        // A planted plain cookie alone is no session; nor is a prefix that does not fit.
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static(
                "roombook_session=planted; __Secure-roombook_session=x; __Host-roombook_auth=y",
            ),
        );
        unprefix_request_cookies(&mut headers);
        assert_eq!(crate::auth::cookie(&headers, SESSION_COOKIE), None);
        assert_eq!(crate::auth::cookie(&headers, AUTH_COOKIE), None);
    }

    #[test]
    fn over_https_our_cookies_are_set_with_their_prefixes() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::SET_COOKIE,
            crate::auth::set_cookie(SESSION_COOKIE, "tok", "/", 60, true),
        );
        headers.append(
            header::SET_COOKIE,
            crate::auth::set_cookie(AUTH_COOKIE, "st", "/auth", 600, true),
        );
        headers.append(
            header::SET_COOKIE,
            crate::auth::set_cookie("roombook_flash", "f", "/", 60, true),
        );
        prefix_response_cookies(&mut headers);
        let set: Vec<_> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert!(
            set[0].starts_with("__Host-roombook_session=tok;"),
            "{set:?}"
        );
        assert!(
            set[0].contains("Path=/;") || set[0].ends_with("Path=/"),
            "{set:?}"
        );
        assert!(
            set[0].contains("Secure") && !set[0].contains("Domain"),
            "{set:?}"
        );
        assert!(set[1].starts_with("__Secure-roombook_auth=st;"), "{set:?}");
        assert!(
            set[1].contains("Path=/auth") && set[1].contains("Secure"),
            "{set:?}"
        );
        assert!(set[2].starts_with("roombook_flash=f;"), "{set:?}");
    }

    #[test]
    fn the_policy_allows_our_origin_wasm_and_the_nonce_only() {
        let p = policy(Some("abc"));
        assert!(
            p.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"),
            "{p}"
        );
        assert!(p.contains("frame-ancestors 'none'") && p.contains("object-src 'none'"));
        assert!(!p.contains("unsafe-inline") && !policy(None).contains("nonce-"));
    }
}
