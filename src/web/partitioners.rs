//! KafkaJS's `createPartitioner` and its `Partitioners`. A producer given `Partitioners.DefaultPartitioner`
//! (or its other name, `JavaCompatiblePartitioner`: Java's murmur2) or `LegacyPartitioner` (KafkaJS 1.x's
//! hash) places a send's messages inside wasm, as it does when given none. Any other partitioner is the app's
//! own function, called once per message with `{ topic, partitionMetadata, message }`, as KafkaJS calls it.

use std::cell::RefCell;

use js_sys::{Function, Reflect, Symbol, Uint8Array};
use wasm_bindgen::prelude::*;

use super::{error, js};
use crate::core::partitioner::{KeyHash, NullKeyStrategy, Partitioner};

/// KafkaJS's `Partitioners`: values for `kafka.producer({ createPartitioner })`.
#[wasm_bindgen]
pub struct Partitioners;

#[wasm_bindgen]
impl Partitioners {
    /// Java Kafka's partitioner and KafkaJS 2.x's default: a key's murmur2 picks its partition, and messages
    /// without a key go round-robin over the partitions that have a leader.
    #[wasm_bindgen(js_name = DefaultPartitioner, unchecked_return_type = "(args: PartitionerArgs) => number")]
    pub fn default_partitioner() -> Function {
        builtin(KeyHash::Java)
    }

    /// The same partitioner as `DefaultPartitioner`, under the name KafkaJS also gives it.
    #[wasm_bindgen(js_name = JavaCompatiblePartitioner, unchecked_return_type = "(args: PartitionerArgs) => number")]
    pub fn java_compatible_partitioner() -> Function {
        builtin(KeyHash::Java)
    }

    /// KafkaJS 1.x's default: its own murmur2, which places most keys elsewhere than Java's does.
    #[wasm_bindgen(js_name = LegacyPartitioner, unchecked_return_type = "(args: PartitionerArgs) => number")]
    pub fn legacy_partitioner() -> Function {
        builtin(KeyHash::LegacyKafkaJs)
    }
}

/// Marks franz's own partitioner functions (a symbol: invisible to enumeration and JSON), naming their hash.
fn mark() -> Symbol {
    Symbol::for_("franz.partitioner")
}

/// A partitioner function that computes what franz's producer computes inside wasm, for an app that calls it
/// itself (to wrap it in its own, say). It carries the mark that lets a producer skip calling it per message.
fn builtin(hash: KeyHash) -> Function {
    let seed = js_sys::Date::now() as u64;
    let partitioner = RefCell::new(Partitioner::new(NullKeyStrategy::RoundRobin, seed).with_key_hash(hash));
    let place = move |args: JsValue| -> Result<JsValue, JsValue> {
        let message = js::get(&args, "message");
        let explicit = js::get(&message, "partition");
        if !js::is_missing(&explicit) {
            return Ok(explicit); // as KafkaJS's partitioners return it
        }
        let topic = js::string(&args, "topic", "topic")?;
        let metadata = js::list(&args, "partitionMetadata", "partitionMetadata", true)?;
        let has_leader = |p: &JsValue| js::get(p, "leader").as_f64().is_some_and(|l| l >= 0.0);
        let available: Vec<u32> = metadata
            .iter()
            .filter(|p| has_leader(p))
            .map(|p| js::int(&js::get(p, "partitionId"), "partitionMetadata[].partitionId"))
            .collect::<Result<_, _>>()?;
        let key = key_bytes(&js::get(&message, "key"))?;
        let chosen =
            partitioner.borrow_mut().partition(&topic, key.as_deref(), None, metadata.len() as u32, &available);
        chosen.map(JsValue::from).map_err(|e| error::to_js(&e))
    };
    let function: Function = Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(place).into_js_value().into();
    let name = match hash {
        KeyHash::Java => "java",
        KeyHash::LegacyKafkaJs => "legacy",
    };
    let _ = Reflect::set(&function, &mark(), &name.into());
    function
}

/// A message key's bytes: a string's UTF-8, or a `Uint8Array`'s (a Node `Buffer` is one); `None` for none.
fn key_bytes(key: &JsValue) -> Result<Option<Vec<u8>>, JsValue> {
    if js::is_missing(key) {
        Ok(None)
    } else if let Some(s) = key.as_string() {
        Ok(Some(s.into_bytes()))
    } else if let Some(bytes) = key.dyn_ref::<Uint8Array>() {
        Ok(Some(bytes.to_vec()))
    } else {
        Err(js::type_error("message.key", "a string, a Uint8Array or null", key))
    }
}

/// How a producer places messages, from its `createPartitioner` option.
pub(crate) enum Partitioning {
    /// Inside wasm, with this hash for keys.
    Builtin(KeyHash),
    /// The app's partitioner, called per message.
    Custom(Function),
}

impl Partitioning {
    /// `createPartitioner` is called once, as KafkaJS calls it: what it returns places every message.
    pub(crate) fn from_config(create: &JsValue) -> Result<Partitioning, JsValue> {
        if js::is_missing(create) {
            return Ok(Partitioning::Builtin(KeyHash::Java));
        }
        let create =
            create.dyn_ref::<Function>().ok_or_else(|| js::type_error("createPartitioner", "a function", create))?;
        let partitioner = create.call0(&JsValue::NULL)?;
        let Some(function) = partitioner.dyn_ref::<Function>() else {
            return Err(js::type_error("what createPartitioner returns", "a function", &partitioner));
        };
        Ok(match Reflect::get(function, &mark()).ok().and_then(|m| m.as_string()).as_deref() {
            Some("java") => Partitioning::Builtin(KeyHash::Java),
            Some("legacy") => Partitioning::Builtin(KeyHash::LegacyKafkaJs),
            _ => Partitioning::Custom(function.clone()),
        })
    }
}

/// The partition the app's `partitioner` chooses for each of `messages`, in order. `metadata` is KafkaJS's
/// `partitionMetadata` of `topic`. What it throws rejects the send as it is.
pub(crate) fn chosen_by(
    partitioner: &Function,
    topic: &str,
    metadata: &JsValue,
    messages: &JsValue,
) -> Result<Vec<i32>, JsValue> {
    let topic = JsValue::from(topic);
    js_sys::Array::from(messages)
        .iter()
        .enumerate()
        .map(|(i, message)| {
            let args =
                js::object([("topic", topic.clone()), ("partitionMetadata", metadata.clone()), ("message", message)]);
            let chosen = partitioner.call1(&JsValue::NULL, &args)?;
            js::int(&chosen, format_args!("the partition that createPartitioner's partitioner chose for message {i}"))
        })
        .collect()
}
