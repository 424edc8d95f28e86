// ACLs and SASL (PLAIN, SCRAM, OAUTHBEARER unsecured and signed) through the JS API (tests/web_security.rs): a cluster opened with users and an
// authorizer lets each principal do what its ACLs allow, in the page and through ports; ACLs survive a reopen;
// bad credentials, bad ACLs, SASL messages out of turn and a cluster without an authorizer get Kafka's errors.

import { check, consume, eq, rejects, sleep } from './check.js';

// KafkaJS's values of AclResourceTypes, ResourcePatternTypes, AclOperationTypes and AclPermissionTypes.
const [ANY, MATCH, LITERAL, PREFIXED] = [1, 2, 3, 4];
const [TOPIC, GROUP] = [2, 3];
const [ALL, READ, WRITE] = [2, 3, 4];
const [DENY, ALLOW] = [2, 3];

const acl = (resourceType, resourceName, resourcePatternType, principal, operation, permissionType = ALLOW) =>
  ({ resourceType, resourceName, resourcePatternType, principal, host: '*', operation, permissionType });
const everything = { resourceType: ANY, resourcePatternType: ANY, operation: ANY, permissionType: ANY };
const login = (mechanism) => (username, password) => ({ sasl: { mechanism, username, password } });
const plain = login('plain');

