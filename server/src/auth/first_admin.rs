//! Who may become an organisation's first admin.
//!
//! Arriving first proves nothing, so a person becomes the first admin of an organisation that
//! has none only with a proof the operator trusts: an Entra ID directory role that already
//! runs the organisation, named in the id_token's `wids` claim, or an address the operator
//! approved in `auth.first_admins`. Both count only for sign-ins through the server's own
//! provider: an organisation's own provider is configured by that organisation, so what it
//! asserts about roles or addresses vouches for nothing. Everyone else waits until an admin
//! exists; the store applies the rule atomically ([`roombook_core::ports::storage::UserStore::admit_user`]).

use super::oidc::IdClaims;

/// Entra ID built-in roles (role template ids, the same in every directory) whose holders may
/// set Roombook up for their organisation.
/// <https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference>
pub const SETUP_ROLES: [(&str, &str); 3] = [
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "Exchange Administrator",
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
];

/// How a sign-in proves that its person may be a new organisation's first admin, if it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    /// The id_token names this directory role.
    DirectoryRole(&'static str),
    /// The operator named the address in `auth.first_admins`.
    ApprovedAddress,
}

impl Proof {
    /// For the audit log.
    pub fn describe(self) -> String {
        match self {
            Self::DirectoryRole(role) => format!("Entra ID role {role}"),
            Self::ApprovedAddress => "approved by the operator (auth.first_admins)".into(),
        }
    }
}

/// The proof this sign-in carries. `through_server_provider` is false for an organisation's
/// own provider, whose claims prove nothing here.
pub fn proof(
    claims: &IdClaims,
    approved: &[String],
    through_server_provider: bool,
) -> Option<Proof> {
    if !through_server_provider {
        return None;
    }
    let role = SETUP_ROLES.iter().find(|(id, _)| {
        claims
            .directory_roles
            .iter()
            .any(|w| w.trim().eq_ignore_ascii_case(id))
    });
    if let Some((_, name)) = role {
        return Some(Proof::DirectoryRole(name));
    }
    let address = claims.username.trim().to_lowercase();
    (!address.is_empty() && approved.contains(&address)).then_some(Proof::ApprovedAddress)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(username: &str, roles: &[&str]) -> IdClaims {
        IdClaims {
            issuer: "https://login.example/t/v2.0".into(),
            directory_id: "t".into(),
            subject: "oid".into(),
            username: username.into(),
            name: "N".into(),
            directory_roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn a_setup_role_or_an_approved_address_proves_it_and_nothing_else_does() {
        let approved = vec!["ops@contoso.example".to_owned()];
        assert_eq!(
            proof(
                &claims(
                    "a@contoso.example",
                    &["62E90394-69F5-4237-9190-012177145E10"]
                ),
                &[],
                true
            ),
            Some(Proof::DirectoryRole("Global Administrator"))
        );
        assert_eq!(
            proof(
                &claims(
                    "a@contoso.example",
                    &["29232cdf-9323-42fd-ade2-1d097af3e4de"]
                ),
                &[],
                true
            ),
            Some(Proof::DirectoryRole("Exchange Administrator"))
        );
        assert_eq!(
            proof(&claims(" Ops@Contoso.example ", &[]), &approved, true),
            Some(Proof::ApprovedAddress)
        );
        // Other roles (User Administrator, Directory Readers), other addresses, nothing.
        for roles in [
            &["fe930be7-5e62-47db-91af-98c3a49a38b1"][..],
            &["88d8e3e3-8f55-4a1e-953a-9b9898b8876b"][..],
            &[][..],
        ] {
            assert_eq!(
                proof(&claims("a@contoso.example", roles), &approved, true),
                None
            );
        }
        assert_eq!(proof(&claims("", &[]), &["".into()], true), None);
        // An organisation's own provider proves nothing, whatever it asserts.
        assert_eq!(
            proof(
                &claims(
                    "ops@contoso.example",
                    &["62e90394-69f5-4237-9190-012177145e10"]
                ),
                &approved,
                false
            ),
            None
        );
    }
}
