// The npm package's TypeScript declarations are precise: KafkaJS-style code type-checks, and wrong code does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ROOT } from './helpers.mjs';

function tsc(config) {
  const run = spawnSync('node', [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${ROOT}tests/types/${config}`], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stdout + run.stderr);
}

test('tsc --strict accepts KafkaJS-style usage and rejects every marked mistake', () => tsc('tsconfig.json'));

test("franz's results type-check as KafkaJS's own types (from the kafkajs package) describe them", () => tsc('tsconfig.kafkajs.json'));
