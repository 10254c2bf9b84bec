import { test } from "node:test";
import assert from "node:assert/strict";
import { joinText, compactCR, mergeStreams } from "../src/outputs/stream";
import { chooseMime, cleanBase64, imageSize, latexFormula, utf8ToBase64 } from "../src/outputs/mime";

test("joinText", () => {
  assert.equal(joinText(["a\n", "b"]), "a\nb");
  assert.equal(joinText("x"), "x");
  assert.equal(joinText(undefined), "");
});

test("compactCR drops overwritten text like Jupyter", () => {
  assert.equal(compactCR("10%\r20%\r100%\n"), "100%\n");
  assert.equal(compactCR("a\r\nb\n"), "a\r\nb\n");
  assert.equal(compactCR("keep\r"), "keep\r");
  assert.equal(compactCR("x\n1\r2\r3\ny"), "x\n3\ny");
  assert.equal(compactCR("plain"), "plain");
});

test("mergeStreams merges consecutive streams of one name", () => {
  const m = mergeStreams([
    { output_type: "stream", name: "stdout", text: "a" },
    { output_type: "stream", name: "stdout", text: ["b", "c"] },
    { output_type: "stream", name: "stderr", text: "e" },
    { output_type: "stream", name: "stdout", text: "d" },
    { output_type: "display_data" },
  ]);
  assert.equal(m.length, 4);
  assert.equal(m[0].text, "abc");
  assert.equal(m[2].text, "d");
});

test("chooseMime follows Jupyter's order and trust", () => {
  const all = {
    "application/vnd.jupyter.widget-view+json": {},
    "application/javascript": "x",
    "text/html": "<b>",
    "text/plain": "p",
  };
  assert.equal(chooseMime(all, true).mime, "application/javascript");
  assert.equal(chooseMime(all, false).mime, "text/html");
  assert.equal(chooseMime({ "application/javascript": "x" }, true).mime, "application/javascript");
  const js = chooseMime({ "application/javascript": "x" }, false);
  assert.equal(js.mime, null);
  assert.match(js.note!, /not trusted/);
  assert.equal(chooseMime({ "application/vnd.jupyter.widget-view+json": {}, "text/plain": "HBox()" }, true).mime, "text/plain");
  assert.equal(chooseMime({ "image/png": "x", "image/svg+xml": "s", "text/plain": "t" }, false).mime, "image/svg+xml");
  assert.equal(chooseMime({ "application/json": {}, "text/plain": "t" }, false).mime, "application/json");
  assert.equal(chooseMime({ "text/latex": "$x$", "image/png": "x" }, false).mime, "text/latex");
  assert.equal(chooseMime({ "application/x-unknown": 1 }, true).mime, null);
  assert.equal(chooseMime({}, true).mime, null);
});

test("cleanBase64 validates and strips whitespace", () => {
  assert.equal(cleanBase64("iVBO\nRw0K\n"), "iVBORw0K");
  assert.equal(cleanBase64(["iVBO", "Rw0K"]), "iVBORw0K");
  assert.equal(cleanBase64("not base64!"), null);
  assert.equal(cleanBase64('"><script>'), null);
  assert.equal(cleanBase64(""), null);
  assert.equal(cleanBase64(42), null);
});

test("utf8ToBase64", () => {
  assert.equal(utf8ToBase64("é"), "w6k=");
  assert.equal(Buffer.from(utf8ToBase64("<svg>✓</svg>"), "base64").toString("utf8"), "<svg>✓</svg>");
});

test("imageSize", () => {
  assert.deepEqual(imageSize({ "image/png": { width: 100, height: 50 } }, "image/png"), { width: 100, height: 50, unconfined: false });
  assert.deepEqual(imageSize({ "image/png": { unconfined: true } }, "image/png"), { width: undefined, height: undefined, unconfined: true });
  assert.deepEqual(imageSize(undefined, "image/png"), { width: undefined, height: undefined, unconfined: false });
});

test("latexFormula strips delimiters", () => {
  assert.deepEqual(latexFormula("$$x^2$$"), { tex: "x^2", display: true });
  assert.deepEqual(latexFormula(" \\[ a \\] "), { tex: " a ", display: true });
  assert.deepEqual(latexFormula("$\\displaystyle y$"), { tex: "\\displaystyle y", display: false });
  assert.deepEqual(latexFormula("\\(z\\)"), { tex: "z", display: false });
  assert.deepEqual(latexFormula("\\begin{equation}e\\end{equation}"), { tex: "\\begin{equation}e\\end{equation}", display: true });
  assert.deepEqual(latexFormula("\\frac{1}{2}"), { tex: "\\frac{1}{2}", display: true });
  assert.equal(latexFormula("value $x$ and $y$"), null);
});
