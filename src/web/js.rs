//! Reading and writing plain JS objects at the API boundary. Every read names the field it reads, so a caller
//! who passes the wrong type learns exactly which field is wrong.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Display;

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use super::error;

thread_local! {
    /// JS strings for property names, made once: a produce reads several fields of every message, and building
    /// a fresh JS string for each name costs more than the read. Keyed by the `&'static str`'s address and
    /// length, which no other string can ever share.
    static NAMES: RefCell<HashMap<(usize, usize), JsValue>> = RefCell::new(HashMap::new());
}

#[wasm_bindgen(module = "/src/web/js/pack.js")]
extern "C" {
    #[wasm_bindgen(js_name = getProperty)]
    fn get_property(object: &JsValue, key: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = setProperty)]
    fn set_property(object: &JsValue, key: &JsValue, value: &JsValue);
    fn decimal(n: f64) -> JsValue;
    #[wasm_bindgen(js_name = copyOut)]
    fn copy_out(memory: &JsValue, start: usize, length: usize) -> js_sys::ArrayBuffer;
}

thread_local! {
    static MEMORY: JsValue = wasm_bindgen::memory();
}

/// The wasm module's `WebAssembly.Memory`.
pub fn memory() -> JsValue {
    MEMORY.with(JsValue::clone)
}

/// `bytes` copied out of wasm memory into a new ArrayBuffer (to keep after wasm reuses them).
pub fn copied(bytes: &[u8]) -> js_sys::ArrayBuffer {
    MEMORY.with(|memory| copy_out(memory, bytes.as_ptr() as usize, bytes.len()))
}

/// The JS string of a `&'static str` (a property name, a kind), made once.
pub fn interned(key: &'static str) -> JsValue {
    NAMES.with_borrow_mut(|names| {
        names.entry((key.as_ptr() as usize, key.len())).or_insert_with(|| JsValue::from_str(key)).clone()
    })
}

/// `obj[key]`, or `undefined` when `obj` is not an object.
pub fn get(obj: &JsValue, key: &'static str) -> JsValue {
    property(obj, || interned(key))
}

/// `obj[key]` for a key known only at run time.
pub fn get_dyn(obj: &JsValue, key: &str) -> JsValue {
    property(obj, || JsValue::from_str(key))
}

fn property(obj: &JsValue, key: impl FnOnce() -> JsValue) -> JsValue {
    if obj.is_object() {
        get_property(obj, &key())
    } else {
        JsValue::UNDEFINED
    }
}

/// Sets `obj[key] = value` on a plain object this module created (which cannot fail).
pub fn set(obj: &Object, key: &'static str, value: impl Into<JsValue>) {
    set_property(obj, &interned(key), &value.into());
}

/// `obj[key] = value` for a key known only at run time.
pub fn set_dyn(obj: &Object, key: &str, value: impl Into<JsValue>) {
    set_property(obj, &JsValue::from_str(key), &value.into());
}

