// The traceback contrast test: every foreground/background pair IPython's
// tracebacks use, and every ANSI colour on the backgrounds it can sit on,
// reaches WCAG AA (4.5) in both themes, computed from the palette the page
// installs (palette.ts) and the page colours in style.css.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Terminal, styleColors, type Style } from "../src/outputs/ansi";
import { PALETTES, MIN_CONTRAST, contrast, readable, themedColor, parseColor, type Theme } from "../src/outputs/palette";

// npm test runs in ui/.
const ui = process.cwd();
const THEMES: Theme[] = ["light", "dark"];

/** cssVars returns style.css's custom properties in :root and in the dark block. */
function cssVars(): Record<Theme, Record<string, string>> {
  const css = readFileSync(path.join(ui, "src", "style.css"), "utf8");
  const darkAt = css.indexOf("@media (prefers-color-scheme: dark)");
  assert.ok(darkAt > 0, "style.css has a dark block");
  const read = (s: string) => {
    const out: Record<string, string> = {};
    for (const m of s.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) out[m[1]] ??= m[2].trim();
    return out;
  };
  return { light: read(css.slice(0, darkAt)), dark: read(css.slice(darkAt)) };
}

test("the palette's page colours are style.css's", () => {
  const vars = cssVars();
  for (const theme of THEMES) {
    const p = PALETTES[theme];
    assert.equal(p.bg, vars[theme]["--bg"], `${theme} --bg`);
    assert.equal(p.fg, vars[theme]["--fg"], `${theme} --fg`);
    for (const v of ["--bg", "--code-bg", "--bg-alt"]) {
      assert.ok(p.outputBgs.includes(vars[theme][v]), `${theme}: outputBgs lacks ${v} ${vars[theme][v]}`);
    }
    assert.ok(p.outputBgs.includes(p.errorBg) && p.outputBgs.includes(p.stderrBg), `${theme}: outputBgs lacks error/stderr`);
    assert.equal(p.ansi.length, 16);
    assert.equal(p.ansiBg.length, 16);
  }
});

test("contrast follows WCAG's definition", () => {
  assert.equal(contrast("#000000", "#ffffff"), 21);
  assert.equal(contrast("#777", "#777777"), 1);
  assert.ok(Math.abs(contrast("#767676", "#ffffff") - 4.54) < 0.01);
  assert.deepEqual(parseColor("rgb(175, 0, 0)"), [175, 0, 0]);
  assert.throws(() => contrast("red", "#fff"));
});

test("readable moves a colour only as far as needed", () => {
  assert.equal(readable("#000000", ["#ffffff"]), "#000000");
  const blue = readable("rgb(0, 0, 255)", ["#16181c"]); // xterm 21 on the dark page
  assert.ok(contrast(blue, "#16181c") >= MIN_CONTRAST, blue);
  assert.ok(contrast(blue, "#16181c") < MIN_CONTRAST + 0.3, `${blue} moved too far`);
  const grey = readable("rgb(98, 98, 98)", ["#8a6100"]); // the old light traceback highlight
  assert.ok(contrast(grey, "#8a6100") >= MIN_CONTRAST, grey);
});

/** colours resolves what the page shows for a style in a theme: text and
 *  the backgrounds it may sit on (several when the output decides). */
function colours(s: Style, theme: Theme): { fg: string; bgs: string[]; what: string } {
  const p = PALETTES[theme];
  let fg = s.fg;
  let bg = s.bg;
  if (s.inverse) [fg, bg] = [bg, fg];
  const bgs = bg === null ? (s.inverse ? [p.fg] : [...p.outputBgs]) : typeof bg === "number" ? [s.inverse && fg === null ? p.ansi[bg] : p.ansiBg[bg]] : [bg];
  let text: string;
  if (typeof fg === "string") {
    const col = styleColors(s).color;
    assert.ok(col, "a string foreground has a CSSOM colour");
    text = themedColor(col, s.inverse ? s.fg : s.bg)[theme];
  } else if (typeof fg === "number") text = p.ansi[fg];
  else text = s.inverse ? p.bg : p.fg;
  return { fg: text, bgs, what: `fg ${String(s.fg)} bg ${String(s.bg)}${s.inverse ? " inverse" : ""}` };
}

const fixture = JSON.parse(readFileSync(path.join(ui, "test", "testdata", "ipython-tracebacks.json"), "utf8")) as {
  ipython: string;
  tracebacks: Record<string, string>;
};

test("every pair in IPython's tracebacks is readable in both themes", () => {
  const names = Object.keys(fixture.tracebacks);
  assert.ok(names.length >= 9, "the fixture has the Linux, LightBG and Neutral schemes");
  let styled = 0;
  let onHighlight = 0;
  for (const name of names) {
    const t = new Terminal();
    t.write(fixture.tracebacks[name]);
    const lines = [...Array(t.lines.length).keys()].map((i) => t.lines.get(i));
    lines.push(t.cur);
    for (const line of lines) {
      for (const seg of line) {
        if (!seg.style || seg.text.trim() === "") continue;
        styled++;
        if (seg.style.bg === 3) onHighlight++;
        for (const theme of THEMES) {
          const c = colours(seg.style, theme);
          for (const bg of c.bgs) {
            const r = contrast(c.fg, bg);
            assert.ok(r >= MIN_CONTRAST, `${name} (${theme}): ${JSON.stringify(seg.text)} ${c.what}: ${c.fg} on ${bg} is ${r.toFixed(2)}`);
          }
        }
      }
    }
  }
  assert.ok(styled > 100, `only ${styled} styled segments: is the fixture coloured?`);
  assert.ok(onHighlight > 0, "the fixture has IPython's highlighted (ESC[43m) failing line");
});

test("each of the 16 colours is readable as text and as background", () => {
  for (const theme of THEMES) {
    const p = PALETTES[theme];
    for (let i = 0; i < 16; i++) {
      for (const bg of p.outputBgs) {
        const r = contrast(p.ansi[i], bg);
        assert.ok(r >= MIN_CONTRAST, `${theme}: ansi ${i} ${p.ansi[i]} on ${bg} is ${r.toFixed(2)}`);
      }
      const onBg = contrast(p.fg, p.ansiBg[i]);
      assert.ok(onBg >= MIN_CONTRAST, `${theme}: text ${p.fg} on background ${i} ${p.ansiBg[i]} is ${onBg.toFixed(2)}`);
      const inverse = contrast(p.bg, p.ansi[i]);
      assert.ok(inverse >= MIN_CONTRAST, `${theme}: inverse ${i}: ${p.bg} on ${p.ansi[i]} is ${inverse.toFixed(2)}`);
    }
  }
});
