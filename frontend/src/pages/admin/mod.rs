//! The admin pages: overview, the connection wizard (choose, details, check), rooms, people,
//! audit log. Forms post to the server's `/admin/…` handlers, which answer with a redirect back
//! here (post/redirect/get): everything works without JavaScript.

mod audit;
mod connect_choose;
mod connect_online;
mod connect_onprem;
mod connect_status;
mod overview;
mod people;
mod rooms;

pub use audit::AuditPage;
pub use connect_choose::ConnectChoosePage;
pub use connect_online::ConnectOnlinePage;
pub use connect_onprem::ConnectOnPremPage;
pub use connect_status::ConnectStatusPage;
pub use overview::AdminPage;
pub use people::PeoplePage;
pub use rooms::AdminRoomsPage;

use leptos::prelude::*;

#[component]
pub(crate) fn Commands(commands: Vec<String>) -> impl IntoView {
    (!commands.is_empty()).then(|| {
        view! { <pre class="commands"><code>{commands.join("\n")}</code></pre> }
    })
}
