// The notebook's toolbar: file, cell editing, running, cell type, kernel
// and trust. Each button runs a command of the page's registry and takes
// its name and shortcut from there, so the toolbar, the menus and the
// keyboard help agree; the icons are icons.ts's.
import { h } from "../dom";
import { icon, type IconName } from "./icons";
import type { CellType } from "./model";
import type { CommandRegistry } from "./registry";

/** ToolbarHost is what the toolbar needs besides the commands. */
export interface ToolbarHost {
  setType(type: CellType): void;
  /** focusActive puts the focus back on the active cell. */
  focusActive(): void;
}

/** toolButton is one toolbar button calling fn: an icon when given, else
 *  text; label is its accessible name, title its tooltip. */
export function toolButton(testid: string, label: string, content: string | IconName, fn: () => void, extra: Record<string, string> = {}, withIcon = false): HTMLButtonElement {
  const b = h("button", { type: "button", class: "q-btn nb-tb", "data-testid": testid, "aria-label": label, title: label, ...extra });
  if (withIcon) b.appendChild(icon(content as IconName));
  else b.textContent = content;
  b.addEventListener("click", () => fn());
  return b;
}

/** tooltip is a command's label with its first shortcut: "Save and checkpoint (Ctrl-S)". */
export function tooltip(label: string, keys?: readonly string[]): string {
  const l = label.replace(/…$/, "");
  return keys?.length ? `${l} (${keys[0]})` : l;
}

export class Toolbar {
  readonly el: HTMLElement;
  private typeSelect: HTMLSelectElement;

  /** trustButton is placed with the kernel controls. run runs a command
   *  (and puts the focus back where keys go on working). */
  constructor(reg: CommandRegistry, host: ToolbarHost, trustButton: HTMLButtonElement, run: (id: string) => void) {
    const btn = (testid: string, id: string, ic: IconName, text?: string) => {
      const c = reg.get(id);
      if (!c) throw new Error(`toolbar: no command ${id}`);
      const b = toolButton(testid, c.label.replace(/…$/, ""), ic, () => run(id), {}, true);
      b.title = tooltip(c.label, c.keys);
      if (text) b.append(h("span", { class: "nb-tb-text", text }));
      return b;
    };
    this.typeSelect = h(
      "select",
      { class: "nb-type", "data-testid": "cell-type", "aria-label": "Cell type" },
      h("option", { value: "code", text: "Code" }),
      h("option", { value: "markdown", text: "Markdown" }),
      h("option", { value: "raw", text: "Raw" }),
    );
    this.typeSelect.addEventListener("change", () => {
      host.setType(this.typeSelect.value as CellType);
      host.focusActive();
    });
    const group = (label: string, ...kids: HTMLElement[]) => h("div", { class: "nb-tb-group", role: "group", "aria-label": label }, ...kids);
    this.el = h(
      "div",
      { class: "nb-toolbar", role: "toolbar", "aria-label": "Notebook actions" },
      group("File", btn("save", "file:save", "save"), btn("revert", "file:revert", "revert")),
      group(
        "Edit cells",
        btn("insert-below", "edit:insert-below", "plus"),
        btn("delete-cell", "edit:delete", "trash"),
        btn("cut-cells", "edit:cut", "cut"),
        btn("copy-cells", "edit:copy", "copy"),
        btn("paste-cells", "edit:paste-below", "paste"),
        btn("move-up", "edit:move-up", "up"),
        btn("move-down", "edit:move-down", "down"),
      ),
      group(
        "Run",
        btn("run-cell", "run:advance", "run", "Run"),
        btn("run-all", "run:all", "runAll"),
        btn("interrupt", "kernel:interrupt", "stop"),
        btn("restart", "kernel:restart", "restart"),
        btn("restart-run-all", "kernel:restart-run-all", "restartRun"),
        btn("clear-outputs", "edit:clear-all-outputs", "clear"),
      ),
      group("Cell", this.typeSelect),
      group("Kernel and notebook", btn("change-kernel", "kernel:change", "kernel"), trustButton, btn("shortcuts", "help:shortcuts", "keyboard")),
    );
  }

  /** showCellType shows the active cell's type. */
  showCellType(type: CellType): void {
    this.typeSelect.value = type;
  }
}
