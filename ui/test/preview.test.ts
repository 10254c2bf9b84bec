import { test } from "node:test";
import assert from "node:assert/strict";
import { outputText } from "../src/notebook/preview";
import type { Output } from "../src/outputs/index";

test("outputText: the plain text a preview shows for each kind of output", () => {
  const cases: [Output, string | null][] = [
    [{ output_type: "stream", name: "stdout", text: ["a\n", "b\n"] } as Output, "a\nb\n"],
    [{ output_type: "stream", name: "stderr", text: "\u001b[31mred\u001b[0m\n" } as Output, "red\n"],
    [{ output_type: "execute_result", data: { "text/plain": ["4", "2"] }, metadata: {}, execution_count: 1 } as Output, "42"],
    [{ output_type: "display_data", data: { "image/png": "AAAA" }, metadata: {} } as Output, null],
    [{ output_type: "error", ename: "E", evalue: "v", traceback: ["\u001b[0;31mE\u001b[0m", "line"] } as Output, "E\nline"],
  ];
  for (const [o, want] of cases) assert.equal(outputText(o), want, JSON.stringify(o));
  const long = outputText({ output_type: "stream", name: "stdout", text: "x".repeat(5000) } as Output);
  assert.ok(long !== null && long.length < 2100 && long.endsWith(" …"), "long text is cut");
});
