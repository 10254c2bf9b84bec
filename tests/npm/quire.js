// Starts the real quire binary for a test and returns its URL and token.
import { spawn, spawnSync } from 'node:child_process';
import WebSocket from 'ws';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export async function startQuire(extraArgs = []) {
  const bin = process.env.QUIRE_BIN || resolve('../../bin/quire');
  const home = mkdtempSync(join(tmpdir(), 'quire-npm-home-'));
  const root = mkdtempSync(join(tmpdir(), 'quire-npm-root-'));
  const runtime = join(home, 'runtime');
  // removeDirs deletes the temporary home and root once the server is gone.
  const removeDirs = () => {
    for (const dir of [home, root]) rmSync(dir, { recursive: true, force: true });
  };
  const child = spawn(bin, ['--port', '0', '--no-browser', '--root-dir', root, ...extraArgs], {
    env: { PATH: process.env.PATH, HOME: home, JUPYTER_RUNTIME_DIR: runtime },
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
