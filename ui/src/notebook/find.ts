// The notebook-wide find bar (Ctrl-F in command mode; F for find and
// replace): matches counted over every cell's source (CellData, so cells
// without an editor or not yet rendered count) and every code cell's
// outputs, next/previous, case, whole word and regex, replace one and
// replace all. Outputs are searched but never changed. Loaded on first use
// (nav.ts); search.ts does the matching.
//
// Matches are shown where they are drawn: in a cell's editor by CodeMirror
// decorations, elsewhere (static code, rendered markdown, outputs) by the
// CSS Custom Highlight API, which marks text without touching the DOM.
// What the page shows of a cell changes as it renders lazily, so the marks
// are drawn again when the cells' DOM changes.
import "./find.css";
import { StateEffect, StateField, type Range as CmRange } from "@codemirror/state";
import { Decoration, EditorView, type DecorationSet } from "@codemirror/view";
import { h } from "../dom";
import type { Cell } from "./cell";
import { isMac, type NavHost } from "./nav";
import { reveal, topInset, type Box } from "./reveal";
import { applyEdits, compile, findAll, outputText, replaceAllEdits, replacementAt, type Edit, type FindOptions, type Span } from "./search";

/** At most this many matches are counted (a regex like "." in big outputs). */
const MAX_MATCHES = 10_000;
/** At most this many matches are marked outside editors at a time. */
const MAX_MARKS = 3_000;
/** After an edit, matches are counted again after this pause. */
const RECOUNT_MS = 150;

interface Match extends Span {
  cell: Cell;
  /** inOutput: in the cell's outputs (counted, never replaced). */
  inOutput: boolean;
  /** nth is the match's place among its cell's source matches, or output matches. */
  nth: number;
}

/** Where is a place in the notebook: a cell, its source (0) or outputs (1), an offset. */
type Where = [cell: number, part: number, at: number];

const before = (a: Where, b: Where) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

// ---- marks in CodeMirror editors ---------------------------------------------

const setMarks = StateEffect.define<{ spans: Span[]; current: number }>();
const matchMark = Decoration.mark({ class: "nb-find-match" });
const currentMark = Decoration.mark({ class: "nb-find-match nb-find-current" });

const marksField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setMarks)) continue;
      const len = tr.state.doc.length;
      const ranges: CmRange<Decoration>[] = [];
      e.value.spans.forEach((s, i) => {
        if (s.to <= len) ranges.push((i === e.value.current ? currentMark : matchMark).range(s.from, s.to));
      });
      deco = Decoration.set(ranges);
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

// ---- marks elsewhere: the CSS Custom Highlight API ------------------------------------

const canHighlight = typeof Highlight !== "undefined" && typeof CSS !== "undefined" && "highlights" in CSS;

/** textRanges is re's matches in the text under root, as DOM Ranges (at most limit). */
function textRanges(root: Element, re: RegExp, limit: number): Range[] {
  const nodes: Text[] = [];
  const starts: number[] = [];
  let text = "";
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    nodes.push(n as Text);
    starts.push(text.length);
    text += (n as Text).data;
  }
  const out: Range[] = [];
  let k = 0;
  for (const s of findAll(text, re, limit)) {
    const r = document.createRange();
    while (k < nodes.length - 1 && starts[k + 1] <= s.from) k++;
    r.setStart(nodes[k], s.from - starts[k]);
    let j = k;
    while (j < nodes.length - 1 && starts[j + 1] < s.to) j++;
    r.setEnd(nodes[j], s.to - starts[j]);
    out.push(r);
  }
  return out;
}

