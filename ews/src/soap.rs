//! SOAP envelope writer and response reader.

use crate::error::{Error, ResponseClass, ResponseError, SoapFault, back_off_of};
use crate::operation::Operation;
use crate::response_code::ResponseCode;
use crate::xml::{self, Element, NS_ERRORS, NS_MESSAGES, NS_SOAP, NS_TYPES, XmlWriter};

/// SOAP 1.2 envelope namespace (accepted in responses for robustness; EWS speaks 1.1).
const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";

/// `RequestServerVersion`: the schema version the request is written against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ExchangeVersion {
    /// `Exchange2010_SP1` (the oldest version with `GetRooms`).
    Exchange2010Sp1,
    /// `Exchange2010_SP2`
    Exchange2010Sp2,
    /// `Exchange2013` (default; what Microsoft's EWS OAuth samples send).
    #[default]
    Exchange2013,
    /// `Exchange2013_SP1`
    Exchange2013Sp1,
    /// `Exchange2016`
    Exchange2016,
    /// `V2016_10_10` (newest in the bundled schema).
    V2016_10_10,
}

impl ExchangeVersion {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exchange2010Sp1 => "Exchange2010_SP1",
            Self::Exchange2010Sp2 => "Exchange2010_SP2",
            Self::Exchange2013 => "Exchange2013",
            Self::Exchange2013Sp1 => "Exchange2013_SP1",
            Self::Exchange2016 => "Exchange2016",
            Self::V2016_10_10 => "V2016_10_10",
        }
    }
}

/// Whom to act as (`ExchangeImpersonation/ConnectingSID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectingSid {
    /// `<t:PrimarySmtpAddress>`: Exchange answers `ErrorNonPrimarySmtpAddress` for an alias.
    PrimarySmtpAddress(String),
    /// `<t:PrincipalName>`: the user principal name (UPN).
    PrincipalName(String),
    /// `<t:SmtpAddress>`: any SMTP address of the mailbox.
    SmtpAddress(String),
    /// `<t:SID>`
    Sid(String),
}

impl ConnectingSid {
    /// The value for the `X-AnchorMailbox` header (Microsoft: always send it when impersonating).
    /// SMTP forms and UPNs are sent as they are; a SID has no anchor.
    pub fn anchor_mailbox(&self) -> Option<&str> {
        match self {
            Self::PrimarySmtpAddress(a) | Self::SmtpAddress(a) | Self::PrincipalName(a) => Some(a),
            Self::Sid(_) => None,
        }
    }

    fn write(&self, w: &mut XmlWriter) {
        let (name, v) = match self {
            Self::PrimarySmtpAddress(a) => ("t:PrimarySmtpAddress", a),
            Self::PrincipalName(a) => ("t:PrincipalName", a),
            Self::SmtpAddress(a) => ("t:SmtpAddress", a),
            Self::Sid(a) => ("t:SID", a),
        };
        w.leaf(name, &[], v);
    }
}

/// The SOAP header sent with every request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestHeader {
    /// `RequestServerVersion/@Version`.
    pub version: ExchangeVersion,
    /// `ExchangeImpersonation`, if acting as another mailbox.
    pub impersonation: Option<ConnectingSid>,
    /// `TimeZoneContext/TimeZoneDefinition/@Id`, a Windows time-zone id such as
    /// `W. Europe Standard Time`. Times this crate writes carry an explicit `Z`, so this only
    /// affects how Exchange renders local times it generates.
    pub time_zone_id: Option<String>,
}

impl RequestHeader {
    /// A header impersonating `who`.
    pub fn impersonating(who: ConnectingSid) -> Self {
        Self {
            impersonation: Some(who),
            ..Self::default()
        }
    }

    fn write(&self, w: &mut XmlWriter) {
        w.empty(
            "t:RequestServerVersion",
            &[("Version", self.version.as_str())],
        );
        if let Some(sid) = &self.impersonation {
            w.open("t:ExchangeImpersonation", &[])
                .open("t:ConnectingSID", &[]);
            sid.write(w);
            w.close("t:ConnectingSID").close("t:ExchangeImpersonation");
        }
        if let Some(tz) = &self.time_zone_id {
            w.open("t:TimeZoneContext", &[])
                .empty("t:TimeZoneDefinition", &[("Id", tz)])
                .close("t:TimeZoneContext");
        }
    }
}