export async function aclsGuardTheCluster(api) {
  // Without an authorizer, Kafka keeps no ACLs.
  const open = await api.open({ cluster: 'acl-off', storage: 'memory' });
  await rejects(open.admin().describeAcls(everything), { type: 'SECURITY_DISABLED', code: 54 }, 'no authorizer');
  await open.close();
  await rejects(api.open({ cluster: 'acl-x', storage: 'memory', ...plain('a', 'b') }), { type: 'ILLEGAL_SASL_STATE', code: 34 },
    'credentials for a cluster that has no users (a PLAINTEXT listener)');

  const users = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' };
  const config = { cluster: 'acl-on', storage: 'indexeddb', users, authorizer: { superUsers: ['User:admin'] } };
  await api.deleteCluster('acl-on');
  await rejects(api.open({ ...config, ...plain('admin', 'guess') }), { type: 'SASL_AUTHENTICATION_FAILED' }, 'a wrong password');
  await rejects(api.open(config), { type: 'SASL_AUTHENTICATION_FAILED' }, 'no credentials where users are needed');
  const kafka = await api.open({ ...config, ...plain('admin', 'admin-secret') });
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }, { topic: 'payroll' }] });
  eq(await admin.createAcls({ acl: [
    acl(TOPIC, 'orders', LITERAL, 'User:alice', WRITE),
    acl(TOPIC, 'ord', PREFIXED, 'User:bob', READ),
    acl(GROUP, 'billing', LITERAL, 'User:bob', READ),
  ] }), true, 'createAcls resolves true');
  await rejects(admin.createAcls({ acl: [acl(TOPIC, 't', LITERAL, 'alice', READ)] }), { type: 'INVALID_REQUEST' }, 'a principal without its type');
  await rejects(admin.createAcls({ acl: [acl(TOPIC, 't', MATCH, 'User:a', READ)] }), { type: 'INVALID_REQUEST' }, 'a filter-only pattern');
  await rejects(admin.createAcls({ acl: [acl(9, 't', LITERAL, 'User:a', READ)] }), { type: 'INVALID_REQUEST' }, 'an unknown resource type');
  await rejects(admin.createAcls({ acl: [{ ...acl(TOPIC, 't', LITERAL, 'User:a', READ), operation: 'read' }] }), { name: 'TypeError' },
    'an operation that is not a number');
  const applying = await admin.describeAcls({ resourceType: TOPIC, resourceName: 'orders', resourcePatternType: MATCH, operation: ANY, permissionType: ANY });
  eq(applying.errorCode, 0, 'describeAcls succeeds');
  eq(applying.resources.map((r) => [r.resourceName, r.resourcePatternType, r.acls.map((a) => [a.principal, a.operation, a.permissionType, a.host])]),
    [['ord', PREFIXED, [['User:bob', READ, ALLOW, '*']]], ['orders', LITERAL, [['User:alice', WRITE, ALLOW, '*']]]],
    'MATCH lists every ACL that applies to a topic, grouped by resource');

  // Clients through ports, each authenticated as its user.
  const connect = async (options) => {
    const { port1, port2 } = new MessageChannel();
    kafka.serve(port1);
    return api.connect(port2, options);
  };
  await rejects(connect(plain('alice', 'bob-secret')), { type: 'SASL_AUTHENTICATION_FAILED' }, 'a port client with a wrong password');
  const alice = await connect(plain('alice', 'alice-secret'));
  const producer = alice.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'first' }] });
  await rejects(producer.send({ topic: 'payroll', messages: [{ value: 'raise' }] }), { type: 'TOPIC_AUTHORIZATION_FAILED', code: 29 },
    'alice may not write payroll');
  const mixed = [{ topic: 'orders', messages: [{ key: 'k', value: 'second' }] }, { topic: 'payroll', messages: [{ value: 'raise' }] }];
  await rejects(producer.sendBatch({ topicMessages: mixed }), { type: 'TOPIC_AUTHORIZATION_FAILED' }, 'a batch that writes payroll too');
  const written = (await admin.fetchTopicOffsets('orders')).reduce((n, p) => n + Number(p.high), 0);
  eq(written, 1, 'as in KafkaJS, the metadata of every topic comes first: nothing of the batch was written');
  eq(await alice.admin().listTopics(), ['orders'], 'alice lists only the topics she may describe');
  await rejects(alice.admin().createAcls({ acl: [acl(TOPIC, 'payroll', LITERAL, 'User:alice', ALL)] }), { type: 'CLUSTER_AUTHORIZATION_FAILED' },
    'only who may alter the cluster creates ACLs');

  const bob = await connect(plain('bob', 'bob-secret'));
  const billing = bob.consumer({ groupId: 'billing', maxWaitTimeInMs: 50 });
  await billing.connect();
  await billing.subscribe({ topic: 'orders', fromBeginning: true });
  eq((await consume(billing, 1, { autoCommit: false })).map((m) => m.value), ['first'], 'bob reads orders in group billing');
  await billing.disconnect();
  await rejects(bob.admin().fetchOffsets({ groupId: 'payroll-readers', topics: ['orders'] }), { type: 'GROUP_AUTHORIZATION_FAILED', code: 30 },
    'bob may not use another group');
  const curious = bob.consumer({ groupId: 'billing' });
  await curious.connect();
  await rejects(curious.subscribe({ topic: 'payroll' }), { type: 'TOPIC_AUTHORIZATION_FAILED' }, 'subscribing to a topic bob may not see');
  await rejects(curious.subscribe({ topic: 'nowhere' }), { type: 'TOPIC_AUTHORIZATION_FAILED' }, 'whether or not it exists');
  await curious.disconnect();
  const intruder = bob.consumer({ groupId: 'payroll-readers' });
  const crashed = new Promise((resolve) => intruder.on(intruder.events.CRASH, ({ payload }) => resolve(payload)));
  await intruder.connect();
  await intruder.subscribe({ topic: 'orders', fromBeginning: true });
  await intruder.run({ eachMessage: async () => {} });
  const crash = await Promise.race([crashed, sleep(3000).then(() => null)]);
  eq(crash && [crash.error.type, crash.restart], ['GROUP_AUTHORIZATION_FAILED', false], 'a consumer refused its group crashes, without restarting');
  await intruder.disconnect();
  const anonymous = await connect({});
  eq(await anonymous.admin().listTopics(), [], 'a client without credentials sees nothing');

  // A deny wins over an allow; deleting ACLs takes access away.
  await admin.createAcls({ acl: [acl(TOPIC, 'orders', LITERAL, 'User:bob', ALL, DENY)] });
  await rejects(bob.admin().fetchTopicOffsets('orders'), { type: 'TOPIC_AUTHORIZATION_FAILED' }, 'a deny beats the prefixed allow');
  const deleted = await admin.deleteAcls({ filters: [{ ...everything, principal: 'User:bob' }, { ...everything, resourceName: 'none' }] });
  eq(deleted.filterResponses.map((f) => f.matchingAcls.map((m) => [m.resourceName, m.operation, m.permissionType, m.errorCode])),
    [[['ord', READ, ALLOW, 0], ['orders', ALL, DENY, 0], ['billing', READ, ALLOW, 0]], []], 'deleteAcls lists what each filter removed');
  eq(await bob.admin().listTopics(), [], 'bob lost his access');
  await Promise.all([alice, bob, anonymous].map((k) => k.close()));

  // ACLs are metadata: they survive a reopen.
  await kafka.close();
  const reopened = await api.open({ ...config, ...plain('admin', 'admin-secret') });
  const kept = await reopened.admin().describeAcls(everything);
  eq(kept.resources.map((r) => [r.resourceType, r.resourceName, r.acls.map((a) => a.principal)]), [[TOPIC, 'orders', ['User:alice']]],
    'the ACLs left are there after a reopen');
  await reopened.close();
  await api.deleteCluster('acl-on');
}

