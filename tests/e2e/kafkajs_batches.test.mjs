// RecordBatch v2 compatibility with KafkaJS, in both directions, through the committed fixtures that the
// native test tests/kafka_compat.rs also reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MESSAGES, kafkajsBatch } from '../fixtures/kafkajs-batch.mjs';
import { ROOT } from './helpers.mjs';

const require = createRequire(import.meta.url);
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const Decoder = require('kafkajs/src/protocol/decoder');
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C');

const fixture = (name) => readFileSync(`${ROOT}tests/fixtures/${name}`);
const asBuffer = (v) => (v == null ? null : Buffer.from(v));

test('the committed KafkaJS fixture is what KafkaJS builds today', async () => {
  assert.deepEqual(await kafkajsBatch(), fixture('kafkajs-batch.bin'));
});

test('KafkaJS decodes the batch franz encodes, and its CRC checks out', async () => {
  const bytes = fixture('franz-batch.bin');
  assert.equal(crc32C(bytes.subarray(21)), bytes.readUInt32BE(17), 'KafkaJS computes the same CRC-32C');
  const batch = await decodeBatch(new Decoder(bytes));
  assert.equal(batch.firstOffset, '42');
  assert.equal(batch.partitionLeaderEpoch, 7);
  assert.equal(batch.records.length, MESSAGES.length);
  batch.records.forEach((record, i) => {
    const sent = MESSAGES[i];
    assert.equal(record.offset, String(42 + i));
    assert.equal(record.timestamp, String(sent.timestamp));
    assert.deepEqual(record.key, asBuffer(sent.key));
    assert.deepEqual(record.value, asBuffer(sent.value));
    assert.deepEqual(
      record.headers,
      Object.fromEntries(Object.entries(sent.headers).map(([k, v]) => [k, Buffer.from(v)])),
    );
  });
});
