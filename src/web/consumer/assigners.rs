//! KafkaJS's custom partition assigners: functions among a consumer's `partitionAssigners`. Each is called once,
//! as the consumer is made, with `{ cluster, groupId, logger }`, and gives an assigner `{ name, version,
//! protocol({ topics }), assign({ members, topics }) }`. The group knows it by its name. Its `protocol` gives
//! this member's metadata for each JoinGroup; its `assign`, run when this member leads, gives each member's
//! partitions as ConsumerProtocol bytes (`AssignerProtocol.MemberAssignment`), which go to the SyncGroup.
//! `AssignerProtocol` is KafkaJS's codec of those bytes (`core::groups::consumer_protocol`).

use std::collections::BTreeMap;

use js_sys::{Array, Function, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::core::error::Error;
use crate::core::groups::consumer_protocol::{MemberAssignment, MemberMetadata};
use crate::core::groups::{Assignor, GroupProtocol, Subscription, TopicPartition};
use crate::core::protocol::{Request, Response};
use crate::web::admin::{broker_metadata, partition_metadata};
use crate::web::broker::Broker;
use crate::web::error;
use crate::web::js::{self, object};
use crate::web::signal::settled;

#[wasm_bindgen(module = "/src/web/js/pack.js")]
extern "C" {
    type AssignerCluster;
    #[wasm_bindgen(constructor)]
    fn new(refresh: &Function) -> AssignerCluster;
    #[wasm_bindgen(method, js_name = refreshMetadata)]
    fn refresh_metadata(this: &AssignerCluster) -> Promise;
}

/// The assigner object a custom assigner's function gave.
struct Custom {
    name: String,
    assigner: JsValue,
}

/// `refresh` of the cluster view custom assigners get.
type Refresh = Closure<dyn Fn() -> Promise>;

/// A consumer's custom assigners, and the cluster view they were given (with its `refresh`, which lives as long
/// as the consumer).
#[derive(Default)]
pub(super) struct CustomAssigners {
    list: Vec<Custom>,
    cluster: Option<(AssignerCluster, Refresh)>,
}

/// A consumer's `partitionAssigners`, preferred first (round-robin, KafkaJS's default, when there are none):
/// names of franz's assignors, and assigner functions, which are called now.
pub(super) fn partition_assigners(
    config: &JsValue,
    broker: &Broker,
    group_id: &str,
    logger: JsValue,
) -> Result<(Vec<GroupProtocol>, CustomAssigners), JsValue> {
    let (mut protocols, mut custom) = (Vec::new(), CustomAssigners::default());
    for (i, entry) in js::list(config, "partitionAssigners", "partitionAssigners", false)?.iter().enumerate() {
        let field = format!("partitionAssigners[{i}]");
        if let Some(name) = entry.as_string() {
            protocols.push(Assignor::from_name(&name).map_err(|e| error::to_js(&e))?.into());
            continue;
        }
        let Some(factory) = entry.dyn_ref::<Function>() else {
            return Err(js::type_error(field, "an assignor name or an assigner function", entry));
        };
        let (cluster, _) = custom.cluster.get_or_insert_with(|| {
            let refresh = refresher(broker.clone());
            (AssignerCluster::new(refresh.as_ref().unchecked_ref()), refresh)
        });
        let args =
            object([("cluster", JsValue::from(&*cluster)), ("groupId", group_id.into()), ("logger", logger.clone())]);
        let assigner = factory.call1(&JsValue::NULL, &args)?;
        let name = js::get(&assigner, "name").as_string().filter(|n| !n.is_empty());
        let callable = |key| js::get(&assigner, key).is_function();
        let Some(name) = name.filter(|_| callable("protocol") && callable("assign")) else {
            return Err(js::type_error(
                format_args!("{field}()"),
                "an assigner { name, version, protocol, assign }",
                &assigner,
            ));
        };
        protocols.push(GroupProtocol::Custom(name.clone()));
        custom.list.push(Custom { name, assigner });
    }
    if protocols.is_empty() {
        protocols.push(Assignor::RoundRobin.into());
    }
    Ok((protocols, custom))
}

/// `refresh` for the cluster view: KafkaJS's `{ brokers, topicMetadata }`, fetched from the cluster.
fn refresher(broker: Broker) -> Refresh {
    Closure::new(move || {
        let broker = broker.clone();
        future_to_promise(async move {
            let (brokers, topics) = broker
                .call(Request::metadata(None))
                .await
                .and_then(Response::into_metadata)
                .map_err(|e| error::to_js(&e))?;
            let brokers = broker_metadata(&broker, brokers.iter().filter(|b| b.alive));
            let topics = js::array(topics.iter().map(|t| {
                let (name, partitions) = (t.name.as_str().into(), partition_metadata(t).into());
                object([("topicErrorCode", 0.into()), ("topic", name), ("partitionMetadata", partitions)])
            }));
            Ok(object([("brokers", brokers.into()), ("topicMetadata", topics.into())]).into())
        })
    })
}

impl CustomAssigners {
    fn find(&self, protocol: &str) -> Result<&Custom, JsValue> {
        self.list.iter().find(|c| c.name == protocol).ok_or_else(|| {
            let e = Error::InconsistentGroupProtocol(format!("no partition assigner named {protocol:?}"));
            error::to_js(&e)
        })
    }

    /// Each custom assigner's metadata for a JoinGroup: its `protocol({ topics })`'s `metadata` bytes.
    pub(super) fn metadata(&self, topics: &[String]) -> Result<BTreeMap<String, Vec<u8>>, JsValue> {
        let mut out = BTreeMap::new();
        for Custom { name, assigner } in &self.list {
            let protocol: Function = js::get(assigner, "protocol").unchecked_into();
            let state =
                protocol.call1(assigner, &object([("topics", js::array(topics.iter().map(String::as_str)).into())]))?;
            let metadata = bytes(&js::get(&state, "metadata"), &format!("{name}.protocol().metadata"))?;
            out.insert(name.clone(), metadata);
        }
        Ok(out)
    }

    /// Runs the custom assigner the group chose, as its leader: each member's partitions. The cluster view is
    /// refreshed first, as KafkaJS's leader does.
    pub(super) async fn assign(
        &self,
        protocol: &str,
        members: &BTreeMap<String, Subscription>,
        topics: &[String],
    ) -> Result<BTreeMap<String, Vec<TopicPartition>>, JsValue> {
        let Custom { name, assigner } = self.find(protocol)?;
        if let Some((cluster, _)) = &self.cluster {
            JsFuture::from(cluster.refresh_metadata()).await?;
        }
        let members = js::array(members.iter().map(|(id, s)| {
            object([("memberId", id.as_str().into()), ("memberMetadata", Uint8Array::from(&s.metadata[..]).into())])
        }));
        let group =
            object([("members", members.into()), ("topics", js::array(topics.iter().map(String::as_str)).into())]);
        let assign: Function = js::get(assigner, "assign").unchecked_into();
        let result = settled(&assign.call1(assigner, &group)?).await?;
        if !Array::is_array(&result) {
            return Err(js::type_error(
                format_args!("{name}.assign()"),
                "an array of { memberId, memberAssignment }",
                &result,
            ));
        }
        let mut out = BTreeMap::new();
        for (i, entry) in Array::from(&result).iter().enumerate() {
            let at = format!("{name}.assign()[{i}]");
            let member = js::string(&entry, "memberId", format_args!("{at}.memberId"))?;
            let encoded = bytes(&js::get(&entry, "memberAssignment"), &format!("{at}.memberAssignment"))?;
            let decoded = MemberAssignment::decode(&encoded).map_err(|e| error::to_js(&e))?;
            let partitions = decoded.map(|d| d.topic_partitions()).transpose().map_err(|e| error::to_js(&e))?;
            out.insert(member, partitions.unwrap_or_default());
        }
        Ok(out)
    }
}

/// A `Uint8Array` (a Node.js `Buffer` is one), copied out.
fn bytes(value: &JsValue, field: &str) -> Result<Vec<u8>, JsValue> {
    value.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec).ok_or_else(|| js::type_error(field, "a Uint8Array", value))
}