/** A raw connection to `kafka`'s host: `call(envelope)` posts it with a fresh `id()` and resolves with its answer. */
function rawConnection(kafka) {
  const { port1, port2: port } = new MessageChannel();
  kafka.serve(port1);
  let next = 1;
  const id = () => next++;
  const call = (envelope) => new Promise((resolve) => {
    const sent = id();
    port.onmessage = ({ data }) => data.id === sent && resolve(data);
    port.postMessage({ id: sent, ...envelope });
  });
  return { port, id, call };
}

export async function scramLogsUsersIn(api) {
  const users = { admin: 'admin-secret', alice: 'alice-secret' };
  const config = { cluster: 'scram', storage: 'memory', users, authorizer: { superUsers: ['User:admin'] } };
  const [sha256, sha512] = [login('scram-sha-256'), login('SCRAM-SHA-512')];
  await rejects(api.open({ ...config, ...sha512('admin', 'guess') }), { type: 'SASL_AUTHENTICATION_FAILED', code: 58 },
    'SCRAM in the page with a wrong password');
  await rejects(api.open({ ...config, ...login('gssapi')('admin', 'x') }), { type: 'UNSUPPORTED_SASL_MECHANISM', code: 33 },
    'a mechanism franz does not speak');
  const kafka = await api.open({ ...config, ...sha512('admin', 'admin-secret') });
  await kafka.admin().createTopics({ topics: [{ topic: 'orders' }] });
  await kafka.admin().createAcls({ acl: [acl(TOPIC, 'orders', LITERAL, 'User:alice', WRITE)] });
  const connect = (options) => {
    const { port1, port2 } = new MessageChannel();
    kafka.serve(port1);
    return api.connect(port2, options);
  };
  await rejects(connect(sha256('alice', 'admin-secret')), { type: 'SASL_AUTHENTICATION_FAILED' },
    'SCRAM through a port with another user\'s password');
  const alice = await connect(sha256('alice', 'alice-secret'));
  const producer = alice.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', messages: [{ value: 'by scram' }] });
  eq(await alice.admin().listTopics(), ['orders'], 'alice, logged in with SCRAM-SHA-256, is User:alice to the authorizer');
  await alice.close();

  // The raw exchange: the host keeps each connection's place in it.
  const raw = rawConnection(kafka);
  const { call } = raw;
  const first = 'n,,n=alice,r=client-nonce';
  eq((await call({ kind: 'SaslAuthenticate', message: first })).error?.type, 'ILLEGAL_SASL_STATE', 'SCRAM before the handshake');
  eq((await call({ kind: 'SaslHandshake', mechanism: 'SCRAM-SHA-256' })).body, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
    'the handshake lists the enabled mechanisms');
  const serverFirst = (await call({ kind: 'SaslAuthenticate', message: first })).body;
  check(serverFirst.principal === undefined && /^r=client-nonce[^,]+,s=[^,]+,i=4096$/.test(serverFirst.message),
    `the server's first message extends the client's nonce: ${JSON.stringify(serverFirst)}`);
  const forged = `c=biws,r=${serverFirst.message.split(',')[0].slice(2)},p=${btoa('x'.repeat(32))}`;
  eq((await call({ kind: 'SaslAuthenticate', message: forged })).error?.type, 'SASL_AUTHENTICATION_FAILED', 'a forged proof');
  eq((await call({ kind: 'Metadata', topics: ['orders'] })).body.topics[0].error?.type, 'TOPIC_AUTHORIZATION_FAILED',
    'after a failed exchange the connection is still anonymous');
  eq((await call({ kind: 'SaslAuthenticate', body: { username: 'alice', password: 'alice-secret' } })).body.principal, 'User:alice',
    'PLAIN, on the same connection, starts over');
  // Kafka answers Produce per partition: the partition alice may write is written, the other refused in place.
  const [allowed, refused] = [api.recordBatch([{ value: 'raw' }]), api.recordBatch([{ value: 'raw' }])];
  const produced = await new Promise((resolve) => {
    raw.port.onmessage = ({ data }) => resolve(data);
    raw.port.postMessage({ id: raw.id(), kind: 'Produce', acks: 1, partitions: [
      { topic: 'nowhere', partition: 0, records: refused.buffer }, { topic: 'orders', partition: 0, records: allowed.buffer },
    ] }, [allowed.buffer, refused.buffer]);
  });
  eq(produced.body.map((p) => [p.topic, p.error?.type ?? p.baseOffset]), [['nowhere', 'TOPIC_AUTHORIZATION_FAILED'], ['orders', 1]],
    'each partition answered where it stood');
  // And Metadata per topic: the one alice may describe (WRITE implies it), beside the one she may not.
  const { body: metadata } = await call({ kind: 'Metadata', topics: ['nowhere', 'orders'] });
  eq(metadata.topics.map((t) => [t.name, t.error?.type ?? t.partitions.length]), [['nowhere', 'TOPIC_AUTHORIZATION_FAILED'], ['orders', 1]],
    'each topic answered on its own');
  // A long poll with nothing it may read has nothing to wait for.
  const started = performance.now();
  const fetched = await call({ kind: 'Fetch', maxWaitMs: 60000, minBytes: 1, partitions: [{ topic: 'nowhere', partition: 0, offset: 0 }] });
  eq(fetched.body.map((p) => p.error?.type), ['TOPIC_AUTHORIZATION_FAILED'], 'a fetch of a refused partition');
  check(performance.now() - started < 5000, 'is answered at once, not after its 60 s wait');
  raw.port.close();
  await kafka.close();
}

