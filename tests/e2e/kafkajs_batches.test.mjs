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

// KafkaJS has GZIP built in and takes the other codecs as plugins: the Snappy one the KafkaJS project publishes
// (kafkajs-snappy, which writes bare Snappy blocks and reads xerial frames), and LZ4 and ZSTD codecs made here
// from independent JavaScript implementations (lz4js, and fzstd, which only decompresses; kafka-python's ZSTD
// batches, read natively in tests/kafka_compat.rs, cover the other direction).
const { CompressionCodecs } = require('kafkajs');
const lz4js = require('lz4js');
const fzstd = require('fzstd');
CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy');
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: async (encoder) => Buffer.from(lz4js.compress(encoder.buffer)),
  decompress: async (buffer) => Buffer.from(lz4js.decompress(buffer)),
});
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: async () => { throw new Error('fzstd only decompresses'); },
  decompress: async (buffer) => Buffer.from(fzstd.decompress(buffer)),
});

for (const [name, codec, theyWrite] of [['GZIP', CompressionTypes.GZIP, true], ['Snappy', CompressionTypes.Snappy, true], ['LZ4', CompressionTypes.LZ4, true], ['ZSTD', CompressionTypes.ZSTD, false]]) {
  test(`${name}: franz reads the batch KafkaJS builds, and KafkaJS reads the one franz builds`, async () => {
    const text = (bytes) => (bytes == null ? null : Buffer.from(bytes));
    const expected = MESSAGES.map((m, i) => [String(i), String(m.timestamp), asBuffer(m.key), asBuffer(m.value), Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)]))]);
    if (theyWrite) {
      const theirs = await kafkajsBatch(codec);
      assert.equal(theirs.readInt16BE(21) & 7, codec, `KafkaJS marked it ${name}`);
      const read = readRecordBatches(theirs);
      assert.deepEqual(read.map((m) => [m.offset, m.timestamp, text(m.key), text(m.value), Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, text(v)]))]), expected);
    }
    const ours = Buffer.from(recordBatch(MESSAGES, codec));
    assert.equal(ours.readInt16BE(21) & 7, codec, `franz marked it ${name}`);
    assert.equal(crc32C(ours.subarray(21)), ours.readUInt32BE(17));
    const batch = await decodeBatch(new Decoder(ours));
    assert.deepEqual(batch.records.map((r) => [r.key, r.value, r.headers]), expected.map(([, , key, value, headers]) => [key, value, headers]));
  });
}

test('a codec KafkaJS does not have is a TypeError naming the field', () => {
  assert.throws(() => recordBatch([{ value: 'x' }], 5), (e) => e.name === 'TypeError' && /compression/.test(e.message));
});
