// Kernels, sessions and kernelspecs driven by JupyterLab's own client
// library over the v1.kernel.websocket.jupyter.org binary protocol, against
// Debian's real ipykernel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  KernelManager, KernelSpecManager, ServerConnection, SessionManager,
} from '@jupyterlab/services';
import { serialize, deserialize } from '@jupyterlab/services/lib/kernel/serialize.js';
import {
  startQuire, withTimeout, kernelSkip, RecordingWebSocket, sockets,
} from './quire.js';

const V1 = 'v1.kernel.websocket.jupyter.org';

// Skip the whole file when the kernel cannot run here.
const skip = kernelSkip;

// The protocols (and frame kinds) the library actually used to encode and
// decode messages.
const wire = { serialized: [], deserialized: [] };
const serializer = {
  serialize(msg, protocol) {
    wire.serialized.push(protocol);
    return serialize(msg, protocol);
  },
  deserialize(data, protocol) {
    wire.deserialized.push({ protocol, binary: data instanceof ArrayBuffer });
    return deserialize(data, protocol);
  },
};

let quire;
let serverSettings;
let kernelManager;
let sessionManager;
let specManager;
let session;

function rest(method, path) {
  return quire.rest(method, path);
}

// waitConnected resolves once the kernel connection's socket is open.
async function waitConnected(kernel, ms = 20000) {
  const deadline = Date.now() + ms;
  while (kernel.connectionStatus !== 'connected') {
    if (Date.now() > deadline) throw new Error(`kernel connection still ${kernel.connectionStatus}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// run executes code and collects stdout/stderr streams and the reply.
async function run(kernel, code, ms = 20000) {
  const future = kernel.requestExecute({ code });
  const streams = [];
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') streams.push(msg.content);
  };
  const reply = await withTimeout(future.done, ms, `execute ${JSON.stringify(code)}`);
  const stdout = streams.filter((s) => s.name === 'stdout').map((s) => s.text).join('');
  return { reply, stdout, streams };
}

before(async () => {
  if (skip) return;
  quire = await startQuire();
  serverSettings = ServerConnection.makeSettings({
    baseUrl: quire.url, token: quire.token, WebSocket: RecordingWebSocket, serializer,
  });
  kernelManager = new KernelManager({ serverSettings });
  sessionManager = new SessionManager({ serverSettings, kernelManager });
  specManager = new KernelSpecManager({ serverSettings });
});

after(async () => {
  if (skip) return;
  // Lumino's Poll.dispose() leaves its pending setTimeout armed, which keeps
  // Node alive for up to a minute after the last test; stopping the polls
  // first clears those timers.
  await Promise.all([sessionManager?._pollModels, kernelManager?._pollModels, specManager?._pollSpecs]
    .filter(Boolean).map((p) => p.stop()));
  sessionManager?.dispose();
  kernelManager?.dispose();
  specManager?.dispose();
  for (const ws of sockets) ws.terminate();
  await quire?.stop();
});

test('KernelSpecManager lists python3 as the default', { skip, timeout: 20000 }, async () => {
  await withTimeout(specManager.ready, 10000, 'KernelSpecManager.ready');
  await specManager.refreshSpecs();
  const specs = specManager.specs;
  assert.ok(specs, 'specs loaded');
  assert.equal(specs.default, 'python3');
  const py = specs.kernelspecs.python3;
  assert.ok(py, `python3 in ${Object.keys(specs.kernelspecs)}`);
  assert.equal(py.name, 'python3');
  assert.equal(py.language, 'python');
  assert.ok(py.display_name);
  assert.ok(Array.isArray(py.argv) && py.argv.length > 0);
});

test('start a session; v1 protocol; kernel_info and execute', { skip, timeout: 60000 }, async () => {
  await withTimeout(sessionManager.ready, 10000, 'SessionManager.ready');
  session = await withTimeout(sessionManager.startNew({
    path: 'nb/a.ipynb', type: 'notebook', name: 'a.ipynb', kernel: { name: 'python3' },
  }), 30000, 'SessionManager.startNew');
  assert.equal(session.path, 'nb/a.ipynb');
  assert.equal(session.type, 'notebook');
  assert.equal(session.name, 'a.ipynb');
  const kernel = session.kernel;
  assert.ok(kernel, 'session has a kernel connection');
  assert.equal(kernel.name, 'python3');

  // As JupyterLab does, talk to the kernel once the socket is up (a
  // kernel_info_request before that is refused by the library itself).
  await waitConnected(kernel);
  const info = await withTimeout(kernel.requestKernelInfo(), 30000, 'kernel_info_request');
  assert.equal(info.content.status, 'ok');
  assert.equal(info.content.language_info.name, 'python');
  assert.ok(info.content.protocol_version.startsWith('5.'), info.content.protocol_version);
  await waitConnected(kernel);

  // The socket the library opened for this kernel negotiated v1 and carried
  // the token in its URL (Node has no cookies or same-origin page).
  const ws = sockets.findLast((s) => s.url.includes(`/api/kernels/${kernel.id}/channels`));
  assert.ok(ws, `a WebSocket to this kernel's channels among ${sockets.map((s) => s.url)}`);
  assert.equal(ws.protocol, V1);
  assert.equal(kernel._selectedProtocol, V1);
  const url = new URL(ws.url);
  assert.equal(url.searchParams.get('token'), quire.token);
  assert.ok(url.searchParams.get('session_id'), 'session_id in the WS URL');

  // Every frame was encoded and decoded as v1 binary.
  assert.ok(wire.serialized.length > 0 && wire.deserialized.length > 0);
  assert.ok(wire.serialized.every((p) => p === V1), JSON.stringify(wire.serialized));
  assert.ok(wire.deserialized.every((d) => d.protocol === V1 && d.binary),
    JSON.stringify(wire.deserialized.slice(0, 5)));

  // The server side counts the connection.
  const model = await rest('GET', `api/kernels/${kernel.id}`);
  assert.equal(model.status, 200);
  assert.ok(model.body.connections >= 1, JSON.stringify(model.body));

  const { reply, stdout, streams } = await run(kernel, 'print(6*7)');
  assert.equal(reply.content.status, 'ok');
  assert.equal(reply.header.msg_type, 'execute_reply');
  assert.equal(stdout, '42\n', JSON.stringify(streams));
});

test('interrupt stops a running cell with KeyboardInterrupt', { skip, timeout: 30000 }, async () => {
  const kernel = session.kernel;
  const future = kernel.requestExecute({ code: 'import time; time.sleep(30)' });
  // Interrupt only once the cell is actually running.
  const started = new Promise((resolve) => {
    future.onIOPub = (msg) => { if (msg.header.msg_type === 'execute_input') resolve(); };
  });
  await withTimeout(started, 10000, 'execute_input for the sleep');
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  await kernel.interrupt();
  const reply = await withTimeout(future.done, 10000, 'reply after interrupt');
  assert.ok(Date.now() - t0 < 10000);
  assert.equal(reply.content.status, 'error');
  assert.equal(reply.content.ename, 'KeyboardInterrupt');
  // The kernel is still usable.
  const again = await run(kernel, 'print("alive")');
  assert.equal(again.stdout, 'alive\n');
});

test('restart clears state and keeps the kernel id', { skip, timeout: 60000 }, async () => {
  const kernel = session.kernel;
  const id = kernel.id;
  assert.equal((await run(kernel, 'x = 5')).reply.content.status, 'ok');
  assert.equal((await run(kernel, 'print(x)')).stdout, '5\n');
  const statuses = [];
  const onStatus = (_, status) => statuses.push(status);
  kernel.statusChanged.connect(onStatus);
  await withTimeout(kernel.restart(), 30000, 'kernel.restart()');
  assert.equal(kernel.id, id);
  assert.equal(session.kernel.id, id);
  const { reply } = await run(kernel, 'print(x)', 30000);
  assert.equal(reply.content.status, 'error');
  assert.equal(reply.content.ename, 'NameError');
  const { body } = await rest('GET', 'api/kernels');
  assert.deepEqual(body.map((k) => k.id), [id]);
  // The reconnected socket is v1 as well.
  await waitConnected(kernel);
  assert.equal(kernel._selectedProtocol, V1);
  kernel.statusChanged.disconnect(onStatus);
  // A REST restart must not be announced on the WebSocket (spec 10-rest-api
  // §2.5): a server-sent iopub status "restarting" makes JupyterLab treat it
  // as an auto-restart after a crash ("autorestarting": the "kernel appears
  // to have died" dialog) and reconnect a second time.
  assert.ok(!statuses.includes('autorestarting'),
    `statuses during an explicit restart: ${statuses.join(' → ')}`);
});

test('changeKernel starts a new kernel and shuts the old one down', { skip, timeout: 60000 }, async () => {
  const oldId = session.kernel.id;
  const kernel = await withTimeout(session.changeKernel({ name: 'python3' }), 30000, 'changeKernel');
  assert.ok(kernel);
  assert.notEqual(kernel.id, oldId);
  assert.equal(session.kernel.id, kernel.id);
  const { body: kernels } = await rest('GET', 'api/kernels');
  const ids = kernels.map((k) => k.id);
  assert.ok(!ids.includes(oldId), `old kernel ${oldId} still listed: ${ids}`);
  assert.ok(ids.includes(kernel.id), `new kernel ${kernel.id} not listed: ${ids}`);
  const { body: sessions } = await rest('GET', 'api/sessions');
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0].kernel.id, kernel.id);
  const { stdout } = await run(kernel, 'print(6*7)', 30000);
  assert.equal(stdout, '42\n');
});

