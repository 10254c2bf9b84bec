import { test } from "node:test";
import assert from "node:assert/strict";
import { extractMath, restoreMath, slug, escapeHtml } from "../src/outputs/math";

const ex = (s: string) => {
  const r = extractMath(s);
  return { text: r.text, math: r.math.map((m) => [m.tex, m.display]) };
};

test("inline and display dollars", () => {
  assert.deepEqual(ex("a $x_1$ b $$y_2$$ c"), {
    text: "a @@QMATH0@@ b @@QMATH1@@ c",
    math: [["x_1", false], ["y_2", true]],
  });
  assert.deepEqual(ex("$$\na\n\nb\n$$").math, [["\na\n\nb\n", true]]);
});

test("backslash delimiters and environments", () => {
  assert.deepEqual(ex("\\(a\\) and \\[b\\]").math, [["a", false], ["b", true]]);
  const r = ex("x\n\\begin{equation}\ne=mc^2\n\\end{equation}\ny");
  assert.deepEqual(r.math, [["\\begin{equation}\ne=mc^2\n\\end{equation}", true]]);
  assert.deepEqual(ex("\\begin{align*}a&=b\\end{align*}").math, [["\\begin{align*}a&=b\\end{align*}", true]]);
});

test("escaped dollars are literal", () => {
  assert.deepEqual(ex("costs \\$5 and \\$10"), { text: "costs \\$5 and \\$10", math: [] });
  assert.deepEqual(ex("$\\$5$").math, [["\\$5", false]]);
});

test("code spans and fences are left alone", () => {
  assert.deepEqual(ex("`$x$` and $y$").math, [["y", false]]);
  assert.equal(ex("`$x$` and $y$").text, "`$x$` and @@QMATH0@@");
  assert.deepEqual(ex("``a `$b$` c`` $d$").math, [["d", false]]);
  const fenced = "```python\nprint('$x$')\n```\n$z$\n~~~\n$$w$$\n~~~\n";
  const r = ex(fenced);
  assert.deepEqual(r.math, [["z", false]]);
  assert.ok(r.text.includes("print('$x$')"));
  assert.ok(r.text.includes("$$w$$"));
});

test("unmatched dollars and blank lines", () => {
  assert.deepEqual(ex("just $5").math, []);
  assert.deepEqual(ex("a $b\n\nc$ d").math, []);
  assert.deepEqual(ex("$$ unclosed").text, "$$ unclosed");
  assert.deepEqual(ex("$$").math, []);
});

test("restoreMath and helpers", () => {
  const r = extractMath("a $x$ b");
  assert.equal(restoreMath("<p>" + r.text + "</p>", r.math, (m) => `[${m.tex}]`), "<p>a [x] b</p>");
  assert.equal(slug(" My Heading 1 "), "My-Heading-1");
  assert.equal(escapeHtml(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
});
