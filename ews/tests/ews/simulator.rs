//! The client against the tenant simulator (`roombook-simulator`), in-process: every operation
//! with Basic auth + impersonation and with app-only OAuth (certificate assertion against the
//! simulated Entra ID), Autodiscover, and the simulator's injected faults. The simulator
//! validates every request against the official schema; each test ends by checking that no
//! request failed validation, that every impersonated call carried `X-AnchorMailbox`, and that
//! no room is double-booked or left with an orphan meeting.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use roombook_ews::autodiscover::{Autodiscover, Method};
use roombook_ews::client::{ClientConfig, EwsClient, RetryPolicy};
use roombook_ews::oauth::{AppOnlyOAuth, ClientCertificate};
use roombook_ews::operations::*;
use roombook_ews::types::{CalendarItem, FolderId, ItemId, ItemShape};
use roombook_ews::{
    BasicAuth, ConnectingSid, CredentialProvider, Credentials, Error, ErrorClass, ResponseClass,
    ResponseCode, Secret,
};
use roombook_simulator::{
    AppRegistration, DeclineReason, InjectedFault, MailboxScope, Room, RoomList, ServiceAccount,
    Simulator, SimulatorConfig, SimulatorHandle, TenantSeed, User, demo,
};

const DOMAIN: &str = "contoso.example";
const ALICE: &str = "alice@contoso.example";
const BOB: &str = "bob@contoso.example";
const CONTRACTOR: &str = "contractor@contoso.example";
const ROOM_A: &str = "room.a@contoso.example";
const ROOM_B: &str = "room.b@contoso.example";
const ROOM_LIST: &str = "rooms.hq@contoso.example";
const SVC: &str = "svc@contoso.example";
const SVC_PASSWORD: &str = "svc-password";
const SVC_NO_ROLE: &str = "svc-norole@contoso.example";
const APP: &str = "5e3ce6c0-0000-4000-8000-00000000a991";
const APP_ROOMS_ONLY: &str = "5e3ce6c0-0000-4000-8000-00000000a992";
const APP_NEW: &str = "5e3ce6c0-0000-4000-8000-00000000a993";

/// One certificate (PEM certificate, PEM PKCS#8 key) for the whole test binary.
fn cert_pem() -> &'static (String, String) {
    static CERT: OnceLock<(String, String)> = OnceLock::new();
    CERT.get_or_init(|| {
        let (cert, key) = crate::oauth::make_cert();
        (
            String::from_utf8(cert.to_pem().unwrap()).unwrap(),
            String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap(),
        )
    })
}

fn apps(seed: TenantSeed) -> TenantSeed {
    let pem = &cert_pem().0;
    seed.app(
        AppRegistration::new(APP, "Roombook")
            .with_certificate(pem)
            .consented(),
    )
    .app(
        AppRegistration::new(APP_ROOMS_ONLY, "Roombook (rooms only)")
            .with_certificate(pem)
            .consented()
            .scoped_to(MailboxScope::RoomsOnly),
    )
}

/// Two people, a directory user without a mailbox, two rooms in one list, a service account
/// with the impersonation role and one without, and two apps.
fn small_tenant() -> TenantSeed {
    apps(
        TenantSeed::new(DOMAIN)
            .user(User::new(ALICE, "Alice Example"))
            .user(User::new(BOB, "Bob Example"))
            .user(User::new(CONTRACTOR, "Contractor").without_mailbox())
            .room(Room::new(ROOM_A, "Room A", 8).in_building("HQ", 3))
            .room(Room::new(ROOM_B, "Room B", 4).in_building("HQ", 1))
            .room_list(RoomList::new(ROOM_LIST, "HQ rooms", &[ROOM_A, ROOM_B]))
            .service_account(ServiceAccount::new(SVC, SVC_PASSWORD))
            .service_account(
                ServiceAccount::new(SVC_NO_ROLE, "other-password").without_impersonation(),
            ),
    )
}

async fn start(seed: TenantSeed) -> SimulatorHandle {
    Simulator::start(SimulatorConfig::new(seed))
        .await
        .expect("simulator starts")
}

fn config(sim: &SimulatorHandle) -> ClientConfig {
    let mut c = ClientConfig::new(sim.ews_url());
    c.retry = RetryPolicy {
        max_attempts: 4,
        deadline: Duration::from_secs(20),
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
    };
    c
}

/// Basic auth; the password is fetched for every request, as from the secret store.
fn basic_client(
    sim: &SimulatorHandle,
    username: &str,
    password: &str,
) -> EwsClient<impl CredentialProvider + use<>> {
    basic_client_with(config(sim), username, password)
}

fn basic_client_with(
    config: ClientConfig,
    username: &str,
    password: &str,
) -> EwsClient<impl CredentialProvider + use<>> {
    let password = password.to_owned();
    let auth = BasicAuth::new(username, move || {
        let p = password.clone();
        async move { Ok(Secret::new(p)) }
    });
    EwsClient::new(config, auth).unwrap()
}

