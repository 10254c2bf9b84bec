// One key per language: what kernels report (language_info.name,
// codemirror_mode, any case) maps to the name the editor's modes use.
import { test } from "node:test";
import assert from "node:assert/strict";
import { languageKey } from "../src/languagekey";

test("kernel language names map to one key", () => {
  const cases: [string, string][] = [
    ["python", "python"],
    ["ipython", "python"],
    ["IPython", "python"],
    ["ipython3", "python"],
    ["Python3", "python"],
    ["R", "r"],
    ["bash", "shell"],
    ["sh", "shell"],
    ["C++", "cpp"],
    ["julia", "julia"],
    ["", ""],
  ];
  for (const [name, want] of cases) assert.equal(languageKey(name), want, name);
});