/// `{ version, topics, userData }` or `{ version, assignment, userData }`: the fields both share.
fn version_and_user_data(value: &JsValue, what: &str) -> Result<(i16, Option<Vec<u8>>), JsValue> {
    let version = js::int(&js::get(value, "version"), format_args!("{what}.version"))?;
    let user_data = js::get(value, "userData");
    let user_data = match js::is_missing(&user_data) {
        true if user_data.is_null() => None,
        true => Some(Vec::new()),
        false => Some(bytes(&user_data, &format!("{what}.userData"))?),
    };
    Ok((version, user_data))
}

fn user_data_js(user_data: Option<Vec<u8>>) -> JsValue {
    user_data.map_or(JsValue::NULL, |b| Uint8Array::from(&b[..]).into())
}

fn encode_metadata(value: JsValue) -> Result<Uint8Array, JsValue> {
    let (version, user_data) = version_and_user_data(&value, "MemberMetadata")?;
    let topics = js::string_list(&value, "topics", "MemberMetadata.topics", true)?;
    let encoded = MemberMetadata { version, topics, user_data }.encode().map_err(|e| error::to_js(&e))?;
    Ok(Uint8Array::from(&encoded[..]))
}

fn decode_metadata(buffer: JsValue) -> Result<JsValue, JsValue> {
    let m = MemberMetadata::decode(&bytes(&buffer, "MemberMetadata.decode's buffer")?).map_err(|e| error::to_js(&e))?;
    let topics = js::array(m.topics.iter().map(String::as_str));
    Ok(object([("version", m.version.into()), ("topics", topics.into()), ("userData", user_data_js(m.user_data))])
        .into())
}

