// How cells are shown, as commands: collapsing inputs and outputs,
// scrolled outputs, line numbers, execution timing, and the heading keys
// (1–6). CellView registers them with the page's command list and keeps
// the two page-wide settings (line numbers, timing) in localStorage.
import type { Cell } from "./cell";
import { headingSource } from "./cellmeta";
import type { Command } from "./commands";
import type { CellType } from "./model";
import type { CommandRegistry } from "./registry";

export interface CellViewHost {
  cells(): readonly Cell[];
  /** selected is the selected cells, in order. */
  selected(): Cell[];
  /** setType makes the selected cells of type (they are replaced by new Cells). */
  setType(type: CellType): void;
  /** changed: the notebook has unsaved changes. */
  changed(): void;
}

const LINE_NUMBERS_KEY = "quire:line-numbers";
const TIMING_KEY = "quire:record-timing";

function stored(key: string, fallback: boolean): boolean {
  try {
    const v = localStorage.getItem(key);
    return v === null ? fallback : v === "1";
  } catch {
    return fallback;
  }
}

function store(key: string, on: boolean): void {
  try {
    localStorage.setItem(key, on ? "1" : "0");
  } catch {
    /* private mode: the setting lasts for this page */
  }
}

/** The command-mode keys (commands.ts) of the commands registered here. */
export const CELL_VIEW_KEYS: Partial<Record<Command, string>> = {
  "toggle-outputs": "view:toggle-outputs",
  "toggle-scroll": "view:toggle-output-scrolling",
  "line-numbers-cell": "view:toggle-cell-line-numbers",
  "line-numbers-all": "view:toggle-line-numbers",
  "heading-1": "edit:heading-1",
  "heading-2": "edit:heading-2",
  "heading-3": "edit:heading-3",
  "heading-4": "edit:heading-4",
  "heading-5": "edit:heading-5",
  "heading-6": "edit:heading-6",
};

export class CellView {
  private numbered = stored(LINE_NUMBERS_KEY, false);
  private timing = stored(TIMING_KEY, true);

  constructor(private host: CellViewHost) {}

  /** lineNumbers: every cell shows line numbers (Shift-L, View menu). */
  get lineNumbers(): boolean {
    return this.numbered;
  }

  /** recordTiming: runs record metadata.execution (View menu). */
  get recordTiming(): boolean {
    return this.timing;
  }

  register(r: CommandRegistry): void {
    const each = (fn: (c: Cell) => void) => () => this.host.cells().forEach(fn);
    r.add(
      { id: "view:collapse-all-inputs", label: "Collapse all inputs", menu: "View", group: "collapse", run: each((c) => c.setInputCollapsed(true)) },
      { id: "view:expand-all-inputs", label: "Expand all inputs", menu: "View", group: "collapse", run: each((c) => c.setInputCollapsed(false)) },
      { id: "view:collapse-all-outputs", label: "Collapse all outputs", menu: "View", group: "collapse", run: each((c) => c.setOutputsCollapsed(true)) },
      { id: "view:expand-all-outputs", label: "Expand all outputs", menu: "View", group: "collapse", run: each((c) => c.setOutputsCollapsed(false)) },
      { id: "view:toggle-inputs", label: "Collapse or expand the selected inputs", menu: "View", group: "collapse", run: () => this.toggleInputs() },
      { id: "view:toggle-outputs", label: "Collapse or expand the selected outputs", menu: "View", group: "collapse", keys: ["O"], mode: "command", run: () => this.toggleOutputs() },
      { id: "view:toggle-output-scrolling", label: "Scroll the selected outputs in a box", menu: "View", group: "collapse", keys: ["Shift-O"], mode: "command", run: () => this.toggleScrolling() },
      {
        id: "view:toggle-line-numbers",
        label: "Show line numbers",
        menu: "View",
        group: "editor",
        keys: ["Shift-L"],
        mode: "command",
        checked: () => this.numbered,
        run: () => this.setLineNumbers(!this.numbered),
      },
      { id: "view:toggle-cell-line-numbers", label: "Line numbers in the selected cells", menu: "View", group: "editor", keys: ["L"], mode: "command", run: () => this.toggleCellLineNumbers() },
      {
        id: "view:record-timing",
        label: "Record execution timing",
        menu: "View",
        group: "timing",
        checked: () => this.timing,
        run: () => {
          this.timing = !this.timing;
          store(TIMING_KEY, this.timing);
        },
      },
    );
    for (let n = 1; n <= 6; n++) {
      r.add({ id: `edit:heading-${n}`, label: `Make it a heading ${n}`, menu: "Edit", group: "heading", keys: [String(n)], mode: "command", run: () => this.heading(n) });
    }
  }

  /** toggleInputs collapses the selected inputs, or expands them when the first is collapsed. */
  toggleInputs(): void {
    const sel = this.host.selected();
    const on = !sel[0]?.inputCollapsed;
    for (const c of sel) c.setInputCollapsed(on);
  }

  /** toggleOutputs (O) collapses the selected code cells' outputs, or expands them when the first is collapsed. */
  toggleOutputs(): void {
    const code = this.host.selected().filter((c) => c.type === "code");
    const on = !code[0]?.outputsCollapsed;
    for (const c of code) c.setOutputsCollapsed(on);
  }

  /** toggleScrolling (Shift-O) puts the selected outputs into a scrolled box, or back. */
  toggleScrolling(): void {
    const code = this.host.selected().filter((c) => c.type === "code");
    const on = !code[0]?.scrolled;
    for (const c of code) c.setScrolled(on);
  }

  setLineNumbers(on: boolean): void {
    this.numbered = on;
    store(LINE_NUMBERS_KEY, on);
    for (const c of this.host.cells()) c.setLineNumbers(on);
  }

  /** toggleCellLineNumbers (L): line numbers in the selected cells only, for this page. */
  toggleCellLineNumbers(): void {
    const sel = this.host.selected();
    const on = !sel[0]?.numbered;
    for (const c of sel) c.setLineNumbers(on);
  }

  /** heading (1–6) makes the selected cells markdown headings of level n, as Notebook does. */
  heading(n: number): void {
    if (this.host.selected().some((c) => c.type !== "markdown")) this.host.setType("markdown");
    for (const c of this.host.selected()) {
      if (c.type !== "markdown") continue;
      c.setSource(headingSource(c.data.source, n));
      // An empty heading shows as its source, ready to be typed into.
      if (!c.data.source.replace(/^#+\s*/, "").trim()) c.unrender();
    }
    this.host.changed();
  }
}
