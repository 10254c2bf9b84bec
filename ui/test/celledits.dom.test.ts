// Edits of the cell list (CellEdits over CellList and Selection) with real
// cells in a real page: the cells' order in the model and in the DOM, the
// selection each edit leaves, undo, the clipboard, and how many times the
// notebook was marked changed.
import { assert, domTest } from "./dom";
import { Cell, type CellHost } from "../src/notebook/cell";
import { CellEdits } from "../src/notebook/celledits";
import { CellList } from "../src/notebook/celllist";
import { newCell, type CellData, type CellType } from "../src/notebook/model";
import { Selection } from "../src/notebook/selection";

interface Fixture {
  list: CellList;
  sel: Selection;
  edits: CellEdits;
  changes: () => number;
  trustUpdates: () => number;
}

const host: CellHost = {
  notebookPath: "t.ipynb",
  codeLanguage: () => [],
  codeParser: () => null,
  editing: () => false,
  editorHooks: () => ({
    change: () => {},
    focus: () => {},
    shiftEnter: () => false,
    ctrlEnter: () => false,
    altEnter: () => false,
    escape: () => false,
    split: () => false,
    up: () => false,
    down: () => false,
    save: () => false,
  }),
  registerDisplays: () => {},
  viewChanged: () => viewChanges++,
  lineNumbers: () => false,
};
let viewChanges = 0;

function fixture(sources: string[], types: CellType[] = []): Fixture {
  const el = document.createElement("div");
  document.body.append(el);
  let n = 0;
  let t = 0;
  const fresh = (type: CellType, source = ""): CellData => newCell(type, source, true);
  const list = new CellList(el, (d) => new Cell(d, host), () => fresh("code"));
  const sel = new Selection(list, { loaded: () => true, showCellType: () => {} });
  const edits = new CellEdits(list, sel, {
    fresh,
    wantsIds: () => true,
    changed: () => n++,
    updateTrust: () => t++,
  });
  list.load(sources.map((s, i) => newCell(types[i] ?? "code", s, true)));
  sel.reset();
  return { list, sel, edits, changes: () => n, trustUpdates: () => t };
}

/** sources is the cells' text in model order, checked against the page's order. */
function sources(f: Fixture): string[] {
  const model = f.list.cells.map((c) => c.data.source);
  const page = Array.from(f.list.el.children, (el) => f.list.cells.find((c) => c.el === el)?.data.source ?? "?");
  assert(JSON.stringify(model) === JSON.stringify(page), `page order ${JSON.stringify(page)} is not model order ${JSON.stringify(model)}`);
  f.list.cells.forEach((c, i) => assert(c.index === i, `cell ${i} thinks it is ${c.index}`));
  return model;
}

function selected(f: Fixture): string[] {
  return f.sel.selected().map((c) => c.data.source);
}

