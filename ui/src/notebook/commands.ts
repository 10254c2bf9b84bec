// Command-mode keyboard shortcuts (Jupyter's, listed in shortcuts.ts): which
// key means which command, double presses (D D, I I, 0 0) included. The
// notebook view maps each Command to what it does.

export type Command =
  | "run-advance"
  | "run-in-place"
  | "run-insert"
  | "edit"
  | "select-up"
  | "select-down"
  | "extend-up"
  | "extend-down"
  | "insert-above"
  | "insert-below"
  | "delete"
  | "cut"
  | "copy"
  | "paste-below"
  | "paste-above"
  | "undo-delete"
  | "merge"
  | "to-code"
  | "to-markdown"
  | "to-raw"
  | "save"
  | "shortcuts"
  | "interrupt"
  | "restart"
  | "toggle-outputs"
  | "toggle-scroll"
  | "line-numbers-cell"
  | "line-numbers-all"
  | `heading-${1 | 2 | 3 | 4 | 5 | 6}`
  | "find-replace";

/** KeyPress is what a keymap reads of a KeyboardEvent. */
export interface KeyPress {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}

/** A second press within DOUBLE_MS of the first makes a double press. */
export const DOUBLE_MS = 800;

/** PENDING: the key is the first of a double press; it is the page's, but nothing happens yet. */
export const PENDING = "pending";

/** isSaveKey: Ctrl-S (Cmd-S on a Mac) saves in either mode. */
export function isSaveKey(ev: KeyPress, mac: boolean): boolean {
  const mod = mac ? ev.metaKey : ev.ctrlKey;
  return mod && !ev.altKey && !ev.shiftKey && ev.key.toLowerCase() === "s";
}

/** keyIsForNotebook: a key typed at target (not into a field, editor or
 *  menu, not Enter or Space on a button) may be a command-mode shortcut. */
export function keyIsForNotebook(target: HTMLElement | null, key: string): boolean {
  if (!target || target === document.body) return true;
  if (target.closest("input, textarea, select, [contenteditable='true'], .cm-editor, .nb-menu, dialog")) return false;
  const isControl = !!target.closest("button, a, summary");
  return !(isControl && (key === "Enter" || key === " "));
}

const single = new Map<string, Command>([
  ["a", "insert-above"],
  ["b", "insert-below"],
  ["x", "cut"],
  ["c", "copy"],
  ["v", "paste-below"],
  ["z", "undo-delete"],
  ["y", "to-code"],
  ["m", "to-markdown"],
  ["r", "to-raw"],
  ["s", "save"],
  ["h", "shortcuts"],
  ["o", "toggle-outputs"],
  ["l", "line-numbers-cell"],
  ["1", "heading-1"],
  ["2", "heading-2"],
  ["3", "heading-3"],
  ["4", "heading-4"],
  ["5", "heading-5"],
  ["6", "heading-6"],
  ["f", "find-replace"],
]);

const double = new Map<string, Command>([
  ["d", "delete"],
  ["i", "interrupt"],
  ["0", "restart"],
]);

/** CommandKeys turns command-mode key presses into commands. It remembers
 *  the last press, for the double ones. */
export class CommandKeys {
  private last = { key: "", time: 0 };

  /** press is the command ev means at time now (ms), PENDING for the first
   *  press of a double one, or null when the key is not a shortcut. */
  press(ev: KeyPress, now: number): Command | typeof PENDING | null {
    const r = this.lookup(ev, now);
    const key = ev.key;
    if (!double.has(key) && key !== "Shift") this.last = { key: "", time: 0 };
    return r;
  }

  private twice(k: string, now: number): boolean {
    const yes = this.last.key === k && now - this.last.time < DOUBLE_MS;
    this.last = yes ? { key: "", time: 0 } : { key: k, time: now };
    return yes;
  }

  private lookup(ev: KeyPress, now: number): Command | typeof PENDING | null {
    const key = ev.key;
    const ctrlish = ev.ctrlKey || ev.metaKey;
    if (key === "Enter") {
      if (ev.shiftKey && !ctrlish && !ev.altKey) return "run-advance";
      if (ctrlish) return "run-in-place";
      if (ev.altKey) return "run-insert";
      return "edit";
    }
    if (ctrlish || ev.altKey) return null;
    if (key === "ArrowUp" || key === "k" || key === "K") return ev.shiftKey ? "extend-up" : "select-up";
    if (key === "ArrowDown" || key === "j" || key === "J") return ev.shiftKey ? "extend-down" : "select-down";
    if (ev.shiftKey) {
      if (key === "V") return "paste-above";
      if (key === "M") return "merge";
      if (key === "O") return "toggle-scroll";
      if (key === "L") return "line-numbers-all";
      return null;
    }
    const twice = double.get(key);
    if (twice) return this.twice(key, now) ? twice : PENDING;
    return single.get(key) ?? null;
  }
}
