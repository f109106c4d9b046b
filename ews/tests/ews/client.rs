//! The transport against a local mock EWS endpoint.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use roombook_ews::client::{ClientConfig, EwsClient, RetryPolicy};
use roombook_ews::operations::*;
use roombook_ews::types::{ItemId, ItemShape};
use roombook_ews::{
    ConnectingSid, Credentials, Error, ErrorClass, ResponseCode, Secret, StaticCredentials,
};

use crate::fixtures::{M, T, envelope};
use crate::mock::{Canned, MockServer};

fn folder_ok() -> String {
    envelope(&format!(
        r#"<m:GetFolderResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:CalendarFolder><t:FolderId Id="CAL" ChangeKey="CK"/></t:CalendarFolder></m:Folders></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>"#
    ))
}

fn created_ok() -> String {
    envelope(&format!(
        r#"<m:CreateItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:CalendarItem><t:ItemId Id="NEW" ChangeKey="CK"/></t:CalendarItem></m:Items></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>"#
    ))
}

fn busy_fault(ms: u64) -> String {
    envelope(&format!(
        r#"<s:Fault><faultcode xmlns:a="{T}">a:ErrorServerBusy</faultcode><faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message><t:MessageXml xmlns:t="{T}"><t:Value Name="BackOffMilliseconds">{ms}</t:Value></t:MessageXml></detail></s:Fault>"#
    ))
}

fn basic() -> StaticCredentials {
    StaticCredentials(Credentials::Basic {
        username: "svc-booking@contoso.example".into(),
        password: Secret::new("p@ss"),
    })
}

/// A client config with quick retries (the other test modules use it too).
pub(crate) fn config(url: &str) -> ClientConfig {
    let mut c = ClientConfig::new(url);
    c.retry = RetryPolicy {
        max_attempts: 4,
        deadline: Duration::from_secs(10),
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    };
    c
}

fn room() -> ConnectingSid {
    ConnectingSid::PrimarySmtpAddress("room.alpha@contoso.example".into())
}

fn meeting() -> CreateMeeting {
    let t = |h| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
    CreateMeeting {
        meeting: NewMeeting::in_room("Sync", "room.alpha@contoso.example", t(10), t(11), "uid-1"),
        send: SendInvitations::SendToAllAndSaveCopy,
        saved_item_folder: None,
    }
}

#[tokio::test]
async fn sends_envelope_with_auth_and_anchor() {
    let server = MockServer::start("/EWS/Exchange.asmx", vec![Canned::new(200, folder_ok())]).await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let op = GetFolder::calendar_of("room.alpha@contoso.example");
    let f = client.call(Some(&room()), &op).await.unwrap();
    assert_eq!(f.id, "CAL");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/EWS/Exchange.asmx");
    assert_eq!(
        r.header("x-anchormailbox"),
        Some("room.alpha@contoso.example")
    );
    assert_eq!(
        r.header("authorization"),
        Some("Basic c3ZjLWJvb2tpbmdAY29udG9zby5leGFtcGxlOnBAc3M=")
    );
    assert_eq!(r.header("content-type"), Some("text/xml; charset=utf-8"));
    assert!(r.header("soapaction").unwrap().ends_with("/GetFolder\""));
    let expected =
        roombook_ews::Envelope::new(&roombook_ews::RequestHeader::impersonating(room()), &op)
            .to_xml()
            .unwrap();
    assert_eq!(r.body_str(), expected);
    // Not impersonating: no anchor header.
    let server2 = MockServer::start("/", vec![Canned::new(200, folder_ok())]).await;
    let client2 = EwsClient::new(config(&server2.url), basic()).unwrap();
    client2.call(None, &op).await.unwrap();
    assert_eq!(server2.requests()[0].header("x-anchormailbox"), None);
}

