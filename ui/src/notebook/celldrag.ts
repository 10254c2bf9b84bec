// Moving cells by dragging their prompt (pointer events): a line shows
// where they will land; the selected cells move together when the drag
// starts on one of them. A mouse drags once it has moved a few pixels; a
// finger after a long press (a quick swipe still scrolls the page). Escape
// cancels. The keyboard way (move up/down) is unchanged.
import type { CellList } from "./celllist";
import { moveTarget } from "./celllist";
import type { Selection } from "./selection";

export interface CellDragHost {
  /** moved: cells were moved (the notebook has unsaved changes). */
  moved(): void;
}

/** A mouse drag starts after this many px; a touch one after HOLD_MS still. */
const MOUSE_SLOP = 4;
const TOUCH_SLOP = 8;
const HOLD_MS = 350;
/** Within this many px of the window's top or bottom the page scrolls. */
const EDGE = 70;

interface Press {
  index: number;
  x: number;
  y: number;
  pointerId: number;
  touch: boolean;
  timer: number | null;
  /** the selection before the press (a press selects its cell) */
  anchor: number;
  active: number;
}

interface Drag {
  lo: number;
  hi: number;
  anchor: number;
  active: number;
  gap: number;
  y: number;
  line: HTMLElement;
  frame: number | null;
}

export class CellDrag {
  private press: Press | null = null;
  private drag: Drag | null = null;
  private off: (() => void) | null = null;

  constructor(
    private list: CellList,
    private sel: Selection,
    private host: CellDragHost,
  ) {
    list.el.addEventListener("pointerdown", (ev) => this.down(ev));
    // While dragging, a finger moves the cells, not the page.
    list.el.addEventListener("touchmove", (ev) => this.drag && ev.cancelable && ev.preventDefault(), { passive: false });
    list.el.addEventListener("contextmenu", (ev) => (this.press || this.drag) && ev.preventDefault());
  }

  get dragging(): boolean {
    return this.drag !== null;
  }

  private down(ev: PointerEvent): void {
    if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.altKey || ev.shiftKey || this.press || this.drag) return;
    const t = ev.target as HTMLElement;
    const prompt = t.closest?.('[data-testid="cell-prompt"]');
    const el = prompt?.closest(".nb-cell");
    const cell = el ? this.list.cellOf(el) : undefined;
    if (!cell) return;
    const touch = ev.pointerType === "touch";
    this.press = {
      index: cell.index,
      x: ev.clientX,
      y: ev.clientY,
      pointerId: ev.pointerId,
      touch,
      timer: touch ? window.setTimeout(() => this.start(), HOLD_MS) : null,
      anchor: this.sel.active === this.sel.lo ? this.sel.hi : this.sel.lo,
      active: this.sel.active,
    };
    const move = (e: PointerEvent) => this.move(e);
    const up = (e: PointerEvent) => this.up(e, true);
    const cancel = (e: PointerEvent) => this.up(e, false);
    const key = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || !this.drag) return;
      e.preventDefault();
      e.stopPropagation();
      this.finish(false);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", cancel);
    window.addEventListener("keydown", key, true);
    this.off = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", cancel);
      window.removeEventListener("keydown", key, true);
    };
  }

  private move(ev: PointerEvent): void {
    const p = this.press;
    if (!p || ev.pointerId !== p.pointerId) return;
    if (this.drag) {
      ev.preventDefault();
      this.drag.y = ev.clientY;
      this.track();
      return;
    }
    const far = Math.hypot(ev.clientX - p.x, ev.clientY - p.y);
    if (p.touch) {
      // Moved before the long press: the finger is scrolling.
      if (far > TOUCH_SLOP) this.finish(false);
      return;
    }
    if (far > MOUSE_SLOP) {
      p.y = ev.clientY;
      this.start();
    }
  }

  private up(ev: PointerEvent, drop: boolean): void {
    if (!this.press || ev.pointerId !== this.press.pointerId) return;
    this.finish(drop);
  }

  /** start begins the drag of the pressed cell, or of the selection it belongs to. */
  private start(): void {
    const p = this.press;
    if (!p || this.drag) return;
    p.timer = null;
    this.list.attachAll();
    const lo = Math.min(p.anchor, p.active);
    const hi = Math.max(p.anchor, p.active);
    let d: Omit<Drag, "line" | "frame" | "gap" | "y">;
    if (p.index >= lo && p.index <= hi && hi > lo) {
      d = { lo, hi, anchor: p.anchor, active: p.active };
      this.sel.span(p.anchor, p.active);
    } else {
      d = { lo: p.index, hi: p.index, anchor: p.index, active: p.index };
      this.sel.select(p.index);
    }
    const line = document.createElement("div");
    line.className = "nb-drop-line";
    line.setAttribute("data-testid", "drop-indicator");
    line.setAttribute("aria-hidden", "true");
    this.list.el.append(line);
    this.list.el.classList.add("nb-drag-active");
    for (let i = d.lo; i <= d.hi; i++) this.list.cells[i].el.classList.add("nb-dragged");
    document.getSelection()?.removeAllRanges();
    this.drag = { ...d, gap: d.lo, y: p.y, line, frame: null };
    this.track();
  }

  /** track finds the gap under the pointer, shows the line there and scrolls near the edges. */
  private track(): void {
    const d = this.drag;
    if (!d) return;
    const cells = this.list.cells;
    // The first cell whose middle is below the pointer (cells are in order: bisect).
    let a = 0;
    let b = cells.length;
    while (a < b) {
      const m = (a + b) >> 1;
      const r = cells[m].el.getBoundingClientRect();
      if (r.top + r.height / 2 > d.y) b = m;
      else a = m + 1;
    }
    d.gap = a;
    const last = cells[cells.length - 1].el;
    const top = a < cells.length ? cells[a].el.offsetTop - 3 : last.offsetTop + last.offsetHeight + 1;
    d.line.style.top = `${top}px`;
    d.line.toggleAttribute("data-noop", moveTarget(d.lo, d.hi, a, cells.length) < 0);
    d.line.setAttribute("data-gap", String(a));
    const speed = d.y < EDGE ? -(EDGE - d.y) / 3 : d.y > window.innerHeight - EDGE ? (d.y - (window.innerHeight - EDGE)) / 3 : 0;
    if (speed !== 0 && d.frame === null) {
      d.frame = requestAnimationFrame(() => {
        d.frame = null;
        if (this.drag !== d) return;
        window.scrollBy(0, speed);
        this.track();
      });
    }
  }

  /** finish ends the press or drag; drop moves the cells to the gap shown. */
  private finish(drop: boolean): void {
    const p = this.press;
    const d = this.drag;
    this.press = null;
    this.drag = null;
    this.off?.();
    this.off = null;
    if (p?.timer) clearTimeout(p.timer);
    if (!d) return;
    if (d.frame !== null) cancelAnimationFrame(d.frame);
    d.line.remove();
    this.list.el.classList.remove("nb-drag-active");
    for (const c of this.list.cells) c.el.classList.remove("nb-dragged");
    if (!drop) return;
    const at = this.list.moveRange(d.lo, d.hi, d.gap);
    if (at < 0) return;
    this.sel.span(at + (d.anchor - d.lo), at + (d.active - d.lo));
    this.sel.focusActive();
    this.host.moved();
  }
}
