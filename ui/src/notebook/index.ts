// The notebook editor: {base}notebooks/<path>. The model (CellData per
// Cell) is the source of truth; editors, outputs and markdown are views
// created lazily so large notebooks open fast.
import "./notebook.css";
import type { Extension } from "@codemirror/state";
import { ApiError, contents, kernels, kernelspecs, pageUrl, sessions, type KernelSpecs, type SessionModel } from "../api";
import { h } from "../dom";
import { confirmDialog, notify, promptDialog, showDialog } from "../dialog";
import { joinPath, splitPath } from "../paths";
import { mountShell, type Shell } from "../shell";
import type { MimeBundle, Output, OutputArea } from "../outputs/index";
import type { Cell, CellHost } from "./cell";
import type { EditorHooks } from "./editor";
import { KernelConnection, type KernelMessage, type KernelState, type RequestHandlers } from "./kernel";
import {
  cloneCell,
  copyName,
  newCell,
  parseNotebook,
  randomHex,
  randomId,
  serialiseCell,
  wantsIds,
  type CellData,
  type CellType,
  type Json,
  type NotebookData,
} from "./model";
import { isMac, showShortcuts } from "./shortcuts";

export function mount(root: HTMLElement, path: string): void {
  const view = new NotebookView(root, path);
  void view.start();
}

type ViewModule = typeof import("./view");
let V: ViewModule | null = null;

type SaveState = "saved" | "unsaved" | "saving" | "error";

interface RunBatch {
  cells: Cell[];
  ids: Map<Cell, string>;
  stopped: boolean;
}

const AUTOSAVE_MS = 120_000;
/** Cells put into the page at once on load; the rest follow in chunks. */
const FIRST_CHUNK = 40;
const LATER_CHUNK = 250;
const CLIPBOARD_KEY = "quire-notebook-clipboard";
let clipboard: CellData[] = [];

const stateText: Record<KernelState, string> = {
  starting: "Starting",
  idle: "Idle",
  busy: "Busy",
  restarting: "Restarting",
  disconnected: "Disconnected",
  dead: "Dead",
  unresponsive: "Not responding",
};

// The WebSocket session id is kept per kernel in localStorage, with the
// cells whose runs are outstanding: a page opened later reconnects with the
// same id, and the output the server buffered meanwhile finds its cell.
const KERNEL_STORE = "quire-kernel-clients";

interface KernelRecord {
  client: string;
  runs: Record<string, { path: string; cell: string }>;
  t: number;
}

function loadStore(): Record<string, KernelRecord> {
  try {
    const v = JSON.parse(localStorage.getItem(KERNEL_STORE) || "{}") as unknown;
    return typeof v === "object" && v !== null ? (v as Record<string, KernelRecord>) : {};
  } catch {
    return {};
  }
}

function saveStore(s: Record<string, KernelRecord>): void {
  const keys = Object.keys(s).sort((a, b) => s[b].t - s[a].t);
  for (const k of keys.slice(20)) delete s[k];
  try {
    localStorage.setItem(KERNEL_STORE, JSON.stringify(s));
  } catch {
    /* storage unavailable: replay across page loads just does not happen */
  }
}

function kernelRecord(s: Record<string, KernelRecord>, kernelId: string): KernelRecord {
  let r = s[kernelId];
  if (!r || typeof r.client !== "string" || typeof r.runs !== "object" || r.runs === null) {
    r = { client: randomHex(16), runs: {}, t: Date.now() };
    s[kernelId] = r;
  }
  return r;
}

function clientIdFor(kernelId: string): string {
  const s = loadStore();
  const r = kernelRecord(s, kernelId);
  r.t = Date.now();
  saveStore(s);
  return r.client;
}

function rememberRun(kernelId: string, msgId: string, path: string, cell: string): void {
  const s = loadStore();
  const r = kernelRecord(s, kernelId);
  r.runs[msgId] = { path, cell };
  const ids = Object.keys(r.runs);
  for (const id of ids.slice(0, Math.max(0, ids.length - 500))) delete r.runs[id];
  saveStore(s);
}

function forgetRuns(kernelId: string, msgIds: string[] | null): void {
  const s = loadStore();
  const r = s[kernelId];
  if (!r || !r.runs) return;
  if (msgIds === null) r.runs = {};
  else for (const id of msgIds) delete r.runs[id];
  saveStore(s);
}

function lookupRun(kernelId: string, msgId: string): { path: string; cell: string } | undefined {
  return loadStore()[kernelId]?.runs?.[msgId];
}

/** idle runs fn when the browser is idle (soon in any case). */
function idle(fn: () => void): number {
  if (typeof window.requestIdleCallback === "function") return window.requestIdleCallback(fn, { timeout: 400 });
  return setTimeout(fn, 16) as unknown as number;
}

