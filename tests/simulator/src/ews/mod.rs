//! The EWS endpoint: authentication, fault injection, schema validation, the SOAP header
//! rules (impersonation, `X-AnchorMailbox`) and dispatch to the operations.

mod operations;
mod write;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use crate::directory::MailboxScope;
use crate::faults::{InjectedFault, LostAnswer};
use crate::server::Shared;
use crate::tenant::Tenant;
use crate::xml::{self, Element};

pub use write::soap_fault_body;

/// Marker put on a response to make the connection loop close the socket instead of
/// answering (the "dropped connection" fault).
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// Who is calling.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    /// Basic auth with a service account.
    ServiceAccount {
        username: String,
        mailbox: Option<String>,
        impersonation: Option<MailboxScope>,
        full_access: Option<MailboxScope>,
    },
    /// An app-only OAuth token. `scope` is `None` when the token carries no usable role.
    App {
        client_id: String,
        scope: Option<MailboxScope>,
    },
}

/// The caller and the mailbox the call acts as.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The impersonated mailbox, or the account's own.
    pub mailbox: Option<String>,
    pub impersonating: bool,
}

impl Caller {
    /// May this caller open `mailbox`'s folders?
    pub fn can_open(&self, tenant: &Tenant, mailbox: &str) -> bool {
        if self.mailbox.as_deref() == Some(mailbox) {
            return true;
        }
        let scope = match &self.principal {
            Principal::ServiceAccount { full_access, .. } => *full_access,
            // App-only tokens must impersonate: access goes through `mailbox` above.
            Principal::App { .. } => None,
        };
        match scope {
            Some(MailboxScope::All) => true,
            Some(MailboxScope::RoomsOnly) => tenant.is_room(mailbox),
            None => false,
        }
    }
}

fn unauthorized(diagnostics: Option<&str>, bearer: bool) -> Response {
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    let headers = response.headers_mut();
    if bearer {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", token_types=\"app_asserted_user_v1 service_asserted_app_v1\", error=\"invalid_token\"",
            ),
        );
    } else {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic Realm=\"\""),
        );
    }
    if let Some(d) = diagnostics
        && let Ok(v) = HeaderValue::from_str(d)
    {
        headers.insert("x-ms-diagnostics", v);
    }
    response
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Principal, Box<Response>> {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(Box::new(unauthorized(None, false)));
    };
    if let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| Box::new(unauthorized(None, false)))?;
        let (username, password) = decoded
            .split_once(':')
            .ok_or_else(|| Box::new(unauthorized(None, false)))?;
        let tenant = shared.tenant();
        let account = tenant
            .service_accounts
            .get(&username.to_ascii_lowercase())
            .filter(|a| a.password == password)
            .cloned()
            .ok_or_else(|| Box::new(unauthorized(None, false)))?;
        drop(tenant);
        if shared.faults.is_password_expired(&account.username) {
            // On-premises IIS answers 401 for an expired password; the diagnostics header
            // tells why.
            return Err(Box::new(unauthorized(
                Some("2000003;reason=\"The user's password has expired.\""),
                false,
            )));
        }
        return Ok(Principal::ServiceAccount {
            username: account.username,
            mailbox: account.mailbox,
            impersonation: account.impersonation,
            full_access: account.full_access,
        });
    }
    if let Some(token) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    {
        return match shared.entra.validate_ews_token(token.trim()) {
            Ok(app) => {
                if shared.faults.is_app_blocked(&app.client_id) {
                    return Err(Box::new(ews_blocked()));
                }
                Ok(Principal::App {
                    client_id: app.client_id,
                    scope: app.scope,
                })
            }
            Err(diagnostics) => Err(Box::new(unauthorized(Some(&diagnostics), true))),
        };
    }
    Err(Box::new(unauthorized(None, false)))
}

/// The answer Exchange Online gives an app that is not on the tenant's EWS allow-list.
fn ews_blocked() -> Response {
    let mut response = (
        StatusCode::FORBIDDEN,
        "EWS is blocked for this application by the organization's EWSAllowedAppIDs policy.",
    )
        .into_response();
    response.headers_mut().insert(
        "x-ms-diagnostics",
        HeaderValue::from_static(
            "2000010;reason=\"EWS access is blocked for this application by the organization.\"",
        ),
    );
    response
}

fn xml_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    response
}

/// A SOAP fault (HTTP 500) as Exchange sends it.
pub fn fault(code: &str, message: &str, message_xml: &str) -> Response {
    xml_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        soap_fault_body(code, message, message_xml),
    )
}

