// KernelConnection's watch of the REST model: a kernel that stops answering
// heartbeats sends no status (the server only flags its model), so the page
// polls the model while it has requests outstanding or the kernel is not
// responding. Browser globals (window, WebSocket, fetch, document) are fakes.
import { afterEach, beforeEach, mock, test } from "node:test";
import assert from "node:assert/strict";
import { KernelConnection, POLL_MS, type KernelMessage, type KernelState } from "../src/notebook/kernel";

class FakeWS {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static all: FakeWS[] = [];
  readyState = 0;
  binaryType = "";
  sent: KernelMessage[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  constructor(public url: string) {
    FakeWS.all.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as KernelMessage);
  }
  close(code = 1000): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code });
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  recv(msg: Partial<KernelMessage>): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

interface Model {
  execution_state: string;
  unresponsive?: boolean;
  reason?: string;
}

let model: Model;
let fetches: number;
/** failing: the next fetches reject (network); hang: they never answer until released */
let failing: boolean;
let hang: (() => void)[] | null;

const g = globalThis as Record<string, unknown>;

beforeEach(() => {
  mock.timers.enable({ apis: ["setTimeout"] });
  FakeWS.all = [];
  model = { execution_state: "idle" };
  fetches = 0;
  failing = false;
  hang = null;
  g.window = globalThis;
  g.addEventListener ??= () => {};
  g.document = { querySelector: () => null, cookie: "" };
  g.location = { href: "http://127.0.0.1/" };
  g.WebSocket = FakeWS;
  g.fetch = async () => {
    fetches++;
    if (hang) await new Promise<void>((r) => hang!.push(r));
    if (failing) throw new TypeError("network down");
    return new Response(JSON.stringify({ id: "k1", name: "python3", last_activity: "", connections: 1, ...model }), {
      status: 200,
      headers: { "Content-Type": "application/json" },
    });
  };
});

afterEach(() => {
  mock.timers.reset();
});

/** flush lets pending promise chains (fetch, json) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

function status(parent: string, state: string): Partial<KernelMessage> {
  return {
    channel: "iopub",
    header: { msg_id: "s" + Math.random(), msg_type: "status", session: "", username: "", date: new Date().toISOString(), version: "5.3" },
    parent_header: parent ? { msg_id: parent } : {},
    metadata: {},
    content: { execution_state: state },
  };
}

function reply(parent: string, type: string): Partial<KernelMessage> {
  return {
    channel: "shell",
    header: { msg_id: "r" + Math.random(), msg_type: type, session: "", username: "", date: new Date().toISOString(), version: "5.3" },
    parent_header: { msg_id: parent },
    metadata: {},
    content: { status: "ok" },
  };
}

/** opened opens a connection (the server accepts it); returns it with the recorded events. */
async function opened() {
  const states: KernelState[] = [];
  const unresponsive: string[] = [];
  let dead = 0;
  const k = new KernelConnection("k1", {
    state: (s) => states.push(s),
    connection: () => {},
    dead: () => dead++,
    unresponsive: (r) => unresponsive.push(r),
    info: () => {},
    restarted: () => {},
    clientId: () => "c1",
    adopt: () => undefined,
    settled: () => {},
  });
  k.connect();
  const ws = FakeWS.all[FakeWS.all.length - 1];
  ws.open();
  await flush();
  return { k, ws, states, unresponsive, dead: () => dead };
}

/** connected opens a connection and settles its kernel_info request. */
async function connected() {
  const c = await opened();
  const { ws } = c;
  const info = ws.sent.find((m) => m.header.msg_type === "kernel_info_request")!;
  ws.recv(status(info.header.msg_id, "busy"));
  ws.recv(reply(info.header.msg_id, "kernel_info_reply"));
  ws.recv(status(info.header.msg_id, "idle"));
  return c;
}

/** tick advances the fake clock and lets the poll it starts finish (one poll per call at most: the next is timed from its end). */
async function tick(ms: number): Promise<void> {
  mock.timers.tick(ms);
  await flush();
}

function run(k: KernelConnection): string {
  return k.send("shell", "execute_request", { code: "x" }, { reply: () => {} });
}

test("nothing is polled while no request is outstanding", async () => {
  const { k } = await connected();
  const before = fetches;
  await tick(POLL_MS * 5);
  assert.equal(fetches, before);
  assert.equal(k.state, "idle");
});