fn oauth(sim: &SimulatorHandle, client_id: &str) -> AppOnlyOAuth {
    let (cert, key) = cert_pem();
    let cert = ClientCertificate::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    let oauth = AppOnlyOAuth::with_authority(&sim.base_url(), &sim.tenant_id(), client_id, cert);
    // The authority is the host; the tenant and the v2 path are appended.
    assert_eq!(oauth.token_url(), sim.token_url());
    oauth
}

fn oauth_client(sim: &SimulatorHandle, client_id: &str) -> EwsClient<AppOnlyOAuth> {
    EwsClient::new(config(sim), oauth(sim, client_id)).unwrap()
}

fn oauth_client_with(
    sim: &SimulatorHandle,
    config: ClientConfig,
    client_id: &str,
) -> EwsClient<AppOnlyOAuth> {
    EwsClient::new(config, oauth(sim, client_id)).unwrap()
}

fn act_as(address: &str) -> ConnectingSid {
    ConnectingSid::PrimarySmtpAddress(address.into())
}

/// Tomorrow at `hour`:00 UTC (inside every booking window).
fn tomorrow(hour: i64) -> DateTime<Utc> {
    let midnight = (Utc::now() + TimeDelta::days(1))
        .duration_trunc(TimeDelta::days(1))
        .unwrap();
    midnight + TimeDelta::hours(hour)
}

fn meeting(
    subject: &str,
    room: &str,
    start: DateTime<Utc>,
    minutes: i64,
    uid: &str,
) -> CreateMeeting {
    CreateMeeting {
        meeting: NewMeeting::in_room(
            subject,
            room,
            start,
            start + TimeDelta::minutes(minutes),
            uid,
        ),
        send: SendInvitations::SendToAllAndSaveCopy,
        saved_item_folder: None,
    }
}

/// The simulator's consistency checks, after every test.
fn assert_clean(sim: &SimulatorHandle) {
    let inspect = sim.inspect();
    assert_eq!(
        inspect.schema_violations(),
        0,
        "a request failed schema validation"
    );
    assert!(
        inspect.missing_anchor_mailbox().is_empty(),
        "impersonated calls without X-AnchorMailbox: {:?}",
        inspect.missing_anchor_mailbox()
    );
    assert!(
        inspect.double_bookings().is_empty(),
        "{:?}",
        inspect.double_bookings()
    );
    assert!(inspect.orphans().is_empty(), "{:?}", inspect.orphans());
}

fn response_error(e: Error) -> roombook_ews::ResponseError {
    match e {
        Error::Response(r) => *r,
        other => panic!("expected a response message error, got {other:?}"),
    }
}

/// The organiser's view of `room`'s answer (`ResponseType` of the `Resources` attendee).
async fn room_answer<C: CredentialProvider>(
    client: &EwsClient<C>,
    organiser: &str,
    item: &ItemId,
    room: &str,
) -> Option<String> {
    let got = client
        .get_items(
            Some(&act_as(organiser)),
            std::slice::from_ref(item),
            10,
            &ItemShape::calendar_detailed(),
        )
        .await
        .unwrap();
    let item = got.into_iter().next().unwrap().unwrap();
    item.resources
        .iter()
        .find(|a| a.mailbox.address.as_deref() == Some(room))
        .and_then(|a| a.response.clone())
}

