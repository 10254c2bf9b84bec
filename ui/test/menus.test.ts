// The notebook page's commands, menus and palette, where they are pure:
// every command-mode key the help and menus show is the key that works,
// menus group their items, the palette ranks what was typed, and the
// kernel picker offers the right choice first.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KernelSpecs } from "../src/api";
import { CommandKeys, PENDING, isSaveKey, type Command, type KeyPress } from "../src/notebook/commands";
import { NO_KERNEL, preselect, specNames } from "../src/kernelpicker";
import { ariaKeys, menuItems, nextIndex } from "../src/notebook/menubar";
import { KEY_COMMANDS, PALETTE_KEYS, isPaletteKey, registerPageCommands, type PageActions } from "../src/notebook/notebookcommands";
import { filterCommands, wordScore } from "../src/notebook/palettematch";
import { CommandRegistry, MENUS, type NotebookCommand } from "../src/notebook/registry";
import { shortcutRows } from "../src/notebook/shortcuts";
import { CELL_VIEW_KEYS, CellView } from "../src/notebook/cellview";

/** page registers the page's commands with actions that record what ran. */
function page(over: Partial<PageActions> = {}) {
  const ran: string[] = [];
  const actions = new Proxy(over as PageActions, {
    get(target, prop: string) {
      if (prop in target) return (target as unknown as Record<string, unknown>)[prop];
      return (...args: unknown[]) => {
        ran.push(args.length ? `${prop}(${args.join(",")})` : prop);
        return prop.startsWith("can") || prop === "hasKernel" ? true : undefined;
      };
    },
  });
  const reg = new CommandRegistry();
  registerPageCommands(reg, actions);
  // The cell view's commands (O, L, Shift-L, 1–6) join the same list on the page.
  new CellView({ cells: () => [], selected: () => [], setType: () => {}, changed: () => {} }).register(reg);
  return { reg, ran };
}

/** presses turns a shortcut as shown ("Shift-K", "D D", "Up") into key presses. */
function presses(shown: string): KeyPress[] {
  return shown.split(" ").map((chord) => {
    const parts = chord.split("-");
    let key = parts.pop()!;
    const mods = new Set(parts);
    if (key === "Up" || key === "Down") key = "Arrow" + key;
    else if (key.length === 1) key = mods.has("Shift") ? key.toUpperCase() : key.toLowerCase();
    return { key, shiftKey: mods.has("Shift"), ctrlKey: mods.has("Ctrl"), metaKey: mods.has("Cmd"), altKey: mods.has("Alt") };
  });
}

test("every command-mode key commands.ts knows has its command, listed with that key", () => {
  const { reg } = page();
  const all = { ...KEY_COMMANDS, ...CELL_VIEW_KEYS };
  assert.ok(Object.keys(CELL_VIEW_KEYS).length >= 10, "the cell view's keys are checked too");
  for (const [cmd, id] of Object.entries(all) as [Command, string][]) {
    const c = reg.get(id);
    assert.ok(c, `${cmd}: no command ${id}`);
    const shown = (c.keys ?? []).filter((k) => !k.includes("Ctrl-S"));
    assert.ok(shown.length > 0, `${id} shows no key`);
    for (const s of shown) {
      const keys = new CommandKeys();
      const ps = presses(s);
      let got: ReturnType<CommandKeys["press"]> = null;
      ps.forEach((p, i) => {
        got = keys.press(p, i * 10);
        if (i < ps.length - 1) assert.equal(got, PENDING, `${s}: first press of a double`);
      });
      assert.equal(got, cmd, `${id} shows ${s}, which is ${got}`);
    }
  }
});

test("the keys shown for the other commands are the ones the page reads", () => {
  const { reg } = page();
  assert.ok(isSaveKey(presses(reg.get("file:save")!.keys![0])[0], false));
  for (const k of PALETTE_KEYS) assert.ok(isPaletteKey(presses(k)[0], false), k);
  assert.deepEqual(reg.get("view:palette")!.keys, PALETTE_KEYS);
  assert.ok(!isPaletteKey(presses("Ctrl-P")[0], false));
  assert.ok(!isPaletteKey(presses("Shift-P")[0], false));
  assert.ok(isPaletteKey({ key: "P", shiftKey: true, ctrlKey: false, metaKey: true, altKey: false }, true));
});

test("every menu has commands; ids are unique; labels read as actions", () => {
  const { reg } = page();
  for (const m of MENUS) assert.ok(reg.menu(m).length > 0, `${m} is empty`);
  assert.throws(() => registerPageCommands(reg, {} as PageActions), /registered twice/);
  for (const c of reg.list()) assert.match(c.label, /^[A-Z]/, c.id);
  for (const id of ["file:close", "file:rename", "file:save-copy", "file:revert", "file:trust", "run:all", "run:above", "run:below", "kernel:restart-run-all", "kernel:change", "edit:split", "edit:move-up", "edit:move-down", "edit:clear-all-outputs"]) {
    assert.ok(reg.get(id), `no ${id}`);
  }
});

