// The notebook editor: {base}notebooks/<path>. The model (CellData per
// Cell) is the source of truth; editors, outputs and markdown are views
// created lazily so large notebooks open fast.
//
// NotebookView owns the page and the notebook document and composes the
// parts, each in its own module: the cells in the page (celllist.ts), the
// selection and mode (selection.ts), edits of the cell list (celledits.ts),
// keyboard commands (commands.ts), the commands the menu bar, palette and
// toolbar offer (notebookcommands.ts, menubar.ts, palette.ts, toolbar.ts),
// saving and conflicts (save.ts), the kernel (kernelsession.ts, shown by
// kernelstatus.ts), running cells (runner.ts) and trust (trust.ts).
import "./notebook.css";
import type { Extension } from "@codemirror/state";
import type { Parser } from "@lezer/common";
import { contents, exportUrl, pageUrl, terminals, type ContentsModel } from "../api";
import { confirmDialog, errText, notify, promptDialog, showDialog } from "../dialog";
import { h } from "../dom";
import { joinPath, splitPath } from "../paths";
import { mountShell, type Shell } from "../shell";
import type { OutputArea } from "../outputs/index";
import type { Cell, CellHost } from "./cell";
import type { Pager } from "./pager";
import { CellDrag } from "./celldrag";
import { CellEdits } from "./celledits";
import { CellList, idle } from "./celllist";
import { CELL_VIEW_KEYS, CellView } from "./cellview";
import { restoreClipboard } from "./clipboard";
import { renderPreview } from "./preview";
import { CommandKeys, PENDING, isSaveKey, keyIsForNotebook, type Command } from "./commands";
import type { EditorHooks } from "./editor";
import { KernelSession } from "./kernelsession";
import { KernelStatusView } from "./kernelstatus";
import { infoLanguage, newCell, parseNotebook, serialiseCell, wantsIds, type CellData, type CellType, type Json, type NotebookData } from "./model";
import { CellRunner } from "./runner";
import { SaveController, conflictDialog, saveAsCopy, saveIndicator } from "./save";
import { Selection } from "./selection";
import { Navigation } from "./nav";
import { isMac, showShortcuts } from "./shortcuts";
import { CommandRegistry } from "./registry";
import { WidgetHost, WIDGET_STATE_MIME } from "../widgets/host";
import { MenuBar } from "./menubar";
import { isPaletteKey, registerPageCommands, type PageActions } from "./notebookcommands";
import { Toolbar } from "./toolbar";
import { TrustControl, notebookTrusted } from "./trust";
import { languageKey } from "../languagekey";

/** downloadFormats are the "Download as" entries of the File menu: label and export format ({base}nbconvert). */
const downloadFormats: [string, string][] = [
  ["Notebook (.ipynb)", "notebook"],
  ["Script (kernel language)", "script"],
  ["HTML (.html)", "html"],
  ["Markdown (.md, or .zip with images)", "markdown"],
];

/** Early is what main.ts started before this module loaded: the
 *  notebook's contents and the heavy half of the view, fetched in parallel. */
export interface Early {
  contents: Promise<ContentsModel>;
  view: Promise<ViewModule>;
}

export function mount(root: HTMLElement, path: string, early?: Early): void {
  const view = new NotebookView(root, path, early);
  void view.start();
}

type ViewModule = typeof import("./view");
type EditorModule = typeof import("./editor");

