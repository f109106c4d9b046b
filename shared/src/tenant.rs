//! What the admin overview shows about an organisation.

use serde::{Deserialize, Serialize};

/// The state of a tenant's connection to Exchange, as an admin needs to read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectionState {
    /// No Exchange connection has been set up yet.
    NotConnected,
    /// The last check against Exchange succeeded.
    Healthy { last_success: String },
    /// The last check failed; `problem` is written for the admin to act on.
    Failing { problem: String, since: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantOverview {
    pub tenant_name: String,
    pub connection: ConnectionState,
    pub rooms_active: u32,
    pub rooms_inactive: u32,
}
