// The menu bar and the palette in a real page: keyboard navigation, what
// runs, what cannot, and where the focus goes back to.
import { assert, domTest } from "./dom";
import { MenuBar } from "../src/notebook/menubar";
import { openPalette } from "../src/notebook/palette";
import { CommandRegistry } from "../src/notebook/registry";

function fixture() {
  const ran: string[] = [];
  let canPaste = false;
  let on = false;
  const reg = new CommandRegistry();
  reg.add(
    { id: "file:save", label: "Save", menu: "File", keys: ["Ctrl-S"], run: () => ran.push("save") },
    { id: "file:close", label: "Close and shut down", menu: "File", group: "close", run: () => ran.push("close") },
    { id: "edit:cut", label: "Cut cells", menu: "Edit", keys: ["X"], run: () => ran.push("cut") },
    { id: "edit:paste", label: "Paste cells", menu: "Edit", keys: ["V"], enabled: () => canPaste, run: () => ran.push("paste") },
    { id: "view:toolbar", label: "Show the toolbar", menu: "View", checked: () => on, run: () => (on = !on) },
    { id: "run:all", label: "Run all cells", menu: "Run", run: () => ran.push("run-all") },
    { id: "kernel:restart", label: "Restart kernel…", menu: "Kernel", keys: ["0 0"], run: () => ran.push("restart") },
    { id: "help:keys", label: "Keyboard shortcuts", menu: "Help", keys: ["H"], run: () => ran.push("help") },
  );
  const cell = document.createElement("div");
  cell.tabIndex = 0;
  cell.textContent = "a cell";
  let notebookFocused = 0;
  const bar = new MenuBar(reg, { run: (id) => reg.run(id), focusNotebook: () => notebookFocused++ });
  document.body.replaceChildren(bar.el, cell);
  const key = (key: string, opts: KeyboardEventInit = {}) =>
    (document.activeElement as HTMLElement).dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...opts }));
  const tops = () => [...bar.el.querySelectorAll<HTMLElement>('[role="menubar"] > * > [role="menuitem"]')];
  const openList = () => bar.el.querySelector<HTMLElement>('[role="menu"]:not([hidden])');
  const focused = () => (document.activeElement as HTMLElement).textContent ?? "";
  return { reg, ran, bar, cell, key, tops, openList, focused, setPaste: (v: boolean) => (canPaste = v), notebookFocused: () => notebookFocused };
}

domTest("the menu bar is one tab stop; arrows move along it and open menus", () => {
  const f = fixture();
  const tops = f.tops();
  assert(tops.length === 6, `6 menus, got ${tops.length}`);
  assert(tops.filter((t) => t.tabIndex === 0).length === 1, "one tab stop");
  f.cell.focus();
  tops[0].focus();
  f.key("ArrowRight");
  assert(f.focused() === "Edit", `Right moves to Edit, at ${f.focused()}`);
  f.key("ArrowLeft");
  f.key("ArrowLeft");
  assert(f.focused() === "Help", `Left wraps to Help, at ${f.focused()}`);
  f.key("ArrowDown");
  assert(f.openList()?.getAttribute("data-menu") === "Help", "Down opens Help");
  assert(tops[5].getAttribute("aria-expanded") === "true", "aria-expanded");
  assert(f.focused().includes("Keyboard shortcuts"), `first item focused, at ${f.focused()}`);
  f.key("ArrowRight");
  assert(f.openList()?.getAttribute("data-menu") === "File", "Right in a menu opens the next menu (wrapping)");
  assert(f.focused().includes("Save"), "and focuses its first item");
  f.key("Escape");
  assert(f.openList() === null, "Escape closes");
  assert(document.activeElement === f.cell, "and gives the focus back to the cell it came from");
});

