// The table of contents: the markdown cells' headings in a side panel (an
// overlay on narrow screens), indented by their place in the outline and
// optionally numbered. A click scrolls to the heading and selects its
// cell; the section being read is marked as the page scrolls. Loaded on
// first use (nav.ts).
//
// Headings are read from the model (CellData.source), so cells not yet
// rendered count too; a change is picked up after a pause in typing, and
// only cells whose source changed are parsed again.
import "./toc.css";
import { h } from "../dom";
import type { Cell } from "./cell";
import { headingsOf, outline, type Heading } from "./headings";
import { NARROW, NUMBERED_KEY, stored, type NavHost } from "./nav";
import { reveal, topInset, type Box } from "./reveal";

/** After the last edit, the contents wait this long before reading the headings again. */
const REFRESH_MS = 300;

interface Entry extends Heading {
  cell: Cell;
  /** nth is the heading's place among its cell's headings. */
  nth: number;
  /** ofCell is how many headings its cell has. */
  ofCell: number;
  depth: number;
  number: string;
}

export interface TocEvents {
  /** shown reports the panel opening or closing (byUser: a person asked). */
  shown(open: boolean, byUser: boolean): void;
  /** findBar is the find bar when it exists (it covers the page's top too). */
  findBar(): HTMLElement | null;
}

export class Toc {
  readonly el: HTMLElement;
  private list: HTMLOListElement;
  private empty: HTMLElement;
  private numberBox: HTMLInputElement;
  private entries: Entry[] = [];
  private buttons: HTMLButtonElement[] = [];
  private shownKey = "";
  private cache = new WeakMap<Cell, { source: string; heads: Heading[] }>();
  private timer: number | null = null;
  private frame: number | null = null;
  private current = -1;
  /** rendered watches the cells render (lazily) while numbers are shown in their headings. */
  private rendered = new MutationObserver(() => this.numberHeadingsSoon());
  private numberFrame: number | null = null;
  numbered: boolean;

