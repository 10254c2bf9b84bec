// The cell clipboard: pasted cells are fresh copies with fresh ids, and a
// later page takes up what an earlier one copied (localStorage, faked).
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyCells, pasteCells, restoreClipboard } from "../src/notebook/clipboard";
import { newCell } from "../src/notebook/model";

const store = new Map<string, string>();
(globalThis as Record<string, unknown>).localStorage = {
  getItem: (k: string) => store.get(k) ?? null,
  setItem: (k: string, v: string) => void store.set(k, v),
};

test("an empty clipboard takes up what an earlier page copied", () => {
  assert.deepEqual(pasteCells(true), []);
  const earlier = newCell("markdown", "from before", true);
  store.set("quire-notebook-clipboard", JSON.stringify([earlier]));
  restoreClipboard();
  assert.deepEqual(
    pasteCells(false).map((c) => c.source),
    ["from before"],
  );
});

test("pasted cells are copies with new ids (or none when the notebook has no ids)", () => {
  const a = newCell("code", "x = 1", true);
  const b = newCell("markdown", "# t", true);
  copyCells([a, b]);
  assert.equal(store.get("quire-notebook-clipboard"), JSON.stringify([a, b]), "kept for later pages");
  const p1 = pasteCells(true);
  const p2 = pasteCells(true);
  assert.deepEqual(
    p1.map((c) => [c.cell_type, c.source]),
    [
      ["code", "x = 1"],
      ["markdown", "# t"],
    ],
  );
  assert.notEqual(p1[0].id, a.id);
  assert.notEqual(p1[0].id, p2[0].id, "each paste gets its own ids");
  assert.match(p1[0].id!, /^[a-z0-9]{12}$/);
  p1[0].metadata.changed = true;
  assert.equal(a.metadata.changed, undefined, "a pasted cell shares nothing with the copied one");
  assert.equal(p2[0].metadata.changed, undefined);
  assert.deepEqual(
    pasteCells(false).map((c) => c.id),
    [undefined, undefined],
  );
});

test("a page that copied keeps its own clipboard over the stored one", () => {
  copyCells([newCell("raw", "mine", false)]);
  store.set("quire-notebook-clipboard", JSON.stringify([newCell("raw", "other page", false)]));
  restoreClipboard();
  assert.deepEqual(
    pasteCells(false).map((c) => c.source),
    ["mine"],
  );
});
