// Find and replace over cell sources: the query (literal, regex, case,
// whole word), matches, replacement templates and output text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyEdits, compile, expand, findAll, outputText, replaceAllEdits, replacementAt, type FindOptions } from "../src/notebook/search";
import type { Output } from "../src/outputs/index";

const opts = (query: string, o: Partial<FindOptions> = {}): FindOptions => ({ query, regex: false, caseSensitive: false, wholeWord: false, ...o });
const re = (query: string, o: Partial<FindOptions> = {}): RegExp => {
  const c = compile(opts(query, o));
  assert.ok(c && c.re, `compiles: ${query}`);
  return c.re;
};
const texts = (text: string, r: RegExp) => findAll(text, r).map((s) => text.slice(s.from, s.to));

test("a literal query matches its characters, regex specials included, any case", () => {
  assert.deepEqual(texts("a.b axb A.B", re("a.b")), ["a.b", "A.B"]);
  assert.deepEqual(texts("f(x) + f(x)", re("f(x)")), ["f(x)", "f(x)"]);
  assert.deepEqual(findAll("Total total TOTAL", re("total", { caseSensitive: true })), [{ from: 6, to: 11 }]);
});

test("regex queries, with ^ and $ per line", () => {
  assert.deepEqual(texts("x1 = 1\ny22 = 2", re("[a-z]\\d+", { regex: true })), ["x1", "y22"]);
  assert.deepEqual(texts("import os\nimport re", re("^import \\w+$", { regex: true })), ["import os", "import re"]);
});

test("whole word skips matches inside longer words", () => {
  assert.deepEqual(texts("cat concat cat_2 (cat)", re("cat", { wholeWord: true })), ["cat", "cat"]);
});

test("an empty query is none; an invalid regex is an error, not a throw", () => {
  assert.equal(compile(opts("")), null);
  const bad = compile(opts("a(b", { regex: true }));
  assert.ok(bad && bad.error, "an error");
  assert.match(bad.error!, /^Invalid regular expression: /);
  assert.equal(bad.re, undefined);
  assert.ok(compile(opts("a(b"))?.re, "the same text is fine as a literal");
});

test("empty matches are skipped, so x* or \\b cannot loop or count nothing", () => {
  assert.deepEqual(texts("axxbx", re("x*", { regex: true })), ["xx", "x"]);
  assert.deepEqual(findAll("a b", re("\\b", { regex: true })), []);
  assert.equal(findAll("aaaa", re("a"), 3).length, 3, "limit");
});

test("replace all: literal text, and regex templates with groups", () => {
  const src = "total = 1\nprint(total)\nsubtotal";
  const r = re("total", { wholeWord: true });
  const edits = replaceAllEdits(src, r, "sum", false);
  assert.equal(edits.length, 2);
  assert.equal(applyEdits(src, edits), "sum = 1\nprint(sum)\nsubtotal");
  const rr = re("(\\w+)\\((\\w+)\\)", { regex: true });
  assert.equal(applyEdits("f(x) g(y)", replaceAllEdits("f(x) g(y)", rr, "$2.$1()", true)), "x.f() y.g()");
  assert.equal(applyEdits("a", replaceAllEdits("a", re("a"), "$1$$", false)), "$1$$", "literal mode leaves $ alone");
});

test("expand: $&, $$, named groups and two-digit group numbers", () => {
  const m = /(?<k>\w)(\d)/.exec("x9")!;
  assert.equal(expand("[$&|$$|$<k>|$1$2|$10|$3]", m), "[x9|$|x|x9|x0|$3]");
});

test("replacementAt refuses a span where the query no longer matches", () => {
  const r = re("ab");
  assert.equal(replacementAt("xxab", r, { from: 2, to: 4 }, "Z", false), "Z");
  assert.equal(replacementAt("xxac", r, { from: 2, to: 4 }, "Z", false), null);
  assert.equal(replacementAt("abab", r, { from: 1, to: 3 }, "Z", false), null);
});

test("output text: streams, tracebacks without ANSI, text/plain", () => {
  const outs: Output[] = [
    { output_type: "stream", name: "stdout", text: "hello\n" } as Output,
    { output_type: "error", ename: "E", evalue: "v", traceback: ["\u001b[31mValueError\u001b[0m", "line"] } as Output,
    { output_type: "execute_result", execution_count: 1, data: { "text/plain": ["4", "2"], "text/html": "<b>x</b>" }, metadata: {} } as unknown as Output,
    { output_type: "display_data", data: { "image/png": "AAAA" }, metadata: {} } as unknown as Output,
  ];
  assert.deepEqual(outs.map(outputText), ["hello\n", "ValueError\nline", "42", ""]);
});
