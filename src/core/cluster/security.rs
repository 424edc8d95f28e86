//! ACLs in the cluster: Kafka's CreateAcls, DescribeAcls and DeleteAcls, kept durably with the metadata, and the
//! authorizer's check of each request, when the cluster has one (Kafka's `authorizer.class.name`). Without one,
//! every request is allowed and the ACL requests fail with SECURITY_DISABLED, as on a Kafka broker.

use crate::core::acl::authorizer::{Authorizer, Client};
use crate::core::acl::credentials::Credentials;
use crate::core::acl::{AclBinding, AclFilter, Acls, Operation, ResourceType, CLUSTER_RESOURCE};
use crate::core::error::{Error, Result};
use crate::core::protocol::{Request, Response};
use crate::core::txn::TxnRequest;

use super::Cluster;

impl Cluster {
    /// Turns the authorizer on (with its settings) or off. It is the broker's configuration, not the cluster's
    /// data: each opening says it again, as a Kafka broker reads `authorizer.class.name` at start.
    pub fn set_authorizer(&mut self, authorizer: Option<Authorizer>) {
        self.authorizer = authorizer;
    }

    /// Sets whom SaslAuthenticate lets in; configuration too, like the authorizer.
    pub fn set_credentials(&mut self, credentials: Credentials) {
        self.credentials = credentials;
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

    /// Whether `client` may make `request`: `Ok` with the request to serve (a Metadata request for every topic
    /// narrowed to those the client may describe, as Kafka lists only those), or the authorization error of the
    /// first resource it may not touch. Kafka answers those per topic or partition; here the request fails as a
    /// whole, as a KafkaJS client reports it. A topic the client may not describe is refused whether or not it
    /// exists, so that its existence does not leak.
    pub fn authorize(&self, client: &Client, request: Request) -> Result<Request> {
        let Some(authorizer) = &self.authorizer else { return Ok(request) };
        let may = |op, kind, name: &str| authorizer.authorize(&self.acls, client, op, kind, name);
        if let Request::Metadata { topics: None } = request {
            let visible = self.topics.keys().filter(|t| may(Operation::Describe, ResourceType::Topic, t.as_str()));
            return Ok(Request::Metadata { topics: Some(visible.map(|t| t.to_string()).collect()) });
        }
        // Kafka lets CREATE on the cluster stand for CREATE on every topic.
        let allowed = |&(op, kind, name): &(Operation, ResourceType, &str)| {
            may(op, kind, name) || (op == Operation::Create && may(op, ResourceType::Cluster, CLUSTER_RESOURCE))
        };
        if let Some((op, kind, name)) = needed(&request).into_iter().find(|n| !allowed(n)) {
            return Err(refused(client, op, kind, name));
        }
        if let Request::InitProducerId { transactional_id: None, .. } = request {
            // An idempotent producer needs IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (KIP-679).
            if !may(Operation::IdempotentWrite, ResourceType::Cluster, CLUSTER_RESOURCE)
                && !authorizer.authorize_any(&self.acls, client, Operation::Write, ResourceType::Topic)
            {
                return Err(refused(client, Operation::IdempotentWrite, ResourceType::Cluster, CLUSTER_RESOURCE));
            }
        }
        Ok(request)
    }

    /// Serves `request` for `client` at `now_ms`, as [`Cluster::handle`] does once [`Cluster::authorize`] lets it
    /// through, with the answer narrowed to what the client may see.
    pub fn handle_as(&mut self, client: &Client, request: Request, now_ms: i64) -> Result<Response> {
        let request = self.authorize(client, request)?;
        let mut response = self.handle(request, now_ms)?;
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
        Request::Metadata { topics } => topics.iter().flatten().map(|t| (Describe, Topic, t.as_str())).collect(),
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
        | Request::DeleteAcls(_) => cluster(Alter),
        Request::ListPartitionReassignments { .. } | Request::DescribeAcls(_) => cluster(Describe),
    }
}

/// Kafka's authorization error for a resource of `kind`, with what the client lacked.
fn refused(client: &Client, op: Operation, kind: ResourceType, name: &str) -> Error {
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