async fn room_calendar<C: CredentialProvider>(
    client: &EwsClient<C>,
    room: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<CalendarItem> {
    client
        .call(Some(&act_as(room)), &CalendarView::new(room, start, end))
        .await
        .unwrap()
        .items
}

// ---------------------------------------------------------------------------------------
// Directory: GetRoomLists, GetRooms, ResolveNames, GetFolder, impersonation errors

async fn directory<C: CredentialProvider>(sim: &SimulatorHandle, client: &EwsClient<C>) {
    let alice = act_as(ALICE);
    let lists = client.call(Some(&alice), &GetRoomLists).await.unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].address.as_deref(), Some(ROOM_LIST));
    assert_eq!(lists[0].name.as_deref(), Some("HQ rooms"));
    assert_eq!(lists[0].mailbox_type.as_deref(), Some("PublicDL"));

    let rooms = client
        .call(
            Some(&alice),
            &GetRooms {
                room_list: ROOM_LIST.into(),
            },
        )
        .await
        .unwrap();
    let addresses: Vec<_> = rooms.iter().filter_map(|r| r.address.as_deref()).collect();
    assert_eq!(addresses, [ROOM_A, ROOM_B]);
    assert_eq!(rooms[0].name.as_deref(), Some("Room A"));
    let e = client
        .call(
            Some(&alice),
            &GetRooms {
                room_list: "nolist@contoso.example".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorNameResolutionNoResults)
    );

    let one = client
        .call(Some(&alice), &ResolveNames::directory(BOB))
        .await
        .unwrap();
    assert!(one.warning.is_none());
    assert_eq!(one.resolutions.len(), 1);
    assert_eq!(one.resolutions[0].mailbox.address.as_deref(), Some(BOB));
    assert_eq!(
        one.resolutions[0].display_name.as_deref(),
        Some("Bob Example")
    );
    let many = client
        .call(Some(&alice), &ResolveNames::directory("room"))
        .await
        .unwrap();
    let warning = many.warning.expect("several candidates are a warning");
    assert_eq!(warning.class, ResponseClass::Warning);
    assert_eq!(
        warning.code,
        ResponseCode::ErrorNameResolutionMultipleResults
    );
    assert!(many.resolutions.len() >= 2, "{:?}", many.resolutions);
    let none = client
        .call(Some(&alice), &ResolveNames::directory("nobody-like-this"))
        .await
        .unwrap_err();
    assert_eq!(none.classify(), ErrorClass::MailboxNotFound);

    // GetFolder proves a mailbox exists and is reachable.
    let folder = client
        .call(Some(&alice), &GetFolder::calendar_of(ALICE))
        .await
        .unwrap();
    assert_eq!(folder.kind, "CalendarFolder");
    assert!(!folder.id.is_empty());
    // The other ConnectingSID forms (X-AnchorMailbox carries the same address).
    for sid in [
        ConnectingSid::SmtpAddress(ALICE.into()),
        ConnectingSid::PrincipalName(ALICE.into()),
    ] {
        let f = client
            .call(Some(&sid), &GetFolder::calendar_of(ALICE))
            .await
            .unwrap();
        assert_eq!(f.id, folder.id);
    }
    let room = client
        .call(Some(&act_as(ROOM_A)), &GetFolder::calendar_of(ROOM_A))
        .await
        .unwrap();
    assert_ne!(room.id, folder.id);

    // A directory user without a mailbox: as the impersonated user (a SOAP fault) and as the
    // folder's mailbox (a response message).
    let e = client
        .call(
            Some(&act_as(CONTRACTOR)),
            &GetFolder::calendar_of(CONTRACTOR),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Fault(_)), "{e:?}");
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorNonExistentMailbox)
    );
    assert_eq!(e.classify(), ErrorClass::MailboxNotFound);
    let e = client
        .call(Some(&alice), &GetFolder::calendar_of(CONTRACTOR))
        .await
        .unwrap_err();
    let r = response_error(e);
    assert_eq!(r.code, ResponseCode::ErrorNonExistentMailbox);
    assert_eq!(r.classify(), ErrorClass::MailboxNotFound);
    let e = client
        .call(
            Some(&act_as("ghost@contoso.example")),
            &GetFolder::calendar_of("ghost@contoso.example"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.classify(), ErrorClass::MailboxNotFound);

    assert_clean(sim);
}

#[tokio::test]
async fn sim_basic_directory_and_get_folder() {
    let sim = start(small_tenant()).await;
    let client = basic_client(&sim, SVC, SVC_PASSWORD);
    directory(&sim, &client).await;

    // The service account without the ApplicationImpersonation role.
    let norole = basic_client(&sim, SVC_NO_ROLE, "other-password");
    let e = norole
        .call(Some(&act_as(ALICE)), &GetFolder::calendar_of(ALICE))
        .await
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorImpersonateUserDenied)
    );
    assert_eq!(e.classify(), ErrorClass::Permission);
    assert_clean(&sim);
}