fn encode_assignment(value: JsValue) -> Result<Uint8Array, JsValue> {
    let (version, user_data) = version_and_user_data(&value, "MemberAssignment")?;
    let by_topic = js::get(&value, "assignment");
    if !by_topic.is_object() {
        return Err(js::type_error("MemberAssignment.assignment", "an object { [topic]: partitions }", &by_topic));
    }
    let mut assignment = Vec::new();
    for topic in Object::keys(by_topic.unchecked_ref::<Object>()).iter() {
        let topic = topic.as_string().unwrap_or_default();
        let list = js::get_dyn(&by_topic, &topic);
        let at = format!("MemberAssignment.assignment[{topic:?}]");
        if !Array::is_array(&list) {
            return Err(js::type_error(&at, "an array of partitions", &list));
        }
        let partitions = Array::from(&list).iter().map(|p| js::int::<i32>(&p, &at)).collect::<Result<_, _>>()?;
        assignment.push((topic, partitions));
    }
    let encoded = MemberAssignment { version, assignment, user_data }.encode().map_err(|e| error::to_js(&e))?;
    Ok(Uint8Array::from(&encoded[..]))
}

fn decode_assignment(buffer: JsValue) -> Result<JsValue, JsValue> {
    let decoded = MemberAssignment::decode(&bytes(&buffer, "MemberAssignment.decode's buffer")?);
    let Some(a) = decoded.map_err(|e| error::to_js(&e))? else { return Ok(JsValue::NULL) };
    let assignment = Object::new();
    for (topic, partitions) in &a.assignment {
        js::set_dyn(&assignment, topic, js::array(partitions.iter().copied()));
    }
    Ok(object([
        ("version", a.version.into()),
        ("assignment", assignment.into()),
        ("userData", user_data_js(a.user_data)),
    ])
    .into())
}

/// `{ encode, decode }` over two functions of wasm, made once per thread.
fn codec(
    encode: fn(JsValue) -> Result<Uint8Array, JsValue>,
    decode: fn(JsValue) -> Result<JsValue, JsValue>,
) -> JsValue {
    let encode = Closure::<dyn Fn(JsValue) -> Result<Uint8Array, JsValue>>::new(encode).into_js_value();
    let decode = Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(decode).into_js_value();
    object([("encode", encode), ("decode", decode)]).into()
}

thread_local! {
    static METADATA: JsValue = codec(encode_metadata, decode_metadata);
    static ASSIGNMENT: JsValue = codec(encode_assignment, decode_assignment);
}

/// KafkaJS's `AssignerProtocol`: the codecs of Kafka's ConsumerProtocol bytes that custom assigners write,
/// `AssignerProtocol.MemberMetadata` and `AssignerProtocol.MemberAssignment`, each `{ encode, decode }`. Bytes
/// are `Uint8Array`s (KafkaJS's are Node.js `Buffer`s, which are `Uint8Array`s).
#[wasm_bindgen]
pub struct AssignerProtocol;

#[wasm_bindgen]
impl AssignerProtocol {
    /// `encode({ version, topics, userData? })` and `decode(bytes)`: a member's subscription.
    #[wasm_bindgen(getter = MemberMetadata, unchecked_return_type = "ISerializer<MemberMetadata>")]
    pub fn member_metadata() -> JsValue {
        METADATA.with(JsValue::clone)
    }

    /// `encode({ version, assignment: { [topic]: partitions }, userData? })` and `decode(bytes)` (null for no
    /// bytes): a member's assignment.
    #[wasm_bindgen(getter = MemberAssignment, unchecked_return_type = "ISerializer<MemberAssignment>")]
    pub fn member_assignment() -> JsValue {
        ASSIGNMENT.with(JsValue::clone)
    }
}
