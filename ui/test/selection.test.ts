// Selection ranges (CellRange) and how they show on cells (SelectionMarks,
// with recording fake cells).
import { test } from "node:test";
import assert from "node:assert/strict";
import { CellRange, SelectionMarks, type Selectable } from "../src/notebook/selection";

test("a range runs from the anchor to the active cell, either way round", () => {
  const r = new CellRange();
  r.moveTo(3);
  assert.deepEqual([r.lo, r.hi, r.size], [3, 3, 1]);
  r.moveTo(5, true);
  assert.deepEqual([r.anchor, r.active, r.lo, r.hi, r.size], [3, 5, 3, 5, 3]);
  r.moveTo(1, true);
  assert.deepEqual([r.anchor, r.active, r.lo, r.hi, r.size], [3, 1, 1, 3, 3]);
  r.moveTo(2);
  assert.deepEqual([r.anchor, r.active, r.lo, r.hi], [2, 2, 2, 2]);
});

test("slice is the selected items; shift moves the whole range", () => {
  const r = new CellRange();
  r.span(4, 2);
  assert.deepEqual(r.slice(["a", "b", "c", "d", "e", "f"]), ["c", "d", "e"]);
  r.shift(-1);
  assert.deepEqual([r.anchor, r.active], [3, 1]);
  assert.deepEqual(r.slice(["a", "b", "c", "d", "e", "f"]), ["b", "c", "d"]);
  r.shift(2);
  assert.deepEqual([r.lo, r.hi], [3, 5]);
});

test("clamp keeps an index among the cells", () => {
  assert.equal(CellRange.clamp(-1, 5), 0);
  assert.equal(CellRange.clamp(7, 5), 4);
  assert.equal(CellRange.clamp(2, 5), 2);
});

class FakeCell implements Selectable {
  el = { tabIndex: -1 };
  selected = false;
  active = false;
  calls = 0;
  constructor(public name: string) {}
  setSelected(selected: boolean, active: boolean): void {
    this.selected = selected;
    this.active = active;
    this.calls++;
  }
}

test("marks show the selection, the active cell, and one Tab stop", () => {
  const cells = ["a", "b", "c", "d"].map((n) => new FakeCell(n));
  const [a, b, c, d] = cells;
  const marks = new SelectionMarks<FakeCell>();
  marks.show([a, b, c], c);
  assert.deepEqual(
    cells.map((x) => [x.selected, x.active, x.el.tabIndex]),
    [
      [true, false, -1],
      [true, false, -1],
      [true, true, 0],
      [false, false, -1],
    ],
  );
  d.calls = 0;
  marks.show([d], d);
  assert.deepEqual(
    cells.map((x) => [x.selected, x.active, x.el.tabIndex]),
    [
      [false, false, -1],
      [false, false, -1],
      [false, false, -1],
      [true, true, 0],
    ],
  );
  assert.equal(d.calls, 1);
});

test("marks leave cells that were dropped alone", () => {
  const [a, b] = [new FakeCell("a"), new FakeCell("b")];
  const marks = new SelectionMarks<FakeCell>();
  marks.show([a, b], b);
  marks.drop(a);
  a.calls = 0;
  marks.show([b], b);
  assert.equal(a.calls, 0, "a dropped (destroyed) cell is not touched");
  assert.equal(a.selected, true);
});

test("moveTarget: where a dragged block of cells lands", async () => {
  const { moveTarget } = await import("../src/notebook/celllist");
  assert.equal(moveTarget(2, 2, 0, 5), 0, "cell 3 above cell 1");
  assert.equal(moveTarget(0, 0, 5, 5), 4, "the first cell to the end");
  assert.equal(moveTarget(1, 2, 4, 5), 2, "a block of two before the old cell 4");
  assert.equal(moveTarget(1, 2, 1, 5), -1, "just above itself: no move");
  assert.equal(moveTarget(1, 2, 3, 5), -1, "just below itself: no move");
  assert.equal(moveTarget(1, 2, 2, 5), -1, "inside itself: no move");
  assert.equal(moveTarget(0, 1, 6, 5), -1, "no gap past the end");
});
