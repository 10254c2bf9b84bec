// The contents round trip driven by JupyterLab's own client library, on
// the disk store and again on the S3 store (a versitygw on loopback).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ContentsManager, ServerConnection } from '@jupyterlab/services';
import { startQuire, startS3, s3Skip } from './quire.js';

for (const store of ['disk', 's3']) {
  describe(`${store} store`, { skip: store === 's3' && s3Skip }, () => {
    let quire;
    let contents;
    let s3;

    before(async () => {
      if (store === 's3') {
        s3 = await startS3();
        quire = await startQuire(s3.args, { env: s3.env, root: s3.root });
      } else {
        quire = await startQuire();
      }
      const serverSettings = ServerConnection.makeSettings({ baseUrl: quire.url, token: quire.token });
      contents = new ContentsManager({ serverSettings });
    });

    after(async () => {
      contents?.dispose();
      await quire?.stop();
      await s3?.stop();
    });

    test('new untitled notebook, file and directory follow Jupyter naming', async () => {
      const nb = await contents.newUntitled({ path: '', type: 'notebook' });
      assert.equal(nb.name, 'Untitled.ipynb');
      assert.equal(nb.type, 'notebook');
      const nb1 = await contents.newUntitled({ path: '', type: 'notebook' });
      assert.equal(nb1.name, 'Untitled1.ipynb');
      const f = await contents.newUntitled({ path: '', type: 'file', ext: '.txt' });
      assert.equal(f.name, 'untitled.txt');
      const d = await contents.newUntitled({ path: '', type: 'directory' });
      assert.equal(d.name, 'Untitled Folder');
      const d1 = await contents.newUntitled({ path: '', type: 'directory' });
      assert.equal(d1.name, 'Untitled Folder 1');
    });

    test('save, get, rename, copy and delete a notebook', async () => {
      const content = {
        cells: [{ cell_type: 'code', id: 'a1', metadata: {}, execution_count: 1, source: 'print(6*7)',
          outputs: [{ output_type: 'stream', name: 'stdout', text: '42\n' }] },
        { cell_type: 'markdown', id: 'b2', metadata: {}, source: '# Title\nnon-ASCII: é ✓ 🚀' }],
        metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' } },
        nbformat: 4, nbformat_minor: 5,
      };
      const saved = await contents.save('work.ipynb', { type: 'notebook', format: 'json', content });
      assert.equal(saved.path, 'work.ipynb');
      const got = await contents.get('work.ipynb', { content: true });
      assert.equal(got.type, 'notebook');
      assert.equal(got.content.cells[0].source, 'print(6*7)');
      assert.equal(got.content.cells[1].source, '# Title\nnon-ASCII: é ✓ 🚀');
      // On disk: nbformat's layout (indent 1, sorted keys, split lines, trailing newline).
      const disk = readFileSync(join(quire.root, 'work.ipynb'), 'utf8');
      assert.ok(disk.startsWith('{\n "cells": [\n  {\n'), disk.slice(0, 40));
      assert.ok(disk.includes('"source": [\n    "# Title\\n",\n    "non-ASCII: é ✓ 🚀"\n   ]'), disk);
      assert.ok(disk.endsWith('}\n'));

      const renamed = await contents.rename('work.ipynb', 'renamed.ipynb');
      assert.equal(renamed.path, 'renamed.ipynb');
      assert.ok(!existsSync(join(quire.root, 'work.ipynb')));
      const copy = await contents.copy('renamed.ipynb', '');
      assert.equal(copy.name, 'renamed-Copy1.ipynb');
      await contents.delete('renamed-Copy1.ipynb');
      await assert.rejects(contents.get('renamed-Copy1.ipynb'), (e) => e.response?.status === 404);
    });

    test('checkpoints: create, list, restore, delete', async () => {
      await contents.save('cp.txt', { type: 'file', format: 'text', content: 'first' });
      const cp = await contents.createCheckpoint('cp.txt');
      assert.equal(cp.id, 'checkpoint');
      await contents.save('cp.txt', { type: 'file', format: 'text', content: 'second' });
      const list = await contents.listCheckpoints('cp.txt');
      assert.equal(list.length, 1);
      await contents.restoreCheckpoint('cp.txt', cp.id);
      const back = await contents.get('cp.txt', { content: true, format: 'text' });
      assert.equal(back.content, 'first');
      await contents.deleteCheckpoint('cp.txt', cp.id);
      assert.equal((await contents.listCheckpoints('cp.txt')).length, 0);
    });

    test('base64 files and chunked upload', async () => {
      const bytes = Buffer.alloc(3000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 256;
      await contents.save('blob.bin', { type: 'file', format: 'base64', content: bytes.toString('base64') });
      const got = await contents.get('blob.bin', { content: true, format: 'base64' });
      assert.deepEqual(Buffer.from(got.content, 'base64'), bytes);

      // As JupyterLab's uploader does it: 1 MiB chunks, the last one -1.
      const big = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 5) % 251;
      const chunkSize = 1024 * 1024;
      for (let start = 0, n = 1; start < big.length; start += chunkSize, n++) {
        const end = Math.min(start + chunkSize, big.length);
        const chunk = end >= big.length ? -1 : n;
        await contents.save('upload.bin', { type: 'file', format: 'base64', content: big.subarray(start, end).toString('base64'), chunk });
      }
      assert.deepEqual(readFileSync(join(quire.root, 'upload.bin')), big);
    });

    test('a directory listing shows what was made', async () => {
      const dir = await contents.get('', { content: true });
      const names = dir.content.map((m) => m.name).sort();
      for (const n of ['Untitled.ipynb', 'renamed.ipynb', 'cp.txt', 'blob.bin', 'upload.bin']) {
        assert.ok(names.includes(n), `${n} missing from ${names}`);
      }
      assert.ok(!names.includes('.ipynb_checkpoints'));
    });
  });
}
