// The file browser: breadcrumbs, a sortable listing with keyboard and
// mouse selection, file actions, uploads, new terminals and the running
// panel (kernels and terminals).
// Every name shown comes from the server and goes in as text.
import "./files.css";
import { ApiError, baseUrl, contents, filesUrl, kernelspecs, pageUrl, sessions, terminals } from "../api";
import type { ContentsModel, KernelSpecs, SessionModel } from "../api";
import { NO_KERNEL, lastKernel, pickKernel, preselect, rememberKernel } from "../kernelpicker";
import { notify, promptDialog, showDialog } from "../dialog";
import { formatSize, formatTime, h } from "../dom";
import { splitAddress } from "../route";
import { mountShell } from "../shell";
import type { Shell } from "../shell";
import { RunningPanel, loadRunning, shutdownKernel } from "./running";
import type { RunningData } from "./running";
import { uploadFiles } from "./upload";
import { baseName, joinPath, stemLength } from "../paths";
import { compareEntries, isBinary, type SortKey } from "./entries";

/** POLL_MS is how often a visible page refreshes the listing and kernels. */
const POLL_MS = 10_000;

export function mount(root: HTMLElement, path: string): void {
  new FileBrowser(root, path);
}

type Kind = "directory" | "notebook" | "file";

function errMsg(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return String((e as Error)?.message || e);
}

function folderTitle(dir: string): string {
  return dir ? baseName(dir) : "Home";
}

/** treePathFromLocation reads the folder of a {base}tree/<dir> address
 *  (null for an address of another view). */
function treePathFromLocation(): string | null {
  const { head, path } = splitAddress(location.pathname, baseUrl());
  return head === "" || head === "tree" ? path : null;
}

/** plainClick: a left click without modifiers (others open new tabs). */
function plainClick(e: MouseEvent): boolean {
  return e.button === 0 && !e.ctrlKey && !e.metaKey && !e.shiftKey && !e.altKey;
}

class FileBrowser {
  private dir = "";
  private entries: ContentsModel[] = [];
  private sortKey: SortKey = "name";
  private sortDir: 1 | -1 = 1;
  private selected = new Set<string>();
  private focusName: string | null = null;
  private anchorName: string | null = null;
  private sessionsByPath = new Map<string, SessionModel>();
  private loadSeq = 0;
  private loading = false;
  private loaded = false;
  private focusOnLoad = false;
  private signature = "";

  private shell: Shell;
  private crumbs: HTMLElement;
  private table: HTMLTableElement;
  private tbody: HTMLTableSectionElement;
  private selectAll: HTMLInputElement;
  private sortHeads = new Map<SortKey, HTMLTableCellElement>();
  private listWrap: HTMLElement;
  private emptyMsg: HTMLElement;
  private errorBox: HTMLElement;
  private uploadBox: HTMLElement;
  private uploadInput: HTMLInputElement;
  private selInfo: HTMLElement;
  private running: RunningPanel;
  private btn: Record<string, HTMLButtonElement> = {};
  private rowsByName = new Map<string, HTMLTableRowElement>();

