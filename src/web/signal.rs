//! Waiting inside the wasm module without a JS promise. Awaiting a JS promise costs two JS closures and their
//! finalizer registrations (wasm-bindgen-futures), and every request and every long poll waits: a third of a
//! worker's garbage per record. A `Signal` wakes Rust wakers instead, and the `Timeout`s of a thread share one JS
//! timer.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
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
    Waiting { deadline: u64, waker: Option<Waker> },
    Fired,
}

/// Every timeout of a thread, served by at most one JS timer, armed for the earliest deadline. Starting a timeout
/// that ends later than that one calls nothing in JS: a request's timeout, started and dropped with every request,
/// cost a `setTimeout` and a `clearTimeout` each (~20 µs a request, measured).
struct Timers {
    next_id: Cell<u32>,
    slots: RefCell<HashMap<u32, Slot>>,
    /// Waiting timeouts by deadline (ms since the epoch).
    queue: RefCell<BTreeSet<(u64, u32)>>,
    /// The JS timer's deadline and handle, when one is set.
    armed: Cell<Option<u64>>,
    handle: RefCell<JsValue>,
    fire: Closure<dyn Fn()>,
    set_timeout: Function,
    clear_timeout: Function,
}

thread_local! {
    static TIMERS: Timers = Timers {
        next_id: Cell::new(0),
        slots: RefCell::default(),
        queue: RefCell::default(),
        armed: Cell::new(None),
        handle: RefCell::new(JsValue::UNDEFINED),
        fire: Closure::new(|| {
            let wakers = TIMERS.with(|t| {
                t.armed.set(None);
                let wakers = t.fire_due(now_ms());
                t.arm_earliest();
                wakers
            });
            wakers.into_iter().for_each(Waker::wake);
        }),
        set_timeout: global_function("setTimeout"),
        clear_timeout: global_function("clearTimeout"),
    };
}

fn global_function(name: &str) -> Function {
    global(name).unchecked_into()
}

fn global(name: &str) -> JsValue {
    super::js::get_dyn(&js_sys::global(), name)
}

fn now_ms() -> u64 {
    monotonic_ms() as u64
}

thread_local! {
    static PERFORMANCE: web_sys::Performance = global("performance").unchecked_into();
}

/// Milliseconds on the page's monotonic clock, `performance.now()`: timeouts and intervals are measured on it,
/// as `setTimeout` is, since the wall clock (`Date.now()`) can step while one runs.
pub fn monotonic_ms() -> f64 {
    PERFORMANCE.with(web_sys::Performance::now)
}

impl Timers {
    /// Marks every timeout due by `now` fired, and hands back the wakers of those being awaited.
    fn fire_due(&self, now: u64) -> Vec<Waker> {
        let mut queue = self.queue.borrow_mut();
        let mut slots = self.slots.borrow_mut();
        let mut wakers = Vec::new();
        while let Some(&(deadline, id)) = queue.first() {
            if deadline > now {
                break;
            }
            queue.pop_first();
            if let Some(Slot::Waiting { waker, .. }) = slots.insert(id, Slot::Fired) {
                wakers.extend(waker);
            }
        }
        wakers
    }

    /// Sets the JS timer for the earliest deadline, unless it is set for that or earlier already.
    fn arm_earliest(&self) {
        let Some(&(deadline, _)) = self.queue.borrow().first() else { return };
        if self.armed.get().is_some_and(|at| at <= deadline) {
            return;
        }
        self.disarm();
        let ms = deadline.saturating_sub(now_ms()) as f64;
        let fire: &Function = self.fire.as_ref().unchecked_ref();
        let handle = self.set_timeout.call2(&js_sys::global(), fire, &ms.into()).unwrap_or_default();
        self.handle.replace(handle);
        self.armed.set(Some(deadline));
    }

    fn disarm(&self) {
        if self.armed.take().is_some() {
            let _ = self.clear_timeout.call1(&js_sys::global(), &self.handle.borrow());
        }
    }
}

/// Ready `ms` after it starts. Dropped before then, it is forgotten, and when no timeout is left the JS timer is
/// cleared, so that waits that ended early leave nothing to wake the thread for.
pub struct Timeout {
    id: u32,
}

impl Timeout {
    pub fn start(ms: u32) -> Timeout {
        TIMERS.with(|t| {
            let id = t.next_id.get();
            t.next_id.set(id.wrapping_add(1));
            let deadline = now_ms() + u64::from(ms);
            t.slots.borrow_mut().insert(id, Slot::Waiting { deadline, waker: None });
            t.queue.borrow_mut().insert((deadline, id));
            t.arm_earliest();
            Timeout { id }
        })
    }
}

impl Future for Timeout {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        TIMERS.with(|t| match t.slots.borrow_mut().get_mut(&self.id) {
            Some(Slot::Waiting { waker, .. }) => {
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
            if let Some(Slot::Waiting { deadline, .. }) = t.slots.borrow_mut().remove(&self.id) {
                t.queue.borrow_mut().remove(&(deadline, self.id));
            }
            if t.queue.borrow().is_empty() {
                t.disarm();
            }
        });
    }
}

