// franz's wasm partitioners against KafkaJS's (the Java-compatible DefaultPartitioner, and the LegacyPartitioner
// of KafkaJS 1.x), run side by side in Node on random keys: every key must land on the same partition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Partitioners } from 'kafkajs';
import { initSync, partitionForKey, Partitioners as FranzPartitioners } from '../../pkg/franz.js';
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

test("franz's Partitioners place every random key as KafkaJS's of the same name", () => {
  const next = xorshift(4051);
  for (const name of ['DefaultPartitioner', 'JavaCompatiblePartitioner', 'LegacyPartitioner']) {
    const [theirs, ours] = [Partitioners[name](), FranzPartitioners[name]()];
    for (let i = 0; i < 5_000; i++) {
      const partitions = 1 + (next() % 64);
      const bytes = Buffer.alloc(next() % 40, 0).map(() => next() & 0xff);
      // Byte keys, and string keys (KafkaJS hashes their UTF-8; high bytes exercise the legacy hash's signs).
      const key = i % 2 ? bytes : bytes.toString('latin1');
      const partitionMetadata = Array.from({ length: partitions }, (_, p) => ({ partitionId: p, leader: 1 }));
      const args = { topic: 't', partitionMetadata, message: { key } };
      assert.equal(ours(args), theirs(args), `${name}: key ${bytes.toString('hex')} over ${partitions}`);
    }
  }
});

test("the legacy and Java hashes really differ, so the test above tells them apart", () => {
  const partitionMetadata = Array.from({ length: 10 }, (_, p) => ({ partitionId: p, leader: 1 }));
  const place = (partitioner, key) => partitioner({ topic: 't', partitionMetadata, message: { key } });
  const [java, legacy] = [FranzPartitioners.DefaultPartitioner(), FranzPartitioners.LegacyPartitioner()];
  const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`);
  assert.ok(keys.filter((k) => place(java, k) !== place(legacy, k)).length > 50);
});
