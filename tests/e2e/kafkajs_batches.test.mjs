// RecordBatch v2 compatibility with KafkaJS, in both directions, through the committed fixtures that the
// native test tests/kafka_compat.rs also reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MESSAGES, kafkajsBatch } from '../fixtures/kafkajs-batch.mjs';
import { ROOT } from './helpers.mjs';
import { initSync, readRecordBatches, recordBatch, CompressionTypes } from '../../pkg/franz.js';

initSync({ module: readFileSync(`${ROOT}pkg/franz_bg.wasm`) });

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

test('GZIP both ways: franz reads the GZIP batch KafkaJS builds, and KafkaJS reads the one franz builds', async () => {
  const text = (bytes) => (bytes == null ? null : Buffer.from(bytes));
  const theirs = await kafkajsBatch(CompressionTypes.GZIP);
  assert.equal(theirs.readInt16BE(21) & 7, 1, 'KafkaJS marked it GZIP');
  const read = readRecordBatches(theirs);
  assert.deepEqual(
    read.map((m) => [m.offset, m.timestamp, text(m.key), text(m.value), Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, text(v)]))]),
    MESSAGES.map((m, i) => [String(i), String(m.timestamp), asBuffer(m.key), asBuffer(m.value), Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)]))]),
  );
  const ours = Buffer.from(recordBatch(MESSAGES, CompressionTypes.GZIP));
  assert.equal(ours.readInt16BE(21) & 7, 1, 'franz marked it GZIP');
  assert.equal(crc32C(ours.subarray(21)), ours.readUInt32BE(17));
  const batch = await decodeBatch(new Decoder(ours));
  assert.deepEqual(batch.records.map((r) => [r.key, r.value]), MESSAGES.map((m) => [asBuffer(m.key), asBuffer(m.value)]));
  assert.throws(() => recordBatch([{ value: 'x' }], CompressionTypes.Snappy), (e) => e.type === 'UNSUPPORTED_COMPRESSION_TYPE');
});
