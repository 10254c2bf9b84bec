// One cell's view. The source shows as a static <pre> until the cell needs
// an editor (selected, clicked, or scrolled near the viewport), so large
// notebooks open fast; outputs and markdown render lazily the same way.
// The editor's code itself (editor.ts, CodeMirror) is loaded after the
// first cells show: loadEditors.
import type { Extension } from "@codemirror/state";
import type { Parser } from "@lezer/common";
import { h } from "../dom";
import { OutputArea, type Output, type WidgetRenderer } from "../outputs/index";
import { renderMarkdown } from "../markdown";
import type { CellData } from "./model";
import type { CellEditor, EditorHooks } from "./editor";
import { highlightInto } from "./highlight";
import { registerCell } from "./cellrefs";
import {
  inputHidden, inputSummary, outputsHidden, outputsScrolled, outputsSummary, setInputHidden, setOutputsHidden, setOutputsScrolled,
} from "./cellmeta";
import { runOf, timingText } from "./timing";

type EditorModule = typeof import("./editor");
let E: EditorModule | null = null;
let loadingE: Promise<EditorModule> | null = null;

/** loadEditors fetches the editor's code, once (again after a failure);
 *  cells get editors from then on. */
export function loadEditors(): Promise<EditorModule> {
  loadingE ??= import("./editor").then(
    (m) => (E = m),
    (e: unknown) => {
      loadingE = null;
      throw e;
    },
  );
  return loadingE;
}

/** editorModule is the editor's code once loaded, else null. */
export function editorModule(): EditorModule | null {
  return E;
}

// ---- typing before the editor's code has arrived --------------------------------

/** The one cell waiting for an editor to focus, and what was typed meanwhile. */
let pending: { cell: Cell; typed: string[] } | null = null;

/** typedKey keeps the text keys typed while a focus waits for the editor's
 *  code ("\b" for Backspace), so that a user who clicks into a cell of a page
 *  still loading and types at once loses nothing. Other keys pass. */