test("commands run their action, and only when enabled", () => {
  let kernel = false;
  const { reg, ran } = page({ hasKernel: () => kernel });
  assert.equal(reg.run("kernel:restart"), false, "no kernel: restart cannot run");
  kernel = true;
  assert.equal(reg.run("kernel:restart"), true);
  assert.equal(reg.run("edit:paste-above"), true);
  assert.equal(reg.run("run:all"), true);
  assert.deepEqual(ran, ["restart(false)", "paste(true)", "runAll"]);
});

test("menus put a separator between groups, never first or doubled", () => {
  const c = (id: string, group?: string): NotebookCommand => ({ id, label: id, menu: "Edit", group, run: () => {} });
  const items = menuItems([c("a", "x"), c("b", "x"), c("c", "y"), c("d")]);
  assert.deepEqual(items.map((i) => i?.id ?? "|"), ["a", "b", "|", "c", "|", "d"]);
  assert.deepEqual(menuItems([]), []);
});

test("moving along a menu wraps at both ends", () => {
  assert.equal(nextIndex(0, 6, -1), 5);
  assert.equal(nextIndex(5, 6, 1), 0);
  assert.equal(nextIndex(2, 6, 1), 3);
  assert.equal(nextIndex(-1, 3, 1), 0);
  assert.equal(nextIndex(0, 0, 1), -1);
});

test("shortcuts become aria-keyshortcuts values", () => {
  assert.equal(ariaKeys("Ctrl-Shift-P"), "Control+Shift+P");
  assert.equal(ariaKeys("Cmd-S"), "Meta+S");
  assert.equal(ariaKeys("D D"), "D D");
  assert.equal(ariaKeys("Shift-Up"), "Shift+ArrowUp");
  assert.equal(ariaKeys("Up"), "ArrowUp");
});

test("the palette ranks word starts, then substrings, then letters in order", () => {
  assert.equal(wordScore("rest", "kernel: restart kernel…"), 3);
  assert.equal(wordScore("start", "kernel: restart kernel…"), 2);
  assert.equal(wordScore("rsk", "kernel: restart kernel…"), 1);
  assert.equal(wordScore("zq", "kernel: restart kernel…"), 0);
  const { reg } = page();
  const labels = (q: string) => filterCommands(reg.list(), q).map((c) => c.id);
  assert.equal(labels("restart kernel")[0], "kernel:restart");
  assert.ok(labels("restart").slice(0, 2).every((id) => id.startsWith("kernel:restart")));
  assert.equal(labels("run all")[0], "run:all");
  assert.ok(labels("kernel").includes("kernel:interrupt"), "matches the menu name too");
  assert.deepEqual(labels(""), reg.list().map((c) => c.id), "nothing typed: every command, in order");
  assert.deepEqual(labels("no such command"), []);
  assert.deepEqual(labels("  RUN   ALL "), labels("run all"), "case and spaces do not matter");
});

test("the keyboard help lists each mode's commands, then the editor's keys", () => {
  const { reg } = page();
  const cmd = shortcutRows(reg.list(), "command");
  const edit = shortcutRows(reg.list(), "edit");
  const has = (rows: [string, string][], key: string) => rows.some(([k]) => k === key);
  assert.ok(has(cmd, "D D") && has(cmd, "0 0") && has(cmd, "Shift-Enter") && has(cmd, "Ctrl-S / S"));
  assert.ok(!has(cmd, "Ctrl-Shift-Minus"), "split is an edit-mode key");
  assert.ok(has(edit, "Ctrl-Shift-Minus") && has(edit, "Shift-Enter") && has(edit, "Esc"));
  assert.ok(!has(edit, "D D"), "D D is a command-mode key");
  assert.ok(cmd.length + edit.length >= 30);
});

test("the kernel picker offers the last choice, else the default", () => {
  const spec = (name: string, display: string) => ({ name, spec: { display_name: display, language: "python", argv: [] }, resources: {} });
  const specs: KernelSpecs = { default: "python3", kernelspecs: { python3: spec("python3", "Python 3"), b: spec("b", "A second") } };
  assert.deepEqual(specNames(specs), ["b", "python3"], "by display name");
  assert.equal(preselect(specs, "b", true), "b");
  assert.equal(preselect(specs, "gone", true), "python3");
  assert.equal(preselect(specs, null, true), "python3");
  assert.equal(preselect(specs, NO_KERNEL, true), NO_KERNEL);
  assert.equal(preselect(specs, NO_KERNEL, false), "python3", "no kernel is not on offer");
  assert.equal(preselect({ default: "gone", kernelspecs: { b: spec("b", "B") } }, null, false), "b");
});
