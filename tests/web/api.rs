//! What the browser test binaries share: the entry points JS users call, as one JS object the scenarios in
//! `scenarios.js` take, and the check that turns a scenario's rejection into a test failure.

use franz::web::Kafka;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

type Open = Closure<dyn Fn(JsValue) -> Promise>;
type Connect = Closure<dyn Fn(web_sys::MessagePort, JsValue) -> Promise>;
type Delete = Closure<dyn Fn(String) -> Promise>;

/// `{ open, connect, deleteCluster }`; the closures behind it live as long as this does.
pub struct Api {
    pub object: JsValue,
    _closures: (Open, Connect, Delete),
}

pub fn api() -> Api {
    let open = Open::new(Kafka::open);
    let connect = Connect::new(|p, o| Kafka::connect(p, Some(o)));
    let delete = Delete::new(Kafka::delete_cluster);
    let object = js_sys::Object::new();
    js_sys::Reflect::set(&object, &"open".into(), open.as_ref()).unwrap();
    js_sys::Reflect::set(&object, &"connect".into(), connect.as_ref()).unwrap();
    js_sys::Reflect::set(&object, &"deleteCluster".into(), delete.as_ref()).unwrap();
    Api { object: object.into(), _closures: (open, connect, delete) }
}

/// Fails the test with the scenario's own message.
pub fn ok(result: Result<JsValue, JsValue>) {
    if let Err(e) = result {
        panic!("{}", js_sys::Error::from(e).message());
    }
}
