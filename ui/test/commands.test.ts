// Command-mode keys: the keymap, double presses and what resets them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandKeys, DOUBLE_MS, PENDING, isSaveKey, type KeyPress } from "../src/notebook/commands";

function k(key: string, mods: Partial<KeyPress> = {}): KeyPress {
  return { key, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods };
}

test("Enter and its modifiers", () => {
  const keys = new CommandKeys();
  assert.equal(keys.press(k("Enter"), 0), "edit");
  assert.equal(keys.press(k("Enter", { shiftKey: true }), 0), "run-advance");
  assert.equal(keys.press(k("Enter", { ctrlKey: true }), 0), "run-in-place");
  assert.equal(keys.press(k("Enter", { metaKey: true }), 0), "run-in-place");
  assert.equal(keys.press(k("Enter", { altKey: true }), 0), "run-insert");
  assert.equal(keys.press(k("Enter", { shiftKey: true, ctrlKey: true }), 0), "run-in-place");
});

test("moving and extending the selection", () => {
  const keys = new CommandKeys();
  assert.equal(keys.press(k("ArrowUp"), 0), "select-up");
  assert.equal(keys.press(k("k"), 0), "select-up");
  assert.equal(keys.press(k("K", { shiftKey: true }), 0), "extend-up");
  assert.equal(keys.press(k("ArrowDown", { shiftKey: true }), 0), "extend-down");
  assert.equal(keys.press(k("j"), 0), "select-down");
});

test("single letters, shifted ones, and keys that are not shortcuts", () => {
  const keys = new CommandKeys();
  const want: [string, string][] = [
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
    ["f", "find-replace"],
  ];
  for (const [key, cmd] of want) assert.equal(keys.press(k(key), 0), cmd, key);
  assert.equal(keys.press(k("V", { shiftKey: true }), 0), "paste-above");
  assert.equal(keys.press(k("M", { shiftKey: true }), 0), "merge");
  assert.equal(keys.press(k("A", { shiftKey: true }), 0), null);
  assert.equal(keys.press(k("c", { ctrlKey: true }), 0), null, "Ctrl-C is the browser's");
  assert.equal(keys.press(k("a", { altKey: true }), 0), null);
  assert.equal(keys.press(k("q"), 0), null);
  assert.equal(keys.press(k("constructor"), 0), null);
});

test("D D, I I and 0 0 need two presses close together", () => {
  const keys = new CommandKeys();
  assert.equal(keys.press(k("d"), 1000), PENDING);
  assert.equal(keys.press(k("d"), 1000 + DOUBLE_MS - 1), "delete");
  assert.equal(keys.press(k("d"), 3000), PENDING, "a third press starts over");
  assert.equal(keys.press(k("d"), 3000 + DOUBLE_MS), PENDING, "too slow");
  assert.equal(keys.press(k("d"), 3000 + DOUBLE_MS + 10), "delete");
  assert.equal(keys.press(k("i"), 5000), PENDING);
  assert.equal(keys.press(k("i"), 5100), "interrupt");
  assert.equal(keys.press(k("0"), 6000), PENDING);
  assert.equal(keys.press(k("0"), 6100), "restart");
});

test("another key between the two presses breaks a double press; Shift does not", () => {
  const keys = new CommandKeys();
  keys.press(k("d"), 0);
  keys.press(k("j"), 10);
  assert.equal(keys.press(k("d"), 20), PENDING);
  keys.press(k("Shift", { shiftKey: true }), 30);
  assert.equal(keys.press(k("d"), 40), "delete");
  keys.press(k("i"), 50);
  assert.equal(keys.press(k("d"), 60), PENDING, "a different double key does not complete D D");
  assert.equal(keys.press(k("i"), 70), PENDING);
});

test("Ctrl-S / Cmd-S save", () => {
  assert.equal(isSaveKey(k("s", { ctrlKey: true }), false), true);
  assert.equal(isSaveKey(k("S", { ctrlKey: true }), false), true);
  assert.equal(isSaveKey(k("s", { metaKey: true }), false), false);
  assert.equal(isSaveKey(k("s", { metaKey: true }), true), true);
  assert.equal(isSaveKey(k("s", { ctrlKey: true, shiftKey: true }), false), false);
  assert.equal(isSaveKey(k("s"), false), false);
});

test("cell view keys: O, Shift-O, L, Shift-L and the heading levels 1–6", () => {
  const keys = new CommandKeys();
  assert.equal(keys.press(k("o"), 0), "toggle-outputs");
  assert.equal(keys.press(k("O", { shiftKey: true }), 0), "toggle-scroll");
  assert.equal(keys.press(k("l"), 0), "line-numbers-cell");
  assert.equal(keys.press(k("L", { shiftKey: true }), 0), "line-numbers-all");
  for (let n = 1; n <= 6; n++) assert.equal(keys.press(k(String(n)), 0), `heading-${n}`);
  assert.equal(keys.press(k("7"), 0), null);
  assert.equal(keys.press(k("0"), 0), PENDING, "0 0 still restarts");
});
