//! KafkaJS's `describeConfigs` and `alterConfigs`: a topic's configs, read and replaced; and a broker's, read only
//! (franz has no dynamic broker configs).

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::{promise, to_js, unexpected, Admin};
use crate::core::cluster::BrokerId;
use crate::core::error::Error;
use crate::core::protocol::{Request, Response};
use crate::core::topic::{ConfigEntry, CONFIG_NAMES};
use crate::web::js::{self, object};

/// KafkaJS's `ConfigResourceTypes`: what a describe or alter names (franz has topics and brokers).
#[wasm_bindgen]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum ConfigResourceTypes {
    UNKNOWN = 0,
    TOPIC = 2,
    BROKER = 4,
    BROKER_LOGGER = 8,
}

/// KafkaJS's `ConfigSource`: where a described value comes from (franz reports an override of a topic, a
/// broker's own setting, or a default).
#[wasm_bindgen]
#[derive(Clone, Copy)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum ConfigSource {
    UNKNOWN = 0,
    TOPIC_CONFIG = 1,
    DYNAMIC_BROKER_CONFIG = 2,
    DYNAMIC_DEFAULT_BROKER_CONFIG = 3,
    STATIC_BROKER_CONFIG = 4,
    DEFAULT_CONFIG = 5,
    DYNAMIC_BROKER_LOGGER_CONFIG = 6,
}

const RESOURCE_TOPIC: i32 = ConfigResourceTypes::TOPIC as i32;
const RESOURCE_BROKER: i32 = ConfigResourceTypes::BROKER as i32;

/// A resource of a describe or alter: a topic, or a broker by its id.
enum Resource {
    Topic(String),
    Broker(BrokerId),
}

fn resource(r: &JsValue, i: usize) -> Result<Resource, JsValue> {
    let kind: i32 = js::opt_int(r, "type", format_args!("resources[{i}].type"))?.unwrap_or(RESOURCE_TOPIC);
    let name = js::string(r, "name", format_args!("resources[{i}].name"))?;
    match kind {
        RESOURCE_TOPIC => Ok(Resource::Topic(name)),
        RESOURCE_BROKER => {
            let id = name.trim().parse().map_err(|_| js::type_error(format_args!("resources[{i}].name"), "a broker id", &name.into()))?;
            Ok(Resource::Broker(id))
        }
        _ => Err(to_js(Error::InvalidRequest(format!(
            "resources[{i}]: franz has topic ({RESOURCE_TOPIC}) and broker ({RESOURCE_BROKER}) resources, got type {kind}"
        )))),
    }
}

#[wasm_bindgen]
impl Admin {
    /// KafkaJS's `describeConfigs`, for topics (`ConfigResourceTypes.TOPIC`) and brokers (`BROKER`, named by id);
    /// `configNames` picks the configs to describe (a name the resource does not have is left out, as Kafka does).
    #[wasm_bindgen(js_name = describeConfigs, unchecked_return_type = "Promise<DescribeConfigResponse>")]
    pub fn describe_configs(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ resources: { type: number; name: string; configNames?: string[] }[]; includeSynonyms?: boolean }"
        )]
        options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let mut resources = Vec::new();
            for (i, r) in js::list(&options, "resources", "resources", true)?.iter().enumerate() {
                let resource = resource(r, i)?;
                let names = js::list(r, "configNames", format_args!("resources[{i}].configNames"), false)?
                    .iter()
                    .map(|n| {
                        n.as_string().ok_or_else(|| {
                            js::type_error(format_args!("resources[{i}].configNames"), "an array of config names", n)
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let (request, kind, name, overridden) = match &resource {
                    Resource::Topic(t) => (
                        Request::DescribeConfigs { topic: t.clone() },
                        RESOURCE_TOPIC,
                        t.clone(),
                        ConfigSource::TOPIC_CONFIG,
                    ),
                    Resource::Broker(id) => (
                        Request::DescribeBrokerConfigs { broker: *id },
                        RESOURCE_BROKER,
                        id.to_string(),
                        ConfigSource::STATIC_BROKER_CONFIG,
                    ),
                };
                let Response::DescribeConfigs(entries) = broker.call(request).await.map_err(to_js)? else {
                    return Err(unexpected());
                };
                let wanted = |e: &&ConfigEntry| names.is_empty() || names.iter().any(|n| n == e.name);
                let entries = js::array(entries.iter().filter(wanted).map(|e| {
                    object([
                        ("configName", e.name.into()),
                        ("configValue", e.value.as_str().into()),
                        ("isDefault", e.is_default.into()),
                        (
                            "configSource",
                            (if e.is_default { ConfigSource::DEFAULT_CONFIG } else { overridden } as i32).into(),
                        ),
                        ("isSensitive", false.into()),
                        ("readOnly", (kind == RESOURCE_BROKER).into()),
                        ("configSynonyms", Array::new().into()),
                    ])
                }));
                resources.push(object([
                    ("errorCode", 0.into()),
                    ("errorMessage", JsValue::NULL),
                    ("resourceName", name.as_str().into()),
                    ("resourceType", kind.into()),
                    ("configEntries", entries.into()),
                ]));
            }
            Ok(object([("resources", js::array(resources).into()), ("throttleTime", 0.into())]).into())
        })
    }

    /// KafkaJS's `alterConfigs`, which uses Kafka's (non-incremental) AlterConfigs: the given entries become the
    /// topic's whole set of overrides, and every config not named goes back to its default. A broker's configs
    /// are read-only: INVALID_REQUEST.
    #[wasm_bindgen(js_name = alterConfigs, unchecked_return_type = "Promise<void>")]
    pub fn alter_configs(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ validateOnly?: boolean; resources: { type: number; name: string; configEntries: { name: string; value: string }[] }[] }"
        )]
        options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let validate_only = js::opt_bool(&options, "validateOnly", "validateOnly")?.unwrap_or(false);
            for (i, r) in js::list(&options, "resources", "resources", true)?.iter().enumerate() {
                let name = match resource(r, i)? {
                    Resource::Topic(name) => name,
                    Resource::Broker(id) => {
                        return Err(to_js(Error::InvalidRequest(format!(
                            "broker {id}'s configs are read-only: franz has no dynamic broker configs (Kafka.open sets \
                             autoCreateTopics, authorizer and users at each opening)"
                        ))))
                    }
                };
                let mut changes: Vec<(String, Option<String>)> =
                    CONFIG_NAMES.iter().map(|n| ((*n).to_owned(), None)).collect();
                for (j, e) in
                    js::list(r, "configEntries", format_args!("resources[{i}].configEntries"), true)?.iter().enumerate()
                {
                    let key = js::string(e, "name", format_args!("resources[{i}].configEntries[{j}].name"))?;
                    let value = js::string(e, "value", format_args!("resources[{i}].configEntries[{j}].value"))?;
                    match changes.iter_mut().find(|(k, _)| *k == key) {
                        Some(slot) => slot.1 = Some(value),
                        None => changes.push((key, Some(value))), // unknown: the core names it in INVALID_CONFIG
                    }
                }
                broker.call(Request::AlterConfigs { topic: name, changes, validate_only }).await.map_err(to_js)?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}
