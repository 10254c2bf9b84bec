import { test } from "node:test";
import assert from "node:assert/strict";
import { parseMessage } from "../src/terminal/connection";
import { themeFrom } from "../src/terminal/theme";

test("parseMessage reads terminado frames and refuses anything else", () => {
  assert.deepEqual(parseMessage('["stdout", "hi\\r\\n"]'), ["stdout", "hi\r\n"]);
  assert.deepEqual(parseMessage('["setup", {}]'), ["setup", {}]);
  assert.deepEqual(parseMessage('["disconnect", 1]'), ["disconnect", 1]);
  for (const bad of ["", "not json", "{}", "[]", "[1, 2]", '"stdout"', null, new ArrayBuffer(2)]) {
    assert.equal(parseMessage(bad), null, String(bad));
  }
});

test("themeFrom maps the page's variables to xterm's theme", () => {
  const vars: Record<string, string> = { "--bg": "#fff", "--fg": "#111", "--bg-select": "#cde", "--ansi-0": "#000", "--ansi-9": "#f00", "--ansi-15": "#eee" };
  const t = themeFrom((n) => vars[n] ?? "");
  assert.equal(t.background, "#fff");
  assert.equal(t.foreground, "#111");
  assert.equal(t.cursor, "#111");
  assert.equal(t.cursorAccent, "#fff");
  assert.equal(t.selectionBackground, "#cde");
  assert.equal(t.black, "#000");
  assert.equal(t.brightRed, "#f00");
  assert.equal(t.brightWhite, "#eee");
  assert.equal(t.red, undefined, "an unset colour keeps xterm's default");
  assert.equal(t.selectionInactiveBackground, undefined);
});