pub async fn handle(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let _in_flight = InFlight::enter(&shared);
    shared.counters().total += 1;
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let throttle = match shared.faults.next_fault() {
        Some(InjectedFault::DropConnection) => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(DropConnection);
            return response;
        }
        Some(InjectedFault::ServiceUnavailable) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
        }
        Some(InjectedFault::Throttle { back_off }) => Some(back_off),
        None => None,
    };
    let principal = match authenticate(&shared, &headers) {
        Ok(p) => p,
        Err(response) => return *response,
    };
    let document: Arc<[u8]> = Arc::from(body.as_ref());
    if let Some(validator) = &shared.validator
        && let Err(violation) = validator.validate(document.clone()).await
    {
        shared.counters().schema_violations += 1;
        let detail = format!(
            "<t:LineNumber>{}</t:LineNumber><t:LinePosition>{}</t:LinePosition><t:Violation>{}</t:Violation>",
            violation.line,
            violation.position,
            xml::escape(&violation.message)
        );
        return fault(
            "ErrorSchemaValidation",
            &format!(
                "The request failed schema validation: {}",
                violation.message
            ),
            &detail,
        );
    }
    let envelope = match xml::parse(&document) {
        Ok(e) => e,
        Err(e) => {
            return fault(
                "ErrorSchemaValidation",
                &format!("The request failed schema validation: {e}"),
                "",
            );
        }
    };
    if let Some(back_off) = throttle {
        return fault(
            "ErrorServerBusy",
            "The server cannot service this request right now. Try again later.",
            &format!(
                "<t:Value Name=\"BackOffMilliseconds\">{}</t:Value>",
                back_off.as_millis()
            ),
        );
    }
    let Some(operation) = envelope
        .child("Body")
        .and_then(|b| b.children.first())
        .cloned()
    else {
        return fault("ErrorInvalidRequest", "The request is invalid.", "");
    };
    let caller = match resolve_caller(&shared, &headers, &envelope, principal) {
        Ok(c) => c,
        Err(response) => return *response,
    };
    {
        let mut counters = shared.counters();
        *counters
            .by_operation
            .entry(operation_name(&operation))
            .or_insert(0) += 1;
        if let Some(mailbox) = &caller.mailbox {
            *counters.by_mailbox.entry(mailbox.clone()).or_insert(0) += 1;
        }
    }
    let lost = shared.faults.take_lost_answer(&operation_name(&operation));
    let body = operations::dispatch(&shared, &caller, &operation, &envelope);
    match lost {
        None => {}
        Some(LostAnswer::ServiceUnavailable) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
        }
        Some(LostAnswer::DropConnection) => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(DropConnection);
            return response;
        }
        Some(LostAnswer::Delay(wait)) => tokio::time::sleep(wait).await,
    }
    xml_response(StatusCode::OK, write::envelope(&body))
}

/// Counts a request in flight from its arrival to its answer (or its cancellation).
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> Self {
        let mut counters = shared.counters();
        counters.in_flight += 1;
        counters.max_in_flight = counters.max_in_flight.max(counters.in_flight);
        Self(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut counters = self.0.counters();
        counters.in_flight = counters.in_flight.saturating_sub(1);
    }
}

fn operation_name(operation: &Element) -> String {
    match operation.name.as_str() {
        "GetUserAvailabilityRequest" => "GetUserAvailability".into(),
        other => other.to_string(),
    }
}

fn resolve_caller(
    shared: &Shared,
    headers: &HeaderMap,
    envelope: &Element,
    principal: Principal,
) -> Result<Caller, Box<Response>> {
    let impersonation = envelope
        .child("Header")
        .and_then(|h| h.child("ExchangeImpersonation"))
        .and_then(|i| i.child("ConnectingSID"));
    let Some(sid) = impersonation else {
        if matches!(principal, Principal::App { .. }) {
            return Err(Box::new(fault(
                "ErrorInvalidExchangeImpersonationHeaderData",
                "ExchangeImpersonation SOAP header must be present for this type of OAuth token.",
                "",
            )));
        }
        let own = match &principal {
            Principal::ServiceAccount { mailbox, .. } => mailbox.clone(),
            Principal::App { .. } => None,
        };
        return Ok(Caller {
            principal,
            mailbox: own,
            impersonating: false,
        });
    };
    let target = sid
        .children
        .first()
        .map(|c| (c.name.as_str(), c.text.trim().to_ascii_lowercase()));
    let Some((kind, target)) = target else {
        return Err(Box::new(fault(
            "ErrorInvalidExchangeImpersonationHeaderData",
            "The impersonation header data is invalid.",
            "",
        )));
    };
    if kind == "SID" {
        return Err(Box::new(fault(
            "ErrorNonExistentMailbox",
            "The SID has no mailbox associated with it.",
            "",
        )));
    }
    let scope = match &principal {
        Principal::ServiceAccount { impersonation, .. } => *impersonation,
        Principal::App { scope, .. } => *scope,
    };
    let tenant = shared.tenant();
    let known = tenant.users.contains_key(&target) || tenant.rooms.contains_key(&target);
    let has_mailbox = tenant.has_mailbox(&target);
    let is_room = tenant.is_room(&target);
    drop(tenant);
    if !known || !has_mailbox {
        return Err(Box::new(fault(
            "ErrorNonExistentMailbox",
            "The SMTP address has no mailbox associated with it.",
            "",
        )));
    }
    let allowed = match scope {
        Some(MailboxScope::All) => true,
        Some(MailboxScope::RoomsOnly) => is_room,
        None => false,
    };
    if !allowed {
        let (code, message) = match principal {
            Principal::App { .. } => (
                "ErrorAccessDenied",
                "Access is denied. Check credentials and try again.",
            ),
            Principal::ServiceAccount { .. } => (
                "ErrorImpersonateUserDenied",
                "The account does not have permission to impersonate the requested user.",
            ),
        };
        return Err(Box::new(fault(code, message, "")));
    }
    let anchor = headers
        .get("x-anchormailbox")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    if anchor.as_deref() != Some(target.as_str()) {
        shared
            .counters()
            .missing_anchor_mailbox
            .push(target.clone());
        if shared.config.require_anchor_mailbox {
            return Err(Box::new(fault(
                "ErrorInternalServerTransientError",
                "An internal server error occurred. Try again later. (X-AnchorMailbox is missing or does not match the impersonated mailbox.)",
                "",
            )));
        }
    }
    Ok(Caller {
        principal,
        mailbox: Some(target),
        impersonating: true,
    })
}
