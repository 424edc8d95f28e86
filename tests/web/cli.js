// The CLI through its JS entry point (tests/web_cli.rs): the lecture's whole sequence against IndexedDB, a
// reload that keeps everything, and KafkaJS-style SASL credentials for a CLI-created cluster.

import { check, eq, rejects } from './check.js';

/** Runs a line; fails the scenario on a CLI error. */
async function ok(cli, line) {
  const r = await cli.run(line);
  if (r.error) throw new Error(`${line}: ${r.error.text}`);
  return r;
}

export async function theLecturesSequence({ openCli, open, deleteCluster }) {
  await deleteCluster('__cli');
  let cli = await openCli({ storage: 'indexeddb' });
  check((await ok(cli, 'confluent login')).output.includes('Logged in as'), 'login');
  const env = JSON.parse((await ok(cli, 'confluent environment create msds682 -o json')).output);
  eq(Object.keys(env), ['is_current', 'id', 'name', 'stream_governance_package'], 'the lecture\'s JSON fields');
  await ok(cli, `confluent environment use ${env.id}`);
  const created = (await ok(cli, 'confluent kafka cluster create day2 --cloud gcp --region us-west1')).output;
  check(created.includes('| PROVISIONING') && created.includes('| Endpoint '), created);
  const lkc = /\| ID\s+\| (lkc-\w+)/.exec(created)[1];
  eq(JSON.parse((await ok(cli, `confluent kafka cluster describe ${lkc} -o json`)).output).status, 'UP', 'its storage is made');
  const key = JSON.parse((await ok(cli, `confluent api-key create --description "MSDS682 credentials" --resource ${lkc} -o json`)).output);
  await ok(cli, `confluent kafka cluster use ${lkc}`);
  await ok(cli, 'confluent kafka topic create orders');
  const refused = await cli.run('confluent kafka topic produce orders');
  eq(refused.error && refused.error.name, 'SASL_AUTHENTICATION_FAILED', 'no API key in use');
  check(refused.error.text.includes(`confluent api-key use <API_KEY> --resource ${lkc}`), refused.error.text);
  await ok(cli, `confluent api-key use ${key.api_key} --resource ${lkc}`);
  eq((await ok(cli, 'confluent kafka topic produce orders')).streaming, 'produce', 'producing');
  for (const line of ['hello', 'from', 'the browser']) await cli.send(line);
  cli.stop();
  eq((await ok(cli, 'confluent kafka topic consume orders -b')).streaming, 'consume', 'consuming');
  const read = (await cli.poll()).sort();
  eq(read, ['from', 'hello', 'the browser'], 'every message from the beginning');
  cli.stop();
  const typo = await cli.run('confluent kafka tpoic list');
  check(typo.error && typo.error.text.includes('Did you mean this?\n\ttopic'), 'a suggestion for a typo');
  eq(cli.complete('confluent kafka to'), ['topic'], 'Tab completes commands');
  check(cli.complete('confluent kafka topic create x --p').includes('--partitions'), 'and flags');
  await cli.close();

  // A reload: the session, environment, cluster, key (hash only) and the data are all still there.
  cli = await openCli({ storage: 'indexeddb' });
  const topics = JSON.parse((await ok(cli, 'confluent kafka topic list -o json')).output);
  eq(topics.map((t) => t.name), ['orders'], 'topics survive the reload');
  const again = await cli.run('confluent kafka topic produce orders');
  check(again.error && again.error.text.includes('confluent api-key store'), 'the secret was never saved: it must be stored again');
  await cli.close();

  // KafkaJS's shape for the same credentials.
  await rejects(open({ cluster: lkc, storage: 'indexeddb' }), { type: 'SASL_AUTHENTICATION_FAILED' }, 'no credentials');
  await rejects(open({ cluster: lkc, storage: 'indexeddb', sasl: { mechanism: 'plain', username: key.api_key, password: 'wrong' } }),
    { type: 'SASL_AUTHENTICATION_FAILED' }, 'a wrong secret');
  const kafka = await open({ cluster: lkc, storage: 'indexeddb', sasl: { mechanism: 'plain', username: key.api_key, password: key.api_secret } });
  eq(await kafka.admin().listTopics(), ['orders'], 'the CLI\'s cluster, through the JS API');
  await kafka.close();

  // A service account's key: it may do what the CLI's ACLs allow, in the JS API too.
  cli = await openCli({ storage: 'indexeddb' });
  const sa = JSON.parse((await ok(cli, 'confluent iam service-account create reporting -o json')).output);
  const saKey = JSON.parse((await ok(cli, `confluent api-key create --resource ${lkc} --service-account ${sa.id} -o json`)).output);
  await cli.close();
  const asApp = { cluster: lkc, storage: 'indexeddb', sasl: { mechanism: 'plain', username: saKey.api_key, password: saKey.api_secret } };
  let app = await open(asApp);
  eq(await app.admin().listTopics(), [], 'a service account without ACLs sees no topic');
  const producer = app.producer();
  await producer.connect();
  await rejects(producer.send({ topic: 'orders', messages: [{ value: 'x' }] }), { type: 'TOPIC_AUTHORIZATION_FAILED' }, 'nor writes one');
  await app.close();
  cli = await openCli({ storage: 'indexeddb' });
  await ok(cli, `confluent kafka acl create --allow --service-account ${sa.id} --operations read --topic orders`);
  await cli.close();
  app = await open(asApp);
  eq(await app.admin().listTopics(), ['orders'], 'an ACL from the CLI lets it see the topic');
  await app.close();

  cli = await openCli({ storage: 'indexeddb' });
  await ok(cli, 'confluent kafka topic delete orders');
  await ok(cli, `confluent kafka cluster delete ${lkc}`);
  await ok(cli, `confluent environment delete ${env.id}`);
  eq(JSON.parse((await ok(cli, 'confluent environment list -o json')).output), [], 'clean');
  await cli.close();
}
