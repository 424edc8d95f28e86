//! What the browser test binaries share: the entry points JS users call, as one JS object the scenarios in
//! `scenarios.js` take, and the check that turns a scenario's rejection into a test failure.
//!
//! Keep each test binary to at most four JS files, counting franz's `pack.js` and `check.js`
//! (`tests/browser_test_pages.rs` checks it). The page imports them all at once, and Chrome opens about one
//! connection per file to the test runner's server, tiny_http 0.12. Its pool starts four threads and can lose a
//! connection that comes while the threads it woke have not run yet. The lost one is never answered, since each
//! of Chrome's keep-alive connections holds a thread for good, and the page never loads. Six files (five
//! connections) hung it in three of four runs on a busy machine here; four leave a thread to spare.

use franz::web::{Cli, Kafka};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

// The scenario files import their shared checks from check.js; naming it here makes wasm-bindgen ship it beside
// them (it copies only the JS files Rust names).
#[wasm_bindgen(module = "/tests/web/check.js")]
extern "C" {
    #[allow(dead_code)]
    #[wasm_bindgen(js_name = check)]
    fn shipped_with_the_scenarios(cond: bool, what: &str);
}

type Open = Closure<dyn Fn(JsValue) -> Promise>;
type Connect = Closure<dyn Fn(web_sys::MessagePort, JsValue) -> Promise>;
type Delete = Closure<dyn Fn(String) -> Promise>;

/// `{ open, connect, deleteCluster, openCli }`; the closures behind it live as long as this does.
pub struct Api {
    pub object: JsValue,
    _closures: (Open, Connect, Delete, Open),
}

pub fn api() -> Api {
    let open = Open::new(Kafka::open);
    let connect = Connect::new(|p, o| Kafka::connect(p, Some(o)));
    let delete = Delete::new(Kafka::delete_cluster);
    let open_cli = Open::new(|config| Cli::open(Some(config)));
    let object = js_sys::Object::new();
    js_sys::Reflect::set(&object, &"open".into(), open.as_ref()).unwrap();
    js_sys::Reflect::set(&object, &"connect".into(), connect.as_ref()).unwrap();
    js_sys::Reflect::set(&object, &"deleteCluster".into(), delete.as_ref()).unwrap();
    js_sys::Reflect::set(&object, &"openCli".into(), open_cli.as_ref()).unwrap();
    Api { object: object.into(), _closures: (open, connect, delete, open_cli) }
}

/// Fails the test with the scenario's own message.
pub fn ok(result: Result<JsValue, JsValue>) {
    if let Err(e) = result {
        panic!("{}", js_sys::Error::from(e).message());
    }
}
