import { test } from "node:test";
import assert from "node:assert/strict";
import { route, splitAddress } from "../src/route";

test("route picks the view and decodes the path", () => {
  const cases: [string, string, ReturnType<typeof route>][] = [
    ["/", "/", { view: "tree", path: "" }],
    ["/tree", "/", { view: "tree", path: "" }],
    ["/tree/a%20b/c", "/", { view: "tree", path: "a b/c" }],
    ["/x/notebooks/d/n.ipynb", "/x/", { view: "notebooks", path: "d/n.ipynb" }],
    ["/x/edit//a.py", "/x/", { view: "edit", path: "a.py" }],
    ["/x/edit/bad%zz", "/x/", { view: "edit", path: "bad%zz" }],
    ["/x/terminals/1", "/x/", { view: "terminals", path: "1" }],
    ["/terminals/a%20b", "/", { view: "terminals", path: "a b" }],
    ["/x/treex/a", "/x/", { view: "tree", path: "" }],
    ["/elsewhere/tree/a", "/x/", { view: "tree", path: "" }],
  ];
  for (const [pathname, base, want] of cases) assert.deepEqual(route(pathname, base), want, pathname);
});

test("splitAddress keeps the first segment for the file browser's own check", () => {
  assert.deepEqual(splitAddress("/tree/a/b", "/"), { head: "tree", path: "a/b" });
  assert.deepEqual(splitAddress("/", "/"), { head: "", path: "" });
  assert.deepEqual(splitAddress("/notebooks/n.ipynb", "/"), { head: "notebooks", path: "n.ipynb" });
});