test("an outstanding request polls the model; unresponsive shows, and its end restores the model's state", async () => {
  const { k, ws, states, unresponsive } = await connected();
  const id = run(k);
  ws.recv(status(id, "busy"));
  const before = fetches;
  await tick(POLL_MS);
  assert.equal(fetches, before + 1, "one poll after POLL_MS");
  assert.equal(k.state, "busy");

  model = { execution_state: "busy", unresponsive: true, reason: "kernel stopped answering heartbeats for 2s (process 7 still running)" };
  await tick(POLL_MS);
  assert.equal(k.state, "unresponsive");
  assert.deepEqual(unresponsive, [model.reason]);

  // Still not answering: no new event. A failed poll changes nothing.
  await tick(POLL_MS);
  failing = true;
  await tick(POLL_MS);
  assert.equal(k.state, "unresponsive");
  assert.equal(unresponsive.length, 1);

  // Back (a heartbeat echo: no message on the socket): the model's state returns.
  failing = false;
  model = { execution_state: "busy" };
  await tick(POLL_MS);
  assert.equal(k.state, "busy");
  assert.equal(states.filter((s) => s === "unresponsive").length, 1);

  // The request settles: polling stops.
  ws.recv(reply(id, "execute_reply"));
  ws.recv(status(id, "idle"));
  const n = fetches;
  await tick(POLL_MS * 4);
  assert.equal(fetches, n);
});

test("while unresponsive, polling goes on without requests, and any status from the kernel ends it", async () => {
  const { k, ws } = await connected();
  const id = run(k);
  model = { execution_state: "busy", unresponsive: true, reason: "r" };
  await tick(POLL_MS);
  assert.equal(k.state, "unresponsive");
  k.forget(id); // no request outstanding any more
  const n = fetches;
  await tick(POLL_MS);
  await tick(POLL_MS);
  assert.equal(fetches, n + 2, "polled while unresponsive");
  ws.recv(status("", "idle"));
  assert.equal(k.state, "idle");
  const m = fetches;
  await tick(POLL_MS * 3);
  assert.equal(fetches, m, "no polling once it answers and nothing is outstanding");
});

test("a poll answered after the kernel spoke is stale and ignored; polls never overlap", async () => {
  const { k, ws } = await connected();
  const id = run(k);
  model = { execution_state: "busy", unresponsive: true, reason: "r" };
  hang = [];
  await tick(POLL_MS);
  assert.equal(hang.length, 1, "one poll in flight");
  await tick(POLL_MS * 3);
  assert.equal(hang.length, 1, "no second poll while one is in flight");
  ws.recv(status(id, "busy")); // it spoke meanwhile
  const release = hang;
  hang = null;
  release.forEach((r) => r());
  await flush();
  assert.equal(k.state, "busy", "the stale model did not mark it unresponsive");
  await tick(POLL_MS);
  assert.equal(k.state, "unresponsive", "the next poll does");
});

test("close and switchKernel stop the polling; results of an older connection are dropped", async () => {
  const { k } = await connected();
  run(k);
  model = { execution_state: "busy", unresponsive: true, reason: "r" };
  hang = [];
  await tick(POLL_MS);
  assert.equal(hang.length, 1);
  k.switchKernel("k2"); // drops the requests, new generation
  const release = hang;
  hang = null;
  release.forEach((r) => r());
  await flush();
  assert.equal(k.state, "starting", "the old poll's answer is ignored");
  k.close();
  const n = fetches;
  await tick(POLL_MS * 4);
  assert.equal(fetches, n, "nothing polled after close");
});

test("an iopub dead is death, unless the model says the kernel only stopped answering", async () => {
  {
    const { k, ws, dead } = await connected();
    run(k);
    model = { execution_state: "busy", unresponsive: true, reason: "r" };
    ws.recv(status("", "dead"));
    await flush();
    assert.equal(k.state, "unresponsive");
    assert.equal(dead(), 0);
    k.close();
  }
  {
    const { k, ws, dead } = await connected();
    run(k);
    model = { execution_state: "dead" };
    ws.recv(status("", "dead"));
    await flush();
    assert.equal(k.state, "dead");
    assert.equal(dead(), 1);
    const n = fetches;
    await tick(POLL_MS * 3);
    assert.equal(fetches, n, "no polling of a dead kernel");
  }
});

test("a connection opened to an unresponsive kernel shows it and still asks for kernel_info", async () => {
  model = { execution_state: "busy", unresponsive: true, reason: "r" };
  const { k, ws } = await opened();
  assert.equal(k.state, "unresponsive");
  assert.ok(ws.sent.some((m) => m.header.msg_type === "kernel_info_request"));
  model = { execution_state: "idle" };
  await tick(POLL_MS);
  assert.equal(k.state, "idle");
  k.close();
});
