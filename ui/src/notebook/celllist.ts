// The notebook's cells in order and their place in the page. A large
// notebook is put into the page in chunks (the first at once, the rest when
// the browser is idle, or all at once when the reader nears the end of what
// is attached), and each cell builds its editor and outputs only
// when it comes near the viewport (hydrate).
import type { Cell } from "./cell";
import { cellOfElement } from "./cellrefs";
import { cloneCell, type CellData } from "./model";

/** Cells put into the page at once on load; the rest follow in chunks of
 *  LATER_CHUNK while the browser is idle, as many as fit its idle time, or
 *  BUSY_CHUNK at a time when it is never idle (a reader heading for the end
 *  gets the rest at once: see tail). */
const FIRST_CHUNK = 40;
const LATER_CHUNK = 25;
const BUSY_CHUNK = 100;
/** Notebooks of up to ALL_AT_ONCE cells go into the page at once: cells
 *  build their insides only when near the view and skip layout off screen
 *  (content-visibility), so a few hundred cost a few milliseconds, less
 *  than the frames idle chunks would spread them over. */
const ALL_AT_ONCE = 400;
const TAIL_MARGIN = "100% 0px";

/** idle runs fn when the browser is idle, or after 400 ms in any case
 *  (timedOut); left is how long fn may take before it should let the page go on. */
export function idle(fn: (left: () => number, timedOut: boolean) => void): number {
  if (typeof window.requestIdleCallback === "function") {
    return window.requestIdleCallback((d) => fn(() => d.timeRemaining(), d.didTimeout), { timeout: 400 });
  }
  return setTimeout(() => {
    const end = performance.now() + 8;
    fn(() => end - performance.now(), false);
  }, 16) as unknown as number;
}

function cancelIdle(id: number): void {
  if (typeof window.cancelIdleCallback === "function") window.cancelIdleCallback(id);
  else clearTimeout(id);
}

/** moveTarget is where cells lo…hi of n start after moving them to gap
 *  (0…n, the place between cells, counted before the move); -1 when that
 *  leaves them where they are. */
export function moveTarget(lo: number, hi: number, gap: number, n: number): number {
  if (lo < 0 || hi < lo || hi >= n || gap < 0 || gap > n) return -1;
  if (gap >= lo && gap <= hi + 1) return -1;
  return gap > hi ? gap - (hi - lo + 1) : gap;
}

export class CellList {
  private all: Cell[] = [];
  private observer: IntersectionObserver | null = null;
  /** attached: cells 0…attached-1 are in the page. */
  private attached = 0;
  private attachTimer: number | null = null;
  /** tail watches the last attached cell: when the reader comes within
   *  TAIL_MARGIN of it (scrolling to the end, End, a scrollbar drag), the
   *  rest attach at once instead of waiting for idle time, which a page
   *  scrolled every frame hardly has. */
  private tail: IntersectionObserver | null = null;
  private tailEl: Element | null = null;

  /** el holds the cells; make builds a cell's view; blank is the cell an emptied notebook gets. */
  constructor(
    readonly el: HTMLElement,
    private make: (d: CellData) => Cell,
    private blank: () => CellData,
  ) {
    if ("IntersectionObserver" in window) {
      this.observer = new IntersectionObserver(
        (entries) => {
          // Cells in view now; those in the margin below when the page is idle.
          const later: Cell[] = [];
          for (const e of entries) {
            if (!e.isIntersecting) continue;
            const c = cellOfElement(e.target);
            this.observer?.unobserve(e.target);
            if (!c) continue;
            // In view now (rootBounds would include the margin); the rest
            // of the margin when the page is idle.
            const r = e.boundingClientRect;
            if (r.bottom >= 0 && r.top <= window.innerHeight) c.hydrate();
            else later.push(c);
          }
          if (later.length) this.hydrateLater(later);
        },
        { rootMargin: "600px 0px" },
      );
      this.tail = new IntersectionObserver(
        (entries) => {
          const e = entries.find((x) => x.isIntersecting);
          if (!e || this.attached >= this.all.length) return;
          // The end of what is attached is in view: the reader got there (End,
          // a scrollbar drag, a fast scroll), so all of it, now. Within a
          // screen below the view (first cells shorter than guessed, or a
          // reader scrolling on): another chunk keeps a screen ahead.
          if (e.boundingClientRect.top < window.innerHeight) this.attachAll();
          else this.attachMore(FIRST_CHUNK);
        },
        { rootMargin: TAIL_MARGIN },
      );
    }
  }

  get cells(): readonly Cell[] {
    return this.all;
  }

  get length(): number {
    return this.all.length;
  }

  /** cellOf is the cell whose element el is. */
  cellOf(el: Element): Cell | undefined {
    return cellOfElement(el);
  }

  /** isAttached: cell i is in the page already. */
  isAttached(i: number): boolean {
    return i < this.attached;
  }

  private makeCell(d: CellData): Cell {
    return this.make(d);
  }

  /** load replaces every cell by cells made of datas (a blank one when there are none). */
  load(datas: CellData[]): void {
    for (const c of this.all) c.destroy();
    this.observer?.disconnect();
    this.tail?.disconnect();
    this.tailEl = null;
    this.all = datas.map((d) => this.makeCell(d));
    if (this.all.length === 0) this.all.push(this.makeCell(this.blank()));
    this.attached = 0;
    this.el.replaceChildren();
    this.attachMore(this.all.length <= ALL_AT_ONCE ? ALL_AT_ONCE : FIRST_CHUNK);
    if (this.attached < this.all.length) this.scheduleAttach();
  }

