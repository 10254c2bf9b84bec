// How collapsed inputs and outputs and scrolled outputs are read from and
// written to cell metadata (JupyterLab's and Notebook 6's forms), and the
// heading keys' source conversion.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  headingSource, inputHidden, inputSummary, outputsHidden, outputsScrolled, outputsSummary,
  setInputHidden, setOutputsHidden, setOutputsScrolled,
} from "../src/notebook/cellmeta";

test("JupyterLab's and Notebook 6's keys are both read", () => {
  assert.equal(inputHidden({ jupyter: { source_hidden: true } }), true);
  assert.equal(inputHidden({ jupyter: { source_hidden: false } }), false);
  assert.equal(inputHidden({}), false);
  assert.equal(outputsHidden({ jupyter: { outputs_hidden: true } }), true, "JupyterLab");
  assert.equal(outputsHidden({ collapsed: true }), true, "Notebook 6");
  assert.equal(outputsHidden({ collapsed: false, jupyter: { source_hidden: true } }), false);
  assert.equal(outputsHidden({ jupyter: "odd" }), false, "a malformed jupyter key is no state");
  assert.equal(outputsScrolled({ scrolled: true }), true);
  assert.equal(outputsScrolled({ scrolled: "auto" }), false, "auto leaves it to the page");
  assert.equal(outputsScrolled({ scrolled: false }), false);
});

test("hiding writes Jupyter's keys; showing removes them, and an emptied jupyter object", () => {
  const md: Record<string, unknown> = { tags: ["x"] };
  assert.equal(setOutputsHidden(md, true), true);
  assert.deepEqual(md, { tags: ["x"], jupyter: { outputs_hidden: true }, collapsed: true });
  assert.equal(setOutputsHidden(md, true), false, "no change the second time");
  assert.equal(setInputHidden(md, true), true);
  assert.deepEqual(md.jupyter, { outputs_hidden: true, source_hidden: true });
  assert.equal(setOutputsHidden(md, false), true);
  assert.deepEqual(md, { tags: ["x"], jupyter: { source_hidden: true } });
  assert.equal(setInputHidden(md, false), true);
  assert.deepEqual(md, { tags: ["x"] }, "no jupyter: {} and no false values left behind");
  assert.equal(setInputHidden(md, false), false);
});

test("a Notebook 6 collapsed cell is shown again by removing both forms", () => {
  const md: Record<string, unknown> = { collapsed: true, jupyter: { source_hidden: true, other: 1 } };
  assert.equal(setOutputsHidden(md, false), true);
  assert.deepEqual(md, { jupyter: { source_hidden: true, other: 1 } });
});

test("scrolled is written as true or removed", () => {
  const md: Record<string, unknown> = { scrolled: "auto" };
  assert.equal(setOutputsScrolled(md, true), true);
  assert.deepEqual(md, { scrolled: true });
  assert.equal(setOutputsScrolled(md, false), true);
  assert.deepEqual(md, {});
  assert.equal(setOutputsScrolled(md, false), false);
});

test("collapsed placeholders say what is hidden", () => {
  assert.equal(inputSummary("\n  import numpy as np\nx = 1\n"), "import numpy as np …");
  assert.equal(inputSummary("x = 1\n"), "x = 1");
  assert.equal(inputSummary("   \n"), "…");
  assert.equal(inputSummary("a".repeat(100), 10), "aaaaaaaaaa …");
  assert.equal(outputsSummary(1), "1 output hidden");
  assert.equal(outputsSummary(3), "3 outputs hidden");
});

test("heading keys put or replace the heading prefix", () => {
  assert.equal(headingSource("Results", 2), "## Results");
  assert.equal(headingSource("# Results\nmore", 3), "### Results\nmore");
  assert.equal(headingSource("###### deep", 1), "# deep");
  assert.equal(headingSource("##\tTabbed", 2), "## Tabbed");
  assert.equal(headingSource("", 2), "## ");
  assert.equal(headingSource("#", 4), "#### ");
  assert.equal(headingSource("#hashtag", 2), "## #hashtag", "#tag is no heading prefix");
  assert.equal(headingSource("x", 9), "###### x", "levels are clamped to 1–6");
});
