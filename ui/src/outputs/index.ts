// Output rendering for notebook cells. THE INTERFACE BELOW IS THE
// CONTRACT between the notebook editor and the renderers (Output,
// MimeBundle, OutputOptions, OutputArea and its public methods).
//
// Rules kept here:
// - text goes in through text nodes; HTML only through DOMPurify
//   (sanitize.ts), appended as a fragment;
// - trusted HTML that needs scripts, and all JavaScript, run only inside the
//   sandboxed frame (sandbox.html, no allow-same-origin); never in this page;
// - SVG only as an <img> data: URL, so script inside it cannot run;
// - streams are kept whole in the model but shown windowed, and a fast
//   stream updates the DOM at most once per animation frame;
// - constructing an area and loading small outputs does no layout reads and
//   no markdown/KaTeX work; heavy MIME types loaded from a file render when
//   they come near the viewport (or when the browser is idle).
import "./outputs.css";
import "./palettecss";
import { url } from "../api";
import { renderMarkdown } from "../markdown";
import { Terminal, stripAnsi } from "./ansi";
import { TextView } from "./textview";
import { renderJson } from "./json";
import { sanitize } from "./sanitize";
import { chooseMime, cleanBase64, imageSize, latexFormula, utf8ToBase64 } from "./mime";
import { joinText, compactCR } from "./stream";
import { extractMath } from "./math";
import { katexNow, loadKatex, katexOptions } from "./katex";

/** One nbformat v4 output, as stored in a notebook or built from an iopub message. */
export type Output =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string | string[] }
  | { output_type: "display_data"; data: MimeBundle; metadata?: Record<string, unknown>; transient?: { display_id?: string } }
  | { output_type: "execute_result"; data: MimeBundle; metadata?: Record<string, unknown>; execution_count: number | null; transient?: { display_id?: string } }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

export type MimeBundle = Record<string, string | string[] | unknown>;

export interface OutputOptions {
  /** trusted: the notebook's signature checked out (or the user trusted
   *  it), or the output was produced in this session. Only then may HTML
   *  and JavaScript run, and then only inside the sandboxed frame. */
  trusted: boolean;
  /** notebookPath resolves relative links and images in markdown. */
  notebookPath: string;
  /** widgets draws widget views (application/vnd.jupyter.widget-view+json); without it they show their text fallback. */
  widgets?: WidgetRenderer;
  /** prompts: an execute_result gets an "Out[n]:" prompt (class
   *  q-out-prompt, placed by the page's CSS) just before its output, so the
   *  prompt is no part of the output's own text. */
  prompts?: boolean;
}

/** A WidgetRenderer draws the view of a widget model into el; false when
 *  there is no such model (the text fallback is shown then). */
export interface WidgetRenderer {
  render(data: unknown, el: HTMLElement): Promise<boolean>;
}

const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";

type RichOutput = Extract<Output, { output_type: "display_data" | "execute_result" }>;
type ErrorOutput = Extract<Output, { output_type: "error" }>;
type StreamOutput = Extract<Output, { output_type: "stream" }>;

interface StreamEntry {
  kind: "stream";
  el: HTMLElement;
  /** the output as first given (unknown keys are kept for saving) */
  base: StreamOutput;
  name: string;
  chunks: string[];
  /** appended: text arrived after the output was created (then \r-overwritten text is dropped on save) */
  appended: boolean;
  view: TextView;
}
interface RichEntry {
  kind: "rich";
  el: HTMLElement;
  out: RichOutput;
}
interface OtherEntry {
  kind: "error" | "other";
  el: HTMLElement;
  out: Output;
}
type Entry = StreamEntry | RichEntry | OtherEntry;

/** Types whose rendering is deferred until visible when loaded from a file. */
const HEAVY = new Set(["text/html", "application/javascript", "text/markdown", "text/latex", "application/json", "image/svg+xml"]);

/** Largest height a sandbox frame grows to; beyond it the frame scrolls. */
const MAX_FRAME_HEIGHT = 5000;

