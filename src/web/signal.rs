//! Waiting inside the wasm module without a JS promise. Awaiting a JS promise costs two JS closures and their
//! finalizer registrations (wasm-bindgen-futures), and every request and every long poll waits: a third of a
//! worker's garbage per record. A `Signal` wakes Rust wakers instead, and every `Timeout` of a thread shares
//! one `setTimeout` callback.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use js_sys::Function;
use wasm_bindgen::prelude::*;

/// Something to wait for: `notify` ends every wait begun before it.
#[derive(Default)]
pub struct Signal {
    notified: Cell<u64>,
    wakers: RefCell<Vec<Waker>>,
}

impl Signal {
    pub fn notify(&self) {
        self.notified.set(self.notified.get() + 1);
        for waker in self.wakers.take() {
            waker.wake();
        }
    }

    /// Until the next `notify`, or `timeout_ms`, whichever is first.
    pub fn wait(&self, timeout_ms: u32) -> Wait<'_> {
        Wait { signal: self, seen: self.notified.get(), timeout: Timeout::start(timeout_ms), waker: None }
    }
}

pub struct Wait<'a> {
    signal: &'a Signal,
    seen: u64,
    timeout: Timeout,
    /// The waker this wait left with the signal, taken back when it ends (a timed-out long poll must not leave
    /// one behind per timeout).
    waker: Option<Waker>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.signal.notified.get() != self.seen || Pin::new(&mut self.timeout).poll(cx).is_ready() {
            return Poll::Ready(());
        }
        let mut wakers = self.signal.wakers.borrow_mut();
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        drop(wakers);
        self.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(mine) = self.waker.take() {
            self.signal.wakers.borrow_mut().retain(|w| !w.will_wake(&mine));
        }
    }
}

enum Slot {
    Waiting(Option<Waker>),
    Fired,
}

struct Timers {
    next_id: Cell<u32>,
    slots: RefCell<HashMap<u32, Slot>>,
    /// `setTimeout(fire, ms, id)`: the one callback of every timeout.
    fire: Closure<dyn Fn(u32)>,
    set_timeout: Function,
    clear_timeout: Function,
}

thread_local! {
    static TIMERS: Timers = Timers {
        next_id: Cell::new(0),
        slots: RefCell::default(),
        fire: Closure::new(|id: u32| {
            let waker = TIMERS.with(|t| match t.slots.borrow_mut().get_mut(&id) {
                Some(slot) => match std::mem::replace(slot, Slot::Fired) {
                    Slot::Waiting(waker) => waker,
                    Slot::Fired => None,
                },
                None => None,
            });
            if let Some(waker) = waker {
                waker.wake();
            }
        }),
        set_timeout: global_function("setTimeout"),
        clear_timeout: global_function("clearTimeout"),
    };
}

fn global_function(name: &str) -> Function {
    super::js::get_dyn(&js_sys::global(), name).unchecked_into()
}

/// Ready `ms` after it starts; cleared when dropped, so that a wait that ended early leaves no timer to wake the
/// thread for nothing.
pub struct Timeout {
    id: u32,
    handle: JsValue,
}

impl Timeout {
    pub fn start(ms: u32) -> Timeout {
        TIMERS.with(|t| {
            let id = t.next_id.get();
            t.next_id.set(id.wrapping_add(1));
            t.slots.borrow_mut().insert(id, Slot::Waiting(None));
            let fire: &Function = t.fire.as_ref().unchecked_ref();
            let handle = t.set_timeout.call3(&js_sys::global(), fire, &ms.into(), &id.into()).unwrap_or_default();
            Timeout { id, handle }
        })
    }
}

impl Future for Timeout {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        TIMERS.with(|t| match t.slots.borrow_mut().get_mut(&self.id) {
            Some(Slot::Waiting(waker)) => {
                *waker = Some(cx.waker().clone());
                Poll::Pending
            }
            _ => Poll::Ready(()),
        })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        TIMERS.with(|t| {
            if let Some(Slot::Waiting(_)) = t.slots.borrow_mut().remove(&self.id) {
                let _ = t.clear_timeout.call1(&js_sys::global(), &self.handle);
            }
        });
    }
}

/// `setTimeout(callback, ms)`, for a callback that is JS already.
pub fn set_timeout(callback: &Function, ms: u32) {
    TIMERS.with(|t| {
        let _ = t.set_timeout.call2(&js_sys::global(), callback, &ms.into());
    });
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use std::rc::Rc;

    use wasm_bindgen_test::*;

    use super::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn now() -> f64 {
        js_sys::Date::now()
    }

    #[wasm_bindgen_test]
    async fn a_notify_ends_a_wait_before_its_timeout() {
        let signal = Rc::new(Signal::default());
        let notifier = signal.clone();
        wasm_bindgen_futures::spawn_local(async move {
            Timeout::start(20).await;
            notifier.notify();
        });
        let started = now();
        signal.wait(5_000).await;
        assert!(now() - started < 2_000.0, "woken by the notify, not the timeout");
        assert!(signal.wakers.borrow().is_empty());
    }

    #[wasm_bindgen_test]
    async fn a_wait_nobody_notifies_ends_at_its_timeout_and_leaves_nothing_behind() {
        let signal = Signal::default();
        let started = now();
        signal.wait(50).await;
        assert!(now() - started >= 45.0, "waited its timeout");
        assert!(signal.wakers.borrow().is_empty(), "a timed-out wait takes its waker back");
        TIMERS.with(|t| assert!(t.slots.borrow().is_empty(), "and its timer"));
    }
}
