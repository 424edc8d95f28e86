// The lessons, one per idea of the Kafka-basics lecture, written for franz (not the lecture's sentences). Each
// explains, then offers commands to try (a click types them into the terminal) or buttons in the live view.
export const LESSONS = [
  {
    title: 'Start: a cluster of your own',
    text: `<p>The lecture does everything with Confluent's command-line tool against a cloud cluster. Here the same
      commands run against a real Kafka cluster inside this tab: nothing to install, no account.</p>
      <p>Log in (a local session), make an environment, and give it a cluster of three brokers.</p>`,
    try: ['confluent login', 'confluent environment create msds682 -o json', 'confluent environment list'],
    note: 'Copy the env-… id from the output, then run: confluent environment use <id>',
  },
  {
    title: 'The cluster and its brokers',
    text: `<p>A Kafka cluster is a set of servers, called brokers, that share the work of storing topics and
      answering clients. Creating a cluster on Confluent Cloud asks for a cloud and a region; franz accepts the same
      flags and runs the brokers here (<code>--brokers</code> picks how many).</p>
      <p>After <code>cluster use</code>, the panel on the right shows every broker.</p>`,
    try: ['confluent kafka cluster create day2 --cloud gcp --region us-west1', 'confluent kafka cluster list'],
    note: 'Then: confluent kafka cluster use <lkc-id>, and franz broker list',
  },
  {
    title: 'Messages: key, value, timestamp, headers',
    text: `<p>Everything in Kafka is a message (also called a record or event): an optional key, a value, a
      timestamp, and optional headers. Kafka stores the bytes as they are; it does not look inside.</p>
      <p>Producing needs an API key for the cluster, as on Confluent Cloud. Make one and select it.</p>`,
    try: ['confluent api-key create --description "course key" --resource <lkc-id> -o json',
          'confluent api-key use <API_KEY> --resource <lkc-id>'],
    note: 'Your own key may do anything. An application should get less: confluent iam service-account create app, an API key with --service-account <sa-id>, and only what confluent kafka acl create --allow --service-account <sa-id> --operations write --topic orders grants.',
  },
  {
    title: 'Topics and their names',
    text: `<p>A topic is a named stream of messages, like a table for events. Names may use letters, digits,
      dots, dashes and underscores. Good names say what the data is and where it comes from, in lowercase, with a
      dot hierarchy, an environment prefix when clusters are shared, and a version.</p>`,
    try: ['franz topic lint Orders', 'franz topic lint dev_sales.orders.v1', 'confluent kafka topic create orders --partitions 3'],
  },
  {
    title: 'Producing and consuming: publish/subscribe',
    text: `<p>Producers write to a topic without knowing who reads it; consumers read without knowing who wrote.
      That decoupling means a producer keeps going while consumers are away, and they catch up later, because
      the messages stay in the log.</p>
      <p>Produce a few lines (Ctrl-D to stop), then consume from the beginning (Ctrl-C to stop). A message may
      also carry headers, small labels beside the value such as where it came from: <code>--headers</code> adds
      them to every line you type, and the consumer prints them under each message, with its timestamp, partition
      and offset if you ask.</p>`,
    try: ['confluent kafka topic produce orders', 'confluent kafka topic consume orders -b',
          'confluent kafka topic produce orders --headers source:web,version:1',
          'confluent kafka topic consume orders -b --timestamp --print-offset'],
  },
  {
    title: 'Partitions and keys',
    text: `<p>A topic is split into partitions, each an ordered log of its own. A message with a key always goes to
      the same partition: Kafka hashes the key (murmur2) and takes it modulo the partition count, exactly as franz
      does here. A message without a key goes round-robin.</p>
      <p>Produce keyed lines like <code>alice:paid</code> and watch which partition's last records grow.</p>`,
    try: ['confluent kafka topic produce orders --parse-key', 'confluent kafka topic describe orders'],
  },
  {
    title: 'Order holds within a partition only',
    text: `<p>Inside one partition, messages keep the order they were written in. Across partitions there is no
      order at all. So events that must stay in order need the same key: then they share a partition.</p>`,
    try: ['confluent kafka topic consume orders -b --print-key', 'confluent kafka topic consume orders --partition 0 --offset 0 --print-key'],
  },
  {
    title: 'Offsets: where a reader is',
    text: `<p>Each message in a partition has an offset: its position, counting from zero. A consumer remembers
      the next offset it will read; a consumer group commits those offsets to Kafka (in the internal
      <code>__consumer_offsets</code> topic), so a restarted consumer carries on where it stopped.</p>
      <p><code>-b</code> starts at the oldest offset; without it, a new reader starts at the end.</p>`,
    try: ['confluent kafka topic consume orders -b --group billing', 'confluent kafka consumer group describe billing'],
  },
  {
    title: 'Replication factor and the number of brokers',
    text: `<p>Every partition is copied to several brokers: that count is the replication factor. A copy per
      broker is the most there can be, so a replication factor larger than the broker count is refused.</p>
      <p>Make a cluster with one broker, and ask it for a topic with three copies.</p>`,
    try: ['confluent kafka cluster create tiny --cloud gcp --region us-west1 --brokers 1',
          'confluent kafka topic create three-copies --replication-factor 3 --cluster <tiny-cluster-id>'],
    note: 'On the one-broker cluster (pass its id to --cluster), three copies are refused with INVALID_REPLICATION_FACTOR.',
  },
  {
    title: 'Leaders, followers and failover',
    text: `<p>For each partition one replica is the leader: it takes every write and read. The others are
      followers that fetch from it; those caught up form the in-sync replicas (ISR). When the leader's broker dies,
      the controller notices its missing heartbeats (about a second here) and makes an in-sync follower the leader.</p>
      <p>Press <b>Kill</b> on a broker that leads something, watch the ★ move and the ISR shrink, then
      <b>Restart</b> it: it catches up, rejoins the ISR, and leads again.</p>`,
    try: ['franz broker list', 'franz broker kill 1', 'franz broker restart 1'],
  },
  {
    title: 'Reading from followers (racks)',
    text: `<p>Since Kafka 2.4 a consumer may read from a follower in its own rack (availability zone) instead of
      the leader, which saves traffic between zones. It reads only up to the high watermark, what every in-sync
      replica has. Give the brokers racks (a franz flag), use that cluster, then add a consumer with a rack on the
      right: it reads from the in-sync replica in its rack.</p>`,
    try: ['confluent kafka cluster create zones --cloud gcp --region us-west1 --racks a,b,c', 'franz broker list'],
    note: "Then: confluent kafka cluster use <zones-cluster-id>. In the JS API: Kafka.open({ racks: ['a', 'b', 'c'] }) and kafka.consumer({ groupId, rackId: 'b' }).",
  },
  {
    title: 'How many partitions?',
    text: `<p>Partitions are the unit of parallelism: more of them let more producers and consumers work at once,
      but each costs the brokers memory and files. A common estimate divides the target throughput by what one
      partition handles for producers and for consumers, and takes the larger.</p>
      <p>The calculator shows that rule and the lecture's worked example, and explains why they differ.</p>`,
    try: ['franz partitions estimate --target-mbps 200 --producer-mbps 15 --consumer-mbps 20 --producers 4 --consumers 6',
          'confluent kafka topic create payments --partitions 4'],
  },
  {
    title: 'Consumer groups: scaling, and idle members',
    text: `<p>Consumers in the same group split a topic's partitions between them, so each message is handled by
      one member. More members than partitions leaves some with nothing: they sit idle until a member leaves. In
      JavaScript, <code>kafka.consumer({ groupId })</code> joins a group for real; the panel lists each member's
      partitions and the group's lag.</p>`,
    try: ['confluent kafka consumer group list', 'confluent kafka consumer group describe billing'],
  },
  {
    title: 'CAP: a short quiz',
    text: `<p>A distributed system cut in two by the network must choose between answering (availability) and
      agreeing (consistency). Kafka's settings choose per topic: <code>acks=all</code> with
      <code>min.insync.replicas</code> refuses writes rather than lose agreement.</p>`,
    quiz: {
      question: 'A topic has replication factor 3 and min.insync.replicas=2. Two brokers die. What does a producer with acks=all get?',
      answers: ['Its writes are accepted by the last broker', 'NOT_ENOUGH_REPLICAS: writes stop until a broker returns', 'The messages are lost silently'],
      right: 1,
      why: 'Only one replica is in sync, fewer than min.insync.replicas: Kafka chooses consistency over availability for acks=all writes.',
    },
  },
  {
    title: 'Clean up',
    text: `<p>The lecture ends by deleting what it made, in reverse order: topics, then the cluster, then the
      environment. Deleting the cluster deletes its stored data too.</p>`,
    try: ['confluent kafka topic delete orders', 'confluent kafka cluster delete <lkc-id>', 'confluent environment delete <env-id>'],
  },
];
