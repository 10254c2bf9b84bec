// Editing with the kernel's help, in a code cell's editor: completion
// (complete_request, shown in CodeMirror's completion list) and inspection
// (inspect_request, shown as a tooltip under the cursor).
//
// Tab completes after an identifier character, a "." or inside a string
// (a path) and indents elsewhere; Ctrl-Space always completes; Shift-Tab
// inspects, a second Shift-Tab expands the tooltip and Escape closes it.
// Replies to requests the editor no longer wants (the text changed, the
// popup closed) are dropped; a busy kernel answers when it can (the shell
// channel queues), with a small spinner in the editor meanwhile.
import { EditorState, Prec, countColumn, StateEffect, StateField, type Extension, type Text } from "@codemirror/state";
import { EditorView, keymap, showTooltip, tooltips, type Tooltip } from "@codemirror/view";
import {
  acceptCompletion,
  autocompletion,
  closeCompletion,
  completionStatus,
  moveCompletionSelection,
  startCompletion,
  type Completion,
  type CompletionContext,
  type CompletionResult,
} from "@codemirror/autocomplete";
import { indentLess, indentMore } from "@codemirror/commands";
import { indentUnit, syntaxTree } from "@codemirror/language";
import { Terminal } from "../outputs/ansi";
import { TextView } from "../outputs/textview";

/** A KernelAsk sends one shell request and resolves with its reply's content (null: no kernel, or not sent). */
export type KernelAsk = (msgType: "complete_request" | "inspect_request", content: Record<string, unknown>) => Promise<Record<string, unknown> | null>;

// ---- positions --------------------------------------------------------------

// Jupyter counts cursor positions in Unicode code points; JavaScript strings
// count UTF-16 units. They differ after a character outside the BMP.

/** toCodePoints is the code-point offset of UTF-16 offset i in s. */
export function toCodePoints(s: string, i: number): number {
  let n = 0;
  for (let k = 0; k < i && k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0xd800 && c <= 0xdbff && k + 1 < i) {
      const d = s.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff) k++;
    }
    n++;
  }
  return n;
}

