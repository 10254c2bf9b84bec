// Finding your way in a notebook: the table of contents (toc.ts) and the
// notebook-wide find bar (find.ts). This is the small part the page loads
// at once: their commands, keys and the contents button. The two panels'
// code loads on first use, so opening a notebook costs nothing more.
import { h } from "../dom";
import type { CellList } from "./celllist";
import type { CommandRegistry } from "./registry";
import type { Selection } from "./selection";
import { isMac } from "./shortcuts";

// The panels take isMac from here: imported from shortcuts.ts by a lazy
// chunk, it became a chunk of its own that the page loaded before the cells.
export { isMac };
import type { FindBar } from "./find";
import type { Toc } from "./toc";

/** NavHost is what the panels use of the notebook page. */
export interface NavHost {
  list: CellList;
  sel: Selection;
  /** header and toolbar may stick to the top of the page. */
  header: HTMLElement;
  toolbar: HTMLElement;
  /** main is the notebook's main area; panels go right after it. */
  main: HTMLElement;
  /** changed marks the notebook changed (unsaved). */
  changed(): void;
}

/** What the browser remembers: the contents open (wide screens only), numbered headings. */
const TOC_KEY = "quire.toc.open";
export const NUMBERED_KEY = "quire.toc.numbered";
/** Below this width the contents are an overlay (notebook.css agrees). */
export const NARROW = "(max-width: 760px)";

/** stored: the browser remembers key as on ("1"); false where storage is refused. */
export function stored(key: string): boolean {
  try {
    return localStorage.getItem(key) === "1";
  } catch {
    return false;
  }
}

export class Navigation {
  /** tocButton shows and hides the table of contents (the page puts it in its header). */
  readonly tocButton: HTMLButtonElement;
  private toc: Toc | null = null;
  private tocLoading: Promise<Toc> | null = null;
  private find: FindBar | null = null;
  private findLoading: Promise<FindBar> | null = null;

  constructor(private host: NavHost) {
    this.tocButton = h(
      "button",
      {
        type: "button",
        class: "q-btn nb-toc-button",
        "data-testid": "toc-toggle",
        "aria-label": "Table of contents",
        "aria-expanded": "false",
        "aria-controls": "nb-toc",
        title: "Table of contents",
      },
      h("span", { "aria-hidden": "true", text: "☰" }),
      h("span", { class: "nb-toc-button-text", text: " Contents" }),
    );
    this.tocButton.addEventListener("click", () => void this.toggleToc());
  }

  /** register adds the commands to the page's command list. */
  register(reg: CommandRegistry): void {
    const mod = isMac ? "Cmd" : "Ctrl";
    const findOpen = () => !!this.find?.isOpen;
    reg.add(
      { id: "view:toc", label: "Table of contents", menu: "View", group: "panels", checked: () => !!this.toc?.isOpen, run: () => void this.toggleToc() },
      {
        id: "view:toc-numbered",
        label: "Numbered headings in the contents",
        menu: "View",
        group: "panels",
        checked: () => stored(NUMBERED_KEY),
        run: () => void this.tocReady().then((t) => t.setNumbered(!t.numbered)),
      },
      { id: "edit:find", label: "Find in notebook…", menu: "Edit", group: "find", keys: [`${mod}-F`], mode: "command", run: () => void this.openFind(false) },
      { id: "edit:find-replace", label: "Find and replace…", menu: "Edit", group: "find", keys: ["F"], mode: "command", run: () => void this.openFind(true) },
      { id: "edit:find-next", label: "Find next", menu: "Edit", group: "find", keys: ["F3"], mode: "command", enabled: findOpen, run: () => this.find?.step(1) },
      { id: "edit:find-previous", label: "Find previous", menu: "Edit", group: "find", keys: ["Shift-F3"], mode: "command", enabled: findOpen, run: () => this.find?.step(-1) },
    );
  }

  /** key handles a command-mode key that is the panels': Ctrl-F (Cmd-F), F3, and Esc while the find bar is open. */
  key(ev: KeyboardEvent): boolean {
    if (ev.key === "Escape" && this.find?.isOpen && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !ev.shiftKey) {
      this.find.close();
      return true;
    }
    const mod = isMac ? ev.metaKey : ev.ctrlKey;
    if (mod && !ev.altKey && !ev.shiftKey && ev.key.toLowerCase() === "f") {
      void this.openFind(false);
      return true;
    }
    if (ev.key === "F3" && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      if (this.find?.isOpen) this.find.step(ev.shiftKey ? -1 : 1);
      else void this.openFind(false);
      return true;
    }
    return false;
  }

  /** changed: a cell's source or outputs, or the cell list, changed. */
  changed(): void {
    this.toc?.changed();
    this.find?.changed();
  }

  /** loaded: the notebook's cells were (re)loaded; the contents open if they were open last time. */
  loaded(): void {
    this.changed();
    if (!this.toc && stored(TOC_KEY) && !matchMedia(NARROW).matches) void this.tocReady().then((t) => t.open(false));
  }

  async toggleToc(): Promise<void> {
    const t = await this.tocReady();
    if (t.isOpen) t.close(true);
    else t.open(true);
  }

  private tocReady(): Promise<Toc> {
    this.tocLoading ??= import("./toc").then((m) => {
      this.toc = new m.Toc(this.host, {
        shown: (open, byUser) => {
          this.tocButton.setAttribute("aria-expanded", String(open));
          this.tocButton.classList.toggle("nb-on", open);
          if (byUser && !matchMedia(NARROW).matches) {
            try {
              localStorage.setItem(TOC_KEY, open ? "1" : "0");
            } catch {
              /* private mode: not remembered */
            }
          }
        },
        findBar: () => this.find?.el ?? null,
      });
      return this.toc;
    });
    return this.tocLoading;
  }

  async openFind(replace: boolean): Promise<void> {
    // Remember where the focus was before the bar's code loads and takes it.
    const from = document.activeElement as HTMLElement | null;
    this.findLoading ??= import("./find").then((m) => {
      this.find = new m.FindBar(this.host);
      return this.find;
    });
    (await this.findLoading).open(replace, from);
  }
}