#[tokio::test]
async fn sim_oauth_directory_and_get_folder() {
    let sim = start(small_tenant()).await;
    let client = oauth_client(&sim, APP);
    directory(&sim, &client).await;

    // An app whose RBAC scope covers rooms only.
    let rooms_only = oauth_client(&sim, APP_ROOMS_ONLY);
    rooms_only
        .call(Some(&act_as(ROOM_B)), &GetFolder::calendar_of(ROOM_B))
        .await
        .unwrap();
    let e = rooms_only
        .call(Some(&act_as(ALICE)), &GetFolder::calendar_of(ALICE))
        .await
        .unwrap_err();
    assert_eq!(e.response_code(), Some(&ResponseCode::ErrorAccessDenied));
    assert_eq!(e.classify(), ErrorClass::Permission);
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// Booking: CreateItem, the room's answer, find_by_uid, UpdateItem, GetUserAvailability,
// DeclineItem on the room's copy, CancelCalendarItem, DeleteItem

async fn booking<C: CredentialProvider>(sim: &SimulatorHandle, client: &EwsClient<C>) {
    let alice = act_as(ALICE);
    let bob = act_as(BOB);
    let (nine, day_end) = (tomorrow(9), tomorrow(20));

    // Alice books room A; the room accepts.
    let created = client
        .call(
            Some(&alice),
            &meeting("Team sync", ROOM_A, nine, 60, "uid-alice-1"),
        )
        .await
        .unwrap();
    let alice_item = created.item_id.expect("saved in the organiser's calendar");
    assert!(alice_item.change_key.is_some());
    assert_eq!(
        room_answer(client, ALICE, &alice_item, ROOM_A)
            .await
            .as_deref(),
        Some("Accept")
    );

    // Bob asks for the same slot; the room declines (conflict).
    let bob_item = client
        .call(
            Some(&bob),
            &meeting(
                "Clash",
                ROOM_A,
                nine + TimeDelta::minutes(30),
                60,
                "uid-bob-1",
            ),
        )
        .await
        .unwrap()
        .item_id
        .unwrap();
    assert_eq!(
        room_answer(client, BOB, &bob_item, ROOM_A).await.as_deref(),
        Some("Decline")
    );
    let last = sim.inspect().room_responses().pop().unwrap();
    assert_eq!(last.reason, Some(DeclineReason::Conflict));
    assert_eq!(last.uid, "uid-bob-1");

    // The booking is found by its UID in the organiser's calendar.
    let found = client
        .find_by_uid(
            Some(&alice),
            ALICE,
            "uid-alice-1",
            nine - TimeDelta::hours(1),
            day_end,
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].item_id.as_ref().map(|i| &i.id),
        Some(&alice_item.id)
    );
    assert_eq!(found[0].subject.as_deref(), Some("Team sync"));
    assert_eq!(found[0].start, Some(nine));
    assert_eq!(found[0].is_meeting, Some(true));
    assert!(
        client
            .find_by_uid(Some(&alice), ALICE, "uid-unknown", nine, day_end)
            .await
            .unwrap()
            .is_empty()
    );

    // The room's calendar holds Alice's meeting only.
    let room_items = room_calendar(client, ROOM_A, nine - TimeDelta::hours(1), day_end).await;
    assert_eq!(room_items.len(), 1, "{room_items:?}");
    assert_eq!(room_items[0].uid.as_deref(), Some("uid-alice-1"));

    // Move Alice's meeting to 14:00; the room follows and still accepts.
    let two = tomorrow(14);
    let new_id = client
        .call(
            Some(&alice),
            &UpdateMeeting {
                item: alice_item.clone(),
                subject: Some("Team sync (moved)".into()),
                start: Some(two),
                end: Some(two + TimeDelta::minutes(45)),
                send: SendUpdates::SendToAllAndSaveCopy,
                // The room's answer changed the key since CreateItem; the subject changes too.
                conflict: ConflictResolution::AutoResolve,
                ..UpdateMeeting::default()
            },
        )
        .await
        .unwrap()
        .expect("UpdateItem returns the id");
    assert_eq!(new_id.id, alice_item.id);
    assert_ne!(new_id.change_key, alice_item.change_key);
    assert_eq!(
        room_answer(client, ALICE, &new_id, ROOM_A).await.as_deref(),
        Some("Accept")
    );
    let room_items = room_calendar(client, ROOM_A, nine - TimeDelta::hours(1), day_end).await;
    assert_eq!(room_items.len(), 1);
    assert_eq!(room_items[0].start, Some(two));
    assert_eq!(room_items[0].end, Some(two + TimeDelta::minutes(45)));

    // Free/busy of both rooms for the day.
    let avail = client
        .availability(
            Some(&alice),
            &[MailboxRequest::room(ROOM_A), MailboxRequest::room(ROOM_B)],
            tomorrow(0),
            tomorrow(24),
            FreeBusyViewKind::DetailedMerged,
        )
        .await
        .unwrap();
    assert_eq!(avail.len(), 2);
    let a = avail[0].as_ref().unwrap();
    assert_eq!(a.view_type, "DetailedMerged");
    assert_eq!(a.events.len(), 1);
    assert_eq!(a.events[0].start, two);
    assert_eq!(a.events[0].end, two + TimeDelta::minutes(45));
    assert_eq!(a.events[0].busy, roombook_ews::types::FreeBusy::Busy);
    assert!(a.events[0].details.as_ref().unwrap().is_meeting);
    let merged = a.merged.as_deref().unwrap();
    assert_eq!(merged.len(), 48, "{merged}");
    assert_eq!(&merged[28..30], "22", "{merged}");
    assert!(avail[1].as_ref().unwrap().events.is_empty());

    // The room releases the meeting (a no-show): DeclineItem on the room's copy.
    let room_copy = room_items[0].item_id.clone().unwrap();
    client
        .call(
            Some(&act_as(ROOM_A)),
            &DeclineItem {
                item: room_copy,
                message: Some(roombook_ews::types::Body::text(
                    "Released: nobody checked in",
                )),
                send: true,
            },
        )
        .await
        .unwrap();
    assert!(
        room_calendar(client, ROOM_A, tomorrow(0), tomorrow(24))
            .await
            .is_empty()
    );
    assert_eq!(
        room_answer(client, ALICE, &new_id, ROOM_A).await.as_deref(),
        Some("Decline")
    );

    // Alice cancels her meeting; Bob deletes his (with cancellations).
    client
        .call(
            Some(&alice),
            &CancelCalendarItem {
                item: new_id.clone(),
                message: Some(roombook_ews::types::Body::text("Not needed")),
            },
        )
        .await
        .unwrap();
    assert!(
        client
            .find_by_uid(
                Some(&alice),
                ALICE,
                "uid-alice-1",
                tomorrow(0),
                tomorrow(24)
            )
            .await
            .unwrap()
            .is_empty()
    );
    let deleted = client
        .call(
            Some(&bob),
            &DeleteItem {
                items: vec![bob_item.clone(), ItemId::new(alice_item.id.clone())],
                delete_type: DeleteType::MoveToDeletedItems,
                send_cancellations: SendInvitations::SendToAllAndSaveCopy,
            },
        )
        .await
        .unwrap();
    assert_eq!(deleted.len(), 2);
    assert!(deleted[0].is_ok());
    // Bob may not delete from Alice's calendar (and it is gone anyway).
    assert!(deleted[1].is_err());

    // A booking deleted with cancellations leaves nothing behind in the room.
    let item = client
        .call(
            Some(&bob),
            &meeting("Short", ROOM_B, tomorrow(16), 30, "uid-bob-2"),
        )
        .await
        .unwrap()
        .item_id
        .unwrap();
    assert_eq!(
        room_calendar(client, ROOM_B, tomorrow(0), tomorrow(24))
            .await
            .len(),
        1
    );
    let deleted = client
        .call(
            Some(&bob),
            &DeleteItem {
                items: vec![item],
                delete_type: DeleteType::HardDelete,
                send_cancellations: SendInvitations::SendToAllAndSaveCopy,
            },
        )
        .await
        .unwrap();
    assert!(deleted[0].is_ok());
    assert!(
        room_calendar(client, ROOM_B, tomorrow(0), tomorrow(24))
            .await
            .is_empty()
    );

    assert!(sim.inspect().calendar(ROOM_A).is_empty());
    assert_clean(sim);
}