/// Lets every task woken before this one run first: the executor queues a woken task behind those already
/// queued.
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[wasm_bindgen(module = "/src/web/js/pack.js")]
extern "C" {
    #[wasm_bindgen(js_name = settleWith)]
    fn settle_with(value: &JsValue, id: u32, callback: &Function);
}

enum Settlement {
    Waiting(Option<Waker>),
    Done(Result<JsValue, JsValue>),
}

/// Every JS promise a thread awaits settles through one callback, into a slot its future polls.
struct Promises {
    next_id: Cell<u32>,
    slots: RefCell<HashMap<u32, Settlement>>,
    settle: Closure<dyn Fn(u32, bool, JsValue)>,
}

thread_local! {
    static PROMISES: Promises = Promises {
        next_id: Cell::new(0),
        slots: RefCell::default(),
        settle: Closure::new(|id: u32, ok: bool, value: JsValue| {
            let result = if ok { Ok(value) } else { Err(value) };
            let waker = PROMISES.with(|p| match p.slots.borrow_mut().get_mut(&id) {
                Some(slot) => match std::mem::replace(slot, Settlement::Done(result)) {
                    Settlement::Waiting(waker) => waker,
                    Settlement::Done(_) => None,
                },
                None => None,
            });
            if let Some(waker) = waker {
                waker.wake();
            }
        }),
    };
}

/// What `value` settles to, as `await value` gives it in JS (a promise's outcome, or the value itself). Awaiting
/// through wasm-bindgen-futures' `JsFuture` makes two wasm closures and registers their finalizers each time;
/// this makes two small JS functions. Every IndexedDB request and transaction is awaited so, and a consumer's
/// handler for every batch.
pub fn settled(value: &JsValue) -> Settled {
    PROMISES.with(|p| {
        let id = p.next_id.get();
        p.next_id.set(id.wrapping_add(1));
        p.slots.borrow_mut().insert(id, Settlement::Waiting(None));
        settle_with(value, id, p.settle.as_ref().unchecked_ref());
        Settled { id }
    })
}

/// The future of [`settled`]. Dropped before the promise settles, it forgets its slot.
pub struct Settled {
    id: u32,
}

impl Future for Settled {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        PROMISES.with(|p| {
            let mut slots = p.slots.borrow_mut();
            match slots.get_mut(&self.id) {
                Some(Settlement::Waiting(waker)) => {
                    *waker = Some(cx.waker().clone());
                    Poll::Pending
                }
                _ => match slots.remove(&self.id) {
                    Some(Settlement::Done(result)) => Poll::Ready(result),
                    _ => Poll::Ready(Err(JsValue::from_str("franz: a settled promise was awaited again"))),
                },
            }
        })
    }
}

impl Drop for Settled {
    fn drop(&mut self) {
        let _ = PROMISES.try_with(|p| p.slots.borrow_mut().remove(&self.id));
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

    #[wasm_bindgen_test]
    async fn settled_gives_what_await_would() {
        let resolved = js_sys::Promise::resolve(&JsValue::from(7));
        assert_eq!(settled(&resolved).await.unwrap(), 7);
        let rejected = js_sys::Promise::reject(&JsValue::from("no"));
        assert_eq!(settled(&rejected).await.unwrap_err(), "no");
        assert_eq!(settled(&JsValue::from("plain")).await.unwrap(), "plain", "a value that is not a promise");
        let later = js_sys::Promise::new(&mut |resolve, _| {
            let late: Function = resolve.bind1(&JsValue::NULL, &JsValue::from("late")).unchecked_into();
            super::set_timeout(&late, 20);
        });
        assert_eq!(settled(&later).await.unwrap(), "late");
        drop(settled(&js_sys::Promise::new(&mut |_, _| {})));
        PROMISES.with(|p| assert!(p.slots.borrow().is_empty(), "nothing is left behind, even by a dropped wait"));
    }

    #[wasm_bindgen_test]
    async fn one_js_timer_serves_every_timeout_at_the_earliest_deadline() {
        let armed = || TIMERS.with(|t| t.armed.get());
        let long = Timeout::start(5_000);
        let set_for_long = armed().expect("a timer is set");
        let longer = Timeout::start(10_000);
        assert_eq!(armed(), Some(set_for_long), "a later deadline leaves the timer as it is");
        let started = now();
        Timeout::start(30).await;
        assert!(now() - started < 2_000.0, "an earlier deadline moved the timer forward");
        assert_eq!(armed(), Some(set_for_long), "and it is set for the next deadline again");
        drop(long);
        drop(longer);
        assert_eq!(armed(), None, "no timeout left, no timer to wake the thread");
        TIMERS.with(|t| assert!(t.slots.borrow().is_empty() && t.queue.borrow().is_empty()));
    }
}