function cancelIdle(id: number): void {
  if (typeof window.cancelIdleCallback === "function") window.cancelIdleCallback(id);
  else clearTimeout(id);
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class NotebookView implements CellHost {
  notebookPath: string;
  private shell: Shell;
  private list: HTMLElement;
  private banners: HTMLElement;
  private toolbar: HTMLElement;
  private cells: Cell[] = [];
  private nb: NotebookData = { metadata: {}, nbformat: 4, nbformat_minor: 5, extra: {}, cells: [] };
  private hash: string | undefined;
  private dirty = false;
  private changeGen = 0;
  private saving = false;
  private conflictOpen = false;
  private mode: "command" | "edit" = "command";
  private active = 0;
  private anchor = 0;
  private shownSel = new Set<Cell>();
  private tabCell: Cell | null = null;
  private kernel: KernelConnection | null = null;
  private session: SessionModel | null = null;
  private specs: KernelSpecs | null = null;
  private language: Extension = [];
  private languageName = "python";
  private displays = new Map<string, Set<OutputArea>>();
  private deleted: { index: number; cells: CellData[] }[] = [];
  private observer: IntersectionObserver | null = null;
  private byEl = new WeakMap<Element, Cell>();
  private lastKey = { key: "", time: 0 };
  private batches = new Set<RunBatch>();
  // header and toolbar parts
  private titleBtn: HTMLButtonElement;
  private kernelName: HTMLElement;
  private kernelStatus: HTMLElement;
  private saveStateEl: HTMLElement;
  private trustBtn!: HTMLButtonElement;
  private typeSelect!: HTMLSelectElement;
  private lostBanner: HTMLElement | null = null;
  private deadBanner: HTMLElement | null = null;
  private unresponsiveBanner: HTMLElement | null = null;
  private replacedBanner: HTMLElement | null = null;
  private loaded = false;
  private attached = 0;
  private attachTimer: number | null = null;

  constructor(root: HTMLElement, path: string) {
    this.notebookPath = path;
    const { name } = splitPath(path);
    this.shell = mountShell(root, name);
    this.titleBtn = h("button", { type: "button", class: "nb-title", title: "Rename notebook", "aria-label": `Rename notebook ${name}`, text: name });
    this.titleBtn.addEventListener("click", () => void this.rename());
    this.shell.title.replaceChildren(this.titleBtn);
    this.kernelName = h("span", { class: "nb-kname", "data-testid": "kernel-name", text: "No kernel" });
    this.kernelStatus = h(
      "span",
      { class: "nb-kstatus", "data-testid": "kernel-status", "data-state": "starting", title: "Kernel starting" },
      h("span", { class: "nb-dot", "aria-hidden": "true" }),
      h("span", { class: "nb-kstatus-text", text: stateText.starting }),
    );
    this.saveStateEl = h("span", { class: "nb-savestate", "data-testid": "save-state", "data-state": "saved", role: "status", text: "Saved" });
    this.shell.tools.append(this.saveStateEl, this.kernelName, this.kernelStatus);
    this.toolbar = this.buildToolbar();
    this.banners = h("div", { class: "nb-banners" });
    this.list = h("div", {
      class: "nb-cells",
      "data-testid": "notebook",
      "data-mode": "command",
      role: "region",
      "aria-label": "Notebook cells",
    });
    this.shell.main.classList.add("nb-main");
    // The toolbar sticks just below the (sticky, wrapping) header.
    if ("ResizeObserver" in window) {
      new ResizeObserver(() => {
        document.documentElement.style.setProperty("--nb-header-h", this.shell.header.offsetHeight + "px");
      }).observe(this.shell.header);
    }
    this.shell.main.append(this.toolbar, this.banners, this.list);
    document.addEventListener("keydown", (ev) => this.onKey(ev));
    this.list.addEventListener("mousedown", (ev) => {
      const t = ev.target as HTMLElement;
      const el = t.closest?.(".nb-cell");
      const c = el ? this.byEl.get(el) : undefined;
      if (c) this.cellMouseDown(c, ev, c.onSource(t));
    });
    this.list.addEventListener("focusin", (ev) => {
      const t = ev.target as HTMLElement;
      if (!t.classList?.contains("nb-cell")) return;
      const c = this.byEl.get(t);
      if (c && c.index !== this.active && this.mode === "command") this.select(c.index);
    });
    this.list.addEventListener("dblclick", (ev) => {
      const t = ev.target as HTMLElement;
      const el = t.closest?.(".nb-cell");
      const c = el ? this.byEl.get(el) : undefined;
      if (c && c.onRendered(t)) this.cellDoubleClick(c);
    });
    window.addEventListener("beforeunload", (ev) => {
      if (this.dirty) {
        ev.preventDefault();
        ev.returnValue = "";
      }
    });
    window.setInterval(() => {
      if (this.dirty && !this.saving && !this.conflictOpen && this.loaded) void this.save(false);
    }, AUTOSAVE_MS);
    if ("IntersectionObserver" in window) {
      this.observer = new IntersectionObserver(
        (entries) => {
          for (const e of entries) {
            if (!e.isIntersecting) continue;
            const c = this.byEl.get(e.target);
            this.observer?.unobserve(e.target);
            c?.hydrate();
          }
        },
        { rootMargin: "600px 0px" },
      );
    }
    try {
      const saved = localStorage.getItem(CLIPBOARD_KEY);
      if (saved && clipboard.length === 0) clipboard = JSON.parse(saved) as CellData[];
    } catch {
      /* storage unavailable */
    }
  }

  async start(): Promise<void> {
    try {
      await this.load();
    } catch (e) {
      this.list.replaceChildren(h("p", { class: "q-fatal", role: "alert", text: `Cannot open ${this.notebookPath}: ${errText(e)}` }));
      this.setKernelState("dead");
      this.kernelStatus.querySelector(".nb-kstatus-text")!.textContent = "No kernel";
      return;
    }
    await this.startKernel();
  }

  // ---- toolbar ---------------------------------------------------------------

  private btn(testid: string, label: string, text: string, fn: () => void, extra: Record<string, string> = {}): HTMLButtonElement {
    const b = h("button", { type: "button", class: "q-btn nb-tb", "data-testid": testid, "aria-label": label, title: label, ...extra }, text);
    b.addEventListener("click", () => fn());
    return b;
  }

  private buildToolbar(): HTMLElement {
    const refocus = (fn: () => void) => () => {
      fn();
      if (this.mode === "command") this.focusActive();
    };
    this.typeSelect = h(
      "select",
      { class: "nb-type", "data-testid": "cell-type", "aria-label": "Cell type" },
      h("option", { value: "code", text: "Code" }),
      h("option", { value: "markdown", text: "Markdown" }),
      h("option", { value: "raw", text: "Raw" }),
    );
    this.typeSelect.addEventListener("change", () => {
      this.setType(this.typeSelect.value as CellType);
      this.focusActive();
    });
    this.trustBtn = this.btn("trust", "Trust notebook", "Not trusted", () => void this.trust(), { "data-trusted": "false" });
    const menuItems: [string, () => void][] = [
      ["Insert cell above", () => this.insertAt(this.active, "code")],
      ["Run cells above", () => void this.runCells(this.cells.slice(0, this.active))],
      ["Run this cell and below", () => void this.runCells(this.cells.slice(this.active))],
      ["Split cell at cursor", () => this.split()],
      ["Merge selected cells (or with below)", () => this.merge()],
      ["Clear selected cells' outputs", () => this.clearOutputs(this.selected())],
      ["Clear all outputs", () => this.clearOutputs(this.cells)],
    ];
    const menu = h("details", { class: "nb-menu" }, h("summary", { class: "q-btn nb-tb", "aria-label": "More cell actions", text: "Cell ▾" }));
    const menuList = h("div", { class: "nb-menu-list", role: "menu" });
    for (const [label, fn] of menuItems) {
      const b = h("button", { type: "button", class: "nb-menu-item", role: "menuitem", text: label });
      b.addEventListener("click", () => {
        menu.open = false;
        fn();
        if (this.mode === "command") this.focusActive();
      });
      menuList.appendChild(b);
    }
    menu.appendChild(menuList);
    menu.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && menu.open) {
        ev.stopPropagation();
        menu.open = false;
        (menu.querySelector("summary") as HTMLElement).focus();
      }
    });
    const group = (label: string, ...kids: HTMLElement[]) => h("div", { class: "nb-tb-group", role: "group", "aria-label": label }, ...kids);
    return h(
      "div",
      { class: "nb-toolbar", role: "toolbar", "aria-label": "Notebook actions" },
      group("File", this.btn("save", "Save and checkpoint", "Save", () => void this.save(true)), this.btn("revert", "Revert to checkpoint", "Revert", () => void this.revert())),
      group(
        "Edit cells",
        this.btn("insert-below", "Insert cell below", "+", refocus(() => this.insertBelow("code"))),
        this.btn("delete-cell", "Delete selected cells", "Delete", refocus(() => this.deleteSelected())),
        this.btn("cut-cells", "Cut selected cells", "Cut", refocus(() => this.cut())),
        this.btn("copy-cells", "Copy selected cells", "Copy", refocus(() => this.copy())),
        this.btn("paste-cells", "Paste cells below", "Paste", refocus(() => this.paste(false))),
        this.btn("move-up", "Move selected cells up", "↑", refocus(() => this.move(-1))),
        this.btn("move-down", "Move selected cells down", "↓", refocus(() => this.move(1))),
      ),
      group(
        "Run",
        this.btn("run-cell", "Run selected cells and advance", "▶ Run", () => this.runAndAdvance()),
        this.btn("run-all", "Run all cells", "▶▶ Run all", () => void this.runCells(this.cells)),
        this.btn("interrupt", "Interrupt the kernel", "■", () => void this.interrupt()),
        this.btn("restart", "Restart the kernel", "↻", () => void this.restart(false)),
        this.btn("restart-run-all", "Restart the kernel and run all cells", "↻▶▶", () => void this.restart(true)),
        this.btn("clear-outputs", "Clear all outputs", "Clear", refocus(() => this.clearOutputs(this.cells))),
      ),
      group("Cell", this.typeSelect, menu),
      group(
        "Kernel and notebook",
        this.btn("change-kernel", "Change kernel", "Kernel…", () => void this.changeKernel()),
        this.trustBtn,
        this.btn("shortcuts", "Keyboard shortcuts", "⌨", () => showShortcuts()),
      ),
    );
  }

  // ---- load and save ----------------------------------------------------------

  private async load(): Promise<void> {
    performance.mark("quire:nb-fetch");
    const viewP = V ? Promise.resolve(V) : import("./view");
    const [m, view] = await Promise.all([contents.get(this.notebookPath, { type: "notebook", hash: true }), viewP]);
    if (!V) {
      V = view;
      this.language = view.pythonLanguage;
    }
    performance.mark("quire:nb-fetched");
    this.hash = m.hash ?? undefined;
    this.nb = parseNotebook(m.content);
    performance.mark("quire:nb-parsed");
    this.buildCells(this.nb.cells);
    performance.mark("quire:nb-built");
    this.nb.cells = [];
    this.setDirty(false);
    this.loaded = true;
    const lang = this.nb.metadata.language_info as Json | undefined;
    const ks = this.nb.metadata.kernelspec as Json | undefined;
    const mode = lang?.codemirror_mode;
    const name = (typeof mode === "string" ? mode : (mode as Json | undefined)?.name) ?? lang?.name ?? ks?.language;
    if (typeof name === "string") void this.setLanguage(name);
    if (m.writable === false) notify("This notebook is read-only: changes cannot be saved here.", "error");
  }

  private buildCells(datas: CellData[]): void {
    for (const c of this.cells) c.destroy();
    this.observer?.disconnect();
    this.displays.clear();
    this.shownSel.clear();
    this.cells = datas.map((d) => this.makeCell(d));
    if (this.cells.length === 0) this.cells.push(this.makeCell(newCell("code", "", wantsIds(this.nb))));
    this.attached = 0;
    this.list.replaceChildren();
    this.attachMore(FIRST_CHUNK);
    if (this.attached < this.cells.length) this.scheduleAttach();
    this.active = this.anchor = 0;
    this.updateSelection();
    this.updateTrust();
  }

  private makeCell(d: CellData): Cell {
    const c = new V!.Cell(d, this);
    this.byEl.set(c.el, c);
    return c;
  }

  /** attachMore puts up to n more of the loaded cells into the page. */
  private attachMore(n: number): void {
    const end = Math.min(this.cells.length, this.attached + n);
    if (end <= this.attached) return;
    const frag = document.createDocumentFragment();
    for (let i = this.attached; i < end; i++) {
      const c = this.cells[i];
      c.setIndex(i);
      frag.appendChild(c.el);
    }
    this.list.appendChild(frag);
    for (let i = this.attached; i < end; i++) this.observe(this.cells[i]);
    this.attached = end;
  }

  private scheduleAttach(): void {
    if (this.attachTimer !== null) return;
    // When the page is idle, so clicks and typing go first.
    this.attachTimer = idle(() => {
      this.attachTimer = null;
      this.attachMore(LATER_CHUNK);
      if (this.attached < this.cells.length) this.scheduleAttach();
    });
  }

  /** attachAll finishes attaching before anything changes the cell list. */
  private attachAll(): void {
    if (this.attachTimer !== null) {
      cancelIdle(this.attachTimer);
      this.attachTimer = null;
    }
    this.attachMore(this.cells.length);
  }

  private observe(c: Cell): void {
    if (this.observer) this.observer.observe(c.el);
    else c.hydrate();
  }

  toJSON(): Json {
    return {
      ...this.nb.extra,
      cells: this.cells.map((c) => serialiseCell(c.data, c.outputs())),
      metadata: this.nb.metadata,
      nbformat: this.nb.nbformat,
      nbformat_minor: this.nb.nbformat_minor,
    };
  }

  private setSaveState(s: SaveState, detail = ""): void {
    this.saveStateEl.setAttribute("data-state", s);
    const text = { saved: "Saved", unsaved: "Unsaved changes", saving: "Saving…", error: "Save failed" }[s];
    this.saveStateEl.textContent = text;
    this.saveStateEl.title = detail || text;
  }

  private setDirty(d: boolean): void {
    if (d) this.changeGen++;
    this.dirty = d;
    if (!this.saving) this.setSaveState(d ? "unsaved" : "saved");
  }

  /** changed marks the notebook dirty (every model edit calls it). */
  private changed(): void {
    this.setDirty(true);
  }

  async save(explicit: boolean, force = false): Promise<void> {
    if (this.saving) return;
    const ifMatch = force ? undefined : this.hash;
    this.saving = true;
    this.setSaveState("saving");
    const gen = this.changeGen;
    let conflict = false;
    try {
      const m = await contents.save(this.notebookPath, { type: "notebook", format: "json", content: this.toJSON() }, ifMatch);
      this.hash = m.hash ?? undefined;
      this.saving = false;
      if (this.changeGen === gen) this.setDirty(false);
      else this.setSaveState("unsaved");
      if (explicit) {
        try {
          await contents.createCheckpoint(this.notebookPath);
        } catch (e) {
          notify("Saved, but the checkpoint failed: " + errText(e), "error");
        }
      }
    } catch (e) {
      this.saving = false;
      if (e instanceof ApiError && e.status === 412) conflict = true;
      else {
        this.setSaveState("error", errText(e));
        notify("The notebook was not saved: " + errText(e), "error");
      }
    }
    if (conflict) await this.resolveConflict(explicit);
  }

  private async resolveConflict(explicit: boolean): Promise<void> {
    if (this.conflictOpen) return;
    this.conflictOpen = true;
    this.setSaveState("error", "The file changed on disk");
    const r = await showDialog<"mine" | "theirs" | "copy">({
      testid: "conflict-dialog",
      title: "The notebook changed on disk",
      body: `${this.notebookPath} was changed by someone or something else since you opened it. Keep your version (overwrite the file), load the version on disk (your unsaved changes are lost), or save yours as a copy?`,
      buttons: [
        { label: "Keep mine", value: "mine", primary: true },
        { label: "Load theirs", value: "theirs", danger: true },
        { label: "Save as copy", value: "copy" },
      ],
    });
    this.conflictOpen = false;
    if (r.value === "mine") await this.save(explicit, true);
    else if (r.value === "theirs") {
      try {
        await this.load();
        notify("Loaded the version on disk.");
      } catch (e) {
        notify("Could not load the notebook: " + errText(e), "error");
      }
    } else if (r.value === "copy") await this.saveCopy();
    else this.setSaveState(this.dirty ? "unsaved" : "error", "Not saved: the file changed on disk");
  }

  private async saveCopy(): Promise<void> {
    const { dir, name } = splitPath(this.notebookPath);
    let target = "";
    for (let n = 1; n < 1000; n++) {
      const p = joinPath(dir, copyName(name, n));
      try {
        await contents.get(p, { content: false });
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          target = p;
          break;
        }
        notify("Could not save a copy: " + errText(e), "error");
        return;
      }
    }
    if (!target) return;
    try {
      await contents.save(target, { type: "notebook", format: "json", content: this.toJSON() });
    } catch (e) {
      notify("Could not save a copy: " + errText(e), "error");
      this.setSaveState("error", errText(e));
      return;
    }
    this.dirty = false;
    this.kernel?.close();
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
    if (this.session) {
      try {
        this.session = await sessions.setPath(this.session.id, this.notebookPath);
      } catch (e) {
        notify("Renamed, but the kernel session was not updated: " + errText(e), "error");
      }
    }
    history.replaceState(null, "", pageUrl("notebooks", this.notebookPath));
    const newName = splitPath(this.notebookPath).name;
    this.titleBtn.textContent = newName;
    this.titleBtn.setAttribute("aria-label", `Rename notebook ${newName}`);
    document.title = `${newName} — Quire`;
  }

  // ---- trust ------------------------------------------------------------------

  private isTrusted(): boolean {
    for (const c of this.cells) if (c.type === "code" && c.data.metadata.trusted !== true) return false;
    return true;
  }

  private updateTrust(): void {
    const t = this.isTrusted();
    this.trustBtn.setAttribute("data-trusted", String(t));
    this.trustBtn.textContent = t ? "Trusted" : "Not trusted";
    this.trustBtn.setAttribute("aria-label", t ? "Notebook is trusted" : "Trust notebook");
    this.trustBtn.title = t ? "This notebook is trusted: its HTML and JavaScript outputs run (sandboxed)" : "Not trusted: rich outputs are shown in safe form only. Click to trust.";
  }

  private async trust(): Promise<void> {
    if (this.isTrusted()) {
      notify("This notebook is already trusted.");
      return;
    }
    const ok = await confirmDialog(
      "Trust this notebook?",
      "A trusted notebook's stored HTML and JavaScript outputs run (in a sandboxed frame) when it is opened. Trust it only if you know where it came from.",
      "Trust",
    );
    if (!ok) return;
    // The server signs the file on disk and then keeps later saves signed
    // only for outputs it vouches for: save first, so what the user sees
    // (pasted or uploaded outputs included) is what gets trusted.
    if (this.dirty) await this.save(false);
    try {
      await contents.trust(this.notebookPath);
    } catch (e) {
      // An empty 201 body is fine; anything the server refused is not.
      if (e instanceof ApiError) {
        notify("Could not trust the notebook: " + errText(e), "error");
        return;
      }
    }
    for (const c of this.cells) if (c.type === "code") c.setTrusted(true);
    this.updateTrust();
    notify("The notebook is trusted.");
  }

  // ---- CellHost -------------------------------------------------------------

  codeLanguage(): Extension {
    return this.language;
  }

  registerDisplays(area: OutputArea): void {
    for (const id of area.displayIds()) {
      let s = this.displays.get(id);
      if (!s) this.displays.set(id, (s = new Set()));
      s.add(area);
    }
  }

  private updateDisplay(id: string, data: MimeBundle, metadata: Record<string, unknown>): void {
    const s = this.displays.get(id);
    if (!s) return;
    for (const a of s) {
      if (!a.element.isConnected) {
        s.delete(a);
        continue;
      }
      a.updateDisplay(id, data, metadata);
    }
    this.changed();
  }

  editorHooks(cell: Cell): EditorHooks {
    return {
      change: (text) => {
        cell.data.source = text;
        this.changed();
      },
      focus: () => {
        if (cell.index !== this.active || this.selected().length > 1) this.select(cell.index);
        this.setMode("edit");
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
        this.commandMode();
        return true;
      },
      split: () => {
        this.split();
        return true;
      },
      up: () => {
        if (cell.index <= 0) return false;
        this.select(cell.index - 1);
        this.editMode("end");
        return true;
      },
      down: () => {
        if (cell.index >= this.cells.length - 1) return false;
        this.select(cell.index + 1);
        this.editMode("start");
        return true;
      },
      save: () => {
        void this.save(true);
        return true;
      },
    };
  }

  cellMouseDown(cell: Cell, ev: MouseEvent, onSource: boolean): void {
    const t = ev.target as HTMLElement;
    if (ev.button !== 0) return;
    if (onSource) {
      if (ev.shiftKey && !cell.editor) {
        ev.preventDefault();
        this.select(cell.index, true);
        this.commandMode();
        return;
      }
      this.select(cell.index);
      if (!cell.editor || (cell.type === "markdown" && cell.rendered)) {
        ev.preventDefault();
        const coords = { x: ev.clientX, y: ev.clientY };
        cell.focusEditor("keep", coords);
      }
      this.setMode("edit");
      return;
    }
    if (t.closest("input, textarea, select, button, a, iframe, summary, [contenteditable]")) {
      this.select(cell.index, ev.shiftKey);
      return;
    }
    this.select(cell.index, ev.shiftKey);
    if (this.mode === "edit") this.commandMode();
  }

  cellDoubleClick(cell: Cell): void {
    if (cell.type !== "markdown") return;
    this.select(cell.index);
    this.editMode("end");
  }

  // ---- selection and modes ----------------------------------------------------

  private lo(): number {
    return Math.min(this.anchor, this.active);
  }

  private hi(): number {
    return Math.max(this.anchor, this.active);
  }

  private selected(): Cell[] {
    return this.cells.slice(this.lo(), this.hi() + 1);
  }

  private updateSelection(): void {
    const want = new Set(this.selected());
    for (const c of this.shownSel) if (!want.has(c)) c.setSelected(false, false);
    for (const c of want) c.setSelected(true, c.index === this.active);
    // Roving tabindex: Tab reaches the notebook at its active cell.
    if (this.tabCell && this.tabCell !== this.cells[this.active]) this.tabCell.el.tabIndex = -1;
    this.tabCell = this.cells[this.active] ?? null;
    if (this.tabCell) this.tabCell.el.tabIndex = 0;
    this.shownSel = want;
    const a = this.cells[this.active];
    if (a) {
      this.typeSelect.value = a.type;
      a.hydrate();
      if (a.type !== "markdown") {
        // While a big notebook loads, the editor can wait for an idle moment.
        if (this.loaded) a.ensureEditor();
        else idle(() => a.el.isConnected && a.ensureEditor());
      }
    }
  }

  select(i: number, extend = false): void {
    if (this.cells.length === 0) return;
    i = Math.max(0, Math.min(this.cells.length - 1, i));
    if (i >= this.attached || this.anchor >= this.attached) this.attachAll();
    const prev = this.cells[this.active];
    this.active = i;
    if (!extend) this.anchor = i;
    if (prev && prev !== this.cells[i] && this.mode === "edit") prev.blurEditor();
    this.updateSelection();
  }

  private setMode(m: "command" | "edit"): void {
    this.mode = m;
    this.list.setAttribute("data-mode", m);
  }

  private focusActive(): void {
    const c = this.cells[this.active];
    if (!c) return;
    c.el.focus({ preventScroll: true });
    c.el.scrollIntoView({ block: "nearest" });
  }

  commandMode(): void {
    const c = this.cells[this.active];
    this.setMode("command");
    c?.blurEditor();
    this.focusActive();
  }

  editMode(where: "start" | "end" | "keep" = "keep"): void {
    const c = this.cells[this.active];
    if (!c) return;
    this.anchor = this.active;
    this.updateSelection();
    this.setMode("edit");
    c.focusEditor(where);
    c.el.scrollIntoView({ block: "nearest" });
  }

  // ---- keyboard -----------------------------------------------------------------

  private onKey(ev: KeyboardEvent): void {
    if (!this.loaded) return;
    const t = ev.target as HTMLElement | null;
    const inDialog = !!document.querySelector("dialog[open]");
    const mod = isMac ? ev.metaKey : ev.ctrlKey;
    if (mod && !ev.altKey && !ev.shiftKey && ev.key.toLowerCase() === "s") {
      if (inDialog) return;
      ev.preventDefault();
      void this.save(true);
      return;
    }
    if (inDialog || this.mode !== "command") return;
    if (t && t !== document.body) {
      if (t.closest("input, textarea, select, [contenteditable='true'], .cm-editor, .nb-menu, dialog")) return;
      const isControl = !!t.closest("button, a, summary");
      if (isControl && (ev.key === "Enter" || ev.key === " ")) return;
    }
    const key = ev.key;
    const ctrlish = ev.ctrlKey || ev.metaKey;
    const now = Date.now();
    const twice = (k: string) => {
      const yes = this.lastKey.key === k && now - this.lastKey.time < 800;
      this.lastKey = yes ? { key: "", time: 0 } : { key: k, time: now };
      return yes;
    };
    let handled = true;
    if (key === "Enter") {
      if (ev.shiftKey && !ctrlish && !ev.altKey) this.runAndAdvance();
      else if (ctrlish) this.runInPlace();
      else if (ev.altKey) this.runAndInsert();
      else this.editMode("keep");
    } else if (ctrlish || ev.altKey) {
      handled = false;
    } else if (key === "ArrowUp" || key === "k" || key === "K") {
      this.select(this.active - 1, ev.shiftKey);
      this.focusActive();
    } else if (key === "ArrowDown" || key === "j" || key === "J") {
      this.select(this.active + 1, ev.shiftKey);
      this.focusActive();
    } else if (ev.shiftKey) {
      if (key === "V") this.paste(true);
      else if (key === "M") this.merge();
      else handled = false;
    } else {
      switch (key) {
        case "a":
          this.insertAt(this.lo(), "code");
          break;
        case "b":
          this.insertBelow("code");
          break;
        case "d":
          if (twice("d")) this.deleteSelected();
          break;
        case "x":
          this.cut();
          break;
        case "c":
          this.copy();
          break;
        case "v":
          this.paste(false);
          break;
        case "z":
          this.undoDelete();
          break;
        case "y":
          this.setType("code");
          break;
        case "m":
          this.setType("markdown");
          break;
        case "r":
          this.setType("raw");
          break;
        case "s":
          void this.save(true);
          break;
        case "h":
          showShortcuts();
          break;
        case "i":
          if (twice("i")) void this.interrupt();
          break;
        case "0":
          if (twice("0")) void this.restart(false);
          break;
        default:
          handled = false;
      }
    }
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
    if (key !== "d" && key !== "i" && key !== "0" && key !== "Shift") this.lastKey = { key: "", time: 0 };
  }

  // ---- cell operations -------------------------------------------------------

  private renumber(from = 0): void {
    for (let i = from; i < this.cells.length; i++) this.cells[i].setIndex(i);
  }

  private insertCells(index: number, datas: CellData[]): Cell[] {
    this.attachAll();
    const made = datas.map((d) => this.makeCell(d));
    const before = this.cells[index]?.el ?? null;
    const frag = document.createDocumentFragment();
    for (const c of made) {
      this.byEl.set(c.el, c);
      frag.appendChild(c.el);
    }
    this.list.insertBefore(frag, before);
    this.cells.splice(index, 0, ...made);
    this.renumber(index);
    for (const c of made) c.hydrate();
    this.changed();
    this.updateTrust();
    return made;
  }

  private fresh(type: CellType, source = ""): CellData {
    return newCell(type, source, wantsIds(this.nb));
  }

  insertAt(index: number, type: CellType): void {
    this.insertCells(index, [this.fresh(type)]);
    this.select(index);
    this.commandModeIfNotEditing();
  }

  insertBelow(type: CellType): void {
    this.insertAt(this.hi() + 1, type);
  }

  private commandModeIfNotEditing(): void {
    if (this.mode === "edit") this.commandMode();
    else this.focusActive();
  }

  private removeRange(lo: number, hi: number, remember: boolean): CellData[] {
    this.attachAll();
    const gone = this.cells.slice(lo, hi + 1);
    const datas = gone.map((c) => cloneCell(c.data, c.outputs()));
    for (const c of gone) {
      this.shownSel.delete(c);
      c.el.remove();
      c.destroy();
    }
    this.cells.splice(lo, gone.length);
    if (remember) {
      this.deleted.push({ index: lo, cells: datas });
      if (this.deleted.length > 50) this.deleted.shift();
    }
    if (this.cells.length === 0) {
      const c = this.makeCell(this.fresh("code"));
      this.byEl.set(c.el, c);
      this.list.appendChild(c.el);
      this.cells.push(c);
      c.hydrate();
    }
    this.renumber(lo);
    this.changed();
    this.updateTrust();
    return datas;
  }

  deleteSelected(): void {
    const lo = this.lo();
    this.removeRange(lo, this.hi(), true);
    this.active = this.anchor = Math.min(lo, this.cells.length - 1);
    this.updateSelection();
    this.commandModeIfNotEditing();
  }

  undoDelete(): void {
    const d = this.deleted.pop();
    if (!d) return;
    const at = Math.min(d.index, this.cells.length);
    this.insertCells(at, d.cells);
    this.active = at + d.cells.length - 1;
    this.anchor = at;
    this.updateSelection();
    this.focusActive();
  }

  copy(): void {
    clipboard = this.selected().map((c) => cloneCell(c.data, c.outputs()));
    try {
      localStorage.setItem(CLIPBOARD_KEY, JSON.stringify(clipboard));
    } catch {
      /* too big or unavailable: the in-page clipboard still works */
    }
  }

  cut(): void {
    this.copy();
    this.deleteSelected();
  }

  paste(above: boolean): void {
    if (clipboard.length === 0) {
      notify("The cell clipboard is empty.");
      return;
    }
    const ids = wantsIds(this.nb);
    const datas = clipboard.map((d) => {
      const c = JSON.parse(JSON.stringify(d)) as CellData;
      c.id = ids ? randomId(12) : undefined;
      return c;
    });
    const at = above ? this.lo() : this.hi() + 1;
    this.insertCells(at, datas);
    this.anchor = at;
    this.active = at + datas.length - 1;
    this.updateSelection();
    this.focusActive();
  }

  move(dir: -1 | 1): void {
    this.attachAll();
    const lo = this.lo();
    const hi = this.hi();
    if (dir < 0 && lo === 0) return;
    if (dir > 0 && hi >= this.cells.length - 1) return;
    if (dir < 0) {
      const other = this.cells[lo - 1];
      this.list.insertBefore(other.el, this.cells[hi].el.nextSibling);
      this.cells.splice(lo - 1, 1);
      this.cells.splice(hi, 0, other);
      this.renumber(lo - 1);
    } else {
      const other = this.cells[hi + 1];
      this.list.insertBefore(other.el, this.cells[lo].el);
      this.cells.splice(hi + 1, 1);
      this.cells.splice(lo, 0, other);
      this.renumber(lo);
    }
    this.active += dir;
    this.anchor += dir;
    this.updateSelection();
    this.cells[this.active].el.scrollIntoView({ block: "nearest" });
    this.changed();
  }

  setType(type: CellType): void {
    this.attachAll();
    let changedAny = false;
    for (const old of this.selected()) {
      if (old.type === type) continue;
      changedAny = true;
      const d = old.data;
      const data: CellData = {
        cell_type: type,
        id: d.id,
        source: d.source,
        metadata: { ...d.metadata },
        execution_count: null,
        outputs: [],
        attachments: type === "code" ? undefined : d.attachments,
        extra: { ...d.extra },
      };
      delete data.extra.__orig_cell_type;
      if (type === "code") data.metadata.trusted = true;
      else delete data.metadata.trusted;
      const c = this.makeCell(data);
      this.byEl.set(c.el, c);
      this.list.replaceChild(c.el, old.el);
      this.shownSel.delete(old);
      old.destroy();
      const i = old.index;
      this.cells[i] = c;
      c.setIndex(i);
      c.hydrate();
    }
    if (!changedAny) return;
    this.updateSelection();
    this.changed();
    this.updateTrust();
    if (this.mode === "edit") this.editMode("keep");
  }

  merge(): void {
    const lo = this.lo();
    let hi = this.hi();
    if (lo === hi) {
      if (hi >= this.cells.length - 1) return;
      hi = lo + 1;
    }
    const group = this.cells.slice(lo, hi + 1);
    const first = group[0];
    const text = group.map((c) => c.data.source).join("\n\n");
    if (first.type !== "code" && group.some((c) => c.data.attachments)) {
      const att: Json = {};
      for (const c of group) Object.assign(att, c.data.attachments ?? {});
      first.data.attachments = att;
    }
    this.removeRange(lo + 1, hi, true);
    first.setSource(text);
    first.clearOutputs();
    first.data.execution_count = null;
    first.updatePrompt();
    this.active = this.anchor = lo;
    this.updateSelection();
    this.changed();
    this.focusActive();
  }

  split(): void {
    const c = this.cells[this.active];
    if (!c) return;
    const pos = c.editor ? c.cursorOffset() : c.data.source.length;
    let before = c.data.source.slice(0, pos);
    let after = c.data.source.slice(pos);
    if (before.endsWith("\n")) before = before.slice(0, -1);
    if (after.startsWith("\n")) after = after.slice(1);
    c.setSource(before);
    const d = this.fresh(c.type, after);
    if (c.type === "code") d.metadata.trusted = true;
    this.insertCells(c.index + 1, [d]);
    this.select(c.index + 1);
    this.editMode("start");
  }

  clearOutputs(cells: Cell[]): void {
    for (const c of cells) {
      if (c.type !== "code") continue;
      c.clearOutputs();
      c.setTrusted(true);
      if (!c.running) c.data.execution_count = null;
      c.updatePrompt();
    }
    this.changed();
    this.updateTrust();
  }

  // ---- running -----------------------------------------------------------------

  runAndAdvance(): void {
    const sel = this.selected();
    const hi = this.hi();
    void this.runCells(sel);
    if (hi >= this.cells.length - 1) {
      this.insertCells(this.cells.length, [this.fresh("code")]);
      this.select(this.cells.length - 1);
      this.editMode("start");
    } else {
      this.select(hi + 1);
      this.commandMode();
    }
  }

  runInPlace(): void {
    void this.runCells(this.selected());
    this.commandMode();
  }

  runAndInsert(): void {
    const hi = this.hi();
    void this.runCells(this.selected());
    this.insertCells(hi + 1, [this.fresh("code")]);
    this.select(hi + 1);
    this.editMode("start");
  }

  private async waitConnected(ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (this.kernel?.connected) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return !!this.kernel?.connected;
  }

  async runCells(cells: Cell[]): Promise<void> {
    for (const c of cells) if (c.type === "markdown") c.renderMd();
    const code = cells.filter((c) => c.type === "code");
    if (code.length === 0) return;
    if (!this.kernel?.connected) {
      // Starting, or a connection is being opened: wait for it rather than refuse.
      const k = this.kernel;
      const starting = !!k && k.state !== "disconnected" && k.state !== "dead" && (k.connecting || k.state === "starting" || k.state === "restarting");
      if (!starting || !(await this.waitConnected(60_000))) {
        notify("Not connected to the kernel, so nothing was run. Wait for the connection to come back, or restart the kernel.", "error");
        return;
      }
    }
    const batch: RunBatch = { cells: code, ids: new Map(), stopped: false };
    this.batches.add(batch);
    for (const c of code) {
      if (batch.stopped) break;
      if (!this.execute(c, batch)) break;
    }
    // A kernel that is not responding gets them all the same: the server
    // queues them, and it runs them if it comes back (as behind a busy one).
    if (batch.ids.size > 0 && this.kernel?.state === "unresponsive") {
      notify(`The kernel is not responding: ${batch.ids.size > 1 ? "these cells run" : "the cell runs"} when it answers again.`);
    }
    this.updateTrust();
  }

  private execute(cell: Cell, batch: RunBatch): boolean {
    const k = this.kernel;
    if (!k || !k.connected) {
      notify("Not connected to the kernel, so the cell was not run.", "error");
      return false;
    }
    const area = cell.ensureArea();
    cell.clearOutputs();
    cell.setTrusted(true);
    const code = cell.data.source;
    if (!code.trim()) {
      cell.data.execution_count = null;
      cell.updatePrompt();
      this.changed();
      return true;
    }
    let msgId = "";
    const ref = { id: "" };
    try {
      msgId = k.send(
        "shell",
        "execute_request",
        { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true },
        this.runHandlers(cell, area, batch, ref),
      );
      ref.id = msgId;
    } catch (e) {
      notify(errText(e) + " The cell was not run.", "error");
      return false;
    }
    rememberRun(k.kernelId, msgId, this.notebookPath, this.cellKey(cell));
    batch.ids.set(cell, msgId);
    (cell as Cell & { runId?: string }).runId = msgId;
    cell.setRunning(true);
    this.changed();
    return true;
  }

  private cellKey(cell: Cell): string {
    return cell.data.id ?? "#" + cell.index;
  }

  private runHandlers(cell: Cell, area: OutputArea, batch: RunBatch, ref: { id: string }): RequestHandlers {
    return {
      iopub: (msg) => this.onIopub(cell, area, msg),
      stdin: (msg) => void this.onStdin(cell, msg),
      reply: (msg) => this.onReply(cell, batch, ref.id, msg),
    };
  }

  /** adopt claims replayed messages of a run an earlier page started. */
  private adopt(msgId: string, msg: KernelMessage): RequestHandlers | undefined {
    const k = this.kernel;
    if (!k) return undefined;
    const r = lookupRun(k.kernelId, msgId);
    if (!r || r.path !== this.notebookPath) return undefined;
    if (msg.channel === "iopub" && msg.header.msg_type === "status" && msg.content.execution_state === "idle") {
      forgetRuns(k.kernelId, [msgId]);
      return undefined;
    }
    const cell = this.cells.find((c) => this.cellKey(c) === r.cell);
    if (!cell || cell.type !== "code") return undefined;
    const area = cell.ensureArea();
    cell.setTrusted(true);
    cell.showOutputs();
    const batch: RunBatch = { cells: [cell], ids: new Map([[cell, msgId]]), stopped: false };
    (cell as Cell & { runId?: string }).runId = msgId;
    cell.setRunning(true);
    return this.runHandlers(cell, area, batch, { id: msgId });
  }

  private onIopub(cell: Cell, area: OutputArea, msg: KernelMessage): void {
    const c = msg.content;
    const type = msg.header.msg_type;
    let out: Output | null = null;
    switch (type) {
      case "execute_input":
        if (typeof c.execution_count === "number") cell.data.execution_count = c.execution_count;
        return;
      case "stream":
        out = { output_type: "stream", name: c.name === "stderr" ? "stderr" : "stdout", text: String(c.text ?? "") };
        break;
      case "display_data":
      case "execute_result": {
        const transient = c.transient as { display_id?: string } | undefined;
        const base = {
          data: (c.data ?? {}) as MimeBundle,
          metadata: (c.metadata ?? {}) as Record<string, unknown>,
          ...(transient?.display_id ? { transient: { display_id: transient.display_id } } : {}),
        };
        out =
          type === "execute_result"
            ? { output_type: "execute_result", execution_count: typeof c.execution_count === "number" ? c.execution_count : null, ...base }
            : { output_type: "display_data", ...base };
        break;
      }
      case "error":
        out = {
          output_type: "error",
          ename: String(c.ename ?? ""),
          evalue: String(c.evalue ?? ""),
          traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
        };
        break;
      case "clear_output":
        area.clear(c.wait === true);
        this.changed();
        return;
      case "update_display_data": {
        const id = (c.transient as { display_id?: string } | undefined)?.display_id;
        if (id) this.updateDisplay(id, (c.data ?? {}) as MimeBundle, (c.metadata ?? {}) as Record<string, unknown>);
        return;
      }
      default:
        return;
    }
    area.add(out);
    cell.showOutputs();
    if ((out.output_type === "display_data" || out.output_type === "execute_result") && out.transient?.display_id) this.registerDisplays(area);
    this.changed();
  }

  private async onStdin(cell: Cell, msg: KernelMessage): Promise<void> {
    if (msg.header.msg_type !== "input_request") return;
    const prompt = String(msg.content.prompt ?? "");
    const password = msg.content.password === true;
    const wasEdit = this.mode === "edit";
    const value = await cell.askInput(prompt, password);
    try {
      this.kernel?.send("stdin", "input_reply", { value }, undefined, msg.header);
    } catch (e) {
      notify("The input was not sent: " + errText(e), "error");
      return;
    }
    if (!password) {
      cell.ensureArea().add({ output_type: "stream", name: "stdout", text: prompt + value + "\n" });
      this.changed();
    }
    if (this.cells[this.active] === cell && !wasEdit) this.focusActive();
  }

  private onReply(cell: Cell, batch: RunBatch, msgId: string, msg: KernelMessage): void {
    if (msg.header.msg_type !== "execute_reply") return;
    const c = msg.content;
    const mine = (cell as Cell & { runId?: string }).runId === msgId;
    if (mine) {
      if (typeof c.execution_count === "number") cell.data.execution_count = c.execution_count;
      cell.setRunning(false);
      cell.removeStdin();
    }
    const status = String(c.status ?? "");
    if ((status === "error" || status === "aborted") && !batch.stopped) {
      batch.stopped = true;
      // Jupyter semantics: the rest of the queue does not run.
      const i = batch.cells.indexOf(cell);
      for (const later of batch.cells.slice(i + 1)) {
        const id = batch.ids.get(later);
        if (id && (later as Cell & { runId?: string }).runId === id) {
          this.kernel?.forget(id);
          if (this.kernel) forgetRuns(this.kernel.kernelId, [id]);
          later.setRunning(false);
        }
      }
    }
    if (status === "ok" && Array.isArray(c.payload)) {
      for (const p of c.payload as Json[]) {
        if (p.source === "page" && p.data && typeof p.data === "object") {
          const data = p.data as MimeBundle;
          cell.ensureArea().add({ output_type: "display_data", data, metadata: {} });
          cell.showOutputs();
        }
      }
    }
    if (batch.cells.every((x) => !x.running || (x as Cell & { runId?: string }).runId !== batch.ids.get(x))) this.batches.delete(batch);
    this.changed();
  }

  private clearRunning(): void {
    for (const c of this.cells) {
      if (c.running) c.setRunning(false);
      c.removeStdin();
    }
    for (const b of this.batches) b.stopped = true;
    this.batches.clear();
  }

  // ---- kernel -------------------------------------------------------------------

  private setKernelState(s: KernelState): void {
    if (s !== "unresponsive" && this.unresponsiveBanner) {
      this.unresponsiveBanner.remove();
      this.unresponsiveBanner = null;
      if (s === "idle" || s === "busy" || s === "starting") notify("The kernel is responding again.");
    }
    this.kernelStatus.setAttribute("data-state", s);
    const text = this.kernelStatus.querySelector(".nb-kstatus-text");
    if (text) text.textContent = stateText[s];
    this.kernelStatus.title = "Kernel " + stateText[s].toLowerCase();
    this.kernelStatus.setAttribute("aria-label", "Kernel status: " + stateText[s]);
  }

  private displayName(name: string): string {
    return this.specs?.kernelspecs[name]?.spec.display_name ?? name;
  }

  private async setLanguage(name: string): Promise<void> {
    const key = name.toLowerCase();
    if (key === this.languageName && this.language) return;
    const ext = await V!.loadLanguage(key);
    this.languageName = key;
    this.language = ext;
    for (const c of this.cells) c.setLanguage(ext);
  }

  private async pickKernel(title: string, message: string): Promise<string | null> {
    const specs = this.specs?.kernelspecs ?? {};
    const names = Object.keys(specs).sort();
    if (names.length === 0) {
      notify("No kernels are installed on the server.", "error");
      return null;
    }
    const r = await showDialog<string>({
      title,
      body: message,
      buttons: [
        ...names.map((n) => ({ label: specs[n].spec.display_name || n, value: n, primary: n === this.specs?.default })),
        { label: "Cancel", value: "" },
      ],
    });
    return r.value || null;
  }

  private kernelEvents() {
    return {
      state: (s: KernelState) => this.setKernelState(s),
      connection: (up: boolean, d: { replaced?: boolean; attempt?: number; delay?: number }) => this.onConnection(up, d),
      dead: () => this.onDead(),
      unresponsive: (reason: string) => this.showUnresponsive(reason),
      info: (content: Record<string, unknown>) => {
        const li = content.language_info as Json | undefined;
        if (!li) return;
        const mode = li.codemirror_mode;
        const name = (typeof mode === "string" ? mode : (mode as Json | undefined)?.name) ?? li.name;
        if (typeof name === "string") void this.setLanguage(name);
        const cur = this.nb.metadata.language_info as Json | undefined;
        if (!cur || cur.name !== li.name) this.nb.metadata.language_info = li;
      },
      restarted: () => {
        this.clearRunning();
        if (this.kernel) forgetRuns(this.kernel.kernelId, null);
      },
      clientId: (kernelId: string) => clientIdFor(kernelId),
      adopt: (msgId: string, msg: KernelMessage) => this.adopt(msgId, msg),
      settled: (msgId: string) => {
        if (this.kernel) forgetRuns(this.kernel.kernelId, [msgId]);
      },
    };
  }

  private async startKernel(): Promise<void> {
    try {
      this.specs = await kernelspecs.list();
    } catch (e) {
      notify("Cannot list kernels: " + errText(e), "error");
      this.setKernelState("disconnected");
      return;
    }
    const ks = this.nb.metadata.kernelspec as Json | undefined;
    let name = typeof ks?.name === "string" ? ks.name : "";
    if (!name) name = this.specs.default;
    if (!this.specs.kernelspecs[name]) {
      const picked = await this.pickKernel("Select a kernel", `The kernel “${name}” this notebook uses is not installed here. Pick another one:`);
      if (!picked) {
        this.kernelName.textContent = "No kernel";
        this.setKernelState("disconnected");
        return;
      }
      name = picked;
      this.setKernelSpecMeta(name);
      this.changed();
    }
    await this.openSession(name);
  }

  private setKernelSpecMeta(name: string): void {
    const spec = this.specs?.kernelspecs[name]?.spec;
    this.nb.metadata.kernelspec = { name, display_name: spec?.display_name ?? name, language: spec?.language ?? "" };
  }

  private async openSession(name: string): Promise<void> {
    this.setKernelState("starting");
    this.kernelName.textContent = this.displayName(name);
    try {
      this.session = await sessions.create(this.notebookPath, name);
    } catch (e) {
      notify("The kernel did not start: " + errText(e), "error");
      this.setKernelState("dead");
      this.showDead();
      return;
    }
    const kname = this.session.kernel.name || name;
    this.kernelName.textContent = this.displayName(kname);
    if (!this.nb.metadata.kernelspec) this.setKernelSpecMeta(kname);
    const lang = this.specs?.kernelspecs[kname]?.spec.language;
    if (lang) void this.setLanguage(lang);
    if (!this.kernel) {
      this.kernel = new KernelConnection(this.session.kernel.id, this.kernelEvents());
      this.kernel.connect();
    } else this.kernel.switchKernel(this.session.kernel.id);
  }

  private onConnection(up: boolean, d: { replaced?: boolean; attempt?: number; delay?: number }): void {
    if (up) {
      this.lostBanner?.remove();
      this.lostBanner = null;
      this.replacedBanner?.remove();
      this.replacedBanner = null;
      return;
    }
    if (d.replaced) {
      this.lostBanner?.remove();
      this.lostBanner = null;
      if (!this.replacedBanner) {
        const again = h("button", { type: "button", class: "q-btn", text: "Reconnect here" });
        again.addEventListener("click", () => this.kernel?.reconnectNow());
        this.replacedBanner = h(
          "div",
          { class: "nb-banner warn", "data-testid": "connection-replaced", role: "alert" },
          h("span", { text: "This notebook's kernel connection was taken over by another window or tab, so this page stopped listening." }),
          again,
        );
        this.banners.appendChild(this.replacedBanner);
      }
      notify("The kernel connection was replaced by another tab or window.", "error");
      return;
    }
    const secs = Math.max(1, Math.round((d.delay ?? 0) / 1000));
    const text = `Connection to the kernel lost. Reconnecting in ${secs} s (attempt ${d.attempt ?? 1})… Your edits and outputs are kept.`;
    if (!this.lostBanner) {
      const now = h("button", { type: "button", class: "q-btn", text: "Reconnect now" });
      now.addEventListener("click", () => this.kernel?.reconnectNow());
      this.lostBanner = h("div", { class: "nb-banner warn", "data-testid": "connection-lost", role: "alert" }, h("span", { class: "nb-banner-text", text }), now);
      this.banners.appendChild(this.lostBanner);
    } else {
      const span = this.lostBanner.querySelector(".nb-banner-text");
      if (span) span.textContent = text;
    }
  }

  private onDead(): void {
    this.clearRunning();
    this.lostBanner?.remove();
    this.lostBanner = null;
    this.showDead();
  }

  /** showUnresponsive: the kernel stopped answering; running cells stay, as it may come back. */
  private showUnresponsive(reason: string): void {
    this.unresponsiveBanner?.remove();
    const b = h("button", { type: "button", class: "q-btn", "data-testid": "kernel-unresponsive-restart", text: "Restart kernel" });
    b.addEventListener("click", () => void this.restart(false));
    const why = reason ? `: ${reason}` : "";
    this.unresponsiveBanner = h(
      "div",
      { class: "nb-banner warn", "data-testid": "kernel-unresponsive", role: "alert" },
      h("span", { text: `The kernel is not responding${why}. It may recover by itself: running cells then continue, and cells run meanwhile wait for it. Restarting it loses its variables.` }),
      b,
    );
    this.banners.appendChild(this.unresponsiveBanner);
  }

  private showDead(): void {
    if (this.deadBanner) return;
    const b = h("button", { type: "button", class: "q-btn primary", "data-testid": "kernel-dead-restart", text: "Restart kernel" });
    b.addEventListener("click", () => void this.restartDead());
    this.deadBanner = h("div", { class: "nb-banner error", "data-testid": "kernel-dead", role: "alert" }, h("span", { text: "The kernel has died." }), b);
    this.banners.appendChild(this.deadBanner);
  }

  private async restartDead(): Promise<void> {
    this.deadBanner?.remove();
    this.deadBanner = null;
    this.setKernelState("restarting");
    const k = this.kernel;
    if (k) {
      try {
        await kernels.restart(k.kernelId);
        k.switchKernel(k.kernelId);
        return;
      } catch {
        /* gone: start a new one below */
      }
    }
    const ks = this.nb.metadata.kernelspec as Json | undefined;
    const name = (typeof ks?.name === "string" && this.specs?.kernelspecs[ks.name] ? ks.name : this.specs?.default) ?? "";
    if (this.session) {
      try {
        await sessions.remove(this.session.id);
      } catch {
        /* already gone */
      }
    }
    await this.openSession(name);
  }

  private async interrupt(): Promise<void> {
    if (!this.kernel) return;
    try {
      await kernels.interrupt(this.kernel.kernelId);
    } catch (e) {
      notify("Interrupt failed: " + errText(e), "error");
    }
  }

  private async restart(runAll: boolean): Promise<void> {
    const k = this.kernel;
    if (!k) {
      notify("There is no kernel to restart.", "error");
      return;
    }
    const ok = await confirmDialog(
      runAll ? "Restart and run all" : "Restart kernel",
      runAll ? "Restart the kernel and run every cell? All variables are lost." : "Restart the kernel? All variables are lost.",
      "Restart",
      true,
    );
    if (!ok) return;
    this.clearRunning();
    forgetRuns(k.kernelId, null);
    // Off the old connection first: its sockets point at the old process.
    k.suspend();
    try {
      await kernels.restart(k.kernelId);
    } catch (e) {
      notify("Restart failed: " + errText(e), "error");
      if (e instanceof ApiError && e.status === 404) this.onDead();
      else k.switchKernel(k.kernelId);
      return;
    }
    this.deadBanner?.remove();
    this.deadBanner = null;
    k.switchKernel(k.kernelId);
    if (runAll) {
      if (await this.waitConnected(60_000)) await this.runCells(this.cells);
      else notify("The kernel did not come back, so nothing was run.", "error");
    }
  }

  private async changeKernel(): Promise<void> {
    if (!this.specs) {
      try {
        this.specs = await kernelspecs.list();
      } catch (e) {
        notify("Cannot list kernels: " + errText(e), "error");
        return;
      }
    }
    const name = await this.pickKernel("Change kernel", "Start which kernel for this notebook? The current kernel's state is lost.");
    if (!name) return;
    this.clearRunning();
    if (!this.session) {
      this.setKernelSpecMeta(name);
      this.changed();
      await this.openSession(name);
      return;
    }
    // Off the old kernel first, so nothing is sent to it while it goes.
    this.kernel?.suspend("starting");
    if (this.kernel) forgetRuns(this.kernel.kernelId, null);
    try {
      this.session = await sessions.changeKernel(this.session.id, name);
    } catch (e) {
      notify("Changing the kernel failed: " + errText(e), "error");
      this.kernel?.switchKernel(this.kernel.kernelId);
      return;
    }
    this.setKernelSpecMeta(name);
    this.changed();
    this.kernelName.textContent = this.displayName(name);
    const lang = this.specs.kernelspecs[name]?.spec.language;
    if (lang) void this.setLanguage(lang);
    this.deadBanner?.remove();
    this.deadBanner = null;
    if (this.kernel) this.kernel.switchKernel(this.session.kernel.id);
    else {
      this.kernel = new KernelConnection(this.session.kernel.id, this.kernelEvents());
      this.kernel.connect();
    }
  }
}
