//! Who is signed in: loaded once per page, shared through context with the shell and the pages
//! (its own module, so the pieces that ask need not depend on the route tree in `app`).

use leptos::prelude::*;
use roombook_shared::Viewer;

use crate::api::get_viewer;

/// The signed-in person (or `None`), loaded once per page.
#[derive(Clone, Copy)]
struct ViewerResource(Resource<Option<Viewer>>);

/// Loads the viewer for this page; [`App`](crate::App) calls it once.
pub fn provide_viewer() {
    let viewer = Resource::new(|| (), |_| async { get_viewer().await.ok().flatten() });
    provide_context(ViewerResource(viewer));
}

/// The viewer resource of the page.
pub fn use_viewer() -> Resource<Option<Viewer>> {
    expect_context::<ViewerResource>().0
}
