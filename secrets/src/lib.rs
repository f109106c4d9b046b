//! The secret store: one interface, two backends (Azure Key Vault, an encrypted local vault).
//! The database keeps only a secret's name and version; the value lives here.

pub use roombook_ews::Secret;
