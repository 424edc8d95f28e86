//! The browser shell: what JavaScript sees of franz. Thin by design; every decision is made in the core.

use wasm_bindgen::prelude::*;

/// franz's version, from Cargo.toml.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