domTest("items show their shortcut, disabled state and check; Enter runs, disabled do not", () => {
  const f = fixture();
  f.cell.focus();
  f.tops()[1].focus();
  f.key("Enter");
  const items = [...f.openList()!.querySelectorAll<HTMLElement>("[data-command]")];
  assert(items.map((i) => i.querySelector("kbd")!.textContent).join(",") === "X,V", "shortcuts shown");
  const paste = items[1];
  assert(paste.getAttribute("aria-disabled") === "true", "paste disabled");
  f.key("ArrowDown");
  assert(document.activeElement === paste, "disabled items can be focused");
  f.key("Enter");
  assert(f.ran.length === 0 && f.openList() !== null, "a disabled item does not run nor close");
  f.key("ArrowDown");
  assert(document.activeElement === items[0], "Down wraps to the first item");
  f.key(" ");
  assert(f.ran.join() === "cut", `Space runs: ${f.ran}`);
  assert(f.openList() === null && document.activeElement === f.cell, "and closes, focus back on the cell");

  f.setPaste(true);
  f.tops()[1].focus();
  f.key("ArrowUp");
  assert(f.focused().includes("Paste"), "Up opens at the last item");
  assert(document.activeElement!.getAttribute("aria-disabled") === null, "enabled now (menus are filled when opened)");
  f.key("Enter");
  assert(f.ran.join() === "cut,paste", `${f.ran}`);

  f.tops()[2].focus();
  f.key("Enter");
  let toggle = f.openList()!.querySelector<HTMLElement>('[role="menuitemcheckbox"]')!;
  assert(toggle.getAttribute("aria-checked") === "false", "toggle off");
  f.key("Enter");
  f.tops()[2].focus();
  f.key("Enter");
  toggle = f.openList()!.querySelector<HTMLElement>('[role="menuitemcheckbox"]')!;
  assert(toggle.getAttribute("aria-checked") === "true" && toggle.textContent!.includes("✓"), "toggle on, with a check");
  f.key("Escape");
});

domTest("groups are separated; a letter jumps to the next item starting with it", () => {
  const f = fixture();
  f.tops()[0].focus();
  f.key("ArrowDown");
  assert(f.openList()!.querySelectorAll('[role="separator"]').length === 1, "one separator between two groups");
  f.key("c");
  assert(f.focused().includes("Close"), `at ${f.focused()}`);
  f.key("Escape");
  assert(f.notebookFocused() === 1, "nothing had the focus before: it goes to the notebook");
});

domTest("a click opens a menu and runs an item; a click elsewhere closes it", () => {
  const f = fixture();
  f.cell.focus();
  f.tops()[3].click();
  assert(f.openList()?.getAttribute("data-menu") === "Run", "Run open");
  (f.openList()!.querySelector("[data-command]") as HTMLElement).click();
  assert(f.ran.join() === "run-all" && f.openList() === null, `${f.ran}`);
  f.tops()[4].click();
  document.body.dispatchEvent(new MouseEvent("mousedown", { bubbles: true }));
  assert(f.openList() === null, "closed by a click outside");
});

domTest("the palette filters, moves, runs; disabled commands cannot run; Escape gives focus back", async () => {
  const f = fixture();
  f.cell.focus();
  const ran: string[] = [];
  openPalette(f.reg, { run: (id) => ran.push(id) });
  const dlg = document.querySelector<HTMLDialogElement>('[data-testid="palette"]')!;
  const input = dlg.querySelector("input")!;
  assert(document.activeElement === input, "the search box has the focus");
  const shown = () => [...dlg.querySelectorAll<HTMLElement>('[role="option"]')].map((o) => o.dataset.command);
  assert(shown().length === 8, `all commands at first: ${shown()}`);
  input.value = "restart";
  input.dispatchEvent(new Event("input"));
  assert(shown().join() === "kernel:restart", `${shown()}`);
  assert(dlg.querySelector('[aria-selected="true"] kbd')!.textContent === "0 0", "shortcut shown");
  input.value = "paste";
  input.dispatchEvent(new Event("input"));
  assert(shown().join() === "edit:paste", `${shown()}`);
  input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
  assert(dlg.open && ran.length === 0, "a disabled command does not run");
  input.value = "";
  input.dispatchEvent(new Event("input"));
  input.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowUp", bubbles: true, cancelable: true }));
  assert(dlg.querySelector('[aria-selected="true"]')!.getAttribute("data-command") === "help:keys", "Up wraps to the last");
  assert(input.getAttribute("aria-activedescendant") === dlg.querySelector('[aria-selected="true"]')!.id, "active descendant");
  input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
  await new Promise((r) => setTimeout(r, 0));
  assert(ran.join() === "help:keys", `${ran}`);
  assert(!document.querySelector('[data-testid="palette"]'), "closed");
  assert(document.activeElement === f.cell, "focus back on the cell");

  openPalette(f.reg, { run: (id) => ran.push(id) });
  const dlg2 = document.querySelector<HTMLDialogElement>('[data-testid="palette"]')!;
  dlg2.close(); // what Escape does to a modal dialog
  await new Promise((r) => setTimeout(r, 0));
  assert(ran.length === 1 && document.activeElement === f.cell, "closing runs nothing, focus back");
});
