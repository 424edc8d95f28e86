//! The two commands that keep going: `topic produce` takes each line the user types as a record until Ctrl-D or
//! Ctrl-C, and `topic consume` prints records as they arrive until Ctrl-C. The shell feeds lines to one and
//! polls the other; both speak the broker protocol through [`Clusters`].

use std::collections::BTreeMap;

use bytes::Bytes;

use super::topics::{hint, unexpected};
use super::{Acting, CliError, Clusters};
use crate::core::client::records_from;
use crate::core::error::Error;
use crate::core::groups::link::{self, GroupLink};
use crate::core::groups::{Action, GroupMember, Reply as GroupReply, TopicPartition};
use crate::core::log::OffsetSpec;
use crate::core::partitioner::partition_for_key;
use crate::core::protocol::{
    FetchPartition, Isolation, ProduceData, ProducePartition, Request, Response, DEFAULT_PRODUCE_TIMEOUT_MS,
};
use crate::core::record::{Compression, Header, Record};

/// Bytes one poll reads per partition.
const POLL_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct ProduceSession {
    pub cluster: String,
    pub topic: String,
    /// Who it produces as: its API key's owner.
    pub(super) principal: String,
    pub(super) partitions: u32,
    pub(super) parse_key: bool,
    pub(super) delimiter: String,
    /// The codec of each produced batch (`--config compression.type=…`).
    pub(super) compression: Compression,
    /// `--headers`: sent with every record.
    pub(super) headers: Vec<Header>,
    /// Round-robin position for records without a key (KafkaJS's default and the lecture's rule).
    pub(super) next: u32,
}

