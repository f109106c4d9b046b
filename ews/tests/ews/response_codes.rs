//! The committed `ResponseCode` enum covers every `ResponseCodeType` value of the schema.

use std::collections::BTreeSet;
use std::path::PathBuf;

use roombook_ews::xml::{self, Element};
use roombook_ews::{ErrorClass, ResponseCode};

const XS: &str = "http://www.w3.org/2001/XMLSchema";

fn enumeration(schema: &Element, type_name: &str) -> Option<Vec<String>> {
    schema
        .descendants()
        .into_iter()
        .find(|e| e.is(XS, "simpleType") && e.attr("name") == Some(type_name))
        .map(|st| {
            st.descendants()
                .into_iter()
                .filter(|e| e.is(XS, "enumeration"))
                .filter_map(|e| e.attr("value").map(str::to_owned))
                .collect()
        })
}

#[test]
fn response_code_covers_schema() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/ews-schema");
    // The brief names types.xsd; in these schema files the type is declared in messages.xsd.
    // Read both so the test holds wherever it lives.
    let mut values = Vec::new();
    for file in ["types.xsd", "messages.xsd"] {
        let bytes = std::fs::read(dir.join(file))
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(file).display()));
        let schema = xml::parse(&bytes).expect("schema parses");
        if let Some(v) = enumeration(&schema, "ResponseCodeType") {
            values.extend(v);
        }
    }
    assert!(
        values.len() > 400,
        "ResponseCodeType not found or too short: {}",
        values.len()
    );
    let unique: BTreeSet<&str> = values.iter().map(String::as_str).collect();
    let mut missing = Vec::new();
    for v in &unique {
        let code = ResponseCode::parse(v);
        if matches!(code, ResponseCode::Unrecognized(_)) || code.as_str() != *v {
            missing.push(*v);
        }
    }
    assert!(
        missing.is_empty(),
        "ResponseCode lacks: {missing:?} (rerun ews/scripts/gen_response_codes.py)"
    );
    assert_eq!(
        ResponseCode::COUNT,
        unique.len(),
        "enum has values the schema lacks"
    );
    let all: BTreeSet<&str> = ResponseCode::ALL.iter().map(ResponseCode::as_str).collect();
    assert_eq!(all, unique);
}

#[test]
fn unknown_codes_are_kept() {
    let c = ResponseCode::parse("ErrorFromTheFuture");
    assert_eq!(c, ResponseCode::Unrecognized("ErrorFromTheFuture".into()));
    assert_eq!(c.as_str(), "ErrorFromTheFuture");
}

#[test]
fn classification_of_key_codes() {
    use roombook_ews::error::classify_code;
    let c = |s: &str| classify_code(&ResponseCode::parse(s), None);
    assert_eq!(
        c("ErrorServerBusy"),
        ErrorClass::Throttled { back_off: None }
    );
    assert_eq!(c("ErrorMailboxMoveInProgress"), ErrorClass::Transient);
    assert_eq!(c("ErrorMailboxStoreUnavailable"), ErrorClass::Transient);
    assert_eq!(c("ErrorNonExistentMailbox"), ErrorClass::MailboxNotFound);
    assert_eq!(c("ErrorMailRecipientNotFound"), ErrorClass::MailboxNotFound);
    assert_eq!(c("ErrorImpersonateUserDenied"), ErrorClass::Permission);
    assert_eq!(c("ErrorAccessDenied"), ErrorClass::Permission);
    assert_eq!(c("ErrorSchemaValidation"), ErrorClass::InvalidRequest);
    assert_eq!(c("ErrorInvalidIdMalformed"), ErrorClass::InvalidRequest);
    assert_eq!(
        c("ErrorInvalidSerializedAccessToken"),
        ErrorClass::Authentication
    );
    assert_eq!(c("ErrorItemNotFound"), ErrorClass::Other);
    // Every code classifies without panicking.
    for code in ResponseCode::ALL {
        let _ = classify_code(code, None);
    }
}