test('setPath renames the session', { skip, timeout: 20000 }, async () => {
  await session.setPath('nb/b.ipynb');
  assert.equal(session.path, 'nb/b.ipynb');
  const { status, body } = await rest('GET', 'api/sessions');
  assert.equal(status, 200);
  assert.equal(body.length, 1);
  assert.equal(body[0].id, session.id);
  assert.equal(body[0].path, 'nb/b.ipynb');
  const one = await rest('GET', `api/sessions/${session.id}`);
  assert.equal(one.body.path, 'nb/b.ipynb');
});

test('session.shutdown and KernelManager.shutdownAll leave nothing running', { skip, timeout: 60000 }, async () => {
  // A second, session-less kernel for shutdownAll to find.
  const extra = await withTimeout(kernelManager.startNew({ name: 'python3' }), 30000, 'KernelManager.startNew');
  assert.ok(extra.id);
  await withTimeout(session.shutdown(), 20000, 'session.shutdown()');
  assert.deepEqual((await rest('GET', 'api/sessions')).body, []);
  await withTimeout(kernelManager.shutdownAll(), 20000, 'KernelManager.shutdownAll()');
  const kernels = await rest('GET', 'api/kernels');
  assert.equal(kernels.status, 200);
  assert.deepEqual(kernels.body, []);
  const sessions = await rest('GET', 'api/sessions');
  assert.deepEqual(sessions.body, []);
});
