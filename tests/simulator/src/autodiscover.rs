//! Autodiscover for EWS: the v2 JSON endpoint and the POX (Outlook schema) endpoint.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::server::Shared;
use crate::xml::{self, escape};

const NS_RESPONSE: &str = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
const NS_OUTLOOK: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/// `GET /autodiscover/autodiscover.json/v1.0/{email}?Protocol=EWS` (no authentication).
pub async fn json_v1(
    State(shared): State<Arc<Shared>>,
    Path(email): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let protocol = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("protocol"))
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if !protocol.eq_ignore_ascii_case("ews") {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"ErrorCode": "InvalidProtocol", "ErrorMessage": format!("The given protocol value '{protocol}' is invalid. Supported values are 'Rest,ActiveSync,Ews'.")})),
        )
            .into_response();
    }
    let email = email.to_ascii_lowercase();
    if !shared.tenant().has_mailbox(&email) {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(
                json!({"ErrorCode": "UserNotFound", "ErrorMessage": "The user was not found."}),
            ),
        )
            .into_response();
    }
    axum::Json(json!({"Protocol": "EWS", "Url": shared.ews_url()})).into_response()
}

/// `POST /autodiscover/autodiscover.xml` with the Outlook request schema (authenticated).
pub async fn pox(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if !headers.contains_key(header::AUTHORIZATION) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic Realm=\"\"")],
        )
            .into_response();
    }
    let email = xml::parse(&body)
        .ok()
        .and_then(|doc| {
            doc.find("EMailAddress")
                .map(|e| e.text.trim().to_ascii_lowercase())
        })
        .unwrap_or_default();
    let content = if shared.tenant().has_mailbox(&email) {
        let ews = escape(&shared.ews_url());
        format!(
            r#"<Response xmlns="{NS_OUTLOOK}"><User><AutoDiscoverSMTPAddress>{}</AutoDiscoverSMTPAddress></User><Account><AccountType>email</AccountType><Action>settings</Action><Protocol><Type>EXCH</Type><EwsUrl>{ews}</EwsUrl></Protocol><Protocol><Type>EXPR</Type><EwsUrl>{ews}</EwsUrl></Protocol></Account></Response>"#,
            escape(&email)
        )
    } else {
        r#"<Response><Error Time="00:00:00.0000000" Id="0"><ErrorCode>500</ErrorCode><Message>The e-mail address cannot be found.</Message><DebugData /></Error></Response>"#.to_string()
    };
    (
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="{NS_RESPONSE}">{content}</Autodiscover>"#
        ),
    )
        .into_response()
}
