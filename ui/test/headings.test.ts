// Headings of markdown cells for the table of contents, and their outline numbers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { headingsOf, outline, plainText } from "../src/notebook/headings";

test("ATX headings of every level, closing hashes dropped, #hashtag is no heading", () => {
  const src = "# One\n## Two ##\n###Three\n#### Four #5\n##### Five\n###### Six\n####### Seven\n#hashtag";
  assert.deepEqual(headingsOf(src), [
    { level: 1, text: "One" },
    { level: 2, text: "Two" },
    { level: 4, text: "Four #5" },
    { level: 5, text: "Five" },
    { level: 6, text: "Six" },
  ]);
});

test("headings in fenced or indented code are not headings", () => {
  const src = "```python\n# a comment\n```\n~~~~\n## nor this\n~~~\n~~~~\n    # indented code\n## After";
  assert.deepEqual(headingsOf(src), [{ level: 2, text: "After" }]);
});

test("setext headings take their paragraph; a rule after a blank line or a list is not one", () => {
  const src = "Title\nline two\n=====\n\ntext\n\n---\n\n- item\n---\nSub\n---";
  assert.deepEqual(headingsOf(src), [
    { level: 1, text: "Title line two" },
    { level: 2, text: "Sub" },
  ]);
});

test("simple HTML headings on a line, with attributes and inner tags", () => {
  const src = '<h2 id="x">Results <em>now</em></h2>\n<p>no</p><h3>A &amp; B</h3>\n<h4>unclosed';
  assert.deepEqual(headingsOf(src), [
    { level: 2, text: "Results now" },
    { level: 3, text: "A & B" },
  ]);
});

test("inline markup becomes plain text; empty headings are dropped", () => {
  assert.equal(plainText("The **bold** and *em* `code` [link](http://x) ![img](a.png)"), "The bold and em code link img");
  assert.equal(plainText("snake_case_name and _under_"), "snake_case_name and under");
  assert.equal(plainText("\\# not \\*em\\*"), "# not *em*");
  assert.deepEqual(headingsOf("#\n## \n###   ###"), []);
});

test("outline numbers nest by level; a skipped level nests one step", () => {
  const got = outline([1, 2, 2, 3, 1, 3, 2, 4]);
  assert.deepEqual(
    got.map((o) => o.number),
    ["1", "1.1", "1.2", "1.2.1", "2", "2.1", "2.2", "2.2.1"],
  );
  assert.deepEqual(
    got.map((o) => o.depth),
    [0, 1, 1, 2, 0, 1, 1, 2],
  );
});

test("outline: a notebook that starts below its top level", () => {
  assert.deepEqual(
    outline([2, 3, 1, 2]).map((o) => o.number),
    ["1", "1.1", "2", "2.1"],
  );
  assert.deepEqual(outline([]), []);
});