impl ProduceSession {
    /// Produces one typed line as a record (acks=all); with `--parse-key`, the text before the first delimiter
    /// is its key, and the key picks the partition by Kafka's murmur2.
    pub fn send(&mut self, clusters: &mut dyn Clusters, line: &str, now_ms: i64) -> Result<(), CliError> {
        let principal = self.principal.clone();
        let clusters = &mut Acting { clusters, principal: &principal };
        let record = if self.parse_key {
            let (key, value) = line.split_once(self.delimiter.as_str()).ok_or_else(|| {
                CliError::usage(format!("missing key in message: {line:?} has no delimiter {:?}", self.delimiter))
                    .with_suggestion("Type the key, the delimiter, then the value, e.g. alice:hello.")
            })?;
            Record::keyed(key.to_owned(), value.to_owned(), now_ms)
        } else {
            Record::new(line.to_owned(), now_ms)
        };
        let record = Record { headers: self.headers.clone(), ..record };
        let partition = match record.key.as_deref() {
            Some(key) => partition_for_key(key, self.partitions),
            None => {
                self.next = self.next.wrapping_add(1);
                self.next.wrapping_sub(1) % self.partitions.max(1)
            }
        };
        let what = format!("failed to produce to topic {:?}", self.topic);
        let data = ProduceData::records(&[record], None)
            .compressed(self.compression)
            .map_err(|e| CliError::kafka(&e, &what, hint(&e)))?;
        let request = Request::Produce {
            acks: -1,
            timeout_ms: DEFAULT_PRODUCE_TIMEOUT_MS,
            partitions: vec![ProducePartition { topic: self.topic.clone(), partition: partition as i32, data }],
        };
        match clusters.call(&self.cluster, request) {
            Ok(Response::Produce(mut results)) if !results.is_empty() => {
                results.remove(0).result.map(drop).map_err(|e| CliError::kafka(&e, &what, hint(&e)))
            }
            Ok(_) => Err(CliError::kafka(&unexpected(), &what, None)),
            Err(e) => Err(CliError::kafka(&e, &what, hint(&e))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ConsumeSession {
    pub cluster: String,
    pub topic: String,
    /// Who it consumes as: its API key's owner.
    pub(super) principal: String,
    /// With `--group`: this consumer's side of the group protocol. It joins the group, reads only the partitions
    /// the group gives it, starts each from the group's committed offset, and commits as a member.
    pub(super) member: Option<Box<GroupMember>>, // boxed: the session is one of two `Stream`s, the other small
    /// Where a partition starts when nothing is committed for it: the log start (`-b`) or the end.
    pub(super) from_beginning: bool,
    pub(super) partition_count: u32,
    pub(super) print_key: bool,
    pub(super) delimiter: String,
    pub(super) timestamp: bool,
    /// `--print-offset`: each record's partition and offset.
    pub(super) print_offset: bool,
    /// `--full-header`: header values whole, where they are shortened otherwise.
    pub(super) full_header: bool,
    /// The next offset to read, per partition.
    pub(super) positions: BTreeMap<u32, i64>,
    /// `--isolation-level`: whether open and aborted transactions' records are read.
    pub(super) isolation: Isolation,
}

impl ConsumeSession {
    /// Where a partition without a committed offset starts: the log start (`-b`), or the end this consumer's
    /// isolation level reads to.
    pub(super) fn reset(&self) -> OffsetSpec {
        if self.from_beginning {
            OffsetSpec::Earliest
        } else {
            self.isolation.end()
        }
    }

    /// The group this consumer is a member of, if any.
    pub fn group(&self) -> Option<&str> {
        self.member.as_ref().map(|m| m.config().group.as_str())
    }

    /// Reads what has arrived since the last poll, as the lines to print; commits them for the group.
    pub fn poll(&mut self, clusters: &mut dyn Clusters, now_ms: i64) -> Result<Vec<String>, CliError> {
        let principal = self.principal.clone();
        let clusters = &mut Acting { clusters, principal: &principal };
        self.drive_group(clusters, now_ms)?;
        let partitions = self
            .positions
            .iter()
            .map(|(&p, &offset)| FetchPartition {
                topic: self.topic.clone(),
                partition: p as i32,
                offset,
                max_bytes: POLL_BYTES,
            })
            .collect();
        let request = Request::Fetch {
            partitions,
            min_bytes: 1,
            max_bytes: usize::MAX,
            max_wait_ms: 0,
            rack: None,
            isolation: self.isolation,
        };
        let what = format!("failed to consume from topic {:?}", self.topic);
        let answers = match clusters.call(&self.cluster, request) {
            Ok(Response::Fetch(a)) => a,
            Ok(_) => return Err(CliError::kafka(&unexpected(), &what, None)),
            Err(e) if e.retriable() => return Ok(Vec::new()),
            Err(e) => return Err(CliError::kafka(&e, &what, hint(&e))),
        };
        let mut lines = Vec::new();
        let mut moved = Vec::new();
        for answer in answers {
            let p = answer.partition as u32;
            let position = self.positions.get(&p).copied().unwrap_or(0);
            let fetched = match answer.result {
                Ok(f) => f,
                Err(Error::OffsetOutOfRange(_)) => {
                    // Retention took what was next: start again from the earliest record kept.
                    let earliest = list_offset(clusters, &self.cluster, &self.topic, p, OffsetSpec::Earliest)
                        .map_err(|e| CliError::kafka(&e, &what, hint(&e)))?;
                    self.positions.insert(p, earliest);
                    continue;
                }
                Err(e) if e.retriable() => continue, // a leader is moving; the next poll asks again
                Err(e) => return Err(CliError::kafka(&e, &what, hint(&e))),
            };
            let (records, next) = records_from(&fetched.batches, position, fetched.aborted_txns())
                .map_err(|e| CliError::kafka(&e, &what, hint(&e)))?;
            lines.extend(records.iter().flat_map(|(offset, record)| self.format(p, *offset, record)));
            if next > position {
                self.positions.insert(p, next);
                moved.push((p, next));
            }
        }
        // A commit that fails now (a rebalance, the coordinator moving) is made by a later one.
        let _ = self.commit(clusters, moved);
        Ok(lines)
    }

    /// Ctrl-C: a member commits what it read and leaves its group, so its partitions move at once.
    pub fn stop(&mut self, clusters: &mut dyn Clusters, now_ms: i64) {
        let principal = self.principal.clone();
        let clusters = &mut Acting { clusters, principal: &principal };
        let Some(actions) = self.member.as_deref_mut().map(GroupMember::leave) else { return };
        let _ = self.run_member(clusters, actions, now_ms);
    }

    /// Commits positions as the group's member (generation-checked).
    fn commit(&self, clusters: &mut dyn Clusters, positions: Vec<(u32, i64)>) -> Result<(), Error> {
        let Some(m) = &self.member else { return Ok(()) };
        commit_as(clusters, &self.cluster, &self.topic, m, positions)
    }

    /// Runs the group protocol: what the member wants to do now, and the coordinator's answers.
    fn drive_group(&mut self, clusters: &mut dyn Clusters, now_ms: i64) -> Result<(), CliError> {
        let Some(actions) = self.member.as_mut().map(|m| m.poll(now_ms)) else { return Ok(()) };
        self.run_member(clusters, actions, now_ms)
    }

    fn run_member(&mut self, clusters: &mut dyn Clusters, actions: Vec<Action>, now_ms: i64) -> Result<(), CliError> {
        let reset = self.reset();
        let Some(member) = self.member.as_mut() else { return Ok(()) };
        let partitions = [(self.topic.clone(), self.partition_count)].into_iter().collect();
        let mut link =
            SessionLink { clusters, cluster: &self.cluster, topic: &self.topic, reset, positions: &mut self.positions };
        link::run(member, actions, &partitions, now_ms, &mut link)
            .map_err(|e| CliError::kafka(&e, &format!("failed to consume from topic {:?}", self.topic), None))
    }

    /// A record as the Confluent CLI prints it: `key<delimiter>` (`--print-key`), `Timestamp:… Partition:…
    /// Offset:…` and a tab (`--timestamp`, `--print-offset`), the value; then a line of its headers, if it has any.
    fn format(&self, partition: u32, offset: i64, record: &Record) -> Vec<String> {
        let text =
            |b: &Option<Bytes>| b.as_ref().map_or("null".to_owned(), |b| String::from_utf8_lossy(b).into_owned());
        let mut line = String::new();
        if self.print_key {
            line.push_str(&text(&record.key));
            line.push_str(&self.delimiter);
        }
        let mut info = Vec::new();
        if self.timestamp {
            info.push(format!("Timestamp:{}", record.timestamp));
        }
        if self.print_offset {
            info.extend([format!("Partition:{partition}"), format!("Offset:{offset}")]);
        }
        if !info.is_empty() {
            line.push_str(&info.join(" "));
            line.push('\t');
        }
        line.push_str(&text(&record.value));
        let mut lines = vec![line];
        if !record.headers.is_empty() {
            let headers: Vec<String> = record.headers.iter().map(|h| header_text(h, self.full_header)).collect();
            lines.push(format!("% Headers: [{}]", headers.join(" ")));
        }
        lines
    }
}

/// A header as the Confluent CLI prints it: `key="value"`, `key=<empty>` or `key=nil`. Without `full`, a value
/// over 65 bytes shows its first 50 and how many more there are, quoted and escaped as Go's `strconv.Quote` does.
fn header_text((key, value): &Header, full: bool) -> String {
    let Some(value) = value else { return format!("{key}=nil") };
    if value.is_empty() {
        return format!("{key}=<empty>");
    }
    if full {
        return format!("{key}=\"{}\"", String::from_utf8_lossy(value));
    }
    let shown = if value.len() > 65 { &value[..50] } else { &value[..] };
    let mut quoted = String::from("\"");
    for c in String::from_utf8_lossy(shown).chars() {
        match c {
            '"' | '\\' => quoted.extend(['\\', c]),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => quoted.push_str(&format!("\\x{:02x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    let more = value.len() - shown.len();
    if more > 0 {
        quoted.push_str(&format!("({more} more bytes)"));
    }
    format!("{key}={quoted}")
}

/// ListOffsets for one partition: the offset, or 0 when the partition has no record to point at.
pub(super) fn list_offset(
    clusters: &mut dyn Clusters,
    cluster: &str,
    topic: &str,
    partition: u32,
    spec: OffsetSpec,
) -> Result<i64, Error> {
    let request = Request::ListOffsets { topic: topic.to_owned(), partition: partition as i32, spec };
    match clusters.call(cluster, request)? {
        Response::ListOffsets(found) => Ok(found.map_or(0, |f| f.offset)),
        _ => Err(unexpected()),
    }
}

/// Commits `positions` of `topic` as `member` of its group (the coordinator checks its generation).
fn commit_as(
    clusters: &mut dyn Clusters,
    cluster: &str,
    topic: &str,
    member: &GroupMember,
    positions: Vec<(u32, i64)>,
) -> Result<(), Error> {
    let id = member.member_id.clone().map(|id| (id, member.generation));
    for (p, offset) in positions {
        let group = member.config().group.clone();
        let request = Request::OffsetCommit {
            group,
            topic: topic.to_owned(),
            partition: p as i32,
            offset,
            metadata: None,
            member: id.clone(),
        };
        clusters.call(cluster, request)?;
    }
    Ok(())
}

/// A consume session's side of the group protocol: calls go to its cluster; partitions it gets start at the
/// group's committed offset (else per `-b`), and what it gives up is committed first.
struct SessionLink<'a> {
    clusters: &'a mut dyn Clusters,
    cluster: &'a str,
    topic: &'a str,
    /// Where a partition without a committed offset starts.
    reset: OffsetSpec,
    positions: &'a mut BTreeMap<u32, i64>,
}

impl GroupLink for SessionLink<'_> {
    fn call(&mut self, request: Request) -> Result<Response, Error> {
        self.clusters.call(self.cluster, request)
    }

    fn replies(&mut self, member_id: &str) -> Vec<GroupReply> {
        self.clusters.group_replies(self.cluster, member_id)
    }

    fn revoke(&mut self, member: &GroupMember, partitions: Vec<TopicPartition>) {
        let read: Vec<(u32, i64)> =
            partitions.iter().filter_map(|(_, p)| Some((*p, *self.positions.get(p)?))).collect();
        let _ = commit_as(self.clusters, self.cluster, self.topic, member, read);
        for (_, p) in &partitions {
            self.positions.remove(p);
        }
    }

    fn assign(&mut self, member: &GroupMember, partitions: Vec<TopicPartition>) -> Result<(), Error> {
        for (_, p) in partitions {
            let request = Request::OffsetFetch {
                group: member.config().group.clone(),
                topic: self.topic.to_owned(),
                partition: p,
            };
            let start = match self.clusters.call(self.cluster, request) {
                Ok(Response::OffsetFetch(Some(c))) => c.offset,
                _ => list_offset(self.clusters, self.cluster, self.topic, p, self.reset)?,
            };
            self.positions.insert(p, start);
        }
        Ok(())
    }
}
