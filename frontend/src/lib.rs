//! The Roombook web app.
//!
//! One crate, two builds: with `ssr` it is linked into the server, which renders every page to
//! HTML (pages work without JavaScript); with `hydrate` it is compiled to wasm for the
//! *islands*, the few parts of a page that react in the browser (the live filters of the room
//! list, the finder and the day view; the attendee suggestions). Everything else is HTML from
//! the server and sends no code: that keeps an employee's first load small (see the README's
//! page weights), and every link and form is an ordinary page load. Server functions (`api`)
//! are the only way the pages reach data; on the server they call the [`ssr::Services`] port,
//! which the server crate implements.

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod flash;
pub mod layouts;
mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod viewer;

pub use app::{App, shell};

/// Entry point of the wasm bundle, called by Leptos's island script before it hydrates each
/// island on the page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // A mark that the wasm ran to the end and the islands are live: the browser tests wait for
    // it, and a broken bundle (wrong wasm-opt, mismatched wasm-bindgen) never sets it. The
    // island script hydrates the islands right after this call, without yielding to the event
    // loop, so a zero timeout runs once they are done.
    leptos::prelude::set_timeout(
        || {
            if let Some(root) = leptos::prelude::document().document_element() {
                let _ = root.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