  constructor(root: HTMLElement, path: string) {
    this.shell = mountShell(root, folderTitle(path));
    this.crumbs = h("nav", { class: "fb-crumbs", "data-testid": "breadcrumbs", "aria-label": "Folder path" });
    this.shell.title.appendChild(this.crumbs);

    // Toolbar: creation tools, then actions on the selection.
    const mk = (id: string, label: string, onClick: () => void, title?: string, cls = "q-btn") => {
      const b = h("button", { type: "button", class: cls, "data-testid": id, text: label, title: title ?? null });
      b.addEventListener("click", onClick);
      this.btn[id] = b;
      return b;
    };
    this.uploadInput = h("input", {
      type: "file",
      multiple: true,
      hidden: true,
      "data-testid": "upload-input",
      "aria-label": "Files to upload",
    });
    this.uploadInput.addEventListener("change", () => {
      const files = [...(this.uploadInput.files ?? [])];
      this.uploadInput.value = "";
      if (files.length) void this.upload(files);
    });
    const create = h(
      "div",
      { class: "fb-group", role: "group", "aria-label": "Create" },
      mk("new-notebook", "New notebook", () => void this.newNotebook()),
      mk("new-file", "New file", () => void this.newFile()),
      mk("new-folder", "New folder", () => void this.newFolder()),
      mk("new-terminal", "New terminal", () => void this.newTerminal(), "Open a shell in this folder"),
      mk("upload", "Upload", () => this.uploadInput.click(), "Upload files (or drop them on the list)"),
      this.uploadInput,
      mk("refresh", "Refresh", () => void this.refresh(true, true), "Reload the listing"),
    );
    this.selInfo = h("span", { class: "fb-selinfo", "aria-live": "polite" });
    const actions = h(
      "div",
      { class: "fb-group", role: "group", "aria-label": "Selected items" },
      mk("action-open", "Open", () => this.openSelected()),
      mk("action-rename", "Rename", () => void this.rename(), "Rename (F2)"),
      mk("action-copy", "Duplicate", () => void this.copySelected(), "Make a copy in this folder"),
      mk("action-download", "Download", () => this.downloadSelected()),
      mk("action-delete", "Delete", () => void this.deleteSelected(), "Move to trash (Delete)", "q-btn danger"),
      mk("action-shutdown", "Shut down", () => void this.shutdownSelected(), "Shut down the kernels of the selected notebooks"),
      this.selInfo,
    );
    const toolbar = h("div", { class: "fb-toolbar" }, create, actions);

    // Listing.
    this.selectAll = h("input", { type: "checkbox", "aria-label": "Select all" });
    this.selectAll.addEventListener("change", () => {
      if (this.selectAll.checked) for (const e of this.entries) this.selected.add(e.name);
      else this.selected.clear();
      this.updateSelection();
    });
    const headRow = h("tr", {}, h("th", { class: "fb-col-sel", scope: "col" }, this.selectAll));
    const cols: [SortKey, string, string][] = [
      ["name", "Name", "fb-col-name"],
      ["modified", "Modified", "fb-col-mod"],
      ["size", "Size", "fb-col-size"],
    ];
    for (const [key, label, cls] of cols) {
      const b = h("button", { type: "button", class: "fb-sort" }, label, h("span", { class: "fb-sort-ind", "aria-hidden": "true" }));
      b.addEventListener("click", () => this.sortBy(key));
      const th = h("th", { class: cls, scope: "col" }, b);
      this.sortHeads.set(key, th);
      headRow.appendChild(th);
    }
    this.tbody = h("tbody", {});
    this.table = h("table", { class: "fb-table", "data-testid": "file-list", "aria-label": "Files" }, h("thead", {}, headRow), this.tbody);
    this.emptyMsg = h("p", { class: "fb-empty", hidden: true, text: "This folder is empty. Create something or drop files here." });
    this.listWrap = h("div", { class: "fb-listwrap" }, this.table, this.emptyMsg);
    this.errorBox = h("div", { class: "fb-error", role: "alert", hidden: true });
    this.uploadBox = h("div", { class: "fb-uploads", "aria-label": "Uploads" });
    this.running = new RunningPanel(() => void this.refresh());

    this.shell.main.classList.add("fb-main");
    this.shell.main.append(toolbar, this.uploadBox, this.errorBox, this.listWrap, this.running.el);

    this.wireTable();
    this.wireDrop();
    window.addEventListener("popstate", () => {
      const p = treePathFromLocation();
      if (p === null) location.reload();
      else this.navigate(p, false);
    });
    setInterval(() => {
      if (document.visibilityState === "visible") void this.refresh(false);
    }, POLL_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") void this.refresh(false);
    });
    this.navigate(path, false);
  }

  // ---- navigation and loading -------------------------------------------

  private navigate(dir: string, push: boolean): void {
    if (push) history.pushState(null, "", pageUrl("tree", dir));
    // Going up: put the cursor on the folder we came from.
    const old = this.dir;
    const prefix = dir ? dir + "/" : "";
    const cameFrom = old !== dir && old.startsWith(prefix) ? old.slice(prefix.length).split("/")[0] : null;
    // Keep the keyboard in the listing when it was in the page's content.
    const a = document.activeElement;
    this.focusOnLoad = !!a && (this.tbody.contains(a) || this.crumbs.contains(a) || this.errorBox.contains(a));
    this.dir = dir;
    this.entries = [];
    this.selected.clear();
    this.focusName = cameFrom || null;
    this.anchorName = null;
    this.loaded = false;
    this.signature = "";
    document.title = `${folderTitle(dir)} — Quire`;
    this.renderCrumbs();
    this.tbody.replaceChildren();
    this.table.setAttribute("aria-busy", "true");
    window.scrollTo(0, 0);
    void this.refresh();
  }

  private renderCrumbs(): void {
    const list = h("ol", {});
    const levels: [string, string][] = [["", "Home"]];
    let acc = "";
    for (const seg of this.dir.split("/").filter((s) => s)) {
      acc = joinPath(acc, seg);
      levels.push([acc, seg]);
    }
    levels.forEach(([p, label], i) => {
      const last = i === levels.length - 1;
      const a = h("a", { href: pageUrl("tree", p), class: i === 0 ? "fb-crumb-home" : "fb-crumb", "aria-current": last ? "page" : null });
      if (i === 0) a.append(h("span", { class: "fb-home-icon", "aria-hidden": "true" }), h("span", { text: label }));
      else a.textContent = label;
      a.addEventListener("click", (e) => {
        if (!plainClick(e)) return;
        e.preventDefault();
        if (p !== this.dir) this.navigate(p, true);
      });
      list.appendChild(h("li", {}, a));
    });
    this.crumbs.replaceChildren(list);
  }

  /** refresh reloads the listing, sessions and kernels, keeping selection.
   *  A poll (force false) skips while a load is in flight; anything else
   *  supersedes it. announce confirms a user's refresh with a notice. */
  private async refresh(force = true, announce = false): Promise<void> {
    if (this.loading && !force) return;
    const seq = ++this.loadSeq;
    this.loading = true;
    const dir = this.dir;
    // An unforced refresh is the periodic poll (or the tab coming back):
    // not the user's activity.
    const runningP: Promise<RunningData | { error: unknown }> = loadRunning(!force).then(
      (r) => r,
      (e: unknown) => ({ error: e }),
    );
    try {
      const model = await contents.get(dir, { background: !force });
      if (seq !== this.loadSeq) return;
      if (model.type !== "directory") {
        // /tree/<file>: open the file where it belongs.
        location.replace(this.openHref(model));
        return;
      }
      this.entries = Array.isArray(model.content) ? (model.content as ContentsModel[]) : [];
      this.errorBox.hidden = true;
      this.listWrap.hidden = false;
    } catch (e) {
      if (seq !== this.loadSeq) return;
      this.showError(e);
      this.loading = false;
      return;
    }
    const run = await runningP;
    if (seq !== this.loadSeq) return;
    this.sessionsByPath.clear();
    if ("error" in run) {
      this.running.showError(errMsg(run.error));
    } else {
      for (const s of run.sessions) this.sessionsByPath.set(s.path, s);
      this.running.render(run);
      // A server without terminals (--terminals=false) cannot list them.
      this.btn["new-terminal"].hidden = run.terminals === null;
    }
    this.loading = false;
    this.loaded = true;
    this.table.removeAttribute("aria-busy");
    const names = new Set(this.entries.map((e) => e.name));
    for (const n of [...this.selected]) if (!names.has(n)) this.selected.delete(n);
    if (this.focusName !== null && !names.has(this.focusName)) this.focusName = null;
    this.renderRows();
    if (this.focusOnLoad) {
      this.focusOnLoad = false;
      const target = this.tbody.querySelector<HTMLElement>('tr[tabindex="0"]') ?? this.btn["new-notebook"];
      target.focus();
      target.scrollIntoView({ block: "nearest" });
    }
    if (announce) notify("Listing refreshed.");
  }

  private showError(e: unknown): void {
    this.table.removeAttribute("aria-busy");
    this.listWrap.hidden = true;
    const status = e instanceof ApiError ? e.status : 0;
    const msg =
      status === 404
        ? `The folder "${this.dir}" does not exist (or is hidden).`
        : status === 400
          ? `"${this.dir}" cannot be listed: ${errMsg(e)}`
          : `The folder cannot be listed: ${errMsg(e)}`;
    const home = h("a", { href: pageUrl("tree", ""), text: "Go to the home folder" });
    home.addEventListener("click", (ev) => {
      if (!plainClick(ev)) return;
      ev.preventDefault();
      this.navigate("", true);
    });
    const retry = h("button", { type: "button", class: "q-btn", text: "Try again" });
    retry.addEventListener("click", () => void this.refresh(true, true));
    this.errorBox.replaceChildren(h("p", { text: msg }), h("p", { class: "fb-error-actions" }, home, " ", retry));
    this.errorBox.hidden = false;
  }

  // ---- rendering ----------------------------------------------------------

  private kindOf(e: ContentsModel): Kind {
    return e.type === "directory" ? "directory" : e.type === "notebook" || e.name.endsWith(".ipynb") ? "notebook" : "file";
  }

  private openHref(e: ContentsModel): string {
    const k = this.kindOf(e);
    if (k === "directory") return pageUrl("tree", e.path);
    if (k === "notebook") return pageUrl("notebooks", e.path);
    if (isBinary(e.name, e.mimetype)) return filesUrl(e.path);
    return pageUrl("edit", e.path);
  }

  private sorted(): ContentsModel[] {
    return [...this.entries].sort((a, b) => compareEntries(a, b, this.sortKey, this.sortDir));
  }

  private sortBy(key: SortKey): void {
    if (this.sortKey === key) this.sortDir = this.sortDir === 1 ? -1 : 1;
    else {
      this.sortKey = key;
      this.sortDir = key === "name" ? 1 : -1;
    }
    this.signature = "";
    this.renderRows();
  }

  private renderRows(): void {
    // Headers: aria-sort on the sorted column only.
    for (const [key, th] of this.sortHeads) {
      const ind = th.querySelector(".fb-sort-ind")!;
      if (key === this.sortKey) {
        th.setAttribute("aria-sort", this.sortDir === 1 ? "ascending" : "descending");
        ind.textContent = this.sortDir === 1 ? " ▲" : " ▼";
      } else {
        th.removeAttribute("aria-sort");
        ind.textContent = "";
      }
    }
    const list = this.sorted();
    const sig = JSON.stringify([
      this.sortKey,
      this.sortDir,
      list.map((e) => [e.name, e.type, e.last_modified, e.size, this.sessionsByPath.has(e.path)]),
    ]);
    if (sig === this.signature) {
      // Nothing changed: only refresh the relative times.
      for (const e of list) {
        const t = this.rowsByName.get(e.name)?.querySelector(".fb-col-mod time");
        if (t) t.textContent = formatTime(e.last_modified);
      }
      this.updateSelection();
      return;
    }
    this.signature = sig;
    // Keep focus (on a row) and scroll across the re-render.
    const active = document.activeElement;
    const activeRow = active instanceof HTMLElement ? active.closest<HTMLTableRowElement>("tr.fb-row") : null;
    const refocus = activeRow && this.tbody.contains(activeRow) ? activeRow.getAttribute("data-name") : null;
    const scrollY = window.scrollY;

    this.rowsByName.clear();
    const rows = list.map((e) => this.row(e));
    this.tbody.replaceChildren(...rows);
    this.emptyMsg.hidden = list.length > 0 || !this.loaded;
    this.updateSelection();
    if (refocus !== null) this.rowsByName.get(refocus)?.focus({ preventScroll: true });
    window.scrollTo(0, scrollY);
  }

  private row(e: ContentsModel): HTMLTableRowElement {
    const kind = this.kindOf(e);
    const session = kind === "notebook" ? this.sessionsByPath.get(e.path) : undefined;
    const href = this.openHref(e);
    const binary = kind === "file" && href === filesUrl(e.path);
    const link = h("a", {
      href,
      class: "fb-link",
      "data-testid": "file-link",
      tabindex: "-1",
      target: binary ? "_blank" : null,
      rel: binary ? "noopener" : null,
      text: e.name,
    });
    link.addEventListener("click", (ev) => {
      if (kind === "directory" && plainClick(ev)) {
        ev.preventDefault();
        this.navigate(e.path, true);
      }
    });
    const box = h("input", { type: "checkbox", "data-testid": "row-select", tabindex: "-1", "aria-label": `Select ${e.name}` });
    box.addEventListener("change", () => {
      if (box.checked) this.selected.add(e.name);
      else this.selected.delete(e.name);
      this.anchorName = e.name;
      this.focusName = e.name;
      this.updateSelection();
    });
    const kindLabel = kind === "directory" ? "Folder" : kind === "notebook" ? "Notebook" : binary ? "Binary file" : "File";
    const nameCell = h(
      "td",
      { class: "fb-col-name" },
      h("span", { class: `fb-icon fb-icon-${kind}${binary ? " fb-icon-binary" : ""}`, title: kindLabel, "aria-hidden": "true" }),
      link,
      session ? h("span", { class: "fb-badge", "data-testid": "running", text: "Running", title: `Kernel ${session.kernel?.name ?? ""}: ${session.kernel?.execution_state ?? ""}` }) : null,
    );
    const t = Date.parse(e.last_modified);
    const mod = h(
      "td",
      { class: "fb-col-mod", title: Number.isNaN(t) ? null : new Date(t).toLocaleString() },
      h("time", { datetime: e.last_modified, text: formatTime(e.last_modified) }),
    );
    const size = h("td", { class: "fb-col-size", text: kind === "directory" ? "" : formatSize(e.size) });
    const tr = h("tr", { class: "fb-row", "data-testid": "file-row", tabindex: "-1" }, h("td", { class: "fb-col-sel" }, box), nameCell, mod, size);
    tr.setAttribute("data-name", e.name);
    tr.setAttribute("data-type", kind);
    tr.setAttribute("aria-label", `${kindLabel} ${e.name}${session ? ", running" : ""}`);
    this.rowsByName.set(e.name, tr);
    return tr;
  }

  /** updateSelection reflects this.selected in rows, checkboxes, buttons. */
  private updateSelection(): void {
    const list = this.sorted();
    const tabName = this.focusName ?? list[0]?.name ?? null;
    for (const [name, tr] of this.rowsByName) {
      const sel = this.selected.has(name);
      tr.classList.toggle("selected", sel);
      tr.setAttribute("aria-selected", String(sel));
      const box = tr.querySelector<HTMLInputElement>('[data-testid="row-select"]');
      if (box) box.checked = sel;
      tr.tabIndex = name === tabName ? 0 : -1;
    }
    const n = this.selected.size;
    this.selectAll.checked = n > 0 && n === this.entries.length;
    this.selectAll.indeterminate = n > 0 && n < this.entries.length;
    const sel = this.selectedEntries();
    const files = sel.filter((e) => e.type !== "directory");
    const running = sel.filter((e) => this.sessionsByPath.has(e.path));
    this.btn["action-open"].disabled = n === 0;
    this.btn["action-rename"].disabled = n !== 1;
    this.btn["action-copy"].disabled = n === 0;
    this.btn["action-download"].disabled = n === 0 || files.length !== n;
    this.btn["action-delete"].disabled = n === 0;
    this.btn["action-shutdown"].disabled = running.length === 0;
    this.selInfo.textContent = n ? `${n} selected` : "";
  }

  private selectedEntries(): ContentsModel[] {
    return this.sorted().filter((e) => this.selected.has(e.name));
  }

  private entry(name: string | null): ContentsModel | undefined {
    return name === null ? undefined : this.entries.find((e) => e.name === name);
  }

  /** targets: the selection, or else the focused row. */
  private targets(): ContentsModel[] {
    const sel = this.selectedEntries();
    if (sel.length) return sel;
    const f = this.entry(this.focusName);
    return f ? [f] : [];
  }

  // ---- mouse and keyboard ------------------------------------------------------

  private wireTable(): void {
    const rowOf = (t: EventTarget | null) => (t instanceof Element ? t.closest<HTMLTableRowElement>("tr.fb-row") : null);
    this.tbody.addEventListener("mousedown", (e) => {
      // Shift-click selects a range, not text.
      if (e.shiftKey && rowOf(e.target)) e.preventDefault();
    });
    this.tbody.addEventListener("click", (e) => {
      const tr = rowOf(e.target);
      if (!tr) return;
      const name = tr.getAttribute("data-name")!;
      if ((e.target as Element).closest("a, input")) return;
      if (e.shiftKey && this.anchorName !== null) {
        this.selectRange(this.anchorName, name, e.ctrlKey || e.metaKey);
      } else if (e.ctrlKey || e.metaKey) {
        if (this.selected.has(name)) this.selected.delete(name);
        else this.selected.add(name);
        this.anchorName = name;
      } else {
        this.selected.clear();
        this.selected.add(name);
        this.anchorName = name;
      }
      this.focusName = name;
      this.updateSelection();
      tr.focus({ preventScroll: true });
    });
    this.tbody.addEventListener("dblclick", (e) => {
      const tr = rowOf(e.target);
      if (!tr || (e.target as Element).closest("a, input")) return;
      const en = this.entry(tr.getAttribute("data-name"));
      if (en) this.open(en, false);
    });
    this.tbody.addEventListener("focusin", (e) => {
      const tr = rowOf(e.target);
      if (!tr) return;
      const name = tr.getAttribute("data-name");
      if (name !== this.focusName) {
        this.focusName = name;
        this.updateSelection();
      }
    });
    this.tbody.addEventListener("keydown", (e) => this.onKey(e));
  }

  private selectRange(from: string, to: string, add: boolean): void {
    const names = this.sorted().map((e) => e.name);
    let a = names.indexOf(from);
    let b = names.indexOf(to);
    if (a < 0) a = b;
    if (a > b) [a, b] = [b, a];
    if (!add) this.selected.clear();
    for (let i = a; i <= b; i++) this.selected.add(names[i]);
  }

  private onKey(e: KeyboardEvent): void {
    const tr = e.target instanceof Element ? e.target.closest<HTMLTableRowElement>("tr.fb-row") : null;
    if (!tr) return;
    const name = tr.getAttribute("data-name")!;
    const isBox = (e.target as Element).matches("input");
    const names = this.sorted().map((x) => x.name);
    const i = names.indexOf(name);
    const moveTo = (j: number) => {
      j = Math.max(0, Math.min(names.length - 1, j));
      const target = names[j];
      if (e.shiftKey) {
        if (this.anchorName === null) this.anchorName = name;
        this.selectRange(this.anchorName, target, false);
      }
      this.focusName = target;
      this.updateSelection();
      const row = this.rowsByName.get(target);
      row?.focus();
      row?.scrollIntoView({ block: "nearest" });
    };
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        moveTo(i + 1);
        return;
      case "ArrowUp":
        e.preventDefault();
        moveTo(i - 1);
        return;
      case "Home":
        e.preventDefault();
        moveTo(0);
        return;
      case "End":
        e.preventDefault();
        moveTo(names.length - 1);
        return;
      case "PageDown":
        e.preventDefault();
        moveTo(i + 10);
        return;
      case "PageUp":
        e.preventDefault();
        moveTo(i - 10);
        return;
      case "Enter": {
        if ((e.target as Element).closest("a")) return; // the link follows itself
        e.preventDefault();
        const en = this.entry(name);
        if (en) this.open(en, e.ctrlKey || e.metaKey);
        return;
      }
      case " ":
      case "Spacebar":
        if (isBox) return;
        e.preventDefault();
        if (this.selected.has(name)) this.selected.delete(name);
        else this.selected.add(name);
        this.anchorName = name;
        this.updateSelection();
        return;
      case "Delete":
        e.preventDefault();
        void this.deleteItems(this.targets());
        return;
      case "F2": {
        e.preventDefault();
        const sel = this.selectedEntries();
        const en = sel.length === 1 ? sel[0] : this.entry(name);
        if (en) void this.renameItem(en);
        return;
      }
      case "Escape":
        if (this.selected.size) {
          e.preventDefault();
          this.selected.clear();
          this.updateSelection();
        }
        return;
      default:
        if ((e.key === "a" || e.key === "A") && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          for (const x of names) this.selected.add(x);
          this.updateSelection();
        }
    }
  }

  private focusRow(name: string): void {
    this.focusName = name;
    this.updateSelection();
    const row = this.rowsByName.get(name);
    row?.focus();
    row?.scrollIntoView({ block: "nearest" });
  }

  // ---- actions ---------------------------------------------------------------

  /** open opens an entry: folders here, notebooks and text files in their
   *  editors, binaries in a new tab (newTab forces one for all). */
  private open(e: ContentsModel, newTab: boolean): void {
    const href = this.openHref(e);
    const kind = this.kindOf(e);
    if (kind === "directory" && !newTab) {
      this.navigate(e.path, true);
      return;
    }
    if (newTab || (kind === "file" && href === filesUrl(e.path))) {
      window.open(href, "_blank", "noopener");
      return;
    }
    location.assign(href);
  }

  private openSelected(): void {
    const sel = this.selectedEntries();
    if (sel.length === 1) {
      this.open(sel[0], false);
      return;
    }
    // Several: each in its own tab (folders too).
    for (const e of sel) this.open(e, true);
  }

  /** newNotebook makes an untitled notebook; with more than one kernelspec
   *  it first asks which kernel (or none), offering the last choice. */
  private async newNotebook(): Promise<void> {
    let kernel: string | null = null; // null: the server's default, as the page picks it
    let specs: KernelSpecs | null = null;
    try {
      specs = await kernelspecs.list();
    } catch {
      /* the notebook page reports it */
    }
    if (specs && Object.keys(specs.kernelspecs).length > 1) {
      kernel = await pickKernel(specs, {
        title: "New notebook",
        message: "Which kernel should the new notebook run?",
        ok: "Create",
        selected: preselect(specs, lastKernel(), true),
        allowNone: true,
      });
      if (kernel === null) return;
      rememberKernel(kernel);
    }
    try {
      const m = await contents.create(this.dir, "notebook");
      const spec = kernel ? specs?.kernelspecs[kernel] : undefined;
      if (spec) {
        // The choice goes into the file, so it holds wherever it is opened.
        const nb = await contents.get(m.path, { type: "notebook" });
        const content = nb.content as { metadata?: Record<string, unknown> };
        content.metadata = { ...content.metadata, kernelspec: { name: spec.name, display_name: spec.spec.display_name, language: spec.spec.language } };
        await contents.save(m.path, { type: "notebook", format: "json", content });
      }
      location.assign(pageUrl("notebooks", m.path) + (kernel === NO_KERNEL ? "?kernel=none" : ""));
    } catch (e) {
      notify("Cannot create a notebook: " + errMsg(e), "error");
    }
  }

  private async newFile(): Promise<void> {
    try {
      const m = await contents.create(this.dir, "file", ".txt");
      location.assign(pageUrl("edit", m.path));
    } catch (e) {
      notify("Cannot create a file: " + errMsg(e), "error");
    }
  }

  /** newTerminal starts a shell in this folder and opens its page. */
  private async newTerminal(): Promise<void> {
    try {
      const t = await terminals.start(this.dir);
      location.assign(pageUrl("terminals", t.name));
    } catch (e) {
      notify("Cannot start a terminal: " + errMsg(e), "error");
    }
  }

  private async newFolder(): Promise<void> {
    let m: ContentsModel;
    try {
      m = await contents.create(this.dir, "directory");
    } catch (e) {
      notify("Cannot create a folder: " + errMsg(e), "error");
      return;
    }
    await this.refresh();
    this.selected = new Set([m.name]);
    this.anchorName = m.name;
    this.focusRow(m.name);
    const en = this.entry(m.name);
    if (en) await this.renameItem(en, "Name the new folder");
  }

  private async rename(): Promise<void> {
    const sel = this.selectedEntries();
    if (sel.length === 1) await this.renameItem(sel[0]);
  }

  private async renameItem(e: ContentsModel, title = "Rename"): Promise<void> {
    const isDir = e.type === "directory";
    let value = e.name;
    for (;;) {
      const input = await promptDialog(title, `New name for "${e.name}"`, value, "Rename", [0, stemLength(value, isDir)]);
      if (input === null) return this.refocus(e.name);
      const name = input.trim();
      if (name === "" || name === e.name) return this.refocus(e.name);
      if (name.includes("/") || name.includes("\\")) {
        notify(`"${name}" is not a valid name: a name cannot contain "/" or "\\".`, "error");
        value = name;
        continue;
      }
      if (name === "." || name === "..") {
        notify(`"${name}" is not a valid name.`, "error");
        value = name;
        continue;
      }
      const newPath = joinPath(this.dir, name);
      try {
        const m = await contents.rename(e.path, newPath);
        const s = this.sessionsByPath.get(e.path);
        if (s) {
          try {
            await sessions.setPath(s.id, m.path);
          } catch {
            /* the kernel keeps running under the old path */
          }
        }
        this.selected.delete(e.name);
        this.selected.add(m.name);
        if (this.focusName === e.name) this.focusName = m.name;
        if (this.anchorName === e.name) this.anchorName = m.name;
        notify(`Renamed "${e.name}" to "${m.name}".`);
        await this.refresh();
        this.focusRow(m.name);
      } catch (err) {
        notify(`Cannot rename "${e.name}": ${errMsg(err)}`, "error");
      }
      return;
    }
  }

  private refocus(name: string): void {
    this.rowsByName.get(name)?.focus({ preventScroll: true });
  }

  private async copySelected(): Promise<void> {
    const sel = this.selectedEntries();
    const made: string[] = [];
    for (const e of sel) {
      try {
        const m = await contents.copy(e.path, this.dir);
        made.push(m.name);
      } catch (err) {
        notify(`Cannot copy "${e.name}": ${errMsg(err)}`, "error");
      }
    }
    if (made.length) {
      notify(made.length === 1 ? `Copied to "${made[0]}".` : `Made ${made.length} copies.`);
      await this.refresh();
      this.selected = new Set(made);
      this.focusRow(made[0]);
    }
  }

  private downloadSelected(): void {
    const files = this.selectedEntries().filter((e) => e.type !== "directory");
    files.forEach((e, i) => {
      // One anchor per file; spaced out so the browser does not drop any.
      setTimeout(() => {
        const a = h("a", { href: filesUrl(e.path, true), download: e.name, hidden: true });
        document.body.appendChild(a);
        a.click();
        a.remove();
      }, i * 250);
    });
  }

  private async deleteSelected(): Promise<void> {
    await this.deleteItems(this.selectedEntries());
  }

  private async deleteItems(items: ContentsModel[]): Promise<void> {
    if (!items.length) return;
    const shown = items.slice(0, 12);
    const list = h("ul", { class: "fb-dlg-list" }, ...shown.map((e) => h("li", { text: e.type === "directory" ? e.name + "/" : e.name })));
    if (items.length > shown.length) list.appendChild(h("li", { text: `… and ${items.length - shown.length} more` }));
    const running = items.filter((e) => this.sessionsByPath.has(e.path));
    const body = h(
      "div",
      {},
      h("p", { text: items.length === 1 ? "This item will be moved to the trash:" : `These ${items.length} items will be moved to the trash:` }),
      list,
      running.length ? h("p", { class: "fb-warn", text: "Running notebooks keep their kernels until you shut them down." }) : null,
    );
    const r = await showDialog({
      title: items.length === 1 ? `Delete "${items[0].name}"?` : `Delete ${items.length} items?`,
      body,
      buttons: [
        { label: "Cancel", value: false },
        { label: "Delete", value: true, danger: true },
      ],
    });
    if (r.value !== true) {
      if (this.focusName) this.refocus(this.focusName);
      return;
    }
    const gone: string[] = [];
    for (const e of items) {
      try {
        await contents.remove(e.path);
        gone.push(e.name);
      } catch (err) {
        notify(`Cannot delete "${e.name}": ${errMsg(err)}`, "error");
      }
    }
    if (gone.length) notify(gone.length === 1 ? `Moved to trash: ${gone[0]}` : `Moved to trash: ${gone.length} items`);
    // Keep the keyboard near where it was.
    const names = this.sorted().map((e) => e.name);
    const idx = this.focusName ? names.indexOf(this.focusName) : -1;
    for (const n of gone) this.selected.delete(n);
    await this.refresh();
    const left = this.sorted().map((e) => e.name);
    if (left.length && idx >= 0) this.focusRow(left[Math.min(idx, left.length - 1)]);
  }

  private async shutdownSelected(): Promise<void> {
    const sel = this.selectedEntries().filter((e) => this.sessionsByPath.has(e.path));
    for (const e of sel) {
      const s = this.sessionsByPath.get(e.path)!;
      try {
        await shutdownKernel(s.kernel.id, s);
        notify(`Kernel of "${e.name}" shut down.`);
      } catch (err) {
        notify(`Cannot shut down the kernel of "${e.name}": ${errMsg(err)}`, "error");
      }
    }
    await this.refresh();
  }

  // ---- uploads -------------------------------------------------------------------

  private async upload(files: File[]): Promise<void> {
    const dir = this.dir;
    const existing = new Set(this.entries.map((e) => e.name));
    await uploadFiles(files, {
      dir,
      exists: (n) => dir === this.dir && existing.has(n),
      box: this.uploadBox,
      changed: () => {
        if (dir === this.dir) void this.refresh();
      },
    });
  }

  private wireDrop(): void {
    const zone = this.shell.main;
    let depth = 0;
    const hasFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes("Files");
    zone.addEventListener("dragenter", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      this.listWrap.classList.add("fb-drop");
    });
    zone.addEventListener("dragover", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer!.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", (e) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) this.listWrap.classList.remove("fb-drop");
    });
    zone.addEventListener("drop", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      this.listWrap.classList.remove("fb-drop");
      const dt = e.dataTransfer!;
      const files: File[] = [];
      const items = [...dt.items];
      if (items.length) {
        for (const it of items) {
          if (it.kind !== "file") continue;
          const entry = it.webkitGetAsEntry?.();
          const f = it.getAsFile();
          if (entry && entry.isDirectory) {
            notify(`"${entry.name}" is a folder; folders cannot be uploaded, only files.`, "error");
            continue;
          }
          if (f) files.push(f);
        }
      } else {
        files.push(...dt.files);
      }
      if (files.length) void this.upload(files);
    });
  }
}

