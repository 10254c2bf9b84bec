// Which cells are selected, and the mode: the active cell and the anchor
// of a shift-extended range (CellRange, plain numbers), how the selection
// shows on the cells (SelectionMarks), and Selection, which keeps both in
// step with the cells, command and edit mode, and the focus.
import type { Cell } from "./cell";
import { idle, type CellList } from "./celllist";
import type { CellType } from "./model";

export type Mode = "command" | "edit";

/** CellRange is the selection over cells 0…count-1: the cells between anchor and active, both included. */
export class CellRange {
  active = 0;
  anchor = 0;

  /** lo is the first selected index. */
  get lo(): number {
    return Math.min(this.anchor, this.active);
  }

  /** hi is the last selected index. */
  get hi(): number {
    return Math.max(this.anchor, this.active);
  }

  get size(): number {
    return this.hi - this.lo + 1;
  }

  /** clamp is i moved into 0…count-1. */
  static clamp(i: number, count: number): number {
    return Math.max(0, Math.min(count - 1, i));
  }

  /** moveTo makes i the active cell; without extend the range is just i. */
  moveTo(i: number, extend = false): void {
    this.active = i;
    if (!extend) this.anchor = i;
  }

  /** span selects from anchor to active. */
  span(anchor: number, active: number): void {
    this.anchor = anchor;
    this.active = active;
  }

  /** shift moves the whole range by d (the cells moved with it). */
  shift(d: number): void {
    this.active += d;
    this.anchor += d;
  }

  /** slice is the selected items of xs. */
  slice<T>(xs: readonly T[]): T[] {
    return xs.slice(this.lo, this.hi + 1);
  }
}

/** Selectable is what SelectionMarks needs of a cell. */
export interface Selectable {
  readonly el: { tabIndex: number };
  setSelected(selected: boolean, active: boolean): void;
}

/** SelectionMarks keeps the cells' selected look in step with a range,
 *  touching only the cells whose look changes. */
export class SelectionMarks<C extends Selectable> {
  private shown = new Set<C>();
  private tabCell: C | null = null;

  /** show marks the cells of selected, active among them, and makes active the one Tab reaches. */
  show(selected: readonly C[], active: C | undefined): void {
    const want = new Set(selected);
    for (const c of this.shown) if (!want.has(c)) c.setSelected(false, false);
    for (const c of want) c.setSelected(true, c === active);
    // Roving tabindex: Tab reaches the notebook at its active cell.
    if (this.tabCell && this.tabCell !== active) this.tabCell.el.tabIndex = -1;
    this.tabCell = active ?? null;
    if (this.tabCell) this.tabCell.el.tabIndex = 0;
    this.shown = want;
  }

  /** drop forgets a cell that left the notebook. */
  drop(c: C): void {
    this.shown.delete(c);
  }

  clear(): void {
    this.shown.clear();
  }
}

export interface SelectionHost {
  /** loaded: the notebook finished loading (editors may be built at once). */
  loaded(): boolean;
  /** showCellType shows the active cell's type (the toolbar). */
  showCellType(type: CellType): void;
}

/** Selection is the notebook's selected cells and mode. */
export class Selection {
  private range = new CellRange();
  private marks = new SelectionMarks<Cell>();
  private current: Mode = "command";

  constructor(
    private list: CellList,
    private host: SelectionHost,
  ) {}

  get mode(): Mode {
    return this.current;
  }

  get active(): number {
    return this.range.active;
  }

  get lo(): number {
    return this.range.lo;
  }

  get hi(): number {
    return this.range.hi;
  }

  /** selected is the selected cells, in order. */
  selected(): Cell[] {
    return this.range.slice(this.list.cells);
  }

  activeCell(): Cell | undefined {
    return this.list.cells[this.range.active];
  }

  /** update shows the selection; the active cell gets its editor. */
  update(): void {
    const a = this.activeCell();
    this.marks.show(this.selected(), a);
    if (a) {
      this.host.showCellType(a.type);
      a.hydrate();
      if (a.type !== "markdown") {
        // While a big notebook loads, the editor can wait for an idle moment.
        if (this.host.loaded()) a.ensureEditor();
        else idle(() => a.el.isConnected && a.ensureEditor());
      }
    }
  }

  /** select makes cell i (clamped) active; extend keeps the anchor (shift). */
  select(i: number, extend = false): void {
    const n = this.list.length;
    if (n === 0) return;
    i = CellRange.clamp(i, n);
    if (!this.list.isAttached(i) || !this.list.isAttached(this.range.anchor)) this.list.attachAll();
    const prev = this.activeCell();
    this.range.moveTo(i, extend);
    if (prev && prev !== this.list.cells[i] && this.current === "edit") prev.blurEditor();
    this.update();
  }

  /** span selects anchor…active as they are, and shows it. */
  span(anchor: number, active: number): void {
    this.range.span(anchor, active);
    this.update();
  }

  /** shift moves the selection with cells that moved by d. */
  shift(d: number): void {
    this.range.shift(d);
    this.update();
  }

  /** reset selects the first cell of freshly loaded cells. */
  reset(): void {
    this.marks.clear();
    this.span(0, 0);
  }

  /** drop forgets cells that left the notebook. */
  drop(cells: readonly Cell[]): void {
    for (const c of cells) this.marks.drop(c);
  }

  setMode(m: Mode): void {
    this.current = m;
    this.list.el.setAttribute("data-mode", m);
  }

  focusActive(): void {
    const c = this.activeCell();
    if (!c) return;
    c.el.focus({ preventScroll: true });
    c.el.scrollIntoView({ block: "nearest" });
  }

  commandMode(): void {
    const c = this.activeCell();
    this.setMode("command");
    c?.blurEditor();
    this.focusActive();
  }

  editMode(where: "start" | "end" | "keep" = "keep"): void {
    const c = this.activeCell();
    if (!c) return;
    this.range.moveTo(this.range.active);
    this.update();
    this.setMode("edit");
    c.focusEditor(where);
    c.el.scrollIntoView({ block: "nearest" });
  }

  /** commandModeIfNotEditing leaves edit mode, or just focuses the active cell. */
  commandModeIfNotEditing(): void {
    if (this.current === "edit") this.commandMode();
    else this.focusActive();
  }

  /** mouseDown: a press on cell, onSource when on its source text: select
   *  it (shift extends), and enter edit mode on the source, command mode
   *  elsewhere. */
  mouseDown(cell: Cell, ev: MouseEvent, onSource: boolean): void {
    const t = ev.target as HTMLElement;
    if (ev.button !== 0) return;
    if (onSource) {
      if (ev.shiftKey && !cell.editor) {
        ev.preventDefault();
        this.select(cell.index, true);
        this.commandMode();
        return;
      }
      this.select(cell.index);
      if (!cell.editor || (cell.type === "markdown" && cell.rendered)) {
        ev.preventDefault();
        const coords = { x: ev.clientX, y: ev.clientY };
        cell.focusEditor("keep", coords);
      }
      this.setMode("edit");
      return;
    }
    if (t.closest("input, textarea, select, button, a, iframe, summary, [contenteditable]")) {
      this.select(cell.index, ev.shiftKey);
      return;
    }
    this.select(cell.index, ev.shiftKey);
    if (this.current === "edit") this.commandMode();
  }

  /** doubleClick on rendered markdown edits it. */
  doubleClick(cell: Cell): void {
    if (cell.type !== "markdown") return;
    this.select(cell.index);
    this.editMode("end");
  }
}
