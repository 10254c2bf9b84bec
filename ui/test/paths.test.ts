import { test } from "node:test";
import assert from "node:assert/strict";
import { baseName, joinPath, parentDir, splitPath, stemLength } from "../src/paths";

test("joinPath: the root is the empty directory", () => {
  assert.equal(joinPath("", "a.ipynb"), "a.ipynb");
  assert.equal(joinPath("x/y", "a.ipynb"), "x/y/a.ipynb");
});

test("splitPath is parentDir and baseName, and joinPath undoes it", () => {
  for (const p of ["a.ipynb", "x/a.ipynb", "x/y/z.txt", "dir/"]) {
    const { dir, name } = splitPath(p);
    assert.equal(dir, parentDir(p));
    assert.equal(name, baseName(p));
    assert.equal(joinPath(dir, name), p);
  }
  assert.deepEqual(splitPath("x/y/z.txt"), { dir: "x/y", name: "z.txt" });
  assert.deepEqual(splitPath("z.txt"), { dir: "", name: "z.txt" });
});

test("stemLength leaves out the extension, not a leading dot", () => {
  assert.equal(stemLength("a.ipynb", false), 1);
  assert.equal(stemLength(".bashrc", false), 7);
  assert.equal(stemLength("a.tar.gz", false), 1);
  assert.equal(stemLength("noext", false), 5);
  assert.equal(stemLength("some.dir", true), 8);
});
