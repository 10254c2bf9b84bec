// The per-kernel record of the WebSocket session id and outstanding runs,
// kept in localStorage (here a Map-backed fake with the same interface).
import { beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { clientIdFor, forgetRuns, lookupRun, rememberRun } from "../src/notebook/runstore";

class MemoryStorage {
  data = new Map<string, string>();
  failWrites = false;
  getItem(k: string): string | null {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    if (this.failWrites) throw new Error("QuotaExceededError");
    this.data.set(k, v);
  }
}

let storage: MemoryStorage;
const g = globalThis as Record<string, unknown>;

beforeEach(() => {
  storage = new MemoryStorage();
  g.localStorage = storage;
});

test("a kernel keeps its client id; another kernel gets another", () => {
  const a = clientIdFor("k1");
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.equal(clientIdFor("k1"), a);
  assert.notEqual(clientIdFor("k2"), a);
});

test("runs are remembered per kernel until forgotten", () => {
  rememberRun("k1", "m1", "a.ipynb", "cell-1");
  rememberRun("k1", "m2", "a.ipynb", "#3");
  rememberRun("k2", "m1", "b.ipynb", "x");
  assert.deepEqual(lookupRun("k1", "m1"), { path: "a.ipynb", cell: "cell-1" });
  assert.deepEqual(lookupRun("k2", "m1"), { path: "b.ipynb", cell: "x" });
  assert.equal(lookupRun("k3", "m1"), undefined);
  forgetRuns("k1", ["m1"]);
  assert.equal(lookupRun("k1", "m1"), undefined);
  assert.deepEqual(lookupRun("k1", "m2"), { path: "a.ipynb", cell: "#3" });
  forgetRuns("k1", null);
  assert.equal(lookupRun("k1", "m2"), undefined);
  assert.deepEqual(lookupRun("k2", "m1"), { path: "b.ipynb", cell: "x" }, "other kernels keep theirs");
});

test("remembering a run keeps the kernel's client id", () => {
  const id = clientIdFor("k1");
  rememberRun("k1", "m1", "a.ipynb", "c");
  assert.equal(clientIdFor("k1"), id);
});

test("only the latest 500 runs of a kernel are kept", () => {
  for (let i = 0; i < 505; i++) rememberRun("k1", "m" + i, "a.ipynb", "c" + i);
  for (let i = 0; i < 5; i++) assert.equal(lookupRun("k1", "m" + i), undefined, "m" + i);
  assert.deepEqual(lookupRun("k1", "m5"), { path: "a.ipynb", cell: "c5" });
  assert.deepEqual(lookupRun("k1", "m504"), { path: "a.ipynb", cell: "c504" });
});

test("only the 20 most recently used kernels are kept", (t) => {
  let now = 1000;
  t.mock.method(Date, "now", () => now);
  const ids: string[] = [];
  for (let i = 0; i < 22; i++) {
    now += 10;
    ids.push(clientIdFor("k" + i));
  }
  now += 10;
  assert.equal(clientIdFor("k21"), ids[21]);
  assert.equal(clientIdFor("k2"), ids[2]);
  now += 10;
  assert.notEqual(clientIdFor("k0"), ids[0], "the oldest kernel was dropped");
  const kept = Object.keys(JSON.parse(storage.data.get("quire-kernel-clients")!) as object);
  assert.equal(kept.length, 20);
});

test("unreadable or unwritable storage is survived", () => {
  storage.data.set("quire-kernel-clients", "{not json");
  const id = clientIdFor("k1");
  assert.match(id, /^[0-9a-f]{32}$/);
  storage.failWrites = true;
  rememberRun("k1", "m1", "a.ipynb", "c");
  assert.equal(lookupRun("k1", "m1"), undefined);
});
