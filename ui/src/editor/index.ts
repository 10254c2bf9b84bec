// The text editor: CodeMirror 6 over a file of the contents API, saved with
// If-Match (the sha256 of what was loaded) so a change on disk since then
// is a 412 conflict the user resolves instead of a silent overwrite.
import "./editor.css";
import { ApiError, contents, encodePath, filesUrl, pageUrl, request } from "../api";
import type { ContentsModel } from "../api";
import { notify, showDialog } from "../dialog";
import { h } from "../dom";
import { splitPath } from "../paths";
import { mountShell } from "../shell";
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  HighlightStyle,
  bracketMatching,
  foldGutter,
  foldKeymap,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
import { Compartment, EditorState } from "@codemirror/state";
import {
  EditorView,
  crosshairCursor,
  drawSelection,
  dropCursor,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
} from "@codemirror/view";
import { tags as t } from "@lezer/highlight";
import { fileLanguage, loadLanguage } from "../languages";

/** AUTOSAVE_MS: an unsaved editor saves itself this often. */
export const AUTOSAVE_MS = 120_000;

type SaveState = "saved" | "unsaved" | "saving" | "error";

function errMsg(e: unknown): string {
  return e instanceof ApiError ? e.message : String((e as Error)?.message || e);
}

/** Colours of the editor follow the page theme through CSS variables. */
const theme = EditorView.theme({
  "&": { color: "var(--fg)", backgroundColor: "var(--bg)", height: "100%" },
  ".cm-scroller": { fontFamily: "var(--mono)", fontSize: "13.5px", lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--fg)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--fg)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection":
    { backgroundColor: "var(--ed-selection)" },
  ".cm-gutters": { backgroundColor: "var(--bg-alt)", color: "var(--fg-muted)", borderRight: "1px solid var(--border)" },
  ".cm-activeLine": { backgroundColor: "var(--ed-active-line)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--ed-active-line)", color: "var(--fg)" },
  "&.cm-focused .cm-matchingBracket": { backgroundColor: "var(--ed-bracket)", outline: "1px solid var(--ed-bracket-border)" },
  "&.cm-focused .cm-nonmatchingBracket": { backgroundColor: "transparent", outline: "1px solid var(--danger)" },
  ".cm-selectionMatch": { backgroundColor: "var(--ed-match)" },
  ".cm-searchMatch": { backgroundColor: "var(--ed-search)", outline: "1px solid var(--ed-bracket-border)" },
  ".cm-searchMatch.cm-searchMatch-selected": { backgroundColor: "var(--ed-selection)" },
  ".cm-panels": { backgroundColor: "var(--bg-alt)", color: "var(--fg)" },
  ".cm-panels.cm-panels-top": { borderBottom: "1px solid var(--border)" },
  ".cm-panels.cm-panels-bottom": { borderTop: "1px solid var(--border)" },
  ".cm-textfield": { backgroundColor: "var(--bg)", color: "var(--fg)", border: "1px solid var(--border)" },
  ".cm-button": { backgroundImage: "none", backgroundColor: "var(--bg)", color: "var(--fg)", border: "1px solid var(--border)" },
  ".cm-foldPlaceholder": { backgroundColor: "var(--bg-alt)", color: "var(--fg-muted)", border: "1px solid var(--border)" },
  ".cm-tooltip": { backgroundColor: "var(--bg-alt)", color: "var(--fg)", border: "1px solid var(--border)" },
});

