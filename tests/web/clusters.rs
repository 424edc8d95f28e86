//! The clusters the JS API scenarios run against, for the test binaries that run each scenario both ways: a
//! cluster opened in the page, and one served on a MessagePort and reached through `Kafka.connect(port)`.

use franz::web::Kafka;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/tests/web/host.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = connectedPair)]
    async fn connected_pair(open: &JsValue, connect: &JsValue, cluster: &str) -> Result<JsValue, JsValue>;
}

/// A 3-broker in-memory cluster opened in the page.
pub async fn open(cluster: &str) -> JsValue {
    let config =
        js_sys::JSON::parse(&format!(r#"{{"cluster":"{cluster}","brokers":3,"storage":"memory","seed":7}}"#)).unwrap();
    JsFuture::from(Kafka::open(config)).await.expect("Kafka.open")
}

/// A client of such a cluster, served on a MessagePort.
pub async fn remote(cluster: &str) -> JsValue {
    let open = Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(Kafka::open);
    let connect = Closure::<dyn Fn(web_sys::MessagePort) -> js_sys::Promise>::new(|p| Kafka::connect(p, None));
    let pair = connected_pair(open.as_ref(), connect.as_ref(), cluster).await.expect("a connected pair");
    js_sys::Reflect::get(&pair, &"client".into()).unwrap()
}
