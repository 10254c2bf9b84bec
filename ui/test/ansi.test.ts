import { test } from "node:test";
import assert from "node:assert/strict";
import { Terminal, toLines, stripAnsi, lineText, applySGR, color256, styleClasses, styleColors, type Line } from "../src/outputs/ansi";

const texts = (ls: Line[]) => ls.map(lineText);

test("newlines and \\r\\n", () => {
  assert.deepEqual(texts(toLines("a\nb\r\nc")), ["a", "b", "c"]);
  assert.deepEqual(texts(toLines("a\n")), ["a"]);
  assert.equal(stripAnsi("x\r\ny\n"), "x\ny\n");
});

test("carriage return overwrites the line (tqdm)", () => {
  let s = "";
  for (let i = 0; i <= 100; i += 10) s += `\r${i}%|${"#".repeat(i / 10)}|`;
  s += "\n";
  assert.deepEqual(texts(toLines(s)), ["100%|##########|"]);
  // a trailing \r keeps what was shown
  assert.deepEqual(texts(toLines("50%\r")), ["50%"]);
  // \r then shorter text: Jupyter clears the line
  assert.deepEqual(texts(toLines("hello\rab")), ["ab"]);
});

test("carriage return across writes", () => {
  const t = new Terminal();
  for (let i = 1; i <= 1000; i++) t.write(`\rstep ${i}/1000`);
  t.write("\r");
  t.write("\n");
  t.write("done\n");
  assert.deepEqual(texts([t.lines.get(0), t.lines.get(1)]), ["step 1000/1000", "done"]);
  assert.equal(t.lines.length, 2);
  assert.equal(t.curLen, 0);
});

test("backspace deletes the previous character", () => {
  assert.deepEqual(texts(toLines("abc\b\bX")), ["aX"]);
  assert.deepEqual(texts(toLines("\b\bok")), ["ok"]);
  assert.deepEqual(texts(toLines("a\n\bb")), ["a", "b"]);
  assert.deepEqual(texts(toLines("x😀\by")), ["xy"]);
});

test("SGR colours and attributes", () => {
  const [line] = toLines("\x1b[31mred\x1b[0m plain \x1b[1;4;92mbold\x1b[22mnb\x1b[m");
  assert.deepEqual(line.map((s) => s.text), ["red", " plain ", "bold", "nb"]);
  assert.deepEqual(styleClasses(line[0].style!), ["q-ansi-fg-1"]);
  assert.equal(line[1].style, null);
  assert.deepEqual(styleClasses(line[2].style!), ["q-ansi-fg-10", "q-ansi-bold", "q-ansi-underline"]);
  assert.deepEqual(styleClasses(line[3].style!), ["q-ansi-fg-10", "q-ansi-underline"]);
});

test("backgrounds, bright, dim, italic, inverse", () => {
  const [line] = toLines("\x1b[44;2;3mA\x1b[0;103mB\x1b[0;7mC\x1b[0;31;7mD");
  assert.deepEqual(styleClasses(line[0].style!), ["q-ansi-bg-4", "q-ansi-dim", "q-ansi-italic"]);
  assert.deepEqual(styleClasses(line[1].style!), ["q-ansi-bg-11"]);
  assert.deepEqual(styleClasses(line[2].style!), ["q-ansi-fg-inv", "q-ansi-bg-inv"]);
  assert.deepEqual(styleClasses(line[3].style!), ["q-ansi-fg-inv", "q-ansi-bg-1"]);
});

test("256-colour and truecolor", () => {
  const [line] = toLines("\x1b[38;5;196mA\x1b[48;5;3mB\x1b[0;38;2;10;20;30mC\x1b[38;5;244mD");
  assert.deepEqual(styleColors(line[0].style!), { color: "rgb(255, 0, 0)" });
  assert.deepEqual(styleClasses(line[1].style!), ["q-ansi-bg-3"]);
  assert.deepEqual(styleColors(line[2].style!), { color: "rgb(10, 20, 30)" });
  assert.deepEqual(styleColors(line[3].style!), { color: color256(244) });
  assert.equal(color256(16), "rgb(0, 0, 0)");
  assert.equal(color256(231), "rgb(255, 255, 255)");
  assert.equal(color256(232), "rgb(8, 8, 8)");
  const red = applySGR(toLines("\x1b[0m")[0]?.[0]?.style ?? applySGR({} as never, "0"), "31");
  assert.equal(red.fg, 1);
  assert.equal(applySGR(red, "39").fg, null);
  assert.equal(applySGR(red, "").fg, null);
});

test("other escapes are stripped", () => {
  assert.equal(stripAnsi("a\x1b[2Kb\x1b[1Ac\x1b[?25ld\x1b[10;20He"), "abcde");
  assert.equal(stripAnsi("\x1b]0;title\x07x\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "xlink");
  assert.equal(stripAnsi("\x1b(Bok\x1b=\x1b>"), "ok");
  assert.equal(stripAnsi("bell\x07 nul\x00 tab\t"), "bell nul tab\t");
});

test("escape split across writes", () => {
  const t = new Terminal();
  t.write("a\x1b[3");
  t.write("1mred\x1b");
  t.write("[0m!");
  assert.deepEqual(t.cur.map((s) => s.text), ["a", "red", "!"]);
  assert.deepEqual(styleClasses(t.cur[1].style!), ["q-ansi-fg-1"]);
});

test("ipykernel traceback", () => {
  const tb = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)",
    "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
  ].join("\n");
  const s = stripAnsi(tb);
  assert.ok(s.includes("ZeroDivisionError: division by zero"));
  assert.ok(!s.includes("\x1b"));
});

test("200k lines are processed quickly", () => {
  const t = new Terminal();
  const t0 = Date.now();
  for (let i = 0; i < 200; i++) {
    let chunk = "";
    for (let j = 0; j < 1000; j++) chunk += `line ${i * 1000 + j}\n`;
    t.write(chunk);
  }
  assert.equal(t.lines.length, 200000);
  assert.equal(lineText(t.lines.get(199999)), "line 199999");
  assert.ok(Date.now() - t0 < 3000);
  assert.equal(lineText(t.lines.get(0)), "line 0");
  assert.equal(lineText(t.lines.get(1000)), "line 1000");
  assert.equal(t.text().length, t.text().split("\n").length - 1 + 200000 * 5 + [...Array(200000).keys()].reduce((n, i) => n + String(i).length, 0));
});

test("mixed blocks read back in order", () => {
  const t = new Terminal();
  t.write("a\nb\nc\nd");
  t.write("e\n\x1b[31mred\x1b[0m\n");
  t.write("\n\nx\ny\n");
  assert.deepEqual(texts(toLines("a\nb\nc\nde\n")), ["a", "b", "c", "de"]);
  const all: string[] = [];
  for (let i = 0; i < t.lines.length; i++) all.push(lineText(t.lines.get(i)));
  assert.deepEqual(all, ["a", "b", "c", "de", "red", "", "", "x", "y"]);
  assert.equal(t.text(), "a\nb\nc\nde\nred\n\n\nx\ny\n");
});