/** An unsecured JWT (RFC 7519 section 6): `"alg": "none"` and no signature, as Kafka's unsecured validator takes. */
function jwt(claims, header = { alg: 'none' }) {
  const section = (o) => btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${section(header)}.${section(claims)}.`;
}

export async function oauthBearerLogsTokensIn(api) {
  const now = Math.floor(Date.now() / 1000);
  const claims = (extra = {}) => ({ sub: 'svc-orders', iat: now - 5, exp: now + 600, scope: ['kafka'], ...extra });
  let calls = 0;
  const bearer = (token, more = {}) => ({ sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => { calls++; return token; }, ...more } });
  const config = { cluster: 'oauth', storage: 'memory', users: { admin: 'admin-secret' }, authorizer: { superUsers: ['User:admin'] },
    oauthBearer: { requiredScope: ['kafka'] } };

  // Bad validator settings are the page's mistake.
  for (const [oauthBearer, what] of [[5, 'true or an object'], [{ requiredScope: 'kafka' }, 'an array'],
    [{ principalClaimName: ' ' }, 'must not be blank'], [{ allowableClockSkewMs: -1 }, 'a whole number']]) {
    await rejects(api.open({ ...config, oauthBearer }), { name: 'TypeError', message: what }, `oauthBearer ${JSON.stringify(oauthBearer)}`);
  }
  // Tokens the validator refuses, each with RFC 7628's status and the reason.
  const refused = [
    [claims({ exp: now - 1 }), 'invalid_token', 'expired'],
    [claims({ scope: 'read' }), 'insufficient_scope', 'lacks the required "kafka"'],
    [claims({ sub: undefined }), 'invalid_token', 'no principal name'],
    [jwt(claims(), { alg: 'HS256' }), 'invalid_token', '"alg": "none"'],
  ];
  for (const [token, status, why] of refused) {
    const value = typeof token === 'string' ? token : jwt(token);
    await rejects(api.open({ ...config, ...bearer({ value }) }), { type: 'SASL_AUTHENTICATION_FAILED', code: 58, message: status },
      `a token refused for ${why}`).then((e) => check(e.message.includes(why), `${e.message} says ${why}`));
  }
  await rejects(api.open({ ...config, ...bearer({ value: jwt(claims()) }, { authorizationIdentity: 'admin' }) }),
    { type: 'SASL_AUTHENTICATION_FAILED', message: 'different from the token\'s principal name (svc-orders)' }, 'another authorization id');
  await rejects(api.open({ ...config, sasl: { mechanism: 'oauthbearer' } }),
    { type: 'SASL_AUTHENTICATION_FAILED', message: 'Missing OAuth bearer token provider' }, 'no provider');
  await rejects(api.open({ ...config, ...bearer({}) }), { type: 'SASL_AUTHENTICATION_FAILED', message: 'Invalid OAuth bearer token' }, 'no token');
  await rejects(api.open({ ...config, ...bearer({ value: jwt(claims()), extensions: { 'bad-key': 'x' } }) }),
    { type: 'SASL_AUTHENTICATION_FAILED', message: 'letters only' }, 'a bad extension key');
  const failing = { sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => { throw new Error('identity provider down'); } } };
  await rejects(api.open({ ...config, ...failing }), { message: 'identity provider down' }, 'the provider\'s own error');
  await rejects(api.open({ ...config, oauthBearer: undefined, ...bearer({ value: jwt(claims()) }) }),
    { type: 'UNSUPPORTED_SASL_MECHANISM', code: 33 }, 'a cluster that does not take tokens');

  // A valid token logs its subject in, in the page and through a port, where the provider is asked at each login.
  const admin = await api.open({ ...config, sasl: { mechanism: 'plain', username: 'admin', password: 'admin-secret' } });
  await admin.admin().createTopics({ topics: [{ topic: 'orders' }, { topic: 'payments' }] });
  await admin.admin().createAcls({ acl: [acl(TOPIC, 'orders', LITERAL, 'User:svc-orders', WRITE)] });
  // (A memory cluster opened again is a cluster of its own, with no topics and no ACLs.)
  const inPage = await api.open({ ...config, ...bearer({ value: jwt(claims()), extensions: { traceId: 'abc 123' } }) });
  await rejects(inPage.admin().createTopics({ topics: [{ topic: 'mine' }] }), { type: 'TOPIC_AUTHORIZATION_FAILED', message: 'User:svc-orders' },
    'in the page, the token\'s subject is User:svc-orders to the authorizer');
  await inPage.close();
  const port = () => {
    const { port1, port2 } = new MessageChannel();
    admin.serve(port1);
    return port2;
  };
  calls = 0;
  const svc = await api.connect(port(), bearer({ value: jwt(claims()) }, { authorizationIdentity: 'svc-orders' }));
  const producer = svc.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', messages: [{ value: 'by token' }] });
  await rejects(producer.send({ topic: 'payments', messages: [{ value: 'x' }] }), { type: 'TOPIC_AUTHORIZATION_FAILED' },
    'what its ACLs do not grant');
  await svc.reconnect(port());
  eq(calls, 2, 'the provider is asked again at a reconnect');
  await producer.send({ topic: 'orders', messages: [{ value: 'after reconnect' }] });
  await svc.close();

  // The raw exchange: a refused token is answered with RFC 7628's JSON, and fails once acknowledged.
  const { call } = rawConnection(admin);
  const message = (token) => `n,,\x01auth=Bearer ${token}\x01\x01`;
  eq((await call({ kind: 'SaslHandshake', mechanism: 'OAUTHBEARER' })).body, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'],
    'the handshake lists OAUTHBEARER beside the users\' mechanisms');
  eq((await call({ kind: 'SaslAuthenticate', message: message(jwt(claims({ exp: now - 60 }))) })).body,
    { message: '{"status":"invalid_token"}', sessionLifetimeMs: 0 }, 'a refused token: the error, no principal');
  const failed = await call({ kind: 'SaslAuthenticate', message: '\x01' });
  check(failed.error?.type === 'SASL_AUTHENTICATION_FAILED' && failed.error.message.includes('expired'),
    `acknowledged, the exchange fails with the reason: ${JSON.stringify(failed)}`);
  await call({ kind: 'SaslHandshake', mechanism: 'OAUTHBEARER' });
  eq((await call({ kind: 'SaslAuthenticate', message: message(jwt(claims())) })).body.principal, 'User:svc-orders',
    'a valid token, on the same connection');
  await admin.close();
}

/** A key pair from the page's WebCrypto for `alg` ('RS256', 'PS256', 'ES256' or 'ES384'), its public half a JWKS
 * entry named `kid`, and a signer of JWTs with it, as an identity provider signs access tokens. (WebCrypto's ECDSA
 * signatures are r and s side by side, as JWS's are.) */
async function identityProvider(alg, kid) {
  const curve = { ES256: ['P-256', 'SHA-256'], ES384: ['P-384', 'SHA-384'] }[alg];
  const algorithm = curve ? { name: 'ECDSA', hash: curve[1] } : alg === 'PS256' ? { name: 'RSA-PSS', saltLength: 32 } : { name: 'RSASSA-PKCS1-v1_5' };
  const { publicKey, privateKey } = await crypto.subtle.generateKey(curve ? { name: 'ECDSA', namedCurve: curve[0] }
    : { ...algorithm, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
  const jwk = { ...(await crypto.subtle.exportKey('jwk', publicKey)), alg, kid, use: 'sig' };
  const base64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const section = (o) => base64url(new TextEncoder().encode(JSON.stringify(o)));
  const sign = async (claims, header = { alg, kid }) => {
    const signed = `${section(header)}.${section(claims)}`;
    const signature = await crypto.subtle.sign(algorithm, privateKey, new TextEncoder().encode(signed));
    return `${signed}.${base64url(new Uint8Array(signature))}`;
  };
  return { jwk, sign };
}

export async function signedTokensLogIn(api) {
  const now = Math.floor(Date.now() / 1000);
  const claims = (extra = {}) => ({ sub: 'svc-orders', iat: now - 5, exp: now + 600, aud: 'franz', iss: 'https://idp.example', ...extra });
  const [rs, ps, impostor] = [await identityProvider('RS256', 'rs-1'), await identityProvider('PS256', 'ps-1'),
    await identityProvider('RS256', 'rs-1')];
  const [es256, es384] = [await identityProvider('ES256', 'es-1'), await identityProvider('ES384', 'es-2')];
  const jwks = { keys: [rs.jwk, ps.jwk, es256.jwk, es384.jwk] };
  const bearer = (value) => ({ sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value }) } });
  const config = { cluster: 'signed', storage: 'memory', users: { admin: 'admin-secret' }, authorizer: { superUsers: ['User:admin'] },
    oauthBearer: { jwks, expectedAudience: ['franz'], expectedIssuer: 'https://idp.example' } };

  // Bad settings are the page's mistake, named.
  for (const [oauthBearer, what] of [
    [{ jwks: { keys: [] } }, 'no signing key franz can use'],
    [{ jwks: { keys: [{ ...rs.jwk, n: 'not base64!' }] } }, 'keys[0].n is not base64url'],
    [{ jwks: { keys: [{ ...es256.jwk, x: es384.jwk.x }] } }, 'keys[0] (EC, P-256) is not a point on its curve'],
    [{ jwks, requiredScope: ['kafka'] }, 'oauthBearer.requiredScope is an option of the unsecured validator'],
    [{ expectedIssuer: 'https://idp.example' }, 'give it the identity provider\'s keys as jwks'],
    [{ jwks, expectedAudience: 'franz' }, 'an array'],
  ]) {
    await rejects(api.open({ ...config, oauthBearer }), { name: 'TypeError', message: what }, `oauthBearer ${what}`);
  }
  // Tokens the validator refuses, each with the reason.
  for (const [token, why] of [
    [await impostor.sign(claims()), 'signature does not match'],
    [jwt(claims()), 'an unsigned token'],
    [await rs.sign(claims({ aud: 'billing' })), 'none of the expected ["franz"]'],
    [await rs.sign(claims({ iss: 'https://evil.example' })), 'not the expected "https://idp.example"'],
    [await rs.sign(claims({ iat: undefined })), 'no issued-at time'],
    [await rs.sign(claims(), { alg: 'RS256', kid: 'rs-9' }), 'no key in the JWKS has "kid" "rs-9"'],
    [await es256.sign(claims(), { alg: 'ES256', kid: 'es-2' }), 'no key in the JWKS has "kid" "es-2" for ES256'],
  ]) {
    await rejects(api.open({ ...config, ...bearer(token) }), { type: 'SASL_AUTHENTICATION_FAILED', code: 58, message: 'invalid_token' },
      `a token refused: ${why}`).then((e) => check(e.message.includes(why), `${e.message} says ${why}`));
  }

  // Tokens signed by the provider's keys (RS256, PS256, ES256 and ES384) log their subject in, through a port too.
  const admin = await api.open({ ...config, oauthBearer: { ...config.oauthBearer, clockSkewSeconds: 5 }, ...plain('admin', 'admin-secret') });
  const names = ['clock.skew.seconds', 'expected.audience', 'expected.issuer', 'scope.claim.name', 'sub.claim.name'];
  const described = await admin.admin().describeConfigs({ resources: [{ type: 4, name: '1', configNames: names.map((n) => `sasl.oauthbearer.${n}`) }] });
  eq(described.resources[0].configEntries.map((e) => [e.configName.slice('sasl.oauthbearer.'.length), e.configValue, e.isDefault]),
    [['clock.skew.seconds', '5', false], ['expected.audience', 'franz', false], ['expected.issuer', 'https://idp.example', false],
      ['scope.claim.name', 'scope', true], ['sub.claim.name', 'sub', true]], 'the broker describes its validator under Kafka\'s names');
  await admin.admin().createTopics({ topics: [{ topic: 'orders' }, { topic: 'payments' }] });
  await admin.admin().createAcls({ acl: [acl(TOPIC, 'orders', LITERAL, 'User:svc-orders', WRITE)] });
  for (const idp of [rs, ps, es256, es384]) {
    const { port1, port2 } = new MessageChannel();
    admin.serve(port1);
    const svc = await api.connect(port2, bearer(await idp.sign(claims())));
    const producer = svc.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ value: `signed ${idp.jwk.alg}` }] });
    await rejects(producer.send({ topic: 'payments', messages: [{ value: 'x' }] }), { type: 'TOPIC_AUTHORIZATION_FAILED', message: 'User:svc-orders' },
      `the ${idp.jwk.alg} token's subject is User:svc-orders to the authorizer`);
    await svc.close();
  }
  const { call } = rawConnection(admin);
  await call({ kind: 'SaslHandshake', mechanism: 'OAUTHBEARER' });
  const login = await call({ kind: 'SaslAuthenticate', message: `n,,\x01auth=Bearer ${await rs.sign(claims())}\x01\x01` });
  eq(login.body.principal, 'User:svc-orders', 'a raw connection logs in with a signed token');
  await admin.close();
}