  constructor(
    private host: NavHost,
    private events: TocEvents,
  ) {
    this.numbered = stored(NUMBERED_KEY);
    this.numberBox = h("input", { type: "checkbox", "data-testid": "toc-numbered" });
    this.numberBox.checked = this.numbered;
    this.numberBox.addEventListener("change", () => this.setNumbered(this.numberBox.checked));
    const close = h("button", { type: "button", class: "nb-toc-close", "data-testid": "toc-close", "aria-label": "Close the table of contents", title: "Close", text: "×" });
    close.addEventListener("click", () => this.close(true));
    this.list = h("ol", { class: "nb-toc-list", "data-testid": "toc-list" });
    this.empty = h("p", { class: "nb-toc-empty", "data-testid": "toc-empty", text: "No headings yet. A markdown cell starting with # adds one." });
    this.el = h(
      "aside",
      { class: "nb-toc", id: "nb-toc", "data-testid": "toc-panel", "aria-labelledby": "nb-toc-title" },
      h(
        "div",
        { class: "nb-toc-head" },
        h("h2", { class: "nb-toc-title", id: "nb-toc-title", text: "Contents" }),
        h("label", { class: "nb-toc-numbers" }, this.numberBox, " Numbered"),
        close,
      ),
      this.list,
      this.empty,
    );
    this.el.hidden = true;
    this.list.addEventListener("click", (ev) => {
      const b = (ev.target as HTMLElement).closest?.("button.nb-toc-entry");
      const i = b ? this.buttons.indexOf(b as HTMLButtonElement) : -1;
      if (i >= 0) void this.go(i);
    });
    this.el.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && this.isOverlay()) {
        ev.preventDefault();
        ev.stopPropagation();
        this.close(true);
        this.host.sel.focusActive();
      }
    });
    host.main.after(this.el);
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  private isOverlay(): boolean {
    return matchMedia(NARROW).matches;
  }

  open(byUser: boolean): void {
    if (this.isOpen) return;
    this.el.hidden = false;
    document.documentElement.classList.add("nb-toc-open");
    window.addEventListener("scroll", this.onMove, { passive: true });
    window.addEventListener("resize", this.onMove, { passive: true });
    document.addEventListener("keyup", this.onMove);
    this.host.list.el.addEventListener("mouseup", this.onMove);
    document.addEventListener("pointerdown", this.onPointer, true);
    this.watchRendering();
    this.refresh();
    this.events.shown(true, byUser);
    if (byUser && this.isOverlay()) (this.buttons[Math.max(0, this.current)] ?? this.el.querySelector("button"))?.focus();
  }

  close(byUser: boolean): void {
    if (!this.isOpen) return;
    this.el.hidden = true;
    document.documentElement.classList.remove("nb-toc-open");
    window.removeEventListener("scroll", this.onMove);
    window.removeEventListener("resize", this.onMove);
    document.removeEventListener("keyup", this.onMove);
    this.host.list.el.removeEventListener("mouseup", this.onMove);
    document.removeEventListener("pointerdown", this.onPointer, true);
    this.watchRendering();
    this.events.shown(false, byUser);
  }

  setNumbered(on: boolean): void {
    this.numbered = on;
    this.numberBox.checked = on;
    try {
      localStorage.setItem(NUMBERED_KEY, on ? "1" : "0");
    } catch {
      /* not remembered */
    }
    this.el.classList.toggle("nb-toc-numbered", on);
    this.watchRendering();
  }

  /** watchRendering numbers the rendered headings while the contents are open and numbered, and takes the numbers away otherwise. */
  private watchRendering(): void {
    this.rendered.disconnect();
    if (this.isOpen && this.numbered) {
      this.rendered.observe(this.host.list.el, { childList: true, subtree: true });
      this.numberHeadings();
    } else {
      for (const el of this.host.list.el.querySelectorAll("[data-toc-number]")) el.removeAttribute("data-toc-number");
    }
  }

  private numberHeadingsSoon(): void {
    if (this.numberFrame !== null) return;
    this.numberFrame = requestAnimationFrame(() => {
      this.numberFrame = null;
      if (this.isOpen && this.numbered) this.numberHeadings();
    });
  }

  /** numberHeadings puts each entry's number on its rendered heading (notebook.css shows it before the text). */
  private numberHeadings(): void {
    for (const e of this.entries) {
      const el = this.target(e);
      if (el !== e.cell.el && el.getAttribute("data-toc-number") !== e.number) el.setAttribute("data-toc-number", e.number);
    }
  }

  /** changed: the notebook changed; the headings are read again after a pause. */
  changed(): void {
    if (!this.isOpen) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.timer = null;
      this.refresh();
    }, REFRESH_MS);
  }

  /** headingsOfCell reads a markdown cell's headings, again only when its source changed. */
  private headingsOfCell(c: Cell): Heading[] {
    const src = c.data.source;
    const hit = this.cache.get(c);
    if (hit && hit.source === src) return hit.heads;
    const heads = headingsOf(src);
    this.cache.set(c, { source: src, heads });
    return heads;
  }

  refresh(): void {
    const found: Omit<Entry, "depth" | "number">[] = [];
    for (const c of this.host.list.cells) {
      if (c.type !== "markdown") continue;
      const heads = this.headingsOfCell(c);
      heads.forEach((hd, nth) => found.push({ ...hd, cell: c, nth, ofCell: heads.length }));
    }
    const nums = outline(found.map((e) => e.level));
    this.entries = found.map((e, i) => ({ ...e, ...nums[i] }));
    // The list is rebuilt only when what it shows changed.
    const key = this.entries.map((e) => `${e.level}\u0001${e.text}\u0001${e.cell.index}`).join("\u0002");
    if (key !== this.shownKey) {
      this.shownKey = key;
      this.buttons = this.entries.map((e) => {
        const b = h(
          "button",
          { type: "button", class: "nb-toc-entry", "data-testid": "toc-entry", "data-level": String(e.level), "data-cell-index": String(e.cell.index) },
          h("span", { class: "nb-toc-num", text: e.number }),
          h("span", { class: "nb-toc-text", text: e.text }),
        );
        b.style.setProperty("--depth", String(e.depth));
        b.title = e.text;
        return b;
      });
      this.list.replaceChildren(...this.buttons.map((b) => h("li", {}, b)));
      this.empty.hidden = this.entries.length > 0;
      this.current = -1;
    }
    this.el.classList.toggle("nb-toc-numbered", this.numbered);
    if (this.numbered) this.numberHeadings();
    this.markCurrent();
  }

  /** onPointer: a press outside the overlay closes it (its own button toggles it). */
  private onPointer = (ev: PointerEvent): void => {
    const t = ev.target as Element | null;
    if (!this.isOverlay() || !t || this.el.contains(t) || t.closest?.('[aria-controls="nb-toc"]')) return;
    this.close(true);
  };

  private onMove = (): void => {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.markCurrent();
    });
  };

  private inset(): number {
    return topInset([this.host.header, this.host.toolbar, this.events.findBar()]);
  }

  /** target is the heading's element: its rendered <hN> when the cell shows it, else the cell. */
  private target(e: Entry): HTMLElement {
    const c = e.cell;
    if (c.rendered && c.hydrated) {
      const hs = c.input.querySelectorAll<HTMLElement>(".nb-md h1, .nb-md h2, .nb-md h3, .nb-md h4, .nb-md h5, .nb-md h6");
      if (hs.length === e.ofCell) return hs[e.nth];
    }
    return c.el;
  }

  private async go(i: number): Promise<void> {
    const e = this.entries[i];
    if (!e || this.host.list.cells[e.cell.index] !== e.cell) return; // the cell left; a refresh is due
    const sel = this.host.sel;
    sel.select(e.cell.index);
    if (sel.mode === "edit") sel.commandMode();
    e.cell.hydrate();
    this.setCurrent(i);
    if (this.isOverlay()) this.close(true);
    e.cell.el.focus({ preventScroll: true });
    const box = (): Box | null => (e.cell.el.isConnected ? this.target(e).getBoundingClientRect() : null);
    await reveal(box, () => this.inset(), "top");
    this.markCurrent();
  }

  /** markCurrent marks the section being read: the active cell's when it is in view, else the one at the top of the view. */
  private markCurrent(): void {
    if (!this.isOpen || this.entries.length === 0) return;
    const active = this.host.sel.activeCell();
    const inset = this.inset();
    const vh = window.innerHeight;
    if (active && active.el.isConnected) {
      const r = active.el.getBoundingClientRect();
      if (r.bottom > inset && r.top < vh) {
        let pick = -1;
        for (let i = 0; i < this.entries.length; i++) {
          const ci = this.entries[i].cell.index;
          if (ci > active.index) break;
          if (ci === active.index && this.entries[i].nth > 0) continue;
          pick = i;
        }
        return this.setCurrent(pick);
      }
    }
    // The last heading at or above the top of the view (binary search: entries are in page order).
    const line = inset + 24;
    let lo = 0;
    let hi = this.entries.length - 1;
    let pick = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = this.entries[mid];
      const top = this.host.list.isAttached(e.cell.index) ? this.target(e).getBoundingClientRect().top : Infinity;
      if (top <= line) {
        pick = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    this.setCurrent(pick);
  }

  private setCurrent(i: number): void {
    if (i === this.current) return;
    this.buttons[this.current]?.removeAttribute("aria-current");
    this.current = i;
    const b = this.buttons[i];
    if (!b) return;
    b.setAttribute("aria-current", "location");
    // Keep the marked entry visible in a long list, without moving the page.
    const lr = this.list.getBoundingClientRect();
    const br = b.getBoundingClientRect();
    if (br.top < lr.top || br.bottom > lr.bottom) this.list.scrollTop += br.top - lr.top - lr.height / 3;
  }
}