export class OutputArea {
  readonly element: HTMLElement;
  private entries: Entry[] = [];
  private trusted: boolean;
  private readonly notebookPath: string;
  private readonly widgets: WidgetRenderer | undefined;
  private readonly prompts: boolean;
  private clearPending = false;

  constructor(opts: OutputOptions) {
    this.trusted = !!opts.trusted;
    this.notebookPath = opts.notebookPath || "";
    this.widgets = opts.widgets;
    this.prompts = !!opts.prompts;
    this.element = document.createElement("div");
    this.element.className = "q-outputs";
  }

  /** setTrusted re-renders with the new trust. */
  setTrusted(trusted: boolean): void {
    trusted = !!trusted;
    if (trusted === this.trusted) return;
    this.trusted = trusted;
    for (const e of this.entries) if (e.kind === "rich") this.renderRich(e, true);
  }

  /** setOutputs replaces every output (a notebook load). */
  setOutputs(outputs: Output[]): void {
    this.clearPending = false;
    this.reset();
    const frag = document.createDocumentFragment();
    for (const o of outputs) {
      if (!o || typeof o !== "object") continue;
      const last = this.entries[this.entries.length - 1];
      if (o.output_type === "stream" && last?.kind === "stream" && last.name === o.name) {
        this.appendStream(last, joinText(o.text), false);
        continue;
      }
      const e = this.createEntry(o, true);
      this.entries.push(e);
      this.place(frag, e);
    }
    this.element.append(frag);
    for (const e of this.entries) if (e.kind === "stream") e.view.flush();
  }

  /** add appends one output; consecutive streams of one name merge, with \r and \b applied. */
  add(output: Output): void {
    if (this.clearPending) {
      this.clearPending = false;
      this.reset();
    }
    const last = this.entries[this.entries.length - 1];
    if (output.output_type === "stream" && last?.kind === "stream" && last.name === output.name) {
      this.appendStream(last, joinText(output.text), true);
      return;
    }
    const e = this.createEntry(output, false);
    this.entries.push(e);
    this.place(this.element, e);
    if (e.kind === "stream") e.view.flush();
  }

  /** clear is clear_output; wait defers the clearing until the next add. */
  clear(wait = false): void {
    if (wait) {
      this.clearPending = true;
      return;
    }
    this.clearPending = false;
    this.reset();
  }

  /** updateDisplay replaces the data of outputs whose transient display_id is id; false if none. */
  updateDisplay(id: string, data: MimeBundle, metadata: Record<string, unknown>): boolean {
    let found = false;
    for (const e of this.entries) {
      if (e.kind !== "rich" || e.out.transient?.display_id !== id) continue;
      found = true;
      e.out = { ...e.out, data, metadata: metadata ?? {} };
      this.renderRich(e, false);
    }
    return found;
  }

  /** displayIds lists the display_ids shown in this area. */
  displayIds(): string[] {
    const ids = new Set<string>();
    for (const e of this.entries) {
      const id = e.kind === "rich" ? e.out.transient?.display_id : undefined;
      if (typeof id === "string" && id) ids.add(id);
    }
    return [...ids];
  }

  /** toJSON is the outputs as nbformat stores them: streams joined, transient dropped. */
  toJSON(): Output[] {
    return this.entries.map((e): Output => {
      if (e.kind === "stream") {
        const text = e.appended ? compactCR(e.chunks.join("")) : e.chunks.join("");
        if (e.chunks.length > 1) e.chunks.splice(0, e.chunks.length, e.chunks.join(""));
        const o = { ...e.base, text } as StreamOutput & { transient?: unknown };
        delete o.transient;
        return o;
      }
      const o = { ...e.out } as Record<string, unknown>;
      delete o.transient;
      if (e.kind === "rich") {
        if (!o.metadata || typeof o.metadata !== "object") o.metadata = {};
        if (o.output_type === "execute_result" && o.execution_count === undefined) o.execution_count = null;
      }
      return o as Output;
    });
  }

  get length(): number {
    return this.entries.length;
  }

  // ---- internals ---------------------------------------------------------

