// A kernel whose process is stopped (SIGSTOP) stops answering heartbeats.
// JupyterLab's KernelConnection disposes itself for good on any status
// "dead", so Quire must not announce one for a kernel that may come back:
// the connection stays, a cell sent meanwhile runs once the process is
// continued, and only the REST model says the kernel is not answering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import WebSocket from 'ws';
import { KernelManager, ServerConnection } from '@jupyterlab/services';
import {
  startQuire, withTimeout, kernelSkip, RecordingWebSocket, sockets,
} from './quire.js';

const skip = kernelSkip;

let quire;
let kernelManager;
const stopped = new Set(); // pids to SIGCONT whatever happens

function rest(method, path) {
  return quire.rest(method, path);
}

// kernelPid finds the kernel process by its connection file, which its
// command line names.
function kernelPid(id) {
  const r = spawnSync('pgrep', ['-f', `kernel-${id}\\.json`], { encoding: 'utf8' });
  const pids = r.stdout.split('\n').filter(Boolean).map(Number);
  assert.equal(pids.length, 1, `processes for kernel ${id}: ${r.stdout}`);
  return pids[0];
}

// waitModel polls the kernel's REST model until pred holds.
async function waitModel(id, pred, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const { body } = await rest('GET', `api/kernels/${id}`);
    if (pred(body)) return body;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  if (skip) return;
  quire = await startQuire(['--kernel-heartbeat-interval', '200ms', '--kernel-heartbeat-misses', '3']);
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: quire.url, token: quire.token, WebSocket: RecordingWebSocket,
  });
  kernelManager = new KernelManager({ serverSettings });
});

after(async () => {
  if (skip) return;
  for (const pid of stopped) { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } }
  await kernelManager?._pollModels?.stop();
  kernelManager?.dispose();
  for (const ws of sockets) ws.terminate();
  await quire?.stop();
});

test('a stopped kernel is not reported dead to @jupyterlab/services and runs what was sent once continued', { skip, timeout: 90000 }, async () => {
  const kernel = await withTimeout(kernelManager.startNew({ name: 'python3' }), 30000, 'KernelManager.startNew');
  const statuses = [];
  kernel.statusChanged.connect((_, s) => statuses.push(s));
  const first = kernel.requestExecute({ code: 'print("before")' });
  await withTimeout(first.done, 20000, 'first execute');

  const pid = kernelPid(kernel.id);
  process.kill(pid, 'SIGSTOP');
  stopped.add(pid);
  const silent = await waitModel(kernel.id, (m) => m.unresponsive, 20000, 'the model to say unresponsive');
  assert.equal(silent.execution_state, 'idle', JSON.stringify(silent));
  assert.match(silent.reason, /^kernel stopped answering heartbeats for /);

  // A new session cannot finish its ZeroMQ handshakes with a stopped
  // process: its WebSocket is refused at once with 503, not left hanging.
  const url = new URL(`api/kernels/${kernel.id}/channels?session_id=another`, quire.url);
  url.protocol = url.protocol.replace('http', 'ws');
  const refused = await withTimeout(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Authorization: `token ${quire.token}` } });
    ws.on('unexpected-response', (_, res) => { resolve(res.statusCode); ws.terminate(); });
    ws.on('open', () => { ws.terminate(); reject(new Error('a new session was accepted')); });
    ws.on('error', () => {});
  }), 10000, 'the WebSocket of a new session');
  assert.equal(refused, 503);

  // Sent while the process is stopped: queued, not refused.
  const streams = [];
  const later = kernel.requestExecute({ code: 'print("after")' });
  later.onIOPub = (msg) => { if (msg.header.msg_type === 'stream') streams.push(msg.content.text); };
  await new Promise((r) => setTimeout(r, 1500)); // several heartbeat rounds
  assert.ok(!statuses.includes('dead'), `statuses while stopped: ${statuses.join(' → ')}`);
  assert.equal(kernel.isDisposed, false, 'the KernelConnection was disposed');
  assert.equal(kernel.connectionStatus, 'connected');

  process.kill(pid, 'SIGCONT');
  stopped.delete(pid);
  const reply = await withTimeout(later.done, 20000, 'the execute sent while stopped');
  assert.equal(reply.content.status, 'ok');
  assert.equal(streams.join(''), 'after\n');
  const back = await waitModel(kernel.id, (m) => !m.unresponsive, 20000, 'the model to clear unresponsive');
  assert.equal(back.reason, undefined, JSON.stringify(back));
  assert.ok(!statuses.includes('dead'), `statuses: ${statuses.join(' → ')}`);
  assert.equal(kernelPid(kernel.id), pid, 'the kernel process was replaced');

  // Really dead: now the library hears it.
  process.kill(pid, 'SIGKILL');
  await withTimeout(new Promise((resolve) => {
    if (kernel.status === 'dead') resolve();
    kernel.statusChanged.connect((_, s) => { if (s === 'dead') resolve(); });
  }), 20000, 'status dead after SIGKILL');
  const dead = await waitModel(kernel.id, (m) => m.execution_state === 'dead', 20000, 'the model to say dead');
  assert.equal(dead.unresponsive, undefined, JSON.stringify(dead));
});
