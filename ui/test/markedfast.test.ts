// The fast tokenizers must not change what marked renders: every document
// here is rendered by marked alone and by marked with fastTokenizers, and
// the HTML must be the same.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Marked } from "marked";
import { fastTokenizers, parseFast, plainParagraph } from "../src/outputs/markedfast";

const plain = new Marked({ gfm: true, breaks: false, async: false });
const fast = new Marked({ gfm: true, breaks: false, async: false }, fastTokenizers);

function same(src: string): void {
  assert.equal(parseFast(fast, src), plain.parse(src, { async: false }) as string, `rendered differently: ${JSON.stringify(src)}`);
}

test("plainParagraph takes letter-led lines up to a blank line or the end, and nothing else", () => {
  const cases: [string, number][] = [
    ["one line", 8],
    ["a\nb\nc", 5],
    ["a\nb\n\nc", 3],
    ["a\nb\n", 3],
    ["a\n- item", -1],
    ["a\n  indented", -1],
    ["a\n1. one", -1],
    ["a\n<div>", -1],
    ["a\n|x|", -1],
    ["a\n===", -1],
    ["\nlead", -1],
    ["", -1],
  ];
  for (const [src, want] of cases) assert.equal(plainParagraph(src), want, JSON.stringify(src));
});

test("documents that each block rule can claim render the same", () => {
  const docs = [
    "## Section 5\n\nSome text about step 5, with math @@0@@ and *emphasis*.",
    "> quote\ncontinued\n\n> again\n> > nested",
    "para\n> quote interrupts",
    "<div>\nhtml block\n</div>\n\ntext <span>inline</span>",
    "text\n<div>interrupts</div>",
    "[ref]: https://example.org \"Title\"\n\nSee [ref] and [x][ref].",
    "para\n[not]: a def after a paragraph",
    "| a | b |\n| - | :-: |\n| 1 | 2 |",
    "head | more\n--- | ---\ncell | cell",
    "para\nhead|x\n-|-",
    "Title\n=====\n\nSub\ntwo lines\n---\n\n- list\n---",
    "text\n\n---\n\nmore\n***\nand ___",
    "a\nb\nc\n\nd\ne",
    "Letters only\nhere and there\nAnd There",
    "x\n  y\n    z\n\tw",
    "```\ncode\n```\ntext\n~~~\nmore\n~~~",
    "1. one\n2. two\n\npara\n1) paren",
    "para\n2. not a list start\n1. is one",
    "# h\ntext\n## h2 ##\n#no",
    "line with trailing spaces  \nnext line\\\nlast",
    "unicode é line\nÉtoile starts with no ASCII letter\nz",
    "a\n\n\n\nb\n   \nc \t\n\n",
    "<!-- comment -->\ntext\n<?php x ?>\n<![CDATA[ y ]]>",
    "    indented code\ntext\n    not code after a paragraph",
    "a\r\nb\r\n\r\nc",
  ];
  for (const d of docs) same(d);
});

test("generated documents render the same", () => {
  // Line starts that reach every block rule and the paragraph's interruptions.
  const starts = [
    "", " ", "   ", "    ", "\t", "a", "Z", "é", "1", "1.", "1)", "2.", "10.", "-", "- ", "--", "---", "***", "* ", "_", "___", "+ ",
    "#", "# ", "## ", "####### ", ">", "> ", "  >", "<", "<div>", "</p>", "<span>", "<!--", "<?", "<!X", "[a]: /u", "[", "|", "| a |",
    "|-|", ":-", "-:|", "=", "===", "```", "~~~", "~~", "\\", "`", "$", "(", "!",
  ];
  const bodies = ["", "x", " word", " two words", " *em*", " | cell |", " `code`", " [l](/u)", " <b>b</b>", " trailing  ", "text"];
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 4000; i++) {
    const lines: string[] = [];
    const n = 1 + rnd(7);
    for (let j = 0; j < n; j++) lines.push(starts[rnd(starts.length)] + bodies[rnd(bodies.length)]);
    same(lines.join(rnd(10) === 0 ? "\r\n" : "\n") + (rnd(3) === 0 ? "\n" : ""));
  }
});