function typedKey(ev: KeyboardEvent): void {
  if (!pending || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
  let t: string;
  if (ev.key.length === 1) t = ev.key;
  else if (ev.key === "Enter" && !ev.shiftKey) t = "\n";
  else if (ev.key === "Backspace") t = "\b";
  else if (ev.key === "Tab" && !ev.shiftKey) t = "    ";
  else return;
  ev.preventDefault();
  ev.stopImmediatePropagation();
  pending.typed.push(t);
}

/** waitForEditor focuses cell once the editor's code is here (if still wanted),
 *  handing done what was typed in between. A later wait replaces an earlier one. */
function waitForEditor(cell: Cell, wanted: () => boolean, done: (typed: string[]) => void): void {
  if (!pending) document.addEventListener("keydown", typedKey, true);
  const mine = { cell, typed: [] as string[] };
  pending = mine;
  const stop = (): boolean => {
    if (pending !== mine) return false; // superseded
    pending = null;
    document.removeEventListener("keydown", typedKey, true);
    return true;
  };
  // A failure to load is reported by the notebook, which tries again on the next focus.
  void loadEditors().then(() => stop() && wanted() && done(mine.typed), stop);
}

/** replayKeys types what waitForEditor kept into view, at its cursor. */
function replayKeys(view: CellEditor["view"], typed: string[]): void {
  for (const t of typed) {
    const head = view.state.selection.main.head;
    if (t === "\b") {
      if (head > 0) view.dispatch({ changes: { from: head - 1, to: head }, userEvent: "delete.backward" });
    } else view.dispatch(view.state.replaceSelection(t), { userEvent: "input.type" });
  }
}

export interface CellHost {
  readonly notebookPath: string;
  /** codeLanguage: the editor extension for code cells (editor code loaded) */
  codeLanguage(): Extension;
  /** codeParser colours code cells that have no editor (null: plain text) */
  codeParser(): Parser | null;
  /** editing: cell is the active cell, in edit mode (a focus asked for before
   *  the editor's code arrived still stands) */
  editing(cell: Cell): boolean;
  editorHooks(cell: Cell): EditorHooks;
  /** registerDisplays records the display ids an area shows. */
  registerDisplays(area: OutputArea): void;
  /** widgets draws widget outputs (widgets/host.ts). */
  readonly widgets?: WidgetRenderer;
  /** viewChanged: the cell's metadata changed (collapsed, scrolled): the notebook has unsaved changes. */
  viewChanged(cell: Cell): void;
  /** lineNumbers: new editors show line numbers (the notebook-wide setting). */
  lineNumbers(): boolean;
}

/** Outputs taller than this (px) get a toggle that puts them into a scrolled box. */
const LONG_OUTPUT = 600;

/** One ResizeObserver for every output area: it shows the scroll toggle on long ones. */
let sizes: ResizeObserver | null = null;
const sized = new WeakMap<Element, Cell>();
function watchSize(el: Element, c: Cell): void {
  if (typeof ResizeObserver === "undefined") return;
  sizes ??= new ResizeObserver((entries) => {
    for (const e of entries) sized.get(e.target)?.sizeChanged(e.contentRect.height);
  });
  sized.set(el, c);
  sizes.observe(el);
}

function placeholder(testid: string, label: string, fn: () => void): HTMLButtonElement {
  const b = h("button", { type: "button", class: "nb-placeholder", "data-testid": testid, title: label });
  b.addEventListener("click", fn);
  return b;
}

/** labelBar says what a collapse bar does now. */
function labelBar(bar: HTMLElement, expanded: boolean, label: string): void {
  bar.setAttribute("aria-expanded", String(expanded));
  bar.setAttribute("aria-label", label);
  bar.title = label;
}

/** A cell's elements, made when first needed (Cell.build). */
interface CellDom {
  el: HTMLElement;
  prompt: HTMLElement;
  input: HTMLElement;
  output: HTMLElement;
  inCollapser: HTMLButtonElement;
  outCollapser: HTMLButtonElement;
  outPrompt: HTMLElement;
}

export class Cell {
  area: OutputArea | null = null;
  editor: CellEditor | null = null;
  private pre: HTMLElement | null = null;
  private md: HTMLElement | null = null;
  private stdinBox: HTMLElement | null = null;
  private d: CellDom | null = null;
  // Made when first needed (most cells never collapse, scroll or get timed).
  private inPlaceholder: HTMLButtonElement | null = null;
  private outPlaceholder: HTMLButtonElement | null = null;
  private scrollToggle: HTMLButtonElement | null = null;
  private timing: HTMLElement | null = null;
  private gutter: HTMLElement | null = null;
  private tall = false;
  /** numbered: the editor (or the static text) shows line numbers */
  numbered: boolean;
  /** markdown: showing the rendered form (else the editor) */
  rendered = true;
  running = false;
  hydrated = false;
  index = -1;

  constructor(
    public data: CellData,
    private host: CellHost,
  ) {
    this.numbered = host.lineNumbers();
  }

  // ---- the elements, made when first needed --------------------------------------
  // A big notebook's cells go into the page in chunks (celllist.ts); the
  // ones not there yet cost their data only. Methods that only show state
  // (prompt, collapsed, timing, index, line numbers) do nothing before
  // build, which shows the state as it is then.

  /** built: the cell's elements exist. */
  get built(): boolean {
    return this.d !== null;
  }

  private get dom(): CellDom {
    return this.d ?? this.build();
  }

  get el(): HTMLElement {
    return this.dom.el;
  }

  get prompt(): HTMLElement {
    return this.dom.prompt;
  }

  get input(): HTMLElement {
    return this.dom.input;
  }

  get output(): HTMLElement {
    return this.dom.output;
  }

  private get inCollapser(): HTMLButtonElement {
    return this.dom.inCollapser;
  }

  private get outCollapser(): HTMLButtonElement {
    return this.dom.outCollapser;
  }

  private get outPrompt(): HTMLElement {
    return this.dom.outPrompt;
  }

  private build(): CellDom {
    const data = this.data;
    const prompt = h("div", { class: "nb-prompt", "data-testid": "cell-prompt", "aria-hidden": "false" });
    const input = h("div", { class: "nb-input", "data-testid": "cell-input" });
    const output = h("div", { class: "nb-output", "data-testid": "cell-output" });
    const bar = (testid: string) => h("button", { type: "button", class: "nb-collapser", "data-testid": testid, tabindex: "-1" });
    const inCollapser = bar("collapse-input");
    const outCollapser = bar("collapse-output");
    inCollapser.addEventListener("click", () => this.setInputCollapsed(!this.inputCollapsed));
    outCollapser.addEventListener("click", () => this.setOutputsCollapsed(!this.outputsCollapsed));
    const outPrompt = h("div", { class: "nb-prompt nb-out-prompt" });
    const el = h(
      "div",
      { class: "nb-cell", "data-testid": "cell", "data-cell-type": data.cell_type, tabindex: "-1", role: "group" },
      h("div", { class: "nb-cell-row" }, inCollapser, prompt, input),
      h("div", { class: "nb-output-row" }, outCollapser, outPrompt, output),
    );
    const d: CellDom = { el, prompt, input, output, inCollapser, outCollapser, outPrompt };
    this.d = d;
    registerCell(el, this);
    if (this.index >= 0) this.showIndex();
    this.buildInput();
    this.updatePrompt();
    output.hidden = data.cell_type !== "code" || data.outputs.length === 0;
    this.showCollapsed();
    this.showTiming();
    return d;
  }

  // ---- collapsed inputs and outputs, scrolled outputs (cellmeta.ts) ----------

  get inputCollapsed(): boolean {
    return inputHidden(this.data.metadata);
  }

  get outputsCollapsed(): boolean {
    return this.type === "code" && outputsHidden(this.data.metadata);
  }

  get scrolled(): boolean {
    return this.type === "code" && outputsScrolled(this.data.metadata);
  }

  /** setInputCollapsed hides the source behind a one-line placeholder, or shows it again. */
  setInputCollapsed(on: boolean): void {
    if (setInputHidden(this.data.metadata, on)) this.host.viewChanged(this);
    this.showCollapsed();
  }

  /** setOutputsCollapsed hides the outputs behind an "n outputs hidden" strip, or shows them again. */
  setOutputsCollapsed(on: boolean): void {
    if (this.type !== "code") return;
    if (setOutputsHidden(this.data.metadata, on)) this.host.viewChanged(this);
    this.showCollapsed();
  }

  /** setScrolled puts the outputs into a scrolled box, or back to their full height. */
  setScrolled(on: boolean): void {
    if (this.type !== "code") return;
    if (setOutputsScrolled(this.data.metadata, on)) this.host.viewChanged(this);
    this.showCollapsed();
  }

  /** showCollapsed makes the page show what the metadata says. */
  private showCollapsed(): void {
    if (!this.d) return;
    const inHidden = this.inputCollapsed;
    const outHidden = this.outputsCollapsed;
    const scrolled = this.scrolled;
    this.el.classList.toggle("nb-input-collapsed", inHidden);
    this.el.classList.toggle("nb-outputs-collapsed", outHidden);
    this.el.classList.toggle("nb-scrolled", scrolled);
    labelBar(this.inCollapser, !inHidden, inHidden ? "Show the input" : "Collapse the input");
    labelBar(this.outCollapser, !outHidden, outHidden ? "Show the outputs" : "Collapse the outputs");
    if (inHidden && !this.inPlaceholder) {
      this.inPlaceholder = placeholder("input-placeholder", "Show the input", () => this.setInputCollapsed(false));
      this.input.after(this.inPlaceholder);
    }
    if (this.inPlaceholder) {
      this.inPlaceholder.hidden = !inHidden;
      if (inHidden) this.inPlaceholder.textContent = inputSummary(this.data.source);
    }
    if (outHidden && !this.outPlaceholder) {
      this.outPlaceholder = placeholder("output-placeholder", "Show the outputs", () => this.setOutputsCollapsed(false));
      this.output.prepend(this.outPlaceholder);
    }
    if (this.outPlaceholder) {
      this.outPlaceholder.hidden = !outHidden;
      if (outHidden) this.outPlaceholder.textContent = outputsSummary(this.outputCount());
    }
    const wantScroll = !outHidden && (scrolled || this.tall);
    if (wantScroll && !this.scrollToggle) {
      this.scrollToggle = h("button", { type: "button", class: "nb-scroll-toggle", "data-testid": "output-scroll" });
      this.scrollToggle.addEventListener("click", () => this.setScrolled(!this.scrolled));
      this.outPrompt.append(this.scrollToggle);
    }
    if (this.scrollToggle) {
      this.scrollToggle.hidden = !wantScroll;
      this.scrollToggle.textContent = scrolled ? "⤢" : "⇕";
      const label = scrolled ? "Show the outputs at full height" : "Scroll the outputs in a box";
      this.scrollToggle.setAttribute("aria-label", label);
      this.scrollToggle.title = label;
      this.scrollToggle.setAttribute("aria-pressed", String(scrolled));
    }
  }

  private outputCount(): number {
    return this.area ? this.area.length : this.data.outputs.length;
  }

  /** sizeChanged: the output area is now height px tall (the scroll toggle shows on long outputs). */
  sizeChanged(height: number): void {
    const tall = height > LONG_OUTPUT;
    if (tall === this.tall) return;
    this.tall = tall;
    this.showCollapsed();
  }

  // ---- execution timing (timing.ts) -------------------------------------------

  /** showTiming shows how long the last run took and when it ended, as its metadata records. */
  showTiming(): void {
    if (!this.d) return;
    const text = this.type === "code" ? timingText(this.data.metadata, new Date()) : "";
    if (!text && !this.timing) return;
    if (!this.timing) {
      this.timing = h("div", { class: "nb-timing", "data-testid": "cell-timing" });
      this.el.append(this.timing);
    }
    this.timing.hidden = !text;
    this.timing.textContent = text;
    const r = text ? runOf(this.data.metadata) : null;
    this.timing.title = r ? `Ran from ${new Date(r.start).toLocaleString()} to ${new Date(r.end).toLocaleString()}` : "";
  }

  // ---- line numbers --------------------------------------------------------------

  /** setLineNumbers shows or hides line numbers in this cell's editor (or static text). */
  setLineNumbers(on: boolean): void {
    this.numbered = on;
    if (this.editor) E!.setLineNumbers(this.editor, on);
    else if (this.d) this.showGutter();
  }

  /** showGutter numbers the static text's lines (cells without an editor yet). */
  private showGutter(): void {
    if (!this.pre || !this.numbered) {
      this.gutter?.remove();
      this.gutter = null;
      this.input.classList.remove("nb-numbered");
      return;
    }
    if (!this.gutter) {
      this.gutter = h("pre", { class: "nb-gutter", "aria-hidden": "true" });
      this.input.prepend(this.gutter);
      this.input.classList.add("nb-numbered");
    }
    const n = this.data.source.split("\n").length;
    this.gutter.textContent = Array.from({ length: n }, (_, i) => String(i + 1)).join("\n");
  }

  /** onSource: t is the cell's source (static text or editor). */
  onSource(t: Node): boolean {
    return !!(this.pre && this.pre.contains(t)) || !!(this.editor && this.editor.view.dom.contains(t));
  }

  /** onRendered: t is inside rendered markdown. */
  onRendered(t: Node): boolean {
    return !!(this.md && !this.md.hidden && this.md.contains(t));
  }

  get type(): CellData["cell_type"] {
    return this.data.cell_type;
  }

  get trusted(): boolean {
    return this.data.metadata.trusted === true;
  }

  private buildInput(): void {
    if (this.type === "markdown") {
      this.md = h("div", { class: "nb-md" });
      this.md.textContent = this.data.source; // until rendered (lazily)
      this.input.replaceChildren(this.md);
      this.rendered = true;
    } else {
      this.pre = h("pre", { class: "nb-static" });
      this.pre.textContent = this.data.source.endsWith("\n") ? this.data.source + " " : this.data.source || " ";
      this.input.replaceChildren(this.pre);
      this.showGutter();
    }
  }

  /** hydrate does the lazy work once the cell comes near the viewport. */
  hydrate(): void {
    if (this.hydrated) return;
    this.hydrated = true;
    if (this.type === "code") {
      this.ensureArea();
      this.highlightStatic();
    } else if (this.type === "markdown") {
      if (this.rendered) this.renderMd();
    }
  }

  /** highlightStatic colours the <pre> shown until the cell gets an editor. */
  highlightStatic(): void {
    if (!this.pre || this.type !== "code") return;
    const text = this.data.source;
    highlightInto(this.pre, text.endsWith("\n") ? text + " " : text || " ", this.host.codeParser());
  }

  ensureArea(): OutputArea {
    if (!this.area) {
      const area = new OutputArea({ trusted: this.trusted, notebookPath: this.host.notebookPath, prompts: true, widgets: this.host.widgets });
      area.setOutputs(this.data.outputs);
      this.output.prepend(area.element);
      this.area = area;
      watchSize(area.element, this);
      this.host.registerDisplays(area);
    }
    return this.area;
  }

  /** outputs are the live outputs as nbformat stores them. */
  outputs(): Output[] {
    if (this.type !== "code") return [];
    return this.area ? this.area.toJSON() : this.data.outputs;
  }

  /** ensureEditor gives the cell its editor: null until the editor's code has loaded (loadEditors). */
  ensureEditor(): CellEditor | null {
    if (this.editor) return this.editor;
    if (!E) return null;
    const lang = this.type === "code" ? this.host.codeLanguage() : [];
    const label = this.type === "code" ? "Code cell source" : this.type === "markdown" ? "Markdown cell source" : "Raw cell source";
    const host = h("div", { class: "nb-editor" });
    this.editor = E.createEditor(host, this.data.source, lang, this.type !== "code", label, this.host.editorHooks(this), this.numbered);
    if (this.type === "markdown") E.markdownLanguage(this.editor);
    if (this.type === "markdown") {
      host.hidden = this.rendered;
      this.input.appendChild(host);
    } else {
      this.input.replaceChildren(host);
      this.input.classList.remove("nb-numbered");
      this.gutter = null;
      this.pre = null;
    }
    return this.editor;
  }

  /** setLanguage gives the editor its language; recolour: colour the static text again (a new parser). */
  setLanguage(ext: Extension, recolour = true): void {
    if (this.type !== "code") return;
    if (this.editor) this.editor.view.dispatch({ effects: this.editor.language.reconfigure(ext) });
    else if (this.hydrated && recolour) this.highlightStatic();
  }

  /** setSource replaces the text (split, merge, undo); the editor follows. */
  setSource(text: string): void {
    this.data.source = text;
    if (this.editor) {
      const v = this.editor.view;
      if (v.state.doc.toString() !== text) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } });
    } else if (this.pre) {
      this.pre.textContent = text || " ";
      if (this.hydrated) this.highlightStatic();
      this.showGutter();
    }
    if (this.inputCollapsed) this.showCollapsed();
    if (this.type === "markdown" && this.rendered) this.renderMd();
  }

  /** cursorOffset is the editor's cursor position (0 without an editor). */
  cursorOffset(): number {
    return this.editor ? this.editor.view.state.selection.main.head : 0;
  }

  focusEditor(where: "start" | "end" | "keep" = "keep", coords?: { x: number; y: number }): void {
    if (!E) {
      waitForEditor(this, () => this.el.isConnected && this.host.editing(this), (typed) => {
        this.focusEditor(where, coords);
        if (this.editor) replayKeys(this.editor.view, typed);
      });
      return;
    }
    // Editing needs the source in sight.
    if (this.inputCollapsed) this.setInputCollapsed(false);
    if (this.type === "markdown" && this.rendered) this.unrender();
    const v = this.ensureEditor()!.view;
    if (coords) {
      const pos = v.posAtCoords(coords);
      if (pos !== null) v.dispatch({ selection: { anchor: pos } });
    } else if (where === "start") v.dispatch({ selection: { anchor: 0 } });
    else if (where === "end") v.dispatch({ selection: { anchor: v.state.doc.length } });
    v.focus();
  }

  hasEditorFocus(): boolean {
    return !!this.editor && this.editor.view.hasFocus;
  }

  blurEditor(): void {
    if (this.editor && this.editor.view.hasFocus) this.editor.view.contentDOM.blur();
  }

  // ---- markdown -------------------------------------------------------------

  renderMd(): void {
    if (this.type !== "markdown" || !this.md) return;
    this.rendered = true;
    this.md.hidden = false;
    const host = this.editor?.view.dom.parentElement;
    if (host) host.hidden = true;
    const target = h("div", { class: "nb-md-body" });
    try {
      renderMarkdown(this.data.source, target, {
        notebookPath: this.host.notebookPath,
        attachments: joinAttachments(this.data.attachments),
      });
    } catch (e) {
      target.textContent = this.data.source;
      void e;
    }
    if (!this.data.source.trim()) {
      target.classList.add("nb-md-empty");
      target.textContent = "Empty markdown cell — double-click or press Enter to edit";
    }
    this.md.replaceChildren(target);
    this.hydrated = true;
  }

  unrender(): void {
    if (this.type !== "markdown" || !this.md) return;
    if (!E) {
      void loadEditors().then(() => this.el.isConnected && this.unrender(), () => {});
      return;
    }
    this.rendered = false;
    this.md.hidden = true;
    const ed = this.ensureEditor()!;
    const host = ed.view.dom.parentElement;
    if (host) host.hidden = false;
    ed.view.requestMeasure();
  }

  // ---- state shown -----------------------------------------------------------

  setIndex(i: number): void {
    if (this.index === i) return;
    this.index = i;
    if (this.d) this.showIndex();
  }

  private showIndex(): void {
    this.el.setAttribute("data-index", String(this.index));
    this.el.setAttribute("aria-label", `Cell ${this.index + 1}, ${this.type}`);
  }

  setSelected(selected: boolean, active: boolean): void {
    if (!this.d && !selected) return;
    this.el.classList.toggle("selected", selected);
    this.el.classList.toggle("active", active);
  }

  updatePrompt(): void {
    if (!this.d) return;
    if (this.type !== "code") {
      this.prompt.textContent = "";
      return;
    }
    const n = this.data.execution_count;
    this.prompt.textContent = this.running ? "[*]:" : n === null ? "[ ]:" : `[${n}]:`;
    this.el.classList.toggle("running", this.running);
  }

  setRunning(r: boolean): void {
    this.running = r;
    this.updatePrompt();
  }

  setTrusted(t: boolean): void {
    if (this.type !== "code") return;
    this.data.metadata.trusted = t;
    this.area?.setTrusted(t);
  }

  clearOutputs(): void {
    if (this.type !== "code") return;
    this.data.outputs = [];
    this.area?.clear(false);
    this.removeStdin();
    if (this.d) this.output.hidden = true;
    if (this.outputsCollapsed) this.showCollapsed();
  }

  /** showOutputs: an output arrived. */
  showOutputs(): void {
    this.output.hidden = false;
    if (this.outputsCollapsed && this.outPlaceholder) this.outPlaceholder.textContent = outputsSummary(this.outputCount());
  }

  // ---- stdin ------------------------------------------------------------------

  /** askInput shows an input() prompt at the end of the output; resolves with the value. */
  askInput(prompt: string, password: boolean): Promise<string> {
    this.removeStdin();
    this.output.hidden = false;
    return new Promise((resolve) => {
      const field = h("input", {
        type: password ? "password" : "text",
        class: "nb-stdin-input",
        "data-testid": "stdin-input",
        "aria-label": prompt.trim() || "Input for the running cell",
        autocomplete: "off",
        spellcheck: "false",
      });
      const box = h("div", { class: "nb-stdin" }, h("span", { class: "nb-stdin-prompt", text: prompt }), field);
      field.addEventListener("keydown", (ev) => {
        ev.stopPropagation();
        if (ev.key === "Enter") {
          ev.preventDefault();
          const v = field.value;
          box.remove();
          if (this.stdinBox === box) this.stdinBox = null;
          resolve(v);
        }
      });
      this.stdinBox = box;
      this.output.appendChild(box);
      field.focus();
    });
  }

  removeStdin(): void {
    this.stdinBox?.remove();
    this.stdinBox = null;
  }

  destroy(): void {
    this.editor?.view.destroy();
    this.editor = null;
  }
}

function joinAttachments(a: Record<string, unknown> | undefined): Record<string, Record<string, string>> | undefined {
  if (!a) return undefined;
  const out: Record<string, Record<string, string>> = {};
  for (const [name, bundle] of Object.entries(a)) {
    if (typeof bundle !== "object" || bundle === null) continue;
    const b: Record<string, string> = {};
    for (const [mime, v] of Object.entries(bundle as Record<string, unknown>)) {
      b[mime] = Array.isArray(v) ? v.join("") : typeof v === "string" ? v : JSON.stringify(v);
    }
    out[name] = b;
  }
  return out;
}