#[tokio::test]
async fn sim_basic_booking_lifecycle() {
    let sim = start(small_tenant()).await;
    booking(&sim, &basic_client(&sim, SVC, SVC_PASSWORD)).await;
}

#[tokio::test]
async fn sim_oauth_booking_lifecycle() {
    let sim = start(small_tenant()).await;
    booking(&sim, &oauth_client(&sim, APP)).await;
}

// ---------------------------------------------------------------------------------------
// SyncFolderItems with paging

async fn sync_paging<C: CredentialProvider>(sim: &SimulatorHandle, client: &EwsClient<C>) {
    let alice = act_as(ALICE);
    let mut ids = Vec::new();
    for n in 0..5 {
        let id = client
            .call(
                Some(&alice),
                &meeting(
                    &format!("Meeting {n}"),
                    ROOM_B,
                    tomorrow(8 + n),
                    30,
                    &format!("uid-sync-{n}"),
                ),
            )
            .await
            .unwrap()
            .item_id
            .unwrap();
        ids.push(id);
    }
    let mut request = SyncFolderItems {
        folder: FolderId::calendar(Some(ALICE)),
        shape: ItemShape::calendar(),
        sync_state: None,
        max_changes: 2,
    };
    let mut pages = Vec::new();
    let mut uids = Vec::new();
    loop {
        let page = client.call(Some(&alice), &request).await.unwrap();
        assert!(page.changes.len() <= 2);
        pages.push((page.changes.len(), page.includes_last_item_in_range));
        for c in &page.changes {
            match c {
                SyncChange::Created(item) => uids.push(item.uid.clone().unwrap()),
                other => panic!("expected creations only, got {other:?}"),
            }
        }
        request.sync_state = Some(page.sync_state);
        if page.includes_last_item_in_range {
            break;
        }
    }
    assert_eq!(pages, [(2, false), (2, false), (1, true)]);
    uids.sort();
    assert_eq!(
        uids,
        (0..5).map(|n| format!("uid-sync-{n}")).collect::<Vec<_>>()
    );

    // Nothing new, then one update and one deletion.
    let page = client.call(Some(&alice), &request).await.unwrap();
    assert!(page.changes.is_empty() && page.includes_last_item_in_range);
    request.sync_state = Some(page.sync_state);
    client
        .call(
            Some(&alice),
            &UpdateMeeting {
                item: ids[1].clone(),
                subject: Some("Renamed".into()),
                send: SendUpdates::SendToAllAndSaveCopy,
                ..UpdateMeeting::default()
            },
        )
        .await
        .unwrap();
    client
        .call(
            Some(&alice),
            &CancelCalendarItem {
                item: ids[2].clone(),
                message: None,
            },
        )
        .await
        .unwrap();
    let page = client.call(Some(&alice), &request).await.unwrap();
    assert_eq!(page.changes.len(), 2, "{:?}", page.changes);
    assert!(
        page.changes.iter().any(
            |c| matches!(c, SyncChange::Updated(i) if i.subject.as_deref() == Some("Renamed"))
        )
    );
    assert!(
        page.changes
            .iter()
            .any(|c| matches!(c, SyncChange::Deleted(id) if id.id == ids[2].id))
    );

    // A corrupt sync state is an error of the request.
    request.sync_state = Some("bm90IGEgc3luYyBzdGF0ZQ==".into());
    let e = client.call(Some(&alice), &request).await.unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorInvalidSyncStateData)
    );
    assert_eq!(e.classify(), ErrorClass::InvalidRequest);

    // Clean up: every remaining meeting cancelled.
    for id in [&ids[0], &ids[1], &ids[3], &ids[4]] {
        client
            .call(
                Some(&alice),
                &CancelCalendarItem {
                    item: id.clone(),
                    message: None,
                },
            )
            .await
            .unwrap();
    }
    assert!(sim.inspect().calendar(ROOM_B).is_empty());
    assert_clean(sim);
}

