// The command palette (Ctrl-Shift-P, or Ctrl-Shift-C as in Notebook 7): a
// modal search over the page's command registry. Typing filters
// (palettematch.ts), Up/Down/Home/End/PageUp/PageDown move, Enter or a click
// runs the chosen command, Escape closes; either way the focus goes back to
// where it was. Commands that cannot run now are listed, greyed out, and do
// nothing. Loaded on first use, so the page does not pay for it up front.
import { h } from "../dom";
import { filterCommands } from "./palettematch";
import type { CommandRegistry, NotebookCommand } from "./registry";

export interface PaletteHost {
  /** run runs a command, once the palette has closed and the focus is back. */
  run(id: string): void;
}

let seq = 0;

/** openPalette shows the palette over reg's commands. */
export function openPalette(reg: CommandRegistry, host: PaletteHost): void {
  if (document.querySelector('[data-testid="palette"]')) return;
  const back = document.activeElement as HTMLElement | null;
  const id = `nb-palette-${++seq}`;
  const input = h("input", {
    type: "text",
    class: "nb-palette-input",
    role: "combobox",
    "aria-label": "Command",
    "aria-expanded": "true",
    "aria-controls": id + "-list",
    "aria-autocomplete": "list",
    placeholder: "Type a command…",
    spellcheck: "false",
    autocomplete: "off",
    "data-testid": "palette-input",
  });
  const list = h("ul", { class: "nb-palette-list", role: "listbox", id: id + "-list", "aria-label": "Commands", "data-testid": "palette-list" });
  const empty = h("p", { class: "nb-palette-empty", hidden: true, text: "No command matches." });
  const dlg = h("dialog", { class: "q-dialog nb-palette", "aria-label": "Command palette", "data-testid": "palette" }, h("div", { class: "nb-palette-body" }, input, list, empty));

  let shown: NotebookCommand[] = [];
  let active = 0;
  let chosen: string | null = null;

  const enabled = (c: NotebookCommand) => !c.enabled || c.enabled();
  const render = () => {
    shown = filterCommands(reg.list(), input.value);
    active = Math.max(0, shown.findIndex(enabled));
    list.replaceChildren(
      ...shown.map((c, i) =>
        h(
          "li",
          {
            id: `${id}-${i}`,
            role: "option",
            class: "nb-palette-item",
            "data-command": c.id,
            "data-testid": "palette-item",
            "aria-selected": "false",
            "aria-disabled": enabled(c) ? null : "true",
          },
          h("span", { class: "nb-palette-menu", text: c.menu }),
          h("span", { class: "nb-palette-label", text: c.label }),
          h("kbd", { class: "nb-menu-keys", text: c.keys?.[0] ?? "" }),
        ),
      ),
    );
    empty.hidden = shown.length > 0;
    mark();
  };
  const mark = () => {
    list.querySelectorAll('[aria-selected="true"]').forEach((e) => e.setAttribute("aria-selected", "false"));
    const el = list.children[active] as HTMLElement | undefined;
    if (el) {
      el.setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", el.id);
      el.scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  };
  const move = (to: number) => {
    if (shown.length === 0) return;
    active = Math.min(shown.length - 1, Math.max(0, to));
    mark();
  };
  const choose = (i: number) => {
    const c = shown[i];
    if (!c || !enabled(c)) return;
    chosen = c.id;
    dlg.close();
  };

  input.addEventListener("input", render);
  input.addEventListener("keydown", (ev) => {
    const page = 8;
    let handled = true;
    switch (ev.key) {
      case "ArrowDown":
        move(active + 1 >= shown.length ? 0 : active + 1);
        break;
      case "ArrowUp":
        move(active - 1 < 0 ? shown.length - 1 : active - 1);
        break;
      case "PageDown":
        move(active + page);
        break;
      case "PageUp":
        move(active - page);
        break;
      case "Enter":
        choose(active);
        break;
      default:
        handled = false;
    }
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  });
  list.addEventListener("mousedown", (ev) => ev.preventDefault()); // the focus stays in the box
  list.addEventListener("click", (ev) => {
    const li = (ev.target as HTMLElement).closest("li");
    if (li) choose([...list.children].indexOf(li));
  });
  dlg.addEventListener("click", (ev) => {
    if (ev.target === dlg) dlg.close(); // the backdrop
  });
  dlg.addEventListener("close", () => {
    dlg.remove();
    if (back && back.isConnected && back !== document.body) back.focus();
    if (chosen) host.run(chosen);
  });
  document.body.appendChild(dlg);
  render();
  dlg.showModal();
  input.focus();
}
