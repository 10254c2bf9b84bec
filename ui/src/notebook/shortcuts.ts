// The keyboard help panel: the page's commands with their shortcuts (from
// the registry, so the help never disagrees with the menus) and the cell
// editor's own keys.
import { h } from "../dom";
import type { NotebookCommand } from "./registry";

export const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const mod = isMac ? "Cmd" : "Ctrl";

/** editorKeys are the cell editor's own keys: they are no page command, so
 *  the registry does not list them; the help shows them after its commands. */
export const editorKeys: [string, string][] = [
  ["Esc", "Leave the editor (command mode)"],
  ["Up (first line)", "Move into the cell above"],
  ["Down (last line)", "Move into the cell below"],
  [`${mod}-Z / ${mod}-Shift-Z`, "Undo / redo typing"],
  [`${mod}-F`, "Find in the cell"],
  ["Tab", "Complete after a name, a dot or in a string; indent elsewhere (Esc, then Tab, leaves the editor)"],
  ["Ctrl-Space", "Complete (ask the kernel)"],
  ["Shift-Tab", "Show the kernel's help for the name at the cursor; again to expand it (dedent: Shift-Tab over a selection)"],
  ["Esc (list or help shown)", "Close the completion list or help first"],
  [`${mod}-[ / ${mod}-]`, "Dedent / indent"],
  [`${mod}-S`, "Save"],
];

/** shortcutRows are the help's rows for one mode: each command with a
 *  shortcut in that mode (the registry's order), then, in edit mode, the
 *  editor's own keys. */
export function shortcutRows(cmds: readonly NotebookCommand[], mode: "command" | "edit"): [string, string][] {
  const rows: [string, string][] = [];
  for (const c of cmds) {
    if (!c.keys?.length || (c.mode && c.mode !== mode)) continue;
    rows.push([c.keys.join(" / "), c.label.replace(/…$/, "")]);
  }
  return mode === "edit" ? [...rows, ...editorKeys] : rows;
}

function table(caption: string, rows: [string, string][]): HTMLElement {
  const body = h("tbody");
  for (const [k, d] of rows) body.appendChild(h("tr", {}, h("th", { scope: "row" }, h("kbd", { text: k })), h("td", { text: d })));
  return h("table", { class: "nb-keys" }, h("caption", { text: caption }), body);
}

/** showShortcuts opens the shortcuts panel (a modal dialog) listing cmds' keys. */
export function showShortcuts(cmds: readonly NotebookCommand[]): void {
  if (document.querySelector('[data-testid="shortcuts-panel"]')) return;
  const titleId = "nb-keys-title";
  const close = h("button", { type: "button", class: "q-btn primary", text: "Close" });
  const dlg = h(
    "dialog",
    { class: "q-dialog nb-keys-dialog", "data-testid": "shortcuts-panel", "aria-labelledby": titleId },
    h("h2", { id: titleId, text: "Keyboard shortcuts" }),
    h("div", { class: "nb-keys-cols" }, table("Command mode (Esc)", shortcutRows(cmds, "command")), table("Edit mode (Enter)", shortcutRows(cmds, "edit"))),
    h("div", { class: "q-dialog-buttons" }, close),
  );
  close.addEventListener("click", () => dlg.close());
  dlg.addEventListener("close", () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
  close.focus();
}