#[tokio::test]
async fn sim_basic_sync_folder_items_paging() {
    let sim = start(small_tenant()).await;
    sync_paging(&sim, &basic_client(&sim, SVC, SVC_PASSWORD)).await;
}

#[tokio::test]
async fn sim_oauth_sync_folder_items_paging() {
    let sim = start(small_tenant()).await;
    sync_paging(&sim, &oauth_client(&sim, APP)).await;
}

// ---------------------------------------------------------------------------------------
// GetUserAvailability over more than 100 mailboxes

async fn availability_batches<C: CredentialProvider>(
    sim: &SimulatorHandle,
    client: &EwsClient<C>,
    organiser: &str,
) {
    let who = act_as(organiser);
    let rooms = sim.inspect().room_addresses();
    assert_eq!(rooms.len(), 150);
    // One booking in the 120th room, so the second batch has an event.
    let booked = rooms[120].clone();
    client
        .call(
            Some(&who),
            &meeting("Big", &booked, tomorrow(10), 60, "uid-batch-1"),
        )
        .await
        .unwrap();

    let mut wanted: Vec<MailboxRequest> = rooms.iter().map(MailboxRequest::room).collect();
    wanted.insert(7, MailboxRequest::room("no.such.room@contoso.example"));
    let before = sim.inspect().calls("GetUserAvailability");
    let results = client
        .availability(
            Some(&who),
            &wanted,
            tomorrow(0),
            tomorrow(24),
            FreeBusyViewKind::Detailed,
        )
        .await
        .unwrap();
    assert_eq!(sim.inspect().calls("GetUserAvailability") - before, 2);
    assert_eq!(results.len(), 151);
    let missing = results[7].as_ref().unwrap_err();
    assert_eq!(missing.code, ResponseCode::ErrorMailRecipientNotFound);
    assert_eq!(missing.classify(), ErrorClass::MailboxNotFound);
    for (n, (req, result)) in wanted.iter().zip(&results).enumerate() {
        if n == 7 {
            continue;
        }
        let view = result.as_ref().unwrap();
        let expected = usize::from(req.address == booked);
        assert_eq!(view.events.len(), expected, "{}", req.address);
    }
    let busy = &results[121].as_ref().unwrap().events[0];
    assert_eq!((busy.start, busy.end), (tomorrow(10), tomorrow(11)));
    assert_clean(sim);
}

fn big_tenant() -> TenantSeed {
    apps(demo::tenant(10, 150))
}

#[tokio::test]
async fn sim_basic_availability_of_150_rooms_in_two_calls() {
    let sim = start(big_tenant()).await;
    let client = basic_client(
        &sim,
        demo::DEMO_SERVICE_ACCOUNT,
        demo::DEMO_SERVICE_PASSWORD,
    );
    let organiser = demo_person();
    availability_batches(&sim, &client, &organiser).await;
}

#[tokio::test]
async fn sim_oauth_availability_of_150_rooms_in_two_calls() {
    let sim = start(big_tenant()).await;
    let client = oauth_client(&sim, APP);
    let organiser = demo_person();
    availability_batches(&sim, &client, &organiser).await;
}

