// The npm package's TypeScript declarations are precise: KafkaJS-style code type-checks, and wrong code does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ROOT } from './helpers.mjs';

test('tsc --strict accepts KafkaJS-style usage and rejects every marked mistake', () => {
  const tsc = spawnSync('node', [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${ROOT}tests/types/tsconfig.json`], {
    encoding: 'utf8',
  });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});