export async function scramCredentialsAreStored(api) {
  const config = { cluster: 'scram-store', storage: 'indexeddb', users: { admin: 'admin-secret' }, authorizer: { superUsers: ['User:admin'] } };
  const as = (mechanism, username, password) => ({ ...config, sasl: { mechanism, username, password } });
  await api.deleteCluster('scram-store');
  let kafka = await api.open(as('plain', 'admin', 'admin-secret'));
  let admin = kafka.admin();
  await admin.alterUserScramCredentials({ upsertions: [{ user: 'carol', mechanism: 'SCRAM-SHA-512', password: 'carol-pw', iterations: 8192 }] });
  eq(await admin.describeUserScramCredentials(), [{ user: 'carol', credentialInfos: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] }],
    'the stored credential is described by its mechanism and iterations, never its keys');
  // Bad alterations: each user's error names the user.
  const alter = (upsertions, deletions) => admin.alterUserScramCredentials({ upsertions, deletions });
  await rejects(alter([{ user: 'dave', mechanism: 'SCRAM-SHA-256', password: 'x', iterations: 1000 }]),
    { type: 'UNACCEPTABLE_CREDENTIAL', code: 93, message: 'user "dave"' }, 'too few iterations');
  await rejects(alter([{ user: 'dave', mechanism: 'SCRAM-SHA-256', password: 'x', iterations: 1e9 }]),
    { type: 'UNACCEPTABLE_CREDENTIAL' }, 'too many iterations, refused without a billion of them');
  await rejects(alter([{ user: 'dave', mechanism: 'SCRAM-MD5', password: 'x' }]), { type: 'UNSUPPORTED_SASL_MECHANISM', code: 33 }, 'an unknown mechanism');
  await rejects(alter([], [{ user: 'dave', mechanism: 'SCRAM-SHA-256' }]), { type: 'RESOURCE_NOT_FOUND', code: 91 }, 'deleting what is not there');
  await rejects(alter([{ user: 'erin', mechanism: 'SCRAM-SHA-256', password: 'x' }, { user: 'erin', mechanism: 'SCRAM-SHA-256', password: 'y' }]),
    { type: 'DUPLICATE_RESOURCE', code: 92 }, 'one credential altered twice');
  await rejects(alter([{ user: 'dave', mechanism: 'SCRAM-SHA-256', password: '' }]), { name: 'TypeError' }, 'an empty password');
  await rejects(admin.alterUserScramCredentials({ upsertions: 'carol' }), { name: 'TypeError' }, 'upsertions that are no list');
  await rejects(admin.describeUserScramCredentials(['nobody']), { type: 'RESOURCE_NOT_FOUND' }, 'describing a user without credentials');
  eq((await admin.describeUserScramCredentials()).map((d) => d.user), ['carol'], 'nothing of the refused alterations was stored');

  // carol exists only as a stored SCRAM-SHA-512 credential: that logs her in, through a port and in the page.
  const port = () => {
    const { port1, port2 } = new MessageChannel();
    kafka.serve(port1);
    return port2;
  };
  const carol = await api.connect(port(), { sasl: { mechanism: 'scram-sha-512', username: 'carol', password: 'carol-pw' } });
  await rejects(carol.admin().describeUserScramCredentials(), { type: 'CLUSTER_AUTHORIZATION_FAILED' }, 'carol may not describe credentials');
  await carol.close();
  for (const [mechanism, password, what] of [['scram-sha-512', 'guess', 'a wrong password'], ['scram-sha-256', 'carol-pw', 'a mechanism she has no credential for'],
    ['plain', 'carol-pw', 'PLAIN, which checks users alone']]) {
    await rejects(api.connect(port(), { sasl: { mechanism, username: 'carol', password } }), { type: 'SASL_AUTHENTICATION_FAILED' }, what);
  }
  await kafka.close();

  // Stored with the cluster: after a reopen, carol still logs in, in the page too.
  await rejects(api.open(as('scram-sha-512', 'carol', 'guess')), { type: 'SASL_AUTHENTICATION_FAILED' }, 'a wrong password, in the page');
  const inPage = await api.open(as('scram-sha-512', 'carol', 'carol-pw'));
  await rejects(inPage.admin().createTopics({ topics: [{ topic: 'mine' }] }), { message: 'User:carol' }, 'in the page, she is User:carol');
  await inPage.close();
  kafka = await api.open(as('scram-sha-256', 'admin', 'admin-secret'));
  admin = kafka.admin();
  eq(await admin.describeUserScramCredentials(['carol']), [{ user: 'carol', credentialInfos: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] }],
    'described after a reopen');
  await admin.alterUserScramCredentials({ deletions: [{ user: 'carol', mechanism: 'SCRAM-SHA-512' }] });
  eq(await admin.describeUserScramCredentials(), [], 'deleted');
  await rejects(api.connect(port(), { sasl: { mechanism: 'scram-sha-512', username: 'carol', password: 'carol-pw' } }),
    { type: 'SASL_AUTHENTICATION_FAILED' }, 'a deleted credential logs no one in');
  await kafka.close();
  await api.deleteCluster('scram-store');
}