export class FindBar {
  readonly el: HTMLElement;
  private input: HTMLInputElement;
  private replaceInput: HTMLInputElement;
  private replaceRow: HTMLElement;
  private toggleReplace: HTMLButtonElement;
  private count: HTMLElement;
  private error: HTMLElement;
  private status: HTMLElement;
  private statusText: HTMLElement;
  private undoBtn: HTMLButtonElement;
  /** undoable: what the last replace all changed, while it can still be undone. */
  private undoable: { cell: Cell; before: string; after: string }[] = [];
  private prevBtn: HTMLButtonElement;
  private nextBtn: HTMLButtonElement;
  private replaceBtn: HTMLButtonElement;
  private replaceAllBtn: HTMLButtonElement;
  private opts: FindOptions = { query: "", regex: false, caseSensitive: false, wholeWord: false };
  private optButtons: Record<"caseSensitive" | "regex" | "wholeWord", HTMLButtonElement>;
  private re: RegExp | null = null;
  private matches: Match[] = [];
  private capped = false;
  private current = -1;
  /** marked: editors that show marks now, and what they show. */
  private marked = new Map<EditorView, string>();
  private currentRange: Range | null = null;
  private observer: MutationObserver;
  private paintFrame: number | null = null;
  private dirty: Set<Cell> | "all" = new Set();
  /** cellRanges: the marks drawn outside editors, per cell (source, outputs). */
  private cellRanges = new Map<Cell, { src: Range[]; out: Range[] }>();
  private recountTimer: number | null = null;
  private returnTo: HTMLElement | null = null;
  private activeAtOpen: Cell | undefined;
  private resize = new ResizeObserver(() => this.place());