  /** place appends an entry's element to parent, after its prompt when it has one. */
  private place(parent: ParentNode, e: Entry): void {
    if (this.prompts && e.kind === "rich" && e.out.output_type === "execute_result") {
      const n = e.out.execution_count;
      const p = document.createElement("div");
      p.className = "q-out-prompt";
      p.setAttribute("data-testid", "output-prompt");
      p.setAttribute("aria-hidden", "true");
      // "Out" is a word of its own: narrow pages drop it (the prompt column is small).
      const word = document.createElement("span");
      word.className = "q-out-word";
      word.textContent = "Out";
      p.append(word, `[${typeof n === "number" ? n : " "}]:`);
      parent.append(p);
    }
    parent.append(e.el);
  }

  private reset(): void {
    for (const e of this.entries) forget(e.el);
    this.entries = [];
    this.element.replaceChildren();
  }

  private createEntry(o: Output, lazy: boolean): Entry {
    const el = document.createElement("div");
    el.className = "q-output";
    el.setAttribute("data-testid", "output");
    el.setAttribute("data-output-type", String(o.output_type));
    switch (o.output_type) {
      case "stream": {
        const name = String(o.name);
        el.setAttribute("data-name", name);
        el.classList.add("q-stream", name === "stderr" ? "q-stderr" : "q-stdout");
        const view = new TextView(new Terminal(), "q-text", name + ".txt");
        el.append(view.root);
        const e: StreamEntry = { kind: "stream", el, base: o, name, chunks: [], appended: false, view };
        this.appendStream(e, joinText(o.text), false);
        if (!lazy) e.appended = true; // produced now, not loaded from a file
        return e;
      }
      case "display_data":
      case "execute_result": {
        const e: RichEntry = { kind: "rich", el, out: o };
        this.renderRich(e, lazy);
        return e;
      }
      case "error": {
        el.classList.add("q-error");
        renderError(el, o);
        return { kind: "error", el, out: o };
      }
      default: {
        el.classList.add("q-unknown");
        el.append(note(`Output of type "${String((o as { output_type: unknown }).output_type)}" is not shown.`));
        return { kind: "other", el, out: o };
      }
    }
  }

  private appendStream(e: StreamEntry, text: string, live: boolean): void {
    if (text === "") return;
    e.chunks.push(text);
    if (live) e.appended = true;
    e.view.term.write(text);
    if (live) e.view.schedule();
  }

  /** renderRich (re)draws a display_data / execute_result in place. */
  private renderRich(e: RichEntry, lazy: boolean, noWidget = false): void {
    const el = e.el;
    forget(el);
    el.replaceChildren();
    el.className = "q-output q-rich";
    const data = (e.out.data && typeof e.out.data === "object" ? e.out.data : {}) as MimeBundle;
    if (!noWidget && this.widgets && data[WIDGET_VIEW] !== undefined) {
      // The widget's view, when its model exists (a live kernel's, or the
      // notebook's saved state); its text fallback otherwise.
      el.setAttribute("data-mime", WIDGET_VIEW);
      const box = document.createElement("div");
      el.append(box);
      this.widgets.render(data[WIDGET_VIEW], box).then(
        (ok) => {
          if (!ok && box.isConnected) this.renderRich(e, false, true);
        },
        (err) => {
          if (!box.isConnected) return;
          this.renderRich(e, false, true);
          el.append(note(`Could not show the widget: ${String((err as Error)?.message ?? err)}`, true));
        },
      );
      return;
    }
    const choice = chooseMime(data, this.trusted);
    if (!choice.mime) {
      el.removeAttribute("data-mime");
      if (choice.note) el.append(note(choice.note));
      return;
    }
    const mime = choice.mime;
    el.setAttribute("data-mime", mime);
    const md = (e.out.metadata ?? {}) as Record<string, unknown>;
    const draw = () => {
      try {
        this.renderMime(el, mime, data, md);
      } catch (err) {
        el.replaceChildren(note(`Could not render ${mime}: ${String((err as Error)?.message ?? err)}`, true));
      }
    };
    if (lazy && HEAVY.has(mime)) whenVisible(el, draw);
    else draw();
  }

