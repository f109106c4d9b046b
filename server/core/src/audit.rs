//! Writing the audit log: every admin action, and what Roombook did by itself.

use chrono::Utc;

use crate::domain::{AuditEntry, AuditId, TenantId, UserId};
use crate::error_chain;
use crate::ports::storage::Store;

/// Records an action. A failure to write is logged, not returned: the action itself has
/// already happened and must not be reported as failed.
pub async fn record(
    store: &dyn Store,
    tenant: TenantId,
    actor: Option<UserId>,
    action: &str,
    target: &str,
    detail: String,
) {
    let entry = AuditEntry {
        id: AuditId::new(),
        tenant_id: tenant,
        actor,
        action: action.into(),
        target: target.into(),
        detail,
        at: Utc::now(),
    };
    if let Err(e) = store.record(&entry).await {
        tracing::error!(error = %error_chain(&e), action, "cannot write the audit log");
    }
}