/// A SOAP envelope around one operation body.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a, B> {
    /// The header.
    pub header: &'a RequestHeader,
    /// The operation.
    pub body: &'a B,
}

impl<'a, B: Operation> Envelope<'a, B> {
    /// Pairs a header with a body.
    pub fn new(header: &'a RequestHeader, body: &'a B) -> Self {
        Self { header, body }
    }

    /// The complete request document.
    pub fn to_xml(&self) -> Result<String, Error> {
        let mut w = XmlWriter::new();
        w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        w.open(
            "soap:Envelope",
            &[
                ("xmlns:soap", NS_SOAP),
                ("xmlns:t", NS_TYPES),
                ("xmlns:m", NS_MESSAGES),
            ],
        );
        w.open("soap:Header", &[]);
        self.header.write(&mut w);
        w.close("soap:Header");
        w.open("soap:Body", &[]);
        self.body.write_body(&mut w)?;
        w.close("soap:Body").close("soap:Envelope");
        w.finish()
    }
}

/// Parses a response envelope and returns the first element inside `Body`.
/// A `Fault` becomes [`Error::Fault`].
pub fn parse_envelope(bytes: &[u8]) -> Result<Element, Error> {
    let root = xml::parse(bytes)?;
    let soap_ns = match root.ns.as_deref() {
        Some(ns @ (NS_SOAP | NS_SOAP12)) if root.name == "Envelope" => ns.to_owned(),
        _ => {
            return Err(Error::UnexpectedResponse(format!(
                "root element is {} (namespace {:?}), not a SOAP Envelope",
                root.name, root.ns
            )));
        }
    };
    let body = root
        .children
        .into_iter()
        .find(|c| c.is(&soap_ns, "Body"))
        .ok_or_else(|| Error::UnexpectedResponse("SOAP Envelope without Body".into()))?;
    let first = body
        .children
        .into_iter()
        .next()
        .ok_or_else(|| Error::UnexpectedResponse("empty SOAP Body".into()))?;
    if first.is(&soap_ns, "Fault") {
        return Err(Error::Fault(Box::new(fault_from_element(&first))));
    }
    Ok(first)
}

/// Parses a complete response document for operation `O`: with the operation's streaming
/// parser when it has one ([`Operation::parse_streaming`]) and it accepts the document, through
/// the element tree otherwise. Both paths give the same result.
pub fn parse_response<O: Operation>(bytes: &[u8]) -> Result<O::Response, Error> {
    match O::parse_streaming(bytes) {
        Some(response) => Ok(response),
        None => parse_response_tree::<O>(bytes),
    }
}

/// Parses a complete response document for operation `O` through the element tree
/// ([`parse_envelope`], then [`Operation::parse_response`]), never the streaming parser.
pub fn parse_response_tree<O: Operation>(bytes: &[u8]) -> Result<O::Response, Error> {
    O::parse_response(&parse_envelope(bytes)?)
}

/// What the transport makes of a response body: [`parse_response`], except that a response
/// in which nothing succeeded and the server said `ErrorServerBusy` becomes that throttling
/// error (see [`busy_back_off`]), so that it is retried after the back-off.
pub(crate) fn parse_for_transport<O: Operation>(bytes: &[u8]) -> Result<O::Response, Error> {
    // A streaming result implies a well-formed envelope, no fault and no ErrorServerBusy.
    if let Some(response) = O::parse_streaming(bytes) {
        return Ok(response);
    }
    let body = parse_envelope(bytes)?;
    if let Some(back_off) = busy_back_off(&body) {
        return Err(Error::Response(Box::new(ResponseError {
            class: ResponseClass::Error,
            code: ResponseCode::ErrorServerBusy,
            message: None,
            back_off,
            details: Vec::new(),
        })));
    }
    O::parse_response(&body)
}

/// Checks that `body` is `m:{name}` and returns it.
pub(crate) fn expect<'a>(body: &'a Element, name: &str) -> Result<&'a Element, Error> {
    if body.is(NS_MESSAGES, name) {
        Ok(body)
    } else {
        Err(Error::UnexpectedResponse(format!(
            "expected m:{name}, got {} in {:?}",
            body.name, body.ns
        )))
    }
}

