//! A simulated Microsoft tenant for the tests: Exchange, Entra ID and our app registration, and
//! helpers that sign in and submit forms the way a browser does.

use std::sync::OnceLock;

use roombook_simulator::{
    AppRegistration, GLOBAL_ADMINISTRATOR, MailboxScope, Room, RoomList, ServiceAccount,
    TenantSeed, User,
};

/// Roombook's app registration in the simulated directory.
pub const APP_ID: &str = "3f1c9a52-7d0e-4b8a-9c61-2a5e8d4f7b10";
pub const DOMAIN: &str = "contoso.example";
pub const ADMIN: &str = "alice@contoso.example";
pub const EMPLOYEE: &str = "bob@contoso.example";
/// In the directory, but without a mailbox.
pub const NO_MAILBOX: &str = "contractor@contoso.example";
pub const SERVICE_ACCOUNT: &str = "svc-roombook@contoso.example";
pub const SERVICE_PASSWORD: &str = "Corr3ct-Horse-Battery-Staple!";
pub const ROOMS: [&str; 3] = [
    "room.alpha@contoso.example",
    "room.beta@contoso.example",
    "room.gamma@contoso.example",
];

/// Our certificate and key (PEM, both in one string) and the certificate alone: generated
/// once per test process.
pub fn app_certificate() -> &'static (String, String) {
    static CERT: OnceLock<(String, String)> = OnceLock::new();
    CERT.get_or_init(|| {
        use openssl::{
            asn1::Asn1Time, bn::BigNum, hash::MessageDigest, pkey::PKey, rsa::Rsa, x509::X509,
            x509::X509NameBuilder,
        };
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "Roombook test app")
            .unwrap();
        let name = name.build();
        let mut builder = X509::builder().unwrap();
        builder.set_version(2).unwrap();
        builder
            .set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap())
            .unwrap();
        builder.set_subject_name(&name).unwrap();
        builder.set_issuer_name(&name).unwrap();
        builder.set_pubkey(&key).unwrap();
        builder
            .set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        builder
            .set_not_after(&Asn1Time::days_from_now(365).unwrap())
            .unwrap();
        builder.sign(&key, MessageDigest::sha256()).unwrap();
        let cert = String::from_utf8(builder.build().to_pem().unwrap()).unwrap();
        let key = String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap();
        (format!("{cert}{key}"), cert)
    })
}

/// The tests' tenant: an admin and an employee with mailboxes, a contractor without one,
/// three rooms in two room lists, an impersonating service account, and our app (not
/// consented: the consent tests give it).
pub fn seed() -> TenantSeed {
    TenantSeed::new(DOMAIN)
        // Alice runs the directory: her sign-in proves she may set Roombook up.
        .user(User::new(ADMIN, "Alice Admin").with_directory_role(GLOBAL_ADMINISTRATOR))
        .user(User::new(EMPLOYEE, "Bob Employee"))
        .user(User::new(NO_MAILBOX, "Casey Contractor").without_mailbox())
        .room(Room::new(ROOMS[0], "Alpha", 8).in_building("HQ", 1))
        .room(Room::new(ROOMS[1], "Beta", 4).in_building("HQ", 2))
        .room(Room::new(ROOMS[2], "Gamma", 12).in_building("Annex", 0))
        .room_list(RoomList::new(
            "hq-rooms@contoso.example",
            "HQ",
            &[ROOMS[0], ROOMS[1]],
        ))
        .room_list(RoomList::new(
            "annex-rooms@contoso.example",
            "Annex",
            &[ROOMS[2]],
        ))
        .service_account(
            ServiceAccount::new(SERVICE_ACCOUNT, SERVICE_PASSWORD)
                .with_impersonation(MailboxScope::All),
        )
}

/// Our app registration, with the redirect URIs of an app listening at `address`.
pub fn app_registration(address: &str) -> AppRegistration {
    AppRegistration::new(APP_ID, "Roombook")
        .with_certificate(&app_certificate().1)
        .with_redirect_uri(&format!("{address}/auth/callback"))
        .with_redirect_uri(&format!("{address}/admin/consent/callback"))
}

/// The value of the first hidden `csrf` field in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\"")?;
    let rest = &html[at..];
    let start = rest.find("value=\"")? + "value=\"".len();
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_owned()).filter(|v| !v.is_empty())
}
