import { test } from "node:test";
import assert from "node:assert/strict";
import { notebookUploadBody } from "../src/files/uploadbody";

// An uploaded notebook must arrive untrusted: the body the upload PUTs
// carries no trust marker, whatever the file claimed (issue #14, hole 6).
test("notebookUploadBody drops every trust marker", () => {
  const file = {
    cells: [
      { cell_type: "code", metadata: { trusted: true, tags: ["t"] }, source: "x", outputs: [{ output_type: "display_data", data: { "text/html": "<script>x()</script>" }, metadata: {} }] },
      { cell_type: "markdown", metadata: { trusted: true }, source: "m" },
      { cell_type: "code", metadata: { trusted: false }, source: "y", outputs: [] },
      { cell_type: "raw", source: "no metadata" },
      "not a cell",
    ],
    metadata: { signature: "sha256:abc", kernelspec: { name: "python3" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  const body = notebookUploadBody(JSON.stringify(file));
  assert.ok(body);
  assert.equal(body.type, "notebook");
  assert.equal(body.format, "json");
  const text = JSON.stringify(body.content);
  assert.ok(!text.includes("trusted"), text);
  assert.ok(!text.includes("signature"), text);
  // Everything else is kept as it was.
  const cells = body.content.cells as { metadata?: Record<string, unknown> }[];
  assert.deepEqual(cells[0].metadata, { tags: ["t"] });
  assert.ok(text.includes("<script>x()</script>"));
  assert.deepEqual(body.content.metadata, { kernelspec: { name: "python3" } });
});

test("notebookUploadBody drops nbformat 3 worksheet cells' flags too", () => {
  const v3 = { worksheets: [{ cells: [{ cell_type: "code", metadata: { trusted: true }, input: "x", outputs: [] }] }], metadata: {}, nbformat: 3, nbformat_minor: 0 };
  const body = notebookUploadBody(JSON.stringify(v3));
  assert.ok(body && !JSON.stringify(body.content).includes("trusted"));
});

test("notebookUploadBody leaves non-notebooks to the file upload", () => {
  for (const text of ["not json", "[1,2]", "null", "3"]) assert.equal(notebookUploadBody(text), null, text);
});
