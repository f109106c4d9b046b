//! The Roombook web app.
//!
//! One crate, two builds: with `ssr` it is linked into the server, which renders every page to
//! HTML (pages work without JavaScript); with `hydrate` it is compiled to wasm and takes over the
//! server-rendered page in the browser. Server functions (`api`) are the only way the pages reach
//! data; on the server they call the [`ssr::Services`] port, which the server crate implements.

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod flash;
pub mod layouts;
mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use app::{App, shell};

/// Entry point of the wasm bundle: hydrate the server-rendered body.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // A mark that the wasm ran to the end: the browser tests wait for it, and a broken bundle
    // (wrong wasm-opt, mismatched wasm-bindgen) never sets it.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
