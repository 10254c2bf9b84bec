// Starts the real quire binary for a test and returns its URL and token.
import { spawn, spawnSync } from 'node:child_process';
import WebSocket from 'ws';
import { mkdtempSync, mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// startQuire starts bin/quire with extraArgs; opts.env adds variables and
// opts.root names a root the caller owns (an S3 bucket's directory).
export async function startQuire(extraArgs = [], opts = {}) {
  const bin = process.env.QUIRE_BIN || resolve('../../bin/quire');
  const home = mkdtempSync(join(tmpdir(), 'quire-npm-home-'));
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'quire-npm-root-'));
  const runtime = join(home, 'runtime');
  // removeDirs deletes the temporary home and root once the server is gone.
  const removeDirs = () => {
    for (const dir of opts.root ? [home] : [home, root]) rmSync(dir, { recursive: true, force: true });
  };
  const child = spawn(bin, ['--port', '0', '--no-browser', '--root-dir', root, ...extraArgs], {
    env: { PATH: process.env.PATH, HOME: home, JUPYTER_RUNTIME_DIR: runtime, ...(opts.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', () => {});
  const file = join(runtime, `quire-${child.pid}.json`);
  const deadline = Date.now() + 15000;
  const exited = new Promise((res) => child.once('exit', res));
  while (!existsSync(file)) {
    if (child.exitCode !== null) { removeDirs(); throw new Error(`quire exited: ${stderr}`); }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      removeDirs();
      throw new Error(`quire did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  let info;
  for (;;) {
    try { info = JSON.parse(readFileSync(file, 'utf8')); break; } catch { await new Promise((r) => setTimeout(r, 20)); }
  }
  // rest calls Quire's REST API directly with the token.
  const rest = async (method, path) => {
    const res = await fetch(new URL(path, info.url), {
      method, headers: { Authorization: `token ${info.token}` },
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    url: info.url, token: info.token, root, home,
    rest,
    stderr: () => stderr,
    // stop shuts down what a failed test may have left running (best
    // effort), then the server, and removes its temporary directories.
    stop: async () => {
      try {
        const { body } = await rest('GET', 'api/kernels');
        for (const k of body ?? []) await rest('DELETE', `api/kernels/${k.id}`);
      } catch { /* the server may be gone */ }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      removeDirs();
    },
  };
}

// versitygw is Versity's S3 gateway that make installs (.tools/versitygw,
// or QUIRE_TEST_VERSITYGW); s3Skip is the reason to skip S3 runs without
// it, false when it is there. Under make (QUIRE_TEST_S3_REQUIRED=1) a
// missing gateway is a failure instead.
const versitygw = process.env.QUIRE_TEST_VERSITYGW || resolve('../../.tools/versitygw');
export const s3Skip = existsSync(versitygw) || process.env.QUIRE_TEST_S3_REQUIRED === '1' ? false
  : 'versitygw is not installed (make npm-test installs it); S3 runs skipped';

// startS3 starts versitygw (posix backend) on a free loopback port with
// random root credentials and a bucket "quire", and returns the quire
// arguments and environment that use it, the bucket's directory (each
// object is a plain file there) and stop().
export async function startS3() {
  if (!existsSync(versitygw)) throw new Error(`versitygw not found at ${versitygw}: make npm-test installs it`);
  const dir = mkdtempSync(join(tmpdir(), 'quire-npm-s3-'));
  const root = join(dir, 'quire');
  mkdirSync(root);
  const port = await new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => res(p)); });
  });
  const access = `quire${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(18).toString('hex');
  const child = spawn(versitygw, ['--port', `127.0.0.1:${port}`, 'posix', dir], {
    env: { PATH: process.env.PATH, ROOT_ACCESS_KEY_ID: access, ROOT_SECRET_ACCESS_KEY: secret },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((res) => child.once('exit', res));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    try { await fetch(endpoint + '/'); break; } catch { /* not up yet */ }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`versitygw did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    root,
    args: ['--contents-store', 's3://quire', '--s3-endpoint', endpoint, '--s3-path-style', '--s3-region', 'us-east-1'],
    env: { AWS_ACCESS_KEY_ID: access, AWS_SECRET_ACCESS_KEY: secret },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// withTimeout fails a test with a clear message instead of hanging.
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// kernelSkip is false when /usr/bin/python3 can run ipykernel, else the
// reason to skip a file of kernel tests.
const probe = spawnSync('/usr/bin/python3', ['-c', 'import ipykernel'], { stdio: 'ignore' });
export const kernelSkip = probe.status === 0 ? false
  : 'ipykernel is not importable by /usr/bin/python3 (apt install python3-ipykernel); kernel tests skipped';

// sockets holds every WebSocket a RecordingWebSocket opened, so that a test
// can check the negotiated subprotocol and URL, and terminate them all.
export const sockets = [];
export class RecordingWebSocket extends WebSocket {
  constructor(url, protocols, options) {
    super(url, protocols, options);
    sockets.push(this);
  }
}
