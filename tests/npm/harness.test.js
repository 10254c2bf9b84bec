// The harness itself: a stopped server leaves no temporary directory behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startQuire } from './quire.js';

test('stop removes the temporary home and root directories', async () => {
  const quire = await startQuire();
  writeFileSync(join(quire.root, 'a.txt'), 'x');
  assert.ok(existsSync(quire.home) && existsSync(quire.root));
  await quire.stop();
  assert.ok(!existsSync(quire.home), `${quire.home} left behind`);
  assert.ok(!existsSync(quire.root), `${quire.root} left behind`);
});
