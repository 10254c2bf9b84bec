// Editing the notebook's list of cells: insert, delete (and undo), cut,
// copy and paste, move, change type, merge, split and clear outputs. Each
// works on the selection and leaves a sensible one behind.
import { notify } from "../dialog";
import type { Cell } from "./cell";
import type { CellList } from "./celllist";
import { copyCells, pasteCells } from "./clipboard";
import { cloneCell, type CellData, type CellType, type Json } from "./model";
import type { Selection } from "./selection";

/** Deletions remembered for undo. */
const MAX_UNDO = 50;

export interface CellEditsHost {
  /** fresh is a new cell's data, with an id when the notebook wants ids. */
  fresh(type: CellType, source?: string): CellData;
  /** wantsIds: the notebook's format has cell ids. */
  wantsIds(): boolean;
  changed(): void;
  updateTrust(): void;
}

export class CellEdits {
  private deleted: { index: number; cells: CellData[] }[] = [];

  constructor(
    private list: CellList,
    private sel: Selection,
    private host: CellEditsHost,
  ) {}

  /** insertCells puts cells made of datas at index (the notebook changed). */
  insertCells(index: number, datas: CellData[]): Cell[] {
    const made = this.list.insert(index, datas);
    this.host.changed();
    this.host.updateTrust();
    return made;
  }

  insertAt(index: number, type: CellType): void {
    this.insertCells(index, [this.host.fresh(type)]);
    this.sel.select(index);
    this.sel.commandModeIfNotEditing();
  }

  insertBelow(type: CellType): void {
    this.insertAt(this.sel.hi + 1, type);
  }

  private removeRange(lo: number, hi: number, remember: boolean): CellData[] {
    const { gone, datas } = this.list.remove(lo, hi);
    this.sel.drop(gone);
    if (remember) {
      this.deleted.push({ index: lo, cells: datas });
      if (this.deleted.length > MAX_UNDO) this.deleted.shift();
    }
    this.host.changed();
    this.host.updateTrust();
    return datas;
  }

  deleteSelected(): void {
    const lo = this.sel.lo;
    this.removeRange(lo, this.sel.hi, true);
    const at = Math.min(lo, this.list.length - 1);
    this.sel.span(at, at);
    this.sel.commandModeIfNotEditing();
  }

  /** canUndoDelete: a deletion can be undone. */
  get canUndoDelete(): boolean {
    return this.deleted.length > 0;
  }

  undoDelete(): void {
    const d = this.deleted.pop();
    if (!d) return;
    const at = Math.min(d.index, this.list.length);
    this.insertCells(at, d.cells);
    this.sel.span(at, at + d.cells.length - 1);
    this.sel.focusActive();
  }

  copy(): void {
    copyCells(this.sel.selected().map((c) => cloneCell(c.data, c.outputs())));
  }

  cut(): void {
    this.copy();
    this.deleteSelected();
  }

  paste(above: boolean): void {
    const datas = pasteCells(this.host.wantsIds());
    if (datas.length === 0) {
      notify("The cell clipboard is empty.");
      return;
    }
    const at = above ? this.sel.lo : this.sel.hi + 1;
    this.insertCells(at, datas);
    this.sel.span(at, at + datas.length - 1);
    this.sel.focusActive();
  }

  move(dir: -1 | 1): void {
    if (!this.list.move(this.sel.lo, this.sel.hi, dir)) return;
    this.sel.shift(dir);
    this.sel.activeCell()?.el.scrollIntoView({ block: "nearest" });
    this.host.changed();
  }

  setType(type: CellType): void {
    this.list.attachAll();
    let changedAny = false;
    for (const old of this.sel.selected()) {
      if (old.type === type) continue;
      changedAny = true;
      const d = old.data;
      const data: CellData = {
        cell_type: type,
        id: d.id,
        source: d.source,
        metadata: { ...d.metadata },
        execution_count: null,
        outputs: [],
        attachments: type === "code" ? undefined : d.attachments,
        extra: { ...d.extra },
      };
      delete data.extra.__orig_cell_type;
      if (type === "code") data.metadata.trusted = true;
      else delete data.metadata.trusted;
      this.list.replace(old, data);
      this.sel.drop([old]);
    }
    if (!changedAny) return;
    this.sel.update();
    this.host.changed();
    this.host.updateTrust();
    if (this.sel.mode === "edit") this.sel.editMode("keep");
  }

  merge(): void {
    const lo = this.sel.lo;
    let hi = this.sel.hi;
    if (lo === hi) {
      if (hi >= this.list.length - 1) return;
      hi = lo + 1;
    }
    const group = this.list.cells.slice(lo, hi + 1);
    const first = group[0];
    const text = group.map((c) => c.data.source).join("\n\n");
    if (first.type !== "code" && group.some((c) => c.data.attachments)) {
      const att: Json = {};
      for (const c of group) Object.assign(att, c.data.attachments ?? {});
      first.data.attachments = att;
    }
    this.removeRange(lo + 1, hi, true);
    first.setSource(text);
    first.clearOutputs();
    first.data.execution_count = null;
    first.updatePrompt();
    this.sel.span(lo, lo);
    this.host.changed();
    this.sel.focusActive();
  }

  split(): void {
    const c = this.sel.activeCell();
    if (!c) return;
    const pos = c.editor ? c.cursorOffset() : c.data.source.length;
    let before = c.data.source.slice(0, pos);
    let after = c.data.source.slice(pos);
    if (before.endsWith("\n")) before = before.slice(0, -1);
    if (after.startsWith("\n")) after = after.slice(1);
    c.setSource(before);
    const d = this.host.fresh(c.type, after);
    if (c.type === "code") d.metadata.trusted = true;
    this.insertCells(c.index + 1, [d]);
    this.sel.select(c.index + 1);
    this.sel.editMode("start");
  }

  clearOutputs(cells: readonly Cell[]): void {
    for (const c of cells) {
      if (c.type !== "code") continue;
      c.clearOutputs();
      c.setTrusted(true);
      if (!c.running) c.data.execution_count = null;
      c.updatePrompt();
    }
    this.host.changed();
    this.host.updateTrust();
  }
}
