// Terminals driven by JupyterLab's own TerminalManager and
// TerminalConnection over terminado's JSON protocol.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PageConfig } from '@jupyterlab/coreutils';
import { ServerConnection, TerminalManager } from '@jupyterlab/services';
import { startQuire, withTimeout, RecordingWebSocket, sockets } from './quire.js';

// JupyterLab learns from its page whether the server has terminals; the
// manager refuses to start one otherwise.
PageConfig.setOption('terminalsAvailable', 'true');

let quire;
let serverSettings;
let manager;
let other;
let name;

// collect records a connection's stdout.
function collect(conn) {
  const out = { text: '' };
  conn.messageReceived.connect((_, msg) => {
    if (msg.type === 'stdout') out.text += msg.content[0];
  });
  return out;
}

async function waitFor(out, re, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!re.test(out.text)) {
    if (Date.now() > deadline) throw new Error(`output never matched ${re}: ${JSON.stringify(out.text)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return out.text.match(re);
}

async function waitConnected(conn, ms = 20000) {
  const deadline = Date.now() + ms;
  while (conn.connectionStatus !== 'connected') {
    if (Date.now() > deadline) throw new Error(`terminal connection still ${conn.connectionStatus}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  quire = await startQuire();
  serverSettings = ServerConnection.makeSettings({
    baseUrl: quire.url, token: quire.token, WebSocket: RecordingWebSocket,
  });
  manager = new TerminalManager({ serverSettings });
  await withTimeout(manager.ready, 10000, 'TerminalManager.ready');
});

after(async () => {
  // As in kernels.test.js: stop the polls so their timers do not keep
  // Node alive.
  await Promise.all([manager?._pollModels, other?._pollModels].filter(Boolean).map((p) => p.stop()));
  manager?.dispose();
  other?.dispose();
  for (const ws of sockets) ws.terminate();
  await quire?.stop();
});

test('start a terminal, type into it, resize it', { timeout: 30000 }, async () => {
  assert.ok(manager.isAvailable());
  const conn = await withTimeout(manager.startNew(), 10000, 'TerminalManager.startNew');
  name = conn.name;
  assert.match(name, /^\d+$/);
  const out = collect(conn);
  await waitConnected(conn);
  conn.send({ type: 'stdin', content: ['echo $((6*7))\r'] });
  await waitFor(out, /42\r\n/);

  // JupyterLab sends rows, columns and the size in pixels.
  conn.send({ type: 'set_size', content: [33, 101, 660, 909] });
  conn.send({ type: 'stdin', content: ['stty size\r'] });
  await waitFor(out, /33 101\r\n/);

  const ws = sockets.findLast((s) => s.url.includes(`/terminals/websocket/${name}`));
  assert.ok(ws, `a WebSocket to terminal ${name} among ${sockets.map((s) => s.url)}`);
  assert.equal(new URL(ws.url).searchParams.get('token'), quire.token);
  conn.dispose(); // closes the socket; the terminal runs on
});

test('list; a second manager sees the terminal', { timeout: 20000 }, async () => {
  await manager.refreshRunning();
  assert.deepEqual([...manager.running()].map((m) => m.name), [name]);
  // The manager keeps names only; the REST list has the activity too.
  const { status, body } = await quire.rest('GET', 'api/terminals');
  assert.equal(status, 200);
  assert.equal(body.length, 1);
  assert.equal(body[0].name, name);
  assert.match(body[0].last_activity, /^\d{4}-\d\d-\d\dT.*Z$/);

  other = new TerminalManager({ serverSettings });
  await withTimeout(other.ready, 10000, 'second TerminalManager.ready');
  assert.deepEqual([...other.running()].map((m) => m.name), [name]);
});

test('reconnect and see the earlier output', { timeout: 30000 }, async () => {
  const conn = other.connectTo({ model: { name } });
  const out = collect(conn);
  await waitConnected(conn);
  // The scrollback arrives with the setup; the library emits what comes
  // after it, so look for a fresh command and the old output together.
  conn.send({ type: 'stdin', content: ['echo back$((2+3))\r'] });
  await waitFor(out, /back5/);
  const { status, body } = await quire.rest('GET', `api/terminals/${name}`);
  assert.equal(status, 200);
  assert.equal(body.name, name);

  // A fresh socket of our own shows the replayed scrollback as stdout.
  const replay = new RecordingWebSocket(
    `${quire.url.replace(/^http/, 'ws')}terminals/websocket/${name}?token=${quire.token}`);
  const seen = [];
  replay.on('message', (d) => seen.push(JSON.parse(d.toString())));
  const deadline = Date.now() + 10000;
  while (!seen.some((m) => m[0] === 'stdout' && /42\r\n/.test(m[1]))) {
    if (Date.now() > deadline) throw new Error(`no replay of earlier output: ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(seen[0], ['setup', {}]);
  replay.close();
  conn.dispose();
});

test('shut down', { timeout: 20000 }, async () => {
  await withTimeout(manager.shutdown(name), 10000, 'TerminalManager.shutdown');
  assert.deepEqual([...manager.running()], []);
  const { status, body } = await quire.rest('GET', `api/terminals/${name}`);
  assert.equal(status, 404);
  assert.equal(body.message, `Terminal not found: ${name}`);
  await other.refreshRunning();
  assert.deepEqual([...other.running()], []);
});
