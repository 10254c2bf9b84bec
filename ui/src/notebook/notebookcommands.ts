// The notebook page's own commands, registered in its CommandRegistry with
// their labels, menus and shortcuts: the keyboard's command-mode keys
// (commands.ts), the toolbar's buttons and the File/Kernel actions. The
// keys listed here are what the menus, the palette and the keyboard help
// show; commands.ts and the editor's keymap are what make them work, and
// commands.test.ts checks that the two agree.
import type { Command } from "./commands";
import type { CellType } from "./model";
import type { CommandRegistry, NotebookCommand } from "./registry";
import { isMac } from "./shortcuts";

/** PageActions is what the commands do, supplied by the notebook view. */
export interface PageActions {
  save(): void;
  rename(): void;
  saveCopy(): void;
  revert(): void;
  trust(): void;
  trusted(): boolean;
  closeAndShutdown(): void;
  newTerminal(): void;

  edit(): void;
  select(dir: -1 | 1, extend: boolean): void;
  insertAbove(): void;
  insertBelow(): void;
  deleteSelected(): void;
  undoDelete(): void;
  canUndoDelete(): boolean;
  cut(): void;
  copy(): void;
  paste(above: boolean): void;
  move(dir: -1 | 1): void;
  canMove(dir: -1 | 1): boolean;
  split(): void;
  merge(): void;
  setType(type: CellType): void;
  clearSelectedOutputs(): void;
  clearAllOutputs(): void;

  palette(): void;
  toolbarShown(): boolean;
  toggleToolbar(): void;

  runAndAdvance(): void;
  runInPlace(): void;
  runAndInsert(): void;
  runAll(): void;
  runAbove(): void;
  runBelow(): void;

  hasKernel(): boolean;
  interrupt(): void;
  restart(runAll: boolean): void;
  changeKernel(): void;

  shortcuts(): void;
}

const mod = isMac ? "Cmd" : "Ctrl";

/** The keys that open the palette: Ctrl-Shift-P, and Ctrl-Shift-C as in Notebook 7. */
export const PALETTE_KEYS = [`${mod}-Shift-P`, `${mod}-Shift-C`];

/** isPaletteKey: ev is one of PALETTE_KEYS. */
export function isPaletteKey(ev: { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }, mac: boolean): boolean {
  const m = mac ? ev.metaKey : ev.ctrlKey;
  const k = ev.key.toLowerCase();
  return m && ev.shiftKey && !ev.altKey && (k === "p" || k === "c");
}