/// The `m:ResponseMessages` children of `m:{op}Response`.
pub(crate) fn response_messages<'a>(
    body: &'a Element,
    op: &str,
) -> Result<Vec<&'a Element>, Error> {
    let resp = expect(body, &format!("{op}Response"))?;
    let msgs = resp.child(NS_MESSAGES, "ResponseMessages").ok_or_else(|| {
        Error::UnexpectedResponse(format!("{op}Response without ResponseMessages"))
    })?;
    Ok(msgs
        .children
        .iter()
        .filter(|c| c.ns.as_deref() == Some(NS_MESSAGES))
        .collect())
}

/// Reads `ResponseClass`, `ResponseCode`, `MessageText`, `MessageXml` of a response message.
/// `Ok(())` for `Success`; the details otherwise (`Warning` included).
pub(crate) fn status(msg: &Element) -> Result<(), ResponseError> {
    status_from_parts(
        msg.attr("ResponseClass"),
        msg.child_text(NS_MESSAGES, "ResponseCode"),
        msg.child_text(NS_MESSAGES, "MessageText"),
        || {
            msg.child(NS_MESSAGES, "MessageXml")
                .map(message_xml_values)
                .unwrap_or_default()
        },
    )
}

/// [`status`] from the message's parts: the `ResponseClass` attribute, the texts of the first
/// `m:ResponseCode` and `m:MessageText` children, and the `MessageXml` values (asked for only
/// when the class is not `Success`). Shared with the streaming parsers.
pub(crate) fn status_from_parts(
    class: Option<&str>,
    code: Option<&str>,
    message_text: Option<&str>,
    details: impl FnOnce() -> Vec<(String, String)>,
) -> Result<(), ResponseError> {
    let code = code.map(|s| ResponseCode::parse(s.trim()));
    let class = class.and_then(ResponseClass::parse).unwrap_or(match &code {
        None | Some(ResponseCode::NoError) => ResponseClass::Success,
        Some(_) => ResponseClass::Error,
    });
    if class == ResponseClass::Success {
        return Ok(());
    }
    let details = details();
    Err(ResponseError {
        class,
        code: code.unwrap_or(ResponseCode::NoError),
        message: message_text.map(|s| s.trim().to_owned()),
        back_off: back_off_of(&details),
        details,
    })
}

/// `ItemId` of the first item under the message's `m:Items`, if any.
pub(crate) fn first_item_id(msg: &Element) -> Result<Option<crate::types::ItemId>, Error> {
    msg.child(NS_MESSAGES, "Items")
        .and_then(|i| i.children.first())
        .and_then(|item| item.child(NS_TYPES, "ItemId"))
        .map(crate::types::ItemId::from_element)
        .transpose()
}

/// Exactly one response message, which must be `Success`.
pub(crate) fn single<'a>(body: &'a Element, op: &str) -> Result<&'a Element, Error> {
    let msgs = response_messages(body, op)?;
    let msg = msgs
        .first()
        .ok_or_else(|| Error::UnexpectedResponse(format!("{op}Response has no message")))?;
    status(msg)?;
    Ok(msg)
}

/// Whether the whole response says "server busy" and nothing succeeded: the request was not
/// carried out and may be resent after the back-off.
pub(crate) fn busy_back_off(body: &Element) -> Option<Option<std::time::Duration>> {
    let mut busy = None;
    for e in body.descendants() {
        if e.attr("ResponseClass") == Some("Success") {
            return None;
        }
        if e.name == "ResponseCode" && e.text.trim() == "ErrorServerBusy" {
            busy = Some(None);
        }
        if e.name == "MessageXml" && busy.is_some() {
            busy = Some(back_off_of(&message_xml_values(e)));
        }
    }
    busy
}