/// The first person of the demo tenant who has a mailbox.
fn demo_person() -> String {
    let seed = demo::tenant(10, 0);
    seed.users
        .iter()
        .find(|u| u.has_mailbox)
        .map(|u| u.address.clone())
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Autodiscover

#[tokio::test]
async fn sim_autodiscover_finds_the_ews_url() {
    let sim = start(small_tenant()).await;
    let ad = Autodiscover::new(reqwest::Client::new()).with_candidates(vec![sim.base_url()]);
    let creds = Credentials::Basic {
        username: SVC.into(),
        password: Secret::new(SVC_PASSWORD),
    };
    let found = ad.discover(ALICE, Some(&creds)).await.unwrap();
    assert_eq!(found.ews_url, sim.ews_url());
    assert_eq!(found.method, Method::Json);
    assert_eq!(found.email, ALICE);
    // The discovered URL works.
    let client = EwsClient::new(
        ClientConfig::new(found.ews_url),
        roombook_ews::StaticCredentials(creds.clone()),
    )
    .unwrap();
    client
        .call(Some(&act_as(ALICE)), &GetFolder::calendar_of(ALICE))
        .await
        .unwrap();
    // A user without a mailbox: v2 answers 404 and POX an Autodiscover error.
    let e = ad.discover(CONTRACTOR, Some(&creds)).await.unwrap_err();
    match e {
        Error::Autodiscover { attempts } => {
            assert_eq!(attempts.len(), 2, "{attempts:?}");
            assert!(attempts[0].contains("404"), "{attempts:?}");
            assert!(
                attempts[1].contains("Autodiscover error 500"),
                "{attempts:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_clean(&sim);
}

// ---------------------------------------------------------------------------------------
// Faults: throttling, HTTP 503, dropped connections (with the no-blind-resend rule)

async fn faults<C: CredentialProvider>(
    sim: &SimulatorHandle,
    make_client: impl Fn(ClientConfig) -> EwsClient<C>,
) {
    let client = make_client(config(sim));
    let alice = act_as(ALICE);
    let op = GetFolder::calendar_of(ALICE);
    client.call(Some(&alice), &op).await.unwrap(); // token fetched, connection open
    let inspect = sim.inspect();

    // Every second call is answered ErrorServerBusy with BackOffMilliseconds=150.
    inspect.reset_counts();
    let back_off = Duration::from_millis(150);
    sim.faults().set_throttling(0.5, back_off);
    let started = Instant::now();
    for _ in 0..4 {
        client.call(Some(&alice), &op).await.unwrap();
    }
    let elapsed = started.elapsed();
    sim.faults().clear();
    assert_eq!(inspect.calls("GetFolder"), 4);
    let throttled = inspect.total_requests() - 4;
    assert_eq!(throttled, 3, "calls 2, 3 and 4 are throttled once each");
    assert!(
        elapsed >= back_off * throttled as u32,
        "waited {elapsed:?}, the server asked for {throttled} x {back_off:?}"
    );

    // A back-off that would end after the deadline is not waited for; the error keeps it.
    let mut short = config(sim);
    short.retry.deadline = Duration::from_secs(2);
    let impatient = make_client(short);
    sim.faults().set_throttling(1.0, Duration::from_secs(30));
    let started = Instant::now();
    let e = impatient.call(Some(&alice), &op).await.unwrap_err();
    sim.faults().clear();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(e, Error::RetriesExhausted { attempts: 1, .. }),
        "{e:?}"
    );
    assert_eq!(
        e.classify(),
        ErrorClass::Throttled {
            back_off: Some(Duration::from_secs(30))
        }
    );

    // A throttled CreateItem was not run by the server: it is resent, and books once.
    inspect.reset_counts();
    sim.faults().queue([InjectedFault::Throttle {
        back_off: Duration::from_millis(50),
    }]);
    let throttled_create = client
        .call(
            Some(&alice),
            &meeting("Throttled", ROOM_A, tomorrow(8), 30, "uid-throttled"),
        )
        .await
        .unwrap()
        .item_id
        .unwrap();
    assert_eq!(inspect.total_requests(), 2);
    assert_eq!(inspect.calls("CreateItem"), 1);

    // HTTP 503: idempotent calls are retried with back-off ...
    inspect.reset_counts();
    sim.faults().queue([
        InjectedFault::ServiceUnavailable,
        InjectedFault::ServiceUnavailable,
    ]);
    client.call(Some(&alice), &op).await.unwrap();
    assert_eq!(inspect.total_requests(), 3);
    sim.faults().set_unavailable(1.0);
    let e = client.call(Some(&alice), &op).await.unwrap_err();
    sim.faults().clear();
    assert!(
        matches!(e, Error::RetriesExhausted { attempts: 4, .. }),
        "{e:?}"
    );
    assert_eq!(e.classify(), ErrorClass::Transient);
    // ... and so is a CreateItem: a 503 without a SOAP fault was refused before EWS ran it.
    inspect.reset_counts();
    sim.faults().queue([InjectedFault::ServiceUnavailable]);
    let create = meeting("After 503", ROOM_A, tomorrow(11), 30, "uid-after-503");
    let after_503 = client
        .call(Some(&alice), &create)
        .await
        .unwrap()
        .item_id
        .unwrap();
    assert_eq!(inspect.total_requests(), 2);
    assert_eq!(inspect.calls("CreateItem"), 1);
    let window = (tomorrow(0), tomorrow(24));

    // A dropped connection: a read is retried ...
    inspect.reset_counts();
    sim.faults().queue([InjectedFault::DropConnection]);
    client.call(Some(&alice), &op).await.unwrap();
    assert_eq!(inspect.total_requests(), 2);
    // ... a CreateItem is not: its outcome is unknown, so the caller checks by UID.
    inspect.reset_counts();
    sim.faults().queue([InjectedFault::DropConnection]);
    let create = meeting("After a drop", ROOM_A, tomorrow(12), 30, "uid-after-drop");
    let e = client.call(Some(&alice), &create).await.unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert_eq!(inspect.total_requests(), 1, "CreateItem was resent blindly");
    assert_eq!(inspect.calls("CreateItem"), 0);
    let found = client
        .find_by_uid(Some(&alice), ALICE, "uid-after-drop", window.0, window.1)
        .await
        .unwrap();
    assert!(found.is_empty());
    let after_drop = client
        .call(Some(&alice), &create)
        .await
        .unwrap()
        .item_id
        .unwrap();
    let found = client
        .find_by_uid(Some(&alice), ALICE, "uid-after-drop", window.0, window.1)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        room_answer(&client, ALICE, &after_drop, ROOM_A)
            .await
            .as_deref(),
        Some("Accept")
    );
    assert_eq!(sim.inspect().calendar(ROOM_A).len(), 3);

    for id in [throttled_create, after_503, after_drop] {
        client
            .call(
                Some(&alice),
                &CancelCalendarItem {
                    item: id,
                    message: None,
                },
            )
            .await
            .unwrap();
    }
    assert!(sim.inspect().calendar(ROOM_A).is_empty());
    assert_clean(sim);
}

#[tokio::test]
async fn sim_basic_faults_throttling_503_and_dropped_connections() {
    let sim = start(small_tenant()).await;
    faults(&sim, |c| basic_client_with(c, SVC, SVC_PASSWORD)).await;
}

#[tokio::test]
async fn sim_oauth_faults_throttling_503_and_dropped_connections() {
    let sim = start(small_tenant()).await;
    faults(&sim, |c| oauth_client_with(&sim, c, APP)).await;
}

#[tokio::test]
async fn sim_basic_expired_password_is_an_authentication_error() {
    let sim = start(small_tenant()).await;
    let client = basic_client(&sim, SVC, SVC_PASSWORD);
    let op = GetFolder::calendar_of(ALICE);
    sim.faults().expire_password(SVC, true);
    let before = sim.inspect().total_requests();
    let e = client.call(Some(&act_as(ALICE)), &op).await.unwrap_err();
    assert!(matches!(e, Error::Http { status: 401, .. }), "{e:?}");
    assert_eq!(e.classify(), ErrorClass::Authentication);
    assert_eq!(e.ms_diagnostics_code(), Some(2000003));
    // Basic credentials are not retried after 401.
    assert_eq!(sim.inspect().total_requests() - before, 1);
    // A wrong password is the same class of error.
    let wrong = basic_client(&sim, SVC, "not-the-password");
    sim.faults().expire_password(SVC, false);
    let e = wrong.call(Some(&act_as(ALICE)), &op).await.unwrap_err();
    assert_eq!(e.classify(), ErrorClass::Authentication);
    client.call(Some(&act_as(ALICE)), &op).await.unwrap();
    assert_clean(&sim);
}

#[tokio::test]
async fn sim_oauth_blocked_app_is_a_permission_error() {
    let sim = start(small_tenant()).await;
    let client = oauth_client(&sim, APP);
    let op = GetFolder::calendar_of(ALICE);
    client.call(Some(&act_as(ALICE)), &op).await.unwrap();
    sim.faults().block_app(APP, true);
    let before = sim.inspect().total_requests();
    let e = client.call(Some(&act_as(ALICE)), &op).await.unwrap_err();
    assert!(matches!(e, Error::Http { status: 403, .. }), "{e:?}");
    assert_eq!(e.classify(), ErrorClass::Permission);
    assert_eq!(e.ms_diagnostics_code(), Some(2000010));
    assert_eq!(sim.inspect().total_requests() - before, 1);
    sim.faults().block_app(APP, false);
    client.call(Some(&act_as(ALICE)), &op).await.unwrap();
    assert_clean(&sim);
}

#[tokio::test]
async fn sim_oauth_consent_delay_gives_401_with_diagnostics_2000008() {
    // An app registered without consent; the admin consents while the test runs, and
    // Exchange honours it only after `consent_delay` (its permission cache).
    let seed = small_tenant()
        .app(AppRegistration::new(APP_NEW, "Roombook (new)").with_certificate(&cert_pem().0));
    let mut config = SimulatorConfig::new(seed);
    config.consent_delay = Duration::from_secs(3600);
    let sim = Simulator::start(config).await.unwrap();
    let client = oauth_client(&sim, APP_NEW);
    let op = GetFolder::calendar_of(ALICE);
    for consented in [false, true] {
        if consented {
            sim.grant_consent(APP_NEW);
        }
        let before = sim.inspect().total_requests();
        let e = client.call(Some(&act_as(ALICE)), &op).await.unwrap_err();
        assert!(matches!(e, Error::Http { status: 401, .. }), "{e:?}");
        assert_eq!(e.classify(), ErrorClass::Authentication);
        assert_eq!(
            e.ms_diagnostics_code(),
            Some(2000008),
            "consented: {consented}"
        );
        // One retry with a fresh token, then the error.
        assert_eq!(sim.inspect().total_requests() - before, 2);
    }
    assert_eq!(sim.inspect().calls("GetFolder"), 0);
    assert_clean(&sim);
}

/// The premise of these tests: the simulator refuses a request that breaks the schema, loudly.
#[tokio::test]
async fn sim_a_request_breaking_the_schema_is_refused() {
    /// `GetFolder` without its required `FolderShape`.
    struct Broken;
    impl Operation for Broken {
        const NAME: &'static str = "GetFolder";
        type Response = ();
        fn write_body(&self, w: &mut roombook_ews::xml::XmlWriter) -> Result<(), Error> {
            w.open("m:GetFolder", &[])
                .open("m:FolderIds", &[])
                .empty("t:DistinguishedFolderId", &[("Id", "calendar")])
                .close("m:FolderIds")
                .close("m:GetFolder");
            Ok(())
        }
        fn parse_response(_: &roombook_ews::xml::Element) -> Result<(), Error> {
            Ok(())
        }
    }
    let sim = start(small_tenant()).await;
    let client = basic_client(&sim, SVC, SVC_PASSWORD);
    let e = client
        .call(Some(&act_as(ALICE)), &Broken)
        .await
        .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorSchemaValidation)
    );
    assert_eq!(e.classify(), ErrorClass::InvalidRequest);
    assert_eq!(sim.inspect().schema_violations(), 1);
}
