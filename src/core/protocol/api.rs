//! Kafka's API keys: which of Kafka's APIs each request is, as clients name them in their network events.

use super::Request;
use crate::core::txn::{TxnCall, TxnRequest};

impl Request {
    /// Kafka's API key and name for the request (`Fault`, franz's own, has key -1): what KafkaJS's
    /// `network.request` events report.
    pub fn api(&self) -> (i16, &'static str) {
        match self {
            Request::Produce { .. } => (0, "Produce"),
            Request::Fetch { .. } => (1, "Fetch"),
            Request::ListOffsets { .. } => (2, "ListOffsets"),
            Request::Metadata { .. } => (3, "Metadata"),
            Request::OffsetCommit { .. } => (8, "OffsetCommit"),
            Request::OffsetFetch { .. } => (9, "OffsetFetch"),
            Request::FindCoordinator { .. } => (10, "GroupCoordinator"),
            Request::JoinGroup(_) => (11, "JoinGroup"),
            Request::Heartbeat { .. } => (12, "Heartbeat"),
            Request::LeaveGroup { .. } => (13, "LeaveGroup"),
            Request::SyncGroup { .. } => (14, "SyncGroup"),
            Request::DescribeGroup { .. } => (15, "DescribeGroups"),
            Request::ListGroups => (16, "ListGroups"),
            Request::SaslHandshake { .. } => (17, "SaslHandshake"),
            Request::CreateTopics { .. } => (19, "CreateTopics"),
            Request::DeleteTopics { .. } => (20, "DeleteTopics"),
            Request::DeleteRecords { .. } => (21, "DeleteRecords"),
            Request::InitProducerId { .. } => (22, "InitProducerId"),
            Request::Txn(TxnCall { request, .. }) => match request {
                TxnRequest::AddPartitions { .. } => (24, "AddPartitionsToTxn"),
                TxnRequest::AddOffsets { .. } => (25, "AddOffsetsToTxn"),
                TxnRequest::End { .. } => (26, "EndTxn"),
                TxnRequest::CommitOffsets { .. } => (28, "TxnOffsetCommit"),
            },
            Request::DescribeAcls { .. } => (29, "DescribeAcls"),
            Request::CreateAcls { .. } => (30, "CreateAcls"),
            Request::DeleteAcls { .. } => (31, "DeleteAcls"),
            Request::DescribeConfigs { .. } | Request::DescribeBrokerConfigs { .. } => (32, "DescribeConfigs"),
            Request::AlterConfigs { .. } => (33, "AlterConfigs"),
            Request::SaslAuthenticate(_) => (36, "SaslAuthenticate"),
            Request::CreatePartitions { .. } => (37, "CreatePartitions"),
            Request::DeleteGroups { .. } => (42, "DeleteGroups"),
            Request::AlterPartitionReassignments(_) => (45, "AlterPartitionReassignments"),
            Request::ListPartitionReassignments { .. } => (46, "ListPartitionReassignments"),
            Request::DescribeUserScramCredentials { .. } => (50, "DescribeUserScramCredentials"),
            Request::AlterUserScramCredentials { .. } => (51, "AlterUserScramCredentials"),
            Request::DescribeTransactions { .. } => (65, "DescribeTransactions"),
            Request::ListTransactions { .. } => (66, "ListTransactions"),
            Request::Fault(_) => (-1, "Fault"),
        }
    }
}
