// The save state machine: dirty tracking across a save in flight, the
// If-Match hash, checkpoints on explicit saves, and the conflict choices.
// SaveIO is a recording fake; ApiError is the real one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError } from "../src/api";
import { SaveController, type ConflictChoice, type SaveIO, type SaveState } from "../src/notebook/save";

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

class FakeIO implements SaveIO {
  writes: { ifMatch: string | undefined; done: Deferred<string | undefined> }[] = [];
  checkpoints = 0;
  checkpointError: unknown = null;
  conflicts: Deferred<ConflictChoice>[] = [];
  reloads = 0;
  reloadError: unknown = null;
  copies = 0;
  notices: { text: string; kind?: "error" }[] = [];
  states: { state: SaveState; detail: string }[] = [];

  write(ifMatch: string | undefined): Promise<string | undefined> {
    const done = deferred<string | undefined>();
    this.writes.push({ ifMatch, done });
    return done.promise;
  }
  async checkpoint(): Promise<void> {
    this.checkpoints++;
    if (this.checkpointError) throw this.checkpointError;
  }
  askConflict(): Promise<ConflictChoice> {
    const d = deferred<ConflictChoice>();
    this.conflicts.push(d);
    return d.promise;
  }
  async reload(): Promise<void> {
    this.reloads++;
    if (this.reloadError) throw this.reloadError;
  }
  async saveCopy(): Promise<void> {
    this.copies++;
  }
  notify(text: string, kind?: "error"): void {
    this.notices.push({ text, kind });
  }
  show(state: SaveState, detail: string): void {
    this.states.push({ state, detail });
  }
  get state(): SaveState | undefined {
    return this.states.at(-1)?.state;
  }
}