/** KIP-368: a host's `connectionsMaxReauthMs` ends sessions; a `Kafka.connect` client renews its own in time
 * (asking its token provider again), and a raw connection that does not is refused until it logs in again. */
export async function sessionsEndAndClientsRenewThem(api) {
  const now = Math.floor(Date.now() / 1000);
  const config = { cluster: 'reauth', storage: 'memory', users: { admin: 'admin-secret', alice: 'alice-secret' },
    oauthBearer: true, authorizer: { superUsers: ['User:admin'] }, connectionsMaxReauthMs: 1500 };
  await rejects(api.open({ ...config, connectionsMaxReauthMs: -5 }), { name: 'TypeError', message: 'a whole number' }, 'a negative lifetime');
  const kafka = await api.open({ ...config, ...plain('admin', 'admin-secret') });
  const described = await kafka.admin().describeConfigs({ resources: [{ type: 4, name: '1', configNames: ['connections.max.reauth.ms'] }] });
  eq(described.resources[0].configEntries.map((e) => [e.configName, e.configValue, e.isDefault]),
    [['connections.max.reauth.ms', '1500', false]], 'the broker describes it');
  await kafka.admin().createTopics({ topics: [{ topic: 'orders' }] });
  const connect = (options) => {
    const { port1, port2 } = new MessageChannel();
    kafka.serve(port1);
    return api.connect(port2, options);
  };

  // Sends for 3.2 s through sessions of 1.5 s, each renewed 0.5 s before its end: a token asked for each.
  let calls = 0;
  const oauthBearerProvider = async () => {
    calls++;
    return { value: jwt({ sub: 'admin', iat: now - 5, exp: now + 600 }) };
  };
  const client = await connect({ sasl: { mechanism: 'oauthbearer', oauthBearerProvider }, reauthenticationThreshold: 500 });
  const producer = client.producer();
  await producer.connect();
  for (let i = 0; i < 8; i++) {
    await producer.send({ topic: 'orders', messages: [{ value: `v${i}` }] });
    await sleep(400);
  }
  check(calls >= 3 && calls <= 6, `the provider was asked again before each session ended: ${calls} calls in 3.2 s`);
  eq((await kafka.admin().fetchTopicOffsets('orders'))[0].high, '8', 'no send was refused');
  await client.close();

  // A raw connection keeps its session only for its lifetime, and may renew it only as itself.
  const { call } = rawConnection(kafka);
  const logIn = async (username, password) => {
    await call({ kind: 'SaslHandshake', mechanism: 'PLAIN' });
    return call({ kind: 'SaslAuthenticate', body: { username, password } });
  };
  eq((await logIn('alice', 'alice-secret')).body.sessionLifetimeMs, 1500, 'the host says how long the session lasts');
  eq((await call({ kind: 'Metadata', topics: [] })).error, undefined, 'served within the session');
  await sleep(1600);
  const expired = await call({ kind: 'Metadata', topics: [] });
  eq(expired.error?.type, 'SASL_AUTHENTICATION_FAILED', 'refused once it ended');
  check(expired.error.message.includes('connections.max.reauth.ms'), expired.error.message);
  const other = await logIn('admin', 'admin-secret');
  check(other.error?.type === 'SASL_AUTHENTICATION_FAILED' && other.error.message.includes('keep the principal'),
    `renewing as someone else: ${JSON.stringify(other.error)}`);
  eq((await logIn('alice', 'alice-secret')).body.principal, 'User:alice', 'renewed as itself');
  eq((await call({ kind: 'Metadata', topics: [] })).error, undefined, 'served again');
  await kafka.close();
}