/** registerPageCommands adds the page's commands to reg, menu by menu. */
export function registerPageCommands(reg: CommandRegistry, a: PageActions): void {
  const cmd = (c: NotebookCommand) => c;
  const cmdMode = { mode: "command" as const };
  reg.add(
    // File
    cmd({ id: "file:save", label: "Save and checkpoint", menu: "File", group: "save", keys: [`${mod}-S`, "S"], mode: "command", run: a.save }),
    cmd({ id: "file:rename", label: "Rename…", menu: "File", group: "save", run: a.rename }),
    cmd({ id: "file:save-copy", label: "Save a copy…", menu: "File", group: "save", run: a.saveCopy }),
    cmd({ id: "file:revert", label: "Revert to checkpoint…", menu: "File", group: "save", run: a.revert }),
    cmd({ id: "file:trust", label: "Trust notebook…", menu: "File", group: "trust", checked: a.trusted, run: a.trust }),
    cmd({ id: "file:new-terminal", label: "New terminal", menu: "File", group: "new", run: a.newTerminal }),
    cmd({ id: "file:close", label: "Close and shut down", menu: "File", group: "close", run: a.closeAndShutdown }),

    // Edit
    cmd({ id: "edit:undo-delete", label: "Undo cell deletion", menu: "Edit", group: "undo", keys: ["Z"], ...cmdMode, enabled: a.canUndoDelete, run: a.undoDelete }),
    cmd({ id: "edit:cut", label: "Cut cells", menu: "Edit", group: "clipboard", keys: ["X"], ...cmdMode, run: a.cut }),
    cmd({ id: "edit:copy", label: "Copy cells", menu: "Edit", group: "clipboard", keys: ["C"], ...cmdMode, run: a.copy }),
    cmd({ id: "edit:paste-below", label: "Paste cells below", menu: "Edit", group: "clipboard", keys: ["V"], ...cmdMode, run: () => a.paste(false) }),
    cmd({ id: "edit:paste-above", label: "Paste cells above", menu: "Edit", group: "clipboard", keys: ["Shift-V"], ...cmdMode, run: () => a.paste(true) }),
    cmd({ id: "edit:delete", label: "Delete cells", menu: "Edit", group: "cells", keys: ["D D"], ...cmdMode, run: a.deleteSelected }),
    cmd({ id: "edit:insert-above", label: "Insert cell above", menu: "Edit", group: "cells", keys: ["A"], ...cmdMode, run: a.insertAbove }),
    cmd({ id: "edit:insert-below", label: "Insert cell below", menu: "Edit", group: "cells", keys: ["B"], ...cmdMode, run: a.insertBelow }),
    cmd({ id: "edit:move-up", label: "Move cells up", menu: "Edit", group: "cells", enabled: () => a.canMove(-1), run: () => a.move(-1) }),
    cmd({ id: "edit:move-down", label: "Move cells down", menu: "Edit", group: "cells", enabled: () => a.canMove(1), run: () => a.move(1) }),
    cmd({ id: "edit:split", label: "Split cell at cursor", menu: "Edit", group: "cells", keys: [`${mod}-Shift-Minus`], mode: "edit", run: a.split }),
    cmd({ id: "edit:merge", label: "Merge selected cells (or with below)", menu: "Edit", group: "cells", keys: ["Shift-M"], ...cmdMode, run: a.merge }),
    cmd({ id: "edit:to-code", label: "Make it a code cell", menu: "Edit", group: "type", keys: ["Y"], ...cmdMode, run: () => a.setType("code") }),
    cmd({ id: "edit:to-markdown", label: "Make it a markdown cell", menu: "Edit", group: "type", keys: ["M"], ...cmdMode, run: () => a.setType("markdown") }),
    cmd({ id: "edit:to-raw", label: "Make it a raw cell", menu: "Edit", group: "type", keys: ["R"], ...cmdMode, run: () => a.setType("raw") }),
    cmd({ id: "edit:clear-outputs", label: "Clear selected cells' outputs", menu: "Edit", group: "outputs", run: a.clearSelectedOutputs }),
    cmd({ id: "edit:clear-all-outputs", label: "Clear all outputs", menu: "Edit", group: "outputs", run: a.clearAllOutputs }),
    cmd({ id: "edit:edit-cell", label: "Edit the selected cell", menu: "Edit", group: "select", keys: ["Enter"], ...cmdMode, run: a.edit }),
    cmd({ id: "edit:select-up", label: "Select the cell above", menu: "Edit", group: "select", keys: ["Up", "K"], ...cmdMode, run: () => a.select(-1, false) }),
    cmd({ id: "edit:select-down", label: "Select the cell below", menu: "Edit", group: "select", keys: ["Down", "J"], ...cmdMode, run: () => a.select(1, false) }),
    cmd({ id: "edit:extend-up", label: "Extend the selection upwards", menu: "Edit", group: "select", keys: ["Shift-Up", "Shift-K"], ...cmdMode, run: () => a.select(-1, true) }),
    cmd({ id: "edit:extend-down", label: "Extend the selection downwards", menu: "Edit", group: "select", keys: ["Shift-Down", "Shift-J"], ...cmdMode, run: () => a.select(1, true) }),

    // View
    cmd({ id: "view:palette", label: "Command palette…", menu: "View", group: "find", keys: PALETTE_KEYS, run: a.palette }),
    cmd({ id: "view:toolbar", label: "Show the toolbar", menu: "View", group: "show", checked: a.toolbarShown, run: a.toggleToolbar }),

    // Run
    cmd({ id: "run:advance", label: "Run cells and select below", menu: "Run", group: "run", keys: ["Shift-Enter"], run: a.runAndAdvance }),
    cmd({ id: "run:in-place", label: "Run cells", menu: "Run", group: "run", keys: [`${mod}-Enter`], run: a.runInPlace }),
    cmd({ id: "run:insert", label: "Run cells and insert below", menu: "Run", group: "run", keys: ["Alt-Enter"], run: a.runAndInsert }),
    cmd({ id: "run:all", label: "Run all cells", menu: "Run", group: "many", run: a.runAll }),
    cmd({ id: "run:above", label: "Run cells above", menu: "Run", group: "many", run: a.runAbove }),
    cmd({ id: "run:below", label: "Run this cell and below", menu: "Run", group: "many", run: a.runBelow }),

    // Kernel
    cmd({ id: "kernel:interrupt", label: "Interrupt kernel", menu: "Kernel", group: "kernel", keys: ["I I"], ...cmdMode, enabled: a.hasKernel, run: a.interrupt }),
    cmd({ id: "kernel:restart", label: "Restart kernel…", menu: "Kernel", group: "kernel", keys: ["0 0"], ...cmdMode, enabled: a.hasKernel, run: () => a.restart(false) }),
    cmd({ id: "kernel:restart-run-all", label: "Restart kernel and run all cells…", menu: "Kernel", group: "kernel", enabled: a.hasKernel, run: () => a.restart(true) }),
    cmd({ id: "kernel:change", label: "Change kernel…", menu: "Kernel", group: "change", run: a.changeKernel }),

    // Help
    cmd({ id: "help:shortcuts", label: "Keyboard shortcuts", menu: "Help", group: "keys", keys: ["H"], ...cmdMode, run: a.shortcuts }),
  );
}

/** KEY_COMMANDS names the registry command each command-mode key of
 *  commands.ts stands for, so a test can check that the keys the menus show
 *  are the keys that work. The cell view's keys (O, L, 1–6: CELL_VIEW_KEYS
 *  in cellview.ts) and the find bar's (F, in nav.ts) are registered by those
 *  modules. */
export const KEY_COMMANDS: Partial<Record<Command, string>> = {
  "run-advance": "run:advance",
  "run-in-place": "run:in-place",
  "run-insert": "run:insert",
  edit: "edit:edit-cell",
  "select-up": "edit:select-up",
  "select-down": "edit:select-down",
  "extend-up": "edit:extend-up",
  "extend-down": "edit:extend-down",
  "insert-above": "edit:insert-above",
  "insert-below": "edit:insert-below",
  delete: "edit:delete",
  cut: "edit:cut",
  copy: "edit:copy",
  "paste-below": "edit:paste-below",
  "paste-above": "edit:paste-above",
  "undo-delete": "edit:undo-delete",
  merge: "edit:merge",
  "to-code": "edit:to-code",
  "to-markdown": "edit:to-markdown",
  "to-raw": "edit:to-raw",
  save: "file:save",
  shortcuts: "help:shortcuts",
  interrupt: "kernel:interrupt",
  restart: "kernel:restart",
};
