//! A member run against a broker that answers at once (the CLI's consumer, the group simulator): each action
//! the member asks for goes out as its protocol request, answers and the coordinator's replies come back in,
//! and giving partitions up or getting them goes to the caller, in the order the member decided them.

use std::collections::{BTreeMap, VecDeque};

use super::assignors::TopicPartition;
use super::coordinator::Reply;
use super::member::{Action, GroupMember};
use crate::core::error::{Error, Result};
use crate::core::protocol::{Request, Response};

/// What a member needs from where it runs.
pub trait GroupLink {
    /// Serves a group request now (JoinGroup and SyncGroup answer `GroupPending`; their answers are replies).
    fn call(&mut self, request: Request) -> Result<Response>;
    /// The coordinator's answers for `member_id` that have come since.
    fn replies(&mut self, member_id: &str) -> Vec<Reply>;
    /// The member gives these up: commit what was processed of them first.
    fn revoke(&mut self, member: &GroupMember, partitions: Vec<TopicPartition>);
    /// The member reads these from now on.
    fn assign(&mut self, member: &GroupMember, partitions: Vec<TopicPartition>) -> Result<()>;
}

/// Most steps one run takes: a join, a sync and their partition changes take a handful.
const MAX_STEPS: usize = 64;

/// Carries out `actions` and what follows from them, until the member has nothing more to do now.
pub fn run(
    member: &mut GroupMember,
    actions: Vec<Action>,
    partitions: &BTreeMap<String, u32>,
    now_ms: i64,
    link: &mut dyn GroupLink,
) -> Result<()> {
    let mut queue: VecDeque<Action> = actions.into();
    for _ in 0..MAX_STEPS {
        let Some(action) = queue.pop_front().or_else(|| {
            let id = member.member_id.clone()?;
            let more: Vec<Action> =
                link.replies(&id).into_iter().flat_map(|r| member.on_reply(r, partitions, now_ms)).collect();
            queue.extend(more);
            queue.pop_front()
        }) else {
            break;
        };
        match action {
            Action::Join(join) => match link.call(Request::JoinGroup(join)) {
                Ok(Response::GroupPending { member_id, .. }) => member.member_id = Some(member_id),
                Ok(_) => {}
                Err(e) => queue.extend(member.on_joined(Err(e), partitions)),
            },
            Action::Sync { group, member_id, generation, assignments } => {
                if let Err(e) = link.call(Request::SyncGroup { group, member_id, generation, assignments }) {
                    queue.extend(member.on_synced(Err(e), now_ms));
                }
            }
            Action::Heartbeat { group, member_id, generation } => {
                let result = link.call(Request::Heartbeat { group, member_id, generation });
                queue.extend(member.on_heartbeat(result.map(drop)));
            }
            Action::Leave { group, member_id } => {
                let _ = link.call(Request::LeaveGroup { group, member_id });
            }
            Action::Revoke(tps) => link.revoke(member, tps),
            Action::Assign(tps) => link.assign(member, tps)?,
            Action::Fail(e) => return Err(e),
            // Members run here offer franz's assignors only.
            Action::RunAssignor { protocol, .. } => {
                return Err(Error::InconsistentGroupProtocol(format!("no custom assignor {protocol:?} runs here")))
            }
            Action::Unsubscribed { .. } => {}
        }
    }
    Ok(())
}
