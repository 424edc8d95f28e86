//! ACLs in the cluster: Kafka's CreateAcls, DescribeAcls and DeleteAcls, kept durably with the metadata, and the
//! authorizer's check of each request, when the cluster has one (Kafka's `authorizer.class.name`). Without one,
//! every request is allowed and the ACL requests fail with SECURITY_DISABLED, as on a Kafka broker.

use crate::core::acl::authorizer::{Authorizer, Client};
use crate::core::acl::credentials::Credentials;
use crate::core::acl::scram_users::{ScramDeletion, ScramUpsertion};
use crate::core::acl::{AclBinding, AclFilter, Acls, Operation, ResourceType, CLUSTER_RESOURCE};
use crate::core::error::{Error, Result};
use crate::core::protocol::{PartitionResult, Request, Response, TopicOutcome};
use crate::core::txn::TxnRequest;

use super::Cluster;

impl Cluster {
    /// Turns the authorizer on (with its settings) or off. It is the broker's configuration, not the cluster's
    /// data: each opening says it again, as a Kafka broker reads `authorizer.class.name` at start.
    pub fn set_authorizer(&mut self, authorizer: Option<Authorizer>) {
        self.authorizer = authorizer;
    }

    /// Sets whom SaslAuthenticate lets in: the accounts and OAUTHBEARER, configuration too, like the authorizer.
    /// The SCRAM credentials the cluster stores are its data, and stay.
    pub fn set_credentials(&mut self, credentials: Credentials) {
        let stored = std::mem::take(&mut self.credentials.scram);
        self.credentials = Credentials { scram: stored, ..credentials };
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub fn authorizer(&self) -> Option<&Authorizer> {
        self.authorizer.as_ref()
    }

    pub fn acls(&self) -> &Acls {
        &self.acls
    }

    fn security_enabled(&self) -> Result<()> {
        match self.authorizer {
            Some(_) => Ok(()),
            None => Err(Error::SecurityDisabled(
                "this cluster has no authorizer, so it keeps no ACLs: open it with an authorizer (Kafka's \
                 authorizer.class.name) to use them"
                    .into(),
            )),
        }
    }

    /// Kafka's CreateAcls: each ACL stored, or why not.
    pub(crate) fn create_acls(&mut self, acls: Vec<AclBinding>) -> Result<Vec<Option<Error>>> {
        self.security_enabled()?;
        let outcomes = acls.into_iter().map(|acl| self.acls.create(acl).err()).collect();
        self.journal_acls();
        Ok(outcomes)
    }

    /// Kafka's DescribeAcls.
    pub(crate) fn describe_acls(&self, filter: &AclFilter) -> Result<Vec<AclBinding>> {
        self.security_enabled()?;
        Ok(self.acls.describe(filter))
    }

    /// Kafka's DeleteAcls: for each filter, the ACLs it removed.
    pub(crate) fn delete_acls(&mut self, filters: &[AclFilter]) -> Result<Vec<Vec<AclBinding>>> {
        self.security_enabled()?;
        let deleted = filters.iter().map(|f| self.acls.delete(f)).collect();
        self.journal_acls();
        Ok(deleted)
    }

    /// Kafka's AlterUserScramCredentials: each user's outcome.
    pub(crate) fn alter_user_scram_credentials(
        &mut self,
        deletions: &[ScramDeletion],
        upsertions: &[ScramUpsertion],
    ) -> Vec<(String, Option<Error>)> {
        let results = self.credentials.scram.alter(deletions, upsertions);
        if results.iter().any(|(_, error)| error.is_none()) {
            self.journal_scram_credentials();
        }
        results
    }

    /// Whether `client` may make `request`: `Ok` with the request to serve and what it leaves out, or the
    /// authorization error of the first resource it may not touch. As Kafka's brokers do, Produce and Fetch
    /// leave out each partition of a topic the client may not write or read, CreateTopics, DeleteTopics and
    /// DeleteGroups each topic or group it may not create or delete, DescribeTransactions each id it may not
    /// describe, Metadata each topic it may not describe (or create, where naming it would create it): those are
    /// answered in place with their error ([`Refused::answer_in`]), and the rest is served. A Metadata request
    /// for every topic is narrowed to those the client may describe, as Kafka lists only those. A topic the
    /// client may not describe is refused whether or not it exists, so that its existence does not leak.
    pub fn authorize(&self, client: &Client, request: Request) -> Result<(Request, Refused)> {
        let mut refused = Refused::default();
        let Some(authorizer) = &self.authorizer else { return Ok((request, refused)) };
        let may = |op, kind, name: &str| authorizer.authorize(&self.acls, client, op, kind, name);
        if let Request::Metadata { topics: None, auto_create } = request {
            let visible = self.topics.keys().filter(|t| may(Operation::Describe, ResourceType::Topic, t.as_str()));
            let topics = Some(visible.map(|t| t.to_string()).collect());
            return Ok((Request::Metadata { topics, auto_create }, refused));
        }
        // Kafka lets CREATE on the cluster stand for CREATE on every topic.
        let allowed = |&(op, kind, name): &(Operation, ResourceType, &str)| {
            may(op, kind, name) || (op == Operation::Create && may(op, ResourceType::Cluster, CLUSTER_RESOURCE))
        };
        let mut keep = |needs: (Operation, ResourceType, &str), at: usize, partition: i32| {
            let ok = allowed(&needs);
            if !ok {
                let (op, kind, name) = needs;
                refused.0.push(Refusal {
                    at,
                    name: name.to_owned(),
                    partition,
                    error: refused_error(client, op, kind, name),
                });
            }
            ok
        };
        use Operation::{Create, Delete, Describe, Read, Write};
        use ResourceType::{Group, Topic};
        let request = match request {
            Request::Metadata { topics: Some(names), auto_create } => {
                // Naming a topic that does not exist creates it where allowed: that needs CREATE too.
                let creates = if auto_create { self.missing_where_auto_created(&names) } else { Vec::new() };
                let topics = retain(names, |t, at| {
                    keep((Describe, Topic, t), at, -1) && (!creates.contains(t) || keep((Create, Topic, t), at, -1))
                });
                Request::Metadata { topics: Some(topics), auto_create }
            }
            Request::Produce { acks, timeout_ms, partitions } => Request::Produce {
                acks,
                timeout_ms,
                partitions: retain(partitions, |p, at| keep((Write, Topic, &p.topic), at, p.partition)),
            },
            Request::Fetch { partitions, min_bytes, max_bytes, max_wait_ms, rack, isolation } => Request::Fetch {
                partitions: retain(partitions, |p, at| keep((Read, Topic, &p.topic), at, p.partition)),
                min_bytes,
                max_bytes,
                max_wait_ms,
                rack,
                isolation,
            },
            Request::CreateTopics { topics, validate_only } => Request::CreateTopics {
                topics: retain(topics, |t, at| keep((Create, Topic, &t.name), at, -1)),
                validate_only,
            },
            Request::DeleteTopics { topics } => {
                Request::DeleteTopics { topics: retain(topics, |t, at| keep((Delete, Topic, t), at, -1)) }
            }
            Request::DeleteGroups { groups } => {
                Request::DeleteGroups { groups: retain(groups, |g, at| keep((Delete, Group, g), at, -1)) }
            }
            Request::DescribeTransactions { ids } => Request::DescribeTransactions {
                ids: retain(ids, |id, at| keep((Operation::Describe, ResourceType::TransactionalId, id), at, -1)),
            },
            other => other,
        };
        if let Some((op, kind, name)) = needed(&request).into_iter().find(|n| !allowed(n)) {
            return Err(refused_error(client, op, kind, name));
        }
        if let Request::InitProducerId { transactional_id: None, .. } = request {
            // An idempotent producer needs IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (KIP-679).
            if !may(Operation::IdempotentWrite, ResourceType::Cluster, CLUSTER_RESOURCE)
                && !authorizer.authorize_any(&self.acls, client, Operation::Write, ResourceType::Topic)
            {
                return Err(refused_error(client, Operation::IdempotentWrite, ResourceType::Cluster, CLUSTER_RESOURCE));
            }
        }
        Ok((request, refused))
    }

    /// Serves `request` for `client` at `now_ms`, as [`Cluster::handle`] does once [`Cluster::authorize`] lets it
    /// through, with what it refused answered in place and the answer narrowed to what the client may see.
    pub fn handle_as(&mut self, client: &Client, request: Request, now_ms: i64) -> Result<Response> {
        let (request, refused) = self.authorize(client, request)?;
        let mut response = self.handle(request, now_ms)?;
        refused.answer_in(&mut response);
        self.authorize_response(client, &mut response);
        Ok(response)
    }

    /// Takes out of `response` what `client` may not see: ListGroups lists the groups it may describe, and
    /// ListTransactions the transactional ids.
    pub fn authorize_response(&self, client: &Client, response: &mut Response) {
        let Some(authorizer) = &self.authorizer else { return };
        let may = |kind, name: &str| authorizer.authorize(&self.acls, client, Operation::Describe, kind, name);
        match response {
            Response::ListGroups(groups) => groups.retain(|(g, _)| may(ResourceType::Group, g)),
            Response::ListTransactions(txns) => {
                txns.retain(|t| may(ResourceType::TransactionalId, &t.transactional_id));
            }
            _ => {}
        }
    }
}

/// What `request` needs allowed, as Kafka's request handlers ask their authorizer: each operation on a
/// resource, by name.
fn needed(request: &Request) -> Vec<(Operation, ResourceType, &str)> {
    use Operation::*;
    use ResourceType::{Cluster as Cl, Group, Topic, TransactionalId};
    let cluster = |op| vec![(op, Cl, CLUSTER_RESOURCE)];
    match request {
        Request::Produce { partitions, .. } => partitions.iter().map(|p| (Write, Topic, p.topic.as_str())).collect(),
        Request::Fetch { partitions, .. } => partitions.iter().map(|p| (Read, Topic, p.topic.as_str())).collect(),
        Request::ListOffsets { topic, .. } => vec![(Describe, Topic, topic)],
        Request::Metadata { topics, .. } => topics.iter().flatten().map(|t| (Describe, Topic, t.as_str())).collect(),
        Request::CreateTopics { topics, .. } => topics.iter().map(|t| (Create, Topic, t.name.as_str())).collect(),
        Request::DeleteTopics { topics } => topics.iter().map(|t| (Delete, Topic, t.as_str())).collect(),
        Request::CreatePartitions { topic, .. } => vec![(Alter, Topic, topic)],
        Request::DeleteRecords { topic, .. } => vec![(Delete, Topic, topic)],
        Request::DescribeConfigs { topic } => vec![(DescribeConfigs, Topic, topic)],
        Request::AlterConfigs { topic, .. } => vec![(AlterConfigs, Topic, topic)],
        Request::OffsetCommit { group, topic, .. } => vec![(Read, Group, group), (Read, Topic, topic)],
        Request::OffsetFetch { group, topic, .. } => vec![(Describe, Group, group), (Describe, Topic, topic)],
        Request::InitProducerId { transactional_id, .. } => {
            transactional_id.iter().map(|id| (Write, TransactionalId, id.as_str())).collect()
        }
        Request::Txn(call) => {
            let mut needs = vec![(Write, TransactionalId, call.transactional_id.as_str())];
            match &call.request {
                TxnRequest::AddPartitions { partitions } => {
                    needs.extend(partitions.iter().map(|(t, _)| (Write, Topic, t.as_str())));
                }
                TxnRequest::AddOffsets { group } => needs.push((Read, Group, group)),
                TxnRequest::CommitOffsets { group, offsets, .. } => {
                    needs.push((Read, Group, group));
                    needs.extend(offsets.iter().map(|o| (Read, Topic, o.topic.as_str())));
                }
                TxnRequest::End { .. } => {}
            }
            needs
        }
        Request::JoinGroup(join) => vec![(Read, Group, join.group.as_str())],
        Request::SyncGroup { group, .. } | Request::Heartbeat { group, .. } | Request::LeaveGroup { group, .. } => {
            vec![(Read, Group, group)]
        }
        Request::DescribeGroup { group } | Request::FindCoordinator { group } => vec![(Describe, Group, group)],
        Request::DescribeTransactions { ids } => {
            ids.iter().map(|id| (Describe, TransactionalId, id.as_str())).collect()
        }
        // Narrowed in the answer; and authenticating needs no permission.
        Request::ListGroups
        | Request::ListTransactions(_)
        | Request::SaslHandshake { .. }
        | Request::SaslAuthenticate(_) => Vec::new(),
        Request::DeleteGroups { groups } => groups.iter().map(|g| (Delete, Group, g.as_str())).collect(),
        Request::Fault(_)
        | Request::AlterPartitionReassignments(_)
        | Request::CreateAcls(_)
        | Request::DeleteAcls(_)
        | Request::AlterUserScramCredentials { .. } => cluster(Alter),
        Request::ListPartitionReassignments { .. }
        | Request::DescribeAcls(_)
        | Request::DescribeUserScramCredentials { .. } => cluster(Describe),
        Request::DescribeBrokerConfigs { .. } => cluster(DescribeConfigs),
    }
}

/// The parts of a request the authorizer left out, each with its error, to answer where it stood.
#[derive(Debug, Default)]
pub struct Refused(Vec<Refusal>);

#[derive(Debug)]
struct Refusal {
    /// Where the item stood in the request.
    at: usize,
    /// Its topic, group or transactional id.
    name: String,
    /// Its partition, for Produce and Fetch.
    partition: i32,
    error: Error,
}

impl Refused {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Puts each refused item's error into `response` (the answer to what was served: the allowed items, in
    /// order) where the item stood in the request.
    pub fn answer_in(self, response: &mut Response) {
        // In the request's order, so that each item lands after every earlier one is back in place.
        for Refusal { at, name: topic, partition, error } in self.0 {
            match response {
                Response::Produce(r) => {
                    r.insert(at.min(r.len()), PartitionResult { topic, partition, result: Err(error) })
                }
                Response::Fetch(r) => {
                    r.insert(at.min(r.len()), PartitionResult { topic, partition, result: Err(error) })
                }
                Response::CreateTopics(r) | Response::DeleteTopics(r) => {
                    r.insert(at.min(r.len()), TopicOutcome { topic, error: Some(error) })
                }
                Response::DeleteGroups(r) => r.insert(at.min(r.len()), (topic, Some(error))),
                Response::DescribeTransactions(r) => r.insert(at.min(r.len()), (topic, Err(error))),
                Response::Metadata { topics, .. } => topics.insert(at.min(topics.len()), (topic, Err(error))),
                _ => {}
            }
        }
    }
}

/// The items of `items` that `keep` (given each item and where it stands) lets through.
fn retain<T>(items: Vec<T>, mut keep: impl FnMut(&T, usize) -> bool) -> Vec<T> {
    items.into_iter().enumerate().filter(|(at, item)| keep(item, *at)).map(|(_, item)| item).collect()
}

/// Kafka's authorization error for a resource of `kind`, with what the client lacked.
fn refused_error(client: &Client, op: Operation, kind: ResourceType, name: &str) -> Error {
    let detail = format!(
        "{} may not {} {} {name:?}: no ACL allows it (or one denies it)",
        client.principal,
        op.name(),
        kind.name()
    );
    match kind {
        ResourceType::Topic => Error::TopicAuthorizationFailed(detail),
        ResourceType::Group => Error::GroupAuthorizationFailed(detail),
        ResourceType::TransactionalId => Error::TransactionalIdAuthorizationFailed(detail),
        _ => Error::ClusterAuthorizationFailed(detail),
    }
}
