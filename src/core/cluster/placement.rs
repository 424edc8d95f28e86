//! Where a topic's partition replicas go: Kafka's rack-unaware assignment
//! (`AdminUtils.assignReplicasToBrokersRackUnaware`).
//!
//! The first replica of partition p goes to broker `(p + start) % n`; followers follow at a shift that grows
//! every n partitions, so leaders (first replicas) spread evenly and follower pairs vary. `start` and the
//! initial shift are random in Kafka; here they come from the caller's seeded generator.

use super::BrokerId;

/// Replica lists for `count` new partitions numbered from `first_partition`.
///
/// `brokers` must be sorted and non-empty, and `replication_factor` between 1 and `brokers.len()`; the caller
/// checks both and reports Kafka's errors.
pub fn assign_replicas(
    brokers: &[BrokerId],
    count: u32,
    replication_factor: usize,
    first_partition: u32,
    start_index: usize,
    initial_shift: usize,
) -> Vec<Vec<BrokerId>> {
    let n = brokers.len();
    let mut shift = initial_shift;
    (first_partition..first_partition + count)
        .map(|p| {
            let p = p as usize;
            if p > 0 && p.is_multiple_of(n) {
                shift += 1;
            }
            let first = (p + start_index) % n;
            let mut replicas = vec![brokers[first]];
            for j in 0..replication_factor - 1 {
                // Kafka's replicaIndex: 1 + (shift + j) % (n - 1) places never land on the first replica.
                let step = 1 + (shift + j) % (n - 1);
                replicas.push(brokers[(first + step) % n]);
            }
            replicas
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_kafkas_documented_example() {
        // The example in Kafka's AdminUtils scaladoc: 5 brokers, 10 partitions, RF 3, start index 0, shift 0.
        let got = assign_replicas(&[0, 1, 2, 3, 4], 10, 3, 0, 0, 0);
        let want: Vec<Vec<BrokerId>> = vec![
            vec![0, 1, 2],
            vec![1, 2, 3],
            vec![2, 3, 4],
            vec![3, 4, 0],
            vec![4, 0, 1],
            vec![0, 2, 3],
            vec![1, 3, 4],
            vec![2, 4, 0],
            vec![3, 0, 1],
            vec![4, 1, 2],
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn leaders_spread_evenly_and_replicas_are_distinct() {
        for start in 0..3 {
            let got = assign_replicas(&[1, 2, 3], 6, 3, 0, start, start);
            let mut leaders = [0; 4];
            for replicas in &got {
                leaders[replicas[0] as usize] += 1;
                let mut sorted = replicas.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), 3, "{replicas:?}");
            }
            assert_eq!(&leaders[1..], &[2, 2, 2]);
        }
    }

    #[test]
    fn single_broker_single_replica() {
        assert_eq!(assign_replicas(&[1], 3, 1, 0, 0, 0), vec![vec![1], vec![1], vec![1]]);
    }
}