/** settle lets the controller's awaits run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

function loaded(hash = "h0"): { io: FakeIO; saves: SaveController } {
  const io = new FakeIO();
  const saves = new SaveController(io);
  saves.setHash(hash);
  saves.setDirty(false);
  return { io, saves };
}

test("an edit makes the notebook dirty; a save sends the hash read and then the one written", async () => {
  const { io, saves } = loaded("h0");
  assert.equal(io.state, "saved");
  assert.equal(saves.isDirty, false);
  saves.changed();
  assert.equal(io.state, "unsaved");
  assert.equal(saves.isDirty, true);

  const p = saves.save(false);
  assert.equal(io.state, "saving");
  assert.equal(io.writes.length, 1);
  assert.equal(io.writes[0].ifMatch, "h0");
  io.writes[0].done.resolve("h1");
  await p;
  assert.equal(io.state, "saved");
  assert.equal(saves.isDirty, false);
  assert.equal(io.checkpoints, 0, "an autosave makes no checkpoint");

  saves.changed();
  const p2 = saves.save(true);
  assert.equal(io.writes[1].ifMatch, "h1");
  io.writes[1].done.resolve("h2");
  await p2;
  assert.equal(io.checkpoints, 1, "an explicit save makes a checkpoint");
});

test("an edit made while a save is in flight keeps the notebook dirty", async () => {
  const { io, saves } = loaded();
  saves.changed();
  const p = saves.save(false);
  saves.changed();
  assert.equal(io.state, "saving", "the state stays 'saving' until the save ends");
  io.writes[0].done.resolve("h1");
  await p;
  assert.equal(io.state, "unsaved");
  assert.equal(saves.isDirty, true);
});

test("a save asked for while one is in flight is not started", async () => {
  const { io, saves } = loaded();
  saves.changed();
  const p = saves.save(false);
  await saves.save(true);
  assert.equal(io.writes.length, 1);
  io.writes[0].done.resolve("h1");
  await p;
});

test("a failed save shows the error and keeps the changes", async () => {
  const { io, saves } = loaded();
  saves.changed();
  const p = saves.save(true);
  io.writes[0].done.reject(new ApiError(500, "disk full"));
  await p;
  assert.equal(io.state, "error");
  assert.equal(io.states.at(-1)?.detail, "disk full");
  assert.equal(saves.isDirty, true);
  assert.equal(io.checkpoints, 0);
  assert.deepEqual(io.notices, [{ text: "The notebook was not saved: disk full", kind: "error" }]);
  assert.equal(io.conflicts.length, 0, "only a 412 is a conflict");
});

test("a failed checkpoint after a good save is reported, the save stands", async () => {
  const { io, saves } = loaded();
  io.checkpointError = new Error("no space");
  saves.changed();
  const p = saves.save(true);
  io.writes[0].done.resolve("h1");
  await p;
  assert.equal(io.state, "saved");
  assert.deepEqual(io.notices, [{ text: "Saved, but the checkpoint failed: no space", kind: "error" }]);
});

test("a conflict asks once; 'Keep mine' overwrites without If-Match", async () => {
  const { io, saves } = loaded("h0");
  saves.changed();
  const p = saves.save(true);
  io.writes[0].done.reject(new ApiError(412, "changed on disk"));
  await settle();
  assert.equal(io.conflicts.length, 1);
  assert.equal(io.state, "error");
  assert.equal(io.states.at(-1)?.detail, "The file changed on disk");
  saves.autosave();
  assert.equal(io.writes.length, 1, "no autosave while the conflict dialog is open");

  io.conflicts[0].resolve("mine");
  await settle();
  assert.equal(io.writes.length, 2);
  assert.equal(io.writes[1].ifMatch, undefined);
  io.writes[1].done.resolve("h9");
  await p;
  assert.equal(io.state, "saved");
  assert.equal(io.checkpoints, 1, "the forced save is still the explicit one");

  saves.changed();
  const p3 = saves.save(false);
  assert.equal(io.writes[2].ifMatch, "h9", "later saves check against the overwritten file");
  io.writes[2].done.resolve("h10");
  await p3;
});

test("'Load theirs' reloads; a reload that fails is reported", async () => {
  const { io, saves } = loaded();
  saves.changed();
  let p = saves.save(false);
  io.writes[0].done.reject(new ApiError(412, "x"));
  await settle();
  io.conflicts[0].resolve("theirs");
  await p;
  assert.equal(io.reloads, 1);
  assert.deepEqual(io.notices.at(-1), { text: "Loaded the version on disk.", kind: undefined });

  io.reloadError = new Error("gone");
  p = saves.save(false);
  io.writes[1].done.reject(new ApiError(412, "x"));
  await settle();
  io.conflicts[1].resolve("theirs");
  await p;
  assert.deepEqual(io.notices.at(-1), { text: "Could not load the notebook: gone", kind: "error" });
});

test("'Save as copy' saves a copy; dismissing leaves the changes unsaved", async () => {
  const { io, saves } = loaded();
  saves.changed();
  let p = saves.save(false);
  io.writes[0].done.reject(new ApiError(412, "x"));
  await settle();
  io.conflicts[0].resolve("copy");
  await p;
  assert.equal(io.copies, 1);

  p = saves.save(false);
  io.writes[1].done.reject(new ApiError(412, "x"));
  await settle();
  io.conflicts[1].resolve(null);
  await p;
  assert.equal(io.state, "unsaved");
  assert.equal(io.states.at(-1)?.detail, "Not saved: the file changed on disk");
  assert.equal(io.writes.length, 2);
});

test("autosave saves only a dirty notebook", async () => {
  const { io, saves } = loaded();
  saves.autosave();
  assert.equal(io.writes.length, 0);
  saves.changed();
  saves.autosave();
  assert.equal(io.writes.length, 1);
  saves.autosave();
  assert.equal(io.writes.length, 1, "not while a save is in flight");
  io.writes[0].done.resolve("h1");
  await settle();
  saves.autosave();
  assert.equal(io.writes.length, 1, "nothing left to save");
});

test("abandon forgets the changes without showing it", () => {
  const { io, saves } = loaded();
  saves.changed();
  const shown = io.states.length;
  saves.abandon();
  assert.equal(saves.isDirty, false);
  assert.equal(io.states.length, shown);
});
