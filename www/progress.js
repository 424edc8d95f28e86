// Each lesson's link name, and the checks that turn green when the real cluster shows the student did it. They
// read the CLI's state (`status`) and the live view of the cluster in use (`view`); `answers` holds quiz results,
// and `done` the lessons already done.
const records = (view) => (view?.topics ?? []).flatMap((t) => t.partitions).reduce((n, p) => n + p.highWatermark, 0);

export const PROGRESS = [
  { slug: 'start', checks: (v, s) => [['logged in', s.loggedIn], ['an environment exists', s.environments.length > 0], ['an environment is in use', !!s.currentEnvironment]] },
  { slug: 'cluster', checks: (v, s) => [['a cluster exists', s.clusters.length > 0], ['a cluster is in use', !!v], ['its brokers are up', !!v && v.brokers.some((b) => b.alive)]] },
  { slug: 'messages', checks: (v, s) => [['an API key for the cluster in use', s.apiKeys.some((k) => k.resource === s.currentCluster)], ['an API key is in use', s.keysInUse.some(([c]) => c === s.currentCluster)]] },
  { slug: 'topics', checks: (v) => [['a topic exists', (v?.topics.length ?? 0) > 0]] },
  { slug: 'pubsub', checks: (v) => [['a topic holds records', records(v) > 0], ['someone read them (a group committed)', (v?.groups ?? []).some((g) => g.lag.some((l) => l.committed > 0))]] },
  { slug: 'partitions', checks: (v) => [['a topic has 3 or more partitions', (v?.topics ?? []).some((t) => t.partitions.length >= 3)], ['records in 2 or more partitions of it', (v?.topics ?? []).some((t) => t.partitions.filter((p) => p.highWatermark > 0).length >= 2)]] },
  { slug: 'ordering', checks: (v) => [['a partition holds 2 or more records', (v?.topics ?? []).some((t) => t.partitions.some((p) => p.highWatermark >= 2))]] },
  { slug: 'offsets', checks: (v) => [['a consumer group committed offsets', (v?.groups ?? []).some((g) => g.lag.some((l) => l.committed !== null))]] },
  { slug: 'replication', checks: (v, s) => [['a cluster with a single broker exists', s.clusters.some((c) => c.brokers === 1)]] },
  { slug: 'failover', checks: (v) => [['a partition changed leader (its leader epoch grew)', (v?.topics ?? []).some((t) => t.partitions.some((p) => p.leaderEpoch > 0))], ['every broker is back up', !!v && v.brokers.every((b) => b.alive)]] },
  { slug: 'racks', checks: (v) => [['the cluster in use has brokers in racks', !!v && v.brokers.some((b) => b.rack)]] },
  { slug: 'partition-count', checks: (v) => [['a topic with the lecture\'s 4 partitions', (v?.topics ?? []).some((t) => t.partitions.length === 4)]] },
  { slug: 'groups', checks: (v) => [['a group has 2 or more members', (v?.groups ?? []).some((g) => g.members.length >= 2)], ['a member sits idle', (v?.groups ?? []).some((g) => g.members.some((m) => m.partitions.length === 0))]] },
  { slug: 'cap', checks: (v, s, answers) => [['quiz answered right', !!answers.cap]] },
  // Cleaning up comes after making something: an empty account at the start is not a clean-up.
  { slug: 'cleanup', checks: (v, s, answers, done) => [['a cluster was made (lesson 2)', done.has('cluster')], ['no clusters left', s.loggedIn && s.clusters.length === 0], ['no environments left', s.loggedIn && s.environments.length === 0]] },
];
