// The cell view commands (cellview.ts) as the menus and keys run them,
// on recording fake cells.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CellView } from "../src/notebook/cellview";
import { CommandRegistry } from "../src/notebook/registry";
import type { Cell } from "../src/notebook/cell";
import type { CellType } from "../src/notebook/model";

class FakeCell {
  inputCollapsed = false;
  outputsCollapsed = false;
  scrolled = false;
  numbered = false;
  unrendered = false;
  constructor(public type: CellType, public data = { source: "", metadata: {} as Record<string, unknown> }) {}
  setInputCollapsed(on: boolean) { this.inputCollapsed = on; }
  setOutputsCollapsed(on: boolean) { if (this.type === "code") this.outputsCollapsed = on; }
  setScrolled(on: boolean) { if (this.type === "code") this.scrolled = on; }
  setLineNumbers(on: boolean) { this.numbered = on; }
  setSource(s: string) { this.data.source = s; }
  unrender() { this.unrendered = true; }
}

function setup(cells: FakeCell[], selected: number[]) {
  let changes = 0;
  let list = cells;
  const view = new CellView({
    cells: () => list as unknown as Cell[],
    selected: () => selected.map((i) => list[i]) as unknown as Cell[],
    setType: (t) => {
      list = list.map((c, i) => (selected.includes(i) ? new FakeCell(t, { ...c.data }) : c));
    },
    changed: () => changes++,
  });
  const r = new CommandRegistry();
  view.register(r);
  return { r, view, cells: () => list, changes: () => changes };
}

test("the View menu collapses and expands every input or output", () => {
  const cells = [new FakeCell("code"), new FakeCell("markdown"), new FakeCell("code")];
  const { r } = setup(cells, [0]);
  assert.ok(r.run("view:collapse-all-inputs"));
  assert.deepEqual(cells.map((c) => c.inputCollapsed), [true, true, true]);
  r.run("view:collapse-all-outputs");
  assert.deepEqual(cells.map((c) => c.outputsCollapsed), [true, false, true], "markdown cells have no outputs");
  r.run("view:expand-all-inputs");
  r.run("view:expand-all-outputs");
  assert.deepEqual(cells.map((c) => [c.inputCollapsed, c.outputsCollapsed]), [[false, false], [false, false], [false, false]]);
  for (const id of ["view:collapse-all-inputs", "view:toggle-outputs", "view:toggle-line-numbers", "view:record-timing", "edit:heading-6"]) {
    assert.ok(r.get(id), id);
  }
  assert.deepEqual(r.get("view:toggle-outputs")?.keys, ["O"]);
  assert.equal(r.get("view:toggle-outputs")?.menu, "View");
});

test("O follows the first selected cell: all collapse, then all expand", () => {
  const cells = [new FakeCell("code"), new FakeCell("code"), new FakeCell("code")];
  cells[1].outputsCollapsed = true;
  const { r } = setup(cells, [0, 1]);
  r.run("view:toggle-outputs");
  assert.deepEqual(cells.map((c) => c.outputsCollapsed), [true, true, false]);
  r.run("view:toggle-outputs");
  assert.deepEqual(cells.map((c) => c.outputsCollapsed), [false, false, false]);
  r.run("view:toggle-output-scrolling");
  assert.deepEqual(cells.map((c) => c.scrolled), [true, true, false]);
});

test("line numbers: Shift-L for all (a checked toggle), L for the selection", () => {
  const cells = [new FakeCell("code"), new FakeCell("code")];
  const { r, view } = setup(cells, [1]);
  assert.equal(r.get("view:toggle-line-numbers")?.checked?.(), false);
  r.run("view:toggle-cell-line-numbers");
  assert.deepEqual(cells.map((c) => c.numbered), [false, true]);
  r.run("view:toggle-line-numbers");
  assert.equal(view.lineNumbers, true);
  assert.equal(r.get("view:toggle-line-numbers")?.checked?.(), true);
  assert.deepEqual(cells.map((c) => c.numbered), [true, true]);
});

test("timing is recorded unless switched off", () => {
  const { r, view } = setup([new FakeCell("code")], [0]);
  assert.equal(view.recordTiming, true);
  r.run("view:record-timing");
  assert.equal(view.recordTiming, false);
  assert.equal(r.get("view:record-timing")?.checked?.(), false);
});

test("heading keys make code cells markdown headings and replace a heading's level", () => {
  const code = new FakeCell("code", { source: "Results", metadata: {} });
  const md = new FakeCell("markdown", { source: "# Intro\ntext", metadata: {} });
  const empty = new FakeCell("code", { source: "", metadata: {} });
  const { r, cells, changes } = setup([code, md, empty], [0, 1, 2]);
  r.run("edit:heading-2");
  assert.deepEqual(cells().map((c) => [c.type, c.data.source]), [["markdown", "## Results"], ["markdown", "## Intro\ntext"], ["markdown", "## "]]);
  assert.equal(cells()[2].unrendered, true, "an empty heading shows its source");
  assert.equal(cells()[0].unrendered, false);
  assert.ok(changes() > 0);
});
