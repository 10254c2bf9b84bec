// The notebook's toolbar: file, cell editing, running, cell type and the
// "Cell" menu, kernel and trust. It only lays out controls; what they do is
// the ToolbarActions the view passes.
import { h } from "../dom";
import type { CellType } from "./model";

export interface ToolbarActions {
  save(): void;
  revert(): void;
  insertBelow(): void;
  insertAbove(): void;
  deleteSelected(): void;
  cut(): void;
  copy(): void;
  paste(): void;
  move(dir: -1 | 1): void;
  runAndAdvance(): void;
  runAll(): void;
  runAbove(): void;
  runBelow(): void;
  interrupt(): void;
  restart(runAll: boolean): void;
  clearSelectedOutputs(): void;
  clearAllOutputs(): void;
  split(): void;
  merge(): void;
  setType(type: CellType): void;
  changeKernel(): void;
  shortcuts(): void;
  /** focusActive puts the focus back on the active cell. */
  focusActive(): void;
  /** inCommandMode: no cell editor has the focus. */
  inCommandMode(): boolean;
}

/** toolButton is one toolbar button calling fn. */
export function toolButton(testid: string, label: string, text: string, fn: () => void, extra: Record<string, string> = {}): HTMLButtonElement {
  const b = h("button", { type: "button", class: "q-btn nb-tb", "data-testid": testid, "aria-label": label, title: label, ...extra }, text);
  b.addEventListener("click", () => fn());
  return b;
}

/** downloadFormats are the "Download as" entries: label and export format. */
export const downloadFormats: [string, string][] = [
  ["Notebook (.ipynb)", "notebook"],
  ["Script (kernel language)", "script"],
  ["HTML (.html)", "html"],
  ["Markdown (.md, or .zip with images)", "markdown"],
];

/** downloadMenu is the File group's "Download as" menu; download(format)
 * fetches the export. */
function downloadMenu(download: (format: string) => void): HTMLDetailsElement {
  const menu = h("details", { class: "nb-menu", "data-testid": "download-menu" }, h("summary", { class: "q-btn nb-tb", "aria-label": "Download as", title: "Download as", text: "⤓" }));
  const list = h("div", { class: "nb-menu-list", role: "menu" });
  for (const [label, format] of downloadFormats) {
    const b = h("button", { type: "button", class: "nb-menu-item", role: "menuitem", "data-format": format, text: label });
    b.addEventListener("click", () => {
      menu.open = false;
      download(format);
    });
    list.appendChild(b);
  }
  menu.appendChild(list);
  menu.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && menu.open) {
      ev.stopPropagation();
      menu.open = false;
      (menu.querySelector("summary") as HTMLElement).focus();
    }
  });
  return menu;
}

export class Toolbar {
  readonly el: HTMLElement;
  private typeSelect: HTMLSelectElement;

  /** trustButton is placed with the kernel controls; download(format), if
   * given, backs the File group's "Download as" menu. */
  constructor(a: ToolbarActions, trustButton: HTMLButtonElement, download?: (format: string) => void) {
    const btn = toolButton;
    // Edits leave the focus on the active cell, so keys go on working.
    const refocus = (fn: () => void) => () => {
      fn();
      if (a.inCommandMode()) a.focusActive();
    };
    this.typeSelect = h(
      "select",
      { class: "nb-type", "data-testid": "cell-type", "aria-label": "Cell type" },
      h("option", { value: "code", text: "Code" }),
      h("option", { value: "markdown", text: "Markdown" }),
      h("option", { value: "raw", text: "Raw" }),
    );
    this.typeSelect.addEventListener("change", () => {
      a.setType(this.typeSelect.value as CellType);
      a.focusActive();
    });
    const menuItems: [string, () => void][] = [
      ["Insert cell above", () => a.insertAbove()],
      ["Run cells above", () => a.runAbove()],
      ["Run this cell and below", () => a.runBelow()],
      ["Split cell at cursor", () => a.split()],
      ["Merge selected cells (or with below)", () => a.merge()],
      ["Clear selected cells' outputs", () => a.clearSelectedOutputs()],
      ["Clear all outputs", () => a.clearAllOutputs()],
    ];
    const menu = h("details", { class: "nb-menu" }, h("summary", { class: "q-btn nb-tb", "aria-label": "More cell actions", text: "Cell ▾" }));
    const menuList = h("div", { class: "nb-menu-list", role: "menu" });
    for (const [label, fn] of menuItems) {
      const b = h("button", { type: "button", class: "nb-menu-item", role: "menuitem", text: label });
      b.addEventListener("click", () => {
        menu.open = false;
        fn();
        if (a.inCommandMode()) a.focusActive();
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
    this.el = h(
      "div",
      { class: "nb-toolbar", role: "toolbar", "aria-label": "Notebook actions" },
      group(
        "File",
        btn("save", "Save and checkpoint", "Save", () => a.save()),
        btn("revert", "Revert to checkpoint", "Revert", () => a.revert()),
        ...(download ? [downloadMenu(download)] : []),
      ),
      group(
        "Edit cells",
        btn("insert-below", "Insert cell below", "+", refocus(() => a.insertBelow())),
        btn("delete-cell", "Delete selected cells", "Delete", refocus(() => a.deleteSelected())),
        btn("cut-cells", "Cut selected cells", "Cut", refocus(() => a.cut())),
        btn("copy-cells", "Copy selected cells", "Copy", refocus(() => a.copy())),
        btn("paste-cells", "Paste cells below", "Paste", refocus(() => a.paste())),
        btn("move-up", "Move selected cells up", "↑", refocus(() => a.move(-1))),
        btn("move-down", "Move selected cells down", "↓", refocus(() => a.move(1))),
      ),
      group(
        "Run",
        btn("run-cell", "Run selected cells and advance", "▶ Run", () => a.runAndAdvance()),
        btn("run-all", "Run all cells", "▶▶ Run all", () => a.runAll()),
        btn("interrupt", "Interrupt the kernel", "■", () => a.interrupt()),
        btn("restart", "Restart the kernel", "↻", () => a.restart(false)),
        btn("restart-run-all", "Restart the kernel and run all cells", "↻▶▶", () => a.restart(true)),
        btn("clear-outputs", "Clear all outputs", "Clear", refocus(() => a.clearAllOutputs())),
      ),
      group("Cell", this.typeSelect, menu),
      group("Kernel and notebook", btn("change-kernel", "Change kernel", "Kernel…", () => a.changeKernel()), trustButton, btn("shortcuts", "Keyboard shortcuts", "⌨", () => a.shortcuts())),
    );
  }

  /** showCellType shows the active cell's type. */
  showCellType(type: CellType): void {
    this.typeSelect.value = type;
  }
}