const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword, t.definitionKeyword, t.modifier], color: "var(--hl-keyword)" },
  { tag: [t.string, t.special(t.string), t.character, t.regexp], color: "var(--hl-string)" },
  { tag: [t.number, t.bool, t.null, t.atom], color: "var(--hl-number)" },
  { tag: [t.comment, t.lineComment, t.blockComment, t.docComment], color: "var(--hl-comment)", fontStyle: "italic" },
  { tag: [t.function(t.variableName), t.function(t.propertyName), t.definition(t.function(t.variableName))], color: "var(--hl-function)" },
  { tag: [t.definition(t.variableName), t.className, t.definition(t.className), t.typeName, t.namespace], color: "var(--hl-def)" },
  { tag: [t.propertyName, t.attributeName], color: "var(--hl-property)" },
  { tag: [t.meta, t.annotation, t.processingInstruction, t.tagName], color: "var(--hl-meta)" },
  { tag: [t.operator, t.punctuation, t.bracket], color: "var(--hl-punct)" },
  { tag: t.invalid, color: "var(--danger)" },
  { tag: t.heading, fontWeight: "bold", color: "var(--hl-keyword)" },
  { tag: t.emphasis, fontStyle: "italic" },
  { tag: t.strong, fontWeight: "bold" },
  { tag: t.strikethrough, textDecoration: "line-through" },
  { tag: [t.link, t.url], color: "var(--accent)", textDecoration: "underline" },
  { tag: t.monospace, color: "var(--hl-string)" },
  { tag: [t.inserted], color: "var(--ok)" },
  { tag: [t.deleted], color: "var(--danger)" },
]);

export function mount(root: HTMLElement, path: string): void {
  new TextEditor(root, path);
}

class TextEditor {
  private path: string;
  private view: EditorView | null = null;
  private hash: string | undefined;
  private lastModified = "";
  private state: SaveState = "saved";
  private gen = 0; // bumped on every edit
  private savedGen = 0; // gen at the last successful save or load
  private saving: Promise<void> | null = null;
  private conflict = false; // an unresolved 412: autosave waits for the user
  private language = new Compartment();

  private saveBtn: HTMLButtonElement;
  private stateEl: HTMLElement;
  private host: HTMLElement;
  private main: HTMLElement;