function eq(got: unknown, want: unknown, what: string): void {
  assert(JSON.stringify(got) === JSON.stringify(want), `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

domTest("insert below the selection and above it", () => {
  const f = fixture(["a", "b", "c"]);
  f.sel.select(0);
  f.sel.select(1, true);
  f.edits.insertBelow("markdown");
  eq(sources(f), ["a", "b", "", "c"], "cells");
  eq(f.list.cells[2].type, "markdown", "inserted type");
  eq(f.sel.active, 2, "the new cell is active");
  eq(selected(f), [""], "only the new cell is selected");
  f.edits.insertAt(0, "code");
  eq(sources(f), ["", "a", "b", "", "c"], "cells");
  eq(f.sel.active, 0, "active");
  eq(f.changes(), 2, "changes");
});

domTest("delete a range, then undo it in place", () => {
  const f = fixture(["a", "b", "c", "d"]);
  f.sel.select(1);
  f.sel.select(2, true);
  f.edits.deleteSelected();
  eq(sources(f), ["a", "d"], "after delete");
  eq(selected(f), ["d"], "the cell after the deleted ones is selected");
  f.edits.undoDelete();
  eq(sources(f), ["a", "b", "c", "d"], "after undo");
  eq(selected(f), ["b", "c"], "the restored cells are selected");
  f.edits.undoDelete();
  eq(sources(f), ["a", "b", "c", "d"], "nothing more to undo");
});

domTest("deleting every cell leaves one blank code cell", () => {
  const f = fixture(["a", "b"]);
  f.sel.select(1, true);
  f.edits.deleteSelected();
  eq(sources(f), [""], "cells");
  eq(f.list.cells[0].type, "code", "type");
  eq(f.sel.active, 0, "active");
});

domTest("cut and paste moves cells; pasted cells get new ids", () => {
  const f = fixture(["a", "b", "c", "d"]);
  const idB = f.list.cells[1].data.id;
  f.sel.select(1);
  f.edits.cut();
  eq(sources(f), ["a", "c", "d"], "after cut");
  f.sel.select(2);
  f.edits.paste(false);
  eq(sources(f), ["a", "c", "d", "b"], "pasted below");
  eq(selected(f), ["b"], "the pasted cell is selected");
  assert(f.list.cells[3].data.id !== idB, "a pasted cell gets a new id");
  f.sel.select(0);
  f.edits.paste(true);
  eq(sources(f), ["b", "a", "c", "d", "b"], "pasted above");
  eq(f.sel.active, 0, "active");
});

domTest("move a range up and down, stopping at the ends", () => {
  const f = fixture(["a", "b", "c", "d"]);
  f.sel.select(1);
  f.sel.select(2, true);
  f.edits.move(1);
  eq(sources(f), ["a", "d", "b", "c"], "down");
  eq(selected(f), ["b", "c"], "the selection moves with the cells");
  f.edits.move(1);
  eq(sources(f), ["a", "d", "b", "c"], "already at the end");
  f.edits.move(-1);
  f.edits.move(-1);
  eq(sources(f), ["b", "c", "a", "d"], "up twice");
  const before = f.changes();
  f.edits.move(-1);
  eq(f.changes(), before, "a move that cannot happen changes nothing");
});

domTest("changing the type replaces the cells and keeps their text", () => {
  const f = fixture(["a", "b", "c"]);
  const old = f.list.cells[1];
  f.sel.select(0);
  f.sel.select(1, true);
  f.edits.setType("markdown");
  eq(
    f.list.cells.map((c) => c.type),
    ["markdown", "markdown", "code"],
    "types",
  );
  eq(sources(f), ["a", "b", "c"], "cells");
  assert(!old.el.isConnected, "the old cell left the page");
  assert(f.list.cells[1].data.metadata.trusted === undefined, "a markdown cell carries no trust mark");
  eq(selected(f), ["a", "b"], "selection");
  f.edits.setType("code");
  assert(f.list.cells[0].data.metadata.trusted === true, "a new code cell is trusted");
  const before = f.changes();
  f.edits.setType("code");
  eq(f.changes(), before, "no change when the type is already that");
});

domTest("merge joins the selection, or the cell with the one below", () => {
  const f = fixture(["a", "b", "c", "d"]);
  f.sel.select(1);
  f.edits.merge();
  eq(sources(f), ["a", "b\n\nc", "d"], "with the one below");
  f.sel.select(0);
  f.sel.select(2, true);
  f.edits.merge();
  eq(sources(f), ["a\n\nb\n\nc\n\nd"], "the selection");
  f.edits.merge();
  eq(sources(f), ["a\n\nb\n\nc\n\nd"], "the last cell has nothing below to merge");
  f.edits.undoDelete();
  eq(sources(f), ["a\n\nb\n\nc\n\nd", "b\n\nc", "d"], "undo brings back the merged-away cells");
});

domTest("split at the end of the text makes an empty cell of the same type", () => {
  const f = fixture(["x = 1\ny = 2", "z"], ["markdown", "code"]);
  f.sel.select(0);
  f.edits.split();
  eq(sources(f), ["x = 1\ny = 2", "", "z"], "cells");
  eq(f.list.cells[1].type, "markdown", "type");
  eq(f.sel.active, 1, "the new cell is active");
  eq(f.sel.mode, "edit", "and being edited");
});

domTest("clearing outputs touches code cells only", () => {
  const f = fixture(["a", "m"], ["code", "markdown"]);
  f.list.cells[0].data.execution_count = 7;
  f.list.cells[0].data.metadata.trusted = false;
  f.edits.clearOutputs(f.list.cells);
  eq(f.list.cells[0].data.execution_count, null, "execution count");
  eq(f.list.cells[0].data.metadata.trusted, true, "a cleared cell is trusted again");
  eq(f.trustUpdates(), 1, "trust is shown again");
});

domTest("moveRange moves a block of cells to a gap, in the model and the page", () => {
  const f = fixture(["a", "b", "c", "d"]);
  eq(f.list.moveRange(2, 2, 0), 0, "cell 3 above cell 1");
  eq(sources(f), ["c", "a", "b", "d"], "cells");
  eq(f.list.moveRange(1, 2, 4), 2, "a block to the end");
  eq(sources(f), ["c", "d", "a", "b"], "cells");
  eq(f.list.moveRange(1, 2, 3), -1, "a drop onto itself");
  eq(sources(f), ["c", "d", "a", "b"], "unchanged");
});

domTest("collapsing writes Jupyter's keys, shows placeholders and marks the notebook changed", () => {
  const data = newCell("code", "import os\nos.getcwd()", true);
  data.outputs = [{ output_type: "stream", name: "stdout", text: "/\n" }];
  data.metadata = { collapsed: true };
  const c = new Cell(data, host);
  document.body.append(c.el);
  const q = (id: string) => c.el.querySelector(`[data-testid="${id}"]`) as HTMLElement;
  eq(q("output-placeholder").hidden, false, "Notebook 6's collapsed: true is honoured");
  eq(q("output-placeholder").textContent, "1 output hidden", "output placeholder");
  eq(q("input-placeholder"), null, "the input shows (its placeholder is made when first needed)");
  const before = viewChanges;
  q("collapse-input").click();
  eq(q("input-placeholder").textContent, "import os …", "input placeholder");
  eq(c.el.classList.contains("nb-input-collapsed"), true, "the cell hides its source (notebook.css)");
  eq(data.metadata, { collapsed: true, jupyter: { source_hidden: true } }, "metadata");
  q("output-placeholder").click();
  q("input-placeholder").click();
  eq(data.metadata, {}, "both removed when shown again");
  eq(viewChanges - before, 3, "each change marks the notebook changed");
  c.focusEditor("end");
  c.setInputCollapsed(true);
  c.focusEditor("end");
  eq(c.inputCollapsed, false, "editing shows the source");
  c.el.remove();
});
