//! One tab owns a cluster: an exclusive Web Lock named after its database, held until `close()`.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// A held lock. Dropping it (or `release`) lets another tab open the cluster.
pub struct ClusterLock {
    release: Function,
    /// The callback Web Locks runs while granting; kept alive as long as the lock is held.
    _granted: Closure<dyn FnMut(JsValue) -> Promise>,
}

impl ClusterLock {
    pub fn release(&self) {
        let _ = self.release.call0(&JsValue::NULL);
    }
}

impl Drop for ClusterLock {
    fn drop(&mut self) {
        self.release();
    }
}

/// What trying to take the lock gave.
pub enum Acquired {
    Held(ClusterLock),
    /// Another tab (or another `Kafka.open` in this one) owns the cluster.
    Taken,
    /// This browser has no Web Locks: nothing stops a second owner.
    Unsupported,
}

/// Takes the lock `name` if nobody holds it (`navigator.locks.request(name, { ifAvailable: true }, …)`).
pub async fn acquire(name: &str) -> Acquired {
    let locks = Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|n| Reflect::get(&n, &"locks".into()))
        .ok()
        .filter(|l| l.is_object());
    let Some(locks) = locks else { return Acquired::Unsupported };
    let Ok(request) = Reflect::get(&locks, &"request".into()).and_then(|f| f.dyn_into::<Function>()) else {
        return Acquired::Unsupported;
    };

    // The lock is held while the promise the callback returns is pending; resolving `release` ends it.
    let mut release = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let mut answered = None;
    let answer = Promise::new(&mut |resolve, _| answered = Some(resolve));
    let (Some(release), Some(answered)) = (release, answered) else { return Acquired::Unsupported };
    let granted = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |lock: JsValue| {
        let _ = answered.call1(&JsValue::NULL, &(!lock.is_null()).into());
        if lock.is_null() {
            Promise::resolve(&JsValue::UNDEFINED)
        } else {
            held.clone()
        }
    });
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &true.into());
    if request.call3(&locks, &name.into(), &options, granted.as_ref().unchecked_ref()).is_err() {
        return Acquired::Unsupported;
    }
    match JsFuture::from(answer).await {
        Ok(v) if v.as_bool() == Some(true) => Acquired::Held(ClusterLock { release, _granted: granted }),
        _ => Acquired::Taken,
    }
}
