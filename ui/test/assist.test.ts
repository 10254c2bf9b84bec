// The pure parts of completion and inspection (assist.ts): code points
// against UTF-16 offsets, complete_reply → CodeMirror's result, when Tab
// completes rather than indents, and an inspect_reply's text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EditorState } from "@codemirror/state";
import { python } from "@codemirror/lang-python";
import { ensureSyntaxTree } from "@codemirror/language";
import { completionResult, fromCodePoints, inspectText, tabCompletes, toCodePoints } from "../src/notebook/assist";

test("code points and UTF-16 offsets convert both ways, astral characters counting once", () => {
  const s = "a😀b😀c";
  assert.equal(s.length, 7);
  assert.deepEqual([0, 1, 3, 4, 6, 7].map((i) => toCodePoints(s, i)), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => fromCodePoints(s, n)), [0, 1, 3, 4, 6, 7]);
  assert.equal(fromCodePoints(s, 99), 7, "clamped to the text");
  assert.equal(toCodePoints("plain", 3), 3);
});

test("a complete_reply's range is in code points; typed matches give types and details", () => {
  const doc = "s = '😀'; os.pa";
  const cs = toCodePoints(doc, doc.length - 2);
  const r = completionResult(doc, {
    status: "ok",
    matches: ["pardir", "path", "pathsep"],
    cursor_start: cs,
    cursor_end: cs + 2,
    metadata: {
      _jupyter_types_experimental: [
        { start: cs, end: cs + 2, text: "pardir", type: "instance", signature: "" },
        { start: cs, end: cs + 2, text: "path", type: "module", signature: "" },
        { start: cs, end: cs + 2, text: "pathsep", type: "<unknown>", signature: "" },
      ],
    },
  });
  assert.ok(r);
  assert.equal(r.from, doc.length - 2, "UTF-16 offset of the code-point start");
  assert.equal(r.to, doc.length);
  assert.deepEqual(
    r.options.map((o) => [o.label, o.type, o.detail]),
    [
      ["pardir", "variable", "instance"],
      ["path", "namespace", "module"],
      ["pathsep", undefined, undefined],
    ],
  );
  assert.ok(r.validFor instanceof RegExp && r.validFor.test("th") && !r.validFor.test("x."), "typing on filters; a dot asks again");
});

test("a function's signature is its detail; typed matches for another range fall back to the plain matches", () => {
  const typed = completionResult("pri", {
    status: "ok",
    matches: ["print"],
    cursor_start: 0,
    cursor_end: 3,
    metadata: { _jupyter_types_experimental: [{ start: 0, end: 3, text: "print", type: "function", signature: "(*args, sep=' ')" }] },
  });
  assert.deepEqual(typed?.options, [{ label: "print", type: "function", detail: "(*args, sep=' ')" }]);
  const plain = completionResult("x.pri", {
    status: "ok",
    matches: ["print", "print", "private"],
    cursor_start: 2,
    cursor_end: 5,
    metadata: { _jupyter_types_experimental: [{ start: 0, end: 5, text: "x.print", type: "function" }] },
  });
  assert.deepEqual(plain?.options, [{ label: "print" }, { label: "private" }], "plain matches, duplicates once");
  assert.equal(plain?.from, 2);
});

test("errors, empty lists and nonsense ranges give no completion", () => {
  assert.equal(completionResult("x", { status: "error", matches: ["x"], cursor_start: 0, cursor_end: 1 }), null);
  assert.equal(completionResult("x", { status: "ok", matches: [], cursor_start: 0, cursor_end: 1 }), null);
  assert.equal(completionResult("x", { status: "ok", matches: ["x"], cursor_start: 1, cursor_end: 0 }), null);
  assert.equal(completionResult("x", { status: "ok", matches: ["x"] }), null);
});

function at(text: string): EditorState {
  const pos = text.indexOf("|");
  const doc = text.slice(0, pos) + text.slice(pos + 1);
  const state = EditorState.create({ doc, selection: { anchor: pos }, extensions: [python()] });
  ensureSyntaxTree(state, state.doc.length, 5000);
  return state;
}

test("Tab completes after an identifier character, a dot or in a string, and indents elsewhere", () => {
  const yes = ["import o|", "os.pa|", "os.|", "x = 1\nfoo|", 'open("data/|', "open('snip|", "%lo|", "é|", "df['co|'] "];
  const no = ["|", "    |", "x |", "x = (|", "x = 1 +|", '"abc"|', "if x:\n    |", "x = [1, 2]|"];
  for (const t of yes) assert.equal(tabCompletes(at(t)), true, `completes: ${JSON.stringify(t)}`);
  for (const t of no) assert.equal(tabCompletes(at(t)), false, `indents: ${JSON.stringify(t)}`);
  const sel = EditorState.create({ doc: "abc", selection: { anchor: 0, head: 3 } });
  assert.equal(tabCompletes(sel), false, "a selection is indented");
});

test("an inspect_reply shows its plain text, trimmed at the end; nothing when not found", () => {
  assert.equal(inspectText({ status: "ok", found: true, data: { "text/plain": "\u001b[0;31mSignature:\u001b[0m len(obj, /)\n\n" } }), "\u001b[0;31mSignature:\u001b[0m len(obj, /)");
  assert.equal(inspectText({ status: "ok", found: true, data: { "text/plain": ["a", "b"] } }), "ab");
  assert.equal(inspectText({ status: "ok", found: false, data: {} }), null);
  assert.equal(inspectText({ status: "ok", found: true, data: { "text/plain": "  \n" } }), null);
  assert.equal(inspectText({ status: "error" }), null);
  assert.equal(inspectText(null), null);
});