  private renderMime(el: HTMLElement, mime: string, data: MimeBundle, md: Record<string, unknown>): void {
    const value = data[mime];
    switch (mime) {
      case "application/javascript":
        el.append(sandboxFrame({ js: joinText(value) }));
        return;
      case "text/html": {
        const html = joinText(value);
        const { fragment, removedActive } = sanitize(html);
        if (this.trusted && removedActive) {
          el.append(sandboxFrame({ html }));
          return;
        }
        const box = document.createElement("div");
        box.className = "q-html";
        box.append(fragment);
        el.append(box);
        return;
      }
      case "text/markdown": {
        const box = document.createElement("div");
        renderMarkdown(joinText(value), box, { notebookPath: this.notebookPath });
        el.append(box);
        return;
      }
      case "text/latex":
        el.append(renderLatex(joinText(value)));
        return;
      case "image/svg+xml":
      case "image/png":
      case "image/jpeg":
      case "image/gif": {
        const b64 = mime === "image/svg+xml" ? utf8ToBase64(joinText(value)) : cleanBase64(value);
        if (!b64) {
          el.append(note(`The ${mime} data is not valid base64; the image is not shown.`, true));
          return;
        }
        const img = document.createElement("img");
        img.className = "q-image";
        img.decoding = "async";
        const size = imageSize(md, mime);
        if (size.width) img.width = size.width;
        if (size.height) img.height = size.height;
        if (size.unconfined) img.classList.add("q-unconfined");
        const alt = data["text/plain"] !== undefined ? stripAnsi(joinText(data["text/plain"])).slice(0, 500) : "";
        img.alt = alt || "output image";
        img.src = `data:${mime};base64,${b64}`;
        el.append(img);
        return;
      }
      case "application/json": {
        let v = value;
        if (typeof v === "string") {
          try {
            v = JSON.parse(v);
          } catch {
            /* show the string */
          }
        }
        el.append(renderJson(v));
        return;
      }
      default: {
        const view = new TextView(new Terminal(), "q-text", "output.txt");
        view.term.write(joinText(value));
        view.flush();
        el.append(view.root);
      }
    }
  }
}

function note(text: string, error = false): HTMLElement {
  const d = document.createElement("div");
  d.className = error ? "q-output-note q-output-note-error" : "q-output-note";
  d.textContent = text;
  return d;
}

function renderError(el: HTMLElement, o: ErrorOutput): void {
  const tb = Array.isArray(o.traceback) ? o.traceback.map((l) => joinText(l)).join("\n") : "";
  const ename = String(o.ename ?? "");
  const evalue = String(o.evalue ?? "");
  const view = new TextView(new Terminal(), "q-text", "traceback.txt");
  const shown = stripAnsi(tb);
  if (!tb || (ename && !shown.includes(ename))) {
    view.term.write(`\x1b[31m${ename}\x1b[0m${evalue ? ": " + evalue : ""}${tb ? "\n" : ""}`);
  }
  view.term.write(tb);
  view.flush();
  el.append(view.root);
}

/** renderLatex renders text/latex with KaTeX (loaded on first use). */
function renderLatex(src: string): HTMLElement {
  const box = document.createElement("div");
  box.className = "q-latex";
  const draw = () => {
    const katex = katexNow();
    if (!katex) return false;
    const f = latexFormula(src);
    box.replaceChildren();
    if (f) {
      const holder = document.createElement(f.display ? "div" : "span");
      katex.render(f.tex, holder, katexOptions(f.display));
      box.append(holder);
      return true;
    }
    // text with math in it: text as text nodes, math through KaTeX
    const { text, math } = extractMath(src);
    for (const part of text.split(/(@@QMATH\d+@@)/)) {
      const m = /^@@QMATH(\d+)@@$/.exec(part);
      const item = m ? math[Number(m[1])] : undefined;
      if (!item) {
        if (part) box.append(part);
        continue;
      }
      const holder = document.createElement(item.display ? "div" : "span");
      katex.render(item.tex, holder, katexOptions(item.display));
      box.append(holder);
    }
    return true;
  };
  if (!draw()) {
    const pending = document.createElement("pre");
    pending.className = "q-math-pending";
    pending.textContent = src;
    box.append(pending);
    loadKatex().then(
      () => {
        if (pending.parentNode === box) draw();
      },
      () => {
        /* the source stays shown */
      },
    );
  }
  return box;
}