/** fromCodePoints is the UTF-16 offset of code-point offset cp in s (clamped to s). */
export function fromCodePoints(s: string, cp: number): number {
  let k = 0;
  for (let n = 0; n < cp && k < s.length; n++) {
    const c = s.charCodeAt(k);
    k += c >= 0xd800 && c <= 0xdbff && k + 1 < s.length && (s.charCodeAt(k + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return k;
}

// ---- when Tab completes ------------------------------------------------------------

const identChar = /[\p{L}\p{N}_.]/u;

/** tabCompletes: Tab at pos completes (rather than indents). */
export function tabCompletes(state: EditorState): boolean {
  const sel = state.selection;
  if (sel.ranges.length !== 1 || !sel.main.empty) return false;
  const pos = sel.main.head;
  const line = state.doc.lineAt(pos);
  const before = line.text.slice(0, pos - line.from);
  if (before.trim() === "") return false;
  const ch = before[before.length - 1];
  if (/\s/.test(ch)) return false;
  if (identChar.test(ch)) return true;
  return inString(state, pos);
}

/** A node of the syntax tree. */
type SyntaxNode = ReturnType<ReturnType<typeof syntaxTree>["resolveInner"]>;

/** inString: pos is inside a string literal (a closed one, or one still being typed). */
function inString(state: EditorState, pos: number): boolean {
  for (let n: SyntaxNode | null = syntaxTree(state).resolveInner(pos, -1); n; n = n.parent) {
    if (!/String/.test(n.name)) continue;
    if (pos <= n.from) return false;
    if (pos < n.to) return true;
    // At its end: inside only when it has no closing quote yet.
    const text = state.sliceDoc(n.from, n.to);
    return text.length === 1 || !/["']$/.test(text);
  }
  return false;
}

// ---- completion ------------------------------------------------------------

interface TypedMatch {
  start?: number;
  end?: number;
  text?: string;
  type?: string;
  signature?: string;
}

// Jedi's (and IPython's) kinds in CodeMirror's icon vocabulary.
const kinds: Record<string, string> = {
  function: "function",
  class: "class",
  module: "namespace",
  keyword: "keyword",
  instance: "variable",
  statement: "variable",
  param: "variable",
  property: "property",
  path: "text",
  magic: "keyword",
};

/** completionResult turns a complete_reply's content into CodeMirror's result for doc (null: nothing usable). */
export function completionResult(doc: string, c: Record<string, unknown>): CompletionResult | null {
  if (c.status !== "ok" || !Array.isArray(c.matches)) return null;
  const cs = typeof c.cursor_start === "number" ? c.cursor_start : null;
  const ce = typeof c.cursor_end === "number" ? c.cursor_end : null;
  if (cs === null || ce === null || cs > ce) return null;
  const from = fromCodePoints(doc, cs);
  const to = fromCodePoints(doc, ce);
  const meta = (c.metadata ?? {}) as Record<string, unknown>;
  const typed = Array.isArray(meta._jupyter_types_experimental) ? (meta._jupyter_types_experimental as TypedMatch[]) : null;
  const options: Completion[] = [];
  const seen = new Set<string>();
  // The typed list is used when it covers the same range as the matches.
  if (typed && typed.length > 0 && typed.every((t) => typeof t.text === "string" && t.start === cs && t.end === ce)) {
    for (const t of typed) {
      const label = String(t.text);
      if (seen.has(label)) continue;
      seen.add(label);
      // Jedi says "<unknown>" when it ran out of time for an item.
      const kind = typeof t.type === "string" && !/^<.*>$/.test(t.type) ? t.type : "";
      const o: Completion = { label };
      if (kind) o.type = kinds[kind] ?? kind;
      const sig = typeof t.signature === "string" ? t.signature : "";
      if (sig || kind) o.detail = sig || kind;
      options.push(o);
    }
  } else {
    for (const m of c.matches) {
      const label = String(m);
      if (seen.has(label)) continue;
      seen.add(label);
      options.push({ label });
    }
  }
  if (options.length === 0) return null;
  return { from, to, options, validFor: /^[\p{L}\p{N}_]*$/u };
}

function setBusy(view: EditorView, what: "complete" | "inspect", on: boolean): void {
  const cls = what === "complete" ? "nb-completing" : "nb-inspecting";
  view.dom.classList.toggle(cls, on);
  const busy = view.dom.classList.contains("nb-completing") || view.dom.classList.contains("nb-inspecting");
  if (busy) view.dom.setAttribute("aria-busy", "true");
  else view.dom.removeAttribute("aria-busy");
}

function completionSource(ask: KernelAsk) {
  return (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const view = ctx.view;
    const doc = ctx.state.doc.toString();
    const cursor = toCodePoints(doc, ctx.pos);
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: CompletionResult | null) => {
        if (done) return;
        done = true;
        if (view) setBusy(view, "complete", false);
        resolve(r);
      };
      // A reply for text that has changed since is stale: dropped (CodeMirror asks again).
      ctx.addEventListener("abort", () => finish(null), { onDocChange: true });
      if (view) setBusy(view, "complete", true);
      ask("complete_request", { code: doc, cursor_pos: cursor }).then(
        (c) => {
          if (done) return;
          performance.mark("quire:complete-reply");
          finish(c ? completionResult(doc, c) : null);
        },
        () => finish(null),
      );
    });
  };
}

// ---- inspection ------------------------------------------------------------

interface Inspection {
  pos: number;
  text: string;
  expanded: boolean;
}

const setInspection = StateEffect.define<Inspection | null>();

const inspection = StateField.define<Inspection | null>({
  create: () => null,
  update(v, tr) {
    for (const e of tr.effects) if (e.is(setInspection)) return e.value;
    if (v && (tr.docChanged || tr.selection)) return null;
    return v;
  },
  provide: (f) => showTooltip.from(f, (v): Tooltip | null => (v ? inspectTooltip(v) : null)),
});

function inspectTooltip(v: Inspection): Tooltip {
  return {
    pos: v.pos,
    above: false,
    create: () => {
      const term = new Terminal();
      term.write(v.text);
      const tv = new TextView(term, "nb-inspect-text", "inspect.txt");
      tv.flush();
      const dom = document.createElement("div");
      dom.className = "nb-inspect" + (v.expanded ? " nb-inspect-expanded" : "");
      dom.setAttribute("role", "tooltip");
      dom.setAttribute("aria-label", "Documentation");
      dom.setAttribute("data-testid", "inspect-tooltip");
      dom.tabIndex = -1;
      dom.append(tv.root);
      return { dom };
    },
  };
}

/** inspect asks the kernel about the name at the cursor; a second press expands the shown tooltip. */
function inspect(ask: KernelAsk) {
  return (view: EditorView): boolean => {
    const pos = view.state.selection.main.head;
    const cur = view.state.field(inspection, false);
    if (cur && cur.pos === pos) {
      if (!cur.expanded) view.dispatch({ effects: setInspection.of({ ...cur, expanded: true }) });
      return true;
    }
    const doc = view.state.doc;
    const code = doc.toString();
    setBusy(view, "inspect", true);
    void ask("inspect_request", { code, cursor_pos: toCodePoints(code, pos), detail_level: 0 }).then(
      (c) => {
        setBusy(view, "inspect", false);
        // Stale: the text or the cursor moved meanwhile.
        if (!sameDoc(view.state.doc, doc) || view.state.selection.main.head !== pos) return;
        const text = inspectText(c);
        if (text === null) return;
        view.dispatch({ effects: setInspection.of({ pos, text, expanded: false }) });
      },
      () => setBusy(view, "inspect", false),
    );
    return true;
  };
}

function sameDoc(a: Text, b: Text): boolean {
  return a === b || a.eq(b);
}

/** inspectText is the text an inspect_reply shows (null: nothing found). */
export function inspectText(c: Record<string, unknown> | null): string | null {
  if (!c || c.status !== "ok" || c.found !== true) return null;
  const data = (c.data ?? {}) as Record<string, unknown>;
  const t = data["text/plain"];
  const text = typeof t === "string" ? t : Array.isArray(t) ? t.map(String).join("") : "";
  return text.trim() ? text.replace(/\s+$/, "") : null;
}

/**
 * tabIndent is what Tab does where it does not complete: in a line's
 * leading whitespace (or over a selection) it indents the lines; after
 * whitespace later in a line it inserts spaces up to the next tab stop.
 */
function tabIndent(view: EditorView): boolean {
  const { state } = view;
  const sel = state.selection.main;
  if (state.selection.ranges.length > 1 || !sel.empty) return indentMore(view);
  const line = state.doc.lineAt(sel.head);
  const before = line.text.slice(0, sel.head - line.from);
  if (before.trim() === "") return indentMore(view);
  const unit = state.facet(indentUnit);
  const width = unit.length || 4;
  const col = countColumn(before, state.tabSize);
  const insert = unit.includes("\t") ? "\t" : " ".repeat(width - (col % width));
  view.dispatch({ changes: { from: sel.head, insert }, selection: { anchor: sel.head + insert.length }, scrollIntoView: true, userEvent: "input" });
  return true;
}

// ---- the extension ------------------------------------------------------------

/** assist is the editor extension that completes and inspects by asking the kernel. */
export function assist(ask: KernelAsk): Extension {
  const active = (s: EditorState) => completionStatus(s) === "active";
  const keys = Prec.highest(
    keymap.of([
      {
        key: "Tab",
        run: (v) => {
          if (active(v.state)) return acceptCompletion(v) || true;
          if (tabCompletes(v.state)) return startCompletion(v);
          return tabIndent(v);
        },
      },
      {
        key: "Shift-Tab",
        run: (v) => (v.state.selection.main.empty && !active(v.state) ? inspect(ask)(v) : indentLess(v)),
      },
      { key: "Ctrl-Space", run: startCompletion },
      {
        key: "Escape",
        run: (v) => {
          if (completionStatus(v.state) !== null) return closeCompletion(v) || true;
          if (v.state.field(inspection, false)) {
            v.dispatch({ effects: setInspection.of(null) });
            return true;
          }
          return false;
        },
      },
      // While the list is open these keys belong to it, whatever the
      // commands answer: a key that fell through would move the cursor out
      // of the cell or insert a newline under the list.
      { key: "ArrowDown", run: (v) => active(v.state) && (moveCompletionSelection(true)(v) || true) },
      { key: "ArrowUp", run: (v) => active(v.state) && (moveCompletionSelection(false)(v) || true) },
      { key: "PageDown", run: (v) => active(v.state) && (moveCompletionSelection(true, "page")(v) || true) },
      { key: "PageUp", run: (v) => active(v.state) && (moveCompletionSelection(false, "page")(v) || true) },
      { key: "Enter", run: (v) => active(v.state) && (acceptCompletion(v) || true) },
    ]),
  );
  return [
    keys,
    inspection,
    // Cells clip what overflows them (content-visibility): tooltips live in the body.
    tooltips({ parent: document.body }),
    autocompletion({
      override: [completionSource(ask)],
      activateOnTyping: false,
      defaultKeymap: false,
      closeOnBlur: true,
      maxRenderedOptions: 200,
      // The list opens only when asked for (Tab, Ctrl-Space), never under
      // typing, so keys pressed right after it opens are meant for it:
      // CodeMirror's default 75 ms during which they are refused would let
      // a quick ArrowDown leave the cell.
      interactionDelay: 0,
      tooltipClass: () => "nb-complete",
    }),
  ];
}
