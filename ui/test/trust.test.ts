// Whether a notebook counts as trusted.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { CellType, Json } from "../src/notebook/model";
import { notebookTrusted, type TrustCell } from "../src/notebook/trust";

function cell(type: CellType, metadata: Json): TrustCell {
  return { type, data: { metadata }, setTrusted: () => {} };
}

test("a notebook is trusted when every code cell is", () => {
  assert.equal(notebookTrusted([]), true);
  assert.equal(notebookTrusted([cell("code", { trusted: true }), cell("code", { trusted: true })]), true);
  assert.equal(notebookTrusted([cell("code", { trusted: true }), cell("code", {})]), false);
  assert.equal(notebookTrusted([cell("code", { trusted: "yes" })]), false, "only true counts");
  assert.equal(notebookTrusted([cell("code", { trusted: false })]), false);
});

test("markdown and raw cells do not count", () => {
  assert.equal(notebookTrusted([cell("markdown", {}), cell("raw", { trusted: false }), cell("code", { trusted: true })]), true);
  assert.equal(notebookTrusted([cell("markdown", { trusted: true }), cell("code", {})]), false);
});