#[tokio::test]
async fn server_busy_fault_waits_back_off_then_succeeds() {
    let server = MockServer::start(
        "/",
        vec![
            Canned::new(500, busy_fault(300)),
            Canned::new(200, folder_ok()),
        ],
    )
    .await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let t0 = Instant::now();
    client
        .call(
            Some(&room()),
            &GetFolder::calendar_of("room.alpha@contoso.example"),
        )
        .await
        .unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn throttled_http_honours_retry_after() {
    let server = MockServer::start(
        "/",
        vec![
            Canned::new(429, "slow down").header("Retry-After", "1"),
            Canned::new(503, "unavailable").header("Retry-After", "0"),
            Canned::new(200, folder_ok()),
        ],
    )
    .await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let t0 = Instant::now();
    client
        .call(None, &GetFolder::calendar_of("room.alpha@contoso.example"))
        .await
        .unwrap();
    assert!(t0.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn create_item_is_not_resent_after_ambiguous_failure() {
    let server = MockServer::start(
        "/",
        vec![
            Canned::new(502, "<html>Bad gateway</html>"),
            Canned::new(200, created_ok()),
        ],
    )
    .await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let e = client.call(Some(&room()), &meeting()).await.unwrap_err();
    assert!(matches!(e, Error::Http { status: 502, .. }), "{e:?}");
    assert_eq!(e.classify(), ErrorClass::Transient);
    assert_eq!(
        server.requests().len(),
        1,
        "CreateItem must not be resent blindly"
    );
}

#[tokio::test]
async fn create_item_is_resent_when_server_refused_it() {
    let server = MockServer::start(
        "/",
        vec![
            Canned::new(500, busy_fault(20)),
            Canned::new(200, created_ok()),
        ],
    )
    .await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let created = client.call(Some(&room()), &meeting()).await.unwrap();
    assert_eq!(created.item_id.unwrap().id, "NEW");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn idempotent_calls_retry_transient_errors_up_to_the_limit() {
    let server = MockServer::start("/", vec![Canned::new(503, "down")]).await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let e = client
        .call(None, &GetFolder::calendar_of("room.alpha@contoso.example"))
        .await
        .unwrap_err();
    match &e {
        Error::RetriesExhausted { attempts, last } => {
            assert_eq!(*attempts, 4);
            assert!(matches!(**last, Error::Http { status: 503, .. }));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn deadline_stops_a_long_back_off() {
    let server = MockServer::start("/", vec![Canned::new(500, busy_fault(60_000))]).await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let t0 = Instant::now();
    let e = client
        .call(None, &GetFolder::calendar_of("room.alpha@contoso.example"))
        .await
        .unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_eq!(
        e.classify(),
        ErrorClass::Throttled {
            back_off: Some(Duration::from_secs(60))
        }
    );
    assert_eq!(e.response_code(), Some(&ResponseCode::ErrorServerBusy));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn permanent_errors_are_not_retried() {
    let denied = envelope(&format!(
        r#"<s:Fault><faultcode xmlns:a="{T}">a:ErrorImpersonateUserDenied</faultcode><faultstring>The account does not have permission to impersonate the requested user.</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorImpersonateUserDenied</e:ResponseCode></detail></s:Fault>"#
    ));
    let server = MockServer::start(
        "/",
        vec![Canned::new(500, denied), Canned::new(401, "").header("x-ms-diagnostics", "2000008;reason=\"The token contains no permissions, or permissions can not be understood.\"")],
    )
    .await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let op = GetFolder::calendar_of("admin@contoso.example");
    let e = client.call(Some(&room()), &op).await.unwrap_err();
    assert_eq!(e.classify(), ErrorClass::Permission);
    let e = client.call(Some(&room()), &op).await.unwrap_err();
    assert_eq!(e.classify(), ErrorClass::Authentication);
    match e {
        Error::Http {
            status: 401,
            diagnostics: Some(d),
            ..
        } => assert!(d.starts_with("2000008")),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn gzip_responses_are_decoded() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(folder_ok().as_bytes()).unwrap();
    let server = MockServer::start(
        "/",
        vec![Canned::new(200, gz.finish().unwrap()).header("Content-Encoding", "gzip")],
    )
    .await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let f = client
        .call(None, &GetFolder::calendar_of("room.alpha@contoso.example"))
        .await
        .unwrap();
    assert_eq!(f.id, "CAL");
    assert!(
        server.requests()[0]
            .header("accept-encoding")
            .unwrap()
            .contains("gzip")
    );
}

#[tokio::test]
async fn concurrency_is_limited_per_endpoint() {
    let server = MockServer::start(
        "/",
        vec![Canned::new(200, folder_ok()).delay(Duration::from_millis(150))],
    )
    .await;
    let mut cfg = config(&server.url);
    cfg.max_concurrent_requests = 2;
    let client = Arc::new(EwsClient::new(cfg, basic()).unwrap());
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.call(None, &GetFolder::calendar_of("room.alpha@contoso.example"))
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(server.requests().len(), 6);
    assert_eq!(
        server
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst),
        2
    );
}

#[tokio::test]
async fn invalid_text_is_never_sent() {
    let server = MockServer::start("/", vec![Canned::new(200, created_ok())]).await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let mut m = meeting();
    m.meeting.subject = "null\u{0}byte".into();
    let e = client.call(None, &m).await.unwrap_err();
    assert!(matches!(e, Error::InvalidXmlChar { codepoint: 0 }));
    assert_eq!(server.requests().len(), 0);
}

#[tokio::test]
async fn find_by_uid_filters_the_calendar_view() {
    let view = envelope(&format!(
        r#"<m:FindItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:RootFolder TotalItemsInView="2" IncludesLastItemInRange="true"><t:Items><t:CalendarItem><t:ItemId Id="A"/><t:UID>other</t:UID></t:CalendarItem><t:CalendarItem><t:ItemId Id="B"/><t:UID>uid-1</t:UID></t:CalendarItem></t:Items></m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>"#
    ));
    let server = MockServer::start("/", vec![Canned::new(200, view)]).await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let t = |h| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
    let found = client
        .find_by_uid(
            Some(&room()),
            "room.alpha@contoso.example",
            "uid-1",
            t(9),
            t(12),
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].item_id.as_ref().unwrap().id, "B");
    assert!(
        server.requests()[0]
            .body_str()
            .contains("FieldURI=\"calendar:UID\"")
    );
}

#[tokio::test]
async fn oversized_responses_are_refused() {
    let server = MockServer::start("/", vec![Canned::new(200, folder_ok())]).await;
    let mut cfg = config(&server.url);
    cfg.max_response_bytes = 100;
    let client = EwsClient::new(cfg, basic()).unwrap();
    let e = client
        .call(None, &GetFolder::calendar_of("room.alpha@contoso.example"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::ResponseTooLarge { limit: 100, .. }),
        "{e:?}"
    );
}

#[test]
fn consent_pending_diagnostics() {
    let e = Error::Http {
        status: 401,
        retry_after: None,
        diagnostics: Some("2000008;reason=\"The token contains no permissions, or permissions can not be understood.\";error_category=\"invalid_grant\"".into()),
    };
    assert_eq!(e.ms_diagnostics_code(), Some(2_000_008));
    assert_eq!(e.classify(), ErrorClass::Authentication);
}

/// The client, its futures and its errors can cross threads (tokio::spawn, anyhow).
#[test]
fn client_and_errors_are_send_and_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Error>();
    send_sync::<EwsClient<roombook_ews::oauth::AppOnlyOAuth>>();
    send_sync::<EwsClient<StaticCredentials>>();
    let (cert, key) = crate::oauth::make_cert();
    let c = roombook_ews::oauth::ClientCertificate::from_pem(
        &cert.to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    let client = EwsClient::new(
        ClientConfig::new("http://127.0.0.1:9/"),
        roombook_ews::oauth::AppOnlyOAuth::new("t", "c", c),
    )
    .unwrap();
    let op = GetFolder::calendar_of("a@contoso.example");
    let fut = client.call(None, &op);
    send(&fut);
}

fn availability_response(n: usize) -> String {
    let one = format!(
        r#"<FreeBusyResponse><ResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode></ResponseMessage><FreeBusyView><FreeBusyViewType xmlns="{T}">Detailed</FreeBusyViewType><CalendarEventArray xmlns="{T}"><CalendarEvent><StartTime>2026-11-23T10:00:00</StartTime><EndTime>2026-11-23T11:00:00</EndTime><BusyType>Busy</BusyType></CalendarEvent></CalendarEventArray></FreeBusyView></FreeBusyResponse>"#
    );
    envelope(&format!(
        r#"<GetUserAvailabilityResponse xmlns="{M}"><FreeBusyResponseArray>{}</FreeBusyResponseArray></GetUserAvailabilityResponse>"#,
        one.repeat(n)
    ))
}

#[tokio::test]
async fn availability_batches_mailboxes_by_100() {
    let server = MockServer::start(
        "/",
        vec![
            Canned::new(200, availability_response(100)),
            Canned::new(200, availability_response(50)),
        ],
    )
    .await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let rooms: Vec<_> = (0..150)
        .map(|i| MailboxRequest::room(format!("room{i}@contoso.example")))
        .collect();
    let t = |h| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
    let r = client
        .availability(None, &rooms, t(0), t(23), FreeBusyViewKind::Detailed)
        .await
        .unwrap();
    assert_eq!(r.len(), 150);
    assert!(r.iter().all(|a| a.as_ref().unwrap().events.len() == 1));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body_str().matches("<t:MailboxData>").count(), 100);
    assert_eq!(reqs[1].body_str().matches("<t:MailboxData>").count(), 50);
    assert!(reqs[1].body_str().contains("room100@contoso.example"));
}

#[tokio::test]
async fn availability_with_a_missing_answer_is_an_error() {
    let server = MockServer::start("/", vec![Canned::new(200, availability_response(1))]).await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let rooms = vec![
        MailboxRequest::room("a@contoso.example"),
        MailboxRequest::room("b@contoso.example"),
    ];
    let t = |h| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
    let e = client
        .availability(None, &rooms, t(0), t(23), FreeBusyViewKind::FreeBusy)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnexpectedResponse(_)));
}

#[tokio::test]
async fn get_items_in_batches() {
    let item = |id: &str| {
        format!(
            r#"<m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:CalendarItem><t:ItemId Id="{id}"/></t:CalendarItem></m:Items></m:GetItemResponseMessage>"#
        )
    };
    let resp = |ids: &[&str]| {
        envelope(&format!(
            r#"<m:GetItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>{}</m:ResponseMessages></m:GetItemResponse>"#,
            ids.iter().map(|i| item(i)).collect::<String>()
        ))
    };
    let server = MockServer::start(
        "/",
        vec![
            Canned::new(200, resp(&["A", "B"])),
            Canned::new(200, resp(&["C"])),
        ],
    )
    .await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let ids: Vec<_> = ["A", "B", "C"].iter().map(|i| ItemId::new(*i)).collect();
    let r = client
        .get_items(Some(&room()), &ids, 2, &ItemShape::calendar())
        .await
        .unwrap();
    let got: Vec<_> = r
        .iter()
        .map(|x| x.as_ref().unwrap().item_id.as_ref().unwrap().id.clone())
        .collect();
    assert_eq!(got, ["A", "B", "C"]);
    assert_eq!(server.requests().len(), 2);
}

fn cancel() -> CancelCalendarItem {
    CancelCalendarItem {
        item: ItemId::new("AAMk-meeting"),
        message: None,
    }
}

fn cancelled_ok() -> String {
    envelope(&format!(
        r#"<m:CreateItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items/></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>"#
    ))
}

/// What IIS / HTTP.sys answers when the application pool is down or its queue is full.
fn iis_503() -> Canned {
    Canned::new(
        503,
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n<HTML><HEAD><TITLE>Service Unavailable</TITLE>\r\n<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n<BODY><h2>Service Unavailable</h2>\r\n<hr><p>HTTP Error 503. The service is unavailable.</p>\r\n</BODY></HTML>\r\n",
    )
    .header("Content-Type", "text/html; charset=us-ascii")
}

#[tokio::test]
async fn writes_that_meet_one_iis_503_are_resent() {
    // HTML from IIS, or nothing at all: the request never reached EWS.
    for refusal in [iis_503(), Canned::new(503, "")] {
        let server =
            MockServer::start("/", vec![refusal.clone(), Canned::new(200, cancelled_ok())]).await;
        let client = EwsClient::new(config(&server.url), basic()).unwrap();
        client.call(Some(&room()), &cancel()).await.unwrap();
        assert_eq!(server.requests().len(), 2, "CancelCalendarItem resent once");

        let server = MockServer::start("/", vec![refusal, Canned::new(200, created_ok())]).await;
        let client = EwsClient::new(config(&server.url), basic()).unwrap();
        let created = client.call(Some(&room()), &meeting()).await.unwrap();
        assert_eq!(created.item_id.unwrap().id, "NEW");
        assert_eq!(server.requests().len(), 2, "CreateItem resent once");
    }
}

#[tokio::test]
async fn writes_that_always_meet_503_give_a_transient_error_after_the_budget() {
    let server = MockServer::start("/", vec![iis_503()]).await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let e = client.call(Some(&room()), &cancel()).await.unwrap_err();
    match &e {
        Error::RetriesExhausted { attempts: 4, last } => {
            assert!(
                matches!(**last, Error::Http { status: 503, .. }),
                "{last:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.classify(), ErrorClass::Transient);
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn writes_are_not_resent_when_the_server_may_have_run_them() {
    // A SOAP fault with 500 came from EWS itself: it may have sent the cancellation.
    let fault = envelope(&format!(
        r#"<s:Fault><faultcode xmlns:a="{T}">a:ErrorInternalServerError</faultcode><faultstring>An internal server error occurred. The operation failed.</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorInternalServerError</e:ResponseCode></detail></s:Fault>"#
    ));
    let server = MockServer::start(
        "/",
        vec![Canned::new(500, fault), Canned::new(200, cancelled_ok())],
    )
    .await;
    let client = EwsClient::new(config(&server.url), basic()).unwrap();
    let e = client.call(Some(&room()), &cancel()).await.unwrap_err();
    assert!(matches!(e, Error::Fault(_)), "{e:?}");
    assert_eq!(server.requests().len(), 1);

    // A timeout after the request was sent: its outcome is unknown.
    let server = MockServer::start(
        "/",
        vec![
            Canned::new(200, created_ok()).delay(Duration::from_secs(2)),
            Canned::new(200, created_ok()),
        ],
    )
    .await;
    let mut cfg = config(&server.url);
    cfg.request_timeout = Duration::from_millis(300);
    let client = EwsClient::new(cfg, basic()).unwrap();
    let e = client.call(Some(&room()), &meeting()).await.unwrap_err();
    assert!(matches!(&e, Error::Transport(t) if t.is_timeout()), "{e:?}");
    assert_eq!(server.requests().len(), 1);
}

/// A password cache is told about every 401, also when no retry follows (Basic: the same
/// password again would only count towards the account's lockout).
#[tokio::test]
async fn every_401_is_reported_to_the_provider_even_without_a_retry() {
    use std::sync::atomic::{AtomicU32, Ordering};
    struct Counting {
        rejected: AtomicU32,
    }
    impl roombook_ews::CredentialProvider for Counting {
        async fn credentials(&self) -> Result<Credentials, roombook_ews::AuthError> {
            Ok(basic().0)
        }
        fn rejected(&self, rejected: &Credentials) {
            assert_eq!(rejected, &basic().0);
            self.rejected.fetch_add(1, Ordering::SeqCst);
        }
    }
    let server = MockServer::start("/", vec![Canned::new(401, "")]).await;
    let provider = Arc::new(Counting {
        rejected: AtomicU32::new(0),
    });
    let client = EwsClient::new(config(&server.url), provider.clone()).unwrap();
    let e = client
        .call(None, &GetFolder::calendar_of("room.alpha@contoso.example"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http { status: 401, .. }), "{e:?}");
    assert_eq!(server.requests().len(), 1, "Basic is not retried");
    assert_eq!(provider.rejected.load(Ordering::SeqCst), 1);
}