// ---- the sandbox frame ---------------------------------------------------

const frames = new Set<WeakRef<HTMLIFrameElement>>();
let listening = false;

function onFrameMessage(ev: MessageEvent): void {
  const d = ev.data as { type?: unknown; height?: unknown } | null;
  if (!d || typeof d !== "object" || d.type !== "quire-output-height") return;
  if (typeof d.height !== "number" || !Number.isFinite(d.height)) return;
  for (const ref of frames) {
    const f = ref.deref();
    if (!f) {
      frames.delete(ref);
      continue;
    }
    if (ev.source !== null && f.contentWindow === ev.source) {
      const h = Math.max(16, Math.min(MAX_FRAME_HEIGHT, Math.ceil(d.height)));
      f.style.height = h + "px";
      return;
    }
  }
}

/** sandboxFrame runs trusted HTML or JavaScript in an origin-less iframe. */
function sandboxFrame(content: { html?: string; js?: string }): HTMLIFrameElement {
  if (!listening) {
    listening = true;
    window.addEventListener("message", onFrameMessage);
  }
  const f = document.createElement("iframe");
  f.setAttribute("sandbox", "allow-scripts");
  f.setAttribute("data-testid", "output-frame");
  f.setAttribute("referrerpolicy", "no-referrer");
  f.className = "q-output-frame";
  f.title = "Output";
  f.style.height = "24px";
  // posted after every load: moving a cell re-inserts (and reloads) the frame
  f.addEventListener("load", () => {
    f.contentWindow?.postMessage({ type: "render", html: content.html, js: content.js, dark: false }, "*");
  });
  f.src = url("static/app/sandbox.html");
  frames.add(new WeakRef(f));
  return f;
}

// ---- lazy rendering ----------------------------------------------------------

const lazyWork = new Map<Element, () => void>();
let observer: IntersectionObserver | null = null;
let idleScheduled = false;

function runLazy(el: Element): void {
  const fn = lazyWork.get(el);
  if (!fn) return;
  lazyWork.delete(el);
  observer?.unobserve(el);
  fn();
}

/** whenVisible runs fn when el nears the viewport, or when the browser is idle. */
function whenVisible(el: Element, fn: () => void): void {
  if (typeof IntersectionObserver === "undefined") {
    fn();
    return;
  }
  if (!observer) {
    observer = new IntersectionObserver(
      (items) => {
        for (const it of items) if (it.isIntersecting) runLazy(it.target);
      },
      { rootMargin: "1200px 0px" },
    );
  }
  lazyWork.set(el, fn);
  observer.observe(el);
  scheduleIdle();
}

function scheduleIdle(): void {
  if (idleScheduled) return;
  idleScheduled = true;
  const ric: (cb: (d: { timeRemaining(): number }) => void) => void =
    typeof requestIdleCallback === "function"
      ? (cb) => requestIdleCallback(cb, { timeout: 3000 })
      : (cb) => setTimeout(() => cb({ timeRemaining: () => 8 }), 200);
  ric((deadline) => {
    idleScheduled = false;
    let done = 0;
    for (const el of lazyWork.keys()) {
      if (done > 0 && deadline.timeRemaining() <= 1) break;
      if (!el.isConnected) continue; // rendered when (if) it is shown
      runLazy(el);
      done++;
    }
    for (const el of lazyWork.keys()) {
      if (el.isConnected) {
        scheduleIdle();
        break;
      }
    }
  });
}

/** forget drops pending lazy work and frames under el (it is being redrawn or removed). */
function forget(el: Element): void {
  if (lazyWork.delete(el)) observer?.unobserve(el);
}