  /** attachMore puts up to n more of the loaded cells into the page. */
  private attachMore(n: number): void {
    const end = Math.min(this.all.length, this.attached + n);
    if (end <= this.attached) return;
    const frag = document.createDocumentFragment();
    for (let i = this.attached; i < end; i++) {
      const c = this.all[i];
      c.setIndex(i);
      frag.appendChild(c.el);
    }
    this.el.appendChild(frag);
    for (let i = this.attached; i < end; i++) this.observe(this.all[i]);
    this.attached = end;
    this.watchTail();
  }

  /** watchTail points the tail observer at the last attached cell while
   *  some are still to come. */
  private watchTail(): void {
    if (!this.tail) return;
    if (this.tailEl) this.tail.unobserve(this.tailEl);
    this.tailEl = null;
    if (this.attached >= this.all.length || this.attached === 0) return;
    this.tailEl = this.all[this.attached - 1].el;
    this.tail.observe(this.tailEl);
  }

  private scheduleAttach(): void {
    if (this.attachTimer !== null) return;
    // When the page is idle, so clicks and typing go first. (A longer wait
    // than idle's 400 ms, 1.5 s, was tried: the first click of a big
    // notebook came no sooner and a scroll to its end met more cells to attach.)
    this.attachTimer = idle((left, timedOut) => {
      this.attachTimer = null;
      // At least one chunk, then more while the idle time lasts.
      do this.attachMore(timedOut ? BUSY_CHUNK : LATER_CHUNK);
      while (this.attached < this.all.length && left() > 4);
      if (this.attached < this.all.length) this.scheduleAttach();
    });
  }

  /** attachAll finishes attaching before anything changes the cell list. */
  attachAll(): void {
    if (this.attachTimer !== null) {
      cancelIdle(this.attachTimer);
      this.attachTimer = null;
    }
    this.attachMore(this.all.length);
  }

  /** hydrateLater hydrates cells near the view, as the page's idle time allows. */
  private hydrateLater(cells: Cell[]): void {
    idle((left) => {
      let i = 0;
      do cells[i++].hydrate();
      while (i < cells.length && left() > 4);
      if (i < cells.length) this.hydrateLater(cells.slice(i));
    });
  }

  private observe(c: Cell): void {
    if (this.observer) this.observer.observe(c.el);
    else c.hydrate();
  }

  private renumber(from = 0): void {
    for (let i = from; i < this.all.length; i++) this.all[i].setIndex(i);
  }

  /** insert puts cells made of datas at index and returns them. */
  insert(index: number, datas: CellData[]): Cell[] {
    this.attachAll();
    const made = datas.map((d) => this.makeCell(d));
    const before = this.all[index]?.el ?? null;
    const frag = document.createDocumentFragment();
    for (const c of made) frag.appendChild(c.el);
    this.el.insertBefore(frag, before);
    this.all.splice(index, 0, ...made);
    this.renumber(index);
    for (const c of made) c.hydrate();
    return made;
  }

  /** remove takes cells lo…hi out (a blank cell stays when none would) and
   *  returns the removed cells' views (destroyed) and copies of their data. */
  remove(lo: number, hi: number): { gone: Cell[]; datas: CellData[] } {
    this.attachAll();
    const gone = this.all.slice(lo, hi + 1);
    const datas = gone.map((c) => cloneCell(c.data, c.outputs()));
    for (const c of gone) {
      c.el.remove();
      c.destroy();
    }
    this.all.splice(lo, gone.length);
    if (this.all.length === 0) {
      const c = this.makeCell(this.blank());
      this.el.appendChild(c.el);
      this.all.push(c);
      c.hydrate();
    }
    this.renumber(lo);
    return { gone, datas };
  }

  /** move moves cells lo…hi one place up (-1) or down (1); false when they are at that end already. */
  move(lo: number, hi: number, dir: -1 | 1): boolean {
    this.attachAll();
    if (dir < 0 && lo === 0) return false;
    if (dir > 0 && hi >= this.all.length - 1) return false;
    if (dir < 0) {
      const other = this.all[lo - 1];
      this.el.insertBefore(other.el, this.all[hi].el.nextSibling);
      this.all.splice(lo - 1, 1);
      this.all.splice(hi, 0, other);
      this.renumber(lo - 1);
    } else {
      const other = this.all[hi + 1];
      this.el.insertBefore(other.el, this.all[lo].el);
      this.all.splice(hi + 1, 1);
      this.all.splice(lo, 0, other);
      this.renumber(lo);
    }
    return true;
  }

  /** moveRange moves cells lo…hi to gap (0…length: before the cell at gap,
   *  or to the end) and returns their new first index; -1 when they stay. */
  moveRange(lo: number, hi: number, gap: number): number {
    const at = moveTarget(lo, hi, gap, this.all.length);
    if (at < 0) return -1;
    this.attachAll();
    const block = this.all.splice(lo, hi - lo + 1);
    const before = this.all[at]?.el ?? null;
    const frag = document.createDocumentFragment();
    for (const c of block) frag.appendChild(c.el);
    this.el.insertBefore(frag, before);
    this.all.splice(at, 0, ...block);
    this.renumber(Math.min(lo, at));
    return at;
  }

  /** replace puts a cell made of data in old's place and destroys old. */
  replace(old: Cell, data: CellData): Cell {
    const c = this.makeCell(data);
    this.el.replaceChild(c.el, old.el);
    old.destroy();
    const i = old.index;
    this.all[i] = c;
    c.setIndex(i);
    c.hydrate();
    return c;
  }
}
