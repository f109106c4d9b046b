//! Which mailbox a signed-in person acts as.
//!
//! Nothing in an id_token is authoritative for a mailbox: `preferred_username` is mutable,
//! `email` may be unverified, and an organisation can point Roombook at a provider of its own
//! choosing. The address a token asserts is therefore only a candidate, and Roombook acts as
//! the mailbox the organisation's directory names for it:
//! - Through the server's provider (Entra ID) the token comes from the organisation's own
//!   directory (its `tid` is the organisation's), and the person is keyed by object id. Its
//!   address is resolved in Exchange to the mailbox's primary address when the organisation
//!   is connected; before that, or without an answer, the directory's address stands.
//! - Through an organisation's own provider the candidate must be in the organisation's
//!   domains (those of its room mailboxes and of the mailbox its connection checks, all
//!   confirmed by Exchange) and Exchange must confirm a mailbox for it; otherwise the
//!   sign-in is refused.
//! - Either way, an address that is already another person's (another subject) in the
//!   organisation is refused by the store ([`roombook_core::ports::storage::UserStore::admit_user`]).

use std::time::Duration;

use crate::telemetry::error_chain;
use roombook_core::booking::Bookings;
use roombook_core::domain::Tenant;
use roombook_core::ports::storage::Store;

/// How long a sign-in waits for Exchange to confirm a mailbox.
const LOOKUP_BUDGET: Duration = Duration::from_secs(10);

/// Why a sign-in cannot act as the address its provider asserted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailboxRefusal {
    #[error("the provider asserted no usable address")]
    NoAddress,
    #[error("{0} is not in the organisation's domains ({1})")]
    OutsideOrganisation(String, String),
    #[error("Exchange knows no mailbox {0}")]
    NotAMailbox(String),
    #[error("Exchange could not confirm the mailbox {0} now")]
    Unconfirmed(String),
}

impl MailboxRefusal {
    /// The sign-in page's code for it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unconfirmed(_) => "unreachable",
            _ => "mailbox_elsewhere",
        }
    }
}

/// A candidate's domain, if it has the shape of an address.
fn domain_of(address: &str) -> Option<&str> {
    let (local, domain) = address.rsplit_once('@')?;
    let plausible = !local.is_empty()
        && !domain.is_empty()
        && address.len() <= 254
        && !address.chars().any(|c| c.is_whitespace() || c.is_control());
    plausible.then_some(domain)
}

/// The mailbox the person acts as, from the address `candidate` their provider asserted.
pub async fn mailbox_for(
    store: &dyn Store,
    bookings: &Bookings,
    tenant: &Tenant,
    candidate: &str,
    through_own_provider: bool,
) -> Result<String, MailboxRefusal> {
    let candidate = candidate.trim().to_lowercase();
    let Some(domain) = domain_of(&candidate) else {
        return Err(MailboxRefusal::NoAddress);
    };
    if through_own_provider {
        let domains = organisation_domains(store, tenant).await;
        if !domains.iter().any(|d| d == domain) {
            return Err(MailboxRefusal::OutsideOrganisation(
                candidate.clone(),
                domains.join(", "),
            ));
        }
    }
    // A sign-in does not wait long for a slow Exchange (the look-up's retries could take
    // a minute): past this, it counts as no answer.
    let answer = tokio::time::timeout(
        LOOKUP_BUDGET,
        bookings.directory_mailbox(tenant.id, &candidate),
    )
    .await
    .unwrap_or_else(|_| Err(roombook_core::booking::BookingError::TimedOut));
    match answer {
        Ok(Some(primary)) => Ok(primary),
        Ok(None) if through_own_provider => Err(MailboxRefusal::NotAMailbox(candidate)),
        // The organisation's directory named this address; Exchange has no mailbox for it
        // (a mail user, say): bookings will say so.
        Ok(None) => Ok(candidate),
        Err(e) if through_own_provider => {
            tracing::warn!(error = %error_chain(&e), "cannot confirm a mailbox at sign-in");
            Err(MailboxRefusal::Unconfirmed(candidate))
        }
        // Not connected yet (a new organisation's first admin), or Exchange did not answer.
        Err(_) => Ok(candidate),
    }
}

/// The organisation's domains as Exchange confirmed them: those of its room mailboxes (read
/// from Exchange's room lists) and of the mailbox its connection's check opened.
async fn organisation_domains(store: &dyn Store, tenant: &Tenant) -> Vec<String> {
    let mut domains: Vec<String> = Vec::new();
    let mut add = |address: &str| {
        if let Some(d) = domain_of(&address.trim().to_lowercase())
            && !domains.iter().any(|known| known == d)
        {
            domains.push(d.to_owned());
        }
    };
    if let Ok(Some(connection)) = store.connection(tenant.id).await
        && connection.last_success_at.is_some()
    {
        add(&connection.check_address);
    }
    for room in store.all_rooms(tenant.id).await.unwrap_or_default() {
        add(&room.email);
    }
    domains
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_address_shapes_have_a_domain() {
        assert_eq!(domain_of("ada@contoso.example"), Some("contoso.example"));
        assert_eq!(domain_of("a@b@contoso.example"), Some("contoso.example"));
        for bad in [
            "",
            "ada",
            "@contoso.example",
            "ada@",
            "ada @contoso.example",
            "a\n@b.c",
        ] {
            assert_eq!(domain_of(bad), None, "{bad:?}");
        }
        assert_eq!(domain_of(&format!("{}@b.c", "a".repeat(260))), None);
    }
}
