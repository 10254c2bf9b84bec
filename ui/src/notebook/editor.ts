// CodeMirror 6 for notebook cells: one EditorView per cell, created only
// when a cell needs it. This module loads after the first cells show (they
// are coloured by highlight.ts until then); languages other than Python and
// Markdown load lazily.
import { EditorState, Compartment, Prec, type Extension } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  bracketMatching,
  indentOnInput,
  syntaxHighlighting,
  Language,
  LanguageSupport,
  indentUnit,
} from "@codemirror/language";
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { python } from "@codemirror/lang-python";
import { loadLanguage as loadModeByName } from "../languages";
import { assist, type KernelAsk } from "./assist";
import { highlight } from "./highlight";

export interface EditorHooks {
  change(text: string): void;
  focus(): void;
  /** key handlers return true when they handled the key */
  shiftEnter(): boolean;
  ctrlEnter(): boolean;
  altEnter(): boolean;
  escape(): boolean;
  split(): boolean;
  up(): boolean;
  down(): boolean;
  save(): boolean;
  /** ask, for code cells: completion and inspection by the kernel (see assist.ts) */
  ask?: KernelAsk;
}

/** languageOf is the Language inside an extension made by loadLanguage, if any. */
export function languageOf(ext: Extension): Language | null {
  if (ext instanceof LanguageSupport) return ext.language;
  if (ext instanceof Language) return ext;
  return null;
}


const theme = EditorView.theme({
  "&": { color: "var(--fg)", backgroundColor: "var(--code-bg)", fontSize: "13px" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.45" },
  ".cm-content": { caretColor: "var(--fg)", padding: "6px 0" },
  ".cm-line": { padding: "0 8px" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "var(--fg)" },
  ".cm-matchingBracket": { backgroundColor: "var(--cm-match)", outline: "1px solid var(--border)" },
  ".cm-nonmatchingBracket": { color: "var(--danger)" },
  ".cm-selectionMatch": { backgroundColor: "var(--cm-match)" },
  ".cm-panels": { backgroundColor: "var(--bg-alt)", color: "var(--fg)" },
  ".cm-searchMatch": { backgroundColor: "var(--cm-match)" },
  // Matches the static gutter of cells without an editor (notebook.css .nb-gutter).
  ".cm-gutters": { backgroundColor: "var(--code-bg)", color: "var(--fg-muted)", borderRight: "1px solid var(--border)" },
  ".cm-lineNumbers .cm-gutterElement": { padding: "0 6px 0 8px", minWidth: "3ch" },
});

// ---- languages -------------------------------------------------------------

/** loadLanguage is the cell extension for a kernel's language name (or
 *  codemirror_mode); [] (plain text) if unknown. */
export async function loadLanguage(name: string): Promise<Extension> {
  return (await loadModeByName(name)) ?? [];
}

/** The default code language before the kernel has told us its own. */
export const pythonLanguage: Extension = python();

// Markdown's mode (with HTML, CSS and JavaScript inside it) is as big as
// the rest of the editor, and only markdown cells being edited need it.
let markdownMode: Extension | null = null;
let markdownLoading: Promise<Extension> | null = null;

/** markdownLanguage gives ed (a markdown cell's new editor) Markdown's mode,
 *  at once when it is loaded, else when it arrives. */
export function markdownLanguage(ed: CellEditor): void {
  if (markdownMode) {
    ed.view.dispatch({ effects: ed.language.reconfigure(markdownMode) });
    return;
  }
  markdownLoading ??= loadLanguage("markdown").then(
    (m) => (markdownMode = m),
    () => {
      markdownLoading = null;
      return [];
    },
  );
  void markdownLoading.then((m) => {
    if (ed.view.dom.isConnected) ed.view.dispatch({ effects: ed.language.reconfigure(m) });
  });
}

// ---- editors --------------------------------------------------------------

export interface CellEditor {
  view: EditorView;
  language: Compartment;
  /** gutter holds the line numbers, when shown (setLineNumbers) */
  gutter: Compartment;
}

/** setLineNumbers shows or hides an editor's line numbers. */
export function setLineNumbers(ed: CellEditor, on: boolean): void {
  ed.view.dispatch({ effects: ed.gutter.reconfigure(on ? lineNumbers() : []) });
}

function atFirstVisualLine(view: EditorView): boolean {
  const sel = view.state.selection.main;
  if (!sel.empty) return false;
  if (view.state.doc.lineAt(sel.head).number !== 1) return false;
  const a = view.coordsAtPos(sel.head);
  const b = view.coordsAtPos(0);
  return !a || !b || Math.abs(a.top - b.top) < 2;
}

function atLastVisualLine(view: EditorView): boolean {
  const sel = view.state.selection.main;
  if (!sel.empty) return false;
  const doc = view.state.doc;
  if (doc.lineAt(sel.head).number !== doc.lines) return false;
  const a = view.coordsAtPos(sel.head);
  const b = view.coordsAtPos(doc.length);
  return !a || !b || Math.abs(a.top - b.top) < 2;
}

export function createEditor(
  parent: HTMLElement,
  text: string,
  language: Extension,
  wrap: boolean,
  label: string,
  hooks: EditorHooks,
  numbered = false,
): CellEditor {
  const lang = new Compartment();
  const gutter = new Compartment();
  const cellKeys = Prec.highest(
    keymap.of([
      { key: "Shift-Enter", run: () => hooks.shiftEnter() },
      { key: "Mod-Enter", run: () => hooks.ctrlEnter() },
      { key: "Alt-Enter", run: () => hooks.altEnter() },
      { key: "Escape", run: () => hooks.escape() },
      { key: "Mod-Shift--", run: () => hooks.split() },
      { key: "Mod-s", run: () => hooks.save(), preventDefault: true },
      { key: "ArrowUp", run: (v) => (atFirstVisualLine(v) ? hooks.up() : false) },
      { key: "ArrowDown", run: (v) => (atLastVisualLine(v) ? hooks.down() : false) },
    ]),
  );
  const exts: Extension[] = [
    // First: its keys (Tab, Escape, arrows in the completion list) go before the cell's.
    hooks.ask ? assist(hooks.ask) : [],
    cellKeys,
    history(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    highlightSelectionMatches(),
    syntaxHighlighting(highlight),
    indentUnit.of("    "),
    EditorState.tabSize.of(4),
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, indentWithTab]),
    theme,
    lang.of(language),
    gutter.of(numbered ? lineNumbers() : []),
    EditorView.contentAttributes.of({ "aria-label": label, spellcheck: "false", autocorrect: "off", autocapitalize: "off" }),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) hooks.change(u.state.doc.toString());
      if (u.focusChanged && u.view.hasFocus) hooks.focus();
    }),
  ];
  if (wrap) exts.push(EditorView.lineWrapping);
  const view = new EditorView({ parent, state: EditorState.create({ doc: text, extensions: exts }) });
  return { view, language: lang, gutter };
}