/// A plain object built from `(key, value)` pairs.
pub fn object<const N: usize>(fields: [(&'static str, JsValue); N]) -> Object {
    let obj = Object::new();
    for (k, v) in fields {
        set(&obj, k, v);
    }
    obj
}

pub fn array(items: impl IntoIterator<Item = impl Into<JsValue>>) -> Array {
    items.into_iter().map(Into::into).collect()
}

fn type_name(v: &JsValue) -> String {
    if v.is_null() {
        "null".into()
    } else if Array::is_array(v) {
        "array".into()
    } else {
        v.js_typeof().as_string().unwrap_or_default()
    }
}

/// A JS `TypeError` for a field of the wrong type, shaped like franz's other errors.
/// Field names are `impl Display` so that callers can pass `format_args!`: names are built only for errors.
pub fn type_error(field: impl Display, expected: &str, got: &JsValue) -> JsValue {
    error::type_error(&format!("{field} must be {expected}, got {}", type_name(got)))
}

pub fn is_missing(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

pub fn opt_string(obj: &JsValue, key: &'static str, field: impl Display) -> Result<Option<String>, JsValue> {
    let v = get(obj, key);
    if is_missing(&v) {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| type_error(field, "a string", &v))
}

pub fn string(obj: &JsValue, key: &'static str, field: impl Display) -> Result<String, JsValue> {
    let v = get(obj, key);
    v.as_string().ok_or_else(|| type_error(field, "a string", &v))
}

/// An optional whole number that fits `T` (partition counts, acks, offsets as numbers or numeric strings).
pub fn opt_int<T: TryFrom<i64>>(obj: &JsValue, key: &'static str, field: impl Display) -> Result<Option<T>, JsValue> {
    let v = get(obj, key);
    if is_missing(&v) {
        return Ok(None);
    }
    int(&v, field).map(Some)
}

/// A whole number given as a JS number, a numeric string (as KafkaJS writes offsets) or a bigint.
pub fn int<T: TryFrom<i64>>(v: &JsValue, field: impl Display) -> Result<T, JsValue> {
    let n = if let Some(f) = v.as_f64() {
        (f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15).then_some(f as i64)
    } else if let Some(s) = v.as_string() {
        s.trim().parse::<i64>().ok()
    } else if v.is_bigint() {
        i64::try_from(v.clone()).ok()
    } else {
        None
    };
    n.and_then(|n| T::try_from(n).ok()).ok_or_else(|| type_error(field, "a whole number in range", v))
}

pub fn opt_bool(obj: &JsValue, key: &'static str, field: impl Display) -> Result<Option<bool>, JsValue> {
    let v = get(obj, key);
    if is_missing(&v) {
        return Ok(None);
    }
    v.as_bool().map(Some).ok_or_else(|| type_error(field, "a boolean", &v))
}

/// An array field; a missing one is empty unless `required`.
pub fn list(obj: &JsValue, key: &'static str, field: impl Display, required: bool) -> Result<Vec<JsValue>, JsValue> {
    let v = get(obj, key);
    if is_missing(&v) && !required {
        return Ok(Vec::new());
    }
    if !Array::is_array(&v) {
        return Err(type_error(field, "an array", &v));
    }
    Ok(Array::from(&v).iter().collect())
}

/// An array field of strings (`field[i]` names an item that is not one); a missing one is empty unless
/// `required`.
pub fn string_list(
    obj: &JsValue,
    key: &'static str,
    field: impl Display,
    required: bool,
) -> Result<Vec<String>, JsValue> {
    list(obj, key, &field, required)?
        .iter()
        .enumerate()
        .map(|(i, v)| v.as_string().ok_or_else(|| type_error(format_args!("{field}[{i}]"), "a string", v)))
        .collect()
}

/// Whether a double holds `n` exactly (|n| ≤ 2^53: every offset and timestamp, in practice).
pub fn exact_as_double(n: i64) -> bool {
    n.unsigned_abs() <= 1 << 53
}

/// Offsets cross into JS as strings, as in KafkaJS (they can exceed 2^53).
pub fn offset(n: i64) -> JsValue {
    // Made by JS from a double where that is exact: no string crosses out of wasm memory.
    if exact_as_double(n) {
        decimal(n as f64)
    } else {
        JsValue::from_str(&n.to_string())
    }
}

/// A core value as a plain JS object (through its serde form): for the group calls' envelope bodies.
pub fn to_plain<T: serde::Serialize>(value: &T) -> JsValue {
    serde_json::to_string(value).ok().and_then(|json| js_sys::JSON::parse(&json).ok()).unwrap_or(JsValue::NULL)
}

/// A plain JS object as a core value (through its serde form).
pub fn from_plain<T: serde::de::DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, String> {
    let json = js_sys::JSON::stringify(value).map_err(|_| format!("{what} cannot be read"))?;
    serde_json::from_str(&String::from(json)).map_err(|e| format!("{what} is malformed: {e}"))
}

/// Fills `out` from the platform's secure source (`crypto.getRandomValues`), or `Math.random` where there is none:
/// the shell's randomness for ids, secrets, salts and nonces.
pub fn random_bytes(out: &mut [u8]) {
    let crypto = get(&js_sys::global(), "crypto");
    let bytes = js_sys::Uint8Array::new_with_length(out.len() as u32);
    let filled = js_sys::Reflect::get(&crypto, &"getRandomValues".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .is_some_and(|f| f.call1(&crypto, &bytes).is_ok());
    if filled {
        bytes.copy_to(out);
    } else {
        out.iter_mut().for_each(|b| *b = (js_sys::Math::random() * 256.0) as u8);
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn offsets_are_exact_decimal_strings_on_both_sides_of_2_to_the_53() {
        for n in [0, -1, 42, (1 << 53) - 1, 1 << 53, (1 << 53) + 1, i64::MAX, i64::MIN] {
            assert_eq!(super::offset(n).as_string(), Some(n.to_string()));
        }
    }
}