  constructor(root: HTMLElement, path: string) {
    this.path = path;
    const { dir, name } = splitPath(path);
    const s = mountShell(root, name || path);
    this.main = s.main;
    this.main.classList.add("ed-main");

    const back = h("a", { class: "ed-folder", href: pageUrl("tree", dir), title: "Back to the folder", text: dir ? dir + "/" : "Home/" });
    back.setAttribute("aria-label", `Folder ${dir || "Home"}`);
    s.title.append(h("span", { class: "ed-title" }, back, h("span", { class: "ed-name", text: name, title: path })));

    this.stateEl = h("span", { class: "ed-state", "data-testid": "save-state", "data-state": "saved", role: "status", "aria-live": "polite" });
    this.saveBtn = h("button", { type: "button", class: "q-btn primary", "data-testid": "save", text: "Save", title: "Save (Ctrl+S)", disabled: true });
    this.saveBtn.addEventListener("click", () => void this.save());
    s.tools.append(this.stateEl, this.saveBtn);

    this.host = h("div", { class: "ed-host", "data-testid": "editor" });
    this.main.append(this.host);
    this.setState("saved");

    // Ctrl-S / Cmd-S anywhere on the page saves (and not the HTML page).
    window.addEventListener(
      "keydown",
      (e) => {
        if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === "s" || e.key === "S")) {
          e.preventDefault();
          if (this.view) void this.save();
        }
      },
      true,
    );
    window.addEventListener("beforeunload", (e) => {
      if (this.view && this.state !== "saved") {
        e.preventDefault();
        e.returnValue = "";
      }
    });
    setInterval(() => {
      if (this.view && this.gen !== this.savedGen && !this.saving && !this.conflict) void this.save();
    }, AUTOSAVE_MS);

    void this.load();
  }

  private setState(st: SaveState, detail = ""): void {
    this.state = st;
    this.stateEl.setAttribute("data-state", st);
    const text = { saved: "Saved", unsaved: "Unsaved changes", saving: "Saving…", error: "Not saved" }[st];
    this.stateEl.textContent = detail ? `${text}: ${detail}` : text;
    this.stateEl.title = detail || text;
    this.saveBtn.disabled = !this.view || st === "saving";
  }

  // ---- loading ----------------------------------------------------------

  private async load(): Promise<void> {
    let m: ContentsModel;
    try {
      m = await contents.get(this.path, { type: "file", format: "text", hash: true });
    } catch (e) {
      this.showLoadError(e);
      return;
    }
    const text = typeof m.content === "string" ? m.content : "";
    this.hash = m.hash || undefined;
    this.lastModified = m.last_modified;
    this.createView(text);
    if (!m.writable) notify(`"${this.path}" is read-only on the server; saving will fail.`, "info", 6000);
  }

  private showLoadError(e: unknown): void {
    const status = e instanceof ApiError ? e.status : 0;
    const { dir } = splitPath(this.path);
    const folder = h("a", { href: pageUrl("tree", dir), text: "Back to the folder" });
    let box: HTMLElement;
    if (status === 400) {
      box = h(
        "div",
        { class: "ed-error", role: "alert" },
        h("p", { text: `"${this.path}" is not a UTF-8 text file, so it cannot be edited here.` }),
        h("p", { class: "ed-muted", text: errMsg(e) }),
        h(
          "p",
          { class: "ed-error-actions" },
          h("a", { href: filesUrl(this.path, true), download: splitPath(this.path).name, text: "Download it" }),
          h("a", { href: filesUrl(this.path), target: "_blank", rel: "noopener", text: "Open it in a new tab" }),
          folder,
        ),
      );
    } else {
      box = h(
        "div",
        { class: "ed-error", role: "alert" },
        h("p", { text: status === 404 ? `"${this.path}" does not exist.` : `"${this.path}" cannot be opened: ${errMsg(e)}` }),
        h("p", { class: "ed-error-actions" }, folder, h("a", { href: pageUrl("tree", ""), text: "Home" })),
      );
    }
    this.host.replaceWith(box);
    this.stateEl.hidden = true;
    this.saveBtn.hidden = true;
  }

  private createView(text: string): void {
    const crlf = text.includes("\r\n");
    const state = EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        foldGutter(),
        drawSelection(),
        dropCursor(),
        EditorState.allowMultipleSelections.of(true),
        indentOnInput(),
        syntaxHighlighting(highlight),
        bracketMatching(),
        closeBrackets(),
        rectangularSelection(),
        crosshairCursor(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        search({ top: true }),
        keymap.of([
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...searchKeymap,
          ...historyKeymap,
          ...foldKeymap,
          indentWithTab,
        ]),
        theme,
        this.language.of([]),
        crlf ? EditorState.lineSeparator.of("\r\n") : [],
        EditorView.contentAttributes.of({ "aria-label": `Contents of ${this.path}` }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) {
            this.gen++;
            if (this.state !== "saving" && !this.conflict) this.setState("unsaved");
          }
        }),
      ],
    });
    this.view = new EditorView({ state, parent: this.host });
    this.gen = this.savedGen = 0;
    this.setState("saved");
    this.view.focus();
    const hint = h("p", { class: "ed-hint", text: "Tab indents; press Esc then Tab to move focus out of the editor. Ctrl+F searches, Ctrl+S saves." });
    this.main.append(hint);
    const name = fileLanguage(splitPath(this.path).name);
    if (name) {
      void loadLanguage(name).then((lang) => {
        if (lang && this.view) this.view.dispatch({ effects: this.language.reconfigure(lang) });
      });
    }
  }

  private replaceDoc(text: string): void {
    const v = this.view!;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } });
  }

  // ---- saving -------------------------------------------------------------

  /** save writes the document; concurrent calls share one save, and a call
   *  during a save saves again after it. */
  private async save(opts: { force?: boolean } = {}): Promise<void> {
    if (!this.view) return;
    while (this.saving) await this.saving;
    if (!opts.force && this.gen === this.savedGen && this.state === "saved") return;
    const p = this.doSave(opts.force === true);
    this.saving = p;
    try {
      await p;
    } finally {
      this.saving = null;
    }
  }

  private async put(path: string, text: string, precondition: boolean): Promise<ContentsModel> {
    const model = { type: "file" as const, format: "text" as const, content: text };
    if (!precondition) return contents.save(path, model);
    if (this.hash) return contents.save(path, model, this.hash);
    // No hash known: fall back on the modification time.
    const headers: Record<string, string> = {};
    const t = Date.parse(this.lastModified);
    if (!Number.isNaN(t)) headers["If-Unmodified-Since"] = new Date(t).toUTCString();
    const r = await request("PUT", "api/contents/" + encodePath(path) + "?hash=1", model, headers);
    const m = (await r.json()) as ContentsModel;
    const etag = r.headers.get("ETag");
    if (etag) m.hash = etag.replace(/^W\//, "").replace(/"/g, "");
    return m;
  }

  private async doSave(force: boolean): Promise<void> {
    const v = this.view!;
    const gen = this.gen;
    const text = v.state.doc.toString();
    this.setState("saving");
    try {
      const m = await this.put(this.path, text, !force);
      this.hash = m.hash || undefined;
      this.lastModified = m.last_modified;
      this.savedGen = gen;
      this.conflict = false;
      this.setState(this.gen === gen ? "saved" : "unsaved");
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) {
        this.setState("error", "the file changed on disk");
        await this.resolveConflict();
        return;
      }
      this.setState("error", errMsg(e));
      notify(`Cannot save "${this.path}": ${errMsg(e)}`, "error");
    }
  }

  private async resolveConflict(): Promise<void> {
    if (this.conflict && document.querySelector('[data-testid="conflict-dialog"]')) return;
    this.conflict = true;
    const r = await showDialog<"mine" | "theirs" | "copy">({
      title: "The file changed on disk",
      body: `"${this.path}" was changed by someone else since you opened it. Keep your version (overwriting theirs), load theirs (losing your changes), or save yours as a copy?`,
      testid: "conflict-dialog",
      buttons: [
        { label: "Keep mine", value: "mine", danger: true },
        { label: "Load theirs", value: "theirs" },
        { label: "Save as copy", value: "copy", primary: true },
      ],
    });
    if (r.value === null) {
      // Dismissed: keep the edits, leave the conflict for the next save.
      this.setState("error", "the file changed on disk; save to decide");
      this.view?.focus();
      return;
    }
    this.conflict = false;
    if (r.value === "mine") {
      await this.doSave(true);
    } else if (r.value === "theirs") {
      await this.reloadTheirs();
    } else {
      await this.saveAsCopy();
    }
    this.view?.focus();
  }

  private async reloadTheirs(): Promise<void> {
    try {
      const m = await contents.get(this.path, { type: "file", format: "text", hash: true });
      this.replaceDoc(typeof m.content === "string" ? m.content : "");
      this.hash = m.hash || undefined;
      this.lastModified = m.last_modified;
      this.savedGen = this.gen;
      this.setState("saved");
      notify("Loaded the version on disk.");
    } catch (e) {
      this.setState("error", errMsg(e));
      notify(`Cannot reload "${this.path}": ${errMsg(e)}`, "error");
    }
  }

  private async saveAsCopy(): Promise<void> {
    const { dir, name } = splitPath(this.path);
    const dot = name.indexOf(".", 1);
    const stem = dot < 0 ? name : name.slice(0, dot);
    const ext = dot < 0 ? "" : name.slice(dot);
    const text = this.view!.state.doc.toString();
    for (let i = 0; i < 100; i++) {
      const candidate = `${stem}-copy${i ? i : ""}${ext}`;
      const p = dir ? `${dir}/${candidate}` : candidate;
      try {
        await contents.get(p, { content: false });
        continue; // taken
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) {
          this.setState("error", errMsg(e));
          notify(`Cannot save a copy: ${errMsg(e)}`, "error");
          return;
        }
      }
      try {
        this.setState("saving");
        await this.put(p, text, false);
        this.savedGen = this.gen;
        this.setState("saved");
        notify(`Saved your version as "${candidate}".`);
        location.assign(pageUrl("edit", p));
      } catch (e) {
        this.setState("error", errMsg(e));
        notify(`Cannot save a copy: ${errMsg(e)}`, "error");
      }
      return;
    }
    this.setState("error", "no free name for a copy");
  }
}