  constructor(private host: NavHost) {
    this.input = h("input", { type: "text", class: "nb-find-input", "data-testid": "find-input", "aria-label": "Find in notebook", placeholder: "Find", spellcheck: "false", autocomplete: "off" });
    this.replaceInput = h("input", { type: "text", class: "nb-find-input", "data-testid": "replace-input", "aria-label": "Replace with", placeholder: "Replace", spellcheck: "false", autocomplete: "off" });
    const opt = (key: "caseSensitive" | "regex" | "wholeWord", testid: string, label: string, text: string, accel: string) => {
      const b = h("button", { type: "button", class: "nb-find-opt", "data-testid": testid, "aria-pressed": "false", "aria-label": label, title: `${label} (Alt-${accel})`, text });
      b.addEventListener("click", () => this.toggle(key));
      return b;
    };
    this.optButtons = {
      caseSensitive: opt("caseSensitive", "find-case", "Match case", "Aa", "C"),
      wholeWord: opt("wholeWord", "find-word", "Whole word", "ab", "W"),
      regex: opt("regex", "find-regex", "Regular expression", ".*", "R"),
    };
    const btn = (testid: string, label: string, text: string, fn: () => void, cls = "nb-find-btn") => {
      const b = h("button", { type: "button", class: cls, "data-testid": testid, "aria-label": label, title: label, text });
      b.addEventListener("click", () => fn());
      return b;
    };
    this.count = h("span", { class: "nb-find-count", "data-testid": "find-count", role: "status", "aria-live": "polite" });
    this.prevBtn = btn("find-prev", "Previous match (Shift-Enter)", "↑", () => this.step(-1));
    this.nextBtn = btn("find-next", "Next match (Enter)", "↓", () => this.step(1));
    const close = btn("find-close", "Close (Esc)", "×", () => this.close(), "nb-find-btn nb-find-close");
    this.replaceBtn = btn("replace-one", "Replace this match (Enter in the replace field)", "Replace", () => this.replaceOne(), "q-btn nb-find-text-btn");
    this.replaceAllBtn = btn("replace-all", `Replace every match in cell sources (${isMac ? "Cmd" : "Ctrl"}-Enter)`, "All", () => this.replaceAll(), "q-btn nb-find-text-btn");
    this.toggleReplace = btn("find-toggle-replace", "Show replace", "›", () => this.showReplace(this.replaceRow.hidden), "nb-find-btn nb-find-toggle");
    this.toggleReplace.setAttribute("aria-expanded", "false");
    this.error = h("div", { class: "nb-find-error", "data-testid": "find-error", role: "alert" });
    this.error.hidden = true;
    this.statusText = h("span", { "data-testid": "find-status" });
    this.undoBtn = btn("find-undo", "Undo the replace all", "Undo", () => this.undoAll(), "nb-find-link");
    this.status = h("div", { class: "nb-find-status", role: "status" }, this.statusText, " ", this.undoBtn);
    this.status.hidden = true;
    this.replaceRow = h("div", { class: "nb-find-row" }, this.replaceInput, this.replaceBtn, this.replaceAllBtn);
    this.replaceRow.hidden = true;
    this.el = h(
      "div",
      { class: "nb-find", role: "search", "aria-label": "Find in notebook", "data-testid": "find-bar" },
      this.toggleReplace,
      h(
        "div",
        { class: "nb-find-rows" },
        h(
          "div",
          { class: "nb-find-row" },
          h("div", { class: "nb-find-field" }, this.input, h("span", { class: "nb-find-opts" }, this.optButtons.caseSensitive, this.optButtons.wholeWord, this.optButtons.regex)),
          this.count,
          this.prevBtn,
          this.nextBtn,
          close,
        ),
        this.replaceRow,
        this.error,
        this.status,
      ),
    );
    this.el.hidden = true;
    this.input.addEventListener("input", () => {
      this.opts.query = this.input.value;
      this.search(true);
    });
    this.el.addEventListener("keydown", (ev) => this.onKey(ev));
    this.observer = new MutationObserver((records) => this.onMutations(records));
    host.main.after(this.el);
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  /** open shows the bar (with the replace field when replace) and focuses the query; from gets the focus back. */
  open(replace: boolean, from: HTMLElement | null): void {
    if (!this.isOpen) {
      this.returnTo = from && from !== document.body && !this.el.contains(from) ? from : null;
      this.activeAtOpen = this.host.sel.activeCell();
      this.el.hidden = false;
      this.place();
      this.resize.observe(this.host.header);
      this.resize.observe(this.host.toolbar);
      window.addEventListener("resize", this.onResize);
      this.observer.observe(this.host.list.el, { childList: true, subtree: true, characterData: true });
      this.search(false);
    }
    if (replace) this.showReplace(true);
    this.input.focus();
    this.input.select();
  }

  close(): void {
    if (!this.isOpen) return;
    this.el.hidden = true;
    this.observer.disconnect();
    this.resize.disconnect();
    window.removeEventListener("resize", this.onResize);
    if (this.recountTimer !== null) clearTimeout(this.recountTimer);
    this.recountTimer = null;
    this.unpaint();
    const sel = this.host.sel;
    const back = this.returnTo;
    this.returnTo = null;
    if (sel.activeCell() === this.activeAtOpen && back && back.isConnected) back.focus({ preventScroll: true });
    else {
      if (sel.mode === "edit") sel.setMode("command");
      sel.focusActive();
    }
  }

  private onResize = (): void => this.place();

  /** place puts the bar just below the bars that stick to the top of the page. */
  private place(): void {
    this.el.style.top = topInset([this.host.header, this.host.toolbar]) + "px";
  }

  private showReplace(on: boolean): void {
    this.replaceRow.hidden = !on;
    this.toggleReplace.setAttribute("aria-expanded", String(on));
    this.toggleReplace.setAttribute("aria-label", on ? "Hide replace" : "Show replace");
    this.toggleReplace.title = on ? "Hide replace" : "Show replace";
    this.toggleReplace.classList.toggle("nb-on", on);
  }

  private toggle(key: "caseSensitive" | "regex" | "wholeWord"): void {
    this.opts[key] = !this.opts[key];
    this.optButtons[key].setAttribute("aria-pressed", String(this.opts[key]));
    this.search(true);
  }

  private onKey(ev: KeyboardEvent): void {
    const mod = isMac ? ev.metaKey : ev.ctrlKey;
    const k = ev.key;
    // Ctrl-S still saves; every other key is the bar's, not a notebook command.
    if (mod && !ev.altKey && !ev.shiftKey && k.toLowerCase() === "s") return;
    ev.stopPropagation();
    let done = true;
    if (k === "Escape") this.close();
    else if (k === "F3") this.step(ev.shiftKey ? -1 : 1);
    else if (mod && !ev.altKey && k.toLowerCase() === "f") {
      this.input.focus();
      this.input.select();
    } else if (ev.altKey && !mod && (ev.code === "KeyC" || ev.code === "KeyW" || ev.code === "KeyR")) {
      this.toggle(ev.code === "KeyC" ? "caseSensitive" : ev.code === "KeyW" ? "wholeWord" : "regex");
    } else if (k === "Enter" && ev.target === this.input) this.step(ev.shiftKey ? -1 : 1);
    else if (k === "Enter" && ev.target === this.replaceInput) {
      if (mod) this.replaceAll();
      else this.replaceOne();
    } else done = false;
    if (done) ev.preventDefault();
  }

  // ---- counting ---------------------------------------------------------------

  /** changed: the notebook changed; matches are counted again after a pause. */
  changed(): void {
    if (!this.isOpen) return;
    if (this.recountTimer !== null) clearTimeout(this.recountTimer);
    this.recountTimer = window.setTimeout(() => {
      this.recountTimer = null;
      this.recount(this.whereCurrent());
    }, RECOUNT_MS);
  }

  private whereCurrent(): Where | null {
    const m = this.matches[this.current];
    return m ? [m.cell.index, m.inOutput ? 1 : 0, m.from] : null;
  }

  /** search compiles the query and counts; typing moves to the first match from the active cell on. */
  private search(reveal: boolean): void {
    this.hideStatus();
    const c = compile(this.opts);
    this.input.toggleAttribute("aria-invalid", !!c?.error);
    this.error.hidden = !c?.error;
    this.error.textContent = c?.error ?? "";
    this.re = c?.re ?? null;
    const active = this.host.sel.activeCell();
    this.recount(active ? [active.index, 0, 0] : null);
    if (reveal && this.current >= 0) this.goTo(this.current, false);
  }

  /** recount finds every match again; the current one is the first at or after from. */
  private recount(from: Where | null): void {
    const re = this.re;
    const found: Match[] = [];
    this.capped = false;
    if (re) {
      for (const cell of this.host.list.cells) {
        const left = MAX_MATCHES - found.length;
        if (left <= 0) {
          this.capped = true;
          break;
        }
        findAll(cell.data.source, re, left).forEach((s, nth) => found.push({ ...s, cell, inOutput: false, nth }));
        if (cell.type !== "code") continue;
        let nth = 0;
        for (const o of cell.outputs()) {
          for (const s of findAll(outputText(o), re, MAX_MATCHES - found.length)) found.push({ ...s, cell, inOutput: true, nth: nth++ });
        }
      }
    }
    this.matches = found;
    this.current = -1;
    if (found.length > 0) {
      const at = from ? found.findIndex((m) => before([m.cell.index, m.inOutput ? 1 : 0, m.from], from) >= 0) : 0;
      this.current = at < 0 ? 0 : at;
    }
    this.showCount();
    this.paint();
  }

  private showCount(): void {
    const n = this.matches.length;
    const outs = this.matches.filter((m) => m.inOutput).length;
    const cur = this.matches[this.current];
    this.count.textContent = !this.re ? "" : n === 0 ? "No results" : `${this.current + 1} of ${n}${this.capped ? "+" : ""}${cur?.inOutput ? " (output)" : ""}`;
    this.count.title = outs ? `${outs} of the matches are in outputs: they are found but never replaced` : "";
    this.prevBtn.disabled = this.nextBtn.disabled = n === 0;
    this.replaceBtn.disabled = this.replaceAllBtn.disabled = n === outs;
  }

  // ---- moving -------------------------------------------------------------------

  /** step moves to the next (1) or previous (-1) match, selecting its cell. */
  step(dir: 1 | -1): void {
    const n = this.matches.length;
    if (n === 0) return;
    this.hideStatus();
    this.current = this.current < 0 ? 0 : (this.current + dir + n) % n;
    this.showCount();
    this.goTo(this.current, true);
  }

  private goTo(i: number, select: boolean): void {
    const m = this.matches[i];
    if (!m) return;
    const sel = this.host.sel;
    if (select && sel.active !== m.cell.index) {
      sel.select(m.cell.index);
      if (sel.mode === "edit") sel.setMode("command");
    }
    m.cell.hydrate();
    this.paint();
    void reveal(() => this.box(m), () => topInset([this.host.header, this.host.toolbar, this.el]), "nearest");
  }

  /** box is where match m is drawn now: its text when that can be measured, else its cell. */
  private box(m: Match): Box | null {
    if (!m.cell.el.isConnected) return null;
    const v = m.cell.editor?.view;
    if (!m.inOutput && v && v.dom.isConnected && !v.dom.parentElement?.hidden) {
      const a = v.coordsAtPos(m.from);
      const b = v.coordsAtPos(m.to);
      if (a && b) return { top: a.top, bottom: b.bottom };
    }
    if (this.currentRange) {
      const r = this.currentRange.getBoundingClientRect();
      if (r.height > 0) return r;
    }
    return (m.inOutput ? m.cell.output : m.cell.el).getBoundingClientRect();
  }

  // ---- replacing ------------------------------------------------------------------

  /** apply makes edits (ascending, on the current source) to cell's source, through its editor when it has one (its undo history keeps them). */
  private apply(cell: Cell, edits: Edit[]): void {
    const v = cell.editor?.view;
    if (v && v.state.doc.toString() === cell.data.source) {
      // The editor's change listener copies the text to the model and marks the notebook changed.
      v.dispatch({ changes: edits.map((e) => ({ from: e.from, to: e.to, insert: e.insert })), userEvent: "input.replace" });
      if (cell.type === "markdown" && cell.rendered) cell.renderMd();
    } else {
      cell.setSource(applyEdits(cell.data.source, edits));
      this.host.changed();
    }
  }

  /** replaceOne replaces the current match (a match in an output is skipped) and moves to the next. */
  replaceOne(): void {
    const re = this.re;
    if (!re) return;
    let i = this.current < 0 ? 0 : this.current;
    const n = this.matches.length;
    for (let k = 0; k < n && this.matches[i]?.inOutput; k++) i = (i + 1) % n;
    const m = this.matches[i];
    if (!m || m.inOutput) return;
    if (i !== this.current) {
      // The current match was in an output: show the source match first.
      this.current = i;
      this.showCount();
      this.goTo(i, true);
      return;
    }
    const insert = replacementAt(m.cell.data.source, re, m, this.replaceInput.value, this.opts.regex);
    if (insert === null) {
      this.recount(this.whereCurrent());
      return;
    }
    this.apply(m.cell, [{ from: m.from, to: m.to, insert }]);
    this.recount([m.cell.index, 0, m.from + insert.length]);
    if (this.current >= 0) this.goTo(this.current, true);
  }

  /** replaceAll replaces every match in every cell's source; outputs stay as they are. */
  replaceAll(): void {
    const re = this.re;
    if (!re) return;
    let count = 0;
    const done: { cell: Cell; before: string; after: string }[] = [];
    for (const cell of this.host.list.cells) {
      const edits = replaceAllEdits(cell.data.source, re, this.replaceInput.value, this.opts.regex);
      if (edits.length === 0) continue;
      const before = cell.data.source;
      this.apply(cell, edits);
      done.push({ cell, before, after: cell.data.source });
      count += edits.length;
    }
    const cells = done.length;
    const where = this.whereCurrent();
    this.recount(where);
    const left = this.matches.filter((m) => m.inOutput).length;
    this.statusText.textContent =
      (count === 0 ? "Nothing to replace in cell sources." : `Replaced ${count} ${count === 1 ? "match" : "matches"} in ${cells} ${cells === 1 ? "cell" : "cells"}.`) +
      (left ? ` ${left} in outputs ${left === 1 ? "was" : "were"} left as ${left === 1 ? "it is" : "they are"}.` : "");
    this.status.hidden = false;
    this.undoable = done;
    this.undoBtn.hidden = done.length === 0;
  }

  /**
   * undoAll puts back what the last replace all changed, in one step (the
   * page has no undo across cells; an editor's own undo covers only its
   * cell). A cell edited since keeps its text.
   */
  private undoAll(): void {
    const list = this.host.list.cells;
    let kept = 0;
    for (const u of this.undoable) {
      if (list[u.cell.index] !== u.cell || u.cell.data.source !== u.after) {
        kept++;
        continue;
      }
      const v = u.cell.editor?.view;
      u.cell.setSource(u.before); // through the editor when there is one, which marks the notebook changed
      if (!v) this.host.changed();
    }
    this.undoable = [];
    this.recount(this.whereCurrent());
    this.statusText.textContent = kept ? `Undone, except in ${kept} ${kept === 1 ? "cell" : "cells"} edited since.` : "Replace all undone.";
    this.undoBtn.hidden = true;
    this.status.hidden = false;
    this.input.focus();
  }

  private hideStatus(): void {
    this.status.hidden = true;
    this.undoable = [];
  }

  // ---- drawing the marks ------------------------------------------------------------

  /** dirty collects the mutations: the cells whose DOM changed, or all ("all"). */
  private onMutations(records: MutationRecord[]): void {
    if (this.dirty !== "all") {
      for (const r of records) {
        const el = r.target instanceof Element ? r.target : r.target.parentElement;
        const c = el?.closest(".nb-cell");
        const cell = c ? this.host.list.cellOf(c) : undefined;
        if (!cell) {
          this.dirty = "all";
          break;
        }
        this.dirty.add(cell);
      }
    }
    if (this.paintFrame !== null) return;
    this.paintFrame = requestAnimationFrame(() => {
      this.paintFrame = null;
      const only = this.dirty;
      this.dirty = new Set();
      if (this.isOpen) this.paint(only === "all" ? undefined : only);
    });
  }

  /**
   * paint marks the matches: decorations in editors, highlights elsewhere.
   * Only the cells in only are looked at again (typing in one cell must not
   * walk the text of every other); without it, every cell is.
   */
  private paint(only?: Set<Cell>): void {
    const re = this.re;
    const byCell = new Map<Cell, Match[]>();
    for (const m of this.matches) {
      let l = byCell.get(m.cell);
      if (!l) byCell.set(m.cell, (l = []));
      l.push(m);
    }
    const cur = this.matches[this.current];
    if (!only) this.cellRanges.clear();
    const cells = only ? [...only] : [...byCell.keys()];
    const seen = new Set<EditorView>();
    for (const cell of cells) {
      this.cellRanges.delete(cell);
      const ms = (re && byCell.get(cell)) || [];
      const v = cell.editor?.view;
      const editorShown = !!v && !(cell.type === "markdown" && cell.rendered);
      const src: Range[] = [];
      const out: Range[] = [];
      if (v && editorShown) {
        const spans = ms.filter((m) => !m.inOutput);
        const current = cur && cur.cell === cell && !cur.inOutput ? spans.indexOf(cur) : -1;
        seen.add(v);
        this.mark(v, spans, current);
      } else if (v) this.mark(v, [], -1);
      if (!re || ms.length === 0) continue;
      if (!editorShown && ms.some((m) => !m.inOutput)) {
        // Static code, or rendered markdown: its visible text (for markdown, not the source).
        const root = cell.type === "markdown" ? cell.input.querySelector(".nb-md") : cell.input.querySelector(".nb-static");
        if (root) src.push(...textRanges(root, re, MAX_MARKS));
      }
      if (cell.type === "code" && ms.some((m) => m.inOutput)) {
        for (const o of cell.output.querySelectorAll('[data-testid="output"]')) out.push(...textRanges(o, re, MAX_MARKS - out.length));
      }
      if (src.length || out.length) this.cellRanges.set(cell, { src, out });
    }
    if (!only) for (const v of [...this.marked.keys()]) if (!seen.has(v)) this.mark(v, [], -1);
    const mine = cur && this.cellRanges.get(cur.cell);
    this.currentRange = (mine && (cur.inOutput ? mine.out : mine.src)[cur.nth]) || null;
    if (!canHighlight) return;
    const others: Range[] = [];
    for (const { src, out } of this.cellRanges.values()) {
      for (const r of [...src, ...out]) if (r !== this.currentRange && others.length < MAX_MARKS) others.push(r);
    }
    CSS.highlights.set("nb-find", new Highlight(...others));
    if (this.currentRange) CSS.highlights.set("nb-find-current", new Highlight(this.currentRange));
    else CSS.highlights.delete("nb-find-current");
  }

  /** mark shows spans in an editor (current: the index of the current one, -1 for none). */
  private mark(v: EditorView, spans: Span[], current: number): void {
    const key = current + ":" + spans.map((s) => s.from + "-" + s.to).join(",");
    if ((this.marked.get(v) ?? ":") === key || (spans.length === 0 && !this.marked.has(v))) return;
    if (spans.length === 0 || !v.dom.isConnected) this.marked.delete(v);
    if (!v.dom.isConnected) return; // its cell is gone
    else this.marked.set(v, key);
    if (v.state.field(marksField, false) === undefined) v.dispatch({ effects: StateEffect.appendConfig.of(marksField) });
    v.dispatch({ effects: setMarks.of({ spans, current }) });
  }

  private unpaint(): void {
    for (const v of [...this.marked.keys()]) this.mark(v, [], -1);
    this.marked.clear();
    this.cellRanges.clear();
    this.currentRange = null;
    if (canHighlight) {
      CSS.highlights.delete("nb-find");
      CSS.highlights.delete("nb-find-current");
    }
  }
}