/** afterPaint resolves once the page has painted a frame. */
function afterPaint(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
}
/** TOOLBAR_KEY remembers (in this browser) whether the toolbar is hidden. */
const TOOLBAR_KEY = "quire-notebook-toolbar";
/** MATH_LOOKAHEAD: the cells whose markdown decides whether KaTeX loads before any is shown. */
const MATH_LOOKAHEAD = 40;
/** MATH_HINT: markdown that may hold math ($…$, $$…$$, \(…\), \[…\], environments): a cheap test, no parse. */
const MATH_HINT = /\$|\\[([]|\\begin\{/;
let V: ViewModule | null = null;

class NotebookView implements CellHost {
  notebookPath: string;
  private shell: Shell;
  private titleBtn: HTMLButtonElement;
  private nb: NotebookData = { metadata: {}, nbformat: 4, nbformat_minor: 5, extra: {}, cells: [] };
  private language: Extension = [];
  /** languageName: the cells' language (the kernel's, else the notebook's metadata) */
  private languageName = "python";
  /** languageLoaded: the language this.language is the editor extension of ("" before the editor's code) */
  private languageLoaded = "";
  /** parser colours cells without an editor (null: plain text) */
  private parser: Parser | null = null;
  /** editorCode: the editor's code, fetched once the first cells have painted */
  private editorCode: Promise<EditorModule> | null = null;
  private loaded = false;
  private list: CellList;
  private sel: Selection;
  private edits: CellEdits;
  private keys = new CommandKeys();
  private toolbar: Toolbar;
  private saves: SaveController;
  private status: KernelStatusView;
  private kernel: KernelSession;
  private runner: CellRunner;
  private trust: TrustControl;
  private pagerView: Pager | null = null;
  private cellView: CellView;
  /** nav: the table of contents and the find bar (nav.ts). */
  private nav: Navigation;
  /** commands is every action of the page (registry.ts): the menu bar, the palette and the keyboard help read it. */
  readonly commands = new CommandRegistry();
  /** widgets: ipywidgets on this page (the libraries load only when a widget shows up) */
  readonly widgets = new WidgetHost(() => {
    const k = this.kernel.connection;
    if (!k?.connected) return null;
    return { send: (type, content, handlers, metadata, buffers) => k.send("shell", type, content, handlers, undefined, { metadata, buffers }) };
  });

  constructor(
    root: HTMLElement,
    path: string,
    private early?: Early,
  ) {
    this.notebookPath = path;
    const { name } = splitPath(path);
    this.shell = mountShell(root, name);
    this.titleBtn = h("button", { type: "button", class: "nb-title", title: "Rename notebook", "aria-label": `Rename notebook ${name}`, text: name });
    this.titleBtn.addEventListener("click", () => void this.rename());
    this.shell.title.replaceChildren(this.titleBtn);

    const banners = h("div", { class: "q-banners" });
    this.status = new KernelStatusView(banners, {
      reconnectNow: () => this.kernel.connection?.reconnectNow(),
      restart: () => void this.kernel.restart(false),
      restartDead: () => void this.kernel.restartDead(),
    });
    this.kernel = new KernelSession(
      {
        notebookPath: () => this.notebookPath,
        metadata: () => this.nb.metadata,
        changed: () => this.saves.changed(),
        clearRunning: () => this.runner.clearRunning(),
        runAll: () => this.runner.runCells(this.list.cells),
        setLanguage: (lang) => void this.setLanguage(lang),
        adopt: (msgId, msg) => this.runner.adopt(msgId, msg),
        comm: (msg) => this.widgets.comm(msg),
        kernelLost: () => this.widgets.kernelLost(),
        noKernel: () => new URLSearchParams(location.search).get("kernel") === "none",
        kernelChosen: () => history.replaceState(null, "", pageUrl("notebooks", this.notebookPath)),
      },
      this.status,
    );
    const indicator = saveIndicator();
    this.saves = new SaveController({
      write: async (ifMatch) => {
        await this.saveWidgetState();
        return (await contents.save(this.notebookPath, { type: "notebook", format: "json", content: this.toJSON() }, ifMatch)).hash ?? undefined;
      },
      checkpoint: async () => {
        await contents.createCheckpoint(this.notebookPath);
      },
      askConflict: () => conflictDialog(this.notebookPath),
      reload: () => this.load(),
      saveCopy: () => this.saveCopy(),
      notify: (text, kind) => notify(text, kind),
      show: indicator.show,
      edited: () => this.nav.changed(),
    });
    this.shell.tools.append(indicator.el, this.status.nameEl, this.status.stateEl);

    this.trust = new TrustControl({
      notebookPath: () => this.notebookPath,
      cells: () => this.list.cells,
      saveIfDirty: async () => {
        if (this.saves.isDirty) await this.saves.save(false);
      },
    });
    registerPageCommands(this.commands, this.pageActions());
    const run = (id: string) => this.runCommand(id);
    this.toolbar = new Toolbar(this.commands, { setType: (t) => this.edits.setType(t), focusActive: () => this.sel.focusActive() }, this.trust.button, run);
    this.toolbar.el.hidden = localStorage.getItem(TOOLBAR_KEY) === "hidden";
    this.commands.add(
      ...downloadFormats.map(([label, format]) => ({
        id: `file:download-${format}`,
        label: `Download as ${label}`,
        menu: "File" as const,
        group: "download",
        run: () => void this.downloadAs(format),
      })),
    );
    const menubar = new MenuBar(this.commands, { run, focusNotebook: () => this.sel.focusActive() });
    const listEl = h("div", {
      class: "nb-cells",
      "data-testid": "notebook",
      "data-mode": "command",
      role: "region",
      "aria-label": "Notebook cells",
    });
    this.list = new CellList(
      listEl,
      (d) => new V!.Cell(d, this),
      () => this.fresh("code"),
    );
    this.sel = new Selection(this.list, { loaded: () => this.loaded, showCellType: (t) => this.toolbar.showCellType(t) });
    this.edits = new CellEdits(this.list, this.sel, {
      fresh: (type, source) => this.fresh(type, source),
      wantsIds: () => wantsIds(this.nb),
      changed: () => this.saves.changed(),
      updateTrust: () => this.trust.update(),
    });
    this.cellView = new CellView({
      cells: () => this.list.cells,
      selected: () => this.sel.selected(),
      setType: (t) => this.edits.setType(t),
      changed: () => this.saves.changed(),
    });
    this.cellView.register(this.commands);
    new CellDrag(this.list, this.sel, { moved: () => this.saves.changed() });
    this.runner = new CellRunner({
      notebookPath: () => this.notebookPath,
      cells: () => this.list.cells,
      kernel: () => this.kernel.connection,
      waitConnected: (ms) => this.kernel.waitConnected(ms),
      changed: () => this.saves.changed(),
      updateTrust: () => this.trust.update(),
      inEditMode: () => this.sel.mode === "edit",
      refocus: (cell) => {
        if (this.sel.activeCell() === cell) this.sel.focusActive();
      },
      page: (data, start) => this.pager().show(data, start),
      setNextInput: (cell, text, replace) => this.setNextInput(cell, text, replace),
      askExit: (keep) => void this.kernel.exitRequested(keep),
      capture: (msg) => this.widgets.capture(String(msg.parent_header?.msg_id ?? ""), msg),
      recordTiming: () => this.cellView.recordTiming,
    });

    this.nav = new Navigation({
      list: this.list,
      sel: this.sel,
      header: this.shell.header,
      toolbar: this.toolbar.el,
      main: this.shell.main,
      changed: () => this.saves.changed(),
    });
    this.nav.register(this.commands);
    this.shell.tools.prepend(this.nav.tocButton);

    this.shell.main.classList.add("nb-main");
    // The toolbar sticks just below the (sticky, wrapping) header.
    if ("ResizeObserver" in window) {
      new ResizeObserver(() => {
        document.documentElement.style.setProperty("--nb-header-h", this.shell.header.offsetHeight + "px");
      }).observe(this.shell.header);
    }
    this.shell.main.append(h("div", { class: "nb-top" }, menubar.el, this.toolbar.el), banners, listEl);
    document.addEventListener("keydown", (ev) => this.onKey(ev));
    listEl.addEventListener("mousedown", (ev) => {
      const t = ev.target as HTMLElement;
      const el = t.closest?.(".nb-cell");
      const c = el ? this.list.cellOf(el) : undefined;
      if (c) this.sel.mouseDown(c, ev, c.onSource(t));
    });
    listEl.addEventListener("focusin", (ev) => {
      const t = ev.target as HTMLElement;
      if (!t.classList?.contains("nb-cell")) return;
      const c = this.list.cellOf(t);
      if (c && c.index !== this.sel.active && this.sel.mode === "command") this.sel.select(c.index);
    });
    listEl.addEventListener("dblclick", (ev) => {
      const t = ev.target as HTMLElement;
      const el = t.closest?.(".nb-cell");
      const c = el ? this.list.cellOf(el) : undefined;
      if (c && c.onRendered(t)) this.sel.doubleClick(c);
    });
    this.saves.watchPage(() => this.loaded);
    restoreClipboard();
  }

  async start(): Promise<void> {
    try {
      await this.load();
    } catch (e) {
      this.list.el.replaceChildren(h("p", { class: "q-fatal", role: "alert", text: `Cannot open ${this.notebookPath}: ${errText(e)}` }));
      this.status.noKernel();
      return;
    }
    // The kernel starts once the page is first idle (within 400 ms): where
    // the kernel runs on the reader's own machine, a Python starting up
    // takes a core from the page while it paints its first cells and
    // answers the first click.
    await new Promise<void>((r) => idle(() => r()));
    await this.kernel.start();
  }

  private pageActions(): PageActions {
    const s = () => this.sel;
    const e = () => this.edits;
    return {
      save: () => void this.saves.save(true),
      rename: () => void this.rename(),
      saveCopy: () => void this.saveCopy(),
      revert: () => void this.revert(),
      trust: () => void this.trust.trust(),
      trusted: () => this.trust.button.getAttribute("data-trusted") === "true",
      closeAndShutdown: () => void this.closeAndShutdown(),
      newTerminal: () => void this.newTerminal(),
      edit: () => s().editMode("keep"),
      select: (dir, extend) => {
        s().select(s().active + dir, extend);
        s().focusActive();
      },
      insertAbove: () => e().insertAt(s().lo, "code"),
      insertBelow: () => e().insertBelow("code"),
      deleteSelected: () => e().deleteSelected(),
      undoDelete: () => e().undoDelete(),
      canUndoDelete: () => e().canUndoDelete,
      cut: () => e().cut(),
      copy: () => e().copy(),
      paste: (above) => e().paste(above),
      move: (dir) => e().move(dir),
      canMove: (dir) => (dir < 0 ? s().lo > 0 : s().hi < this.list.length - 1),
      split: () => e().split(),
      merge: () => e().merge(),
      setType: (type) => e().setType(type),
      clearSelectedOutputs: () => e().clearOutputs(s().selected()),
      clearAllOutputs: () => e().clearOutputs(this.list.cells),
      palette: () => void this.palette(),
      toolbarShown: () => !this.toolbar.el.hidden,
      toggleToolbar: () => {
        this.toolbar.el.hidden = !this.toolbar.el.hidden;
        localStorage.setItem(TOOLBAR_KEY, this.toolbar.el.hidden ? "hidden" : "shown");
      },
      runAndAdvance: () => this.runAndAdvance(),
      runInPlace: () => this.runInPlace(),
      runAndInsert: () => this.runAndInsert(),
      runAll: () => void this.runner.runCells(this.list.cells),
      runAbove: () => void this.runner.runCells(this.list.cells.slice(0, s().active)),
      runBelow: () => void this.runner.runCells(this.list.cells.slice(s().active)),
      hasKernel: () => !!this.kernel.connection,
      interrupt: () => void this.kernel.interrupt(),
      restart: (runAll) => void this.kernel.restart(runAll),
      changeKernel: () => void this.kernel.changeKernel(),
      shortcuts: () => showShortcuts(this.commands.list()),
    };
  }

  /** runCommand runs a command of the menus, palette or toolbar; in command
   *  mode the focus then goes back to the active cell, so keys go on working. */
  private runCommand(id: string): void {
    // The menus and the palette run no disabled command, a toolbar button
    // may try: without a kernel, say why nothing happens.
    if (!this.commands.run(id) && id.startsWith("kernel:")) notify("There is no kernel: pick one with Kernel → Change kernel.");
    if (this.sel.mode === "command" && !document.querySelector("dialog[open]")) this.sel.focusActive();
  }

  private async palette(): Promise<void> {
    try {
      const { openPalette } = await import("./palette");
      openPalette(this.commands, { run: (id) => this.runCommand(id) });
    } catch (err) {
      notify("The command palette failed to load: " + errText(err), "error");
    }
  }

  /**
   * newTerminal starts a shell in the notebook's folder and opens it in a
   * new tab, leaving the notebook open. The tab opens before the request,
   * while the click still counts as the user's (popup blockers), and loses
   * its opener before it is pointed at the terminal.
   */
  private async newTerminal(): Promise<void> {
    const tab = window.open("", "_blank");
    try {
      const t = await terminals.start(splitPath(this.notebookPath).dir);
      const href = pageUrl("terminals", t.name);
      if (!tab) {
        notify("The new terminal could not open in a new tab (blocked?). It is listed in the file browser.", "error");
        return;
      }
      tab.opener = null;
      tab.location.href = href;
    } catch (err) {
      tab?.close();
      notify("Cannot start a terminal: " + errText(err), "error");
    }
  }

  /** closeAndShutdown shuts the notebook's kernel down and goes back to its folder (saving first, if asked). */
  private async closeAndShutdown(): Promise<void> {
    if (this.saves.isDirty) {
      const r = await showDialog<"save" | "discard" | "cancel">({
        title: "Close and shut down",
        body: "This notebook has unsaved changes. Save them before closing?",
        buttons: [
          { label: "Cancel", value: "cancel" },
          { label: "Discard", value: "discard", danger: true },
          { label: "Save", value: "save", primary: true },
        ],
      });
      if (r.value === null || r.value === "cancel") return;
      if (r.value === "save") {
        await this.saves.save(true);
        if (this.saves.isDirty) return; // the save failed and said why
      }
    }
    try {
      await this.kernel.shutdown();
    } catch (err) {
      notify("Shutting the kernel down failed: " + errText(err), "error");
      return;
    }
    this.saves.abandon();
    location.assign(pageUrl("tree", splitPath(this.notebookPath).dir));
  }

  // ---- the document -------------------------------------------------------------

  private async load(): Promise<void> {
    performance.mark("quire:nb-fetch");
    // The contents and the view's code load in parallel (main.ts starts
    // both before this module arrives, the first time). The cells show as
    // text as soon as the contents are here, and become real cells once
    // the code is.
    const early = this.early;
    this.early = undefined;
    const viewP = V ? Promise.resolve(V) : (early?.view ?? import("./view"));
    viewP.catch(() => {}); // reported below, once awaited
    const m = await (early?.contents ?? contents.get(this.notebookPath, { type: "notebook", hash: true }));
    performance.mark("quire:nb-fetched");
    this.saves.setHash(m.hash ?? undefined);
    this.nb = parseNotebook(m.content);
    performance.mark("quire:nb-parsed");
    // Math on the first screen: KaTeX and its fonts load alongside the view's code.
    if (this.nb.cells.slice(0, MATH_LOOKAHEAD).some((c) => c.cell_type === "markdown" && MATH_HINT.test(c.source))) {
      void import("../outputs/katex").then((k) => k.preloadKatex(), () => {});
    }
    if (!V) {
      renderPreview(this.list.el, this.nb.cells);
      performance.mark("quire:nb-preview");
      const view = await viewP;
      V = view;
    }
    const lang = this.nb.metadata.language_info as Json | undefined;
    const ks = this.nb.metadata.kernelspec as Json | undefined;
    const name = infoLanguage(lang) ?? ks?.language;
    if (typeof name === "string" && languageKey(name) !== this.languageName) {
      this.languageName = languageKey(name);
      this.languageLoaded = "";
    }
    if (!this.languageLoaded) this.parser = this.languageName === "python" ? V.pythonParser : null;
    this.runner.forgetDisplays();
    // Saved widget state first, so that widget outputs find their models.
    // A notebook whose signature did not check out gets its widgets' HTML sanitised.
    if (this.nb.metadata.widgets) {
      const trusted = notebookTrusted(this.nb.cells.map((c) => ({ type: c.cell_type, data: c })));
      await this.widgets.loadSaved(this.nb.metadata, trusted).catch((e) => notify("Could not show the saved widgets: " + errText(e), "error"));
    }
    this.list.load(this.nb.cells);
    this.sel.reset();
    this.nav.loaded();
    this.trust.update();
    performance.mark("quire:nb-built");
    this.nb.cells = [];
    this.saves.setDirty(false);
    this.loaded = true;
    // The editor's code comes after the first paint, then the language's mode.
    void this.setLanguage(this.languageName);
    if (m.writable === false) notify("This notebook is read-only: changes cannot be saved here.", "error");
  }

  /** saveWidgetState puts the widgets' state in the notebook's metadata, as
   *  JupyterLab's "save widget state" does (or drops a stale one). */
  private async saveWidgetState(): Promise<void> {
    if (!this.widgets.used) return;
    const state = await this.widgets.state().catch(() => null);
    const md = this.nb.metadata;
    const w = { ...((md.widgets as Json | undefined) ?? {}) };
    if (state) w[WIDGET_STATE_MIME] = state as Json;
    else delete w[WIDGET_STATE_MIME];
    if (Object.keys(w).length) md.widgets = w;
    else delete md.widgets;
  }

  toJSON(): Json {
    return {
      ...this.nb.extra,
      cells: this.list.cells.map((c) => serialiseCell(c.data, c.outputs())),
      metadata: this.nb.metadata,
      nbformat: this.nb.nbformat,
      nbformat_minor: this.nb.nbformat_minor,
    };
  }

  private fresh(type: CellType, source = ""): CellData {
    return newCell(type, source, wantsIds(this.nb));
  }

  /** editors loads the editor's code once the first cells have painted
   *  (a failure is reported; the next call tries again). */
  private editors(): Promise<EditorModule> {
    this.editorCode ??= afterPaint()
      .then(() => V!.loadEditors())
      .catch((e: unknown) => {
        this.editorCode = null;
        notify("The editor failed to load: " + errText(e), "error");
        throw e;
      });
    return this.editorCode;
  }

  private async setLanguage(name: string): Promise<void> {
    const key = languageKey(name);
    if (key !== this.languageName) this.languageLoaded = "";
    this.languageName = key;
    // Before the notebook has loaded, load() calls this again.
    if (this.languageLoaded === key || !V) return;
    const E = await this.editors();
    const ext = key === "python" ? E.pythonLanguage : await E.loadLanguage(key);
    if (this.languageName !== key || this.languageLoaded === key) return; // superseded
    const parser = E.languageOf(ext)?.parser ?? null;
    // Python cells were coloured by the same grammar before the editor's code came.
    const recolour = key !== "python" || this.parser === null;
    this.language = ext;
    this.languageLoaded = key;
    this.parser = parser;
    for (const c of this.list.cells) c.setLanguage(ext, recolour);
    // The active cell gets its editor now that there is one to give.
    const a = this.sel.activeCell();
    if (a && a.type !== "markdown") a.ensureEditor();
  }

  /** downloadAs saves unsaved edits (exports read the file) and downloads
   * the notebook exported as format through {base}nbconvert. */
  private async downloadAs(format: string): Promise<void> {
    if (this.saves.isDirty) await this.saves.save(false); // reports its own failure
    if (this.saves.isDirty) notify("Downloading the last saved version: the latest edits are not in it.");
    const a = h("a", { href: exportUrl(format, this.notebookPath), download: "" });
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  private async saveCopy(): Promise<void> {
    const target = await saveAsCopy(this.notebookPath, this.toJSON(), notify, (detail) => this.saves.failed(detail));
    if (!target) return;
    this.saves.abandon();
    this.kernel.close();
    location.assign(pageUrl("notebooks", target));
  }

  private async revert(): Promise<void> {
    let cps;
    try {
      cps = await contents.listCheckpoints(this.notebookPath);
    } catch (e) {
      notify("Cannot list checkpoints: " + errText(e), "error");
      return;
    }
    if (!cps || cps.length === 0) {
      notify("There is no checkpoint to revert to yet. Save (Ctrl-S) creates one.");
      return;
    }
    const cp = cps.slice().sort((a, b) => Date.parse(b.last_modified) - Date.parse(a.last_modified))[0];
    const when = new Date(cp.last_modified).toLocaleString();
    if (!(await confirmDialog("Revert notebook", `Revert to the checkpoint of ${when}? Unsaved changes and everything saved since then are lost.`, "Revert", true))) return;
    try {
      await contents.restoreCheckpoint(this.notebookPath, cp.id);
      await this.load();
      notify("Reverted to the checkpoint of " + when + ".");
    } catch (e) {
      notify("Revert failed: " + errText(e), "error");
    }
  }

  private async rename(): Promise<void> {
    const { dir, name } = splitPath(this.notebookPath);
    const stem = name.toLowerCase().endsWith(".ipynb") ? name.length - 6 : name.length;
    const v = await promptDialog("Rename notebook", "New name", name, "Rename", [0, stem]);
    if (v === null) return;
    let nn = v.trim();
    if (!nn || nn === name) return;
    if (nn.includes("/")) {
      notify("The name cannot contain “/”.", "error");
      return;
    }
    if (!nn.toLowerCase().endsWith(".ipynb")) nn += ".ipynb";
    const np = joinPath(dir, nn);
    try {
      const m = await contents.rename(this.notebookPath, np);
      this.notebookPath = m.path || np;
    } catch (e) {
      notify("Rename failed: " + errText(e), "error");
      return;
    }
    await this.kernel.moved(this.notebookPath);
    history.replaceState(null, "", pageUrl("notebooks", this.notebookPath));
    const newName = splitPath(this.notebookPath).name;
    this.titleBtn.textContent = newName;
    this.titleBtn.setAttribute("aria-label", `Rename notebook ${newName}`);
    document.title = `${newName} — Quire`;
  }

  // ---- CellHost -------------------------------------------------------------

  codeLanguage(): Extension {
    // A cell may ask for its editor before setLanguage has seen the editor's code.
    const E = V?.editorModule();
    if (E && !this.languageLoaded && this.languageName === "python") {
      this.language = E.pythonLanguage;
      this.languageLoaded = "python";
    }
    return this.language;
  }

  codeParser(): Parser | null {
    return this.parser;
  }

  editing(cell: Cell): boolean {
    return this.sel.mode === "edit" && this.sel.activeCell() === cell;
  }

  registerDisplays(area: OutputArea): void {
    this.runner.registerDisplays(area);
  }

  viewChanged(): void {
    this.saves.changed();
  }

  lineNumbers(): boolean {
    return this.cellView.lineNumbers;
  }

  editorHooks(cell: Cell): EditorHooks {
    return {
      change: (text) => {
        cell.data.source = text;
        this.saves.changed();
      },
      focus: () => {
        if (cell.index !== this.sel.active || this.sel.selected().length > 1) this.sel.select(cell.index);
        this.sel.setMode("edit");
      },
      shiftEnter: () => {
        this.runAndAdvance();
        return true;
      },
      ctrlEnter: () => {
        this.runInPlace();
        return true;
      },
      altEnter: () => {
        this.runAndInsert();
        return true;
      },
      escape: () => {
        this.sel.commandMode();
        return true;
      },
      split: () => {
        this.edits.split();
        return true;
      },
      up: () => {
        if (cell.index <= 0) return false;
        this.sel.select(cell.index - 1);
        this.sel.editMode("end");
        return true;
      },
      down: () => {
        if (cell.index >= this.list.length - 1) return false;
        this.sel.select(cell.index + 1);
        this.sel.editMode("start");
        return true;
      },
      save: () => {
        void this.saves.save(true);
        return true;
      },
      ask: cell.type === "code" ? (type, content) => this.kernel.ask(type, content) : undefined,
    };
  }

  // ---- what the kernel sends besides outputs ---------------------------------------

  /** pager is the bottom panel for paged help, made when first needed. */
  private pager(): Pager {
    if (!this.pagerView) {
      this.pagerView = new V!.Pager(() => {
        if (this.sel.mode === "edit") this.sel.focusActive();
        else this.list.cells[this.sel.active]?.el.focus();
      });
      this.shell.main.after(this.pagerView.el);
    }
    return this.pagerView;
  }

  /**
   * setNextInput puts code the kernel proposes (%load, set_next_input) where
   * Jupyter does: into cell itself when replace, else into the next cell
   * when that is an empty code cell (Shift-Enter at the end made one), else
   * into a new code cell below it.
   */
  private setNextInput(cell: Cell, text: string, replace: boolean): void {
    const i = cell.index;
    if (i < 0 || this.list.cells[i] !== cell) return;
    if (replace) {
      cell.setSource(text);
      this.saves.changed();
      return;
    }
    const next = this.list.cells[i + 1];
    if (next && next.type === "code" && next.data.source === "") {
      next.setSource(text);
      this.saves.changed();
    } else this.edits.insertCells(i + 1, [this.fresh("code", text)]);
  }

  // ---- keyboard and running -------------------------------------------------------

  private onKey(ev: KeyboardEvent): void {
    if (!this.loaded) return;
    const inDialog = !!document.querySelector("dialog[open]");
    if (isSaveKey(ev, isMac)) {
      if (inDialog) return;
      ev.preventDefault();
      void this.saves.save(true);
      return;
    }
    if (isPaletteKey(ev, isMac)) {
      if (inDialog) return;
      ev.preventDefault();
      void this.palette();
      return;
    }
    if (inDialog || this.sel.mode !== "command") return;
    if (ev.key === "Escape" && this.pagerView?.isOpen && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !ev.shiftKey) {
      ev.preventDefault();
      this.pagerView.close();
      return;
    }
    if (!keyIsForNotebook(ev.target as HTMLElement | null, ev.key)) return;
    if (this.nav.key(ev)) {
      ev.preventDefault();
      ev.stopPropagation();
      return;
    }
    const cmd = this.keys.press(ev, Date.now());
    if (cmd === null) return;
    if (cmd !== PENDING) this.command(cmd);
    ev.preventDefault();
    ev.stopPropagation();
  }

  /** command does what a command-mode shortcut means. */
  private command(cmd: Command): void {
    const viewId = CELL_VIEW_KEYS[cmd];
    if (viewId) return void this.commands.run(viewId);
    const s = this.sel;
    const e = this.edits;
    switch (cmd) {
      case "run-advance":
        return this.runAndAdvance();
      case "run-in-place":
        return this.runInPlace();
      case "run-insert":
        return this.runAndInsert();
      case "edit":
        return s.editMode("keep");
      case "select-up":
      case "extend-up":
        s.select(s.active - 1, cmd === "extend-up");
        return s.focusActive();
      case "select-down":
      case "extend-down":
        s.select(s.active + 1, cmd === "extend-down");
        return s.focusActive();
      case "insert-above":
        return e.insertAt(s.lo, "code");
      case "insert-below":
        return e.insertBelow("code");
      case "delete":
        return e.deleteSelected();
      case "cut":
        return e.cut();
      case "copy":
        return e.copy();
      case "paste-below":
        return e.paste(false);
      case "paste-above":
        return e.paste(true);
      case "undo-delete":
        return e.undoDelete();
      case "merge":
        return e.merge();
      case "to-code":
        return e.setType("code");
      case "to-markdown":
        return e.setType("markdown");
      case "to-raw":
        return e.setType("raw");
      case "save":
        return void this.saves.save(true);
      case "shortcuts":
        return showShortcuts(this.commands.list());
      case "interrupt":
        return void this.kernel.interrupt();
      case "restart":
        return void this.kernel.restart(false);
      case "find-replace":
        return void this.commands.run("edit:find-replace");
    }
  }

  private runAndAdvance(): void {
    const hi = this.sel.hi;
    void this.runner.runCells(this.sel.selected());
    if (hi >= this.list.length - 1) {
      this.edits.insertCells(this.list.length, [this.fresh("code")]);
      this.sel.select(this.list.length - 1);
      this.sel.editMode("start");
    } else {
      this.sel.select(hi + 1);
      this.sel.commandMode();
    }
  }

  private runInPlace(): void {
    void this.runner.runCells(this.sel.selected());
    this.sel.commandMode();
  }

  private runAndInsert(): void {
    const hi = this.sel.hi;
    void this.runner.runCells(this.sel.selected());
    this.edits.insertCells(hi + 1, [this.fresh("code")]);
    this.sel.select(hi + 1);
    this.sel.editMode("start");
  }
}
