// franz's wasm partitioner against KafkaJS's DefaultPartitioner (the Java-compatible murmur2 one), run side by
// side in Node on random keys: every key must land on the same partition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Partitioners } from 'kafkajs';
import { initSync, partitionForKey } from '../../pkg/franz.js';
import { ROOT } from './helpers.mjs';

initSync({ module: readFileSync(`${ROOT}pkg/franz_bg.wasm`) });

/** A small seeded generator, so a failure replays. */
function xorshift(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0));
}

test('every random key gets the same partition from franz and KafkaJS', () => {
  const kafkajs = Partitioners.DefaultPartitioner();
  const next = xorshift(2026);
  for (let i = 0; i < 20_000; i++) {
    const partitions = 1 + (next() % 64);
    const key = Buffer.alloc(next() % 40, 0).map(() => next() & 0xff);
    const partitionMetadata = Array.from({ length: partitions }, (_, p) => ({ partitionId: p, leader: 1 }));
    const expected = kafkajs({ topic: 't', partitionMetadata, message: { key } });
    assert.equal(partitionForKey(key, partitions), expected, `key ${key.toString('hex')} over ${partitions}`);
  }
});

test('string keys as KafkaJS users write them', () => {
  const kafkajs = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 6 }, (_, p) => ({ partitionId: p, leader: 1 }));
  for (const key of ['user-1', 'user-2', 'order:48069', 'ünïcödé', '', '0', '100:48069']) {
    const expected = kafkajs({ topic: 't', partitionMetadata, message: { key } });
    assert.equal(partitionForKey(new TextEncoder().encode(key), 6), expected, key);
  }
});

test('zero partitions is a KafkaJS-shaped error, not a crash', () => {
  assert.throws(() => partitionForKey(new Uint8Array([1]), 0), (err) => {
    assert.equal(err.name, 'KafkaJSProtocolError');
    assert.equal(err.type, 'INVALID_PARTITIONS');
    assert.equal(err.code, 37);
    assert.equal(err.retriable, false);
    return true;
  });
});