/// A SOAP fault element as the typed fault: `faultcode`, `faultstring`, and from `detail` the
/// response code, message and `MessageXml` values (the back-off among them).
pub(crate) fn fault_from_element(fault: &Element) -> SoapFault {
    // faultcode/faultstring/detail are unqualified in SOAP 1.1, but be lenient.
    let local = |name: &str| fault.children.iter().find(|c| c.name == name);
    let fault_code = local("faultcode")
        .map(|e| e.text.trim().to_owned())
        .unwrap_or_default();
    let fault_string = local("faultstring")
        .map(|e| e.text.trim().to_owned())
        .unwrap_or_default();
    let detail = local("detail");
    let mut response_code = detail
        .and_then(|d| d.child(NS_ERRORS, "ResponseCode"))
        .map(|e| ResponseCode::parse(e.text.trim()));
    if response_code.is_none() {
        let tail = fault_code.rsplit(':').next().unwrap_or_default();
        let parsed = ResponseCode::parse(tail);
        if !matches!(parsed, ResponseCode::Unrecognized(_)) {
            response_code = Some(parsed);
        }
    }
    let message = detail
        .and_then(|d| d.child_text(NS_ERRORS, "Message"))
        .map(|s| s.trim().to_owned());
    let message_xml = detail.and_then(|d| d.children.iter().find(|c| c.name == "MessageXml"));
    let details = message_xml.map(message_xml_values).unwrap_or_default();
    SoapFault {
        fault_code,
        fault_string,
        response_code,
        message,
        back_off: back_off_of(&details),
        details,
    }
}

/// `<t:Value Name="k">v</t:Value>` pairs anywhere under a `MessageXml` element.
fn message_xml_values(message_xml: &Element) -> Vec<(String, String)> {
    message_xml
        .descendants()
        .into_iter()
        .filter(|e| e.name == "Value")
        .filter_map(|e| {
            e.attr("Name")
                .map(|n| (n.to_owned(), e.text.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorClass;
    use std::time::Duration;

    #[test]
    fn fault_with_back_off_is_throttled() {
        let xml = br#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode><faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message><t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">297749</t:Value></t:MessageXml></detail></s:Fault></s:Body></s:Envelope>"#;
        let err = parse_envelope(xml).unwrap_err();
        assert_eq!(err.response_code(), Some(&ResponseCode::ErrorServerBusy));
        assert_eq!(
            err.classify(),
            ErrorClass::Throttled {
                back_off: Some(Duration::from_millis(297_749))
            }
        );
    }

    #[test]
    fn impersonation_fault_is_permission() {
        let xml = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorImpersonateUserDenied</faultcode><faultstring xml:lang="en-US">The account does not have permission to impersonate the requested user.</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorImpersonateUserDenied</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The account does not have permission to impersonate the requested user.</e:Message></detail></s:Fault></s:Body></s:Envelope>"#;
        let err = parse_envelope(xml).unwrap_err();
        assert_eq!(err.classify(), ErrorClass::Permission);
        match err {
            Error::Fault(f) => {
                assert_eq!(f.fault_code, "a:ErrorImpersonateUserDenied");
                assert!(f.message.unwrap().contains("impersonate"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn schema_validation_fault_without_code_detail_uses_faultcode() {
        let xml = br#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>The request failed schema validation.</faultstring></soap:Fault></soap:Body></soap:Envelope>"#;
        let err = parse_envelope(xml).unwrap_err();
        assert_eq!(err.classify(), ErrorClass::InvalidRequest);
        assert_eq!(err.response_code(), None);
    }

    #[test]
    fn not_an_envelope() {
        assert!(matches!(
            parse_envelope(b"<html><body>Bad gateway</body></html>"),
            Err(Error::UnexpectedResponse(_))
        ));
    }

    #[test]
    fn header_variants() {
        struct Nop;
        impl Operation for Nop {
            const NAME: &'static str = "GetRoomLists";
            type Response = ();
            fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
                w.empty("m:GetRoomLists", &[]);
                Ok(())
            }
            fn parse_response(_: &Element) -> Result<(), Error> {
                Ok(())
            }
        }
        let h = RequestHeader {
            version: ExchangeVersion::Exchange2016,
            impersonation: Some(ConnectingSid::PrincipalName("a@b.example".into())),
            time_zone_id: Some("W. Europe Standard Time".into()),
        };
        let x = Envelope::new(&h, &Nop).to_xml().unwrap();
        assert!(x.contains("<soap:Header><t:RequestServerVersion Version=\"Exchange2016\"/><t:ExchangeImpersonation><t:ConnectingSID><t:PrincipalName>a@b.example</t:PrincipalName></t:ConnectingSID></t:ExchangeImpersonation><t:TimeZoneContext><t:TimeZoneDefinition Id=\"W. Europe Standard Time\"/></t:TimeZoneContext></soap:Header>"), "{x}");
    }
}
