// The keyboard shortcuts (Jupyter's) and their help panel.
import { h } from "../dom";

export const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const mod = isMac ? "Cmd" : "Ctrl";

export const commandShortcuts: [string, string][] = [
  ["Enter", "Edit the selected cell"],
  ["Shift-Enter", "Run the cell, select below (adds a cell at the end)"],
  [`${mod}-Enter`, "Run the selected cells in place"],
  ["Alt-Enter", "Run the cell and insert a cell below"],
  ["Up / K", "Select the cell above"],
  ["Down / J", "Select the cell below"],
  ["Shift-Up / Shift-K", "Extend the selection upwards"],
  ["Shift-Down / Shift-J", "Extend the selection downwards"],
  ["A", "Insert a cell above"],
  ["B", "Insert a cell below"],
  ["D, D", "Delete the selected cells"],
  ["X", "Cut the selected cells"],
  ["C", "Copy the selected cells"],
  ["V", "Paste cells below"],
  ["Shift-V", "Paste cells above"],
  ["Z", "Undo the last cell deletion"],
  ["Y", "Make it a code cell"],
  ["M", "Make it a markdown cell"],
  ["R", "Make it a raw cell"],
  ["Shift-M", "Merge the selected cells (or with the cell below)"],
  ["S", "Save"],
  ["I, I", "Interrupt the kernel"],
  ["0, 0", "Restart the kernel (asks first)"],
  ["H", "Show this list"],
  [`F / ${mod}-F`, "Find and replace / find in the notebook"],
  ["F3 / Shift-F3", "Next / previous match (Esc closes the find bar)"],
  [`${mod}-S`, "Save (in either mode)"],
];

export const editShortcuts: [string, string][] = [
  ["Esc", "Leave the editor (command mode)"],
  ["Shift-Enter", "Run the cell, select below"],
  [`${mod}-Enter`, "Run the cell in place"],
  ["Alt-Enter", "Run the cell and insert a cell below"],
  [`${mod}-Shift-Minus`, "Split the cell at the cursor"],
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

function table(caption: string, rows: [string, string][]): HTMLElement {
  const body = h("tbody");
  for (const [k, d] of rows) body.appendChild(h("tr", {}, h("th", { scope: "row" }, h("kbd", { text: k })), h("td", { text: d })));
  return h("table", { class: "nb-keys" }, h("caption", { text: caption }), body);
}

/** showShortcuts opens the shortcuts panel (a modal dialog). */
export function showShortcuts(): void {
  if (document.querySelector('[data-testid="shortcuts-panel"]')) return;
  const titleId = "nb-keys-title";
  const close = h("button", { type: "button", class: "q-btn primary", text: "Close" });
  const dlg = h(
    "dialog",
    { class: "q-dialog nb-keys-dialog", "data-testid": "shortcuts-panel", "aria-labelledby": titleId },
    h("h2", { id: titleId, text: "Keyboard shortcuts" }),
    h("div", { class: "nb-keys-cols" }, table("Command mode (Esc)", commandShortcuts), table("Edit mode (Enter)", editShortcuts)),
    h("div", { class: "q-dialog-buttons" }, close),
  );
  close.addEventListener("click", () => dlg.close());
  dlg.addEventListener("close", () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
  close.focus();
}
